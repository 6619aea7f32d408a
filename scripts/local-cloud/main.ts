/** `npm start` / `npm run dev`: runs the synthesized CDK app on the embedded local cloud (USAGE below). */
import { existsSync, mkdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { watchedRoots } from './assembly.ts';
import { dirname, join, relative, resolve } from 'node:path';
import { numberFlag, parseCommandLine, refuseCommandLine } from './command-line.ts';
import { startLocalCloud } from './local-cloud.ts';
import { javaOrExit } from './services/java.ts';
import type { LocalCloud, LocalCloudOptions } from './types.ts';
import { startupReport } from './report.ts';

const USAGE = `
Usage: npm start -- [options]     (node scripts/local-cloud/main.ts [options])

Runs the synthesized CDK app on the embedded local cloud, until Ctrl-C.

  --port N                  the API's port (default: $PORT, else 3000)
  --persist DIR             keep tables, queues and stream positions in DIR across restarts
  --watch                   re-synthesize on change and swap the changed functions in place
  --app DIR                 the CDK app to run (default: .)
  --time-scale N            run scheduled rules, timeouts and leases N times faster (1 to 3600)
  --parameter Name=Value    a CloudFormation parameter's value (repeatable)
  --context key=value       CDK context for the synthesis (repeatable)
`;

const { values } = parseCommandLine(USAGE, {
  persist: { type: 'string' },
  watch: { type: 'boolean', default: false },
  app: { type: 'string', default: '.' },
  'time-scale': { type: 'string' },
  parameter: { type: 'string', multiple: true, default: [] },
  context: { type: 'string', multiple: true, default: [] },
  port: { type: 'string' },
});

function pairs(list: string[]): Record<string, string> {
  return Object.fromEntries(
    list.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) refuseCommandLine(`Expected Name=Value, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

const options: LocalCloudOptions = {
  appDir: resolve(values.app),
  port: numberFlag('port', values.port ?? (process.env.PORT || undefined), { min: 0, max: 65_535 }) ?? 3000,
  persistDir: values.persist,
  parameters: pairs(values.parameter),
  context: pairs(values.context),
  timeScale: numberFlag('time-scale', values['time-scale'], { min: 1, max: 3600, fraction: true }),
  // The ops API key is whatever the operator sets; otherwise a random one, shown in the start-up report.
  apiKeyValue: process.env.EIGHTFOLD_API_KEY || undefined,
};

let cloud: LocalCloud | undefined;
let restarting = Promise.resolve();
let shuttingDown = false;

/**
 * The running cloud's exports, in a file both `source` (or `set -a; . file`) and `node --env-file` read:
 * every AWS_* variable that points the SDK and CLI here, and the API's URL. Written on each start, removed
 * on Ctrl-C, so it never names endpoints that are gone.
 */
const envFile = join(options.appDir!, '.local-cloud', 'env');
function writeEnvFile(running: LocalCloud): void {
  mkdirSync(dirname(envFile), { recursive: true });
  const lines = Object.entries({ ...running.environment, EIGHTFOLD_URL: running.url }).map(([key, value]) => `export ${key}=${value}`);
  writeFileSync(
    envFile,
    `# npm start, ${new Date().toISOString()}: source this file, or node --env-file=${relative(process.cwd(), envFile)}\n${lines.join('\n')}\n`,
  );
}

async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  process.stdout.write(`\n${signal}: stopping the local cloud…\n`);
  await restarting;
  await cloud?.stop();
  rmSync(envFile, { force: true });
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

// Before anything starts: a machine without Java is told what to install, in one line (exit 2).
javaOrExit((line) => process.stdout.write(`${line}\n`));

try {
  cloud = await startLocalCloud(options);
  writeEnvFile(cloud);
  process.stdout.write(
    `${startupReport(cloud)}\n  (also in ${relative(process.cwd(), envFile)}: source it, or node --env-file=${relative(process.cwd(), envFile)})\n\nPress Ctrl-C to stop.\n`,
  );
} catch (error) {
  process.stderr.write(`Local cloud failed to start: ${(error as Error).message}\n`);
  process.exit(1);
}

if (values.watch) {
  // Re-synthesize on change and apply the new template to the running services: data stays.
  let timer: NodeJS.Timeout | undefined;
  const reload = (): void => {
    restarting = restarting.then(async () => {
      if (shuttingDown || !cloud) return;
      process.stdout.write('Change detected: re-synthesizing…\n');
      try {
        const summary = await cloud.reload();
        const changed = [...summary.functionsAdded, ...summary.functionsChanged];
        process.stdout.write(
          `Reloaded in ${(summary.durationMs / 1000).toFixed(1)} s` +
            (summary.synthCached ? ' (no template change)' : '') +
            (changed.length ? `; new code for ${changed.join(', ')}` : '') +
            (summary.functionsRemoved.length ? `; removed ${summary.functionsRemoved.join(', ')}` : '') +
            '\n',
        );
      } catch (error) {
        process.stderr.write(`Reload failed, still serving the previous version: ${(error as Error).message}\n`);
      }
    });
  };
  const roots = watchedRoots(options.appDir!).filter((root) => existsSync(join(options.appDir!, root)));
  for (const root of roots) {
    watch(join(options.appDir!, root), { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(reload, 300);
    });
  }
  process.stdout.write(`Watching ${roots.join(', ')} for changes.\n`);
}
