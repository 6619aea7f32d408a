/**
 * One Lambda execution environment: a worker thread that imports the function's bundled handler once
 * (the cold start) and then serves invocations one at a time, as a Lambda sandbox does.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { InvocationContextData, StreamReply, WorkerInit, WorkerReply, WorkerRequest } from './protocol.ts';
import { moduleFormatInCode, resolveAsLambdaRuntime } from './runtime-sdk.ts';

const init = workerData as WorkerInit;
if (init.enableSourceMaps) process.setSourceMapsEnabled(true);
resolveAsLambdaRuntime(init.codeDir);

type Handler = (event: unknown, context: object, callback?: (error: unknown, result?: unknown) => void) => unknown;
type StreamingHandler = ((event: unknown, stream: Writable, context: object) => Promise<unknown>) & { [STREAMING]?: true };

const STREAMING = Symbol.for('local-cloud.response-streaming');

/**
 * The response stream Lambda's Node.js runtime hands a streaming handler: what is written goes out at once
 * (to the gateway), and ending it completes the response while the handler may still run.
 */
class ResponseStream extends Writable {
  metadata?: { statusCode?: number; headers?: Record<string, string> };
  private headSent = false;
  private readonly send: (reply: StreamReply) => void;
  private readonly id: number;

  constructor(id: number, send: (reply: StreamReply) => void) {
    super();
    this.id = id;
    this.send = send;
  }

  private head(): void {
    if (this.headSent) return;
    this.headSent = true;
    this.send({ type: 'stream-head', id: this.id, metadata: this.metadata ?? {} });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.head();
    if (chunk.length) this.send({ type: 'stream-chunk', id: this.id, data: new Uint8Array(chunk) });
    callback();
  }

  override _final(callback: () => void): void {
    this.head();
    this.send({ type: 'stream-end', id: this.id });
    callback();
  }

  /** Lambda's stream has it; the gateway reads the content type from the head's headers. */
  setContentType(type: string): void {
    this.metadata = { ...this.metadata, headers: { ...this.metadata?.headers, 'content-type': type } };
  }
}

// The global the Node.js runtime provides to handlers: response streaming's decorator and metadata.
Object.assign(globalThis, {
  awslambda: {
    streamifyResponse: (handler: StreamingHandler) => Object.assign(handler, { [STREAMING]: true as const }),
    HttpResponseStream: {
      from: (stream: ResponseStream, metadata: ResponseStream['metadata']) => Object.assign(stream, { metadata }),
    },
  },
});

function serializeError(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: typeof error === 'string' ? error : JSON.stringify(error), trace: [] };
}

async function loadHandler(): Promise<Handler> {
  // As Lambda's runtime does: CommonJS by require(), ES modules by import().
  const module = (
    moduleFormatInCode(init.codeDir, init.handlerFile) === 'commonjs'
      ? createRequire(init.handlerFile)(init.handlerFile)
      : await import(pathToFileURL(init.handlerFile).href)
  ) as Record<string, unknown>;
  let handler: unknown = module;
  for (const part of init.handlerPath) handler = (handler as Record<string, unknown> | undefined)?.[part];
  if (typeof handler !== 'function' && module.default) {
    handler = init.handlerPath.reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], module.default);
  }
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${init.handlerFile} does not export ${init.handlerPath.join('.')}`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  return handler as Handler;
}

/**
 * Lambda's runtime gives each invocation an X-Ray trace header. Here the trace is marked unsampled, as
 * X-Ray marks the traces it drops: tracers (Powertools, the X-Ray SDK) run their code and send nothing.
 */
function traceHeader(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

function lambdaContext(data: InvocationContextData): object {
  process.env._X_AMZN_TRACE_ID = traceHeader();
  const deadline = data.deadlineMs;
  return {
    ...data.context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function runHandler(handler: Handler, event: unknown, context: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // Callback-style handlers take three parameters; async ones return a promise.
    const result = handler(event, context, (error, value) => (error ? reject(error) : resolve(value)));
    if (handler.length < 3 || (result && typeof (result as Promise<unknown>).then === 'function')) {
      Promise.resolve(result).then(resolve, reject);
    }
  });
}

const port = parentPort!;
const started = performance.now();
const handlerPromise = loadHandler();
handlerPromise.then(
  () => port.postMessage({ type: 'ready', initDurationMs: performance.now() - started } satisfies WorkerReply),
  (error: unknown) => port.postMessage({ type: 'init-error', error: serializeError(error) } satisfies WorkerReply),
);

port.on('message', async (request: WorkerRequest) => {
  try {
    const handler = await handlerPromise;
    if ((handler as StreamingHandler)[STREAMING]) {
      const stream = new ResponseStream(request.id, (reply) => port.postMessage(reply));
      await (handler as StreamingHandler)(JSON.parse(request.eventJson), stream, lambdaContext(request));
      // A handler that returns without ending its stream has finished its response.
      if (!stream.writableEnded) await new Promise<void>((resolve) => stream.end(resolve));
      port.postMessage({ type: 'result', id: request.id, payloadJson: 'null' } satisfies WorkerReply);
      return;
    }
    const payload = await runHandler(handler, JSON.parse(request.eventJson), lambdaContext(request));
    port.postMessage({ type: 'result', id: request.id, payloadJson: JSON.stringify(payload) ?? 'null' } satisfies WorkerReply);
  } catch (error) {
    port.postMessage({ type: 'error', id: request.id, error: serializeError(error) } satisfies WorkerReply);
  }
});
