/**
 * EventBridge's event buses as the template declares them: `PutEvents` onto the default bus or a custom one,
 * rules matching event patterns (the matcher Lambda's event filters use) or firing on a schedule, and each
 * matched target delivered its input — a Lambda function (invoked asynchronously, with Lambda's own retries
 * of a failed invocation), an SQS queue or an SNS topic — with the target's retry policy and dead-letter
 * queue for deliveries that fail.
 */
import { randomUUID } from 'node:crypto';
import { matchesPattern, type Pattern } from '../event-pattern.ts';
import type { InvokeOutcome } from '../lambda/function-runtime.ts';
import { targetInput, type BusEvent, type TargetInputConfig } from './target-input.ts';

export interface BusTarget extends TargetInputConfig {
  readonly Id: string;
  readonly Arn: string;
  readonly RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  readonly DeadLetterConfig?: { Arn?: string };
  readonly SqsParameters?: { MessageGroupId?: string };
}

export interface BusRule {
  readonly name: string;
  readonly arn: string;
  readonly eventBusName: string;
  readonly eventPattern?: Pattern;
  readonly scheduleExpression?: string;
  readonly enabled: boolean;
  readonly description?: string;
  readonly targets: readonly BusTarget[];
}

export interface EventBusesDeps {
  readonly region: string;
  readonly accountId: string;
  /** Retries wait this many times less (as schedules run faster). @default 1 */
  readonly timeScale?: number;
  /** Invokes the function. Rejects with `name: 'ResourceNotFoundException'` for a function that is not there. */
  invokeFunction(functionArn: string, payload: unknown): Promise<InvokeOutcome>;
  /**
   * Whether the rule may do `action` (`lambda:InvokeFunction`, `sqs:SendMessage`, `sns:Publish`) on a target or
   * dead-letter queue, by that resource's policy, as on AWS. @default always
   */
  mayDeliver?(action: string, resourceArn: string, ruleArn: string): boolean;
  sendToQueue(
    queueArn: string,
    body: string,
    options?: { groupId?: string; deduplicationId?: string; attributes?: Record<string, string> },
  ): Promise<void>;
  publishToTopic(topicArn: string, message: string): Promise<void>;
  log(line: string): void;
}

/** A bus named by name or ARN (a rule's `EventBusName`), as its name; the default bus when none is named. */
export const busName = (nameOrArn: unknown): string =>
  typeof nameOrArn === 'string' && nameOrArn ? nameOrArn.replace(/^arn:[^:]+:events:[^:]*:\d*:event-bus\//, '') : 'default';

/** One entry of a `PutEvents` call, as the API takes it. */
export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  /** Seconds since the epoch, as the JSON protocol sends a timestamp. */
  Time?: number | string;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** A request EventBridge refuses whole (ValidationException). */
export class PutEventsValidationError extends Error {
  override readonly name = 'ValidationException';
}

/** EventBridge's defaults when a target has no retry policy: 185 retries within 24 hours. */
const DEFAULT_RETRY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };
/** Lambda retries a failed asynchronous invocation twice, about a minute apart; locally a second apart. */
const LAMBDA_ASYNC_RETRIES = 2;
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

interface DeliveryFailure {
  readonly code: string;
  readonly message: string;
  /** Throttling, a service error or no answer: EventBridge tries again. A refusal (4xx) it does not. */
  readonly retryable: boolean;
}

