import { compareAnswers, ShadowLog, type ComparedAnswer } from '../patterns/strangler/index.ts';
import { documentClient } from '../platform/clients.ts';
import { readSettings, text } from '../composition/settings.ts';
import { logger } from '../platform/logger.ts';
import { invokeEightfold, ROUTER_ROUTES_SETTING, type ShadowRun } from '../composition/strangler.ts';
import { observed } from '../platform/observability.ts';
import { ENV } from '../platform/environment.ts';

// The composition root: this function's settings, read once.
const settings = readSettings({ routes: ROUTER_ROUTES_SETTING, shadowComparisons: [ENV.strangler.shadowComparisons, text] });
const { routes } = settings;
const shadowLog = new ShadowLog(documentClient, settings.shadowComparisons);

const parsed = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
};

/**
 * Strangler Fig, the shadow side: runs a request legacy already answered on Eightfold too (a command as a
 * dry run: decided, never appended), compares the two answers and records the outcome.
 */
async function shadow(run: ShadowRun): Promise<void> {
  const config = routes[run.route];
  if (!config) throw new Error(`No shadow route ${run.route}`);
  const legacy: ComparedAnswer = { statusCode: run.legacy.statusCode, body: parsed(run.legacy.body) };
  const base = { route: run.route, path: run.event.path, requestId: run.event.requestContext?.requestId ?? 'unknown', at: new Date() };
  try {
    const answer = await invokeEightfold(config.target, { ...run.event, eightfoldDryRun: true });
    const differences = compareAnswers(legacy, { statusCode: answer.statusCode, body: parsed(answer.body) }, config.ignore);
    await shadowLog.record({ ...base, differences });
    if (differences.length) logger.info('shadow mismatch', { route: run.route, differences });
  } catch (error) {
    await shadowLog.record({ ...base, differences: [], error: (error as Error).message });
  }
}

export const handler = observed(shadow);
