/** Facts about the local account every part of the local cloud agrees on. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** Any credentials work locally; these are the conventional dummy ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

export interface ServiceEndpoints {
  readonly dynamodb: string;
  readonly snsSqs: string;
  /** SNS through a proxy that can be taken down (`LocalCloud.setServiceDown`). @default snsSqs */
  readonly sns?: string;
  /** SSM Parameter Store and Secrets Manager (the local cloud's own emulation). */
  readonly parameters?: string;
  /** Lambda's Invoke API (the local cloud's own emulation). */
  readonly lambda?: string;
  /** CloudWatch metrics (the local cloud's own emulation). */
  readonly cloudwatch?: string;
  /** CloudWatch Logs (the local cloud's own emulation): the functions' logs. */
  readonly logs?: string;
  /** CloudFormation's DescribeStacks (the local cloud's own emulation): stack outputs. */
  readonly cloudformation?: string;
  /** EventBridge's PutEvents and read calls (the local cloud's own emulation). */
  readonly eventbridge?: string;
  /** The local cloud's IAM report (`GET /unused-grants`); not AWS's IAM API, so no SDK variable points here. */
  readonly iamReport?: string;
}

/** The variables that point the AWS SDK v3 and AWS CLI v2 at the local services. */
export function endpointEnvironment(endpoints: ServiceEndpoints, region: string): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.snsSqs,
    AWS_ENDPOINT_URL_SNS: endpoints.sns ?? endpoints.snsSqs,
    ...(endpoints.parameters ? { AWS_ENDPOINT_URL_SSM: endpoints.parameters, AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.parameters } : {}),
    ...(endpoints.lambda ? { AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda } : {}),
    ...(endpoints.cloudwatch ? { AWS_ENDPOINT_URL_CLOUDWATCH: endpoints.cloudwatch } : {}),
    ...(endpoints.logs ? { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoints.logs } : {}),
    ...(endpoints.cloudformation ? { AWS_ENDPOINT_URL_CLOUDFORMATION: endpoints.cloudformation } : {}),
    ...(endpoints.eventbridge ? { AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge } : {}),
  };
}
