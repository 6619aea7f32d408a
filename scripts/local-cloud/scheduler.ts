import { randomUUID } from 'node:crypto';
import type { InvokeOutcome } from './lambda/function-runtime.ts';
import { nextFiring, parseSchedule, type Schedule } from './schedule.ts';

export interface ScheduledRule {
  readonly name: string;
  readonly arn: string;
  readonly expression: string;
  readonly targets: { id: string; functionArn: string; input?: string }[];
}

export interface SchedulerOptions {
  readonly region: string;
  readonly accountId: string;
  /** Local time runs this many times faster for schedules (60: `rate(1 minute)` fires every second). @default 1 */
  readonly timeScale?: number;
  readonly invoke: (functionArn: string, event: unknown) => Promise<InvokeOutcome>;
  readonly log: (line: string) => void;
}

/** Lambda retries a failed asynchronous invocation twice, about a minute apart; locally a second apart. */
const ASYNC_RETRIES = 2;

/** Plays EventBridge schedule rules: each fires its Lambda targets asynchronously, with Lambda's async retries. */
export class Scheduler {
  readonly firings = new Map<string, number>();
  private readonly rules: ScheduledRule[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  private readonly options: SchedulerOptions;

  constructor(options: SchedulerOptions) {
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
    for (const target of rule.targets) {
      const event = target.input
        ? JSON.parse(target.input)
        : {
            version: '0',
            id: randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            account: this.options.accountId,
            time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
            region: this.options.region,
            resources: [rule.arn],
            detail: {},
          };
      const run = this.invokeWithRetries(rule, target.functionArn, event).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }
  }

  /**
   * Fires every rule now and waits for its targets: a benchmark's way to have scheduled functions warm before
   * it measures, as they are on AWS after their first minute.
   */
  async fireAll(): Promise<void> {
    for (const rule of this.rules) this.fire(rule);
    await Promise.all(this.inFlight);
  }

  /** No more firings; the invocations in flight go on (a leader's turn may poll for most of a minute). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
  }

  /** Waits for the invocations in flight: after their functions closed, they end at once. */
  async settled(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  private async invokeWithRetries(rule: ScheduledRule, functionArn: string, event: unknown): Promise<void> {
    for (let attempt = 0; attempt <= ASYNC_RETRIES && !this.stopped; attempt++) {
      const outcome = await this.options.invoke(functionArn, event);
      if (outcome.ok) return;
      this.options.log(`schedule ${rule.name}: attempt ${attempt + 1} failed (${outcome.error.errorMessage})`);
      if (attempt < ASYNC_RETRIES) await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
