/**
 * What IAM enforcement costs a function's call: the same DynamoDB GetItem, made with a function's own
 * credentials, against a local cloud with `--iam on` (through the judging proxy) and with `--iam off`
 * (straight to DynamoDB Local), side by side in one run, alternating so neither gets the warmer machine.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { fileURLToPath } from 'node:url';
import { startLocalCloud, type LocalCloud } from '@eightfold/local-cloud';
import { log, ms, percentile, SAMPLES, type Row } from './common.ts';

const APP = fileURLToPath(new URL('../test/fixtures/apps/iam-checks/', import.meta.url));
/** The per-call cost IAM may add at the median (the goal). */
const GOAL_P50_MS = 0.2;
const WARM_UP_CALLS = 2000;

/**
 * A client calling as the fixture's Counter function. Each read names another partition, as each order
 * does in Eightfold, so each is judged afresh (a decision is kept per role, action, resource and keys).
 */
function counterRead(cloud: LocalCloud): { read: () => Promise<unknown>; destroy: () => void } {
  const client = new DynamoDBClient({
    endpoint: cloud.endpoints.dynamodb,
    region: cloud.region,
    credentials: cloud.credentialsFor('Counter'),
  });
  const TableName = cloud.resource('Visits').physicalId;
  let n = 0;
  return {
    read: () => client.send(new GetItemCommand({ TableName, Key: { page: { S: `page-${n++}` } } })),
    destroy: () => client.destroy(),
  };
}

export async function iamFigures(rows: Row[]): Promise<void> {
  const on = await startLocalCloud({ appDir: APP, port: 0, iam: 'on', onLog: () => undefined });
  const off = await startLocalCloud({ appDir: APP, port: 0, iam: 'off', onLog: () => undefined });
  const readers = { on: counterRead(on), off: counterRead(off) };
  try {
    // Warm both paths as a running cloud is warm: DynamoDB Local's JIT and the proxy's code settle over the first thousand calls.
    for (let i = 0; i < WARM_UP_CALLS; i++) await Promise.all([readers.on.read(), readers.off.read()]);
    const samples = { on: [] as number[], off: [] as number[] };
    // Ten times the bench's sample count: a p99 of a few hundred calls is a handful of outliers, either way.
    for (let i = 0; i < SAMPLES * 10; i++) {
      for (const mode of i % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        const started = performance.now();
        await readers[mode].read();
        samples[mode].push(performance.now() - started);
      }
    }
    const p = (mode: 'on' | 'off', q: number) => percentile(samples[mode], q);
    const added50 = p('on', 50) - p('off', 50);
    log(`iam: GetItem p50 ${ms(p('on', 50))} on, ${ms(p('off', 50))} off`);
    rows.push(
      {
        figure: 'IAM: what enforcement adds to a function’s DynamoDB call, p50 (GetItem, judged by the proxy)',
        value: ms(added50),
        baseline: `the same call with --iam off: ${ms(p('off', 50))} (on: ${ms(p('on', 50))})`,
        ratio: `${(p('on', 50) / p('off', 50)).toFixed(2)}×`,
        goal: `≤ ${GOAL_P50_MS} ms added`,
        met: added50 <= GOAL_P50_MS,
      },
      {
        figure: 'IAM: what enforcement adds, p99',
        value: ms(p('on', 99) - p('off', 99)),
        baseline: `--iam off: ${ms(p('off', 99))} (on: ${ms(p('on', 99))})`,
        ratio: `${(p('on', 99) / p('off', 99)).toFixed(2)}×`,
      },
    );
  } finally {
    readers.on.destroy();
    readers.off.destroy();
    await Promise.all([on.stop(), off.stop()]);
  }
}
