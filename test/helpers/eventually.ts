/**
 * Polls `check` until it returns without throwing, at most `timeoutMs`: asynchronous effects are awaited
 * with a bound, never with a fixed sleep. Rethrows the last failure when time runs out.
 */
export async function eventually<T>(check: () => Promise<T> | T, { timeoutMs = 20_000, intervalMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
