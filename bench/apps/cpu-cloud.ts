/**
 * A local cloud in a process of its own, for bench/cpu.ts: the CPU its process tree spends (the cloud, every
 * function's worker thread, DynamoDB Local's JVM) is then the system's alone, not the load generator's.
 *
 * `node bench/apps/cpu-cloud.ts <appDir>` starts the cloud of `<appDir>` with that tree's own local cloud
 * (so a baseline checkout runs its own), prints `{"url","token"}` on one line, then takes lines on stdin:
 * `settle` answers `settled` once the pollers have delivered nothing for a second and no queue holds a
 * message (visible, or in flight to come back); `stop` stops the cloud.
 */
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, type LocalCloud } from '@eightfold/local-cloud';
import { mintToken } from '../../test/helpers/tokens.ts';

const appDir = process.argv[2];
if (!appDir) throw new Error('usage: cpu-cloud.ts <appDir>');
const { startLocalCloud } = (await import(pathToFileURL(join(appDir, 'scripts/local-cloud/index.ts')).href)) as {
  startLocalCloud: (options: Record<string, unknown>) => Promise<LocalCloud>;
};
// IAM's checks are the local cloud's cost, not the system's (and a baseline's local cloud has none).
const cloud = await startLocalCloud({ appDir, port: 0, iam: 'off', onLog: () => undefined });
process.stdout.write(`${JSON.stringify({ url: cloud.url, token: await mintToken(cloud, { operator: 'bench' }) })}\n`);

const delivered = () => cloud.pollers.reduce((sum, poller) => sum + poller.stats.records, 0);
const sqs = new SQSClient({ endpoint: cloud.endpoints.snsSqs, region: cloud.region, credentials: LOCAL_CREDENTIALS });
// The queues functions consume (not the dead-letter queues: what lands there stays).
const consumed = new Set(cloud.pollers.map((poller) => poller.config.eventSourceArn.split(':').at(-1)));
const queues = cloud.resources
  .filter((r) => r.type === 'AWS::SQS::Queue' && consumed.has(r.physicalId.split('/').at(-1)))
  .map((r) => r.physicalId);
/** Messages in the consumed queues, visible or in flight: one a failed batch left waits out its visibility timeout. */
async function queued(): Promise<number> {
  const counts = await Promise.all(
    queues.map(async (QueueUrl) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line === 'settle') {
    // Quiet for a second, and nothing left in a consumed queue.
    for (let before = -1; before !== delivered() || (await queued()) > 0;) {
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
