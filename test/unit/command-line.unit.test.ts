/**
 * The scripts' command lines, run as a user runs them: a mistyped flag or a number out of bounds is one line
 * naming the flag and exit code 2, before anything is read or written; `--help` prints the usage.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { JAVA_MISSING } from '@eightfold/local-cloud';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../helpers/paths.ts';

const runWith = (env: NodeJS.ProcessEnv, script: string, ...args: string[]) => {
  const { status, stdout, stderr } = spawnSync(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(PROJECT_DIR, script), ...args],
    {
      encoding: 'utf8',
      // No AWS to reach: a script that got past its command line would fail otherwise, not exit 2.
      env: { ...env, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', PORT: '' },
      timeout: 30_000,
    },
  );
  return { status, stdout, stderr };
};
const run = (script: string, ...args: string[]) => runWith(process.env, script, ...args);

describe('the scripts refuse a bad command line in one line, with exit code 2', () => {
  it.each([
    ['scripts/reshard.ts', ['--to', '20', '--settle-seconds', 'abc'], '--settle-seconds must be a whole number from 1 to 3600, not "abc"'],
    ['scripts/reshard.ts', ['--to', '20', '--settle-seconds', '0'], '--settle-seconds must be a whole number from 1 to 3600, not "0"'],
    ['scripts/reshard.ts', ['--settle-seconds', '60'], '--to N is required'],
    ['scripts/reshard.ts', ['--to', '2.5'], '--to must be a whole number from 1 to 1024, not "2.5"'],
    ['scripts/load-test.ts', ['--orders=-5'], '--orders must be a whole number from 1 to 1000000, not "-5"'],
    ['scripts/load-test.ts', ['--concurency', '5'], "Unknown option '--concurency'"],
    ['scripts/redrive.ts', ['notifications', '--max', 'all'], '--max must be a whole number from 1 to 1000000, not "all"'],
    ['scripts/redrive.ts', [], 'Name one queue'],
    ['scripts/rebuild-projections.ts', ['--segments', '0'], '--segments must be a whole number from 1 to 64, not "0"'],
    ['scripts/token.ts', [], 'Name one caller: --customer <id> or --operator <name>'],
    ['scripts/token.ts', ['--customer', 'c1', '--operator', 'me'], 'Name one caller'],
    ['scripts/token.ts', ['--customer', 'two words'], 'A caller\'s name is 1 to 64 letters, digits, "-" or "_", not "two words"'],
    ['scripts/token.ts', ['--customer', 'c1', '--hours', '0'], '--hours must be a whole number from 1 to 24, not "0"'],
    ['scripts/local-cloud/main.ts', ['--port', 'abc'], '--port must be a whole number from 0 to 65535, not "abc"'],
    ['scripts/local-cloud/main.ts', ['--time-scale', '0'], '--time-scale must be a number from 1 to 3600, not "0"'],
    ['scripts/migrate-legacy.ts', ['--page-size', '0'], '--page-size must be a whole number from 1 to 500, not "0"'],
    ['scripts/migrate-legacy.ts', ['--concurrency', 'many'], '--concurrency must be a whole number from 1 to 64, not "many"'],
    ['scripts/migrate-legacy.ts', ['--restrat'], "Unknown option '--restrat'"],
    ['scripts/check-consistency.ts', ['--jsno'], "Unknown option '--jsno'"],
    ['scripts/demo.ts', ['--shrt'], "Unknown option '--shrt'"],
    ['scripts/local-cloud/main.ts', ['--service-port', 'dynamo=8000'], '--service-port: no service "dynamo"'],
    [
      'scripts/local-cloud/main.ts',
      ['--service-port', 'dynamodb=70000'],
      '--service-port must be a whole number from 1 to 65535, not "70000"',
    ],
    ['scripts/deploy.ts', ['--requre-approval', 'never'], "Unknown option '--requre-approval'"],
    ['scripts/api-reference.ts', ['--chek'], "Unknown option '--chek'"],
  ])('%s %j', (script, args, message) => {
    const { status, stdout, stderr } = run(script, ...args);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
  });

  it.each([
    'scripts/reshard.ts',
    'scripts/load-test.ts',
    'scripts/redrive.ts',
    'scripts/rebuild-projections.ts',
    'scripts/token.ts',
    'scripts/migrate-legacy.ts',
    'scripts/check-consistency.ts',
    'scripts/demo.ts',
    'scripts/local-cloud/main.ts',
    'scripts/deploy.ts',
    'scripts/api-reference.ts',
  ])('%s --help prints its usage and exits 0', (script) => {
    const { status, stdout, stderr } = run(script, '--help');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Usage: /);
    expect(stderr).toBe('');
  });
});

describe('a machine without Java', () => {
  // Node alone on the PATH: no java, and no apt-get to bring one, as on a laptop without a JDK.
  const withoutJava = { ...process.env, PATH: dirname(process.execPath), JAVA_HOME: '' };

  it.each([['scripts/local-cloud/main.ts'], ['scripts/test.ts']])('%s says in one line what to install, and exits 2', (script) => {
    const { status, stdout, stderr } = runWith(withoutJava, script);
    expect(status).toBe(2);
    expect(stderr.trim()).toBe(JAVA_MISSING);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe('');
  });
});
