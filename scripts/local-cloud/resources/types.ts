import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { LocalIdentityProvider } from '../services/identity.ts';
import type { LocalParameterStore } from '../services/parameters.ts';

/** A template resource with every intrinsic in its properties resolved. */
export interface ResolvedResource {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, any>;
}

/** What a resource became locally: its `Ref` value and its `Fn::GetAtt` attributes. */
export interface ProvisionedResource {
  readonly ref: string;
  readonly attributes: Record<string, unknown>;
  /** Why this resource, of a type otherwise emulated, is not (an SNS subscription no local service can receive). */
  readonly notEmulated?: string;
}

export interface LocalServices {
  readonly region: string;
  readonly accountId: string;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  /** SSM parameters and Secrets Manager secrets, served on their own endpoint. */
  readonly parameters: LocalParameterStore;
  /** Cognito user pools as OpenID Connect issuers. */
  readonly identity: LocalIdentityProvider;
}

export type Provisioner = (resource: ResolvedResource, services: LocalServices) => Promise<ProvisionedResource>;

/** CloudFormation's generated physical name, made deterministic so restarts find their data again. */
export function physicalName(resource: ResolvedResource, maxLength: number, suffix = ''): string {
  const name = `${resource.stackName}-${resource.logicalId}`.replace(/[^A-Za-z0-9_-]/g, '-');
  return name.slice(0, maxLength - suffix.length) + suffix;
}

export function arn(services: LocalServices, service: string, resource: string): string {
  return `arn:aws:${service}:${services.region}:${services.accountId}:${resource}`;
}

/** A short stable id, as API Gateway and Lambda generate, derived from the logical id. */
export function localId(resource: ResolvedResource, length = 10): string {
  return createHash('sha256')
    .update(`${resource.stackName}/${resource.logicalId}`)
    .digest('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, length);
}
