import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Caller } from '../kernel/caller.ts';
import { HttpError } from './http.ts';

/** The caller the gateway's authorizer passed on (`requestContext.authorizer`), if any. */
export function signedInCallerOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Caller | undefined {
  const context = event.requestContext?.authorizer as { principal?: unknown; role?: unknown } | null | undefined;
  if (typeof context?.principal !== 'string' || (context.role !== 'customer' && context.role !== 'operator')) return undefined;
  return { principal: context.principal, role: context.role };
}

/** The customer a request was signed in as; undefined for an operator or an unsigned request. */
export function signedInCustomerOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): string | undefined {
  const caller = signedInCallerOf(event);
  return caller?.role === 'customer' ? caller.principal : undefined;
}

/**
 * The caller of an API request, as the gateway's authorizer verified it. A request without one never
 * passed the authorizer: refused, as the gateway refuses it.
 */
export function callerOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Caller {
  const caller = signedInCallerOf(event);
  if (!caller) throw new HttpError(401, 'UNAUTHENTICATED', 'Sign in: send Authorization: Bearer <token>');
  return caller;
}
