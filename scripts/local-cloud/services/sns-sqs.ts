import { mkdirSync } from 'node:fs';
import { startFauxqs } from 'fauxqs';

export interface SnsSqsEmulator {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** SNS and SQS on one endpoint, from npm `fauxqs` (in this process; state in memory or SQLite). */
export async function startSnsSqs(options: { port?: number; dataDir?: string; region: string }): Promise<SnsSqsEmulator> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server = await startFauxqs({
    port: options.port ?? 0,
    logger: false,
    host: 'localhost',
    defaultRegion: options.region,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  return { endpoint: `http://127.0.0.1:${server.port}`, port: server.port, stop: () => server.stop() };
}
