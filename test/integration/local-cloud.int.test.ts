import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, SqsPoller, startLocalCloud, startupReport, type LocalCloud } from '@eightfold/local-cloud';
import { stackOutputs } from '../../scripts/stack-outputs.ts';
import { eventually } from '../helpers/eventually.ts';
import { FIXTURE_APP_DIR, ownAssemblyDir, PROJECT_DIR } from '../helpers/paths.ts';

const execFileAsync = promisify(execFile);
const API_KEY = 'fixture-api-key-0123456789abcdef';
/** The time scale is part of the synthesis. */
const outDir = ownAssemblyDir('kitchen-sink');

let cloud: LocalCloud;
let legacy: Server;
let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let sns: SNSClient;
const logs: string[] = [];
const legacyRequests: { method: string; url: string; body: string }[] = [];

const table = (logicalId: string) => cloud.resource(logicalId).physicalId;
const queueUrl = (logicalId: string) => cloud.resource(logicalId).physicalId;

async function auditItems(pk: string): Promise<Record<string, any>[]> {
  const { Items = [] } = await dynamodb.send(
    new QueryCommand({ TableName: table('Audit'), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } }),
  );
  return Items;
}

async function drain(logicalId: string, waitSeconds = 1): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl(logicalId),
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

beforeAll(async () => {
  legacy = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      legacyRequests.push({ method: req.method!, url: req.url!, body });
      res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': 'legacy' });
      res.end(JSON.stringify({ legacy: true, url: req.url }));
    });
  });
  await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
  cloud = await startLocalCloud({
    appDir: FIXTURE_APP_DIR,
    outDir,
    port: 0,
    parameters: { LegacyUrl: `http://127.0.0.1:${(legacy.address() as AddressInfo).port}` },
    timeScale: 60,
    onLog: (source, line) => logs.push(`[${source}] ${line}`),
  });
  const config = { region: cloud.region, credentials: LOCAL_CREDENTIALS };
  dynamodb = new DynamoDBClient({ ...config, endpoint: cloud.endpoints.dynamodb });
  sqs = new SQSClient({ ...config, endpoint: cloud.endpoints.snsSqs });
  sns = new SNSClient({ ...config, endpoint: cloud.endpoints.snsSqs });
});

afterAll(async () => {
  await cloud?.stop();
  legacy?.close();
  for (const client of [dynamodb, sqs, sns]) client?.destroy();
});

describe('a Cognito user pool behind a Lambda authorizer', () => {
  const issuer = () => String(cloud.resource('Users').attributes.ProviderURL);
  const mint = (body: unknown) =>
    fetch(`${issuer()}/local/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const whoami = (token?: string) => fetch(`${cloud.url}/whoami`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('is an OpenID Connect issuer at its ProviderURL, whose tokens the authorizer verifies by its JWKS', async () => {
    const discovery = (await (await fetch(`${issuer()}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    expect(discovery).toMatchObject({ issuer: issuer(), jwks_uri: `${issuer()}/.well-known/jwks.json` });
    expect(((await (await fetch(discovery.jwks_uri)).json()) as { keys: { alg: string }[] }).keys).toEqual([
      expect.objectContaining({ alg: 'RS256', kty: 'RSA' }),
    ]);
    const minted = await mint({ sub: 'ann', groups: ['operators'] });
    expect(minted.status).toBe(200);
    const { access_token: token } = (await minted.json()) as { access_token: string };
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: 'ann', iss: issuer(), token_use: 'access', 'cognito:groups': ['operators'] });
    const answer = await whoami(token);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ principalId: 'ann', groups: 'operators' });
  });

  it('answers 401 without a token, or with a forged one; mints none for a group the pool lacks', async () => {
    expect((await whoami()).status).toBe(401);
    const { access_token: token } = (await (await mint({ sub: 'bob' })).json()) as { access_token: string };
    const [header, , signature] = token.split('.');
    const claims = Buffer.from(JSON.stringify({ sub: 'bob', iss: issuer(), exp: 9_999_999_999, 'cognito:groups': ['operators'] })).toString(
      'base64url',
    );
    expect((await whoami(`${header}.${claims}.${signature}`)).status).toBe(401);
    expect((await mint({ sub: 'eve', groups: ['admins'] })).status).toBe(400);
  });
});

