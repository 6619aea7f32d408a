/**
 * Small CDK apps of the kinds people run locally (test/fixtures/apps, one per service combination), each
 * started unmodified from its own directory and exercised as its README says. Their functions use
 * NodejsFunction's default bundling, which leaves the AWS SDK for the runtime to provide. One app runs at a
 * time.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, startLocalCloud, startupReport, type LocalCloud, type LocalCloudOptions } from '@eightfold/local-cloud';
import { eventually } from '../helpers/eventually.ts';

const APPS_DIR = fileURLToPath(new URL('../fixtures/apps/', import.meta.url));

interface RunningApp {
  cloud: LocalCloud;
  outputs: Record<string, string>;
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  sns: SNSClient;
  logs: CloudWatchLogsClient;
}

/**
 * Starts the app in test/fixtures/apps/`name` (stack `stackName`) for the tests of the calling describe block;
 * `options` may be a function, read when the app starts (after the block's earlier `beforeAll`s).
 */
function runApp(
  name: string,
  stackName: string,
  options: Partial<LocalCloudOptions> | (() => Partial<LocalCloudOptions>) = {},
): RunningApp {
  const app = {} as RunningApp;
  beforeAll(async () => {
    const cloud = await startLocalCloud({
      appDir: join(APPS_DIR, name),
      port: 0,
      onLog: () => undefined,
      ...(typeof options === 'function' ? options() : options),
    });
    const config = { region: cloud.region, credentials: LOCAL_CREDENTIALS };
    Object.assign(app, {
      cloud,
      outputs: cloud.outputs(stackName),
      dynamodb: new DynamoDBClient({ ...config, endpoint: cloud.endpoints.dynamodb }),
      sqs: new SQSClient({ ...config, endpoint: cloud.endpoints.snsSqs }),
      sns: new SNSClient({ ...config, endpoint: cloud.endpoints.snsSqs }),
      logs: new CloudWatchLogsClient({ ...config, endpoint: cloud.endpoints.logs }),
    });
  });
  afterAll(async () => {
    for (const client of [app.dynamodb, app.sqs, app.sns, app.logs]) client?.destroy();
    await app.cloud?.stop();
  });
  return app;
}

async function receive(app: RunningApp, queueUrl: string, waitSeconds = 1): Promise<Message[]> {
  const { Messages = [] } = await app.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

/** Receives from `queueUrl` until `count` messages have come (and no more are there), or fails. */
async function receiveAll(app: RunningApp, queueUrl: string, count: number): Promise<Message[]> {
  const messages: Message[] = [];
  await eventually(
    async () => {
      messages.push(...(await receive(app, queueUrl, 0)));
      expect(messages.length).toBeGreaterThanOrEqual(count);
    },
    { timeoutMs: 15_000 },
  );
  expect(await receive(app, queueUrl, 0)).toEqual([]);
  expect(messages).toHaveLength(count);
  return messages;
}

/** The bundle of the function `logicalId`: its entry file's text. */
function bundleOf(app: RunningApp, logicalId: string): string {
  const { codeDir } = app.cloud.functions.get(app.cloud.resource(logicalId).physicalId)!.config;
  const entry = readdirSync(codeDir).find((file) => /^index\.m?js$/.test(file))!;
  return readFileSync(join(codeDir, entry), 'utf8');
}

describe('notes-api: API Gateway → Lambda → DynamoDB', () => {
  const app = runApp('notes-api', 'NotesApi');
  const post = (body: unknown) => fetch(`${app.cloud.url}/notes`, { method: 'POST', body: JSON.stringify(body) });

  it('stores a posted note and serves it back by id; an unknown id is 404', async () => {
    const created = await post({ text: 'buy milk' });
    expect(created.status).toBe(201);
    const note = (await created.json()) as { id: string; text: string };
    expect(note).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), text: 'buy milk' });

    const read = await fetch(`${app.cloud.url}/notes/${note.id}`);
    expect([read.status, await read.json()]).toEqual([200, note]);
    expect((await fetch(`${app.cloud.url}/notes/nothing`)).status).toBe(404);
    // The URL its stack gives out is served too.
    expect((await fetch(`${app.outputs.ApiUrl!.replace(/\/$/, '')}/notes/${note.id}`)).status).toBe(200);
  });

  it('refuses a note without text with 400, and stores nothing', async () => {
    const { Count: before } = await app.dynamodb.send(new ScanCommand({ TableName: app.cloud.resource('Notes').physicalId }));
    const refused = await post({});
    expect([refused.status, await refused.json()]).toEqual([400, { message: 'text must be a non-empty string' }]);
    const { Count: after } = await app.dynamodb.send(new ScanCommand({ TableName: app.cloud.resource('Notes').physicalId }));
    expect(after).toBe(before);
  });

  it('runs a bundle that left the AWS SDK out, on the runtime’s SDK', () => {
    const bundle = bundleOf(app, 'NotesFunction');
    expect(bundle).toMatch(/require\("@aws-sdk\/lib-dynamodb"\)/);
    expect(bundle).not.toMatch(/DynamoDBDocumentClient extends/);
  });
});

