/**
 * Each function starts with the environment its constructs give it: every handler module is loaded (its
 * cold start: settings read, clients built, nothing called) with exactly the variables the synthesized
 * template sets on its function. A grant that forgets the variable it implies fails here, not in a deploy.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eightfoldStack } from '../helpers/stack.ts';

type LambdaFunction = { Properties: { Handler: string; Environment?: { Variables?: Record<string, unknown> } } };

/** A value CloudFormation resolves at deploy time stands in as text; a JSON list or map resolved then, as an empty one. */
const JSON_LISTS = new Set(['OBSERVED_QUEUES']);
const JSON_MAPS = new Set(['AMBASSADOR_PINNED_HOSTS']);
const stand = (name: string, value: unknown): string =>
  typeof value === 'string' ? value : JSON_LISTS.has(name) ? '[]' : JSON_MAPS.has(name) ? '{}' : `resolved-at-deploy:${name}`;

const functions = Object.values(eightfoldStack().template.findResources('AWS::Lambda::Function') as Record<string, LambdaFunction>)
  .filter((fn) => fn.Properties.Handler.endsWith('/index.handler'))
  .map((fn) => [fn.Properties.Handler.split('/')[0]!, fn.Properties.Environment?.Variables ?? {}] as const);

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('every Eightfold function', () => {
  it('is one of the handlers under lambdas/handlers/', () => {
    expect(functions.length).toBeGreaterThanOrEqual(12);
  });

  it.each(functions)('%s starts with the environment the template gives it', async (handler, variables) => {
    for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, stand(name, value));
    vi.stubEnv('AWS_REGION', 'us-east-1');
    const module = (await import(`../../lambdas/handlers/${handler}.ts`)) as { handler?: unknown };
    expect(typeof module.handler).toBe('function');
  });
});