describe('API Gateway → Lambda → DynamoDB', () => {
  it('stores an item posted with the API key and serves it back', async () => {
    const created = await fetch(`${cloud.url}/items`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'api-1', kind: 'book', value: 'dune' }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: 'api-1' });

    const stored = await dynamodb.send(new GetItemCommand({ TableName: table('Items'), Key: { pk: { S: 'api-1' } } }));
    expect(stored.Item).toEqual({ pk: { S: 'api-1' }, kind: { S: 'book' }, value: { S: 'dune' } });

    const read = await fetch(`${cloud.url}/items/api-1`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ id: 'api-1', kind: 'book', value: 'dune' });
  });

  it('streams a response-streaming function’s answer, complete when it ends its stream though it works on', async () => {
    const item = async (run: string) =>
      (await dynamodb.send(new GetItemCommand({ TableName: table('Items'), Key: { pk: { S: `after-stream#${run}` } } }))).Item;
    // A warm sandbox first, its work after the stream done, so the run measured below pays no cold start.
    expect(await (await fetch(`${cloud.url}/streamed?run=warm-up`)).text()).toBe('part one, part two');
    await eventually(async () => expect(await item('warm-up')).toBeDefined(), { timeoutMs: 5_000 });
    const response = await fetch(`${cloud.url}/streamed?run=s1`);
    expect(response.status).toBe(201);
    expect(response.headers.get('x-streamed')).toBe('yes');
    expect(await response.text()).toBe('part one, part two');
    const completedAt = Date.now();
    // The function works on for 2 s after ending its stream; the client's response did not wait for it.
    const done = await eventually(
      async () => {
        const written = await item('s1');
        expect(written).toBeDefined();
        return Number(written!.doneAt!.N);
      },
      { timeoutMs: 10_000 },
    );
    expect(completedAt).toBeLessThan(done);
  });

  it('passes the REST proxy event (format 1.0) and returns single- and multi-value headers', async () => {
    const response = await fetch(`${cloud.url}/echo?a=1&a=2&b=x`, { method: 'PUT', headers: { 'X-Custom': 'yes' }, body: 'hello' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-multi')).toBe('a, b');
    const { event, env } = (await response.json()) as { event: any; env: any };
    expect(event).toMatchObject({
      resource: '/echo',
      path: '/echo',
      httpMethod: 'PUT',
      body: 'hello',
      isBase64Encoded: false,
      pathParameters: null,
      queryStringParameters: { a: '2', b: 'x' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
      requestContext: { stage: 'test', path: '/test/echo', resourcePath: '/echo', httpMethod: 'PUT', accountId: '000000000000' },
    });
    expect(event.headers['X-Custom']).toBe('yes');
    expect(event.multiValueHeaders['X-Custom']).toEqual(['yes']);
    expect(env).toEqual({ name: cloud.resource('ApiFunction').physicalId, region: cloud.region });
  });

  it('refuses a missing or wrong API key with 403 and the stack’s gateway response header', async () => {
    const attempts: Record<string, string>[] = [{}, { 'x-api-key': 'wrong' }];
    for (const headers of attempts) {
      const response = await fetch(`${cloud.url}/items`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ id: 'no-key', kind: 'k', value: 'v' }),
      });
      expect(response.status).toBe(403);
      expect(response.headers.get('x-served-by')).toBe('gateway');
      expect(await response.json()).toEqual({ message: 'Forbidden' });
    }
    const unchanged = await dynamodb.send(new GetItemCommand({ TableName: table('Items'), Key: { pk: { S: 'no-key' } } }));
    expect(unchanged.Item).toBeUndefined();
  });

  it('answers a method the resource lacks with 403 Missing Authentication Token', async () => {
    const response = await fetch(`${cloud.url}/items/api-1`, { method: 'DELETE' });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
  });

  it('maps a Lambda error and a malformed proxy response to 502', async () => {
    for (const path of ['/boom', '/malformed']) {
      const response = await fetch(`${cloud.url}${path}`);
      expect(response.status).toBe(502);
      expect(await response.json()).toEqual({ message: 'Internal server error' });
    }
  });

  it('answers 504 when the integration outlives its timeout', async () => {
    const started = Date.now();
    const response = await fetch(`${cloud.url}/slow`);
    expect(response.status).toBe(504);
    expect(await response.json()).toEqual({ message: 'Endpoint request timed out' });
    expect(Date.now() - started).toBeLessThan(1400);
    // API Gateway stops waiting; the function runs on to its end, as on AWS.
    await eventually(() => expect(cloud.functions.get(cloud.resource('ApiFunction').physicalId)!.inFlight).toBe(0));
  });

  it('answers 413 for a payload over API Gateway’s 10 MB limit, without invoking the function', async () => {
    const before = cloud.functions.get(cloud.resource('ApiFunction').physicalId)!.stats.invocations;
    const response = await fetch(`${cloud.url}/echo`, { method: 'POST', body: 'x'.repeat(10 * 1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(cloud.functions.get(cloud.resource('ApiFunction').physicalId)!.stats.invocations).toBe(before);
  });

  it('proxies every other route to the legacy URL (HTTP_PROXY on {proxy+}) with method, path, query and body', async () => {
    const response = await fetch(`${cloud.url}/catalog/products/sku-1?lang=en`, { method: 'POST', body: 'payload' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-served-by')).toBe('legacy');
    expect(await response.json()).toEqual({ legacy: true, url: '/catalog/products/sku-1?lang=en' });
    expect(legacyRequests.at(-1)).toEqual({ method: 'POST', url: '/catalog/products/sku-1?lang=en', body: 'payload' });
  });
});

describe('Lambda runtime', () => {
  it('enforces the function timeout and discards the timed-out sandbox', async () => {
    const outcome = await cloud.invoke('ApiFunction', { resource: '/slow', queryStringParameters: { ms: '5000' } });
    expect(outcome).toMatchObject({
      ok: false,
      kind: 'Timeout',
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 2.00 seconds' },
    });
  });

  it('reuses a warm sandbox: one cold start, then warm invocations', async () => {
    const runtime = cloud.functions.get(cloud.resource('TickFunction').physicalId)!;
    // The schedule keeps this function warm; two direct calls in a row must not add cold starts.
    await eventually(() => expect(runtime.stats.coldStarts).toBeGreaterThanOrEqual(1));
    const coldBefore = runtime.stats.coldStarts;
    const first = await cloud.invoke('TickFunction', { id: 'direct-1', 'detail-type': 'Direct', source: 'test', time: 'now' });
    const second = await cloud.invoke('TickFunction', { id: 'direct-2', 'detail-type': 'Direct', source: 'test', time: 'now' });
    expect(first.ok && second.ok).toBe(true);
    expect(second.coldStart).toBe(false);
    expect(runtime.stats.coldStarts - coldBefore).toBeLessThanOrEqual(1);
    expect(runtime.stats.initDurationsMs.every((ms) => ms > 0)).toBe(true);
  });
});

describe('DynamoDB stream → Lambda', () => {
  it('delivers inserted items, skips filtered events, and isolates a poison record to the on-failure queue', async () => {
    const put = (pk: string, value: string) =>
      dynamodb.send(new PutItemCommand({ TableName: table('Items'), Item: { pk: { S: pk }, kind: { S: 'stream' }, value: { S: value } } }));
    for (const [pk, value] of [
      ['s1', 'one'],
      ['s2', 'two'],
      ['s3', 'poison'],
      ['s4', 'four'],
      ['s5', 'five'],
    ] as const)
      await put(pk, value);
    await put('s1', 'one-modified'); // a MODIFY: filtered out by eventName = INSERT

    for (const pk of ['s1', 's2', 's4', 's5']) {
      const items = await eventually(async () => {
        const found = await auditItems(`stream#${pk}`);
        expect(found.length).toBeGreaterThan(0);
        return found;
      });
      // Redelivery after a bisect is harmless (keyed by sequence number); the MODIFY never arrives.
      expect(items.map((i) => i.eventName.S)).toEqual(['INSERT']);
    }
    expect(await auditItems('stream#s3')).toEqual([]);

    const failure = await eventually(async () => {
      const [message] = await drain('StreamFailures');
      expect(message).toBeDefined();
      return JSON.parse(message!.Body!);
    });
    expect(failure).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 },
      DDBStreamBatchInfo: { batchSize: 1, streamArn: cloud.resource('Items').attributes.StreamArn },
    });
    expect(failure.DDBStreamBatchInfo.startSequenceNumber).toBe(failure.DDBStreamBatchInfo.endSequenceNumber);
  });
});