describe('change-feed: DynamoDB Streams → Lambda → SNS', () => {
  const app = runApp('change-feed', 'ChangeFeed');

  it('announces an inserted order on the topic, as stored; an update is not announced', async () => {
    const TableName = app.outputs.OrdersTable!;
    await app.dynamodb.send(new PutItemCommand({ TableName, Item: { id: { S: 'o-1' }, amount: { N: '42' } } }));
    const [announced] = await eventually(async () => {
      const messages = await receive(app, app.outputs.FollowerUrl!);
      expect(messages).toHaveLength(1);
      return messages;
    });
    expect(JSON.parse(announced!.Body!)).toEqual({ id: 'o-1', amount: 42 });

    await app.dynamodb.send(
      new UpdateItemCommand({
        TableName,
        Key: { id: { S: 'o-1' } },
        UpdateExpression: 'SET amount = :a',
        ExpressionAttributeValues: { ':a': { N: '43' } },
      }),
    );
    const mapping = app.cloud.pollers.find((p) => p.config.functionArn === app.cloud.resource('Announce').physicalId)!;
    // The update's record has been read, and dropped by the mapping's filter.
    await eventually(() => expect(mapping.stats.filteredOut).toBe(1));
    expect(await receive(app, app.outputs.FollowerUrl!, 0)).toEqual([]);
    expect(bundleOf(app, 'Announce')).toMatch(/from\s*"@aws-sdk\/client-sns"/);
  });
});

describe('topic-worker: SNS → SQS → Lambda', () => {
  const app = runApp('topic-worker', 'TopicWorker');

  it('greets whoever a greeting names, in the function’s log; the queue’s filter policy drops other kinds', async () => {
    const publish = (name: string, kind: string) =>
      app.sns.send(
        new PublishCommand({
          TopicArn: app.outputs.TopicArn,
          Message: JSON.stringify({ name }),
          MessageAttributes: { kind: { DataType: 'String', StringValue: kind } },
        }),
      );
    await publish('Bob', 'farewell');
    await publish('Ada', 'greeting');
    const greetings = await eventually(async () => {
      const { events = [] } = await app.logs.send(
        new FilterLogEventsCommand({ logGroupName: app.outputs.GreeterLogGroup, filterPattern: '{ $.greeted = * }' }),
      );
      expect(events).toHaveLength(1);
      return events;
    });
    expect(JSON.parse(greetings[0]!.message!)).toEqual({ greeted: 'Ada', topic: expect.stringMatching(/Messages/) });
    // SNS applied the filter at publishing: the queue never held Bob's message.
    const mapping = app.cloud.pollers.find((p) => p.config.functionArn === app.cloud.resource('Greeter').physicalId)!;
    expect(mapping.stats.records).toBe(1);
  });
});

