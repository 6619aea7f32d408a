/**
 * Whether `value` carries `brand: true`. Error type guards use brands rather than `instanceof`, which fails
 * when one class reaches a process through two bundles.
 */
export function hasBrand(value: unknown, brand: string): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[brand] === true;
}
