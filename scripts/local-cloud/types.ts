/** The local cloud's public types: its options, what it started, and what a reload changed. */
import { LocalApiGateway } from './api-gateway/gateway.ts';
import { type ApiGatewayModel } from './api-gateway/model.ts';
import { type ServiceEndpoints } from './environment.ts';
import { FunctionRuntime, type InvocationRecord, type InvokeOutcome } from './lambda/function-runtime.ts';
import type { Poller } from './pollers/types.ts';
import { type ResourceKind } from './resources/catalog.ts';
import { Scheduler } from './scheduler.ts';
import type { IamMode } from './iam/authorizer.ts';
import type { UnusedGrants } from './iam/grant-use.ts';
import type { EventBuses } from './eventbridge/event-buses.ts';
import type { ServiceName } from './services/ports.ts';

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
  /**
   * The port of each local service (0: a free one, as a test running clouds side by side wants), checked
   * free before anything starts (`PortsInUseError`). `npm start` fixes them (`DEFAULT_SERVICE_PORTS`).
   * @default a free port each
   */
  readonly servicePorts?: Partial<Record<ServiceName, number>>;
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
   * Refuse an app that declares a resource type the local cloud does not emulate, naming each, instead of
   * starting without them. @default false: such resources are listed, and a reference to one is a placeholder
   */
  readonly strict?: boolean;
  /**
   * IAM: `on` refuses a function's call its role does not allow, as AWS does; `report` only logs it; `off`
   * checks nothing. Judged: DynamoDB, SQS, SNS, SSM, Secrets Manager, Lambda Invoke, EventBridge. Needs npm `@cloud-copilot/iam-simulate` installed beside (AGPL-3.0). @default 'on'
   */
  readonly iam?: IamMode;
  /**
   * Put a counting proxy in front of DynamoDB Local, so `LocalCloud.dynamodbRequests` tells which requests
   * the system makes (the bench's requests per order). It costs every request a hop. @default false
   */
  readonly countDynamoDbRequests?: boolean;
  /** Receives every log line (functions, pollers, scheduler). @default stdout, prefixed */
  readonly onLog?: (source: string, line: string) => void;
  /** Receives the functions' lines instead, with each one's log stream. @default onLog */
  readonly onFunctionLog?: (functionName: string, line: string, logStream: string) => void;
  /** Told of every invocation when it ends (function, event, outcome, duration), as SAM local prints them. */
  readonly onInvocation?: (record: InvocationRecord) => void;
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

/** Template metadata that makes a REST API the one the local cloud serves on bare paths (`/health`, not `/restapis/…`). */
export const DEFAULT_API_METADATA = 'LocalCloud::DefaultApi';

/** A resource the app declares and the local cloud starts without, or cannot play (see `LocalCloudOptions.strict`). */
export interface NotEmulatedResource {
  /** Its construct path (`Stack/Uploads`), or `Stack/LogicalId`. */
  readonly resource: string;
  readonly type: string;
  /** Why: its type, or what of it the local cloud cannot play (an SNS subscription's protocol). */
  readonly reason: string;
  /** What refers to it (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`): what may not work as it would on AWS. */
  readonly referredToBy: readonly string[];
}

/** A resource as people know it: its construct path (without CDK's trailing `/Resource`), else `Stack/LogicalId`. */
export const resourceName = (r: { readonly stackName: string; readonly logicalId: string; readonly constructPath?: string }): string =>
  (r.constructPath ?? `${r.stackName}/${r.logicalId}`).replace(/\/Resource$/, '');

/** Everything `startLocalCloud` started, and the handles tests and tools use. */
export interface LocalCloud {
  readonly url: string;
  readonly port: number;
  readonly region: string;
  readonly endpoints: ServiceEndpoints;
  /** Variables that point the AWS SDK and CLI at the local services. */
  readonly environment: Record<string, string>;
  readonly resources: LocalResource[];
  /** What the app declares and the local cloud starts without: a type it does not emulate, or a subscription it cannot deliver to. */
  readonly notEmulated: readonly NotEmulatedResource[];
  readonly functions: ReadonlyMap<string, FunctionRuntime>;
  readonly pollers: readonly Poller[];
  readonly scheduler: Scheduler;
  /** The IAM mode this cloud runs in. */
  readonly iam: IamMode;
  /** Each role's grants no call of this run used (also `GET {endpoints.iamReport}/unused-grants`). */
  unusedGrants(): UnusedGrants[];
  /** The deployed event buses and rules (each target's deliveries in `stats`). */
  readonly eventBuses: EventBuses;
  readonly gateway: LocalApiGateway;
  readonly apiModel: ApiGatewayModel;
  /** The REST API served on bare paths (its `LocalCloud::DefaultApi` metadata, or the first). */
  readonly defaultApiId?: string;
  readonly timings: StartupTimings;
  /**
   * The local credentials a function's calls carry, or a role's (as `sts assume-role` would give them): an
   * SDK client with these calls as that function or role, and IAM judges it so.
   */
  credentialsFor(functionOrRoleId: string, stackName?: string): { accessKeyId: string; secretAccessKey: string };
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

/** The context key that tells a CDK app how much faster than wall time the local cloud runs schedules. */
export const TIME_SCALE_CONTEXT = 'local-cloud:time-scale';
