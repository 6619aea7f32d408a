/**
 * Deploying synthesized stacks onto the running services, and taking them down: resources provisioned in
 * dependency order with intrinsics resolved, functions started from their assets, pollers and schedules
 * wired; a redeploy keeps what did not change.
 */
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApiGatewayModel, type ApiGatewayModel } from './api-gateway/model.ts';
import { type StackArtifact } from './assembly.ts';
import { endpointEnvironment, type ServiceEndpoints } from './environment.ts';
import { compileFilterCriteria } from './event-pattern.ts';
import { resolve, type ResolveContext } from './intrinsics.ts';
import { FunctionRuntime, type FunctionDefinition, type InvokeOutcome } from './lambda/function-runtime.ts';
import { CheckpointStore } from './pollers/checkpoints.ts';
import { SqsPoller } from './pollers/sqs-poller.ts';
import { DynamoDbStreamPoller } from './pollers/stream-poller.ts';
import type { EventSourceMappingConfig, Poller } from './pollers/types.ts';
import { provisionerFor } from './resources/catalog.ts';
import type { LocalServices, ResolvedResource } from './resources/types.ts';
import { Scheduler } from './scheduler.ts';
import { type LocalStackDescription } from './services/cloudformation.ts';
import { creationOrder } from './template.ts';
import { DEFAULT_API_METADATA, type LocalCloudOptions, type LocalResource } from './types.ts';

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

/** What one template became on the running services. */
export interface Deployment {
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
export interface DeployContext {
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

/** Stops what delivers events into functions (pollers, schedules), then the functions. */
export async function undeploy(deployment: Deployment | undefined, keepFunctions = false): Promise<void> {
  if (!deployment) return;
  await Promise.all([...deployment.pollers.map((p) => p.stop()), deployment.scheduler.stop()]);
  if (!keepFunctions) await Promise.all([...deployment.functions.values()].map((f) => f.close()));
}

/**
 * Applies a synthesized assembly to the running services. Resources are created when missing and kept
 * (with their data) when present; with a previous deployment, unchanged functions keep their warm
 * sandboxes and changed ones are swapped.
 */
export async function deploy(stacks: StackArtifact[], ctx: DeployContext, previous: Deployment | undefined): Promise<Deployment> {
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

export function findResource(resources: LocalResource[], id: string, stackName: string | undefined): LocalResource | undefined {
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
