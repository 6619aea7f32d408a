/**
 * Who may do what. A caller is a customer (acting on their own orders only) or an operator (support and
 * operations: any customer's orders, shipping, and every /ops action). Identity comes from a verified token
 * (handlers/authorizer.ts); these rules are what the use cases and the gateway's policy apply.
 */
import type { Caller } from '../kernel/caller.ts';
import { EightfoldError } from '../kernel/errors.ts';

export type { Caller, Role } from '../kernel/caller.ts';

/** A customer asked for what only an operator may do. */
export class ForbiddenError extends EightfoldError<'FORBIDDEN', { principal: string; action: string }> {
  override readonly name = 'ForbiddenError';
  readonly code = 'FORBIDDEN';

  constructor(caller: Caller, action: string) {
    super(`Only an operator may ${action}`, { principal: caller.principal, action });
  }
}

/** A customer placed an order in another customer's name. */
export class CustomerMismatchError extends EightfoldError<'CUSTOMER_MISMATCH', { principal: string; customerId: string }> {
  override readonly name = 'CustomerMismatchError';
  readonly code = 'CUSTOMER_MISMATCH';

  constructor(caller: Caller, customerId: string) {
    super('An order is placed in its own customer’s name only', { principal: caller.principal, customerId });
  }
}

/** Refuses a customer what only an operator may do. */
export function requireOperator(caller: Caller, action: string): void {
  if (caller.role !== 'operator') throw new ForbiddenError(caller, action);
}

/** Whether the caller may see and act on what belongs to `customerId`: their own, or anyone's for an operator. */
export const mayActFor = (caller: Caller, customerId: string | undefined): boolean =>
  caller.role === 'operator' || (customerId !== undefined && customerId === caller.principal);

/** An operator placed an order without naming its customer. */
export class CustomerRequiredError extends EightfoldError<'CUSTOMER_REQUIRED', { principal: string }> {
  override readonly name = 'CustomerRequiredError';
  readonly code = 'CUSTOMER_REQUIRED';

  constructor(caller: Caller) {
    super('Name the customer the order is for (customerId)', { principal: caller.principal });
  }
}

/**
 * The customer a new order is placed for: a customer's own (a body's `customerId`, kept for older clients,
 * must be theirs), or the one an operator names in the body.
 */
export function orderCustomerOf(caller: Caller, named: string | undefined): string {
  if (caller.role === 'operator') {
    if (named === undefined) throw new CustomerRequiredError(caller);
    return named;
  }
  if (named !== undefined && named !== caller.principal) throw new CustomerMismatchError(caller, named);
  return caller.principal;
}

/** Who an event says acted: the customer's id, or `operator:<name>`. */
export const actorOf = (caller: Caller): string => (caller.role === 'operator' ? `operator:${caller.principal}` : caller.principal);

/**
 * The gateway's policy for a caller, from the ARN of the method it first called: every method of the API's
 * stage, less the operator-only routes for a customer (`METHOD /path/{param}`, `*` for any method). It
 * holds for every method, so the gateway can cache it per token.
 */
export function accessPolicy(caller: Caller, methodArn: string, operatorOnly: readonly string[]) {
  const [arn, stage] = methodArn.split('/');
  const base = `${arn}/${stage}`;
  const resource = (route: string) => {
    const [method, path] = route.split(' ') as [string, string];
    return `${base}/${method}${path.replace(/\{[^}]+\}/g, '*')}`;
  };
  const statement = (Effect: 'Allow' | 'Deny', Resource: string[]) => ({ Effect, Action: 'execute-api:Invoke', Resource });
  return {
    principalId: caller.principal,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        statement('Allow', [`${base}/*`]),
        ...(caller.role === 'operator' ? [] : [statement('Deny', operatorOnly.map(resource))]),
      ],
    },
    context: { principal: caller.principal, role: caller.role },
  };
}
