/**
 * `npm run bench`: the local cloud's figures, each beside a baseline measured in the same run (or, for
 * event-source latency, beside the figure AWS publishes). Writes bench/results/ and the table in docs/benchmarks.md.
 *
 * BENCH_SAMPLES (default 300) sets the samples per latency figure.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, LOCAL_CREDENTIALS, resolveHandler, startDynamoDbLocal, startLocalCloud, synthesize } from '@eightfold/local-cloud';
import {
  AWS_PUBLISHED,
  LATENCY_APP,
  log,
  ms,
  percentile,
  ratio,
  ROOT,
  RUN_DATE,
  RUN_STAMP,
  s,
  SAMPLES,
  sleep,
  type Row,
} from './common.ts';
import { cpuFigures } from './cpu.ts';
import { eventStoreFigures, projectionLagFigures } from './event-store.ts';
import { pubSubFigures } from './pub-sub.ts';
import { circuitBreakerFigures } from './circuit-breaker.ts';
import { leaderElectionFigures } from './leader-election.ts';
import { shardingFigures } from './sharding.ts';
import { stranglerFigures } from './strangler.ts';
import { legacyMigrationFigures } from './legacy-migration.ts';
import { loadFigures } from './load.ts';
import { paymentFigures } from './payments.ts';
import { calibrate, calibrationLine } from './calibration.ts';
import { scaleFigures } from './scale.ts';
import { consecutiveRunsTable, lastFullRuns } from './consecutive.ts';
import { iamFigures } from './iam.ts';

/** Time from spawning `npm start`'s program to the first 200 on /health. */
async function bootToHealth(): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/local-cloud/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return performance.now() - started;
      if (performance.now() - started > 60_000) throw new Error('local cloud did not answer /health within 60 s');
      await sleep(20);
    }
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
  }
}

async function bootFigures(rows: Row[]): Promise<void> {
  const floorStarted = performance.now();
  const dynamo = await startDynamoDbLocal();
  const floor = performance.now() - floorStarted;
  await dynamo.stop();
  // A fresh clone has neither the synth cache nor the handler bundles.
  rmSync(join(ROOT, 'cdk.out/.local-cloud-inputs'), { force: true });
  rmSync(join(ROOT, 'node_modules/.cache/eightfold-bundles'), { recursive: true, force: true });
  const cold = await bootToHealth();
  const warm = await bootToHealth();
  log(`boot: cold ${s(cold)}, warm ${s(warm)}, DynamoDB Local alone ${s(floor)}`);
  rows.push(
    {
      figure: 'boot to first `/health`, synth cached (`npm start`)',
      value: s(warm),
      baseline: `DynamoDB Local JVM alone: ${s(floor)}`,
      ratio: ratio(warm, floor),
    },
    {
      figure: 'boot to first `/health`, fresh synth (fresh clone)',
      value: s(cold),
      baseline: `DynamoDB Local JVM alone: ${s(floor)}`,
      ratio: ratio(cold, floor),
    },
  );
}