describe('queue-to-table: SQS → Lambda → DynamoDB', () => {
  const app = runApp('queue-to-table', 'QueueToTable');

  it('records each payment once, and moves a malformed message to the dead-letter queue after its second receive', async () => {
    const send = (body: string) => app.sqs.send(new SendMessageCommand({ QueueUrl: app.outputs.IncomingUrl, MessageBody: body }));
    const { MessageId: first } = await send(JSON.stringify({ id: 'p-1', amount: 12.5 }));
    await send('not a payment');
    const { MessageId: again } = await send(JSON.stringify({ id: 'p-1', amount: 12.5 })); // sent twice: recorded once

    const rejected = await eventually(
      async () => {
        const messages = await receive(app, app.outputs.RejectedUrl!);
        expect(messages).toHaveLength(1);
        return messages[0]!;
      },
      { timeoutMs: 30_000 },
    );
    expect(rejected.Body).toBe('not a payment');
    const { Items = [] } = await app.dynamodb.send(new ScanCommand({ TableName: app.outputs.PaymentsTable }));
    // Whichever copy came first (a standard queue keeps no order).
    expect(Items).toEqual([{ id: { S: 'p-1' }, amount: { N: '12.5' }, messageId: { S: expect.toBeOneOf([first, again]) } }]);
  });
});

describe('heartbeat: a scheduled Lambda', () => {
  // A minute passes every second.
  const app = runApp('heartbeat', 'Heartbeat', { timeScale: 60 });

  it('writes a beat for each scheduled event of its rate(1 minute) rule', async () => {
    const beats = await eventually(
      async () => {
        const { Items = [] } = await app.dynamodb.send(
          new QueryCommand({
            TableName: app.outputs.BeatsTable,
            KeyConditionExpression: '#s = :s',
            ExpressionAttributeNames: { '#s': 'source' },
            ExpressionAttributeValues: { ':s': { S: 'aws.events' } },
          }),
        );
        expect(Items.length).toBeGreaterThanOrEqual(2);
        return Items;
      },
      { timeoutMs: 10_000 },
    );
    const rule = app.cloud.resource('EveryMinute').attributes.Arn;
    for (const beat of beats) expect(beat.rule!.S).toBe(rule);
    expect(new Set(beats.map((b) => b.at!.S)).size).toBe(beats.length);
  });
});

