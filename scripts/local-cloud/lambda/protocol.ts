/** Messages between the local Lambda service and its worker threads. */

export interface WorkerInit {
  /** The function's code (Lambda's /var/task): its bare imports resolve here or from the runtime's SDK. */
  readonly codeDir: string;
  readonly handlerFile: string;
  /** `index.handler` → `['handler']` (nested exports are allowed). */
  readonly handlerPath: string[];
  readonly enableSourceMaps: boolean;
}

export interface LambdaContextFields {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
}

export interface InvocationContextData {
  readonly context: LambdaContextFields;
  readonly deadlineMs: number;
}

/**
 * An invocation. The event travels as JSON, as Lambda passes it: what JSON cannot hold does not arrive, and
 * a string is copied between threads far more cheaply than an object graph is cloned.
 */
export interface WorkerRequest extends InvocationContextData {
  readonly id: number;
  readonly eventJson: string;
}

export interface SerializedError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];
}

/** What a response-streaming handler (`awslambda.streamifyResponse`) writes, as it writes it. */
export type StreamReply =
  /** `awslambda.HttpResponseStream.from(stream, { statusCode, headers })`, before the first byte. */
  | { type: 'stream-head'; id: number; metadata: { statusCode?: number; headers?: Record<string, string> } }
  | { type: 'stream-chunk'; id: number; data: Uint8Array }
  /** The handler ended the stream: the response is complete, though the invocation may run on. */
  | { type: 'stream-end'; id: number };

export type WorkerReply =
  | { type: 'ready'; initDurationMs: number }
  | { type: 'init-error'; error: SerializedError }
  /** The handler's result as JSON, as Lambda returns it. */
  | { type: 'result'; id: number; payloadJson: string }
  | { type: 'error'; id: number; error: SerializedError }
  | StreamReply;