async function apiHopFigures(rows: Row[]): Promise<void> {
  const cloud = await startLocalCloud({ appDir: ROOT, port: 0, iam: 'off', onLog: () => undefined });
  const environment = { ...process.env };
  try {
    const runtime = cloud.functions.get(cloud.resource('HealthFunction').physicalId)!;
    // The same bundled handler, imported into this process and called directly, in the function's
    // environment and with an unsampled trace header as the local runtime gives it (so its tracer does the
    // same work); the environment is put back afterwards, or later sections would think they run in Lambda.
    Object.assign(process.env, runtime.config.environment, {
      AWS_LAMBDA_LOG_LEVEL: 'WARN',
      _X_AMZN_TRACE_ID: 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0',
    });
    const { file, exportPath } = resolveHandler(runtime.config.codeDir, runtime.config.handler);
    const module = (await import(pathToFileURL(file).href)) as Record<string, (event: unknown, context: unknown) => Promise<unknown>>;
    const handler = module[exportPath[0]!]!;
    const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 10_000 };
    const event = { resource: '/health', path: '/health', httpMethod: 'GET', headers: {}, requestContext: {} };
    // Sub-millisecond figures need many samples and a long warm-up (JIT, sandboxes, keep-alive).
    const hopSamples = Math.max(SAMPLES, 2000);
    const measure = async (call: () => Promise<unknown>): Promise<number[]> => {
      for (let i = 0; i < 500; i++) await call();
      const samples: number[] = [];
      for (let i = 0; i < hopSamples; i++) {
        const t = performance.now();
        await call();
        samples.push(performance.now() - t);
      }
      return samples;
    };
    // node:http with keep-alive: the client's own cost stays small (fetch adds ~0.2 ms of its own).
    const agent = new Agent({ keepAlive: true });
    const get = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = request(`${cloud.url}/health`, { agent }, (res) => res.resume().on('end', resolve));
        req.on('error', reject).end();
      });
    const viaApi = await measure(get);
    agent.destroy();
    const viaWorker = await measure(() => cloud.invoke(runtime.name, event));
    const inProcess = await measure(() => handler(event, context));
    for (const p of [50, 99]) {
      const api = percentile(viaApi, p);
      const local = percentile(inProcess, p);
      log(`API hop p${p}: API ${ms(api)}, worker ${ms(percentile(viaWorker, p))}, in-process ${ms(local)}`);
      rows.push({
        figure: `API hop p${p}: \`GET /health\` through the local API Gateway`,
        value: ms(api),
        baseline: `same handler in-process: ${ms(local)} (worker invoke alone: ${ms(percentile(viaWorker, p))})`,
        ratio: ratio(api, local),
      });
    }
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
    Object.assign(process.env, environment);
    await cloud.stop();
  }
}

async function eventSourceFigures(rows: Row[]): Promise<void> {
  const arrivals = new Map<string, number>();
  const cloud = await startLocalCloud({
    appDir: LATENCY_APP,
    port: 0,
    iam: 'off',
    onLog: (_source, line) => {
      const json = line.slice(line.indexOf('{'));
      if (!json.startsWith('{"stamp"')) return;
      const { stamp, at } = JSON.parse(json) as { stamp: string; at: number };
      arrivals.set(stamp, at);
    },
  });
  const config = { region: cloud.region, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...config, endpoint: cloud.endpoints.dynamodb });
  const sqs = new SQSClient({ ...config, endpoint: cloud.endpoints.snsSqs });
  try {
    const run = async (name: string, send: (id: string) => Promise<unknown>): Promise<number[]> => {
      const sentAt = new Map<string, number>();
      for (let i = 0; i < SAMPLES + 20; i++) {
        const id = `${name}-${i}`;
        sentAt.set(id, Date.now());
        await send(id);
        await sleep(15); // one record at a time: this measures latency, not throughput
      }
      const deadline = Date.now() + 30_000;
      while ([...sentAt.keys()].some((id) => !arrivals.has(id)) && Date.now() < deadline) await sleep(50);
      // The first 20 warm the path (cold starts, shard discovery) and are not counted.
      return [...sentAt.entries()].slice(20).map(([id, at]) => {
        const arrived = arrivals.get(id);
        if (arrived === undefined) throw new Error(`${id} never reached its function`);
        return arrived - at;
      });
    };
    await sleep(1500); // let the stream poller find its shard (LATEST starts at the tip)
    const table = cloud.resource('Writes').physicalId;
    const stream = await run('stream', (id) => dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: id } } })));
    const queueUrl = cloud.resource('Messages').physicalId;
    const queue = await run('sqs', (id) => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: id })));
    for (const [label, samples, p50, p99] of [
      ['DynamoDB stream → handler', stream, AWS_PUBLISHED.streamP50, AWS_PUBLISHED.streamP99],
      ['SQS → handler', queue, AWS_PUBLISHED.sqsP50, AWS_PUBLISHED.sqsP99],
    ] as const) {
      const local50 = percentile(samples, 50);
      const local99 = percentile(samples, 99);
      log(`${label}: p50 ${ms(local50)}, p99 ${ms(local99)}`);
      rows.push(
        { figure: `${label} latency p50`, value: ms(local50), baseline: `AWS published: ${ms(p50)}`, ratio: ratio(local50, p50) },
        { figure: `${label} latency p99`, value: ms(local99), baseline: `AWS published: ${ms(p99)}`, ratio: ratio(local99, p99) },
      );
    }
  } finally {
    dynamodb.destroy();
    sqs.destroy();
    await cloud.stop();
  }
}

