import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LambdaContextFields, SerializedError, StreamReply, WorkerInit, WorkerReply, WorkerRequest } from './protocol.ts';

/** What the local Lambda service knows of one function, read from its template resource. */
export interface FunctionDefinition {
  readonly logicalId: string;
  readonly functionName: string;
  readonly arn: string;
  /** Directory of the function's bundled asset in cdk.out. */
  readonly codeDir: string;
  /** e.g. `index.handler`. */
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly reservedConcurrency?: number;
  readonly environment: Record<string, string>;
  /** The template's own variables, which Lambda's GetFunction tells (without those Lambda sets). */
  readonly variables: Record<string, string>;
  readonly role?: string;
  readonly description?: string;
  readonly architectures: string[];
  readonly logFormat: string;
}

export type InvokeOutcome =
  | { ok: true; payload: unknown; durationMs: number; coldStart: boolean }
  | { ok: false; error: SerializedError; kind: 'Unhandled' | 'Timeout' | 'InitError' | 'Crashed'; durationMs: number; coldStart: boolean };

export interface FunctionStats {
  invocations: number;
  errors: number;
  coldStarts: number;
  /** Init durations (handler module import) of every cold start, in ms. */
  initDurationsMs: number[];
  /** The most invocations that ran at once. */
  peakConcurrency: number;
}

/** One finished invocation, as Lambda's REPORT line tells it. */
export interface InvocationRecord {
  readonly functionName: string;
  readonly requestId: string;
  /** The sandbox's log stream, as in CloudWatch Logs. */
  readonly logStream: string;
  readonly event: unknown;
  readonly outcome: InvokeOutcome;
}

export interface FunctionRuntimeOptions {
  /** Concurrency when the function reserves none. @default 4 */
  readonly defaultConcurrency?: number;
  /** Receives every line a worker prints, with its sandbox's log stream. @default process.stdout with a prefix */
  readonly onLog?: (functionName: string, line: string, logStream: string) => void;
  /** Told of every invocation when it ends. */
  readonly onInvocation?: (record: InvocationRecord) => void;
}

interface Sandbox {
  worker: Worker;
  /** Lambda's log stream name for the sandbox: `YYYY/MM/DD/[$LATEST]<id>`. */
  logStream: string;
  ready: Promise<number>;
  busy: boolean;
  dead: boolean;
  pending?: {
    id: number;
    onStream?: (reply: StreamReply) => void;
    resolve: (reply: WorkerReply | { type: 'crash'; error: SerializedError }) => void;
  };
}

const HANDLER_EXTENSIONS = ['.mjs', '.js', '.cjs'];
const workerUrl = new URL('./worker.ts', import.meta.url);

/** Resolves `dir/file.export` to the bundled file and the export path, as the Node.js runtime does. */
export function resolveHandler(codeDir: string, handler: string): { file: string; exportPath: string[] } {
  const lastSlash = handler.lastIndexOf('/');
  const [moduleName, ...exportPath] = handler.slice(lastSlash + 1).split('.');
  const base = join(codeDir, handler.slice(0, lastSlash + 1), moduleName!);
  const file = HANDLER_EXTENSIONS.map((ext) => base + ext).find((candidate) => existsSync(candidate));
  if (!file || exportPath.length === 0) throw new Error(`Handler ${handler} not found in ${codeDir}`);
  return { file, exportPath };
}

/**
 * The execution environments of one function: warm workers reused across invocations, at most
 * `reservedConcurrency` (or a local default) at once; extra invocations wait for a free one.
 */
export class FunctionRuntime {
  readonly stats: FunctionStats = { invocations: 0, errors: 0, coldStarts: 0, initDurationsMs: [], peakConcurrency: 0 };
  private definition: FunctionDefinition;
  private readonly sandboxes = new Set<Sandbox>();
  /** Sandboxes that have not served an invocation yet: their first one is a cold start. */
  private readonly coldSandboxes = new WeakSet<Sandbox>();
  private readonly waiters: Array<() => void> = [];
  private nextId = 1;
  private closed = false;
  /** A crash armed by `crashNextInvocation`, taken by the next invocation to start. */
  private armedCrash?: { afterMs: number; outcome: (outcome: InvokeOutcome) => void };
  private readonly concurrency: number;
  private readonly onLog: (functionName: string, line: string, logStream: string) => void;
  private readonly onInvocation?: (record: InvocationRecord) => void;

  constructor(definition: FunctionDefinition, options: FunctionRuntimeOptions = {}) {
    this.definition = definition;
    this.concurrency = Math.max(1, definition.reservedConcurrency ?? options.defaultConcurrency ?? 4);
    this.onLog = options.onLog ?? ((name, line) => process.stdout.write(`[${name}] ${line}\n`));
    this.onInvocation = options.onInvocation;
    resolveHandler(definition.codeDir, definition.handler); // fail at start-up, not on first call
  }

