import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBuses, functionNotFound, PutEventsValidationError, type BusRule, type EventBusesDeps } from '../eventbridge/event-buses.ts';
import { atJsonPath } from '../json-path.ts';
import { targetInput, type BusEvent } from '../eventbridge/target-input.ts';

const EVENT: BusEvent = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING', sizes: [1, 2] },
};
const RULE = { name: 'example', arn: 'arn:aws:events:us-east-2:123456789012:rule/example' };
const transform = (InputTemplate: string) =>
  targetInput(
    { InputTransformer: { InputPathsMap: { instance: '$.detail.instance-id', state: '$.detail.state' }, InputTemplate } },
    EVENT,
    RULE,
  );

describe('a target’s input (EventBridge’s documented examples)', () => {
  it('is the event itself, a constant, or the part a JSON path selects', () => {
    expect(JSON.parse(targetInput({}, EVENT, RULE))).toEqual(EVENT);
    expect(targetInput({ Input: '{"fixed":true}' }, EVENT, RULE)).toBe('{"fixed":true}');
    expect(JSON.parse(targetInput({ InputPath: '$.detail' }, EVENT, RULE))).toEqual(EVENT.detail);
    expect(atJsonPath(EVENT, '$.detail.sizes[1]')).toBe(2);
    expect(atJsonPath(EVENT, '$.resources[*]')).toEqual(EVENT.resources);
    expect(atJsonPath(EVENT, '$.detail.missing')).toBeUndefined();
  });

  it('fills a template: quoted values raw inside strings, as JSON outside them, and minifies JSON', () => {
    expect(transform('"instance <instance> is in <state>"')).toBe('"instance i-0123456789 is in RUNNING"');
    expect(transform('{\n  "instance" : <instance>,\n  "state": <state>\n}')).toBe('{"instance":"i-0123456789","state":"RUNNING"}');
    expect(
      JSON.parse(transform('{ "instance": <instance>, "state": "<state>", "status": "instance \\"<instance>\\" is in <state>" }')),
    ).toEqual({
      instance: 'i-0123456789',
      state: 'RUNNING',
      status: 'instance "i-0123456789" is in RUNNING',
    });
    expect(JSON.parse(transform('{ "instance": <instance>, "state": [ 9, <state>, true ], "Transformed": "Yes" }'))).toEqual({
      instance: 'i-0123456789',
      state: [9, 'RUNNING', true],
      Transformed: 'Yes',
    });
  });

  it('knows the reserved variables; a path the event lacks leaves null', () => {
    const filled = JSON.parse(
      targetInput(
        {
          InputTransformer: {
            InputPathsMap: { gone: '$.detail.nothing' },
            InputTemplate: '{"arn": <aws.events.rule-arn>, "name": <aws.events.rule-name>, "event": <aws.events.event>, "gone": <gone>}',
          },
        },
        EVENT,
        RULE,
      ),
    ) as Record<string, any>;
    expect(filled).toMatchObject({ arn: RULE.arn, name: 'example', gone: null });
    expect(filled.event).toEqual(expect.objectContaining({ id: EVENT.id, source: 'aws.ec2' }));
    expect(filled.event.detail).toBeUndefined();
    expect(transform('"<aws.events.rule-name> triggered"')).toBe('"example triggered"');
  });
});

interface Sent {
  to: string;
  body: string;
  options?: Parameters<EventBusesDeps['sendToQueue']>[2];
}

function buses(rules: BusRule[], overrides: Partial<EventBusesDeps> = {}) {
  const sent: Sent[] = [];
  const invoked: { arn: string; payload: unknown }[] = [];
  const deps: EventBusesDeps = {
    region: 'us-east-1',
    accountId: '000000000000',
    timeScale: 1000,
    invokeFunction: async (arn, payload) => {
      invoked.push({ arn, payload });
      return { ok: true, payload: null, durationMs: 1, coldStart: false };
    },
    sendToQueue: async (to, body, options) => void sent.push({ to, body, options }),
    publishToTopic: async (to, body) => void sent.push({ to, body }),
    log: () => undefined,
    ...overrides,
  };
  const bus = new EventBuses(
    deps,
    new Map([
      ['default', 'arn:aws:events:us-east-1:000000000000:event-bus/default'],
      ['orders', 'arn:aws:events:us-east-1:000000000000:event-bus/orders'],
    ]),
    rules,
  );
  return { bus, sent, invoked };
}

const rule = (
  name: string,
  eventBusName: string,
  eventPattern: BusRule['eventPattern'],
  targets: BusRule['targets'],
  enabled = true,
): BusRule => ({
  name,
  arn: `arn:aws:events:us-east-1:000000000000:rule/${eventBusName}/${name}`,
  eventBusName,
  eventPattern,
  enabled,
  targets,
});
const queue = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
const placed = (total: number, bus?: string) => ({
  Source: 'shop.orders',
  DetailType: 'OrderPlaced',
  Detail: JSON.stringify({ id: `o-${total}`, total }),
  ...(bus ? { EventBusName: bus } : {}),
});