const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const date = RUN_DATE;
log(`machine: ${machine}; ${SAMPLES} samples per latency figure`);
await Promise.all([synthesize({ appDir: ROOT }), synthesize({ appDir: LATENCY_APP })]);
const sections: Record<string, (rows: Row[]) => Promise<void>> = {
  boot: bootFigures,
  'api-hop': apiHopFigures,
  'event-sources': eventSourceFigures,
  'event-store': eventStoreFigures,
  'projection-lag': projectionLagFigures,
  'pub-sub': pubSubFigures,
  'circuit-breaker': circuitBreakerFigures,
  'leader-election': leaderElectionFigures,
  sharding: shardingFigures,
  strangler: stranglerFigures,
  'legacy-migration': legacyMigrationFigures,
  payments: paymentFigures,
  load: loadFigures,
  cpu: cpuFigures,
  scale: scaleFigures,
  iam: iamFigures,
};
// BENCH_ONLY=event-store,projection-lag runs a subset (results saved; docs/benchmarks.md keeps the full table).
const only = process.env.BENCH_ONLY?.split(',');
const unknown = only?.filter((name) => !(name in sections)) ?? [];
if (unknown.length) throw new Error(`BENCH_ONLY names no section ${unknown.join(', ')}; the sections: ${Object.keys(sections).join(', ')}`);
const calibration = await calibrate();
log(calibrationLine(calibration));
const resultsDir = join(ROOT, 'bench/results');
mkdirSync(resultsDir, { recursive: true });
const header = `Measured ${date.slice(0, 10)} with \`npm run bench\` (BENCH_SAMPLES=${SAMPLES}) on ${machine}. ${calibrationLine(calibration)}`;
const tableOf = (rows: readonly Row[]) =>
  [
    '| figure | Eightfold | baseline, peer or limit | ratio | goal |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) => `| ${r.figure} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.goal ? `${r.goal}: ${r.met ? 'met' : '**missed**'}` : ''} |`,
    ),
  ].join('\n');
/** Pages that carry a section's own table, between `<!-- <section>:start -->` and `<!-- <section>:end -->`. */
const SECTION_PAGES: Record<string, string> = { scale: 'docs/scaling.md' };

/** Writes `content` between a page's `<!-- name:start -->` and `<!-- name:end -->` markers, or says it has none. */
function writeBetweenMarkers(page: string, name: string, content: string): void {
  const path = join(ROOT, page);
  const text = readFileSync(path, 'utf8');
  const markers = new RegExp(`<!-- ${name}:start -->[\\s\\S]*<!-- ${name}:end -->`);
  if (!markers.test(text)) return log(`${page} has no <!-- ${name}:start --> … <!-- ${name}:end --> markers; table not written there`);
  writeFileSync(
    path,
    text.replace(markers, () => `<!-- ${name}:start -->\n${content}\n<!-- ${name}:end -->`),
  );
}

const rows: (Row & { section: string })[] = [];
for (const [name, section] of Object.entries(sections)) {
  if (only && !only.includes(name)) continue;
  const sectionRows: Row[] = [];
  await section(sectionRows);
  rows.push(...sectionRows.map((row) => ({ ...row, section: name })));
  // Every run writes the table of each section it ran: a section-only run never leaves an older table standing.
  const sectionTable = `${header}\n\n${tableOf(sectionRows)}`;
  writeFileSync(join(resultsDir, `latest-${name}.md`), `${sectionTable}\n`);
  const page = SECTION_PAGES[name];
  if (page) writeBetweenMarkers(page, name, sectionTable);
}

const table = tableOf(rows);
writeFileSync(
  join(resultsDir, `${RUN_STAMP}.json`),
  JSON.stringify({ command: 'npm run bench', date, machine, host: hostname(), samples: SAMPLES, full: !only, calibration, rows }, null, 2) +
    '\n',
);
// After a full run, the goals over the last full runs, each run beside the others.
if (!only) {
  const consecutive = consecutiveRunsTable(lastFullRuns(resultsDir));
  writeFileSync(join(resultsDir, 'latest-consecutive.md'), `${consecutive}\n`);
  writeBetweenMarkers('docs/benchmarks.md', 'consecutive', consecutive);
}
if (!only) writeFileSync(join(resultsDir, 'latest.md'), `${header}\n\n${table}\n`);
if (!only) writeBetweenMarkers('docs/benchmarks.md', 'bench', `${header}\n\n${table}`);
process.stdout.write(`${header}\n\n${table}\n`);
