#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
/** `local-cloud start` (`npm start` / `npm run dev` in the repository): runs a CDK app on the local cloud (USAGE below). */
import { createWriteStream, existsSync, mkdirSync, rmSync, watch, writeFileSync, type WriteStream } from 'node:fs';
import { watchedRoots } from './assembly.ts';
import { dirname, join, relative, resolve } from 'node:path';
import { numberFlag, parseCommandLine, refuseCommandLine } from './command-line.ts';
import { startLocalCloud } from './local-cloud.ts';
import { invocationLine } from './invocation-line.ts';
import { javaOrExit } from './services/java.ts';
import { DEFAULT_SERVICE_PORTS, PortsInUseError, SERVICE_NAMES, type ServiceName } from './services/ports.ts';
import type { LocalCloud, LocalCloudOptions } from './types.ts';
import { startupReport } from './report.ts';
import { IAM_MODES, type IamMode } from './iam/authorizer.ts';

const USAGE = `
Usage: local-cloud [start] [options]     (npx local-cloud start …; npm start -- [options] in the repository)

Synthesizes the CDK app (its cdk.json's app command) and runs it on the local cloud, until Ctrl-C.

  --port N                  the API's port (default: $PORT, else 3000)
  --service-port NAME=N     another port for one local service (repeatable); NAME is one of
                            ${SERVICE_NAMES.join(', ')}
                            (default: ${Object.values(DEFAULT_SERVICE_PORTS)[0]} to ${Object.values(DEFAULT_SERVICE_PORTS).at(-1)}, in that order)
  --logs                    print the functions' logs here too (default: only one line per invocation;
                            the logs go to .local-cloud/functions.log)
  --persist DIR             keep tables, queues and stream positions in DIR across restarts
  --watch                   re-synthesize on change and swap the changed functions in place
  --app DIR                 the CDK app to run (default: .)
  --time-scale N            run scheduled rules, timeouts and leases N times faster (1 to 3600)
  --parameter Name=Value    a CloudFormation parameter's value (repeatable)
  --context key=value       CDK context for the synthesis (repeatable)
  --iam MODE                on (the default): a function's call its role does not allow is refused, as AWS
                            refuses it; report: only logged; off: not checked
  --strict                  refuse an app with a resource type the local cloud does not emulate (default:
                            start without such resources, listed in the start-up report)
`;

const { values, positionals } = parseCommandLine(USAGE, {
  persist: { type: 'string' },
  watch: { type: 'boolean', default: false },
  app: { type: 'string', default: '.' },
  'time-scale': { type: 'string' },
  parameter: { type: 'string', multiple: true, default: [] },
  context: { type: 'string', multiple: true, default: [] },
  port: { type: 'string' },
  'service-port': { type: 'string', multiple: true, default: [] },
  logs: { type: 'boolean', default: false },
  strict: { type: 'boolean', default: false },
  iam: { type: 'string', default: 'on' },
});
if (!IAM_MODES.includes(values.iam as IamMode)) refuseCommandLine(`--iam must be one of ${IAM_MODES.join(', ')}, not "${values.iam}"`);

if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== 'start')) {
  refuseCommandLine(`Unknown command "${positionals.join(' ')}": the command is start (the default)`);
}

function pairs(list: string[]): Record<string, string> {
  return Object.fromEntries(
    list.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) refuseCommandLine(`Expected Name=Value, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

const servicePorts = { ...DEFAULT_SERVICE_PORTS };
for (const [name, port] of Object.entries(pairs(values['service-port']))) {
  if (!SERVICE_NAMES.includes(name as ServiceName)) refuseCommandLine(`--service-port: no service "${name}" (${SERVICE_NAMES.join(', ')})`);
  servicePorts[name as ServiceName] = numberFlag('service-port', port, { min: 1, max: 65_535 })!;
}

/**
 * The terminal gets the start-up report, then one line per invocation and the local cloud's own warnings;
 * every line a function prints goes to a file (and here too with --logs), so a load run cannot scroll the
 * report away. The file starts empty on each start.
 */
const logPath = join(resolve(values.app), '.local-cloud', 'functions.log');
let logFile: WriteStream | undefined;
// Opened on the first line: a start refused (its ports taken) leaves the running cloud's file alone.
const writeLog = (source: string, line: string) => {
  if (!logFile) {
    mkdirSync(dirname(logPath), { recursive: true });
    logFile = createWriteStream(logPath);
  }
  logFile.write(`${new Date().toISOString()} [${source}] ${line}\n`);
};
let ready = false;
const beforeReady: string[] = [];
// After Ctrl-C, the invocations cut off by the stop are not news: the file still has them.
const print = (line: string) => (shuttingDown ? undefined : ready ? process.stdout.write(`${line}\n`) : beforeReady.push(line));

const options: LocalCloudOptions = {
  appDir: resolve(values.app),
  port: numberFlag('port', values.port ?? (process.env.PORT || undefined), { min: 0, max: 65_535 }) ?? 3000,
  persistDir: values.persist,
  parameters: pairs(values.parameter),
  context: pairs(values.context),
  timeScale: numberFlag('time-scale', values['time-scale'], { min: 1, max: 3600, fraction: true }),
  // The ops API key is whatever the operator sets; otherwise a random one, shown in the start-up report.
  apiKeyValue: process.env.EIGHTFOLD_API_KEY || undefined,
  servicePorts,
  strict: values.strict,
  iam: values.iam as IamMode,
  onLog: (source, line) => {
    writeLog(source, line);
    print(`[${source}] ${line}`);
  },
  onFunctionLog: (functionName, line) => {
    writeLog(functionName, line);
    if (values.logs) print(`[${functionName}] ${line}`);
  },
  onInvocation: (record) => print(invocationLine(record)),
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
  // What the run showed of too-wide grants, before the cloud (and what it knows) goes.
  const unused = cloud && cloud.iam !== 'off' ? cloud.unusedGrants() : [];
  if (unused.length) {
    process.stdout.write(`IAM grants no call used this run:\n${unused.map((g) => `  ${g.role}: ${g.actions.join(', ')}`).join('\n')}\n`);
  }
  await cloud?.stop();
  rmSync(envFile, { force: true });
  await new Promise<void>((resolveEnd) => (logFile ? logFile.end(resolveEnd) : resolveEnd()));
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
    `${startupReport(cloud)}\n  (also in ${relative(process.cwd(), envFile)}: source it, or node --env-file=${relative(process.cwd(), envFile)})\n\n` +
      `Functions' logs: ${relative(process.cwd(), logPath)}${values.logs ? ' and here' : ' (--logs prints them here)'}. ` +
      `One line per invocation follows. Press Ctrl-C to stop.\n`,
  );
  ready = true;
  for (const line of beforeReady.splice(0)) print(line);
} catch (error) {
  const message =
    error instanceof PortsInUseError
      ? `${error.message}: is another local cloud running? Stop it, or move them (--port for the API, --service-port NAME=N)`
      : (error as Error).message;
  process.stderr.write(`Local cloud failed to start: ${message}\n`);
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
