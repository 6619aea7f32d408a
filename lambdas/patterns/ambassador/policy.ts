import * as z from 'zod';

/** How the ambassador treats one outbound target. Declared once, in CDK context, and read at run time. */
export const targetPolicySchema = z.strictObject({
  baseUrl: z.url(),
  /** Per attempt. */
  timeoutMs: z.number().int().positive().max(30_000),
  /** First attempt included. */
  maxAttempts: z.number().int().min(1).max(10),
  baseDelayMs: z.number().int().min(0),
  maxDelayMs: z.number().int().min(0),
  /** Retries may add at most this share of first attempts (plus `minRetriesPerSecond`): retries cannot multiply an outage. */
  retryBudgetRatio: z.number().min(0).max(1),
  minRetriesPerSecond: z.number().min(0),
  /** Secrets Manager secret (name or ARN) whose value is sent as `Authorization: Bearer …`. */
  authSecret: z.string().min(1).optional(),
});
export type TargetPolicy = z.infer<typeof targetPolicySchema>;
export const outboundPolicySchema = z.record(z.string(), targetPolicySchema);
export type OutboundPolicy = z.infer<typeof outboundPolicySchema>;

export interface PolicySourceOptions {
  /** Reads the current policy document (an SSM parameter, through Powertools Parameters' cache). */
  readonly load: () => Promise<unknown>;
  /** A load slower than this counts as failed. @default 500 */
  readonly loadTimeoutMs?: number;
  /** How long the last good policy may stand in when loads fail. @default 15 minutes */
  readonly maxStaleMs?: number;
  readonly clock?: () => number;
  readonly onStale?: (error: unknown, ageMs: number) => void;
}

/**
 * The outbound policy as the ambassador sees it: loaded through a short cache, so a change to the
 * parameter reaches every instance within the cache time with no deployment; and never a hard dependency:
 * a slow or failing parameter store degrades to the last policy that loaded, for at most `maxStaleMs`.
 */
export class PolicySource {
  private lastGood?: { policy: OutboundPolicy; at: number };
  private readonly options: PolicySourceOptions;

  constructor(options: PolicySourceOptions) {
    this.options = options;
  }

  async target(name: string): Promise<TargetPolicy> {
    const policy = (await this.current())[name];
    if (!policy) throw new Error(`No outbound policy for target ${name}`);
    return policy;
  }

  private async current(): Promise<OutboundPolicy> {
    const clock = this.options.clock ?? Date.now;
    const timeoutMs = this.options.loadTimeoutMs ?? 500;
    let timer: NodeJS.Timeout | undefined;
    try {
      const raw = await Promise.race([
        this.options.load(),
        new Promise<never>(
          (_, reject) => (timer = setTimeout(() => reject(new Error(`policy load took over ${timeoutMs} ms`)), timeoutMs)),
        ),
      ]);
      const policy = outboundPolicySchema.parse(typeof raw === 'string' ? JSON.parse(raw) : raw);
      this.lastGood = { policy, at: clock() };
      return policy;
    } catch (error) {
      const age = this.lastGood ? clock() - this.lastGood.at : Number.POSITIVE_INFINITY;
      if (!this.lastGood || age > (this.options.maxStaleMs ?? 15 * 60_000)) throw error;
      this.options.onStale?.(error, age);
      return this.lastGood.policy;
    } finally {
      clearTimeout(timer);
    }
  }
}
