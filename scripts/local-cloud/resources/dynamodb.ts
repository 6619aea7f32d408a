import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { Provisioner } from './types.ts';
import { arnInRegion } from '../services/dynamodb-local.ts';
import { arn, physicalName } from './types.ts';

/** `AWS::DynamoDB::Table`: keys, GSIs, LSIs, streams and TTL; an existing table (--persist) is reused. */
export const provisionTable: Provisioner = async (resource, services) => {
  const p = resource.properties;
  const tableName: string = p.TableName ?? physicalName(resource, 255);
  const onDemand = p.BillingMode === 'PAY_PER_REQUEST';
  const throughput = (t?: { ReadCapacityUnits: number; WriteCapacityUnits: number }) =>
    onDemand ? undefined : (t ?? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 });
  const input: CreateTableCommandInput = {
    TableName: tableName,
    KeySchema: p.KeySchema,
    AttributeDefinitions: p.AttributeDefinitions,
    BillingMode: onDemand ? 'PAY_PER_REQUEST' : 'PROVISIONED',
    ProvisionedThroughput: throughput(p.ProvisionedThroughput),
    GlobalSecondaryIndexes: p.GlobalSecondaryIndexes?.map((gsi: any) => ({
      IndexName: gsi.IndexName,
      KeySchema: gsi.KeySchema,
      Projection: gsi.Projection,
      ProvisionedThroughput: throughput(gsi.ProvisionedThroughput),
    })),
    LocalSecondaryIndexes: p.LocalSecondaryIndexes,
    StreamSpecification: p.StreamSpecification?.StreamViewType
      ? { StreamEnabled: true, StreamViewType: p.StreamSpecification.StreamViewType }
      : undefined,
  };
  let table;
  try {
    table = (await services.dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    table = (await services.dynamodb.send(new CreateTableCommand(input))).TableDescription;
  }
  if (p.TimeToLiveSpecification?.Enabled) {
    await services.dynamodb
      .send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: p.TimeToLiveSpecification }))
      .catch((error: Error) => {
        // Already enabled on a persisted table.
        if (!/already enabled/i.test(error.message)) throw error;
      });
  }
  // In the stack's region, as CloudFormation would give them (the stream poller asks DynamoDB Local in its own).
  return {
    ref: tableName,
    attributes: {
      Arn: arn(services, 'dynamodb', `table/${tableName}`),
      StreamArn: table!.LatestStreamArn && arnInRegion(table!.LatestStreamArn, services.region),
    },
  };
};
