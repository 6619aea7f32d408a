/**
 * @eightfold/local-cloud: a synthesized CDK app run on one machine, without Docker (see README.md). This
 * file is the package's public surface, with `@eightfold/local-cloud/command-line` (the command-line rules
 * its `main.ts` and the project's scripts share): anything not exported is its own business.
 */
export { startLocalCloud } from './local-cloud.ts';
export { startupReport } from './report.ts';
export {
  DEFAULT_API_METADATA,
  TIME_SCALE_CONTEXT,
  type LocalCloud,
  type LocalCloudOptions,
  type LocalResource,
  type NotEmulatedResource,
  type ReloadSummary,
  type StartupTimings,
} from './types.ts';
export { endpointEnvironment, LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, type ServiceEndpoints } from './environment.ts';
export { synthesize } from './assembly.ts';
export { RESOURCE_TYPES } from './resources/catalog.ts';
export { resolveHandler } from './lambda/function-runtime.ts';
export { startDynamoDbLocal, type DynamoDbLocal } from './services/dynamodb-local.ts';
export { JAVA_MISSING, javaCommand, JavaMissingError, javaOrExit } from './services/java.ts';
export { startSnsSqs } from './services/sns-sqs.ts';
export { DEFAULT_SERVICE_PORTS, freePort, PortsInUseError, SERVICE_NAMES, type ServiceName } from './services/ports.ts';
export { invocationLine } from './invocation-line.ts';
export type { InvocationRecord, InvokeOutcome } from './lambda/function-runtime.ts';
export { eventually } from './eventually.ts';
export { SqsPoller } from './pollers/sqs-poller.ts';
export { IAM_MODES, type IamMode } from './iam/authorizer.ts';
export { unusedGrantsIn, unusedOverRuns, type GrantUse, type UnusedGrants } from './iam/grant-use.ts';
