/**
 * CloudFormation intrinsic functions, resolved against the local cloud's resources. Anything the resolver
 * does not know is an error naming it: a template we cannot read faithfully must not half-start.
 */

/** What the resolver needs from the world: pseudo parameters and the resources made so far. */
export interface ResolveContext {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly partition?: string;
  readonly urlSuffix?: string;
  /** The value of `Ref` on a resource or parameter; undefined when unknown. */
  ref(logicalId: string): unknown;
  /** The value of `Fn::GetAtt` on a resource; undefined when unknown. */
  getAtt(logicalId: string, attribute: string): unknown;
  /** A value exported by another stack. @default no exports */
  importValue?(name: string): unknown;
  /** The truth of a named condition. @default every condition is true */
  condition?(name: string): boolean;
  /**
   * Text as the local cloud serves it (an execute-api URL pointed at the local gateway), applied before
   * `Fn::Split` takes the text apart, when a URL is still whole. @default the text as it is
   */
  localize?(text: string): string;
}

export class IntrinsicError extends Error {
  override name = 'IntrinsicError';
}

/** Marks a property removed by `AWS::NoValue`. */
const NO_VALUE = Symbol('AWS::NoValue');

export function pseudoParameter(name: string, ctx: ResolveContext): unknown {
  switch (name) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ctx.accountId;
    case 'AWS::Partition':
      return ctx.partition ?? 'aws';
    case 'AWS::URLSuffix':
      return ctx.urlSuffix ?? 'amazonaws.com';
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${ctx.region}:${ctx.accountId}:stack/${ctx.stackName}/local`;
    case 'AWS::NotificationARNs':
      return [];
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return undefined;
  }
}

function ref(name: string, ctx: ResolveContext): unknown {
  const value = name.startsWith('AWS::') ? pseudoParameter(name, ctx) : ctx.ref(name);
  if (value === undefined) throw new IntrinsicError(`Ref to unknown resource or parameter "${name}"`);
  return value;
}

function getAtt(logicalId: string, attribute: string, ctx: ResolveContext): unknown {
  const value = ctx.getAtt(logicalId, attribute);
  if (value === undefined) throw new IntrinsicError(`Fn::GetAtt ${logicalId}.${attribute} is not known locally`);
  return value;
}

function sub(template: string, variables: Record<string, unknown>, ctx: ResolveContext): string {
  return template.replace(/\$\{([^}]*)\}/g, (whole, expression: string) => {
    if (expression.startsWith('!')) return `\${${expression.slice(1)}}`; // ${!Literal} escapes
    if (expression in variables) return String(variables[expression]);
    const dot = expression.indexOf('.');
    if (dot > 0 && !expression.startsWith('AWS::')) {
      return String(getAtt(expression.slice(0, dot), expression.slice(dot + 1), ctx));
    }
    const value = ref(expression, ctx);
    if (typeof value === 'object') throw new IntrinsicError(`Fn::Sub cannot place a non-scalar value at ${whole}`);
    return String(value);
  });
}

function asArray(value: unknown, fn: string): unknown[] {
  if (!Array.isArray(value)) throw new IntrinsicError(`${fn} expects a list, got ${JSON.stringify(value)}`);
  return value;
}

function evaluate(fn: string, arg: unknown, ctx: ResolveContext): unknown {
  switch (fn) {
    case 'Ref':
      return ref(String(arg), ctx);
    case 'Fn::GetAtt': {
      const [id, ...rest] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
      return getAtt(id!, rest.join('.'), ctx);
    }
    case 'Fn::Join': {
      const [separator, items] = asArray(arg, fn);
      return asArray(resolve(items, ctx), fn).join(String(separator));
    }
    case 'Fn::Sub': {
      if (typeof arg === 'string') return sub(arg, {}, ctx);
      const [text, variables] = asArray(arg, fn);
      return sub(String(text), (resolve(variables, ctx) ?? {}) as Record<string, unknown>, ctx);
    }
    case 'Fn::Select': {
      const [index, list] = asArray(arg, fn);
      const items = asArray(resolve(list, ctx), fn);
      const at = Number(resolve(index, ctx));
      if (!(at >= 0 && at < items.length)) throw new IntrinsicError(`Fn::Select index ${at} out of range`);
      return items[at];
    }
    case 'Fn::Split': {
      const [separator, text] = asArray(arg, fn);
      const whole = String(resolve(text, ctx));
      return (ctx.localize?.(whole) ?? whole).split(String(separator));
    }
    case 'Fn::Base64':
      return Buffer.from(String(resolve(arg, ctx))).toString('base64');
    case 'Fn::GetAZs':
      return ['a', 'b', 'c'].map((zone) => `${ctx.region}${zone}`);
    case 'Fn::ImportValue': {
      const name = String(resolve(arg, ctx));
      const value = ctx.importValue?.(name);
      if (value === undefined) throw new IntrinsicError(`Fn::ImportValue: no stack exports "${name}"`);
      return value;
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = asArray(arg, fn);
      return resolve(conditionHolds(String(condition), ctx) ? whenTrue : whenFalse, ctx);
    }
    case 'Fn::Equals': {
      const [a, b] = asArray(resolve(arg, ctx), fn);
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::Not':
      return !asArray(resolve(arg, ctx), fn)[0];
    case 'Fn::And':
      return asArray(resolve(arg, ctx), fn).every(Boolean);
    case 'Fn::Or':
      return asArray(resolve(arg, ctx), fn).some(Boolean);
    case 'Condition':
      return conditionHolds(String(arg), ctx);
    default:
      throw new IntrinsicError(`Intrinsic function ${fn} is not supported by the local cloud`);
  }
}

function conditionHolds(name: string, ctx: ResolveContext): boolean {
  return ctx.condition ? ctx.condition(name) : true;
}

/** Resolves every intrinsic in a value; properties set to `AWS::NoValue` are dropped. */
export function resolve(value: unknown, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => resolve(item, ctx)).filter((item) => item !== NO_VALUE);
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      // `{ "Condition": "Name" }` is an intrinsic only with a string; IAM's Condition blocks are objects.
      if (key === 'Ref' || key.startsWith('Fn::') || (key === 'Condition' && typeof arg === 'string')) {
        return evaluate(key, arg, ctx);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, inner] of entries) {
      const resolved = resolve(inner, ctx);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }
  return value;
}
