import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FunctionRuntime, type FunctionDefinition } from '../lambda/function-runtime.ts';
import { eventually } from '../eventually.ts';

const root = mkdtempSync(join(tmpdir(), 'eightfold-runtime-'));
const runtimes: FunctionRuntime[] = [];
const logs: string[] = [];

/** A function whose bundle is `source`, written as `index.mjs` (or another file name). */
function makeFunction(name: string, source: string, overrides: Partial<FunctionDefinition> = {}, file = 'index.mjs'): FunctionRuntime {
  const codeDir = join(root, name);
  mkdirSync(codeDir, { recursive: true });
  writeFileSync(join(codeDir, file), source);
  const runtime = new FunctionRuntime(
    {
      logicalId: name,
      functionName: name,
      arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
      codeDir,
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      timeoutSeconds: 3,
      memorySize: 128,
      environment: { GREETING: `hello from ${name}` },
      variables: { GREETING: `hello from ${name}` },
      architectures: ['x86_64'],
      logFormat: 'Text',
      ...overrides,
    },
    { onLog: (fn, line) => logs.push(`${fn}: ${line}`) },
  );
  runtimes.push(runtime);
  return runtime;
}

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
  rmSync(root, { recursive: true, force: true });
});

describe('FunctionRuntime (worker-thread Lambda sandboxes)', () => {
  it('runs an async handler with its own environment and a Lambda context', async () => {
    const fn = makeFunction(
      'env',
      `export const handler = async (event, context) => ({
        event, greeting: process.env.GREETING, home: process.env.HOME ?? null,
        name: context.functionName, arn: context.invokedFunctionArn, remaining: context.getRemainingTimeInMillis(),
      });`,
    );
    const outcome = await fn.invoke({ a: 1 });
    expect(outcome).toMatchObject({ ok: true, coldStart: true });
    const payload = (outcome as { payload: Record<string, unknown> }).payload;
    expect(payload).toMatchObject({
      event: { a: 1 },
      greeting: 'hello from env',
      home: null,
      name: 'env',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:env',
    });
    expect(payload.remaining).toBeGreaterThan(2000);
    expect(payload.remaining).toBeLessThanOrEqual(3000);
    expect((await fn.invoke({})).coldStart).toBe(false);
  });

  it('supports callback-style CommonJS handlers', async () => {
    const fn = makeFunction(
      'callback',
      `exports.handler = (event, context, callback) => setTimeout(() => callback(null, { doubled: event.n * 2 }), 5);`,
      {},
      'index.js',
    );
    expect(await fn.invoke({ n: 21 })).toMatchObject({ ok: true, payload: { doubled: 42 } });
  });

  it('reports a thrown error as an unhandled function error, with type and message', async () => {
    const fn = makeFunction('throws', `export const handler = async () => { const e = new TypeError('bad input'); throw e; };`);
    expect(await fn.invoke({})).toMatchObject({
      ok: false,
      kind: 'Unhandled',
      error: { errorType: 'TypeError', errorMessage: 'bad input' },
    });
  });

  it('reports a module that fails to load as an init error', async () => {
    const fn = makeFunction('init', `throw new Error('cannot start'); export const handler = async () => 1;`);
    expect(await fn.invoke({})).toMatchObject({ ok: false, kind: 'InitError', error: { errorMessage: 'cannot start' } });
  });

  describe('module resolution, as Lambda’s runtime does it', () => {
    /** A package `name` under `dir`/node_modules whose module exports `{ found: where }`. */
    function fakePackage(dir: string, name: string, where: string): void {
      const packageDir = join(root, dir, 'node_modules', name);
      mkdirSync(packageDir, { recursive: true });
      writeFileSync(join(packageDir, 'package.json'), JSON.stringify({ name, version: '0.0.0-fake', main: 'index.js' }));
      writeFileSync(join(packageDir, 'index.js'), `exports.found = ${JSON.stringify(where)};`);
    }

    it('provides the runtime’s AWS SDK v3 to a bundle that leaves it out, to import and to require alike', async () => {
      const esm = makeFunction(
        'sdk-esm',
        `import { SQSClient } from '@aws-sdk/client-sqs';
         import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
         export const handler = async () => [typeof SQSClient, typeof DynamoDBDocumentClient.from];`,
      );
      expect(await esm.invoke({})).toMatchObject({ ok: true, payload: ['function', 'function'] });
      const cjs = makeFunction(
        'sdk-cjs',
        `const { SNSClient } = require('@aws-sdk/client-sns');
         exports.handler = async () => typeof SNSClient;`,
        {},
        'index.js',
      );
      expect(await cjs.invoke({})).toMatchObject({ ok: true, payload: 'function' });
    });

    it('finds packages in the function’s own node_modules first, and never in node_modules above its code', async () => {
      fakePackage('app', '@aws-sdk/client-sqs', 'above the code');
      fakePackage('app', 'left-pad', 'above the code');
      fakePackage('app/own', '@aws-sdk/client-sns', 'the code’s own node_modules');
      const fn = makeFunction(
        'app/own',
        `import * as sqs from '@aws-sdk/client-sqs';
         import * as sns from '@aws-sdk/client-sns';
         export const handler = async () => [typeof sqs.SQSClient, sns.found];`,
      );
      expect(await fn.invoke({})).toMatchObject({ ok: true, payload: ['function', 'the code’s own node_modules'] });

      const optional = makeFunction(
        'app/optional',
        `let found; try { found = require('left-pad'); } catch (error) { found = error.code; }
         exports.handler = async () => found;`,
        {},
        'index.js',
      );
      // Code that tries an optional package sees Node's own code for a missing one.
      expect(await optional.invoke({})).toMatchObject({ ok: true, payload: 'MODULE_NOT_FOUND' });
      const unbundled = makeFunction('app/unbundled', `import leftPad from 'left-pad'; export const handler = async () => leftPad;`);
      expect(await unbundled.invoke({})).toMatchObject({
        ok: false,
        kind: 'InitError',
        error: { errorMessage: expect.stringMatching(/^Cannot find module 'left-pad' imported from .*: Lambda finds packages only in/) },
      });
    });

    it('reads a .js file as CommonJS unless a package.json inside the code says otherwise, whatever the project above says', async () => {
      mkdirSync(join(root, 'typed'), { recursive: true });
      writeFileSync(join(root, 'typed', 'package.json'), JSON.stringify({ type: 'module' }));
      const commonJs = makeFunction('typed/cjs', `exports.handler = async () => typeof module;`, {}, 'index.js');
      expect(await commonJs.invoke({})).toMatchObject({ ok: true, payload: 'object' });
      const esm = makeFunction('typed/esm', `export const handler = async () => typeof module;`, {}, 'index.js');
      writeFileSync(join(root, 'typed', 'esm', 'package.json'), JSON.stringify({ type: 'module' }));
      expect(await esm.invoke({})).toMatchObject({ ok: true, payload: 'undefined' });
    });

    it('names the clients it provides when a bundle needs another', async () => {
      const fn = makeFunction(
        'sdk-other',
        `import { KinesisClient } from '@aws-sdk/client-kinesis'; export const handler = async () => 1;`,
      );
      expect(await fn.invoke({})).toMatchObject({
        ok: false,
        kind: 'InitError',
        error: { errorMessage: expect.stringContaining('the local cloud provides only @aws-sdk/client-cloudformation, ') },
      });
    });
  });

  it('refuses a handler the bundle does not have, at start-up', () => {
    expect(() => makeFunction('missing', 'export const other = 1;', { handler: 'main.handler' })).toThrow('Handler main.handler not found');
  });

  it('fails an invocation whose sandbox exits, then serves the next one from a fresh sandbox', async () => {
    const fn = makeFunction('exits', `export const handler = async (event) => { if (event.exit) process.exit(3); return 'alive'; };`);
    expect(await fn.invoke({ exit: true })).toMatchObject({ ok: false, kind: 'Crashed', error: { errorType: 'Runtime.ExitError' } });
    expect(await fn.invoke({})).toMatchObject({ ok: true, payload: 'alive', coldStart: true });
  });

  it('crashes the next invocation mid-way when told to (fault injection): its work stops where it was, the next runs afresh', async () => {
    const fn = makeFunction(
      'crashes',
      `export const handler = async (event) => { for (let i = 1; i <= 10; i++) { await new Promise((r) => setTimeout(r, 40)); console.log('step ' + i + ' of ' + event.run); } return 'finished ' + event.run; };`,
    );
    const crashed = fn.crashNextInvocation(100);
    const [first, second] = await Promise.all([fn.invoke({ run: 'a' }), crashed]);
    expect(first).toMatchObject({ ok: false, kind: 'Crashed', error: { errorType: 'Runtime.ExitError' } });
    expect(second).toBe(first);
    const steps = logs.filter((line) => line.startsWith('crashes: step') && line.endsWith('of a'));
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.length).toBeLessThan(10);
    expect(await fn.invoke({ run: 'b' })).toMatchObject({ ok: true, payload: 'finished b', coldStart: true });
  });

  it('times out at the function timeout, discards that sandbox, and recovers', async () => {
    const fn = makeFunction(
      'hangs',
      `export const handler = async (event) => { if (event.hang) await new Promise(() => setInterval(() => {}, 1000)); return 'done'; };`,
      { timeoutSeconds: 1 },
    );
    const started = Date.now();
    expect(await fn.invoke({ hang: true })).toMatchObject({
      ok: false,
      kind: 'Timeout',
      error: { errorMessage: 'Task timed out after 1.00 seconds' },
    });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await fn.invoke({})).toMatchObject({ ok: true, payload: 'done', coldStart: true });
  });

  it('never runs more sandboxes than the reserved concurrency; extra invocations wait their turn', async () => {
    const fn = makeFunction(
      'bounded',
      `export const handler = async (event) => { await new Promise((r) => setTimeout(r, 150)); return event.i; };`,
      { reservedConcurrency: 2 },
    );
    let maxSandboxes = 0;
    let maxInFlight = 0;
    const watcher = setInterval(() => {
      maxSandboxes = Math.max(maxSandboxes, fn.activeSandboxes);
      maxInFlight = Math.max(maxInFlight, fn.inFlight);
    }, 5);
    const results = await Promise.all([0, 1, 2, 3, 4].map((i) => fn.invoke({ i })));
    clearInterval(watcher);
    expect(results.map((r) => (r.ok ? r.payload : r.error))).toEqual([0, 1, 2, 3, 4]);
    expect(maxSandboxes).toBe(2);
    expect(maxInFlight).toBe(2);
    expect(fn.stats.coldStarts).toBe(2);
  });

  it('passes what the handler prints to the log sink, line by line', async () => {
    const fn = makeFunction(
      'prints',
      `export const handler = async () => { console.log('first line'); console.error('second line'); return null; };`,
    );
    await fn.invoke({});
    // Worker stdout is piped asynchronously.
    await eventually(() => expect(logs).toEqual(expect.arrayContaining(['prints: first line', 'prints: second line'])));
  });

  it('swaps code on replace(): the next invocation runs the new bundle', async () => {
    const fn = makeFunction('swap', `export const handler = async () => 'v1';`);
    expect(await fn.invoke({})).toMatchObject({ payload: 'v1' });
    const codeDir = join(root, 'swap-v2');
    mkdirSync(codeDir, { recursive: true });
    writeFileSync(join(codeDir, 'index.mjs'), `export const handler = async () => 'v2';`);
    await fn.replace({ ...fn.config, codeDir });
    expect(await fn.invoke({})).toMatchObject({ payload: 'v2', coldStart: true });
  });
});