  get name(): string {
    return this.definition.functionName;
  }

  /** The current code and configuration. */
  get config(): FunctionDefinition {
    return this.definition;
  }

  get activeSandboxes(): number {
    return this.sandboxes.size;
  }

  /** Invocations running right now. */
  get inFlight(): number {
    return [...this.sandboxes].filter((s) => s.busy).length;
  }

  /** Swaps the code or configuration; running invocations finish on the old sandboxes. */
  async replace(definition: FunctionDefinition): Promise<void> {
    resolveHandler(definition.codeDir, definition.handler);
    this.definition = definition;
    await Promise.all([...this.sandboxes].filter((s) => !s.busy).map((s) => this.retire(s)));
    for (const sandbox of this.sandboxes) sandbox.dead = true; // retired when their invocation ends
  }

  /** Retires the sandboxes (running invocations finish first): the next invocation starts cold, its caches empty. */
  recycle(): Promise<void> {
    return this.replace(this.definition);
  }

  /**
   * Fault injection: the next invocation's sandbox is terminated `afterMs` into it (mid-batch, for a
   * batch that takes longer), with no chance to finish or answer. Resolves with that invocation's outcome:
   * `Crashed` if the crash came first.
   */
  crashNextInvocation(afterMs: number): Promise<InvokeOutcome> {
    return new Promise((outcome) => (this.armedCrash = { afterMs, outcome }));
  }

  /**
   * Runs one invocation. A response-streaming handler's writes reach `onStream` as they happen (its head,
   * chunks, end); the outcome comes when the invocation finishes, which may be after the stream ended.
   */
  async invoke(event: unknown, onStream?: (reply: StreamReply) => void): Promise<InvokeOutcome> {
    if (this.closed) throw new Error(`Function ${this.name} is shut down`);
    const sandbox = await this.acquire();
    const crash = this.armedCrash;
    this.armedCrash = undefined;
    const requestId = randomUUID();
    try {
      const outcome = await this.runOn(sandbox, requestId, event, onStream, crash?.afterMs);
      crash?.outcome(outcome);
      this.onLog(this.name, report(requestId, outcome, this.definition.memorySize), sandbox.logStream);
      this.onInvocation?.({ functionName: this.name, requestId, logStream: sandbox.logStream, event, outcome });
      return outcome;
    } finally {
      await this.release(sandbox);
    }
  }

