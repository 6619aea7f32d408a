/**
 * Lambda authorizers as API Gateway (REST, v1) plays them: the identity read from the request (a missing
 * one is 401 without a call), the function asked for a policy, the policy's Allow and Deny statements
 * matched against the method's ARN (an explicit Deny wins; no Allow is 403), and the result cached by the
 * identity for the authorizer's TTL, so one token's policy answers its later requests to any method.
 */
import type { InvokeOutcome } from '../lambda/function-runtime.ts';
import type { LambdaAuthorizer } from './model.ts';

/** What the request offers an authorizer, by source (`method.request.header.X`, `method.request.querystring.Y`). */
export interface AuthorizerRequest {
  readonly headers: Record<string, string>;
  readonly query: URLSearchParams;
  /** The rest of a REQUEST authorizer's event: the proxy event's fields but the body. */
  readonly requestEvent: Record<string, unknown>;
}

export type AuthorizerVerdict =
  | { readonly kind: 'allow'; readonly principalId: string; readonly context: Record<string, unknown> }
  | { readonly kind: 'unauthorized' } // 401: no identity, or the function said "Unauthorized"
  | { readonly kind: 'denied' } // 403: the policy does not allow this method
  | { readonly kind: 'failed'; readonly reason: string }; // 500: the function failed or answered nonsense

interface PolicyStatement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
}

interface CachedResult {
  readonly expiresAt: number;
  readonly principalId: string;
  readonly statements: PolicyStatement[];
  readonly context: Record<string, unknown>;
}

/** An IAM-style pattern (`*` any run, `?` one character) as a regular expression. */
const patternOf = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  );

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : [value].flat());

/** Whether statements with this effect name `execute-api:Invoke` on the method ARN. */
function matches(statements: readonly PolicyStatement[], effect: 'Allow' | 'Deny', methodArn: string): boolean {
  return statements.some(
    (s) =>
      s.Effect === effect &&
      list(s.Action).some((action) => patternOf(action.toLowerCase()).test('execute-api:invoke')) &&
      list(s.Resource).some((resource) => patternOf(resource).test(methodArn)),
  );
}

/** The value of one identity source in a request, if present and not empty. */
function identityValue(source: string, request: AuthorizerRequest): string | undefined {
  const header = /^method\.request\.header\.(.+)$/i.exec(source)?.[1];
  if (header) {
    const name = Object.keys(request.headers).find((key) => key.toLowerCase() === header.toLowerCase());
    return name ? request.headers[name] || undefined : undefined;
  }
  const query = /^method\.request\.querystring\.(.+)$/i.exec(source)?.[1];
  if (query) return request.query.get(query) || undefined;
  return undefined;
}

export interface LambdaAuthorizersDeps {
  invoke(functionArn: string, event: unknown): Promise<InvokeOutcome>;
  /** Whether API Gateway may invoke the authorizer's function (its permissions, or its credentials' role). @default always */
  mayInvoke?(authorizer: LambdaAuthorizer): boolean;
}

export class LambdaAuthorizers {
  private readonly cache = new Map<string, CachedResult>();

  private readonly deps: LambdaAuthorizersDeps;

  constructor(deps: LambdaAuthorizersDeps) {
    this.deps = deps;
  }

  async authorize(authorizer: LambdaAuthorizer, methodArn: string, request: AuthorizerRequest): Promise<AuthorizerVerdict> {
    const identity = authorizer.identitySources.map((source) => identityValue(source, request));
    if (identity.length === 0 || identity.some((value) => value === undefined)) return { kind: 'unauthorized' };
    const token = identity[0]!;
    if (authorizer.type === 'TOKEN' && authorizer.validationExpression && !authorizer.validationExpression.test(token)) {
      return { kind: 'unauthorized' };
    }
    const cacheKey = `${authorizer.id}\n${identity.join('\n')}`;
    let result = this.cache.get(cacheKey);
    if (!result || result.expiresAt <= Date.now()) {
      const event =
        authorizer.type === 'TOKEN'
          ? { type: 'TOKEN', authorizationToken: token, methodArn }
          : { type: 'REQUEST', methodArn, ...request.requestEvent };
      if (this.deps.mayInvoke && !this.deps.mayInvoke(authorizer))
        return { kind: 'failed', reason: 'Invalid permissions on Lambda function' };
      const outcome = await this.deps.invoke(authorizer.functionArn, event);
      if (!outcome.ok) {
        // A Lambda authorizer refuses a caller by failing with the message "Unauthorized".
        const message = outcome.error.errorMessage;
        return message === 'Unauthorized' ? { kind: 'unauthorized' } : { kind: 'failed', reason: `${outcome.kind}: ${message}` };
      }
      const answer = outcome.payload as { principalId?: unknown; policyDocument?: { Statement?: unknown }; context?: unknown } | null;
      const statements = answer?.policyDocument?.Statement;
      if (typeof answer?.principalId !== 'string' || !Array.isArray(statements)) {
        return { kind: 'failed', reason: 'the authorizer answered without a principalId and a policy' };
      }
      const context = answer.context && typeof answer.context === 'object' ? (answer.context as Record<string, unknown>) : {};
      result = { expiresAt: Date.now() + authorizer.resultTtlSeconds * 1000, principalId: answer.principalId, statements, context };
      if (authorizer.resultTtlSeconds > 0) this.cache.set(cacheKey, result);
    }
    if (matches(result.statements, 'Deny', methodArn) || !matches(result.statements, 'Allow', methodArn)) return { kind: 'denied' };
    return { kind: 'allow', principalId: result.principalId, context: result.context };
  }

  /** Forgets every cached result (a reload). */
  clear(): void {
    this.cache.clear();
  }
}