describe('order-events: EventBridge buses, rules and targets', () => {
  const app = runApp('order-events', 'OrderEvents', { timeScale: 60 });
  let events: EventBridgeClient;
  beforeAll(() => {
    events = new EventBridgeClient({ region: app.cloud.region, credentials: LOCAL_CREDENTIALS, endpoint: app.cloud.endpoints.eventbridge });
  });
  afterAll(() => events?.destroy());
  const put = async (...entries: PutEventsRequestEntry[]) => {
    const result = await events.send(new PutEventsCommand({ Entries: entries }));
    expect(result.FailedEntryCount).toBe(0);
    return result;
  };
  const order = (id: string, total: number, DetailType = 'OrderPlaced'): PutEventsRequestEntry => ({
    EventBusName: app.outputs.BusName,
    Source: 'shop.orders',
    DetailType,
    Detail: JSON.stringify({ id, total }),
  });
  const bodies = (messages: Message[]) => messages.map((m) => JSON.parse(m.Body!) as Record<string, any>);

  it('routes each put event to every rule its pattern matches: a function, a transformed queue input, a topic', async () => {
    await put(order('o-1', 150), order('o-2', 20));
    // Only the big order passes the numeric pattern, its input transformed.
    expect(bodies(await receiveAll(app, app.outputs.BigOrdersUrl!, 1))).toEqual([{ order: 'o-1', total: 150, note: 'order o-1 is big' }]);
    // The topic gets the detail alone (InputPath), for its follower.
    expect(bodies(await receiveAll(app, app.outputs.AnnouncedUrl!, 2)).sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'o-1', total: 150 },
      { id: 'o-2', total: 20 },
    ]);
    // The function got each whole event, stored the order, and put an event of its own, which its rule routed.
    const recordedEvents = bodies(await receiveAll(app, app.outputs.RecordedEventsUrl!, 2));
    expect(recordedEvents.map((e) => [e.source, e['detail-type'], e.detail.id]).sort()).toEqual([
      ['shop.recorder', 'OrderRecorded', 'o-1'],
      ['shop.recorder', 'OrderRecorded', 'o-2'],
    ]);
    const { Item } = await app.dynamodb.send(new GetItemCommand({ TableName: app.outputs.RecordedTable, Key: { id: { S: 'o-1' } } }));
    expect(Item).toMatchObject({ total: { N: '150' }, eventId: { S: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
  });

  it('puts an event without a bus on the default bus, whose rules alone see it', async () => {
    await put({ Source: 'shop.audit', DetailType: 'Checked', Detail: JSON.stringify({ by: 'test' }) });
    const [audited] = bodies(await receiveAll(app, app.outputs.AuditTrailUrl!, 1));
    expect(audited).toMatchObject({ source: 'shop.audit', 'detail-type': 'Checked', detail: { by: 'test' }, account: '000000000000' });
  });

  it('refuses an invalid entry alone, with EventBridge’s error code, and delivers the rest', async () => {
    const { FailedEntryCount, Entries = [] } = await events.send(
      new PutEventsCommand({
        Entries: [
          { ...order('o-9', 1), Detail: 'not json' },
          { Source: 'shop.audit', DetailType: 'Checked', Detail: '{}' },
        ],
      }),
    );
    expect(FailedEntryCount).toBe(1);
    expect(Entries[0]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    expect(Entries[1]!.EventId).toMatch(/^[0-9a-f-]{36}$/);
    await receiveAll(app, app.outputs.AuditTrailUrl!, 1);
  });

  it('sends an event whose target is not there to the dead-letter queue at once, saying why', async () => {
    await put(order('o-3', 5, 'OrderCancelled'));
    const [dead] = await receiveAll(app, app.outputs.UndeliveredUrl!, 1);
    expect(JSON.parse(dead!.Body!)).toMatchObject({ 'detail-type': 'OrderCancelled', detail: { id: 'o-3' } });
    const attributes = Object.fromEntries(Object.entries(dead!.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]));
    expect(attributes).toMatchObject({
      RULE_ARN: app.cloud.resource('Misrouted').attributes.Arn,
      TARGET_ARN: expect.stringMatching(/:no-such-topic$/),
      RETRY_ATTEMPTS: '0',
    });
    expect(attributes).not.toHaveProperty('EXHAUSTED_RETRY_CONDITION');
  });

  it('retries a delivery while SNS is down, and after its two retries moves the event to the dead-letter queue', async () => {
    app.cloud.setServiceDown('sns', true);
    try {
      await put(order('o-4', 30));
      const [dead] = await receiveAll(app, app.outputs.UndeliveredUrl!, 1);
      expect(JSON.parse(dead!.Body!)).toMatchObject({ detail: { id: 'o-4' } });
      expect(dead!.MessageAttributes).toMatchObject({
        RETRY_ATTEMPTS: { StringValue: '2' },
        EXHAUSTED_RETRY_CONDITION: { StringValue: 'MaximumRetryAttempts' },
      });
    } finally {
      app.cloud.setServiceDown('sns', false);
    }
    expect(app.cloud.eventBuses.stats.get(`${app.cloud.resource('OrderPlaced').physicalId}/Target1`)).toMatchObject({
      failedAttempts: 3,
      deadLettered: 1,
    });
    // The other target of the rule, the function, was not held up by it.
    const { Item } = await app.dynamodb.send(new GetItemCommand({ TableName: app.outputs.RecordedTable, Key: { id: { S: 'o-4' } } }));
    expect(Item).toBeDefined();
  });
});

describe('api-integrations: API Gateway calling services through mapping templates', () => {
  let quotes: Server;
  const quotesRequests: { url: string; client?: string }[] = [];
  beforeAll(async () => {
    quotes = createServer((req, res) => {
      quotesRequests.push({ url: req.url!, client: req.headers['x-api-client'] as string | undefined });
      const symbol = /^\/prices\/([A-Z]+)$/.exec(req.url!)?.[1];
      if (symbol !== 'ACME') return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"unknown"}');
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-source': 'stand-in exchange' })
        .end(JSON.stringify({ ticker: symbol, last: 12.5 }));
    });
    await new Promise<void>((resolve) => quotes.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => quotes?.close());
  const app = runApp('api-integrations', 'ApiIntegrations', () => ({
    parameters: { QuotesUrl: `http://127.0.0.1:${(quotes.address() as AddressInfo).port}` },
  }));
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${app.cloud.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any>, headers: response.headers };
  };

  it('queues a posted order with SQS SendMessage, answering the message id its response template picks', async () => {
    const queued = await call('POST', '/orders', { id: 'o-1', total: 3 });
    expect(queued).toMatchObject({ status: 202, body: { queued: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
    const [message] = await receiveAll(app, app.outputs.OrdersUrl!, 1);
    expect([message!.MessageId, JSON.parse(message!.Body!)]).toEqual([queued.body.queued, { id: 'o-1', total: 3 }]);
  });

  it('refuses a content type the integration has no template for (passthrough NEVER) with 415, and queues nothing', async () => {
    const response = await fetch(`${app.cloud.url}/orders`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect([response.status, await response.json()]).toEqual([415, { message: 'Unsupported Media Type' }]);
    expect(await receive(app, app.outputs.OrdersUrl!, 0)).toEqual([]);
  });

  it('publishes the request body with SNS Publish', async () => {
    expect(await call('POST', '/notices', { text: 'closing early' })).toMatchObject({ status: 200, body: { published: true } });
    const [notice] = await receiveAll(app, app.outputs.NoticedUrl!, 1);
    expect(JSON.parse(notice!.Body!)).toEqual({ text: 'closing early' });
  });

  it('stores and reads an item with DynamoDB PutItem and GetItem; a missing one is 404 by the response template', async () => {
    expect(await call('PUT', '/items/i-1', { name: 'a "quoted" name' })).toMatchObject({ status: 200, body: { id: 'i-1', stored: true } });
    const { Item } = await app.dynamodb.send(new GetItemCommand({ TableName: app.outputs.ItemsTable, Key: { id: { S: 'i-1' } } }));
    expect(Item).toEqual({ id: { S: 'i-1' }, name: { S: 'a "quoted" name' } });
    expect(await call('GET', '/items/i-1')).toMatchObject({ status: 200, body: { id: 'i-1', name: 'a "quoted" name' } });
    expect(await call('GET', '/items/i-2')).toMatchObject({ status: 404, body: { message: 'no item i-2' } });
  });

  it('invokes a function with the request template’s event; its error message selects a 400', async () => {
    expect(await call('POST', '/sum', { numbers: [1, 2, 3.5] })).toMatchObject({ status: 200, body: { sum: 6.5, caller: '127.0.0.1' } });
    expect(await call('POST', '/sum', { numbers: 'many' })).toMatchObject({
      status: 400,
      body: { message: 'Bad input: numbers must be an array of numbers' },
    });
  });

  it('calls an HTTP backend with the mapped path and headers, reshapes its answer, and maps its 404', async () => {
    const found = await call('GET', '/quotes/ACME');
    expect([found.status, found.body, found.headers.get('x-quote-source')]).toEqual([
      200,
      { symbol: 'ACME', price: 12.5 },
      'stand-in exchange',
    ]);
    expect(await call('GET', '/quotes/NOPE')).toMatchObject({ status: 404, body: { message: 'no such symbol' } });
    expect(quotesRequests).toEqual([
      { url: '/prices/ACME', client: 'api-integrations' },
      { url: '/prices/NOPE', client: 'api-integrations' },
    ]);
  });
});

describe('iam-checks: IAM enforced (the default, --iam on)', () => {
  const lines: string[] = [];
  const app = runApp('iam-checks', 'IamChecks', { onLog: (source, line) => lines.push(`[${source}] ${line}`) });

  describe('on DynamoDB', () => {
    const call = async (method: string, path: string) => {
      const response = await fetch(`${app.cloud.url}${path}`, { method });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };

    it('refuses a write the function’s role was not granted, as AWS does, naming the role, the action and the table; reads go on', async () => {
      const table = app.cloud.resource('Visits');
      const refused = await call('POST', '/visits/home');
      expect(refused).toEqual({
        status: 500,
        body: {
          error: 'AccessDeniedException',
          message: expect.stringMatching(
            new RegExp(
              `^User: arn:aws:sts::000000000000:assumed-role/[\\w-]+/${app.cloud.resource('Counter').physicalId} is not authorized to perform: ` +
                `dynamodb:UpdateItem on resource: ${table.attributes.Arn} because no identity-based policy allows the dynamodb:UpdateItem action$`,
            ),
          ),
        },
      });
      expect(await call('GET', '/visits/home')).toEqual({ status: 200, body: { visits: 0 } });
      // Nothing was written.
      const { Count } = await app.dynamodb.send(new ScanCommand({ TableName: table.physicalId }));
      expect(Count).toBe(0);
      expect(startupReport(app.cloud)).toContain('IAM: on.');

      // Of what grantReadData gave, the run used GetItem alone: the rest is listed as unused.
      const report = (await (await fetch(`${app.cloud.endpoints.iamReport}/unused-grants`)).json()) as {
        mode: string;
        unusedGrants: { role: string; actions: string[] }[];
      };
      const counterRole = report.unusedGrants.find((g) => g.role.includes('CounterServiceRole'))!;
      expect(report.mode).toBe('on');
      expect(counterRole.actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem']));
      expect(counterRole.actions).not.toContain('dynamodb:GetItem');
      expect(app.cloud.unusedGrants()).toEqual(report.unusedGrants);
    });

    it('holds a role to the partitions its dynamodb:LeadingKeys condition names', async () => {
      const TableName = app.cloud.resource('Tenants').physicalId;
      for (const tenant of ['tenant-a', 'tenant-b']) {
        await app.dynamodb.send(new PutItemCommand({ TableName, Item: { tenant: { S: tenant }, plan: { S: 'pro' } } }));
      }
      expect(await call('GET', '/tenants/tenant-a')).toMatchObject({ status: 200, body: { tenant: { S: 'tenant-a' } } });
      expect(await call('GET', '/tenants/tenant-b')).toMatchObject({
        status: 500,
        body: { error: 'AccessDeniedException', message: expect.stringContaining('dynamodb:GetItem on resource') },
      });
    });
  });

  describe('on SSM, SNS and SQS', () => {
    it('lets a function publish to the topic it was granted, and refuses it the queue it was not', async () => {
      const post = async (to: string) => {
        const response = await fetch(`${app.cloud.url}/messages/${to}`, { method: 'POST', body: '{"hello":1}' });
        return { status: response.status, body: (await response.json()) as Record<string, any> };
      };
      expect(await post('topic')).toEqual({ status: 202, body: {} });
      const refused = await post('queue');
      expect(refused.status).toBe(500);
      expect(refused.body.message).toMatch(
        /Messenger.* is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:[^:]+:000000000000:IamChecks-Jobs/,
      );
      expect(await receive(app, app.cloud.resource('Jobs').physicalId, 0)).toEqual([]);
    });

    it('answers a parameter the role was granted, and refuses the other', async () => {
      const read = async (name: string) => {
        const response = await fetch(`${app.cloud.url}/config/${name}`);
        return { status: response.status, body: (await response.json()) as Record<string, any> };
      };
      expect(await read('shared')).toEqual({ status: 200, body: { value: 'for everyone' } });
      expect(await read('private')).toEqual({
        status: 500,
        body: {
          error: 'AccessDeniedException',
          message: expect.stringMatching(
            /ConfigReader.* is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:[^:]+:000000000000:parameter\/iam-checks\/private /,
          ),
        },
      });
    });
  });

  describe('resource policies (Lambda permissions, queue policies)', () => {
    it('lets API Gateway invoke a function only for the methods its permissions name', async () => {
      const counter = app.cloud.functions.get(app.cloud.resource('Counter').physicalId)!;
      const invocationsBefore = counter.stats.invocations;
      expect((await fetch(`${app.cloud.url}/visits/home`)).status).toBe(200);
      // The permission names the method's resource, whatever trailing slash the request carries.
      expect((await fetch(`${app.cloud.url}/visits/home/`)).status).toBe(200);
      const refused = await fetch(`${app.cloud.url}/unpermitted`);
      expect([refused.status, await refused.json()]).toEqual([500, { message: 'Internal server error' }]);
      expect(lines).toContainEqual(
        expect.stringMatching(/^\[api-gateway\] Execution failed due to configuration error: Invalid permissions on Lambda function /),
      );
      expect(counter.stats.invocations - invocationsBefore).toBe(2);
    });

    it('lets API Gateway invoke an authorizer only as its permission names it, and call a service only as the integration’s role may', async () => {
      const get = async (path: string) => {
        const response = await fetch(`${app.cloud.url}${path}`, { headers: { authorization: 'token-1' } });
        return [response.status, await response.json()];
      };
      expect(await get('/guarded/home')).toEqual([200, { visits: 0 }]);
      // The authorizer's permission was removed: API Gateway cannot invoke it, and the method's function is never reached.
      const gatekeeper = app.cloud.functions.get(app.cloud.resource('Gatekeeper').physicalId)!;
      expect(await get('/closed/home')).toEqual([500, { message: null }]);
      expect(gatekeeper.stats.invocations).toBe(1);
      expect(lines).toContainEqual(
        expect.stringMatching(/^\[api-gateway\] Authorizer \w*ClosedGate\w* failed: Invalid permissions on Lambda function$/),
      );

      // The integration's role was granted the topic, not the queue: SQS refuses the call it makes as that role.
      const queued = await fetch(`${app.cloud.url}/jobs`, { method: 'POST', body: '{"job":1}' });
      expect([queued.status, await queued.json()]).toEqual([403, { message: 'refused' }]);
      expect(await receive(app, app.cloud.resource('Jobs').physicalId, 0)).toEqual([]);
    });

    it('lets SNS deliver only to the queue whose policy lets the topic in; the other subscription gets nothing, and the log names it', async () => {
      const [inbox, unpermitted] = ['Inbox', 'UnpermittedInbox'].map((id) => app.cloud.resource(id));
      expect((await fetch(`${app.cloud.url}/messages/topic`, { method: 'POST', body: '{"hello":2}' })).status).toBe(202);
      // Inbox has what the earlier test published too: each message is read once (it stays invisible after).
      const delivered: Record<string, unknown>[] = [];
      await eventually(async () => {
        delivered.push(...(await receive(app, inbox!.physicalId)).map((m) => JSON.parse(m.Body!) as Record<string, unknown>));
        expect(delivered).toContainEqual(expect.objectContaining({ Message: '{"hello":2}' }));
      });
      expect(delivered.every((message) => message.TopicArn === app.cloud.resource('Alerts').physicalId)).toBe(true);
      expect(await receive(app, unpermitted!.physicalId, 0)).toEqual([]);
      expect(lines).toContainEqual(
        `[iam] sns.amazonaws.com may not sqs:SendMessage on ${unpermitted!.attributes.Arn} for ${app.cloud.resource('Alerts').physicalId}: no statement of the resource's policy allows it`,
      );
    });

    it('lets a rule deliver only to targets whose policies let it in; a refused one is not retried, and lands in its dead-letter queue', async () => {
      const events = new EventBridgeClient({
        region: app.cloud.region,
        credentials: LOCAL_CREDENTIALS,
        endpoint: app.cloud.endpoints.eventbridge,
      });
      try {
        const put = await events.send(new PutEventsCommand({ Entries: [{ Source: 'iam-checks', DetailType: 'ping', Detail: '{"n":1}' }] }));
        expect(put.FailedEntryCount).toBe(0);
      } finally {
        events.destroy();
      }
      const [deadLetter] = await eventually(async () => {
        const messages = await receive(app, app.cloud.resource('EventDeadLetters').physicalId);
        expect(messages).toHaveLength(1);
        return messages;
      });
      expect(deadLetter!.MessageAttributes).toMatchObject({
        ERROR_CODE: { StringValue: 'AccessDeniedException' },
        RETRY_ATTEMPTS: { StringValue: '0' },
        TARGET_ARN: { StringValue: app.cloud.resource('UnpermittedInbox').attributes.Arn },
      });
      const [forwarded] = await receive(app, app.cloud.resource('Inbox').physicalId);
      expect(JSON.parse(forwarded!.Body!)).toMatchObject({ source: 'iam-checks', 'detail-type': 'ping', detail: { n: 1 } });
      expect(await receive(app, app.cloud.resource('UnpermittedInbox').physicalId, 0)).toEqual([]);
    });
  });
});

describe('iam-checks under --iam report', () => {
  const lines: string[] = [];
  const app = runApp('iam-checks', 'IamChecks', { iam: 'report', onLog: (source, line) => lines.push(`[${source}] ${line}`) });

  it('lets the refused write through, and logs that IAM would have refused it', async () => {
    expect((await fetch(`${app.cloud.url}/visits/home`, { method: 'POST' })).status).toBe(204);
    expect(lines).toContainEqual(expect.stringMatching(/^\[iam\] iam \(report\): would deny: User: .* dynamodb:UpdateItem on resource: /));
    expect(startupReport(app.cloud)).toContain('IAM: report.');
  });
});
