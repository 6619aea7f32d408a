import { nextFiring, parseSchedule, type Schedule } from './schedule.ts';

/** A schedule rule: its name, its expression, and what a firing does (deliver its event to the rule's targets). */
export interface ScheduledRule {
  readonly name: string;
  readonly expression: string;
  /** Resolves when the firing's deliveries have ended. */
  fire(time: Date): Promise<void>;
}

export interface SchedulerOptions {
  /** Local time runs this many times faster for schedules (60: `rate(1 minute)` fires every second). @default 1 */
  readonly timeScale?: number;
}

/** Plays the timing of EventBridge schedule rules: each fires at its expression's times (scaled). */
export class Scheduler {
  readonly firings = new Map<string, number>();
  private readonly rules: ScheduledRule[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  private readonly options: SchedulerOptions;

  constructor(options: SchedulerOptions = {}) {
    this.options = options;
  }

  add(rule: ScheduledRule): void {
    this.rules.push(rule);
    const schedule = parseSchedule(rule.expression);
    const startedAt = Date.now();
    const scale = this.options.timeScale ?? 1;
    const arm = (afterMs: number): void => {
      if (this.stopped) return;
      // Schedules are computed in scaled time, so cron minutes shrink with rates alike.
      const scaledNow = startedAt + (afterMs - startedAt) * scale;
      const next = nextFiring(schedule as Schedule, scaledNow, startedAt);
      const delay = Math.max(0, (next - scaledNow) / scale);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.fire(rule, new Date(next));
        arm(Date.now());
      }, delay);
      this.timers.add(timer);
    };
    arm(startedAt);
  }

  /** Fires a rule now, as `aws events put-events` would for a test. */
  fire(rule: ScheduledRule, time = new Date()): void {
    this.firings.set(rule.name, (this.firings.get(rule.name) ?? 0) + 1);
    const run = rule.fire(time).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  /**
   * Fires every rule now and waits for its targets: a benchmark's way to have scheduled functions warm before
   * it measures, as they are on AWS after their first minute.
   */
  async fireAll(): Promise<void> {
    for (const rule of this.rules) this.fire(rule);
    await Promise.all(this.inFlight);
  }

  /** No more firings; the deliveries in flight go on (a leader's turn may poll for most of a minute). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
  }

  /** Waits for the deliveries in flight: after their functions closed, they end at once. */
  async settled(): Promise<void> {
    await Promise.all(this.inFlight);
  }
}
