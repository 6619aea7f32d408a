/**
 * EventBridge-style content filtering, as Lambda event source mappings apply it to FilterCriteria
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html). A record passes when any
 * filter matches.
 */

export type Pattern = Record<string, unknown>;

function matchesRule(rule: unknown, value: unknown, present: boolean): boolean {
  if (rule === null) return present && value === null;
  if (typeof rule !== 'object') return present && (Array.isArray(value) ? value.includes(rule) : value === rule);
  const op = rule as Record<string, unknown>;
  if ('exists' in op) return op.exists === present;
  if (!present) return false;
  const values = Array.isArray(value) ? value : [value];
  return values.some((one) => matchesOperator(op, one));
}

function matchesOperator(op: Record<string, unknown>, value: unknown): boolean {
  if ('prefix' in op) {
    const prefix = op.prefix;
    if (typeof prefix === 'object' && prefix !== null && 'equals-ignore-case' in prefix) {
      return typeof value === 'string' && value.toLowerCase().startsWith(String(prefix['equals-ignore-case']).toLowerCase());
    }
    return typeof value === 'string' && value.startsWith(String(prefix));
  }
  if ('suffix' in op) return typeof value === 'string' && value.endsWith(String(op.suffix));
  if ('equals-ignore-case' in op) {
    return typeof value === 'string' && value.toLowerCase() === String(op['equals-ignore-case']).toLowerCase();
  }
  if ('wildcard' in op) {
    const regex = new RegExp(`^${String(op.wildcard).split('*').map(escapeRegex).join('.*')}$`);
    return typeof value === 'string' && regex.test(value);
  }
  if ('anything-but' in op) {
    const excluded = op['anything-but'];
    if (Array.isArray(excluded)) return !excluded.includes(value);
    if (excluded !== null && typeof excluded === 'object') return !matchesOperator(excluded as Record<string, unknown>, value);
    return value !== excluded;
  }
  if ('numeric' in op) return typeof value === 'number' && matchesNumeric(op.numeric as unknown[], value);
  throw new Error(`Unsupported filter operator ${JSON.stringify(op)}`);
}

function matchesNumeric(conditions: unknown[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const bound = Number(conditions[i + 1]);
    const ok =
      conditions[i] === '='
        ? value === bound
        : conditions[i] === '<'
          ? value < bound
          : conditions[i] === '<='
            ? value <= bound
            : conditions[i] === '>'
              ? value > bound
              : conditions[i] === '>='
                ? value >= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Does `event` match `pattern`? Leaves of a pattern are arrays of allowed values or operators. */
export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  const record = (event ?? {}) as Record<string, unknown>;
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(rule as Pattern[]).some((alternative) => matchesPattern(alternative, event))) return false;
      continue;
    }
    const present = typeof record === 'object' && record !== null && key in record;
    const value = present ? record[key] : undefined;
    if (Array.isArray(rule)) {
      if (!rule.some((one) => matchesRule(one, value, present))) return false;
    } else if (rule !== null && typeof rule === 'object') {
      if (!present || typeof value !== 'object' || value === null) return false;
      if (!matchesPattern(rule as Pattern, value)) return false;
    } else {
      throw new Error(`Filter pattern leaves must be arrays, got ${JSON.stringify(rule)} at "${key}"`);
    }
  }
  return true;
}

/** Parses FilterCriteria once; the returned predicate says whether a record passes. */
export function compileFilterCriteria(criteria: { Filters?: { Pattern?: string }[] } | undefined): (record: unknown) => boolean {
  const patterns = (criteria?.Filters ?? []).map((filter) => JSON.parse(filter.Pattern ?? '{}') as Pattern);
  if (patterns.length === 0) return () => true;
  return (record) => patterns.some((pattern) => matchesPattern(pattern, record));
}
