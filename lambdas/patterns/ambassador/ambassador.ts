import { ExponentialBackoff, fullJitterGenerator, handleWhen, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import { randomUUID } from 'node:crypto';
import type { DistributedCircuitBreaker } from '../circuit-breaker/index.ts';
import { isOutboundError, OutboundError, UnpinnedHostError } from './errors.ts';
import type { PolicySource, TargetPolicy } from './policy.ts';
import { RetryBudget } from './retry-budget.ts';

export interface OutboundRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Appended to the target's base URL. */
  readonly path: string;
  readonly body?: unknown;
  /** Sent with a POST (generated if absent) so the target can tell a retry from a new request. */
  readonly idempotencyKey?: string;
  /** Propagated from the incoming request as `X-Correlation-Id`. */
  readonly correlationId?: string;
}

export interface OutboundResponse {
  readonly status: number;
  readonly body: unknown;
}

/** One attempt, as logged and measured: never a secret in it. */
export interface AttemptRecord {
  readonly target: string;
  readonly method: string;
  readonly url: string;
  readonly attempt: number;
  readonly outcome: 'success' | 'client_error' | 'server_error' | 'timeout' | 'network_error';
  readonly status?: number;
  readonly durationMs: number;
  readonly correlationId?: string;
  readonly idempotencyKey?: string;
  readonly headers: Record<string, string>;
}

export interface AmbassadorOptions {
  readonly target: string;
  readonly policies: PolicySource;
  /** Guards every attempt; its open state fails calls fast (BrokenCircuitError, never retried). */
  readonly breaker?: DistributedCircuitBreaker;
  /** Reads a secret's value (Powertools Parameters, cached). */
  readonly readSecret?: (name: string) => Promise<string>;
  /**
   * The one host (`host[:port]`) the target's secret may be sent to, fixed at deploy time: the policy's base
   * URL can change at run time (a parameter update), the secret's destination cannot. Without it, a target
   * with a secret is never called.
   */
  readonly pinnedHost?: string;
  /** Every attempt, for the structured log line and the per-target metrics. */
  readonly onAttempt?: (record: AttemptRecord) => void;
  /** How a request goes out. @default fetch */
  readonly fetch?: Transport;
}

/** How a request goes out: fetch, or anything answering as much of it as an ambassador reads (a status, the body as text). */
export type Transport = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<{ readonly status: number; text(): Promise<string> }>;

const REDACTED = new Set(['authorization', 'x-api-key', 'cookie']);
const redact = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, REDACTED.has(k.toLowerCase()) ? '***' : v]));

/**
 * The ambassador: every outbound call of a function goes through one, per target. It adds what the
 * caller should not have to: the target's base URL, auth from Secrets Manager, a correlation id, an
 * idempotency key on POSTs, a per-attempt timeout, retries with exponential backoff and full jitter under a
 * retry budget, the circuit breaker, and a log line and metrics per attempt with secrets redacted.
 * Timeout, retry and backoff are cockatiel's; this class only composes them with the policy of the moment.
 */
export class Ambassador {
  readonly target: string;
  private readonly options: AmbassadorOptions;
  private budget?: { budget: RetryBudget; ratio: number; floor: number };

  constructor(options: AmbassadorOptions) {
    this.target = options.target;
    this.options = options;
  }

  /** Throws BrokenCircuitError now if the target's breaker would refuse a call: no work wasted before it. */
  async failFastIfOpen(): Promise<void> {
    await this.options.breaker?.failFastIfOpen();
  }

  async send(request: OutboundRequest): Promise<OutboundResponse> {
    const policy = await this.options.policies.target(this.target);
    const budget = this.budgetFor(policy);
    const idempotencyKey = request.idempotencyKey ?? (request.method === 'POST' ? randomUUID() : undefined);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(request.correlationId ? { 'x-correlation-id': request.correlationId } : {}),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    };
    if (policy.authSecret && this.options.readSecret) {
      const { host } = new URL(policy.baseUrl);
      if (host !== this.options.pinnedHost) throw new UnpinnedHostError(this.target, host, this.options.pinnedHost);
      headers.authorization = `Bearer ${await this.options.readSecret(policy.authSecret)}`;
    }
    budget.deposit();
    const retries = retry(
      handleWhen((error) => isOutboundError(error) && budget.tryWithdraw()),
      {
        maxAttempts: policy.maxAttempts - 1,
        backoff: new ExponentialBackoff({ generator: fullJitterGenerator, initialDelay: policy.baseDelayMs, maxDelay: policy.maxDelayMs }),
      },
    );
    // Retry outermost: each attempt passes the breaker, which counts it (a timeout too) and refuses at once
    // when open (its BrokenCircuitError is no OutboundError, so it is never retried); the timeout innermost,
    // one per attempt, aborting the request's signal.
    const perAttempt = timeout(policy.timeoutMs, TimeoutStrategy.Cooperative);
    const policies = this.options.breaker ? wrap(retries, this.options.breaker, perAttempt) : wrap(retries, perAttempt);
    return policies.execute(({ attempt, signal }) => this.attempt(policy, request, headers, attempt + 1, signal));
  }

  private async attempt(
    policy: TargetPolicy,
    request: OutboundRequest,
    headers: Record<string, string>,
    attempt: number,
    signal: AbortSignal,
  ): Promise<OutboundResponse> {
    const url = `${policy.baseUrl.replace(/\/$/, '')}${request.path}`;
    const started = performance.now();
    const record = (outcome: AttemptRecord['outcome'], status?: number) =>
      this.options.onAttempt?.({
        target: this.target,
        method: request.method,
        url,
        attempt,
        outcome,
        status,
        durationMs: performance.now() - started,
        correlationId: request.correlationId,
        idempotencyKey: headers['idempotency-key'],
        headers: redact(headers),
      });
    let response: { status: number; text: string };
    try {
      const res = await (this.options.fetch ?? fetch)(url, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal,
      });
      response = { status: res.status, text: await res.text() };
    } catch (error) {
      // The per-attempt timeout aborts the signal; fetch then rejects with its own AbortError.
      const timedOut = signal.aborted;
      record(timedOut ? 'timeout' : 'network_error');
      throw new OutboundError(
        this.target,
        timedOut ? `no answer within ${policy.timeoutMs} ms` : `unreachable (${(error as Error).message})`,
        undefined,
        { cause: error },
      );
    }
    let body: unknown = response.text;
    try {
      body = response.text ? JSON.parse(response.text) : undefined;
    } catch {
      // not JSON: hand the text over as it is
    }
    if (response.status >= 500 || response.status === 429) {
      record('server_error', response.status);
      throw new OutboundError(this.target, `answered ${response.status}`, response.status);
    }
    record(response.status >= 400 ? 'client_error' : 'success', response.status);
    return { status: response.status, body };
  }

  private budgetFor(policy: TargetPolicy): RetryBudget {
    if (!this.budget || this.budget.ratio !== policy.retryBudgetRatio || this.budget.floor !== policy.minRetriesPerSecond) {
      this.budget = {
        budget: new RetryBudget(policy.retryBudgetRatio, policy.minRetriesPerSecond),
        ratio: policy.retryBudgetRatio,
        floor: policy.minRetriesPerSecond,
      };
    }
    return this.budget.budget;
  }
}
