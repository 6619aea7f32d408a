import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { LocalService, readBody } from './local-endpoint.ts';
import { functionReference } from '../lambda/function-reference.ts';
import type { FunctionDefinition, InvokeOutcome } from '../lambda/function-runtime.ts';

export interface LocalLambdaApiOptions {
  /** Invokes a function by name or ARN (the local cloud's own invoke). */
  readonly invoke: (functionName: string, event: unknown) => Promise<InvokeOutcome>;
  /** The functions deployed now. */
  readonly functions: () => readonly FunctionDefinition[];
  readonly log: (line: string) => void;
}

/** Lambda's FunctionConfiguration, as ListFunctions and GetFunction tell it. */
export function functionConfiguration(def: FunctionDefinition) {
  return {
    FunctionName: def.functionName,
    FunctionArn: def.arn,
    Runtime: def.runtime,
    Role: def.role,
    Handler: def.handler,
    Description: def.description ?? '',
    Timeout: def.timeoutSeconds,
    MemorySize: def.memorySize,
    Version: '$LATEST',
    Environment: { Variables: def.variables },
    PackageType: 'Zip',
    Architectures: def.architectures,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    LoggingConfig: { LogFormat: def.logFormat, LogGroup: `/aws/lambda/${def.functionName}` },
  };
}

/**
 * Lambda's API as far as functions calling functions and a developer looking around need it:
 * `Invoke` (`POST /2015-03-31/functions/{name}/invocations`) answers `RequestResponse` with the function's
 * result (or its error, flagged by `X-Amz-Function-Error`, as Lambda does), queues an `Event` invocation
 * and answers 202 at once (one attempt: Lambda's async retries are not played), and answers `DryRun` 204;
 * `ListFunctions`, `GetFunction` and `GetFunctionConfiguration` tell what is deployed (the code's location
 * is its directory in the cloud assembly).
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
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET') return this.read(url, res);
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) return unknownOperation(req, res);
    const functionName = decodeURIComponent(match[1]!);
    const denial = this.denied(req, () => [{ action: 'lambda:InvokeFunction', resource: this.functionArn(functionName), context: {} }]);
    if (denial) return reply(res, 403, { Type: 'User', Message: denial.message }, { 'x-amzn-errortype': 'AccessDeniedException' });
    let event: unknown;
    try {
      event = body.length ? JSON.parse(body.toString('utf8')) : {};
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

  /** A function's ARN from its name or ARN (a name the app does not have is given the ARN it would have). */
  private functionArn(nameOrArn: string): string {
    const { name } = functionReference(nameOrArn);
    return this.options.functions().find((f) => f.functionName === name)?.arn ?? `arn:aws:lambda:::function:${name}`;
  }

  /** ListFunctions (`/functions/`, 50 a page), GetFunction (`/functions/{name}`), GetFunctionConfiguration. */
  private read(url: URL, res: ServerResponse): void {
    const functions = [...this.options.functions()].sort((a, b) => a.functionName.localeCompare(b.functionName));
    if (/^\/2015-03-31\/functions\/?$/.test(url.pathname)) {
      const start = Number(url.searchParams.get('Marker') ?? 0) || 0;
      const end = start + Math.min(Number(url.searchParams.get('MaxItems') ?? 50) || 50, 50);
      return reply(res, 200, {
        Functions: functions.slice(start, end).map(functionConfiguration),
        ...(end < functions.length ? { NextMarker: String(end) } : {}),
      });
    }
    const match = /^\/2015-03-31\/functions\/([^/]+)(\/configuration)?\/?$/.exec(url.pathname);
    if (!match) return unknownOperation({ method: 'GET', url: url.pathname }, res);
    const id = decodeURIComponent(match[1]!);
    const def = functions.find((f) => f.functionName === id || f.arn === id || f.arn === id.replace(/:\$LATEST$/, ''));
    if (!def) {
      return reply(res, 404, { Type: 'User', Message: `Function not found: ${id}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
    }
    if (match[2]) return reply(res, 200, functionConfiguration(def));
    reply(res, 200, {
      Configuration: functionConfiguration(def),
      Code: { RepositoryType: 'S3', Location: pathToFileURL(def.codeDir).href },
      ...(def.reservedConcurrency === undefined ? {} : { Concurrency: { ReservedConcurrentExecutions: def.reservedConcurrency } }),
    });
  }
}

function unknownOperation(req: { method?: string; url?: string }, res: ServerResponse): void {
  reply(
    res,
    404,
    { Type: 'User', message: `${req.method} ${req.url} is not emulated locally (Invoke, ListFunctions and GetFunction are)` },
    { 'x-amzn-errortype': 'UnknownOperationException' },
  );
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}
