import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Alias, type IAlias } from 'aws-cdk-lib/aws-kms';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IParameter } from 'aws-cdk-lib/aws-ssm';

/**
 * Grants actions on a table and on the named indexes only. `Table.grant` adds `<table>/index/*` for a
 * table with any index, which reaches indexes the grantee never reads.
 */
export function grantOnTable(grantee: IGrantable, table: ITable, actions: string[], indexes: readonly string[] = []): Grant {
  return Grant.addToPrincipal({
    grantee,
    actions,
    resourceArns: [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index}`)],
  });
}

/** The AWS managed SNS key, for a topic's encryption at rest: no key to pay for, and no KMS grant for publishers (see `grantPublishTo`). */
export const awsManagedSnsKey = (scope: Construct): IAlias => Alias.fromAliasName(scope, 'SnsKey', 'alias/aws/sns');

/**
 * sns:Publish (PublishBatch included) on a topic encrypted with the AWS managed key: that key's policy lets
 * anyone in the account use it through SNS, so no KMS grant is needed (`grantPublish` would add KMS actions
 * on every key of the account, narrowed only by a condition).
 */
export function grantPublishTo(grantee: IGrantable, topic: ITopic): Grant {
  return Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [topic.topicArn] });
}

/** lambda:InvokeFunction on the function itself: `grantInvoke` adds `<arn>:*`, every version and alias, which nothing here invokes. */
export function grantInvokeUnqualified(grantee: IGrantable, fn: IFunction): Grant {
  return Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [fn.functionArn] });
}

/**
 * secretsmanager:GetSecretValue on the secret, what reading it takes: `grantRead` adds DescribeSecret, which no
 * function calls (the local cloud's unused-grants report over the whole suite showed it). A secret under a key
 * of its own keeps `grantRead`, which also lets the key decrypt through Secrets Manager.
 */
export function grantSecretValue(grantee: IGrantable, secret: ISecret): Grant {
  if (secret.encryptionKey) return secret.grantRead(grantee);
  // An ARN without Secrets Manager's random suffix (a secret imported by name) matches the secret with it.
  return Grant.addToPrincipal({
    grantee,
    actions: ['secretsmanager:GetSecretValue'],
    resourceArns: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
  });
}

/**
 * ssm:GetParameter on the parameter, what reading it takes: `grantRead` adds DescribeParameters, GetParameters
 * and GetParameterHistory, which no function calls.
 */
export function grantParameterValue(grantee: IGrantable, parameter: IParameter): Grant {
  return Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameter'], resourceArns: [parameter.parameterArn] });
}
