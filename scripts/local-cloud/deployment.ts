/**
 * Deploying synthesized stacks onto the running services, and taking them down: resources provisioned
 * (provisioning.ts), functions started from their assets with Lambda's environment, pollers and schedules
 * wired, the API Gateway model built; a redeploy keeps the functions whose configuration did not change.
 */
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { functionReference } from './lambda/function-reference.ts';
import { buildApiGatewayModel, type ApiGatewayModel } from './api-gateway/model.ts';
import { type StackArtifact } from './assembly.ts';
import { endpointEnvironment, type ServiceEndpoints } from './environment.ts';
import { compileFilterCriteria, type Pattern } from './event-pattern.ts';
import { FunctionRuntime, type FunctionDefinition, type InvokeOutcome } from './lambda/function-runtime.ts';
import { CheckpointStore } from './pollers/checkpoints.ts';
import { SqsPoller } from './pollers/sqs-poller.ts';
import { DynamoDbStreamPoller } from './pollers/stream-poller.ts';
import type { EventSourceMappingConfig, Poller } from './pollers/types.ts';
import type { LocalServices } from './resources/types.ts';
import { Scheduler } from './scheduler.ts';
import { accessKeyIdOf } from './iam/authorizer.ts';
import { busName, EventBuses, functionNotFound, type BusRule, type BusTarget, type EventBusesDeps } from './eventbridge/event-buses.ts';
import { type LocalStackDescription } from './services/cloudformation.ts';
import { DEFAULT_API_METADATA, type LocalCloudOptions, type LocalResource, type NotEmulatedResource } from './types.ts';
import { provisionStacks } from './provisioning.ts';

/** What one template became on the running services. */
export interface Deployment {
  readonly resources: LocalResource[];
  /** What the app declares and the local cloud starts without: a type it does not emulate, or a subscription it cannot deliver to. */
  readonly notEmulated: NotEmulatedResource[];
  /** Each stack with its outputs, as CloudFormation's DescribeStacks tells of them. */
  readonly stacks: LocalStackDescription[];
  readonly functions: Map<string, FunctionRuntime>;
  readonly functionsByKey: Map<string, FunctionRuntime>;
  readonly pollers: Poller[];
  readonly scheduler: Scheduler;
  /** The buses and rules: PutEvents, event patterns, schedules' deliveries to their targets. */
  readonly eventBuses: EventBuses;
  readonly apiModel: ApiGatewayModel;
  readonly defaultApiId?: string;
}

/** A function's key in `functionsByKey`, from its name or ARN: an ARN's version or alias qualifier dropped. */
export const functionKey = (id: string) => functionReference(id).arn ?? id;

/** What deploying needs from the running local cloud. */
export interface DeployContext {
  /** Where the local API Gateway listens: execute-api URLs in the template point here. */
  readonly apiBaseUrl: string;
  readonly services: LocalServices;
  readonly streams: DynamoDBStreamsClient;
  readonly endpoints: ServiceEndpoints;
  readonly options: LocalCloudOptions;
  readonly checkpoints: CheckpointStore;
  readonly log: (source: string, line: string) => void;
  /** A line a function printed, in its sandbox's log stream. */
  readonly functionLog: (functionName: string, line: string, logStream: string) => void;
  readonly invoke: (functionId: string, event: unknown) => Promise<InvokeOutcome>;
  /** Whether a service may do an action on a resource for the source ARN, by the resource's policy (IAM). @default always */
  readonly serviceMay?: (service: string, action: string, resourceArn: string, sourceArn: string) => boolean;
  /** Told of the resources once they are provisioned, before any function or poller starts (IAM's roles and tables). */
  readonly onProvisioned?: (resources: readonly LocalResource[]) => void;
}

