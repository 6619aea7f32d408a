import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NOT_JSON, readJsonInput, RegionalService, replyJson as reply } from './local-endpoint.ts';

interface LogEvent {
  readonly timestamp: number;
  readonly ingestionTime: number;
  readonly message: string;
  readonly logStreamName: string;
  readonly eventId: string;
}

interface LogGroup {
  readonly created: number;
  readonly streams: Map<string, { created: number; firstEvent: number; lastEvent: number }>;
  events: LogEvent[];
}

/** The newest events kept per log group: a local cloud runs for hours, its memory is not a log archive. */
const EVENTS_PER_GROUP = 5_000;
const PAGE_SIZE = 1_000;

/**
 * CloudWatch Logs, as far as reading the functions' logs needs it (`aws logs filter-log-events`,
 * `describe-log-groups`, `describe-log-streams`, `get-log-events`): every line a function prints lands in
 * `/aws/lambda/<function>`, one stream per sandbox, as on Lambda. AWS's JSON 1.1 protocol, in memory, the
 * newest 5,000 events of each group kept.
 */
export class LocalLogs extends RegionalService {
  private readonly groups = new Map<string, LogGroup>();

  put(groupName: string, streamName: string, message: string, atMs = Date.now()): void {
    let group = this.groups.get(groupName);
    if (!group) this.groups.set(groupName, (group = { created: atMs, streams: new Map(), events: [] }));
    const stream = group.streams.get(streamName);
    if (stream) stream.lastEvent = atMs;
    else group.streams.set(streamName, { created: atMs, firstEvent: atMs, lastEvent: atMs });
    group.events.push({ timestamp: atMs, ingestionTime: atMs, message, logStreamName: streamName, eventId: randomUUID() });
    if (group.events.length > EVENTS_PER_GROUP * 1.2) group.events = group.events.slice(-EVENTS_PER_GROUP);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const input = await readJsonInput(req);
    if (!input) return reply(res, 400, NOT_JSON);
    const action = target.startsWith('Logs_20140328.') ? target.slice('Logs_20140328.'.length) : '';
    const denial = this.denied(req, () => [{ action: `logs:${action}`, resource: this.resourceOf(input), context: {} }]);
    if (denial) return reply(res, 400, { __type: 'AccessDeniedException', message: denial.message });
    try {
      switch (action) {
        case 'DescribeLogGroups':
          return reply(res, 200, this.describeLogGroups(input));
        case 'DescribeLogStreams':
          return reply(res, 200, this.describeLogStreams(input));
        case 'FilterLogEvents':
          return reply(res, 200, this.filterLogEvents(input));
        case 'GetLogEvents':
          return reply(res, 200, this.getLogEvents(input));
        default:
          return reply(res, 400, { __type: 'UnknownOperationException', message: `${target} is not emulated locally` });
      }
    } catch (error) {
      if (error instanceof LogsError) return reply(res, 400, { __type: error.type, message: error.message });
      throw error;
    }
  }

  /** The log group a call names: by `logGroupName`, or `logGroupIdentifier` (a name or an ARN, `…:log-group:NAME[:*]`). */
  private groupName(input: Record<string, any>): string {
    return String(input.logGroupName ?? input.logGroupIdentifier ?? '').replace(/^arn:[^:]+:logs:[^:]*:\d*:log-group:([^:]+).*$/, '$1');
  }

  /**
   * The resource a call is authorized on, as CloudWatch Logs names it in its refusals: the log stream's ARN,
   * with an empty stream for a call on the whole group (`…:log-group:NAME:log-stream:`), so grants on `…:log-group:NAME:*` match.
   */
  private resourceOf(input: Record<string, any>): string {
    return `${this.arn(this.groupName(input))}:log-stream:${typeof input.logStreamName === 'string' ? input.logStreamName : ''}`;
  }

  private group(input: Record<string, any>): [string, LogGroup] {
    const name = this.groupName(input);
    const group = this.groups.get(name);
    if (!group) throw new LogsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return [name, group];
  }

  private arn(groupName: string): string {
    return `arn:aws:logs:${this.region}:${this.accountId}:log-group:${groupName}`;
  }

