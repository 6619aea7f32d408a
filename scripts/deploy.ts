/**
 * `npm run deploy -- [-c stage=prod] [any cdk deploy flag]`: every stack of a stage, through the pinned CDK
 * CLI, its outputs written to `cdk-outputs/<stage>.json` (as `npm run deploy:localstack` writes LocalStack's).
 * A prod deploy stops to ask before any security change (IAM statements, security groups: CDK's
 * `--require-approval broadening`); other stages deploy without asking. A flag given here wins over both.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { refuseCommandLine } from '@eightfold/local-cloud/command-line';

const USAGE = `
Usage: npm run deploy -- [-c stage=NAME] [-c key=value …] [cdk deploy flags]

Deploys every stack of a stage (dev by default) with the pinned CDK CLI, and writes their outputs to
cdk-outputs/<stage>.json. A prod deploy stops to ask before any security change (--require-approval
broadening); other stages deploy without asking. docs/deploy.md has the context keys.

  -c, --context key=value   CDK context: stage, legacyUrl, legacySecretArn, issuer, eightfold:…
  --require-approval LEVEL  never, any-change or broadening (overrides the stage's default)
  --outputs-file FILE       where the outputs go
  --profile NAME            the AWS profile to deploy with
  --hotswap, --hotswap-fallback, --no-rollback, --force, --concurrency N, --method METHOD,
  --role-arn ARN, --parameters K=V, --tags K=V, --exclusively, --progress STYLE
                            passed to cdk deploy as they are
`;

/** The cdk deploy flags this script passes on, and whether each takes a value. */
const CDK_FLAGS: Readonly<Record<string, boolean>> = {
  '-c': true,
  '--context': true,
  '--require-approval': true,
  '--outputs-file': true,
  '--profile': true,
  '--hotswap': false,
  '--hotswap-fallback': false,
  '--no-rollback': false,
  '--force': false,
  '--concurrency': true,
  '--method': true,
  '--role-arn': true,
  '--parameters': true,
  '--tags': true,
  '--exclusively': false,
  '-e': false,
  '--progress': true,
};

/**
 * The arguments, checked: an unknown flag, or one missing its value, is refused (the CDK CLI itself would
 * ignore a mistyped flag and deploy anyway). Returns the usage for `--help`.
 */
export function checkDeployArguments(args: readonly string[]): 'help' | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('-')) continue; // a stack name
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(flag in CDK_FLAGS)) throw new Error(`Unknown option '${flag}'`);
    if (CDK_FLAGS[flag] && inline === undefined) {
      if (args[i + 1] === undefined || args[i + 1]!.startsWith('-')) throw new Error(`Option '${flag}' needs a value`);
      i++;
    }
  }
  return undefined;
}

/** The stage the context flags name (`-c stage=…`, `--context eightfold:stage=…`), as the app reads it; dev by default. */
export function stageOf(args: readonly string[]): string {
  let stage: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = arg === '-c' || arg === '--context' ? args[i + 1] : /^--context=(.*)$/.exec(arg)?.[1];
    const named = /^(?:eightfold:)?stage=(.+)$/.exec(value ?? '');
    // `stage` wins over `eightfold:stage`, as in lib/eightfold-app.ts.
    if (named && (stage === undefined || value!.startsWith('stage='))) stage = named[1];
  }
  return stage ?? 'dev';
}

/** The `cdk` arguments of a deploy: the user's own flags last, and ours only where the user gave none. */
export function deployArguments(args: readonly string[]): string[] {
  const stage = stageOf(args);
  const given = (flag: string) => args.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
  return [
    'deploy',
    '--all',
    ...(given('--require-approval') ? [] : ['--require-approval', stage === 'prod' ? 'broadening' : 'never']),
    ...(given('--outputs-file') ? [] : ['--outputs-file', `cdk-outputs/${stage}.json`]),
    ...args,
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  try {
    if (checkDeployArguments(args) === 'help') {
      process.stdout.write(`${USAGE.trim()}\n`);
      process.exit(0);
    }
  } catch (error) {
    refuseCommandLine((error as Error).message);
  }
  const cdk = fileURLToPath(new URL('./cdk.sh', import.meta.url));
  const { status } = spawnSync(cdk, deployArguments(args), { stdio: 'inherit' });
  process.exitCode = status ?? 1;
}
