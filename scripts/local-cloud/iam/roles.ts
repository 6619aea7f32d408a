/**
 * The IAM roles a deployed template declares, with the identity policies that apply to each: the role's
 * inline `Policies`, every `AWS::IAM::Policy` and customer `AWS::IAM::ManagedPolicy` attached to it, and
 * the managed policies its `ManagedPolicyArns` names.
 */
import { functionReference } from '../lambda/function-reference.ts';

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: unknown;
}

export interface LocalRole {
  readonly arn: string;
  readonly name: string;
  readonly policies: { readonly name: string; readonly document: PolicyDocument }[];
  /**
   * AWS managed policies the role has whose statements the local cloud does not know: while there is one,
   * the role's calls are not refused (they are logged as such), rather than refused for a grant it may have.
   */
  readonly unknownManagedPolicies: string[];
}

/** Who calls with an access key: a role, and the session name it acts under (a function's name for Lambda). */
export interface Caller {
  readonly role: LocalRole;
  readonly sessionName: string;
}

/** A table as IAM sees it: its ARN, and the partition key whose values are `dynamodb:LeadingKeys`. */
export interface TableInfo {
  readonly arn: string;
  readonly hashKey: string;
}

/** A deployed resource, as much of it as reading IAM from the template needs. */
export interface RoleSource {
  readonly type: string;
  readonly logicalId: string;
  readonly physicalId: string;
  readonly properties: Record<string, any>;
  readonly attributes: Record<string, unknown>;
}

/**
 * AWS managed policies whose statements touch only what the local cloud does not enforce (logs, X-Ray,
 * network interfaces, API Gateway's logging): attaching one changes nothing here.
 */
const MANAGED_POLICIES_WITHOUT_ENFORCED_ACTIONS = new Set([
  'service-role/AWSLambdaBasicExecutionRole',
  'service-role/AWSLambdaVPCAccessExecutionRole',
  'AWSXRayDaemonWriteAccess',
  'AWSXrayWriteOnlyAccess',
  'service-role/AmazonAPIGatewayPushToCloudWatchLogs',
  'CloudWatchLambdaInsightsExecutionRolePolicy',
]);

/** A template property that is one value or a list of them, as a list. */
export const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export function rolesOf(resources: readonly RoleSource[]): Map<string, LocalRole> {
  const roles = new Map<string, LocalRole>();
  const byName = new Map<string, LocalRole>();
  for (const r of resources.filter((x) => x.type === 'AWS::IAM::Role')) {
    const role: LocalRole = {
      arn: String(r.attributes.Arn),
      name: r.physicalId,
      policies: list(r.properties.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[] | undefined).map((p) => ({
        name: p.PolicyName,
        document: p.PolicyDocument,
      })),
      unknownManagedPolicies: [],
    };
    roles.set(role.arn, role);
    byName.set(role.name, role);
  }
  const managed = new Map(
    resources
      .filter((x) => x.type === 'AWS::IAM::ManagedPolicy')
      .map((r) => [
        r.physicalId,
        { name: String(r.properties.ManagedPolicyName ?? r.logicalId), document: r.properties.PolicyDocument as PolicyDocument },
      ]),
  );
  // Attached from the policy's side: its `Roles` name the roles.
  for (const r of resources.filter((x) => x.type === 'AWS::IAM::Policy' || x.type === 'AWS::IAM::ManagedPolicy')) {
    const name = String(r.properties.PolicyName ?? r.properties.ManagedPolicyName ?? r.logicalId);
    for (const roleName of list(r.properties.Roles as string[] | undefined)) {
      byName.get(roleName)?.policies.push({ name, document: r.properties.PolicyDocument as PolicyDocument });
    }
  }
  // Attached from the role's side: its `ManagedPolicyArns`, the template's own or AWS's.
  for (const r of resources.filter((x) => x.type === 'AWS::IAM::Role')) {
    const role = roles.get(String(r.attributes.Arn))!;
    for (const policyArn of list(r.properties.ManagedPolicyArns as string[] | undefined)) {
      const own = managed.get(policyArn);
      if (own) role.policies.push(own);
      else {
        const awsManaged = /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(policyArn)?.[1];
        if (!awsManaged || !MANAGED_POLICIES_WITHOUT_ENFORCED_ACTIONS.has(awsManaged)) role.unknownManagedPolicies.push(policyArn);
      }
    }
  }
  return roles;
}

