import type { InvocationRecord } from './lambda/function-runtime.ts';

const nameOf = (arn: unknown) => String(arn ?? '').replace(/^arn:[^:]+:(?:sqs|dynamodb|sns):[^:]*:\d*:(?:table\/)?([^/:]+).*$/, '$1');

/** What started an invocation, read from its event: an API route, a queue's or stream's batch, a schedule. */
function trigger(event: any): string {
  if (typeof event?.httpMethod === 'string') return `${event.httpMethod} ${event.path ?? event.resource ?? ''}`;
  if (event?.type === 'TOKEN' || (event?.type === 'REQUEST' && event?.methodArn)) return 'authorizer';
  const records = Array.isArray(event?.Records) ? (event.Records as any[]) : undefined;
  if (records?.length) {
    const source = String(records[0].eventSource ?? records[0].EventSource ?? '');
    const kind = source === 'aws:sqs' ? 'sqs' : source === 'aws:dynamodb' ? 'stream' : source.replace(/^aws:/, '');
    return `${kind} ${nameOf(records[0].eventSourceARN ?? records[0].EventSubscriptionArn)} ×${records.length}`;
  }
  if (event?.source === 'aws.events' || event?.['detail-type'] === 'Scheduled Event') return 'schedule';
  return 'invoke';
}

/** How it ended, as a reader of the terminal wants it: the HTTP status, a batch's failures, an error. */
function result(record: InvocationRecord): string {
  const { outcome } = record;
  if (!outcome.ok) return `${outcome.kind}: ${outcome.error.errorType}: ${outcome.error.errorMessage}`.slice(0, 160);
  const payload = outcome.payload as any;
  if (typeof payload?.statusCode === 'number') return String(payload.statusCode);
  if (payload?.policyDocument) return String(payload.policyDocument.Statement?.[0]?.Effect ?? 'policy');
  if (Array.isArray(payload?.batchItemFailures)) {
    return payload.batchItemFailures.length ? `${payload.batchItemFailures.length} failed` : 'ok';
  }
  return 'ok';
}

/**
 * One line per invocation, as `npm start` prints them (SAM local's END/REPORT, shorter):
 * `12:00:01.250  POST /orders → 201  Eightfold-dev-Commands  38 ms (cold)`.
 */
export function invocationLine(record: InvocationRecord, at = new Date()): string {
  const { outcome } = record;
  return (
    `${at.toISOString().slice(11, 23)}  ${trigger(record.event)} → ${result(record)}  ${record.functionName}  ` +
    `${Math.round(outcome.durationMs)} ms${outcome.coldStart ? ' (cold)' : ''}`
  );
}
