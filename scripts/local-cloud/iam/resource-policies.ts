/**
 * The resource policies a template gives its functions, queues and topics: what lets AWS services reach them.
 * - A function's is made of its `AWS::Lambda::Permission`s: API Gateway and EventBridge invoke it only as they name.
 * - A queue's is its `AWS::SQS::QueuePolicy` (or `QueueInlinePolicy`): SNS delivers to it, and EventBridge
 *   sends to it as a target or dead-letter queue, only as it allows.
 * - A topic's is its `AWS::SNS::TopicPolicy` (or `TopicInlinePolicy`): EventBridge publishes to it only as it allows.
 */
import { functionsByReference, list, type PolicyDocument, type RoleSource } from './roles.ts';

export interface ResourcePolicies {
  /** Each resource's policy, by its ARN; a resource of the template without one has none (services are refused). */
  readonly policies: Map<string, PolicyDocument>;
  /** The ARNs of the template's functions, queues and topics: those a service's access to is judged. */
  readonly judged: Set<string>;
}

/** A Lambda permission as a policy statement, as Lambda writes it into the function's policy. */
function permissionStatement(r: RoleSource, functionArn: string): Record<string, unknown> {
  const p = r.properties;
  const principal = String(p.Principal);
  const condition: Record<string, Record<string, string>> = {};
  if (p.SourceArn) condition.ArnLike = { 'aws:SourceArn': String(p.SourceArn) };
  if (p.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': String(p.SourceAccount) };
  return {
    Sid: r.physicalId,
    Effect: 'Allow',
    Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : principal === '*' ? '*' : { AWS: principal },
    Action: String(p.Action),
    Resource: functionArn,
    ...(Object.keys(condition).length ? { Condition: condition } : {}),
  };
}

export function resourcePoliciesOf(resources: readonly RoleSource[]): ResourcePolicies {
  const functionOf = functionsByReference(resources);
  const queueArnOf = new Map<string, string>();
  const judged = new Set<string>();
  for (const r of resources) {
    if (r.type === 'AWS::SQS::Queue') {
      queueArnOf.set(r.physicalId, String(r.attributes.Arn));
      judged.add(String(r.attributes.Arn));
    } else if (r.type === 'AWS::SNS::Topic') judged.add(r.physicalId);
    else if (r.type === 'AWS::Lambda::Function') judged.add(String(r.attributes.Arn));
  }
  const statements = new Map<string, unknown[]>();
  const add = (arn: string | undefined, more: unknown[]) => {
    if (arn) statements.set(arn, [...(statements.get(arn) ?? []), ...more]);
  };
  for (const r of resources) {
    const p = r.properties;
    const documentStatements = () => list((p.PolicyDocument as PolicyDocument | undefined)?.Statement);
    switch (r.type) {
      case 'AWS::Lambda::Permission': {
        const functionArn = functionOf(p.FunctionName)?.arn;
        if (functionArn) add(functionArn, [permissionStatement(r, functionArn)]);
        break;
      }
      case 'AWS::SQS::QueuePolicy':
        for (const url of list(p.Queues)) add(queueArnOf.get(String(url)), documentStatements());
        break;
      case 'AWS::SQS::QueueInlinePolicy':
        add(queueArnOf.get(String(p.Queue)), documentStatements());
        break;
      case 'AWS::SNS::TopicPolicy':
        for (const topicArn of list(p.Topics)) add(String(topicArn), documentStatements());
        break;
      case 'AWS::SNS::TopicInlinePolicy':
        add(String(p.TopicArn), documentStatements());
        break;
    }
  }
  return {
    policies: new Map([...statements].map(([arn, statement]) => [arn, { Version: '2012-10-17', Statement: statement }])),
    judged,
  };
}
