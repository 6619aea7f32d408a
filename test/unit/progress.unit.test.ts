import { describe, expect, it } from 'vitest';
import { progressBar, progressCount } from '../../scripts/progress.ts';

describe("the operator scripts' progress", () => {
  it('redraws a bar in place on a terminal, and prints only the finished bar elsewhere', () => {
    const terminal: string[] = [];
    const bar = progressBar('moving', 40, (text) => terminal.push(text), true);
    for (let done = 0; done <= 40; done++) bar(done);
    expect(terminal).toHaveLength(21); // one redraw per filled cell (0 to 20), not one per step
    expect(terminal.at(-1)).toBe(`\r${'moving'.padEnd(34)} [${'#'.repeat(20)}] 40/40\n`);
    const log: string[] = [];
    const quiet = progressBar('moving', 40, (text) => log.push(text), false);
    for (let done = 0; done <= 40; done++) quiet(done);
    expect(log).toEqual([`${'moving'.padEnd(34)} [${'#'.repeat(20)}] 40/40\n`]);
  });

  it('shows a running count at most five times a second on a terminal, clears it at the end, and says nothing elsewhere', () => {
    const terminal: string[] = [];
    const count = progressCount((text) => terminal.push(text), true);
    for (let i = 1; i <= 1000; i++) count.show(`${i} orders`);
    count.end();
    expect(terminal).toEqual(['\r1 orders\x1b[K', '\r\x1b[K']); // a thousand calls within 200 ms: drawn once
    const log: string[] = [];
    const quiet = progressCount((text) => log.push(text), false);
    quiet.show('1 orders');
    quiet.end();
    expect(log).toEqual([]);
  });
});
