import type { InvokeOutcome } from '../lambda/function-runtime.ts';

/** `AWS::Lambda::EventSourceMapping` properties the pollers honour. */
export interface EventSourceMappingConfig {
  readonly id: string;
  readonly functionArn: string;
  readonly eventSourceArn: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowMs: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly reportBatchItemFailures: boolean;
  readonly bisectBatchOnFunctionError: boolean;
  /** -1: retry until the record expires. */
  readonly maximumRetryAttempts: number;
  /** -1: records never expire. */
  readonly maximumRecordAgeSeconds: number;
  readonly onFailureDestinationArn?: string;
  readonly filter: (record: unknown) => boolean;
  readonly maximumConcurrency?: number;
  readonly enabled: boolean;
}

export interface PollerDependencies {
  readonly region: string;
  readonly invoke: (functionArn: string, event: unknown) => Promise<InvokeOutcome>;
  /** Sends a failure record to an SQS queue or SNS topic ARN (OnFailure destinations). */
  readonly sendToDestination: (arn: string, message: unknown) => Promise<void>;
  readonly log: (line: string) => void;
}

export interface PollerStats {
  batches: number;
  records: number;
  failedBatches: number;
  filteredOut: number;
  sentToDestination: number;
}

export interface Poller {
  readonly config: EventSourceMappingConfig;
  start(): void;
  stop(): Promise<void>;
  /** Counters for the report and the benches. */
  readonly stats: PollerStats;
}

/** What every event source poller shares: its mapping, counters, and loops that stop together. */
export abstract class EventSourcePoller implements Poller {
  readonly stats: PollerStats = { batches: 0, records: 0, failedBatches: 0, filteredOut: 0, sentToDestination: 0 };
  readonly config: EventSourceMappingConfig;
  protected readonly deps: PollerDependencies;
  protected readonly abort = new AbortController();
  private readonly tasks = new Set<Promise<void>>();

  constructor(config: EventSourceMappingConfig, deps: PollerDependencies) {
    this.config = config;
    this.deps = deps;
  }

  /** Starts the poller's loops (a disabled mapping polls nothing). */
  start(): void {
    if (this.config.enabled) this.run();
  }

  /** Stops polling and waits for every batch in flight to finish. */
  async stop(): Promise<void> {
    this.abort.abort();
    while (this.tasks.size > 0) await Promise.all(this.tasks);
  }

  protected abstract run(): void;

  /** Runs a loop until it ends; stop() waits for it. */
  protected track(task: Promise<void>): Promise<void> {
    const tracked = task.finally(() => this.tasks.delete(tracked));
    this.tasks.add(tracked);
    return tracked;
  }
}

/** Partial batch response: the identifiers the function reports as failed; 'all' when the response is invalid. */
export function reportedFailures(outcome: InvokeOutcome, identifiers: string[]): Set<string> | 'all' {
  if (!outcome.ok) return 'all';
  const payload = outcome.payload as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null;
  const failures = payload?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const known = new Set(identifiers);
  const failed = new Set<string>();
  for (const failure of failures) {
    // An empty, null or unknown identifier fails the whole batch, as Lambda does.
    if (typeof failure?.itemIdentifier !== 'string' || !known.has(failure.itemIdentifier)) return 'all';
    failed.add(failure.itemIdentifier);
  }
  return failed;
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
