import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { LocalApiGateway } from './api-gateway/gateway.ts';
import { buildApiGatewayModel, type ApiGatewayModel } from './api-gateway/model.ts';
import { readAssembly, synthesize, type StackArtifact } from './assembly.ts';
import { endpointEnvironment, LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, type ServiceEndpoints } from './environment.ts';
import { compileFilterCriteria } from './event-pattern.ts';
import { resolve, type ResolveContext } from './intrinsics.ts';
import { FunctionRuntime, type FunctionDefinition, type InvokeOutcome } from './lambda/function-runtime.ts';
import { CheckpointStore } from './pollers/checkpoints.ts';
import { SqsPoller } from './pollers/sqs-poller.ts';
import { DynamoDbStreamPoller } from './pollers/stream-poller.ts';
import type { EventSourceMappingConfig, Poller } from './pollers/types.ts';
import { provisionerFor, type ResourceKind } from './resources/catalog.ts';
import type { LocalServices, ResolvedResource } from './resources/types.ts';
import { Scheduler } from './scheduler.ts';
import { LocalCloudFormation, type LocalStackDescription } from './services/cloudformation.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from './services/dynamodb-local.ts';
import { startServiceProxy } from './services/service-proxy.ts';
import type { StreamReply } from './lambda/protocol.ts';
import { LocalLambdaApi } from './services/lambda-api.ts';
import { LocalMetrics } from './services/metrics.ts';
import { LocalParameterStore } from './services/parameters.ts';
import { freePort } from './services/ports.ts';
import { startSnsSqs, type SnsSqsEmulator } from './services/sns-sqs.ts';
import { creationOrder } from './template.ts';

export interface LocalCloudOptions {
  /** Directory holding the CDK app's cdk.json. @default process.cwd() */
  readonly appDir?: string;
  /** Cloud assembly directory. @default `${appDir}/cdk.out` */
  readonly outDir?: string;
  /** Extra CDK context for synthesis. @default none */
  readonly context?: Record<string, unknown>;
  /** Synthesize even when no source changed. @default false */
  readonly forceSynth?: boolean;
  /** Port of the local API Gateway; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default a free port */
  readonly dynamodbPort?: number;
  /** @default a free port */
  readonly snsSqsPort?: number;
  /** Keep data (tables, queues, stream checkpoints) in this directory across restarts. @default in memory */
  readonly persistDir?: string;
  /** @default process.env.AWS_REGION ?? 'us-east-1' */
  readonly region?: string;
  /** CloudFormation parameter values, by parameter name. @default each parameter's Default */
  readonly parameters?: Record<string, string>;
  /**
   * Schedules, and SQS redelivery after a failed batch (the queue's visibility timeout), run this many times
   * faster than wall time: tests of retries and DLQs need not wait minutes. The app sees the factor as
   * the context value `local-cloud:time-scale`. @default 1
   */
  readonly timeScale?: number;
  /** Concurrent sandboxes of a function that reserves no concurrency. @default 4 */
  readonly functionConcurrency?: number;
  /** The value of every API key the template leaves without one (Eightfold: EIGHTFOLD_API_KEY). @default random, in the start-up report */
  readonly apiKeyValue?: string;
  /** The REST API served on bare paths, by logical id or name. @default the first one */
  readonly defaultApi?: string;
  /**
   * Put a counting proxy in front of DynamoDB Local, so `LocalCloud.dynamodbRequests` tells which requests
   * the system makes (the bench's requests per order). It costs every request a hop. @default false
   */
  readonly countDynamoDbRequests?: boolean;
  /** Receives every log line (functions, pollers, scheduler). @default stdout, prefixed */
  readonly onLog?: (source: string, line: string) => void;
}

export interface LocalResource {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly kind: ResourceKind;
  readonly physicalId: string;
  readonly attributes: Record<string, unknown>;
  readonly properties: Record<string, any>;
  /** The CDK construct path (`aws:cdk:path` metadata), e.g. `MyStack/Orders/Resource`. */
  readonly constructPath?: string;
  /** The template's `Metadata` of the resource. */
  readonly metadata: Record<string, unknown>;
}

