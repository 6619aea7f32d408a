/**
 * Polls `check` until it returns without throwing, at most `timeoutMs`: asynchronous effects are awaited
 * with a bound, never with a fixed sleep. Rethrows the last failure when time runs out.
 *
 * Between tries it rests `intervalMs`, or `restRatio` times as long as the failed try took if that is
 * longer: a heavy check (a scan of every read model) then takes at most 1 / (1 + restRatio) of a machine
 * whose other work it is waiting for.
 */
export async function eventually<T>(check: () => Promise<T> | T, { timeoutMs = 20_000, intervalMs = 100, restRatio = 0 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const started = Date.now();
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.max(intervalMs, restRatio * (Date.now() - started))));
    }
  }
}
