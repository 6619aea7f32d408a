import { busName } from '../eventbridge/event-buses.ts';
import { provisionTable } from './dynamodb.ts';
import { provisionQueue, provisionSubscription, provisionTopic } from './messaging.ts';
import { provisionUserPool, provisionUserPoolClient, provisionUserPoolGroup } from './identity.ts';
import { provisionParameter, provisionSecret } from './parameters.ts';
import type { LocalServices, ProvisionedResource, Provisioner, ResolvedResource } from './types.ts';
import { arn, localId, physicalName } from './types.ts';

/**
 * How the local cloud treats each resource type: `emulated` ones behave as on AWS; `no local effect` ones
 * (IAM, KMS, logs, alarms…) have no part in the data path and only get the names and ARNs other resources
 * refer to. Any other type is `not emulated`: the app starts without it, listed with what refers to it, and a
 * reference to it resolves to a placeholder (`--strict` refuses such an app instead).
 */
export type ResourceKind = 'emulated' | 'no local effect' | 'not emulated';

interface ResourceType {
  readonly kind: ResourceKind;
  readonly provision: Provisioner;
}

const named =
  (service: string, arnPath: (name: string) => string, nameProperty?: string, maxLength = 64): Provisioner =>
  async (resource, services) => {
    const name: string = (nameProperty && resource.properties[nameProperty]) || physicalName(resource, maxLength);
    return { ref: name, attributes: { Arn: arn(services, service, arnPath(name)) } };
  };

const byId =
  (attributes: (id: string, r: ResolvedResource, s: LocalServices) => Record<string, unknown> = () => ({})): Provisioner =>
  async (resource, services) => {
    const id = localId(resource);
    return { ref: id, attributes: attributes(id, resource, services) };
  };

const lambdaFunction: Provisioner = async (resource, services) => {
  const name: string = resource.properties.FunctionName ?? physicalName(resource, 64);
  return { ref: name, attributes: { Arn: arn(services, 'lambda', `function:${name}`) } };
};

const eventsRule: Provisioner = async (resource, services) => {
  const name: string = resource.properties.Name ?? physicalName(resource, 64);
  const bus = busName(resource.properties.EventBusName);
  // A rule on a custom bus has the bus in its ARN.
  return { ref: name, attributes: { Arn: arn(services, 'events', bus === 'default' ? `rule/${name}` : `rule/${bus}/${name}`) } };
};

const eventBus: Provisioner = async (resource, services) => {
  const name: string = resource.properties.Name;
  return { ref: name, attributes: { Arn: arn(services, 'events', `event-bus/${name}`), Name: name } };
};

const apiKey: Provisioner = async (resource) => {
  const id = localId(resource);
  return { ref: id, attributes: { APIKeyId: id } };
};

