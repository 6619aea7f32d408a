import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { invocationLine } from '../invocation-line.ts';
import type { InvocationRecord, InvokeOutcome } from '../lambda/function-runtime.ts';
import { assertPortsFree, PortsInUseError, reservePort } from '../services/ports.ts';

const at = new Date('2026-12-05T10:04:10.250Z');
const line = (event: unknown, outcome: Partial<InvokeOutcome> & { payload?: unknown } = {}) =>
  invocationLine(
    {
      functionName: 'Stack-Fn',
      requestId: 'r',
      logStream: 's',
      event,
      outcome: { ok: true, payload: undefined, durationMs: 37.6, coldStart: false, ...outcome } as InvokeOutcome,
    } satisfies InvocationRecord,
    at,
  );

describe("npm start's line per invocation", () => {
  it('names what started it and how it ended: a route and its status, a batch and its failures, a schedule, an error', () => {
    expect(line({ httpMethod: 'POST', path: '/orders' }, { payload: { statusCode: 201 }, coldStart: true })).toBe(
      '10:04:10.250  POST /orders → 201  Stack-Fn  38 ms (cold)',
    );
    const sqs = {
      Records: [1, 2, 3].map(() => ({ eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:orders-q' })),
    };
    expect(line(sqs, { payload: { batchItemFailures: [{ itemIdentifier: 'a' }] } })).toBe(
      '10:04:10.250  sqs orders-q ×3 → 1 failed  Stack-Fn  38 ms',
    );
    const stream = { Records: [{ eventSource: 'aws:dynamodb', eventSourceARN: 'arn:aws:dynamodb:us-east-1:0:table/events/stream/2026' }] };
    expect(line(stream, { payload: { batchItemFailures: [] } })).toContain('stream events ×1 → ok');
    expect(line({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).toContain('schedule → ok');
    expect(line({ type: 'TOKEN', methodArn: 'arn' }, { payload: { policyDocument: { Statement: [{ Effect: 'Deny' }] } } })).toContain(
      'authorizer → Deny',
    );
    expect(
      line(
        {},
        {
          ok: false,
          kind: 'Timeout',
          error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 3.00 seconds', trace: [] },
        },
      ),
    ).toBe('10:04:10.250  invoke → Timeout: Sandbox.Timedout: Task timed out after 3.00 seconds  Stack-Fn  38 ms');
  });
});

describe('fixed ports', () => {
  it('names every port already taken, and passes free ones and 0 (any port)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const refusal = await assertPortsFree({ api: 0, dynamodb: port }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(PortsInUseError);
      expect((refusal as PortsInUseError).taken).toEqual([{ name: 'dynamodb', port }]);
      expect((refusal as Error).message).toBe(`port ${port} (dynamodb) already in use`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    await expect(assertPortsFree({ api: 0, dynamodb: port })).resolves.toBeUndefined();
  });

  it('holds a port until released, turning away whoever connects meanwhile rather than holding them', async () => {
    const held = await reservePort(0, '127.0.0.1');
    await expect(assertPortsFree({ api: held.port })).rejects.toBeInstanceOf(PortsInUseError);
    const closedByHolder = await new Promise<boolean>((resolve) => {
      const socket = connect({ port: held.port, host: '127.0.0.1' });
      socket.on('close', () => resolve(true));
      socket.on('error', () => undefined);
    });
    expect(closedByHolder).toBe(true);
    await held.release(); // does not wait on the client: it was never kept
    await expect(assertPortsFree({ api: held.port })).resolves.toBeUndefined();
  });
});
