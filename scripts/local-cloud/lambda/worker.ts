/**
 * One Lambda execution environment: a worker thread that imports the function's bundled handler once
 * (the cold start) and then serves invocations one at a time, as a Lambda sandbox does.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { InvocationContextData, WorkerInit, WorkerReply, WorkerRequest } from './protocol.ts';

const init = workerData as WorkerInit;
if (init.enableSourceMaps) process.setSourceMapsEnabled(true);

type Handler = (event: unknown, context: object, callback?: (error: unknown, result?: unknown) => void) => unknown;

function serializeError(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: typeof error === 'string' ? error : JSON.stringify(error), trace: [] };
}

async function loadHandler(): Promise<Handler> {
  const module = (await import(pathToFileURL(init.handlerFile).href)) as Record<string, unknown>;
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

function lambdaContext(data: InvocationContextData): object {
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
    const payload = await runHandler(handler, request.event, lambdaContext(request));
    port.postMessage({ type: 'result', id: request.id, payload: payload === undefined ? null : payload } satisfies WorkerReply);
  } catch (error) {
    port.postMessage({ type: 'error', id: request.id, error: serializeError(error) } satisfies WorkerReply);
  }
});