/** The variables Lambda sets for a function, and the local endpoints (the function's own go over them). */
function lambdaEnvironment(resource: LocalResource, region: string, endpoints: ServiceEndpoints, codeDir: string): Record<string, string> {
  const p = resource.properties;
  const functionName = resource.physicalId;
  const env: Record<string, string> = {
    ...endpointEnvironment(endpoints, region),
    // Credentials of its own, so the local services know which function (and role) calls.
    AWS_ACCESS_KEY_ID: accessKeyIdOf(String(resource.attributes.Arn)),
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
  return env;
}

/**
 * Stops what delivers events into functions (pollers, schedules), then the functions: a scheduled invocation
 * still running (a leader's turn) is cut off with them, not waited for. Kept functions finish theirs.
 */
export async function undeploy(deployment: Deployment | undefined, keepFunctions = false): Promise<void> {
  if (!deployment) return;
  deployment.scheduler.stop();
  deployment.eventBuses.stop();
  await Promise.all(deployment.pollers.map((p) => p.stop()));
  if (keepFunctions) return;
  await Promise.all([...deployment.functions.values()].map((f) => f.close()));
  await Promise.all([deployment.scheduler.settled(), deployment.eventBuses.settled()]);
}

/**
 * Applies a synthesized assembly to the running services. Resources are created when missing and kept
 * (with their data) when present; with a previous deployment, unchanged functions keep their warm
 * sandboxes and changed ones are swapped.
 */
export async function deploy(stacks: StackArtifact[], ctx: DeployContext, previous: Deployment | undefined): Promise<Deployment> {
  const { services, endpoints, options } = ctx;
  const {
    resources,
    stacks: described,
    notEmulated,
  } = await provisionStacks(stacks, services, options.parameters ?? {}, ctx.apiBaseUrl, {
    strict: options.strict,
  });
  ctx.onProvisioned?.(resources);
  for (const r of notEmulated) {
    const referrers = r.referredToBy.length ? `; what refers to it gets a placeholder: ${r.referredToBy.join(', ')}` : '';
    ctx.log('local-cloud', `not emulated, started without: ${r.resource} (${r.type}: ${r.reason})${referrers}`);
  }
  await undeploy(previous, true);

  // Lambda functions, each in its own pool of worker threads.
  const functions = new Map<string, FunctionRuntime>();
  const functionsByKey = new Map<string, FunctionRuntime>();
  for (const r of resources.filter((x) => x.type === 'AWS::Lambda::Function')) {
    const definition = functionDefinition(r, stacks, services.region, endpoints);
    const oldRuntime = olderRuntimeWarning(definition);
    if (oldRuntime && !previous?.functions.has(definition.functionName)) ctx.log('local-cloud', oldRuntime);
    let runtime = previous?.functions.get(definition.functionName);
    if (!runtime)
      runtime = new FunctionRuntime(definition, {
        defaultConcurrency: options.functionConcurrency,
        onLog: ctx.functionLog,
        onInvocation: options.onInvocation,
      });
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
  const eventBuses = eventBusesOf(resources, {
    region: services.region,
    accountId: services.accountId,
    timeScale: options.timeScale,
    invokeFunction: async (functionArn, payload) => {
      if (!functionsByKey.has(functionKey(functionArn))) throw functionNotFound(functionArn);
      return ctx.invoke(functionArn, payload);
    },
    mayDeliver: ctx.serviceMay
      ? (action, resourceArn, ruleArn) => ctx.serviceMay!('events.amazonaws.com', action, functionKey(resourceArn), ruleArn)
      : undefined,
    sendToQueue: (queueArn, body, sendOptions) => sendToQueue(services, queueArn, body, sendOptions),
    publishToTopic: async (topicArn, message) => {
      await services.sns.send(new PublishCommand({ TopicArn: topicArn, Message: message }));
    },
    log: (line) => ctx.log('eventbridge', line),
  });
  const scheduler = new Scheduler({ timeScale: options.timeScale });
  for (const rule of eventBuses.rules) {
    if (!rule.scheduleExpression || !rule.enabled) continue;
    scheduler.add({
      name: rule.name,
      expression: rule.scheduleExpression,
      fire: (time) => eventBuses.dispatch(rule, eventBuses.scheduledEvent(rule, time)),
    });
  }
  return { resources, notEmulated, stacks: described, functions, functionsByKey, pollers, scheduler, eventBuses, apiModel, defaultApiId };
}

function createPoller(
  r: LocalResource,
  resources: LocalResource[],
  functionsByKey: Map<string, FunctionRuntime>,
  ctx: DeployContext,
): Poller {
  const target = functionsByKey.get(functionReference(String(r.properties.FunctionName)).name);
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

/** The event buses and rules the template declares, as `EventBuses` plays them. */
function eventBusesOf(resources: readonly LocalResource[], deps: EventBusesDeps): EventBuses {
  const buses = new Map([['default', `arn:aws:events:${deps.region}:${deps.accountId}:event-bus/default`]]);
  for (const r of resources.filter((x) => x.type === 'AWS::Events::EventBus')) buses.set(r.physicalId, String(r.attributes.Arn));
  const rules = resources
    .filter((r) => r.type === 'AWS::Events::Rule')
    .map((r): BusRule => {
      const p = r.properties;
      const pattern =
        typeof p.EventPattern === 'string' ? (JSON.parse(p.EventPattern) as Pattern) : (p.EventPattern as Pattern | undefined);
      return {
        name: r.physicalId,
        arn: String(r.attributes.Arn),
        eventBusName: busName(p.EventBusName),
        eventPattern: pattern,
        scheduleExpression: p.ScheduleExpression,
        // ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is enabled too.
        enabled: p.State !== 'DISABLED',
        description: p.Description,
        targets: (p.Targets ?? []) as BusTarget[],
      };
    });
  return new EventBuses(deps, buses, rules);
}

/** OnFailure destinations: an SQS queue or an SNS topic receives the invocation record as JSON. */
async function sendToDestination(services: LocalServices, arn: string, message: unknown): Promise<void> {
  const body = JSON.stringify(message);
  if (arn.startsWith('arn:aws:sqs:')) await sendToQueue(services, arn, body);
  else if (arn.startsWith('arn:aws:sns:')) await services.sns.send(new PublishCommand({ TopicArn: arn, Message: body }));
  else throw new Error(`OnFailure destination ${arn} is not emulated (SQS and SNS are)`);
}

/** Sends `body` to the queue `queueArn`: a FIFO queue's group and deduplication ids, string attributes. */
async function sendToQueue(
  services: LocalServices,
  queueArn: string,
  body: string,
  options: { groupId?: string; deduplicationId?: string; attributes?: Record<string, string> } = {},
): Promise<void> {
  const { QueueUrl } = await services.sqs.send(new GetQueueUrlCommand({ QueueName: queueArn.split(':').at(-1)! }));
  await services.sqs.send(
    new SendMessageCommand({
      QueueUrl,
      MessageBody: body,
      MessageGroupId: options.groupId,
      MessageDeduplicationId: options.deduplicationId,
      MessageAttributes: options.attributes
        ? Object.fromEntries(Object.entries(options.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]))
        : undefined,
    }),
  );
}

/**
 * What to say of a function on a runtime older than nodejs18.x: it runs here on this Node (22), and the SDK
 * such runtimes ship (v2) ignores the AWS_ENDPOINT_URL_* variables, so its calls go to AWS itself, which
 * refuses the local dummy credentials.
 */
export function olderRuntimeWarning(definition: Pick<FunctionDefinition, 'logicalId' | 'runtime'>): string | undefined {
  const major = Number(/^nodejs(\d+)/.exec(definition.runtime)?.[1]);
  if (!(major < 18)) return undefined;
  return (
    `${definition.logicalId}: runtime ${definition.runtime} runs here on Node ${process.versions.node.split('.')[0]}. The AWS SDK v2 ` +
    'it includes (nodejs18.x and later include v3) is not provided here, and a bundled v2 ignores AWS_ENDPOINT_URL_*: its calls ' +
    'go to real AWS, which refuses the local credentials, unless the code sets each endpoint itself'
  );
}

function functionDefinition(r: LocalResource, stacks: StackArtifact[], region: string, endpoints: ServiceEndpoints): FunctionDefinition {
  const p = r.properties;
  if (!String(p.Runtime ?? '').startsWith('nodejs')) {
    throw new Error(`${r.logicalId}: runtime ${p.Runtime} is not emulated (Node.js runtimes are)`);
  }
  const stack = stacks.find((s) => s.stackName === r.stackName)!;
  let codeDir = p.Code?.S3Key ? stack.assets.get(p.Code.S3Key) : undefined;
  if (!codeDir && p.Code?.ZipFile) {
    // Inline code (CloudFormation's ZipFile) is written where an asset would be; renamed into place whole,
    // since another cloud started from the same assembly may be loading it.
    codeDir = join(stack.outDir, 'local-cloud-inline', r.stackName, r.logicalId);
    mkdirSync(codeDir, { recursive: true });
    const written = join(codeDir, `index.js.${process.pid}`);
    writeFileSync(written, String(p.Code.ZipFile));
    renameSync(written, join(codeDir, 'index.js'));
  }
  if (!codeDir) throw new Error(`${r.logicalId}: code ${JSON.stringify(p.Code)} is not a file asset of this assembly`);
  const variables = Object.fromEntries(
    Object.entries((p.Environment?.Variables ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
  );
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
    environment: { ...lambdaEnvironment(r, region, endpoints, codeDir), ...variables },
    variables,
    role: p.Role === undefined ? undefined : String(p.Role),
    description: p.Description === undefined ? undefined : String(p.Description),
    architectures: (p.Architectures as string[] | undefined) ?? ['x86_64'],
    logFormat: String(p.LoggingConfig?.LogFormat ?? 'Text'),
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