/** The session name of a role's own credentials (not a function's). */
export const ROLE_SESSION = 'local';

/**
 * Who calls with which access key: each function as its role (its name the session name), and each role as
 * itself (session `local`: what `sts assume-role` would give a person or a tool acting in it).
 */
export function callersOf(
  resources: readonly RoleSource[],
  roles: ReadonlyMap<string, LocalRole>,
  accessKeyIdOf: (arn: string) => string,
): Map<string, Caller> {
  const callers = new Map<string, Caller>();
  for (const role of roles.values()) callers.set(accessKeyIdOf(role.arn), { role, sessionName: ROLE_SESSION });
  for (const r of resources.filter((x) => x.type === 'AWS::Lambda::Function')) {
    // A role from outside the template (an imported ARN) is not known here: that function's calls are not checked.
    const role = roles.get(String(r.properties.Role));
    if (role) callers.set(accessKeyIdOf(String(r.attributes.Arn)), { role, sessionName: r.physicalId });
  }
  return callers;
}

/** Each table's ARN and partition key, by its name: what DynamoDB's resources and `dynamodb:LeadingKeys` need. */
export function tablesOf(resources: readonly RoleSource[]): Map<string, TableInfo> {
  return new Map(
    resources
      .filter((r) => r.type === 'AWS::DynamoDB::Table')
      .map((r) => [
        r.physicalId,
        {
          arn: String(r.attributes.Arn),
          hashKey: String(
            (r.properties.KeySchema as { AttributeName: string; KeyType: string }[]).find((k) => k.KeyType === 'HASH')?.AttributeName,
          ),
        },
      ]),
  );
}

/** What Lambda's pollers do with a function's role for its event source mappings (and stream mappings' on-failure destinations). */
const MAPPING_ACTIONS = {
  sqs: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
  stream: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
};

/**
 * The template's functions by what refers to them (a permission's or mapping's `FunctionName`: a name or an
 * ARN, with or without a version): each one's ARN and role ARN.
 */
export function functionsByReference(resources: readonly RoleSource[]): (reference: unknown) => { arn: string; role: string } | undefined {
  const byName = new Map<string, { arn: string; role: string }>();
  for (const r of resources.filter((x) => x.type === 'AWS::Lambda::Function')) {
    byName.set(r.physicalId, { arn: String(r.attributes.Arn), role: String(r.properties.Role) });
  }
  return (reference) => byName.get(functionReference(String(reference)).name);
}

/**
 * The actions each role (by ARN) is used for by its functions' event source mappings: the local cloud's
 * pollers read with their own credentials, where Lambda's read with the function's role.
 */
export function mappingActionsOf(resources: readonly RoleSource[]): Map<string, Set<string>> {
  const functionOf = functionsByReference(resources);
  const used = new Map<string, Set<string>>();
  for (const m of resources.filter((x) => x.type === 'AWS::Lambda::EventSourceMapping')) {
    const role = functionOf(m.properties.FunctionName)?.role;
    if (!role) continue;
    const source = String(m.properties.EventSourceArn);
    const actions = source.startsWith('arn:aws:sqs:') ? MAPPING_ACTIONS.sqs : MAPPING_ACTIONS.stream;
    const onFailure = String(m.properties.DestinationConfig?.OnFailure?.Destination ?? '');
    const destination = onFailure.startsWith('arn:aws:sqs:')
      ? ['sqs:SendMessage']
      : onFailure.startsWith('arn:aws:sns:')
        ? ['sns:Publish']
        : [];
    let set = used.get(role);
    if (!set) used.set(role, (set = new Set()));
    for (const action of [...actions, ...destination]) set.add(action);
  }
  return used;
}