describe('PutEvents', () => {
  afterEach(() => vi.useRealTimers());

  it('routes each event to the enabled rules of its bus whose pattern it matches, and to each of their targets', async () => {
    const { bus, sent } = buses([
      rule('big', 'orders', { source: ['shop.orders'], detail: { total: [{ numeric: ['>=', 100] }] } }, [
        { Id: 'q', Arn: queue('big') },
        { Id: 't', Arn: 'arn:aws:sns:us-east-1:000000000000:big', InputPath: '$.detail.id' },
      ]),
      rule('all', 'orders', { source: ['shop.orders'] }, [{ Id: 'q', Arn: queue('all') }]),
      rule('off', 'orders', { source: ['shop.orders'] }, [{ Id: 'q', Arn: queue('off') }], false),
      rule('elsewhere', 'default', { source: ['shop.orders'] }, [{ Id: 'q', Arn: queue('default') }]),
    ]);
    const result = bus.putEvents([placed(150, 'orders'), placed(5, 'arn:aws:events:us-east-1:000000000000:event-bus/orders'), placed(7)]);
    expect(result.FailedEntryCount).toBe(0);
    await bus.settled();
    expect(
      sent.map((s) => `${s.to.split(':').at(-1)} ${s.body.startsWith('{') ? JSON.parse(s.body).detail.total : s.body}`).sort(),
    ).toEqual(['all 150', 'all 5', 'big "o-150"', 'big 150', 'default 7']);
    const [event] = sent.filter((s) => s.to === queue('big')).map((s) => JSON.parse(s.body));
    expect(event).toEqual({
      version: '0',
      id: result.Entries[0] && 'EventId' in result.Entries[0] ? result.Entries[0].EventId : 'missing',
      'detail-type': 'OrderPlaced',
      source: 'shop.orders',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: [],
      detail: { id: 'o-150', total: 150 },
    });
  });

  it('fails each invalid entry alone, with EventBridge’s code, and refuses a request of no or too many entries', () => {
    const { bus } = buses([]);
    const { FailedEntryCount, Entries } = bus.putEvents([
      { DetailType: 'x', Detail: '{}' },
      { Source: 'shop', Detail: '{}' },
      { Source: 'shop', DetailType: 'x', Detail: '[1]' },
      { Source: 'aws.ec2', DetailType: 'x', Detail: '{}' },
      { Source: 'shop', DetailType: 'x', Detail: '{}', EventBusName: 'nowhere' },
      placed(1),
    ]);
    expect(FailedEntryCount).toBe(5);
    expect(Entries.map((e) => ('ErrorCode' in e ? e.ErrorCode : 'ok'))).toEqual([
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'NotAuthorizedForSourceException',
      'ResourceNotFoundException',
      'ok',
    ]);
    expect(() => bus.putEvents([])).toThrow(PutEventsValidationError);
    expect(() => bus.putEvents(Array.from({ length: 11 }, () => placed(1)))).toThrow(PutEventsValidationError);
    expect(() => bus.putEvents([{ ...placed(1), Detail: JSON.stringify({ pad: 'x'.repeat(256 * 1024) }) }])).toThrow('over the limit');
  });
});

