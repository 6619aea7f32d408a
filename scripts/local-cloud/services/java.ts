/**
 * The Java runtime DynamoDB Local runs on: found, or brought in where the machine allows it, or one line
 * saying what to install. Never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** What to install, in one line: the whole of what a machine without Java is told. */
export const JAVA_MISSING =
  'DynamoDB Local needs a Java 17+ runtime and none was found (JAVA_HOME, PATH): install one (Debian or Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17) or set JAVA_HOME';

/** No Java runtime could be found or installed. */
export class JavaMissingError extends Error {
  override readonly name = 'JavaMissingError';

  constructor() {
    super(JAVA_MISSING);
  }
}

/** The first `command` on the PATH. */
const onPath = (command: string): string | undefined =>
  (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, command))
    .find((file) => existsSync(file));

let found: string | undefined;

/**
 * The `java` to run: JAVA_HOME's, else the PATH's. With neither, Debian's headless Java 17 runtime is
 * installed where this process may (root, with apt-get: a CI machine, a container), as the browser test
 * installs Chromium; elsewhere, JavaMissingError. (An npm package bringing a JRE, such as `njre`, downloads
 * it from Adoptium when installed: not possible where only the npm registry is reachable, as here.)
 */
export function javaCommand(log: (line: string) => void = () => undefined): string {
  if (found) return found;
  const home = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : undefined;
  found = (home && existsSync(home) ? home : undefined) ?? onPath('java');
  if (found) return found;
  const aptGet = onPath('apt-get');
  if (aptGet && process.getuid?.() === 0) {
    log('No Java runtime found: installing Debian’s openjdk-17-jre-headless for DynamoDB Local (once)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const run = (...args: string[]) => spawnSync(aptGet, args, { stdio: 'ignore', env }).status === 0;
    if (run('update', '-qq') && run('install', '-y', '-qq', 'openjdk-17-jre-headless')) found = onPath('java');
    if (found) return found;
  }
  throw new JavaMissingError();
}

/** For a command line: the `java` to run, or the one line saying what to install and exit 2 (never a stack trace). */
export function javaOrExit(log: (line: string) => void): string {
  try {
    return javaCommand(log);
  } catch (error) {
    if (!(error instanceof JavaMissingError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
