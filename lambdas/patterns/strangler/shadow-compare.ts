/** Strangler Fig, shadow comparisons: legacy's answer and Eightfold's, side by side, field by field. */

export interface ComparedAnswer {
  readonly statusCode: number;
  /** The JSON body (the text, when it was not JSON). */
  readonly body: unknown;
}

export interface Difference {
  /** `statusCode`, or a path into the body such as `items[0].quantity`. */
  readonly path: string;
  readonly legacy: unknown;
  readonly eightfold: unknown;
}

/** At most this many differences are reported: enough to see what is wrong, small enough to store. */
export const MAX_DIFFERENCES = 20;

/**
 * The differences between two answers: the status code, then the bodies, recursively. A field named in
 * `ignore` (at any depth, such as `orderId` or `placedAt`) is skipped, as is an entire path named there.
 */
export function compareAnswers(legacy: ComparedAnswer, eightfold: ComparedAnswer, ignore: readonly string[] = []): Difference[] {
  const skipped = new Set(ignore);
  const differences: Difference[] = [];
  if (legacy.statusCode !== eightfold.statusCode)
    differences.push({ path: 'statusCode', legacy: legacy.statusCode, eightfold: eightfold.statusCode });
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (differences.length >= MAX_DIFFERENCES) return;
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) differences.push({ path: `${path}.length`, legacy: a.length, eightfold: b.length });
      for (let i = 0; i < Math.min(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`);
      return;
    }
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        const at = path ? `${path}.${key}` : key;
        if (!skipped.has(key) && !skipped.has(at)) walk(a[key], b[key], at);
      }
      return;
    }
    if (!Object.is(a, b)) differences.push({ path: path || 'body', legacy: a, eightfold: b });
  };
  walk(legacy.body, eightfold.body, '');
  return differences.slice(0, MAX_DIFFERENCES);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
