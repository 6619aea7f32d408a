/** Messages between the local Lambda service and its worker threads. */

export interface WorkerInit {
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

export interface WorkerRequest extends InvocationContextData {
  readonly id: number;
  readonly event: unknown;
}

export interface SerializedError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];
}

export type WorkerReply =
  | { type: 'ready'; initDurationMs: number }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: number; payload: unknown }
  | { type: 'error'; id: number; error: SerializedError };
