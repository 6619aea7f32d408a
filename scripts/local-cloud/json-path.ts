/**
 * The value at a JSON path, of the subset EventBridge's input paths and API Gateway's mapping templates take:
 * `$`, dot notation, `['quoted']` keys, array indices, `*` (which gives an array). Undefined where the value
 * has nothing there.
 */
export function atJsonPath(value: unknown, path: string): unknown {
  if (path === '$') return value;
  if (!path.startsWith('$.') && !path.startsWith('$[')) throw new Error(`Not a JSON path: ${path}`);
  const steps = path
    .slice(1)
    .replace(/\[(\d+|\*)\]|\['([^']*)'\]/g, (_, index: string | undefined, key: string | undefined) => `.${index ?? key}`)
    .split('.')
    .filter(Boolean);
  let at: unknown[] = [value];
  let many = false;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const one of at) {
      if (one === null || typeof one !== 'object') continue;
      if (step === '*') next.push(...Object.values(one));
      else if (step in one) next.push((one as Record<string, unknown>)[step]);
    }
    if (step === '*') many = true;
    at = next;
  }
  return many ? at : at[0];
}