  private describeLogGroups(input: Record<string, any>) {
    const prefix = String(input.logGroupNamePrefix ?? '');
    const pattern = input.logGroupNamePattern ? String(input.logGroupNamePattern) : undefined;
    const names = [...this.groups.keys()].filter((name) => name.startsWith(prefix) && (!pattern || name.includes(pattern))).sort();
    const page = paginate(names, input.nextToken, Number(input.limit ?? 50));
    return {
      logGroups: page.items.map((name) => ({
        logGroupName: name,
        creationTime: this.groups.get(name)!.created,
        arn: `${this.arn(name)}:*`,
        logGroupArn: this.arn(name),
        storedBytes: this.groups.get(name)!.events.reduce((sum, e) => sum + e.message.length, 0),
        logGroupClass: 'STANDARD',
      })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  private describeLogStreams(input: Record<string, any>) {
    const [groupName, group] = this.group(input);
    const prefix = String(input.logStreamNamePrefix ?? '');
    const streams = [...group.streams.entries()].filter(([name]) => name.startsWith(prefix));
    if (input.orderBy === 'LastEventTime') streams.sort(([, a], [, b]) => a.lastEvent - b.lastEvent);
    else streams.sort(([a], [b]) => a.localeCompare(b));
    if (input.descending) streams.reverse();
    const page = paginate(streams, input.nextToken, Number(input.limit ?? 50));
    return {
      logStreams: page.items.map(([name, s]) => ({
        logStreamName: name,
        creationTime: s.created,
        firstEventTimestamp: s.firstEvent,
        lastEventTimestamp: s.lastEvent,
        lastIngestionTime: s.lastEvent,
        arn: `${this.arn(groupName)}:log-stream:${name}`,
      })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  private filterLogEvents(input: Record<string, any>) {
    const [, group] = this.group(input);
    const streamNames = input.logStreamNames ? new Set(input.logStreamNames as string[]) : undefined;
    const streamPrefix = input.logStreamNamePrefix ? String(input.logStreamNamePrefix) : undefined;
    const matches = compileFilterPattern(String(input.filterPattern ?? ''));
    const events = group.events.filter(
      (e) =>
        (input.startTime === undefined || e.timestamp >= Number(input.startTime)) &&
        (input.endTime === undefined || e.timestamp <= Number(input.endTime)) &&
        (!streamNames || streamNames.has(e.logStreamName)) &&
        (!streamPrefix || e.logStreamName.startsWith(streamPrefix)) &&
        matches(e.message),
    );
    const page = paginate(events, input.nextToken, Math.min(Number(input.limit ?? 10_000), 10_000));
    return {
      events: page.items,
      searchedLogStreams: [...group.streams.keys()].map((logStreamName) => ({ logStreamName, searchedCompletely: true })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  private getLogEvents(input: Record<string, any>) {
    const [, group] = this.group(input);
    if (!group.streams.has(String(input.logStreamName)))
      throw new LogsError('ResourceNotFoundException', 'The specified log stream does not exist.');
    const events = group.events
      .filter(
        (e) =>
          e.logStreamName === input.logStreamName &&
          (input.startTime === undefined || e.timestamp >= Number(input.startTime)) &&
          (input.endTime === undefined || e.timestamp < Number(input.endTime)),
      )
      .map(({ timestamp, ingestionTime, message }) => ({ timestamp, ingestionTime, message }));
    const limit = Math.min(Number(input.limit ?? 10_000), 10_000);
    // Without startFromHead, the newest events, as GetLogEvents answers by default.
    const items = input.startFromHead ? events.slice(0, limit) : events.slice(-limit);
    return { events: items, nextForwardToken: `f/${events.length}`, nextBackwardToken: 'b/0' };
  }
}

class LogsError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

/** A page of `items` from the offset a previous page's token names. */
function paginate<T>(items: readonly T[], token: unknown, limit: number): { items: T[]; nextToken?: string } {
  const start = typeof token === 'string' && /^\d+$/.test(token) ? Number(token) : 0;
  const size = Number.isInteger(limit) && limit > 0 ? Math.min(limit, PAGE_SIZE * 10) : PAGE_SIZE;
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
}

/**
 * CloudWatch Logs' filter pattern syntax for unstructured and JSON lines, the common part: terms that must
 * all appear (`ERROR timeout`), quoted phrases (`"order placed"`), `?a ?b` (any of them), `-term` (none
 * of them), and one JSON comparison (`{ $.level = "ERROR" }`, `{ $.durationMs > 100 }`, `=`/`!=` with `*`
 * wildcards). Case-sensitive, as CloudWatch is.
 */
export function compileFilterPattern(pattern: string): (message: string) => boolean {
  const trimmed = pattern.trim();
  if (!trimmed) return () => true;
  const json = /^\{\s*\$\.([\w.[\]]+)\s*(=|!=|>=|<=|>|<)\s*(.+?)\s*\}$/.exec(trimmed);
  if (json) return jsonComparison(json[1]!, json[2]!, json[3]!);
  const tokens = [...trimmed.matchAll(/([?-]?)(?:"([^"]*)"|(\S+))/g)].map((m) => ({ op: m[1], text: m[2] ?? m[3]! }));
  const all = tokens.filter((t) => t.op === '').map((t) => t.text);
  const any = tokens.filter((t) => t.op === '?').map((t) => t.text);
  const none = tokens.filter((t) => t.op === '-').map((t) => t.text);
  return (message) =>
    all.every((t) => message.includes(t)) &&
    (any.length === 0 || any.some((t) => message.includes(t))) &&
    !none.some((t) => message.includes(t));
}

function jsonComparison(path: string, operator: string, literal: string): (message: string) => boolean {
  const keys = path.split(/[.[\]]+/).filter(Boolean);
  const quoted = /^"(.*)"$/.exec(literal);
  const expected = quoted ? quoted[1]! : literal;
  const wildcard = new RegExp(`^${expected.split('*').map(escapeRegExp).join('.*')}$`);
  return (message) => {
    const start = message.indexOf('{');
    if (start < 0) return false;
    let value: unknown;
    try {
      value = keys.reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], JSON.parse(message.slice(start)));
    } catch {
      return false;
    }
    if (value === undefined) return false;
    if (operator === '=' || operator === '!=') return wildcard.test(String(value)) === (operator === '=');
    const [a, b] = [Number(value), Number(expected)];
    if (Number.isNaN(a) || Number.isNaN(b)) return false;
    return operator === '>' ? a > b : operator === '<' ? a < b : operator === '>=' ? a >= b : a <= b;
  };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