describe('a delivery that fails', () => {
  afterEach(() => vi.useRealTimers());
  const unavailable = () => Object.assign(new Error('SNS is down'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });

  it('is retried while the error is the service’s; it ends in the target’s dead-letter queue once the retries run out', async () => {
    let calls = 0;
    const { bus, sent } = buses(
      [
        rule('r', 'orders', { source: ['shop.orders'] }, [
          {
            Id: 'topic',
            Arn: 'arn:aws:sns:us-east-1:000000000000:t',
            RetryPolicy: { MaximumRetryAttempts: 2 },
            DeadLetterConfig: { Arn: queue('dlq') },
          },
        ]),
      ],
      {
        publishToTopic: async () => {
          calls++;
          throw unavailable();
        },
      },
    );
    bus.putEvents([placed(1, 'orders')]);
    await bus.settled();
    expect(calls).toBe(3);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toBe(queue('dlq'));
    expect(JSON.parse(sent[0]!.body)).toMatchObject({ source: 'shop.orders', detail: { total: 1 } });
    expect(sent[0]!.options?.attributes).toEqual({
      RULE_ARN: 'arn:aws:events:us-east-1:000000000000:rule/orders/r',
      TARGET_ARN: 'arn:aws:sns:us-east-1:000000000000:t',
      ERROR_CODE: 'ServiceUnavailable',
      ERROR_MESSAGE: 'SNS is down',
      RETRY_ATTEMPTS: '2',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
    });
    expect(bus.stats.get('r/topic')).toEqual({ delivered: 0, failedAttempts: 3, deadLettered: 1, dropped: 0 });
  });

  it('succeeds on a retry once the service is back', async () => {
    let calls = 0;
    const { bus, sent } = buses([rule('r', 'orders', { source: ['shop.orders'] }, [{ Id: 'q', Arn: queue('q') }])], {
      sendToQueue: async (to, body) => {
        if (++calls < 3) throw unavailable();
        sent.push({ to, body });
      },
    });
    bus.putEvents([placed(1, 'orders')]);
    await bus.settled();
    expect(sent.map((s) => s.to)).toEqual([queue('q')]);
    expect(bus.stats.get('r/q')).toEqual({ delivered: 1, failedAttempts: 2, deadLettered: 0, dropped: 0 });
  });

  it('is not retried when the target refuses it (a function that is not there); without a dead-letter queue it is dropped', async () => {
    const { bus, sent } = buses(
      [
        rule('r', 'orders', { source: ['shop.orders'] }, [
          { Id: 'gone', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:gone', DeadLetterConfig: { Arn: queue('dlq') } },
          { Id: 'gone-too', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:gone' },
        ]),
      ],
      { invokeFunction: (arn) => Promise.reject(functionNotFound(arn)) },
    );
    bus.putEvents([placed(1, 'orders')]);
    await bus.settled();
    expect(sent.map((s) => [s.to, s.options?.attributes?.ERROR_CODE, s.options?.attributes?.RETRY_ATTEMPTS])).toEqual([
      [queue('dlq'), 'ResourceNotFoundException', '0'],
    ]);
    expect(sent[0]!.options?.attributes).not.toHaveProperty('EXHAUSTED_RETRY_CONDITION');
    expect(bus.stats.get('r/gone-too')).toEqual({ delivered: 0, failedAttempts: 1, deadLettered: 0, dropped: 1 });
  });

  it('is refused by a resource policy that does not let the rule in: not retried, the dead-letter queue only if its own policy lets the rule in', async () => {
    const asked: string[] = [];
    const { bus, sent, invoked } = buses(
      [
        rule('r', 'orders', { source: ['shop.orders'] }, [
          { Id: 'closed', Arn: queue('closed'), DeadLetterConfig: { Arn: queue('dlq') } },
          { Id: 'closed-dlq', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:f', DeadLetterConfig: { Arn: queue('closed-dlq') } },
          { Id: 'open', Arn: 'arn:aws:sns:us-east-1:000000000000:open' },
        ]),
      ],
      {
        mayDeliver: (action, resourceArn, ruleArn) => {
          asked.push(`${action} ${resourceArn.split(':').at(-1)} ${ruleArn.split('/').at(-1)}`);
          return resourceArn.endsWith(':open') || resourceArn.endsWith(':dlq');
        },
      },
    );
    bus.putEvents([placed(1, 'orders')]);
    await bus.settled();
    expect(asked.sort()).toEqual([
      'lambda:InvokeFunction f r',
      'sns:Publish open r',
      'sqs:SendMessage closed r',
      'sqs:SendMessage closed-dlq r',
      'sqs:SendMessage dlq r',
    ]);
    expect(invoked).toEqual([]);
    expect(sent.map((s) => [s.to, s.options?.attributes?.ERROR_CODE, s.options?.attributes?.RETRY_ATTEMPTS]).sort()).toEqual([
      ['arn:aws:sns:us-east-1:000000000000:open', undefined, undefined],
      [queue('dlq'), 'AccessDeniedException', '0'],
    ]);
    expect(bus.stats.get('r/closed')).toEqual({ delivered: 0, failedAttempts: 1, deadLettered: 1, dropped: 0 });
    expect(bus.stats.get('r/closed-dlq')).toEqual({ delivered: 0, failedAttempts: 1, deadLettered: 0, dropped: 1 });
  });

  it('to a function that throws is Lambda’s to retry: three attempts, a second apart, then nothing more', async () => {
    vi.useFakeTimers();
    const attempts: number[] = [];
    const { bus } = buses(
      [rule('r', 'orders', { source: ['shop.orders'] }, [{ Id: 'f', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:f' }])],
      {
        invokeFunction: async () => {
          attempts.push(Date.now());
          return {
            ok: false,
            kind: 'Unhandled',
            error: { errorType: 'Error', errorMessage: 'boom', trace: [] },
            durationMs: 1,
            coldStart: false,
          };
        },
      },
    );
    bus.putEvents([placed(1, 'orders')]);
    await vi.advanceTimersByTimeAsync(5000);
    await bus.settled();
    expect(attempts.map((at) => at - attempts[0]!)).toEqual([0, 1000, 2000]);
    // Delivered: Lambda took the event; what became of it is the function's.
    expect(bus.stats.get('r/f')).toEqual({ delivered: 1, failedAttempts: 0, deadLettered: 0, dropped: 0 });
  });
});
