import { mkdirSync } from 'node:fs';
import { Server } from 'node:net';
import { startFauxqs } from 'fauxqs';

export interface SnsSqsEmulator {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** SNS and SQS on one endpoint, from npm `fauxqs` (in this process; state in memory or SQLite). */
export async function startSnsSqs(options: { port?: number; dataDir?: string; region: string }): Promise<SnsSqsEmulator> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server = await onLoopbackOnly(() =>
    startFauxqs({
      port: options.port ?? 0,
      logger: false,
      host: 'localhost',
      defaultRegion: options.region,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    }),
  );
  return { endpoint: `http://127.0.0.1:${server.port}`, port: server.port, stop: () => server.stop() };
}

/**
 * Runs `start` with every listen on all interfaces made a listen on the loopback interface: fauxqs listens
 * on 0.0.0.0 whatever it is told (its `host` only names the queue URLs), and nothing of a local cloud
 * should be reachable from the network.
 */
async function onLoopbackOnly<T>(start: () => Promise<T>): Promise<T> {
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    const [first] = args;
    if (first && typeof first === 'object' && ['0.0.0.0', '::', undefined].includes((first as { host?: string }).host)) {
      args[0] = { ...first, host: '127.0.0.1' };
    }
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as typeof listen;
  try {
    return await start();
  } finally {
    Server.prototype.listen = listen;
  }
}
