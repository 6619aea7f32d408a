/** A subscriber's queues: its own (absent for a stream consumer, which reads the stream) and its dead letters. */
export interface ObservedQueue {
  readonly name: string;
  readonly url?: string;
  readonly deadLetterUrl: string;
}

export interface QueueOpsDeps {
  readonly queues: readonly ObservedQueue[];
  /** Messages a queue holds: waiting to be received, and received but not yet deleted. */
  readonly depth: (queueUrl: string) => Promise<{ waiting: number; inFlight: number }>;
}

/** Each subscriber's backlog and dead letters; the stream consumers (projector, publisher) have dead letters only. */
export async function showQueues(deps: QueueOpsDeps) {
  const subscribers = await Promise.all(
    deps.queues.map(async ({ name, url, deadLetterUrl }) => {
      const [backlog, dead] = await Promise.all([url ? deps.depth(url) : undefined, deps.depth(deadLetterUrl)]);
      return { name, waiting: backlog?.waiting ?? null, inFlight: backlog?.inFlight ?? null, deadLetters: dead.waiting + dead.inFlight };
    }),
  );
  return { subscribers };
}
