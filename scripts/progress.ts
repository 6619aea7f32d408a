/**
 * How the operator scripts show long work: on stderr, so a script's answer on stdout (`--json`) stays
 * clean; redrawn in place on a terminal, and only the final line elsewhere (CI logs get one line, not
 * hundreds).
 */
const toStderr = (text: string) => void process.stderr.write(text);
const stderrIsTerminal = () => Boolean(process.stderr.isTTY);

/** A bar on one line, for work whose size is known: `label [#####…] done/total`. */
export function progressBar(label: string, total: number, write: (text: string) => void = toStderr, live = stderrIsTerminal()) {
  let shown = -1;
  return (done: number) => {
    const filled = Math.floor((Math.min(done, total) / Math.max(total, 1)) * 20);
    if (filled === shown) return;
    shown = filled;
    const line = `${label.padEnd(34)} [${'#'.repeat(filled).padEnd(20)}] ${done}/${total}`;
    if (live) write(`\r${line}${done >= total ? '\n' : ''}`);
    else if (done >= total) write(`${line}\n`);
  };
}

/**
 * A running count, for work whose size is known only at its end: `show(text)` redraws it at most five times
 * a second on a terminal (elsewhere nothing: the script's summary says the total); `end()` clears it.
 */
export function progressCount(write: (text: string) => void = toStderr, live = stderrIsTerminal()) {
  let last = 0;
  return {
    show(text: string): void {
      if (!live || Date.now() - last < 200) return;
      last = Date.now();
      write(`\r${text}\x1b[K`);
    },
    end(): void {
      if (live && last > 0) write('\r\x1b[K');
    },
  };
}
