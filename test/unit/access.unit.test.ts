import { describe, expect, it } from 'vitest';
import { OPERATOR_ONLY_ROUTES } from '../../lambdas/handlers/routes.ts';
import { accessPolicy, actorOf, mayActFor, orderCustomerOf } from '../../lambdas/use-cases/access.ts';

const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/orders/o-1';
const customer = { principal: 'c-1', role: 'customer' } as const;
const operator = { principal: 'ann', role: 'operator' } as const;

describe('who may do what', () => {
  it('allows a customer the whole stage but the operator-only routes, an operator everything, for any method (one cached policy per token)', () => {
    expect(OPERATOR_ONLY_ROUTES).toEqual(['POST /orders/{orderId}/ship', '* /ops/*']);
    expect(accessPolicy(customer, ARN, OPERATOR_ONLY_ROUTES)).toEqual({
      principalId: 'c-1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: ['arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*'] },
          {
            Effect: 'Deny',
            Action: 'execute-api:Invoke',
            Resource: [
              'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/orders/*/ship',
              'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/ops/*',
            ],
          },
        ],
      },
      context: { principal: 'c-1', role: 'customer' },
    });
    expect(accessPolicy(operator, ARN, OPERATOR_ONLY_ROUTES).policyDocument.Statement).toHaveLength(1);
  });

  it('places a customer’s order in their own name only; an operator names the customer', () => {
    expect(orderCustomerOf(customer, undefined)).toBe('c-1');
    expect(orderCustomerOf(customer, 'c-1')).toBe('c-1');
    expect(() => orderCustomerOf(customer, 'c-2')).toThrow(expect.objectContaining({ code: 'CUSTOMER_MISMATCH' }));
    expect(orderCustomerOf(operator, 'c-2')).toBe('c-2');
    expect(() => orderCustomerOf(operator, undefined)).toThrow(expect.objectContaining({ code: 'CUSTOMER_REQUIRED' }));
  });

  it('lets a customer act on their own only, an operator on anyone’s, and says who acted', () => {
    expect([mayActFor(customer, 'c-1'), mayActFor(customer, 'c-2'), mayActFor(customer, undefined), mayActFor(operator, 'c-2')]).toEqual([
      true,
      false,
      false,
      true,
    ]);
    expect([actorOf(customer), actorOf(operator)]).toEqual(['c-1', 'operator:ann']);
  });
});
