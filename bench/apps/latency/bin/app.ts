/** The bench's app: a stream and a queue, each with a function that stamps when it saw a record. */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Runtime, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { fileURLToPath } from 'node:url';

const app = new App();
const stack = new Stack(app, 'BenchLatency');
const entry = fileURLToPath(new URL('../lambdas/stamp.ts', import.meta.url));
const stamp = (id: string) =>
  new NodejsFunction(stack, id, {
    entry,
    runtime: Runtime.NODEJS_22_X,
    timeout: Duration.seconds(5),
    bundling: { format: OutputFormat.ESM, minify: true },
  });

const table = new Table(stack, 'Writes', {
  partitionKey: { name: 'pk', type: AttributeType.STRING },
  billingMode: BillingMode.PAY_PER_REQUEST,
  stream: StreamViewType.NEW_IMAGE,
});
stamp('StreamStamp').addEventSource(new DynamoEventSource(table, { startingPosition: StartingPosition.LATEST, batchSize: 100 }));

const queue = new Queue(stack, 'Messages');
stamp('QueueStamp').addEventSource(new SqsEventSource(queue, { batchSize: 10 }));

app.synth();
