/**
 * Lambda's resource policies, as the template's `AWS::Lambda::Permission`s make them: what lets API Gateway
 * and EventBridge invoke a function. A service invoking a function its policy does not name is refused, as
 * on AWS (API Gateway answers 500, "Invalid permissions on Lambda function"; EventBridge cannot deliver).
 */
import { functionsByReference, type PolicyDocument, type RoleSource } from './roles.ts';

/** Each function's resource policy (by its ARN), one statement per permission. */
export function lambdaResourcePolicies(resources: readonly RoleSource[]): Map<string, PolicyDocument> {
  const functionOf = functionsByReference(resources);
  const statements = new Map<string, Record<string, unknown>[]>();
  for (const r of resources.filter((x) => x.type === 'AWS::Lambda::Permission')) {
    const p = r.properties;
    const functionArn = functionOf(p.FunctionName)?.arn;
    if (!functionArn) continue;
    const principal = String(p.Principal);
    const condition: Record<string, Record<string, string>> = {};
    if (p.SourceArn) condition.ArnLike = { 'aws:SourceArn': String(p.SourceArn) };
    if (p.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': String(p.SourceAccount) };
    const statement = {
      Sid: r.physicalId,
      Effect: 'Allow',
      Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : principal === '*' ? '*' : { AWS: principal },
      Action: String(p.Action),
      Resource: functionArn,
      ...(Object.keys(condition).length ? { Condition: condition } : {}),
    };
    statements.set(functionArn, [...(statements.get(functionArn) ?? []), statement]);
  }
  return new Map([...statements].map(([arn, list]) => [arn, { Version: '2012-10-17', Statement: list }]));
}
