/** What every bench section shares: where things are, how many samples, and how figures are written. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const LATENCY_APP = join(ROOT, 'bench/apps/latency');
export const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
/** When this run began, and its stamp (the results file's name, and any page a section saves beside it). */
export const RUN_DATE = new Date().toISOString();
export const RUN_STAMP = RUN_DATE.replace(/[:]/g, '').slice(0, 15);

/** Event-source-to-handler latency AWS publishes for Lambda, as quoted in the foundation issue (#3). */
export const AWS_PUBLISHED = { streamP50: 213, streamP99: 552, sqsP50: 16, sqsP99: 105 };

export interface Row {
  figure: string;
  value: string;
  /** The baseline, peer or limit it is measured against, with its own figure. */
  baseline: string;
  ratio: string;
  /** The goal this figure is held to, if any, and whether this run met it. */
  goal?: string;
  met?: boolean;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`;
export const s = (n: number) => `${(n / 1000).toFixed(2)} s`;
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

export { percentile } from '../scripts/load-test.ts';

export function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** Counts the requests an AWS SDK client sends (reset by assigning `count`). */
export function countRequests(client: { middlewareStack: { add: (...args: any[]) => void } }): { count: number } {
  const counter = { count: 0 };
  client.middlewareStack.add((next: (args: unknown) => unknown) => (args: unknown) => (counter.count++, next(args)), {
    step: 'initialize',
    name: 'benchRequestCounter',
  });
  return counter;
}