export interface StartupTimings {
  readonly synthMs: number;
  readonly synthCached: boolean;
  readonly servicesMs: number;
  readonly provisionMs: number;
  readonly totalMs: number;
}

/**
 * Rewrites API Gateway URLs (`https://{id}.execute-api.{region}.amazonaws.com/{stage}/…`, as `RestApi.url`
 * builds them) in resolved properties to the local gateway, LocalStack-style, so that a function can call
 * another stack's API by the URL CloudFormation would give it.
 */
function localApiUrls(value: unknown, apiBaseUrl: string): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /https:\/\/([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com\/([A-Za-z0-9_-]+)/g,
      `${apiBaseUrl}/restapis/$1/$2/_user_request_`,
    );
  }
  if (Array.isArray(value)) return value.map((v) => localApiUrls(v, apiBaseUrl));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, localApiUrls(v, apiBaseUrl)]));
  return value;
}

/** Template metadata that makes a REST API the one the local cloud serves on bare paths (`/health`, not `/restapis/…`). */
export const DEFAULT_API_METADATA = 'LocalCloud::DefaultApi';

/** Everything `startLocalCloud` started, and the handles tests and tools use. */
export interface LocalCloud {
  readonly url: string;
  readonly port: number;
  readonly region: string;
  readonly endpoints: ServiceEndpoints;
  /** Variables that point the AWS SDK and CLI at the local services. */
  readonly environment: Record<string, string>;
  readonly resources: LocalResource[];
  readonly functions: ReadonlyMap<string, FunctionRuntime>;
  readonly pollers: readonly Poller[];
  readonly scheduler: Scheduler;
  readonly gateway: LocalApiGateway;
  readonly apiModel: ApiGatewayModel;
  /** The REST API served on bare paths (its `LocalCloud::DefaultApi` metadata, or the first). */
  readonly defaultApiId?: string;
  readonly timings: StartupTimings;
  /** The resource with this logical id or construct id (`Orders` for `MyStack/Orders/Resource`), in any stack or the named one. */
  resource(logicalId: string, stackName?: string): LocalResource;
  /** A stack's outputs by key, resolved as `cdk deploy` would print them (API URLs pointing here). */
  outputs(stackName: string): Record<string, string>;
  /** Invokes a function by name, ARN, logical id or construct id. */
  invoke(functionId: string, event: unknown): Promise<InvokeOutcome>;
  /**
   * Re-synthesizes and applies the new template to the running services: tables and queues keep their
   * data, changed functions get new sandboxes, routes, mappings and schedules are rebuilt.
   */
  reload(): Promise<ReloadSummary>;
  /** Takes a service down (every call answers 503) or brings it back, for fault tests. Only SNS so far. */
  setServiceDown(service: 'sns', down: boolean): void;
  /**
   * With `countDynamoDbRequests`: DynamoDB requests since start (or since cleared), by operation and
   * table (`PutItem orders-events`), stream reads as `streams:GetRecords`. Otherwise empty.
   */
  readonly dynamodbRequests: Map<string, number>;
  stop(): Promise<void>;
}

export interface ReloadSummary {
  readonly synthCached: boolean;
  readonly durationMs: number;
  readonly functionsChanged: string[];
  readonly functionsAdded: string[];
  readonly functionsRemoved: string[];
}

/** What one template became on the running services. */
interface Deployment {
  readonly resources: LocalResource[];
  /** Each stack with its outputs, as CloudFormation's DescribeStacks tells of them. */
  readonly stacks: LocalStackDescription[];
  readonly functions: Map<string, FunctionRuntime>;
  readonly functionsByKey: Map<string, FunctionRuntime>;
  readonly pollers: Poller[];
  readonly scheduler: Scheduler;
  readonly apiModel: ApiGatewayModel;
  readonly defaultApiId?: string;
}

/** What deploying needs from the running local cloud. */
interface DeployContext {
  /** Where the local API Gateway listens: execute-api URLs in the template point here. */
  readonly apiBaseUrl: string;
  readonly services: LocalServices;
  readonly streams: DynamoDBStreamsClient;
  readonly endpoints: ServiceEndpoints;
  readonly options: LocalCloudOptions;
  readonly checkpoints: CheckpointStore;
  readonly log: (source: string, line: string) => void;
  readonly invoke: (functionId: string, event: unknown) => Promise<InvokeOutcome>;
}