function deliveryFailure(error: unknown): DeliveryFailure {
  const e = (error ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const retryable = status === undefined || status >= 500 || status === 429 || /Throttl/i.test(e.name ?? '');
  return { code: e.name ?? 'Error', message: e.message ?? String(error), retryable };
}

/** What a delivery to each kind of target asks of the target's resource policy. */
const DELIVERY_ACTIONS: Record<string, string> = { sqs: 'sqs:SendMessage', sns: 'sns:Publish', lambda: 'lambda:InvokeFunction' };

/** An error as an AWS SDK call rejects with: its code as its name, the answer's status (which decides a retry). */
const serviceError = (name: string, status: number, message: string) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

/** What `invokeFunction` rejects with for a function that is not there: a delivery EventBridge does not retry. */
export const functionNotFound = (functionArn: string) =>
  serviceError('ResourceNotFoundException', 404, `Function not found: ${functionArn}`);

/** An ISO time without milliseconds, as events carry it. */
const eventTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class EventBuses {
  /** Per target (`rule/targetId`): deliveries made, failed attempts, events sent to its DLQ, events dropped. */
  readonly stats = new Map<string, { delivered: number; failedAttempts: number; deadLettered: number; dropped: number }>();
  /** Each bus's name → its ARN, the default bus among them. */
  readonly buses: ReadonlyMap<string, string>;
  readonly rules: readonly BusRule[];
  private readonly deps: EventBusesDeps;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  /** `buses`: name → ARN, the default bus among them. */
  constructor(deps: EventBusesDeps, buses: ReadonlyMap<string, string>, rules: readonly BusRule[]) {
    this.deps = deps;
    this.buses = buses;
    this.rules = rules;
  }

  rulesOf(busName: string): readonly BusRule[] {
    return this.rules.filter((r) => r.eventBusName === busName);
  }

  /** A bus named by name or ARN; undefined if there is none such. */
  resolveBus(nameOrArn: string | undefined): string | undefined {
    const name = busName(nameOrArn);
    return this.buses.has(name) ? name : undefined;
  }

  /** `PutEvents`: each valid entry becomes an event on its bus, routed to the rules it matches. */
  putEvents(entries: readonly PutEventsEntry[] | undefined): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw new PutEventsValidationError(`Entries must hold 1 to ${MAX_ENTRIES} entries`);
    }
    const size = entries.reduce(
      (sum, e) => sum + 14 + [e.Source, e.DetailType, e.Detail, ...(e.Resources ?? [])].reduce((s, v) => s + Buffer.byteLength(v ?? ''), 0),
      0,
    );
    if (size > MAX_REQUEST_BYTES) throw new PutEventsValidationError('Total size of the entries in the request is over the limit.');
    const results = entries.map((entry) => this.putEvent(entry));
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private putEvent(entry: PutEventsEntry): PutEventsResultEntry {
    const invalid = (field: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
    });
    if (!entry.Source) return invalid('Source');
    if (!entry.DetailType) return invalid('DetailType');
    if (!entry.Detail) return invalid('Detail');
    // Only AWS services put events with their own sources.
    if (entry.Source.startsWith('aws.'))
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const bus = this.resolveBus(entry.EventBusName);
    if (!bus) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` };
    const time = entry.Time === undefined ? new Date() : new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time);
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.deps.accountId,
      time: eventTime(Number.isNaN(time.getTime()) ? new Date() : time),
      region: this.deps.region,
      resources: entry.Resources ?? [],
      detail,
    };
    for (const rule of this.rulesOf(bus)) {
      if (rule.enabled && rule.eventPattern && matchesPattern(rule.eventPattern, event)) void this.dispatch(rule, event);
    }
    return { EventId: event.id };
  }

  /** The event a schedule rule sends when it fires at `time`. */
  scheduledEvent(rule: BusRule, time: Date): BusEvent {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.deps.accountId,
      time: eventTime(time),
      region: this.deps.region,
      resources: [rule.arn],
      detail: {},
    };
  }

  /** Delivers `event` to each of the rule's targets; resolves when every delivery has ended. */
  dispatch(rule: BusRule, event: BusEvent): Promise<void> {
    const ingestedAt = Date.now();
    const run = Promise.all(rule.targets.map((target) => this.deliver(rule, target, event, ingestedAt))).then(() => undefined);
    const tracked = run.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return tracked;
  }

  /** No more retries start; deliveries in flight end at their next wait. */
  stop(): void {
    this.stopped = true;
  }

  async settled(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  private statsOf(rule: BusRule, target: BusTarget) {
    const key = `${rule.name}/${target.Id}`;
    let stats = this.stats.get(key);
    if (!stats) this.stats.set(key, (stats = { delivered: 0, failedAttempts: 0, deadLettered: 0, dropped: 0 }));
    return stats;
  }

  private async deliver(rule: BusRule, target: BusTarget, event: BusEvent, ingestedAt: number): Promise<void> {
    const stats = this.statsOf(rule, target);
    const scale = this.deps.timeScale ?? 1;
    const policy = { ...DEFAULT_RETRY, ...target.RetryPolicy };
    const input = targetInput(target, event, rule, new Date(ingestedAt).toISOString());
    for (let retries = 0; ; retries++) {
      try {
        await this.send(rule, target, input, event);
        stats.delivered++;
        return;
      } catch (error) {
        stats.failedAttempts++;
        const failure = deliveryFailure(error);
        const waitMs = Math.min(1000 * 2 ** retries, 60_000) / scale;
        const exhausted = !failure.retryable
          ? undefined
          : retries >= policy.MaximumRetryAttempts
            ? 'MaximumRetryAttempts'
            : (Date.now() - ingestedAt + waitMs) * scale > policy.MaximumEventAgeInSeconds * 1000
              ? 'MaximumEventAgeInSeconds'
              : null;
        if (this.stopped && exhausted === null) {
          stats.dropped++;
          this.deps.log(`rule ${rule.name}: target ${target.Id} failed as the cloud stopped; event ${event.id} dropped`);
          return;
        }
        if (exhausted !== null) {
          await this.deadLetter(rule, target, event, failure, retries, exhausted);
          return;
        }
        this.deps.log(`rule ${rule.name}: target ${target.Id} failed (${failure.code}: ${failure.message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  /** Refuses, as AWS does, a delivery the resource's policy does not let the rule make: not retried. */
  private checkAccess(rule: BusRule, action: string, resourceArn: string): void {
    if (this.deps.mayDeliver && !this.deps.mayDeliver(action, resourceArn, rule.arn)) {
      throw serviceError(
        'AccessDeniedException',
        403,
        `events.amazonaws.com may not ${action} on ${resourceArn} for ${rule.arn}: its resource policy does not allow it`,
      );
    }
  }

  private async send(rule: BusRule, target: BusTarget, input: string, event: BusEvent): Promise<void> {
    const [, , service] = target.Arn.split(':');
    const action = DELIVERY_ACTIONS[service ?? ''];
    if (action) this.checkAccess(rule, action, target.Arn);
    if (service === 'sqs') {
      const groupId = target.SqsParameters?.MessageGroupId;
      return this.deps.sendToQueue(target.Arn, input, groupId ? { groupId, deduplicationId: event.id } : {});
    }
    if (service === 'sns') return this.deps.publishToTopic(target.Arn, input);
    if (service === 'lambda') return this.invokeAsynchronously(rule, target.Arn, input);
    throw serviceError('NotEmulated', 400, `targets of ${service} are not emulated (Lambda, SQS and SNS are)`);
  }

  /**
   * An asynchronous invocation: delivered once Lambda has it (a function that is not there fails the
   * delivery); a failed invocation is Lambda's to retry, twice, and then to drop, as for any async event.
   */
  private async invokeAsynchronously(rule: BusRule, functionArn: string, input: string): Promise<void> {
    let payload: unknown;
    try {
      payload = JSON.parse(input);
    } catch {
      throw serviceError('InvalidRequestContentException', 400, 'the input is not JSON');
    }
    for (let attempt = 0; attempt <= LAMBDA_ASYNC_RETRIES; attempt++) {
      const outcome = await this.deps.invokeFunction(functionArn, payload);
      if (outcome.ok) return;
      this.deps.log(`rule ${rule.name}: ${functionArn} attempt ${attempt + 1} failed (${outcome.error.errorMessage})`);
      if (attempt < LAMBDA_ASYNC_RETRIES && !this.stopped) await new Promise((r) => setTimeout(r, 1000));
      else return;
    }
  }

  private async deadLetter(
    rule: BusRule,
    target: BusTarget,
    event: BusEvent,
    failure: DeliveryFailure,
    retries: number,
    exhausted: string | undefined,
  ): Promise<void> {
    const stats = this.statsOf(rule, target);
    const dlq = target.DeadLetterConfig?.Arn;
    const why = `${failure.code}: ${failure.message}`;
    if (dlq) {
      try {
        this.checkAccess(rule, 'sqs:SendMessage', dlq);
        await this.deps.sendToQueue(dlq, JSON.stringify(event), {
          attributes: {
            RULE_ARN: rule.arn,
            TARGET_ARN: target.Arn,
            ERROR_CODE: failure.code,
            ERROR_MESSAGE: failure.message,
            RETRY_ATTEMPTS: String(retries),
            ...(exhausted ? { EXHAUSTED_RETRY_CONDITION: exhausted } : {}),
          },
        });
        stats.deadLettered++;
        this.deps.log(`rule ${rule.name}: target ${target.Id} gave up after ${retries} retries (${why}); the event is in ${dlq}`);
        return;
      } catch (error) {
        this.deps.log(`rule ${rule.name}: target ${target.Id}'s dead-letter queue refused the event too (${String(error)})`);
      }
    }
    stats.dropped++;
    this.deps.log(`rule ${rule.name}: target ${target.Id} gave up after ${retries} retries (${why}); event ${event.id} dropped`);
  }
}
