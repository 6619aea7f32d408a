import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalService } from './local-endpoint.ts';
import type { InvokeOutcome } from '../lambda/function-runtime.ts';

export interface LocalLambdaApiOptions {
  /** Invokes a function by name or ARN (the local cloud's own invoke). */
  readonly invoke: (functionName: string, event: unknown) => Promise<InvokeOutcome>;
  readonly log: (line: string) => void;
}

/**
 * Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`), for functions that call other
 * functions with the AWS SDK: `RequestResponse` answers with the function's result (or its error, flagged
 * by `X-Amz-Function-Error`, as Lambda does); `Event` queues the invocation and answers 202 at once, the
 * function then running in the background (one attempt: Lambda's async retries are not played);
 * `DryRun` answers 204.
 */
export class LocalLambdaApi extends LocalService {
  private readonly options: LocalLambdaApiOptions;
  private readonly background = new Set<Promise<unknown>>();

  constructor(options: LocalLambdaApiOptions) {
    super();
    this.options = options;
  }

  /** Stops taking invocations, and waits for the queued ones to finish. */
  override async stop(): Promise<void> {
    await super.stop();
    await Promise.allSettled([...this.background]);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations(?:\?.*)?$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match)
      return reply(
        res,
        404,
        { Type: 'User', message: `${req.method} ${req.url} is not emulated locally (Invoke is)` },
        { 'x-amzn-errortype': 'UnknownOperationException' },
      );
    const functionName = decodeURIComponent(match[1]!);
    let event: unknown;
    try {
      event = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      return reply(
        res,
        400,
        { Type: 'User', message: 'Could not parse request body into json' },
        { 'x-amzn-errortype': 'InvalidRequestContentException' },
      );
    }
    const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (invocationType === 'DryRun') return reply(res, 204, undefined);
    const run = this.options.invoke(functionName, event);
    if (invocationType === 'Event') {
      const queued = run.then(
        (outcome) =>
          outcome.ok || this.options.log(`async invoke of ${functionName} failed (${outcome.kind}): ${outcome.error.errorMessage}`),
        (error: unknown) => this.options.log(`async invoke of ${functionName}: ${String(error)}`),
      );
      this.background.add(queued);
      void queued.finally(() => this.background.delete(queued));
      return reply(res, 202, undefined);
    }
    let outcome: InvokeOutcome;
    try {
      outcome = await run;
    } catch (error) {
      return reply(
        res,
        404,
        { Type: 'User', message: String((error as Error).message) },
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
      );
    }
    if (outcome.ok) return reply(res, 200, outcome.payload ?? null, { 'x-amz-executed-version': '$LATEST' });
    return reply(
      res,
      200,
      { errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage },
      { 'x-amz-function-error': outcome.kind === 'Unhandled' ? 'Unhandled' : outcome.kind },
    );
  }
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}
