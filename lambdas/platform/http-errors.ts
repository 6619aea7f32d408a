import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isEightfoldError } from '../kernel/errors.ts';
import { errorResponse, etag, isHttpError } from './http.ts';
import { logger } from './logger.ts';

/** How one error is answered: its status, and what replaces or adds to the error's own code and message. */
interface Answer {
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
  readonly details?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

const retryAfter = (seconds: number) => ({ details: { retryAfterSeconds: seconds }, headers: { 'Retry-After': String(seconds) } });

/** How a dependency's outage is named to a client: the payment provider's is the contract's PAYMENT_UNAVAILABLE. */
const OUTAGES: Record<string, { code: string; paused: string; unanswered: string }> = {
  'payment-provider': {
    code: 'PAYMENT_UNAVAILABLE',
    paused: 'Payments are paused',
    unanswered: 'The payment provider did not answer; nothing was charged twice, retry shortly',
  },
};
const outageOf = (name: string) =>
  OUTAGES[name] ?? {
    code: 'DEPENDENCY_UNAVAILABLE',
    paused: `Calls to ${name} are paused`,
    unanswered: `${name} did not answer; retry shortly`,
  };

/** One entry of the table: an error's typed context in, its answer out. */
const by = <Context>(answer: (context: Context) => Answer) => answer as (context: unknown) => Answer;

/**
 * Every error code an API answers for, and how: the one table. A code not here, and any error that is not
 * an EightfoldError, is a bug or an outage of our own: logged whole and answered 500 in the handler's words.
 */
const ANSWERS: Readonly<Record<string, (context: unknown) => Answer>> = {
  ORDER_NOT_FOUND: () => ({ status: 404 }),
  CUSTOMER_NOT_FOUND: () => ({ status: 404 }),
  FORBIDDEN: () => ({ status: 403 }),
  CUSTOMER_MISMATCH: () => ({ status: 403 }),
  CUSTOMER_REQUIRED: () => ({
    status: 400,
    code: 'VALIDATION_FAILED',
    details: { fields: [{ field: 'customerId', message: 'required' }] },
  }),
  ORDER_ALREADY_EXISTS: () => ({ status: 409 }),
  IDEMPOTENCY_KEY_REUSED: () => ({ status: 422 }),
  NOT_FOUND: () => ({ status: 404 }),
  BREAKER_NOT_FOUND: () => ({ status: 404 }),
  FAULT_TARGET_NOT_FOUND: () => ({ status: 404 }),
  NO_LEADER: () => ({ status: 409 }),
  ILLEGAL_TRANSITION: () => ({ status: 409 }),
  // A payment in flight concludes within the provider's timeout: the caller retries and meets its outcome.
  PAYMENT_IN_PROGRESS: () => ({ status: 409, ...retryAfter(1) }),
  VERSION_CONFLICT: by<{ currentVersion: number }>(({ currentVersion }) => ({
    status: 409,
    details: { currentVersion },
    headers: { ETag: etag(currentVersion) },
  })),
  VERSION_NOT_FOUND: by<{ currentVersion: number }>(({ currentVersion }) => ({ status: 404, details: { currentVersion } })),
  VIEW_BEHIND: by<{ viewVersion: number; minVersion: number }>((context) => ({
    status: 503,
    details: context,
    headers: { 'Retry-After': '1' },
  })),
  EVENT_TOO_LARGE: () => ({ status: 413, code: 'PAYLOAD_TOO_LARGE' }),
  INVALID_CURSOR: () => ({ status: 400, code: 'BAD_CURSOR' }),
  CIRCUIT_OPEN: by<{ breaker: string; state: string; retryAfterMs: number }>(({ breaker, state, retryAfterMs }) => {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    const outage = outageOf(breaker);
    return {
      status: 503,
      code: outage.code,
      message: `${outage.paused} (circuit ${state}); retry in ${seconds} s`,
      ...retryAfter(seconds),
    };
  }),
  // Retries and the budget are spent; the attempt stays open, so a retry joins it and never charges twice.
  OUTBOUND_FAILED: by<{ target: string }>(({ target }) => ({
    status: 503,
    code: outageOf(target).code,
    message: outageOf(target).unanswered,
    ...retryAfter(5),
  })),
  // A 422 from the provider: this attempt was charged with other details; the first charge stands.
  PAYMENT_PROVIDER_REFUSED: by<{ providerCode: string }>(({ providerCode }) => ({
    status: 502,
    code: 'PAYMENT_PROVIDER_ERROR',
    message: `The payment provider refused the request (${providerCode})`,
    details: { providerCode },
  })),
};

/** The contract's answer to `error`, or undefined when it is not one an API answers for (a 500). */
export function answerFor(error: unknown): APIGatewayProxyResult | undefined {
  if (isHttpError(error)) return errorResponse(error.context.statusCode, error.code, error.message, error.context.details);
  if (!isEightfoldError(error)) return undefined;
  const answer = ANSWERS[error.code]?.(error.context);
  return answer && errorResponse(answer.status, answer.code ?? error.code, answer.message ?? error.message, answer.details, answer.headers);
}

/**
 * Middy's `onError` for every API handler: a known error becomes its answer; anything else is logged and
 * answered `500 INTERNAL` with `failure` (the handler's words: whether a retry is safe), never the error's own.
 */
export function answerErrors(failure: string): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      const answer = answerFor(request.error);
      if (!answer) logger.error('request failed', { error: request.error as Error });
      request.response = answer ?? errorResponse(500, 'INTERNAL', failure);
    },
  };
}