describe('SNS → filtered SQS → Lambda', () => {
  it('processes matching messages, reports the failed one, and its redeliveries end in the DLQ', async () => {
    const attributes = (type: string) => ({ type: { DataType: 'String', StringValue: type } });
    for (let i = 0; i < 10; i++) {
      const body = JSON.stringify({ id: `w${i}`, fail: i === 7 });
      await sns.send(
        new PublishCommand({ TopicArn: cloud.resource('Events').physicalId, Message: body, MessageAttributes: attributes('order') }),
      );
    }
    await sns.send(
      new PublishCommand({
        TopicArn: cloud.resource('Events').physicalId,
        Message: JSON.stringify({ id: 'other' }),
        MessageAttributes: attributes('other'),
      }),
    );

    for (let i = 0; i < 10; i++) {
      if (i === 7) continue;
      const [item] = await eventually(async () => {
        const found = await auditItems(`work#w${i}`);
        expect(found).toHaveLength(1);
        return found;
      });
      expect(JSON.parse(item!.body.S)).toEqual({ id: `w${i}`, fail: false });
      expect(item!.type.S).toBe('order');
    }
    const dead = await eventually(
      async () => {
        const messages = await drain('WorkDlq');
        expect(messages).toHaveLength(1);
        return messages[0]!;
      },
      { timeoutMs: 30_000 },
    );
    expect(JSON.parse(dead.Body!)).toEqual({ id: 'w7', fail: true });
    expect(await auditItems('work#w7')).toEqual([]);
    expect(await auditItems('work#other')).toEqual([]);
  });

  it('takes five batches at a time while a queue has messages, as Lambda does, and goes back to two when it is quiet', async () => {
    const worker = cloud.functions.get(cloud.resource('WorkerFunction').physicalId)!;
    const poller = cloud.pollers.find((p) => p.config.functionArn === cloud.resource('WorkerFunction').physicalId);
    if (!(poller instanceof SqsPoller)) throw new Error('the worker’s mapping is not an SQS poller');
    worker.stats.peakConcurrency = 0;
    for (let batch = 0; batch < 6; batch++)
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl('Work'),
          Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: JSON.stringify({ id: `busy${batch * 10 + i}` }) })),
        }),
      );
    await eventually(async () => expect(await auditItems('work#busy59')).toHaveLength(1));
    await eventually(async () => {
      for (let i = 0; i < 60; i++) expect(await auditItems(`work#busy${i}`)).toHaveLength(1);
    });
    // Two pollers would hold it to two invocations at once; the function's own concurrency (4) caps the rest.
    expect(worker.stats.peakConcurrency).toBeGreaterThan(2);
    await eventually(() => expect(poller.batchesInFlight).toBe(2), { timeoutMs: 10_000 });
  });

  it('applies a filter policy on the message body', async () => {
    const topic = cloud.resource('Events').physicalId;
    await sns.send(new PublishCommand({ TopicArn: topic, Message: JSON.stringify({ kind: 'toy', n: 1 }) }));
    await sns.send(new PublishCommand({ TopicArn: topic, Message: JSON.stringify({ kind: 'gift', n: 2 }) }));
    const received = await eventually(async () => {
      const messages = await drain('Gifts');
      expect(messages.length).toBeGreaterThan(0);
      return messages;
    });
    expect(received.map((m) => JSON.parse(m.Body!))).toEqual([{ kind: 'gift', n: 2 }]);
    expect(await drain('Gifts', 1)).toEqual([]);
  });
});

