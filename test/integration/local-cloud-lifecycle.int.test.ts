import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, startLocalCloud, type LocalCloud } from '@eightfold/local-cloud';
import { eventually } from '../helpers/eventually.ts';
import { FIXTURE_APP_DIR } from '../helpers/paths.ts';
import { dynamoDbLocalProcesses } from '../helpers/processes.ts';

const API_KEY = 'fixture-api-key-0123456789abcdef';
const workDir = join(FIXTURE_APP_DIR, '..', '.tmp', `lifecycle-${process.pid}`);
const clouds: LocalCloud[] = [];

/** A private copy of the fixture app this file may edit (its own assembly: bundles name their source paths). */
function copyFixture(name: string): string {
  const dir = join(workDir, name);
  mkdirSync(dir, { recursive: true });
  cpSync(FIXTURE_APP_DIR, dir, { recursive: true, filter: (source) => !source.startsWith(join(FIXTURE_APP_DIR, 'cdk.out')) });
  return dir;
}

async function start(appDir: string, persistDir?: string): Promise<LocalCloud> {
  const cloud = await startLocalCloud({ appDir, port: 0, persistDir, onLog: () => undefined });
  clouds.push(cloud);
  return cloud;
}

async function putItem(cloud: LocalCloud, id: string): Promise<void> {
  const response = await fetch(`${cloud.url}/items`, {
    method: 'POST',
    headers: { 'x-api-key': API_KEY },
    body: JSON.stringify({ id, kind: 'k', value: `value of ${id}` }),
  });
  expect(response.status).toBe(201);
}

afterAll(async () => {
  await Promise.all(clouds.map((c) => c.stop()));
  rmSync(workDir, { recursive: true, force: true });
});

describe('reload (npm run dev)', () => {
  it('swaps only the changed function, keeps table data, and serves the new code', async () => {
    const appDir = copyFixture('reload');
    const cloud = await start(appDir);
    await putItem(cloud, 'kept');
    const apiFunction = cloud.resource('ApiFunction').physicalId;

    const source = join(appDir, 'lambdas/api.ts');
    writeFileSync(
      source,
      readFileSync(source, 'utf8').replace(
        "case '/echo':\n      return json(200, {",
        "case '/echo':\n      return json(200, { reloaded: true,",
      ),
    );
    const summary = await cloud.reload();

    expect(summary).toMatchObject({ synthCached: false, functionsChanged: [apiFunction], functionsAdded: [], functionsRemoved: [] });
    const echo = (await (await fetch(`${cloud.url}/echo`)).json()) as { reloaded?: boolean };
    expect(echo.reloaded).toBe(true);
    const kept = await fetch(`${cloud.url}/items/kept`);
    expect(await kept.json()).toEqual({ id: 'kept', kind: 'k', value: 'value of kept' });

    const again = await cloud.reload();
    expect(again).toMatchObject({ synthCached: true, functionsChanged: [] });
  });
});

describe('--persist', () => {
  it('keeps data across a restart without duplicating subscriptions or replaying stream records', async () => {
    const persistDir = join(workDir, 'data');
    const first = await start(FIXTURE_APP_DIR, persistDir);
    await putItem(first, 'durable');
    // The stream delivers the insert once before we stop.
    const streamFunction = first.resource('StreamFunction').physicalId;
    await eventually(() => expect(first.functions.get(streamFunction)!.stats.invocations).toBeGreaterThan(0));
    await first.stop();

    const second = await start(FIXTURE_APP_DIR, persistDir);
    const read = await fetch(`${second.url}/items/durable`);
    expect(await read.json()).toEqual({ id: 'durable', kind: 'k', value: 'value of durable' });

    const sns = new SNSClient({ region: second.region, credentials: LOCAL_CREDENTIALS, endpoint: second.endpoints.snsSqs });
    await sns.send(
      new PublishCommand({
        TopicArn: second.resource('Events').physicalId,
        Message: JSON.stringify({ id: 'once' }),
        MessageAttributes: { type: { DataType: 'String', StringValue: 'order' } },
      }),
    );
    sns.destroy();
    const workerFunction = second.functions.get(second.resource('WorkerFunction').physicalId)!;
    await eventually(() => expect(workerFunction.stats.invocations).toBeGreaterThan(0));
    const stream = second.pollers.find((p) => p.config.functionArn === second.resource('StreamFunction').physicalId)!;
    // Give the stream poller several polling rounds: the checkpoint must keep it from re-reading the insert.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(stream.stats.records).toBe(0);
    const workQueue = second.pollers.find((p) => p.config.functionArn === workerFunction.name)!;
    expect(workQueue.stats.records).toBe(1);
    // Each start takes a port of its own: the queues kept from the first are at the second's.
    expect(second.endpoints.snsSqs).not.toBe(first.endpoints.snsSqs);
    expect(second.resource('Work').physicalId).toMatch(new RegExp(`^${second.endpoints.snsSqs}/000000000000/`));
  });
});

describe('start-up errors', () => {
  it('under strict, names every resource type the local cloud cannot emulate, and leaves nothing running', async () => {
    // A hand-made "CDK app" whose synthesis writes a cloud assembly with types we do not emulate.
    const appDir = join(workDir, 'unsupported');
    mkdirSync(appDir, { recursive: true });
    const template = {
      Resources: {
        Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
        Bucket: { Type: 'AWS::S3::Bucket' },
        Table: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
          },
        },
      },
    };
    const manifest = {
      version: '48.0.0',
      artifacts: { Odd: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Odd.template.json' } } },
    };
    const script = `const fs = require('fs'); const out = process.env.CDK_OUTDIR; fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(out + '/manifest.json', ${JSON.stringify(JSON.stringify(manifest))});
fs.writeFileSync(out + '/Odd.template.json', ${JSON.stringify(JSON.stringify(template))});`;
    writeFileSync(join(appDir, 'synth.cjs'), script);
    writeFileSync(join(appDir, 'cdk.json'), JSON.stringify({ app: 'node synth.cjs', watch: { include: ['synth.cjs'] } }));

    const javaBefore = dynamoDbLocalProcesses({ startedBy: process.pid });
    const failure = startLocalCloud({ appDir, port: 0, strict: true, onLog: () => undefined });
    await expect(failure).rejects.toThrow(
      /cannot emulate these resources \(--strict\):\n {2}Odd\/Vpc \(AWS::EC2::VPC\)\n {2}Odd\/Bucket \(AWS::S3::Bucket\)\nWithout --strict, the app starts without them/,
    );
    expect(dynamoDbLocalProcesses({ startedBy: process.pid })).toEqual(javaBefore);
  });
});
