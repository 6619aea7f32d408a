import { describe, expect, it } from 'vitest';
import {
  Ambassador,
  isOutboundError,
  PolicySource,
  RetryBudget,
  type AttemptRecord,
  type OutboundPolicy,
} from '../../lambdas/patterns/ambassador/index.ts';
import { DistributedCircuitBreaker, isBrokenCircuitError, MemoryBreakerStore } from '../../lambdas/patterns/circuit-breaker/index.ts';

const POLICY: OutboundPolicy = {
  provider: {
    baseUrl: 'http://provider.test/api',
    timeoutMs: 100,
    maxAttempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 5,
    retryBudgetRatio: 1,
    minRetriesPerSecond: 10,
    authSecret: 'token-secret',
  },
};

/** A fake target: answers in order from `script` ('timeout' never answers), recording each request. */
function fakeFetch(script: (number | 'timeout')[]) {
  const requests: { url: string; headers: Record<string, string>; body?: string }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    requests.push({ url, headers: init.headers as Record<string, string>, body: init.body as string | undefined });
    const next = script.shift() ?? 200;
    if (next === 'timeout') return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    return new Response(JSON.stringify({ status: next }), { status: next });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

function ambassador(script: (number | 'timeout')[], policy = POLICY) {
  const target = fakeFetch(script);
  const attempts: AttemptRecord[] = [];
  const subject = new Ambassador({
    target: 'provider',
    policies: new PolicySource({ load: async () => policy }),
    readSecret: async () => 's3cret',
    pinnedHost: 'provider.test',
    onAttempt: (a) => attempts.push(a),
    fetch: target.fetch,
  });
  return { subject, requests: target.requests, attempts };
}

describe('Ambassador', () => {
  it('adds the base URL, auth, correlation id and an idempotency key, and logs no secret', async () => {
    const { subject, requests, attempts } = ambassador([201]);
    const response = await subject.send({ method: 'POST', path: '/charges', body: { amountCents: 5 }, correlationId: 'corr-1' });
    expect(response).toEqual({ status: 201, body: { status: 201 } });
    expect(requests[0]).toMatchObject({ url: 'http://provider.test/api/charges', body: '{"amountCents":5}' });
    expect(requests[0]!.headers).toMatchObject({
      authorization: 'Bearer s3cret',
      'x-correlation-id': 'corr-1',
      'idempotency-key': expect.any(String),
      'content-type': 'application/json',
    });
    expect(attempts).toEqual([expect.objectContaining({ target: 'provider', outcome: 'success', status: 201, attempt: 1 })]);
    expect(JSON.stringify(attempts)).not.toContain('s3cret');
  });

  it('never sends the secret to a host it is not pinned to: a base URL changed in the policy is refused before the secret is read', async () => {
    for (const baseUrl of ['http://attacker.test/api', 'http://provider.test:8443/api', 'http://provider.test.attacker.test/']) {
      const target = fakeFetch([200]);
      let secretsRead = 0;
      const subject = new Ambassador({
        target: 'provider',
        policies: new PolicySource({ load: async () => ({ provider: { ...POLICY.provider!, baseUrl } }) }),
        readSecret: async () => (secretsRead++, 's3cret'),
        pinnedHost: 'provider.test',
        fetch: target.fetch,
      });
      const error = await subject.send({ method: 'GET', path: '/charges' }).catch((e: unknown) => e);
      expect(error, baseUrl).toMatchObject({ code: 'SECRET_HOST_NOT_PINNED', context: { target: 'provider', pinned: 'provider.test' } });
      expect([secretsRead, target.requests.length]).toEqual([0, 0]);
    }
    // Nor anywhere when no host is pinned for it.
    const unpinned = new Ambassador({
      target: 'provider',
      policies: new PolicySource({ load: async () => POLICY }),
      readSecret: async () => 's3cret',
      fetch: fakeFetch([200]).fetch,
    });
    await expect(unpinned.send({ method: 'GET', path: '/charges' })).rejects.toMatchObject({ code: 'SECRET_HOST_NOT_PINNED' });
  });

  it('retries 5xx and timeouts with the same idempotency key, up to maxAttempts', async () => {
    const { subject, requests, attempts } = ambassador([503, 'timeout', 200]);
    expect((await subject.send({ method: 'POST', path: '/charges', idempotencyKey: 'order-1:v1' })).status).toBe(200);
    expect(requests.map((r) => r.headers['idempotency-key'])).toEqual(['order-1:v1', 'order-1:v1', 'order-1:v1']);
    expect(attempts.map((a) => a.outcome)).toEqual(['server_error', 'timeout', 'success']);
  });

  it('gives up after maxAttempts with an OutboundError, and never retries a 4xx', async () => {
    const failing = ambassador([500, 500, 500, 500]);
    const error = await failing.subject.send({ method: 'GET', path: '/x' }).catch((e: unknown) => e);
    expect(isOutboundError(error)).toBe(true);
    expect(failing.requests).toHaveLength(3);
    const refused = ambassador([422, 200]);
    expect((await refused.subject.send({ method: 'POST', path: '/x' })).status).toBe(422);
    expect(refused.requests).toHaveLength(1);
  });

  it('stops retrying when the retry budget is spent', async () => {
    const noBudget: OutboundPolicy = { provider: { ...POLICY.provider!, retryBudgetRatio: 0, minRetriesPerSecond: 0 } };
    const { subject, requests } = ambassador([500, 200], noBudget);
    await expect(subject.send({ method: 'GET', path: '/x' })).rejects.toMatchObject({ isOutboundError: true });
    expect(requests).toHaveLength(1);
  });
});

describe('RetryBudget', () => {
  it('allows retries in proportion to first attempts, plus a floor per second', () => {
    let now = 0;
    const budget = new RetryBudget(0.1, 1, () => now);
    expect(budget.tryWithdraw()).toBe(true); // the floor
    expect(budget.tryWithdraw()).toBe(false);
    for (let i = 0; i < 20; i++) budget.deposit();
    expect([budget.tryWithdraw(), budget.tryWithdraw(), budget.tryWithdraw()]).toEqual([true, true, false]);
    now += 1_000;
    expect(budget.tryWithdraw()).toBe(true);
  });
});

describe('PolicySource', () => {
  it('falls back to the last policy that loaded when the store fails or is slow, for a bounded time', async () => {
    let now = 0;
    let mode: 'ok' | 'fail' | 'slow' = 'ok';
    const stale: number[] = [];
    const source = new PolicySource({
      load: () =>
        mode === 'ok'
          ? Promise.resolve(JSON.stringify(POLICY))
          : mode === 'fail'
            ? Promise.reject(new Error('ThrottlingException'))
            : new Promise(() => undefined),
      loadTimeoutMs: 20,
      maxStaleMs: 60_000,
      clock: () => now,
      onStale: (_e, age) => stale.push(age),
    });
    expect((await source.target('provider')).timeoutMs).toBe(100);
    mode = 'fail';
    now += 10_000;
    expect((await source.target('provider')).timeoutMs).toBe(100);
    mode = 'slow';
    expect((await source.target('provider')).timeoutMs).toBe(100);
    expect(stale).toEqual([10_000, 10_000]);
    now += 60_001;
    await expect(source.target('provider')).rejects.toThrow(/took over 20 ms/);
    await expect(new PolicySource({ load: async () => POLICY }).target('nobody')).rejects.toThrow(/No outbound policy/);
  });
});

describe('Ambassador with its breaker', () => {
  it('passes every attempt through the breaker, timeouts counted, and stops at once when it opens', async () => {
    const breaker = new DistributedCircuitBreaker({
      name: 'provider',
      store: new MemoryBreakerStore(),
      policy: { minimumCalls: 4, failureRateThreshold: 0.5 },
    });
    const target = fakeFetch(['timeout', 503, 'timeout', 503]);
    const attempts: AttemptRecord[] = [];
    const subject = new Ambassador({
      target: 'provider',
      policies: new PolicySource({ load: async () => POLICY }),
      breaker,
      onAttempt: (a) => attempts.push(a),
      fetch: target.fetch,
    });
    // Three attempts, each counted: still under the breaker's four calls.
    await expect(subject.send({ method: 'POST', path: '/charges' })).rejects.toSatisfy(isOutboundError);
    // The fourth failure opens it: the retry after it is refused, and a refusal is never retried.
    await expect(subject.send({ method: 'POST', path: '/charges' })).rejects.toSatisfy(isBrokenCircuitError);
    expect(attempts.map((a) => a.outcome)).toEqual(['timeout', 'server_error', 'timeout', 'server_error']);
    expect((await breaker.state()).state).toBe('OPEN');
    await expect(subject.send({ method: 'POST', path: '/charges' })).rejects.toSatisfy(isBrokenCircuitError);
    expect(target.requests).toHaveLength(4);
  });
});
