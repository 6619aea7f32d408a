/**
 * The goals across consecutive full runs: every figure held to a goal, as the last three full runs of
 * `npm run bench` measured it (a run that ran every section saves `full: true` in its results file), each
 * with whether it met the goal. Written after each full run, from the results files alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from './common.ts';

/** A results file, as bench/run.ts writes it. */
export interface ResultsFile {
  readonly date: string;
  readonly full?: boolean;
  readonly calibration?: { readonly cpuLoopMs: number; readonly putItemsPerSecond: number };
  readonly rows: readonly (Row & { readonly section?: string })[];
}

/** How many consecutive full runs the goals are judged over. */
export const CONSECUTIVE_RUNS = 3;

/** The results files of the last `count` full runs, oldest first, each with its file name. */
export function lastFullRuns(resultsDir: string, count = CONSECUTIVE_RUNS): { name: string; results: ResultsFile }[] {
  return readdirSync(resultsDir)
    .filter((name) => /^\d{4}-\d{2}-\d{2}T\d{4}\.json$/.test(name))
    .sort()
    .map((name) => ({ name, results: JSON.parse(readFileSync(join(resultsDir, name), 'utf8')) as ResultsFile }))
    .filter(({ results }) => results.full === true)
    .slice(-count);
}

/**
 * A goal row's identity across runs: its section, its goal, and its place among that section's rows with
 * the same goal (a figure's own text carries its trials, which differ from run to run).
 */
function goalKeys(rows: ResultsFile['rows']): Map<string, ResultsFile['rows'][number]> {
  const seen = new Map<string, number>();
  const keyed = new Map<string, ResultsFile['rows'][number]>();
  for (const row of rows) {
    if (!row.goal) continue;
    const base = `${row.section ?? ''}\n${row.goal}`;
    const nth = (seen.get(base) ?? 0) + 1;
    seen.set(base, nth);
    keyed.set(`${base}\n${nth}`, row);
  }
  return keyed;
}

/** The table of every goal over the given runs (oldest first): one column per run, and whether all met it. */
export function consecutiveRunsTable(runs: readonly { name: string; results: ResultsFile }[]): string {
  const keyed = runs.map(({ results }) => goalKeys(results.rows));
  const keys = [...new Set(keyed.flatMap((rows) => [...rows.keys()]))];
  const stamp = (name: string) => name.replace(/\.json$/, '');
  const calibration = (results: ResultsFile) =>
    results.calibration
      ? ` (CPU loop ${results.calibration.cpuLoopMs.toFixed(0)} ms, ${results.calibration.putItemsPerSecond.toFixed(0)} PutItems/s)`
      : '';
  const lines = [
    `The last ${runs.length} full runs of \`npm run bench\`: ${runs.map(({ name, results }) => `\`${stamp(name)}\`${calibration(results)}`).join(', ')}.`,
    '',
    `| section | figure (as the last run names it) | goal | ${runs.map(({ name }) => stamp(name)).join(' | ')} | met in all |`,
    `|---|---|---|${runs.map(() => '---|').join('')}---|`,
  ];
  for (const key of keys) {
    const rows = keyed.map((run) => run.get(key));
    const last = rows.findLast((row) => row !== undefined)!;
    const cells = rows.map((row) => (row ? `${row.value} (${row.ratio || '–'}): ${row.met ? 'met' : '**missed**'}` : 'not measured'));
    const all = rows.length === CONSECUTIVE_RUNS && rows.every((row) => row?.met === true);
    lines.push(`| ${last.section ?? ''} | ${last.figure} | ${last.goal} | ${cells.join(' | ')} | ${all ? 'yes' : '**no**'} |`);
  }
  if (runs.length < CONSECUTIVE_RUNS)
    lines.push('', `Only ${runs.length} full run(s) so far: the goals are judged over ${CONSECUTIVE_RUNS}.`);
  return lines.join('\n');
}
