/** Zipf popularity of the i-th of `count` keys (exponent `s`), normalized to sum 1. */
export function zipfWeights(count: number, s = 1.1): number[] {
  const raw = Array.from({ length: count }, (_, i) => 1 / (i + 1) ** s);
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / sum);
}
