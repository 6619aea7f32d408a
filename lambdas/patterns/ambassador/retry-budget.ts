/**
 * A retry budget (as in Finagle and gRPC): every first attempt deposits `ratio` of a token, every retry
 * withdraws one, plus a floor of `minPerSecond` retries. When a dependency fails everything, retries add
 * at most `ratio` more load instead of multiplying it by the attempt count.
 */
export class RetryBudget {
  private tokens = 0;
  private floorTokens: number;
  private lastRefill: number;
  private readonly ratio: number;
  private readonly minPerSecond: number;
  private readonly clock: () => number;

  constructor(ratio: number, minPerSecond: number, clock: () => number = Date.now) {
    this.ratio = ratio;
    this.minPerSecond = minPerSecond;
    this.clock = clock;
    this.floorTokens = minPerSecond;
    this.lastRefill = clock();
  }

  /** A first attempt went out. */
  deposit(): void {
    this.tokens = Math.min(this.tokens + this.ratio, 100);
  }

  /** Whether a retry may go out now (and spends its token). */
  tryWithdraw(): boolean {
    const now = this.clock();
    this.floorTokens = Math.min(this.minPerSecond, this.floorTokens + ((now - this.lastRefill) / 1000) * this.minPerSecond);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    if (this.floorTokens >= 1) {
      this.floorTokens -= 1;
      return true;
    }
    return false;
  }
}