describe('SNS FIFO → SQS FIFO → Lambda', () => {
  it('delivers each message group in order and drops a duplicate', async () => {
    const topic = cloud.resource('OrderedEvents').physicalId;
    for (let seq = 1; seq <= 8; seq++) {
      for (const group of ['g1', 'g2']) {
        await sns.send(new PublishCommand({ TopicArn: topic, Message: JSON.stringify({ group, seq }), MessageGroupId: group }));
      }
    }
    // Same body, same group: content-based deduplication drops it.
    await sns.send(new PublishCommand({ TopicArn: topic, Message: JSON.stringify({ group: 'g1', seq: 8 }), MessageGroupId: 'g1' }));
    for (const group of ['g1', 'g2']) {
      await eventually(async () => {
        const [item] = await auditItems(`ordered#${group}`);
        expect(item?.seqs.L.map((n: { N: string }) => Number(n.N))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      });
    }
    const poller = cloud.pollers.find((p) => p.config.functionArn === cloud.resource('OrderedFunction').physicalId)!;
    expect(poller.stats.records).toBe(16);
  });
});

describe('EventBridge schedule → Lambda', () => {
  it('fires the rate(1 minute) rule (time scaled ×60) with a scheduled event', async () => {
    const ticks = await eventually(async () => {
      const found = (await auditItems('tick')).filter((t) => t.detailType.S === 'Scheduled Event');
      expect(found.length).toBeGreaterThanOrEqual(2);
      return found;
    });
    expect(ticks[0]).toMatchObject({ source: { S: 'aws.events' } });
    expect(new Date(ticks[0]!.time.S).getTime()).not.toBeNaN();
  });
});

describe('CloudFormation DescribeStacks', () => {
  it('gives a table and its stream ARNs in the stack’s region, as CloudFormation would (DynamoDB Local names its own)', () => {
    const items = cloud.resource('Items');
    expect(items.attributes.Arn).toBe(`arn:aws:dynamodb:${cloud.region}:000000000000:table/${items.physicalId}`);
    expect(items.attributes.StreamArn).toMatch(
      new RegExp(`^arn:aws:dynamodb:${cloud.region}:000000000000:table/${items.physicalId}/stream/`),
    );
  });

  it('tells a stack’s outputs with API URLs pointing at the local gateway, and refuses an unknown stack', async () => {
    const config = { endpoint: cloud.endpoints.cloudformation, region: cloud.region, credentials: LOCAL_CREDENTIALS };
    const outputs = await stackOutputs('KitchenSink', config);
    expect(outputs).toEqual(cloud.outputs('KitchenSink'));
    const endpoint = outputs.ApiEndpoint4F160690!;
    expect(endpoint).toBe(`${cloud.url}/restapis/${cloud.resource('Api').physicalId}/test/_user_request_/`);
    const response = await fetch(`${endpoint}items/none`);
    expect(response.status).not.toBe(403); // routed to the API's GET /items/{id}, not refused as an unknown path
    expect(response.headers.get('content-type')).toMatch(/json/);
    await expect(stackOutputs('NoSuchStack', config)).rejects.toThrow('Stack with id NoSuchStack does not exist');
  });
});

describe('what the local cloud does not emulate', () => {
  it('starts without it: lists each such resource with why and what refers to it, and hands a placeholder out for it', () => {
    expect(cloud.notEmulated).toHaveLength(2);
    expect(cloud.notEmulated).toContainEqual({
      resource: 'KitchenSink/Uploads',
      type: 'AWS::S3::Bucket',
      reason: 'a type the local cloud does not emulate',
      referredToBy: ['KitchenSink/ApiFunction/ServiceRole/DefaultPolicy', 'KitchenSink/ApiFunction'],
    });
    expect(cloud.notEmulated).toContainEqual({
      resource: expect.stringMatching(/^KitchenSink\/Events\//),
      type: 'AWS::SNS::Subscription',
      reason: 'protocol "email": nothing is delivered locally (only "sqs" is)',
      referredToBy: [],
    });
    const apiFunction = cloud.functions.get(cloud.resource('ApiFunction').physicalId)!;
    expect(apiFunction.config.environment.UPLOADS_BUCKET).toMatch(/^not-emulated-[a-z0-9]+$/);
    expect(logs).toContainEqual(
      expect.stringMatching(
        /^\[local-cloud\] not emulated, started without: KitchenSink\/Uploads \(AWS::S3::Bucket: .*\); .*KitchenSink\/ApiFunction$/,
      ),
    );
    expect(startupReport(cloud)).toMatch(
      /\nKitchenSink\/Uploads +AWS::S3::Bucket +a type the local cloud does not emulate +KitchenSink\/ApiFunction\/ServiceRole\/DefaultPolicy, KitchenSink\/ApiFunction\n/,
    );
    // A key only encrypts, which has no local effect: the function whose environment it encrypts runs (see the schedule's test).
    expect(cloud.resource('EnvironmentKey').kind).toBe('no local effect');
    // Refused instead under strict: local-cloud-lifecycle.int.
  });
});

describe('queue URLs', () => {
  it('resolve on any machine: the SDK’s default SQS client, configured by the cloud’s environment alone, sends by one', async () => {
    const url = queueUrl('WorkDlq');
    expect(url).toBe(`${cloud.endpoints.snsSqs}/000000000000/${url.split('/').at(-1)}`);
    // A process of its own, so that nothing but the environment configures its client.
    const script = `import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
      const sqs = new SQSClient({});
      await sqs.send(new SendMessageCommand({ QueueUrl: process.argv[1], MessageBody: 'sent by a default client' }));`;
    const { stderr } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script, url], {
      cwd: PROJECT_DIR,
      env: { PATH: process.env.PATH, ...cloud.environment },
    });
    // The SDK warns when it sends to the queue URL's host rather than its endpoint: here they are one.
    expect(stderr).toBe('');
    expect((await drain('WorkDlq')).map((m) => m.Body)).toEqual(['sent by a default client']);
  });
});
