/**
 * The AWS services an `AWS` (non-proxy) integration may call, answered as the service would answer API
 * Gateway: SQS `SendMessage` and SNS `Publish` in their query protocol (form parameters in, XML out, or JSON
 * when the request accepts it), and any DynamoDB action in its JSON protocol.
 */
import * as dynamodbCommands from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, type MessageAttributeValue as SnsAttribute, type SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SendMessageCommand, type MessageAttributeValue as SqsAttribute, type SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { escapeXml } from '../xml.ts';

/** A request to a service, as API Gateway sends it after the integration's templates and parameters. */
export interface ServiceRequest {
  readonly service: string;
  /** `action/{Action}` URIs name the action; `path/{…}` ones put it in the parameters. */
  readonly action?: string;
  readonly path?: string;
  readonly body: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  /** The integration's execution role (`Credentials`): the call is made as it, and judged by its policies. */
  readonly credentials?: string;
}

export interface ServiceAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
}

export interface AwsServiceClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

/** The services an `AWS` integration may name (besides Lambda, which the gateway invokes itself). */
export const INTEGRATION_SERVICES = ['sqs', 'sns', 'dynamodb'] as const;

const XMLNS = { sqs: 'http://queue.amazonaws.com/doc/2012-11-05/', sns: 'http://sns.amazonaws.com/doc/2010-03-31/' } as const;

/** A query-protocol answer: `<{Action}Response><{Action}Result>…`, or its JSON form. */
function queryAnswer(service: 'sqs' | 'sns', action: string, result: Record<string, string | undefined>, json: boolean): ServiceAnswer {
  const requestId = randomUUID();
  const fields = Object.entries(result).filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (json) {
    const body = { [`${action}Response`]: { [`${action}Result`]: Object.fromEntries(fields), ResponseMetadata: { RequestId: requestId } } };
    return { status: 200, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  }
  const inner = fields.map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('');
  return {
    status: 200,
    body: `<${action}Response xmlns="${XMLNS[service]}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
    headers: { 'content-type': 'text/xml' },
  };
}

function queryError(status: number, code: string, message: string, json: boolean): ServiceAnswer {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const requestId = randomUUID();
  if (json) {
    return {
      status,
      body: JSON.stringify({ Error: { Type: type, Code: code, Message: message }, RequestId: requestId }),
      headers: { 'content-type': 'application/json' },
    };
  }
  return {
    status,
    body: `<ErrorResponse><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    headers: { 'content-type': 'text/xml' },
  };
}

/** An SDK error's status and code. */
function failure(error: unknown): { status: number; code: string; message: string } {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return { status: e.$metadata?.httpStatusCode ?? 500, code: e.name ?? 'InternalFailure', message: e.message ?? String(error) };
}

/** Query-protocol message attributes: `{prefix}.N.Name`, `{prefix}.N.Value.DataType`, `….StringValue`. */
function messageAttributes(
  params: URLSearchParams,
  prefix: string,
): Record<string, { DataType: string; StringValue?: string }> | undefined {
  const attributes: Record<string, { DataType: string; StringValue?: string }> = {};
  for (let n = 1; params.has(`${prefix}.${n}.Name`); n++) {
    attributes[params.get(`${prefix}.${n}.Name`)!] = {
      DataType: params.get(`${prefix}.${n}.Value.DataType`) ?? 'String',
      StringValue: params.get(`${prefix}.${n}.Value.StringValue`) ?? undefined,
    };
  }
  return Object.keys(attributes).length ? attributes : undefined;
}

/** Calls the service a request names, answering as it would. */
export async function callAwsService(clients: AwsServiceClients, request: ServiceRequest): Promise<ServiceAnswer> {
  const json = (Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'accept')?.[1] ?? '').includes('json');
  if (request.service === 'dynamodb') return callDynamoDb(clients.dynamodb, request);
  const params = new URLSearchParams(request.body);
  for (const [key, value] of Object.entries(request.query)) params.set(key, value);
  const action = request.action ?? params.get('Action') ?? '';
  const service = request.service as 'sqs' | 'sns';
  try {
    if (service === 'sqs' && action === 'SendMessage') {
      // `path/{account}/{queue}` names the queue; `action/SendMessage` takes a QueueUrl parameter.
      const queueName = request.path?.split('/').filter(Boolean).at(-1);
      const QueueUrl =
        params.get('QueueUrl') ??
        (queueName ? (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl : undefined);
      const sent = await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: params.get('MessageBody') ?? undefined,
          DelaySeconds: params.has('DelaySeconds') ? Number(params.get('DelaySeconds')) : undefined,
          MessageGroupId: params.get('MessageGroupId') ?? undefined,
          MessageDeduplicationId: params.get('MessageDeduplicationId') ?? undefined,
          MessageAttributes: messageAttributes(params, 'MessageAttribute') as Record<string, SqsAttribute> | undefined,
        }),
      );
      return queryAnswer(
        'sqs',
        action,
        { MD5OfMessageBody: sent.MD5OfMessageBody, MessageId: sent.MessageId, SequenceNumber: sent.SequenceNumber },
        json,
      );
    }
    if (service === 'sns' && action === 'Publish') {
      const published = await clients.sns.send(
        new PublishCommand({
          TopicArn: params.get('TopicArn') ?? undefined,
          Message: params.get('Message') ?? undefined,
          Subject: params.get('Subject') ?? undefined,
          MessageGroupId: params.get('MessageGroupId') ?? undefined,
          MessageDeduplicationId: params.get('MessageDeduplicationId') ?? undefined,
          MessageAttributes: messageAttributes(params, 'MessageAttributes.entry') as Record<string, SnsAttribute> | undefined,
        }),
      );
      return queryAnswer('sns', action, { MessageId: published.MessageId, SequenceNumber: published.SequenceNumber }, json);
    }
    return queryError(
      400,
      'InvalidAction',
      `${service} action "${action}" is not emulated for API Gateway integrations (SQS SendMessage and SNS Publish are)`,
      json,
    );
  } catch (error) {
    const { status, code, message } = failure(error);
    return queryError(status, code, message, json);
  }
}

async function callDynamoDb(client: DynamoDBClient, request: ServiceRequest): Promise<ServiceAnswer> {
  const headers = { 'content-type': 'application/x-amz-json-1.0' };
  const Command = (dynamodbCommands as unknown as Record<string, new (input: unknown) => dynamodbCommands.PutItemCommand>)[
    `${request.action}Command`
  ];
  if (!request.action || !Command) {
    return {
      status: 400,
      body: JSON.stringify({ __type: 'UnknownOperationException', message: `No DynamoDB action ${request.action}` }),
      headers,
    };
  }
  let input: unknown;
  try {
    input = JSON.parse(request.body);
  } catch {
    return { status: 400, body: JSON.stringify({ __type: 'SerializationException', message: 'The request body is not JSON' }), headers };
  }
  try {
    const { $metadata: _metadata, ...output } = await client.send(new Command(input));
    return { status: 200, body: JSON.stringify(output), headers };
  } catch (error) {
    const { status, code, message } = failure(error);
    return { status, body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message }), headers };
  }
}
