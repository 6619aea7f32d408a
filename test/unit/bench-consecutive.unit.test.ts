/** The table of goals over consecutive full bench runs, made from results files alone. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { consecutiveRunsTable, lastFullRuns, type ResultsFile } from '../../bench/consecutive.ts';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

const run = (full: boolean, failFast: string, met: boolean): ResultsFile => ({
  date: '2026-12-05',
  full,
  calibration: { cpuLoopMs: 100.4, putItemsPerSecond: 420.6 },
  rows: [
    {
      section: 'circuit-breaker',
      figure: `fail-fast p99 (trials: ${failFast})`,
      value: failFast,
      baseline: 'opossum',
      ratio: '2.0×',
      goal: '≤ 1 ms',
      met,
    },
    { section: 'circuit-breaker', figure: 'calls', value: '83', baseline: 'opossum: 136', ratio: '0.61×' },
    { section: 'scale', figure: 'index A', value: '680/s', baseline: '', ratio: '', goal: '≤ 1,000/s', met: true },
    { section: 'scale', figure: 'index B', value: '580/s', baseline: '', ratio: '', goal: '≤ 1,000/s', met: true },
  ],
});

describe('the goals over consecutive full runs', () => {
  it('takes the last three full runs, oldest first, and leaves section-only runs out', () => {
    dir = mkdtempSync(join(tmpdir(), 'consecutive-'));
    const files: [string, ResultsFile][] = [
      ['2026-12-05T1000.json', run(true, '0.4 ms', true)],
      ['2026-12-05T1100.json', run(true, '0.5 ms', true)],
      ['2026-12-05T1200.json', run(false, '9 ms', false)],
      ['2026-12-05T1300.json', run(true, '0.6 ms', true)],
      ['2026-12-05T1400.json', run(true, '1.2 ms', false)],
    ];
    for (const [name, results] of files) writeFileSync(join(dir, name), JSON.stringify(results));
    writeFileSync(join(dir, 'latest-cpu.md'), 'not a results file');
    expect(lastFullRuns(dir).map((r) => r.name)).toEqual(['2026-12-05T1100.json', '2026-12-05T1300.json', '2026-12-05T1400.json']);
  });

  it('lines each goal up across the runs by section, goal and place, and says whether every run met it', () => {
    const table = consecutiveRunsTable([
      { name: 'T1.json', results: run(true, '0.4 ms', true) },
      { name: 'T2.json', results: run(true, '0.5 ms', true) },
      { name: 'T3.json', results: run(true, '1.2 ms', false) },
    ]);
    const lines = table.split('\n').filter((line) => line.startsWith('| '));
    expect(lines).toHaveLength(4); // the header and three goal rows; the row without a goal is left out
    expect(lines[1]).toBe(
      '| circuit-breaker | fail-fast p99 (trials: 1.2 ms) | ≤ 1 ms | 0.4 ms (2.0×): met | 0.5 ms (2.0×): met | 1.2 ms (2.0×): **missed** | **no** |',
    );
    expect(lines[2]).toBe('| scale | index A | ≤ 1,000/s | 680/s (–): met | 680/s (–): met | 680/s (–): met | yes |');
    expect(lines[3]).toContain('| scale | index B |');
    expect(table).toContain('`T1` (CPU loop 100 ms, 421 PutItems/s)');
  });

  it('says when fewer than three full runs exist, and counts no goal as met in all then', () => {
    const table = consecutiveRunsTable([{ name: 'T1.json', results: run(true, '0.4 ms', true) }]);
    expect(table).toContain('Only 1 full run(s) so far');
    expect(table).toMatch(/\| \*\*no\*\* \|$/m);
  });
});