  private async runOn(
    sandbox: Sandbox,
    requestId: string,
    event: unknown,
    onStream: ((reply: StreamReply) => void) | undefined,
    crashAfterMs: number | undefined,
  ): Promise<InvokeOutcome> {
    const started = performance.now();
    const coldStart = this.coldSandboxes.delete(sandbox);
    const def = this.definition;
    const timeoutMs = def.timeoutSeconds * 1000;
    let initMs: number;
    try {
      initMs = await sandbox.ready;
    } catch (error) {
      sandbox.dead = true;
      return this.failed(error as SerializedError, 'InitError', started, coldStart, sandbox);
    }
    if (coldStart) {
      this.stats.coldStarts++;
      this.stats.initDurationsMs.push(initMs);
      this.onLog(this.name, `INIT cold start, Init Duration: ${initMs.toFixed(2)} ms`, sandbox.logStream);
    }
    // The sandbox dies under the invocation, as a runtime crash or an out-of-memory kill would do it.
    const crashTimer = crashAfterMs === undefined ? undefined : setTimeout(() => void sandbox.worker.terminate(), crashAfterMs);
    const id = this.nextId++;
    const request: WorkerRequest = {
      id,
      eventJson: JSON.stringify(event) ?? 'null',
      deadlineMs: Date.now() + timeoutMs,
      context: this.contextFields(requestId, sandbox),
    };
    const reply = await new Promise<WorkerReply | { type: 'crash'; error: SerializedError } | { type: 'timeout' }>((resolve) => {
      const timer = setTimeout(() => resolve({ type: 'timeout' }), timeoutMs);
      sandbox.pending = {
        id,
        onStream,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      sandbox.worker.postMessage(request);
    });
    clearTimeout(crashTimer);
    sandbox.pending = undefined;
    this.stats.invocations++;
    if (reply.type === 'result')
      return { ok: true, payload: JSON.parse(reply.payloadJson), durationMs: performance.now() - started, coldStart };
    if (reply.type === 'timeout') {
      // Lambda discards a sandbox whose invocation timed out; so do we.
      sandbox.dead = true;
      const seconds = def.timeoutSeconds.toFixed(2);
      return this.failed(
        { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${seconds} seconds`, trace: [] },
        'Timeout',
        started,
        coldStart,
        sandbox,
      );
    }
    if (reply.type === 'crash') {
      sandbox.dead = true;
      return this.failed(reply.error, 'Crashed', started, coldStart, sandbox);
    }
    if (reply.type === 'error') return this.failed(reply.error, 'Unhandled', started, coldStart, sandbox);
    throw new Error(`Unexpected worker reply ${reply.type}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sandboxes].map((s) => this.retire(s)));
  }

  private failed(
    error: SerializedError,
    kind: 'Unhandled' | 'Timeout' | 'InitError' | 'Crashed',
    started: number,
    coldStart: boolean,
    sandbox: Sandbox,
  ): InvokeOutcome {
    this.stats.errors++;
    this.onLog(this.name, `${kind}: ${error.errorType}: ${error.errorMessage}`, sandbox.logStream);
    return { ok: false, error, kind, durationMs: performance.now() - started, coldStart };
  }

  private contextFields(requestId: string, sandbox: Sandbox): LambdaContextFields {
    const def = this.definition;
    return {
      functionName: def.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: def.arn,
      memoryLimitInMB: String(def.memorySize),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${def.functionName}`,
      logStreamName: sandbox.logStream,
    };
  }

  private async acquire(): Promise<Sandbox> {
    for (;;) {
      for (const sandbox of this.sandboxes) if (!sandbox.busy && !sandbox.dead) return this.occupy(sandbox);
      if (this.sandboxes.size < this.concurrency) return this.occupy(this.spawn());
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private occupy(sandbox: Sandbox): Sandbox {
    sandbox.busy = true;
    let busy = 0;
    for (const each of this.sandboxes) if (each.busy) busy++;
    this.stats.peakConcurrency = Math.max(this.stats.peakConcurrency, busy);
    return sandbox;
  }

  private async release(sandbox: Sandbox): Promise<void> {
    sandbox.busy = false;
    if (sandbox.dead || this.closed) await this.retire(sandbox);
    this.waiters.shift()?.();
  }

  private async retire(sandbox: Sandbox): Promise<void> {
    if (!this.sandboxes.delete(sandbox)) return;
    sandbox.dead = true;
    await sandbox.worker.terminate();
  }

  private spawn(): Sandbox {
    const def = this.definition;
    const { file, exportPath } = resolveHandler(def.codeDir, def.handler);
    const init: WorkerInit = {
      codeDir: def.codeDir,
      handlerFile: file,
      handlerPath: exportPath,
      enableSourceMaps: (def.environment.NODE_OPTIONS ?? '').includes('--enable-source-maps'),
    };
    const logStream = `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomUUID().replaceAll('-', '')}`;
    const worker = new Worker(workerUrl, {
      workerData: init,
      env: { ...def.environment, AWS_LAMBDA_LOG_STREAM_NAME: logStream },
      stdout: true,
      stderr: true,
      // Lambda's memory setting bounds the heap, so a leak fails here as it would there.
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, def.memorySize) },
      name: def.functionName,
    });
    const sandbox: Sandbox = { worker, logStream, busy: false, dead: false, ready: Promise.resolve(0) };
    this.coldSandboxes.add(sandbox);
    sandbox.ready = new Promise<number>((resolve, reject) => {
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') resolve(reply.initDurationMs);
        else if (reply.type === 'init-error') reject(reply.error);
        else if (sandbox.pending?.id !== reply.id) return;
        else if (reply.type.startsWith('stream-')) sandbox.pending.onStream?.(reply as StreamReply);
        else sandbox.pending.resolve(reply);
      });
      const crash = (error: SerializedError): void => {
        sandbox.dead = true;
        reject(error);
        sandbox.pending?.resolve({ type: 'crash', error });
      };
      worker.on('error', (error) =>
        crash({ errorType: 'Runtime.ExitError', errorMessage: error.message, trace: (error.stack ?? '').split('\n') }),
      );
      worker.on('exit', (code) =>
        crash({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: exit status ${code}`, trace: [] }),
      );
    });
    sandbox.ready.catch(() => undefined); // observed by invoke()
    this.pipeLines(worker.stdout, logStream);
    this.pipeLines(worker.stderr, logStream);
    this.sandboxes.add(sandbox);
    return sandbox;
  }

  private pipeLines(stream: NodeJS.ReadableStream, logStream: string): void {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        this.onLog(this.name, buffered.slice(0, newline), logStream);
        buffered = buffered.slice(newline + 1);
      }
    });
    stream.on('end', () => buffered && this.onLog(this.name, buffered, logStream));
  }
}

/** Lambda's REPORT line, which ends each invocation's logs. */
function report(requestId: string, outcome: InvokeOutcome, memorySize: number): string {
  const status = outcome.ok ? '' : `\tStatus: ${outcome.kind === 'Timeout' ? 'timeout' : 'error'}`;
  return `REPORT RequestId: ${requestId}\tDuration: ${outcome.durationMs.toFixed(2)} ms\tMemory Size: ${memorySize} MB${status}`;
}