export const RESOURCE_TYPES: Record<string, ResourceType> = {
  'AWS::DynamoDB::Table': { kind: 'emulated', provision: provisionTable },
  'AWS::SQS::Queue': { kind: 'emulated', provision: provisionQueue },
  'AWS::SNS::Topic': { kind: 'emulated', provision: provisionTopic },
  'AWS::SNS::Subscription': { kind: 'emulated', provision: provisionSubscription },
  'AWS::Lambda::Function': { kind: 'emulated', provision: lambdaFunction },
  'AWS::Lambda::EventSourceMapping': { kind: 'emulated', provision: byId((id) => ({ EventSourceMappingId: id })) },
  'AWS::Events::Rule': { kind: 'emulated', provision: eventsRule },
  'AWS::Events::EventBus': { kind: 'emulated', provision: eventBus },
  'AWS::ApiGateway::RestApi': { kind: 'emulated', provision: byId((id) => ({ RootResourceId: `${id}root`.slice(0, 10) })) },
  'AWS::ApiGateway::Resource': { kind: 'emulated', provision: byId((id) => ({ ResourceId: id })) },
  'AWS::ApiGateway::Method': { kind: 'emulated', provision: byId() },
  'AWS::ApiGateway::Deployment': { kind: 'emulated', provision: byId((id) => ({ DeploymentId: id })) },
  'AWS::ApiGateway::Stage': { kind: 'emulated', provision: async (r) => ({ ref: r.properties.StageName, attributes: {} }) },
  'AWS::ApiGateway::ApiKey': { kind: 'emulated', provision: apiKey },
  'AWS::ApiGateway::UsagePlan': { kind: 'emulated', provision: byId() },
  'AWS::ApiGateway::UsagePlanKey': { kind: 'emulated', provision: byId() },
  'AWS::ApiGateway::GatewayResponse': { kind: 'emulated', provision: byId() },
  'AWS::ApiGateway::Authorizer': { kind: 'emulated', provision: byId((id) => ({ AuthorizerId: id })) },
  'AWS::SSM::Parameter': { kind: 'emulated', provision: provisionParameter },
  'AWS::SecretsManager::Secret': { kind: 'emulated', provision: provisionSecret },
  'AWS::Cognito::UserPool': { kind: 'emulated', provision: provisionUserPool },
  'AWS::Cognito::UserPoolClient': { kind: 'emulated', provision: provisionUserPoolClient },
  'AWS::Cognito::UserPoolGroup': { kind: 'emulated', provision: provisionUserPoolGroup },
  // Resource policies: what lets API Gateway, EventBridge and SNS reach a function, queue or topic (with IAM on).
  'AWS::Lambda::Permission': { kind: 'emulated', provision: byId() },
  'AWS::SQS::QueuePolicy': { kind: 'emulated', provision: byId() },
  'AWS::SQS::QueueInlinePolicy': { kind: 'emulated', provision: byId() },
  'AWS::SNS::TopicPolicy': { kind: 'emulated', provision: byId() },
  'AWS::SNS::TopicInlinePolicy': { kind: 'emulated', provision: byId() },

  'AWS::IAM::Role': { kind: 'no local effect', provision: named('iam', (n) => `role/${n}`, 'RoleName') },
  'AWS::IAM::Policy': { kind: 'no local effect', provision: byId() },
  'AWS::IAM::ManagedPolicy': { kind: 'no local effect', provision: named('iam', (n) => `policy/${n}`, 'ManagedPolicyName') },
  // Asynchronous invocations get one attempt locally (what MaximumRetryAttempts: 0 asks for).
  'AWS::Lambda::EventInvokeConfig': { kind: 'no local effect', provision: byId() },
  'AWS::Logs::LogGroup': { kind: 'no local effect', provision: named('logs', (n) => `log-group:${n}:*`, 'LogGroupName', 512) },
  'AWS::CloudWatch::Alarm': { kind: 'no local effect', provision: named('cloudwatch', (n) => `alarm:${n}`, 'AlarmName', 255) },
  'AWS::CloudWatch::Dashboard': { kind: 'no local effect', provision: byId() },
  'AWS::Events::EventBusPolicy': { kind: 'no local effect', provision: byId() },
  'AWS::ApiGateway::Account': { kind: 'no local effect', provision: byId() },
  'AWS::CDK::Metadata': { kind: 'no local effect', provision: byId() },
  // Keys encrypt at rest and in environment variables: locally nothing is encrypted, so nothing needs them.
  'AWS::KMS::Key': { kind: 'no local effect', provision: byId((id, _r, s) => ({ Arn: arn(s, 'kms', `key/${id}`), KeyId: id })) },
  'AWS::KMS::Alias': { kind: 'no local effect', provision: async (r) => ({ ref: String(r.properties.AliasName), attributes: {} }) },
};

/**
 * Any type the local cloud does not emulate: an id that says so, wherever a `Ref` puts it (a function's
 * environment, a policy), and an ARN in the type's own service.
 */
export const NOT_EMULATED: ResourceType = {
  kind: 'not emulated',
  provision: async (resource, services) => {
    const [, service = 'unknown', type = 'resource'] = resource.type.split('::');
    const id = `not-emulated-${localId(resource)}`;
    return { ref: id, attributes: { Arn: arn(services, service.toLowerCase(), `${type.toLowerCase()}/${id}`) } };
  },
};

/** How the local cloud treats a resource type it knows; undefined for one it does not emulate. */
export function provisionerFor(type: string): ResourceType | undefined {
  return RESOURCE_TYPES[type];
}

export type { ProvisionedResource };
