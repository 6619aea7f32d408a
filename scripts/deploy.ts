/**
 * `npm run deploy -- [-c stage=prod] [any cdk deploy flag]`: every stack of a stage, through the pinned CDK
 * CLI, its outputs written to `cdk-outputs/<stage>.json` (as `npm run deploy:localstack` writes LocalStack's).
 * A prod deploy stops to ask before any security change (IAM statements, security groups: CDK's
 * `--require-approval broadening`); other stages deploy without asking. A flag given here wins over both.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
  const cdk = fileURLToPath(new URL('./cdk.sh', import.meta.url));
  const { status } = spawnSync(cdk, deployArguments(process.argv.slice(2)), { stdio: 'inherit' });
  process.exitCode = status ?? 1;
}
