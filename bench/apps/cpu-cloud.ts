/**
 * A local cloud in a process of its own, for bench/cpu.ts: the CPU its process tree spends (the cloud, every
 * function's worker thread, DynamoDB Local's JVM) is then the system's alone, not the load generator's.
 *
 * `node bench/apps/cpu-cloud.ts <appDir>` starts the cloud of `<appDir>` with that tree's own local cloud
 * (so a baseline checkout runs its own), prints `{"url","token"}` on one line, then takes lines on stdin:
 * `settle` answers `settled` once the pollers have delivered nothing for a second; `stop` stops the cloud.
 */
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LocalCloud } from '@eightfold/local-cloud';
import { mintToken } from '../../test/helpers/tokens.ts';

const appDir = process.argv[2];
if (!appDir) throw new Error('usage: cpu-cloud.ts <appDir>');
const { startLocalCloud } = (await import(pathToFileURL(join(appDir, 'scripts/local-cloud/index.ts')).href)) as {
  startLocalCloud: (options: Record<string, unknown>) => Promise<LocalCloud>;
};
const cloud = await startLocalCloud({ appDir, port: 0, onLog: () => undefined });
process.stdout.write(`${JSON.stringify({ url: cloud.url, token: await mintToken(cloud, { operator: 'bench' }) })}\n`);

const delivered = () => cloud.pollers.reduce((sum, poller) => sum + poller.stats.records, 0);
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line === 'settle') {
    for (let before = -1; before !== delivered();) {
      before = delivered();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    process.stdout.write('settled\n');
  }
  if (line === 'stop') break;
}
lines.close();
process.stdin.destroy();
await cloud.stop();
