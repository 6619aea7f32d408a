/**
 * What SNS and SQS requests ask IAM for, and their endpoints' checks (a `ServiceProxy`'s `authorize`): SNS
 * in its query protocol (form parameters), SQS in its JSON protocol (`X-Amz-Target: AmazonSQS.*`), each
 * answered, when refused, as the service answers it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthorizationRequest, IamAuthorizer } from './authorizer.ts';
import { jsonInputOf } from '../json-input.ts';

/** A batch call is authorized as its single action. */
const SQS_ACTIONS: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

export function snsAuthorizations(params: URLSearchParams): AuthorizationRequest[] {
  const action = params.get('Action') ?? '';
  return [
    {
      action: `sns:${action === 'PublishBatch' ? 'Publish' : action}`,
      resource: params.get('TopicArn') ?? params.get('ResourceArn') ?? '*',
      context: {},
    },
  ];
}

export function sqsAuthorizations(
  target: string,
  input: Record<string, any>,
  queueArnOf: (name: string) => string,
): AuthorizationRequest[] {
  const operation = target.slice(target.indexOf('.') + 1);
  const name =
    typeof input.QueueUrl === 'string'
      ? input.QueueUrl.split('/').at(-1)!
      : typeof input.QueueName === 'string'
        ? input.QueueName
        : undefined;
  return [{ action: `sqs:${SQS_ACTIONS[operation] ?? operation}`, resource: name ? queueArnOf(name) : '*', context: {} }];
}

/** SNS's endpoint check: a refused call is 403 `AuthorizationError`, in SNS's XML. */
export function authorizeSns(authorizer: IamAuthorizer) {
  return (headers: IncomingHttpHeaders, body: Buffer) => {
    const denial = authorizer.deny(headers, () =>
      String(headers['content-type'] ?? '').includes('x-www-form-urlencoded')
        ? snsAuthorizations(new URLSearchParams(body.toString('utf8')))
        : undefined,
    );
    if (!denial) return undefined;
    return {
      status: 403,
      headers: { 'content-type': 'text/xml' },
      body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>${denial.message}</Message></Error><RequestId>local</RequestId></ErrorResponse>`,
    };
  };
}

/** SQS's endpoint check: a refused call is 403 `AccessDenied`, in SQS's JSON protocol. */
export function authorizeSqs(authorizer: IamAuthorizer, queueArnOf: (name: string) => string) {
  return (headers: IncomingHttpHeaders, body: Buffer) => {
    const target = String(headers['x-amz-target'] ?? '');
    const denial = authorizer.deny(headers, () => {
      if (!target.startsWith('AmazonSQS.')) return undefined;
      const input = jsonInputOf(body);
      return input && sqsAuthorizations(target, input, queueArnOf);
    });
    if (!denial) return undefined;
    return {
      status: 403,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AccessDenied;Sender' },
      body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message: denial.message }),
    };
  };
}