/** The variables Lambda sets for a function, the local endpoints, then the function's own. */
function lambdaEnvironment(resource: LocalResource, region: string, endpoints: ServiceEndpoints, codeDir: string): Record<string, string> {
  const p = resource.properties;
  const functionName = resource.physicalId;
  const env: Record<string, string> = {
    ...endpointEnvironment(endpoints, region),
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(p.MemorySize ?? 128),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${p.Runtime}`,
    LAMBDA_TASK_ROOT: codeDir,
    LAMBDA_RUNTIME_DIR: codeDir,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
  if (p.LoggingConfig?.LogFormat) env.AWS_LAMBDA_LOG_FORMAT = p.LoggingConfig.LogFormat;
  if (p.LoggingConfig?.ApplicationLogLevel) env.AWS_LAMBDA_LOG_LEVEL = p.LoggingConfig.ApplicationLogLevel;
  for (const [key, value] of Object.entries((p.Environment?.Variables ?? {}) as Record<string, unknown>)) env[key] = String(value);
  return env;
}

/** The context key that tells a CDK app how much faster than wall time the local cloud runs schedules. */
export const TIME_SCALE_CONTEXT = 'local-cloud:time-scale';

/** Boots the whole synthesized app on this machine: see docs/local-cloud.md. */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const started = performance.now();
  const appDir = resolvePath(options.appDir ?? process.cwd());
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const userLog = options.onLog ?? ((source: string, line: string) => process.stdout.write(`[${source}] ${line}\n`));
  // Functions' embedded-metric-format lines become CloudWatch data points, as on AWS.
  const metrics = new LocalMetrics();
  const log = (source: string, line: string) => {
    metrics.recordLogLine(line);
    userLog(source, line);
  };
  const persist = options.persistDir ? resolvePath(options.persistDir) : undefined;
  // The app is told the time scale, so the durations it sets itself (leases, timeouts) can shrink alike.
  const timeContext = options.timeScale && options.timeScale !== 1 ? { [TIME_SCALE_CONTEXT]: options.timeScale } : {};
  const synthOptions = { appDir, outDir: options.outDir, context: { ...timeContext, ...options.context } };
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log('local-cloud', `stop: ${String(error)}`);
      }
    }
  };

  try {
    // Java start-up and synthesis are the slow parts: run them side by side.
    const servicesStarted = performance.now();
    const dynamoPromise = startDynamoDbLocal({ port: options.dynamodbPort, dataDir: persist && join(persist, 'dynamodb') });
    dynamoPromise.then(
      (d) => cleanups.push(() => d.stop()),
      () => undefined,
    );
    const snsSqsPromise = startSnsSqs({ port: options.snsSqsPort, dataDir: persist && join(persist, 'sns-sqs'), region });
    snsSqsPromise.then(
      (s) => cleanups.push(() => s.stop()),
      () => undefined,
    );
    const synthPromise = synthesize({ ...synthOptions, force: options.forceSynth });
    const [synth, dynamo, snsSqs] = (await Promise.all([synthPromise, dynamoPromise, snsSqsPromise])) as [
      Awaited<typeof synthPromise>,
      DynamoDbLocal,
      SnsSqsEmulator,
    ];
    const servicesMs = performance.now() - servicesStarted;

    const provisionStarted = performance.now();
    const snsProxy = await startServiceProxy(snsSqs.endpoint, { service: 'SNS' });
    cleanups.push(() => snsProxy.stop());
    const dynamodbProxy = options.countDynamoDbRequests
      ? await startServiceProxy(dynamo.endpoint, { service: 'DynamoDB', countRequests: true })
      : undefined;
    if (dynamodbProxy) cleanups.push(() => dynamodbProxy.stop());
    const parameterStore = new LocalParameterStore(region, LOCAL_ACCOUNT_ID);
    await parameterStore.start();
    cleanups.push(() => parameterStore.stop());
    // Functions invoking functions reach them through the Lambda API, which is told of them once deployed.
    let invokeDeployed: (id: string, event: unknown) => Promise<InvokeOutcome> = () => Promise.reject(new Error('nothing is deployed yet'));
    const lambdaApi = new LocalLambdaApi({ invoke: (id, event) => invokeDeployed(id, event), log: (line) => log('lambda', line) });
    await lambdaApi.start();
    cleanups.push(() => lambdaApi.stop());
    await metrics.start();
    cleanups.push(() => metrics.stop());
    const cloudformation = new LocalCloudFormation(region, LOCAL_ACCOUNT_ID);
    await cloudformation.start();
    cleanups.push(() => cloudformation.stop());
    const endpoints: ServiceEndpoints = {
      dynamodb: dynamodbProxy?.endpoint ?? dynamo.endpoint,
      snsSqs: snsSqs.endpoint,
      sns: snsProxy.endpoint,
      parameters: parameterStore.endpoint,
      lambda: lambdaApi.endpoint,
      cloudwatch: metrics.endpoint,
      cloudformation: cloudformation.endpoint,
    };
    const clientConfig = { region, credentials: LOCAL_CREDENTIALS };
    const services: LocalServices = {
      region,
      accountId: LOCAL_ACCOUNT_ID,
      dynamodb: new DynamoDBClient({ ...clientConfig, endpoint: endpoints.dynamodb }),
      sqs: new SQSClient({ ...clientConfig, endpoint: endpoints.snsSqs }),
      sns: new SNSClient({ ...clientConfig, endpoint: endpoints.snsSqs }),
      parameters: parameterStore,
    };
    const streams = new DynamoDBStreamsClient({ ...clientConfig, endpoint: endpoints.dynamodb });
    cleanups.push(() => [services.dynamodb, services.sqs, services.sns, streams].forEach((c) => c.destroy()));
    const checkpoints = new CheckpointStore(persist && join(persist, 'stream-checkpoints.json'));
    cleanups.push(() => checkpoints.flush());

    let current: Deployment | undefined;
    const findFunction = (id: string): FunctionRuntime => {
      const key = id.replace(/^(arn:aws:lambda:[^:]+:\d+:function:[^:]+):.*$/, '$1');
      const byConstructId = () => current?.functionsByKey.get(findResource(current.resources, id, undefined)?.logicalId ?? '');
      const runtime = current?.functionsByKey.get(key) ?? byConstructId();
      if (!runtime) throw new Error(`Function not found: ${id}`);
      return runtime;
    };
    const invoke = (id: string, event: unknown, onStream?: (reply: StreamReply) => void): Promise<InvokeOutcome> =>
      findFunction(id).invoke(event, onStream);
    invokeDeployed = invoke;
    // The gateway's port is chosen before deploying, so execute-api URLs can be resolved to it.
    const host = options.host ?? '127.0.0.1';
    const port = options.port === 0 ? await freePort() : (options.port ?? 3000);
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    const context: DeployContext = { apiBaseUrl: url, services, streams, endpoints, options, checkpoints, log, invoke };

    current = await deploy(readAssembly(synth.outDir), context, undefined);
    cloudformation.setStacks(current.stacks);
    cleanups.push(() => undeploy(current));
    const gateway = new LocalApiGateway({
      model: current.apiModel,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      invokeFunction: invoke,
      defaultApiId: current.defaultApiId,
      log: (line) => log('api-gateway', line),
      onMethodServed: ({ apiName, stage, method, resource, status, latencyMs }) => {
        const dimensions = [
          { Name: 'ApiName', Value: apiName },
          { Name: 'Method', Value: method },
          { Name: 'Resource', Value: resource },
          { Name: 'Stage', Value: stage },
        ];
        metrics.record('AWS/ApiGateway', 'Count', dimensions, 1);
        metrics.record('AWS/ApiGateway', '4XXError', dimensions, status >= 400 && status < 500 ? 1 : 0);
        metrics.record('AWS/ApiGateway', '5XXError', dimensions, status >= 500 ? 1 : 0);
        metrics.record('AWS/ApiGateway', 'Latency', dimensions, latencyMs);
      },
    });
    const server = createServer({ keepAliveTimeout: 5000 }, gateway.listener);
    await listen(server, port, host);
    cleanups.push(() => closeServer(server));

    const provisionMs = performance.now() - provisionStarted;
    if (persist) {
      mkdirSync(persist, { recursive: true });
      writeFileSync(join(persist, 'endpoints.json'), JSON.stringify({ url, ...endpoints }, null, 2));
    }
    let stopping: Promise<void> | undefined;
    let reloading = Promise.resolve() as Promise<unknown>;
    const reload = async (): Promise<ReloadSummary> => {
      const reloadStarted = performance.now();
      const result = await synthesize(synthOptions);
      const before = new Map([...current!.functions].map(([name, runtime]) => [name, runtime.config]));
      current = await deploy(readAssembly(result.outDir), context, current);
      cloudformation.setStacks(current.stacks);
      gateway.setModel(current.apiModel, current.defaultApiId);
      const after = current.functions;
      return {
        synthCached: result.cached,
        durationMs: performance.now() - reloadStarted,
        functionsAdded: [...after.keys()].filter((name) => !before.has(name)),
        functionsRemoved: [...before.keys()].filter((name) => !after.has(name)),
        functionsChanged: [...after.keys()].filter(
          (name) => before.has(name) && JSON.stringify(before.get(name)) !== JSON.stringify(after.get(name)!.config),
        ),
      };
    };
    return {
      url,
      port,
      region,
      endpoints,
      environment: endpointEnvironment(endpoints, region),
      get resources() {
        return current!.resources;
      },
      get functions() {
        return current!.functions;
      },
      get pollers() {
        return current!.pollers;
      },
      get scheduler() {
        return current!.scheduler;
      },
      get defaultApiId() {
        return current!.defaultApiId;
      },
      get apiModel() {
        return current!.apiModel;
      },
      gateway,
      timings: { synthMs: synth.durationMs, synthCached: synth.cached, servicesMs, provisionMs, totalMs: performance.now() - started },
      outputs(stackName) {
        const stack = current!.stacks.find((s) => s.stackName === stackName);
        if (!stack) throw new Error(`No stack ${stackName}`);
        return Object.fromEntries(stack.outputs.map((o) => [o.key, o.value]));
      },
      resource(logicalId, stackName) {
        const found = findResource(current!.resources, logicalId, stackName);
        if (!found) throw new Error(`No resource ${logicalId}${stackName ? ` in ${stackName}` : ''}`);
        return found;
      },
      invoke,
      reload: () => {
        const next = reloading.then(reload);
        reloading = next.catch(() => undefined);
        return next;
      },
      setServiceDown: (_service, down) => snsProxy.setDown(down),
      dynamodbRequests: dynamodbProxy?.requests ?? new Map(),
      stop: () => (stopping ??= reloading.then(stopAll)),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Stops what delivers events into functions (pollers, schedules), then the functions. */
async function undeploy(deployment: Deployment | undefined, keepFunctions = false): Promise<void> {
  if (!deployment) return;
  await Promise.all([...deployment.pollers.map((p) => p.stop()), deployment.scheduler.stop()]);
  if (!keepFunctions) await Promise.all([...deployment.functions.values()].map((f) => f.close()));
}

/**
 * Applies a synthesized assembly to the running services. Resources are created when missing and kept
 * (with their data) when present; with a previous deployment, unchanged functions keep their warm
 * sandboxes and changed ones are swapped.
 */
async function deploy(stacks: StackArtifact[], ctx: DeployContext, previous: Deployment | undefined): Promise<Deployment> {
  const { services, endpoints, options, log } = ctx;
  const { resources, stacks: described } = await provisionStacks(stacks, services, options.parameters ?? {}, ctx.apiBaseUrl);
  await undeploy(previous, true);

  // Lambda functions, each in its own pool of worker threads.
  const functions = new Map<string, FunctionRuntime>();
  const functionsByKey = new Map<string, FunctionRuntime>();
  for (const r of resources.filter((x) => x.type === 'AWS::Lambda::Function')) {
    const definition = functionDefinition(r, stacks, services.region, endpoints);
    let runtime = previous?.functions.get(definition.functionName);
    if (!runtime) runtime = new FunctionRuntime(definition, { defaultConcurrency: options.functionConcurrency, onLog: log });
    else if (JSON.stringify(runtime.config) !== JSON.stringify(definition)) await runtime.replace(definition);
    functions.set(definition.functionName, runtime);
    for (const key of [definition.functionName, definition.arn, r.logicalId]) functionsByKey.set(key, runtime);
  }
  for (const [name, runtime] of previous?.functions ?? []) if (!functions.has(name)) await runtime.close();

  // API keys keep the values they were given, across reloads too.
  const previousKeys = new Map(previous?.apiModel.keys.map((k) => [k.id, k.value]));
  const apiModel = buildApiGatewayModel(
    resources,
    (id) => previousKeys.get(id) ?? options.apiKeyValue ?? randomBytes(30).toString('base64url').slice(0, 40),
  );
  // The API on bare paths: as asked, else the one whose template metadata claims it, else the first.
  const apis = resources.filter((r) => r.type === 'AWS::ApiGateway::RestApi');
  const defaultApiId = options.defaultApi
    ? apis.find((r) => r.logicalId === options.defaultApi || r.properties.Name === options.defaultApi)?.physicalId
    : apis.find((r) => r.metadata[DEFAULT_API_METADATA] === true)?.physicalId;

  const pollers = resources
    .filter((x) => x.type === 'AWS::Lambda::EventSourceMapping')
    .map((r) => createPoller(r, resources, functionsByKey, ctx));
  for (const poller of pollers) poller.start();
  const scheduler = new Scheduler({
    region: services.region,
    accountId: services.accountId,
    timeScale: options.timeScale,
    invoke: ctx.invoke,
    log: (line) => log('scheduler', line),
  });
  for (const r of resources.filter((x) => x.type === 'AWS::Events::Rule')) {
    const p = r.properties;
    if (!p.ScheduleExpression) throw new Error(`${r.logicalId}: EventBridge rules with an event pattern are not emulated (schedules are)`);
    if (p.State === 'DISABLED') continue;
    const targets = (p.Targets ?? []) as { Id: string; Arn: string; Input?: string }[];
    for (const target of targets) {
      if (!target.Arn.startsWith('arn:aws:lambda:')) throw new Error(`${r.logicalId}: only Lambda targets of schedules are emulated`);
    }
    scheduler.add({
      name: r.physicalId,
      arn: String(r.attributes.Arn),
      expression: p.ScheduleExpression,
      targets: targets.map((t) => ({ id: t.Id, functionArn: t.Arn, input: t.Input })),
    });
  }
  return { resources, stacks: described, functions, functionsByKey, pollers, scheduler, apiModel, defaultApiId };
}

function createPoller(
  r: LocalResource,
  resources: LocalResource[],
  functionsByKey: Map<string, FunctionRuntime>,
  ctx: DeployContext,
): Poller {
  const target = functionsByKey.get(String(r.properties.FunctionName).replace(/^arn:aws:lambda:[^:]+:\d+:function:([^:]+).*$/, '$1'));
  if (!target) throw new Error(`${r.logicalId}: function ${r.properties.FunctionName} is not part of this app`);
  const config = eventSourceMappingConfig(r, target);
  const deps = {
    region: ctx.services.region,
    invoke: ctx.invoke,
    sendToDestination: (arn: string, message: unknown) => sendToDestination(ctx.services, arn, message),
    log: (line: string) => ctx.log('event-source-mapping', line),
  };
  if (config.eventSourceArn.startsWith('arn:aws:sqs:')) {
    const queue = resources.find((q) => q.type === 'AWS::SQS::Queue' && q.attributes.Arn === config.eventSourceArn);
    if (!queue) throw new Error(`${r.logicalId}: event source ${config.eventSourceArn} is not a queue of this app`);
    const visibilityTimeoutSeconds = Number(queue.properties.VisibilityTimeout ?? 30);
    return new SqsPoller(
      config,
      {
        url: queue.physicalId,
        visibilityTimeoutSeconds,
        timeScale: ctx.options.timeScale ?? 1,
        functionTimeoutSeconds: target.config.timeoutSeconds,
      },
      ctx.services.sqs,
      deps,
    );
  }
  if (config.eventSourceArn.includes(':dynamodb:') && config.eventSourceArn.includes('/stream/')) {
    return new DynamoDbStreamPoller(config, ctx.streams, ctx.checkpoints, deps);
  }
  throw new Error(`${r.logicalId}: event source ${config.eventSourceArn} is not emulated (SQS queues and DynamoDB streams are)`);
}

/** OnFailure destinations: an SQS queue or an SNS topic receives the invocation record as JSON. */
async function sendToDestination(services: LocalServices, arn: string, message: unknown): Promise<void> {
  const body = JSON.stringify(message);
  if (arn.startsWith('arn:aws:sqs:')) {
    const { QueueUrl } = await services.sqs.send(new GetQueueUrlCommand({ QueueName: arn.split(':').at(-1)! }));
    await services.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
  } else if (arn.startsWith('arn:aws:sns:')) {
    await services.sns.send(new PublishCommand({ TopicArn: arn, Message: body }));
  } else {
    throw new Error(`OnFailure destination ${arn} is not emulated (SQS and SNS are)`);
  }
}

function findResource(resources: LocalResource[], id: string, stackName: string | undefined): LocalResource | undefined {
  const inStack = resources.filter((r) => !stackName || r.stackName === stackName);
  return (
    inStack.find((r) => r.logicalId === id) ??
    inStack.find((r) => r.constructPath === `${r.stackName}/${id}/Resource` || r.constructPath === `${r.stackName}/${id}`)
  );
}

/** Creates every resource of every stack in dependency order, resolving intrinsics as CloudFormation does. */
async function provisionStacks(
  stacks: StackArtifact[],
  services: LocalServices,
  parameterValues: Record<string, string>,
  apiBaseUrl: string,
): Promise<{ resources: LocalResource[]; stacks: LocalStackDescription[] }> {
  const unknown = stacks.flatMap((s) =>
    Object.entries(s.template.Resources)
      .filter(([, r]) => !provisionerFor(r.Type))
      .map(([id, r]) => `${s.stackName}/${id} (${r.Type})`),
  );
  if (unknown.length > 0) {
    throw new Error(
      `The local cloud cannot emulate these resources:\n  ${unknown.join('\n  ')}\nSee "Not emulated" in docs/local-cloud.md.`,
    );
  }
  const all: LocalResource[] = [];
  const described: LocalStackDescription[] = [];
  const exports = new Map<string, unknown>();
  for (const stack of stacks) {
    const template = stack.template;
    const made = new Map<string, LocalResource>();
    const conditions = new Map<string, boolean>();
    const ctx: ResolveContext = {
      region: services.region,
      accountId: services.accountId,
      stackName: stack.stackName,
      ref: (id) => {
        if (template.Parameters?.[id]) return parameterValues[id] ?? template.Parameters[id].Default;
        return made.get(id)?.physicalId;
      },
      getAtt: (id, attribute) => made.get(id)?.attributes[attribute],
      importValue: (name) => exports.get(name),
      condition: (name) => {
        if (!conditions.has(name)) {
          if (!template.Conditions || !(name in template.Conditions)) throw new Error(`Unknown condition ${name}`);
          conditions.set(name, Boolean(resolve(template.Conditions[name], ctx)));
        }
        return conditions.get(name)!;
      },
    };
    for (const logicalId of creationOrder(template)) {
      const cfn = template.Resources[logicalId]!;
      if (cfn.Condition && !ctx.condition!(cfn.Condition)) continue;
      const type = provisionerFor(cfn.Type)!;
      let properties: Record<string, any>;
      try {
        properties = localApiUrls(resolve(cfn.Properties ?? {}, ctx), apiBaseUrl) as Record<string, any>;
      } catch (error) {
        throw new Error(`${stack.stackName}/${logicalId} (${cfn.Type}): ${(error as Error).message}`, { cause: error });
      }
      const resolved: ResolvedResource = { stackName: stack.stackName, logicalId, type: cfn.Type, properties };
      const provisioned = await type.provision(resolved, services);
      const record: LocalResource = {
        stackName: stack.stackName,
        logicalId,
        type: cfn.Type,
        kind: type.kind,
        physicalId: provisioned.ref,
        attributes: provisioned.attributes,
        properties,
        constructPath: cfn.Metadata?.['aws:cdk:path'] as string | undefined,
        metadata: cfn.Metadata ?? {},
      };
      made.set(logicalId, record);
      all.push(record);
    }
    const outputs: LocalStackDescription['outputs'][number][] = [];
    for (const [key, output] of Object.entries(template.Outputs ?? {})) {
      if (output.Condition && !ctx.condition!(output.Condition)) continue;
      const value = resolve(output.Value, ctx);
      outputs.push({ key, value: String(localApiUrls(value, apiBaseUrl)), description: output.Description });
      if (output.Export) exports.set(String(resolve(output.Export.Name, ctx)), value);
    }
    described.push({ stackName: stack.stackName, description: template.Description, outputs });
  }
  return { resources: all, stacks: described };
}

function functionDefinition(r: LocalResource, stacks: StackArtifact[], region: string, endpoints: ServiceEndpoints): FunctionDefinition {
  const p = r.properties;
  if (!String(p.Runtime ?? '').startsWith('nodejs')) {
    throw new Error(`${r.logicalId}: runtime ${p.Runtime} is not emulated (Node.js runtimes are)`);
  }
  const stack = stacks.find((s) => s.stackName === r.stackName)!;
  let codeDir = p.Code?.S3Key ? stack.assets.get(p.Code.S3Key) : undefined;
  if (!codeDir && p.Code?.ZipFile) {
    // Inline code (CloudFormation's ZipFile) is written where an asset would be.
    codeDir = join(stack.outDir, 'local-cloud-inline', r.stackName, r.logicalId);
    mkdirSync(codeDir, { recursive: true });
    writeFileSync(join(codeDir, 'index.js'), String(p.Code.ZipFile));
  }
  if (!codeDir) throw new Error(`${r.logicalId}: code ${JSON.stringify(p.Code)} is not a file asset of this assembly`);
  return {
    logicalId: r.logicalId,
    functionName: r.physicalId,
    arn: String(r.attributes.Arn),
    codeDir,
    handler: p.Handler ?? 'index.handler',
    runtime: p.Runtime,
    timeoutSeconds: Number(p.Timeout ?? 3),
    memorySize: Number(p.MemorySize ?? 128),
    reservedConcurrency: p.ReservedConcurrentExecutions === undefined ? undefined : Number(p.ReservedConcurrentExecutions),
    environment: lambdaEnvironment(r, region, endpoints, codeDir),
  };
}

function eventSourceMappingConfig(r: LocalResource, target: FunctionRuntime): EventSourceMappingConfig {
  const p = r.properties;
  const isSqs = String(p.EventSourceArn).startsWith('arn:aws:sqs:');
  return {
    id: r.physicalId,
    functionArn: target.name,
    eventSourceArn: String(p.EventSourceArn),
    batchSize: Number(p.BatchSize ?? (isSqs ? 10 : 100)),
    maximumBatchingWindowMs: Number(p.MaximumBatchingWindowInSeconds ?? 0) * 1000,
    startingPosition: p.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
    reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
    bisectBatchOnFunctionError: p.BisectBatchOnFunctionError === true || p.BisectBatchOnFunctionError === 'true',
    maximumRetryAttempts: p.MaximumRetryAttempts === undefined ? -1 : Number(p.MaximumRetryAttempts),
    maximumRecordAgeSeconds: p.MaximumRecordAgeInSeconds === undefined ? -1 : Number(p.MaximumRecordAgeInSeconds),
    onFailureDestinationArn: p.DestinationConfig?.OnFailure?.Destination,
    filter: compileFilterCriteria(p.FilterCriteria),
    maximumConcurrency: p.ScalingConfig?.MaximumConcurrency === undefined ? undefined : Number(p.ScalingConfig.MaximumConcurrency),
    enabled: p.Enabled !== false && p.Enabled !== 'false',
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} is in use: set PORT to another one`) : error),
    );
    server.listen(port, host, () => resolvePromise());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolvePromise) => {
    server.close(() => resolvePromise());
    server.closeAllConnections();
  });
}
