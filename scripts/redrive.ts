/**
 * `npm run redrive -- <queue> [--max N] [--stack NAME]`
 *
 * Moves the messages in a queue's dead-letter queue back to the queue, in order, and reports the counts.
 * `<queue>` is a queue URL, a queue name, or a fragment of one (`notifications`, `audit`); with `--stack` on
 * AWS, a subscriber name is looked up in the stack outputs (`NotificationsQueueUrl`). The DLQ is the one
 * named by the queue's redrive policy. SQS's own StartMessageMoveTask is not used because the local
 * emulator lacks it and because this keeps FIFO deduplication in hand: a redriven message gets a fresh
 * deduplication id, or SQS would drop it as a repeat of the original within five minutes.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { progressBar } from './progress.ts';
import { stackOutputs } from './stack-outputs.ts';
import { numberFlag, parseCommandLine, refuseCommandLine } from '@eightfold/local-cloud/command-line';

export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Stop after this many messages. @default all */
  readonly max?: number;
  /** Told after each batch: messages moved so far, of about how many (the DLQ's depth when it began, up to max). */
  readonly onProgress?: (moved: number, total: number) => void;
}

export interface RedriveReport {
  readonly deadLetterQueueUrl: string;
  readonly moved: number;
  readonly failed: number;
}

async function deadLetterQueueOf(sqs: SQSClient, queueUrl: string): Promise<{ url: string; fifo: boolean; depth: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy', 'FifoQueue'] }),
  );
  if (!Attributes.RedrivePolicy) throw new Error(`${queueUrl} has no redrive policy, so no dead-letter queue`);
  const arn = String((JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn: string }).deadLetterTargetArn);
  const [, , , , account, name] = arn.split(':');
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
  const { Attributes: depth = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return {
    url: QueueUrl!,
    fifo: Attributes.FifoQueue === 'true',
    depth: Number(depth.ApproximateNumberOfMessages ?? 0) + Number(depth.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Moves DLQ messages back to their source queue: send a batch, then delete exactly what was sent. */
export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const { sqs, queueUrl } = options;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const dlq = await deadLetterQueueOf(sqs, queueUrl);
  let moved = 0;
  let failed = 0;
  while (moved + failed < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.url,
        MaxNumberOfMessages: Math.min(10, max - moved - failed),
        WaitTimeSeconds: 1,
        // Long enough to send and delete; a message that failed to send comes back afterwards.
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    const redrivenAt = Date.now();
    const { Successful = [], Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          MessageBody: message.Body!,
          MessageAttributes: message.MessageAttributes,
          ...(dlq.fifo
            ? { MessageGroupId: message.Attributes?.MessageGroupId, MessageDeduplicationId: `${message.MessageId}-redrive-${redrivenAt}` }
            : {}),
        })),
      }),
    );
    failed += Failed.length;
    const sent = Successful.map((entry) => Messages[Number(entry.Id)]!);
    if (sent.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlq.url,
          Entries: sent.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
    }
    moved += sent.length;
    options.onProgress?.(moved, Math.max(moved, Math.min(max, dlq.depth)));
    if (Failed.length > 0) break; // left in the DLQ; a rerun retries them once they are visible again
  }
  return { deadLetterQueueUrl: dlq.url, moved, failed };
}

/** A queue URL as given; a stack output on AWS; otherwise the one queue (with a DLQ) whose name matches. */
export async function resolveQueueUrl(sqs: SQSClient, queue: string, stackName?: string): Promise<string> {
  if (/^https?:\/\//.test(queue)) return queue;
  if (stackName) {
    // `legacysync` names the output LegacySyncQueueUrl: outputs are matched without regard to case.
    const key = `${queue}QueueUrl`.toLowerCase();
    const url = Object.entries(await stackOutputs(stackName)).find(([name]) => name.toLowerCase() === key)?.[1];
    if (!url) throw new Error(`Stack ${stackName} has no output ${queue}QueueUrl`);
    return url;
  }
  const urls: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sqs.send(new ListQueuesCommand({ NextToken: nextToken, MaxResults: 1000 }));
    urls.push(...(page.QueueUrls ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  const named = urls.filter((url) => url.split('/').at(-1)!.toLowerCase().includes(queue.toLowerCase()));
  const sources: string[] = [];
  for (const url of named) {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }));
    if (Attributes.RedrivePolicy) sources.push(url);
  }
  if (sources.length !== 1) {
    throw new Error(
      `"${queue}" matches ${sources.length === 0 ? 'no queue with a dead-letter queue' : `several queues: ${sources.join(', ')}`}`,
    );
  }
  return sources[0]!;
}

const USAGE = `
Usage: npm run redrive -- <queue URL | name | subscriber> [--max N] [--stack NAME]

Moves the messages of a queue's dead-letter queue back to the queue, in order.

  --max N         move at most N messages (1 to 1000000; default: all)
  --stack NAME    on AWS, look a subscriber's queue up in this stack's outputs
`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseCommandLine(USAGE, { max: { type: 'string' }, stack: { type: 'string' } });
  if (positionals.length !== 1) refuseCommandLine('Name one queue: a URL, a name, or a subscriber');
  const max = numberFlag('max', values.max, { min: 1, max: 1_000_000 });
  const sqs = new SQSClient({});
  try {
    const queueUrl = await resolveQueueUrl(sqs, positionals[0]!, values.stack);
    let bar: ((done: number) => void) | undefined;
    const report = await redrive({
      sqs,
      queueUrl,
      max,
      onProgress: (moved, total) => (bar ??= progressBar('redriving dead letters', total))(moved),
    });
    process.stdout.write(
      `Redrove ${report.moved} message(s) from ${report.deadLetterQueueUrl} to ${queueUrl}${report.failed ? `; ${report.failed} failed and stay in the DLQ` : ''}\n`,
    );
    process.exitCode = report.failed > 0 ? 1 : 0;
  } catch (error) {
    process.stderr.write(`redrive: ${(error as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    sqs.destroy();
  }
}
