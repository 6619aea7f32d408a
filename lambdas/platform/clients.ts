import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from './observability.ts';

/**
 * One DynamoDB client per bundle, default configuration: AWS_ENDPOINT_URL_DYNAMODB points it at
 * LocalStack or the local cloud without a code change.
 */
export const dynamodb = traced(new DynamoDBClient({}));
export const documentClient = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });

/** A required environment variable; its absence is a deployment bug worth failing the cold start for. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}
