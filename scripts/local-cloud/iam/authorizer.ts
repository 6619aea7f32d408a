/**
 * IAM on the local cloud: each function calls with credentials of its own, and each call is evaluated
 * against its role's identity policies by npm `@cloud-copilot/iam-simulate` (AWS's evaluation logic,
 * condition operators and action data). That package is AGPL-3.0: the local cloud (MIT) does not depend on
 * it, and loads it only when enforcement is on (`--iam on`, the default, or `report`).
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { unusedOverRuns, type GrantUse, type UnusedGrants } from './grant-use.ts';
import type { ResourcePolicies } from './resource-policies.ts';
import { ROLE_SESSION, type Caller, type LocalRole } from './roles.ts';

/** One authorization a request needs: an action on a resource, with the request's condition keys. */
export interface AuthorizationRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
}

/** `on`: calls the role does not allow are refused; `report`: only logged; `off`: nothing is checked. */
export type IamMode = 'on' | 'report' | 'off';

export const IAM_MODES: readonly IamMode[] = ['on', 'report', 'off'];

export interface Denial {
  readonly action: string;
  readonly resource: string;
  /** AWS's words: `User: … is not authorized to perform: … on resource: … because …`. */
  readonly message: string;
}

/** Local credentials of a function or role, by its ARN: an access key id only it has (the secret is never checked locally). */
export function accessKeyIdOf(arn: string): string {
  return `ASIA${createHash('sha256').update(arn).digest('hex').slice(0, 16).toUpperCase()}`;
}

/** The access key id a SigV4 `Authorization` header names. */
export function accessKeyIdOfRequest(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

type Simulator = typeof import('@cloud-copilot/iam-simulate');
type Simulate = Simulator['runUnsafeSimulation'];

/** The services whose calls the local cloud judges: only their grants can be told unused. */
const JUDGED_SERVICES = new Set(['dynamodb', 'sqs', 'sns', 'ssm', 'secretsmanager', 'lambda', 'events', 'cloudwatch', 'logs']);

/** What Lambda does with a function's role to write its logs: used by every function, though no call of its code makes it. */
const LAMBDA_LOGGING_ACTIONS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];

export class IamAuthorizer {
  readonly mode: IamMode;
  /** The actions each role (by ARN) was allowed during the run. */
  private readonly used = new Map<string, Set<string>>();
  private callers = new Map<string, Caller>();
  private readonly decisions = new Map<string, 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied'>();
  private readonly simulate: Simulate | undefined;
  private resourcePolicies: ResourcePolicies = { policies: new Map(), judged: new Set() };
  private mappingActions: ReadonlyMap<string, ReadonlySet<string>> = new Map();
  private readonly serviceDecisions = new Map<string, boolean>();
  private readonly log: (line: string) => void;
  private readonly accountId: string;

  private constructor(mode: IamMode, simulator: Simulator | undefined, accountId: string, log: (line: string) => void) {
    this.mode = mode;
    this.simulate = simulator?.runUnsafeSimulation;
    this.accountId = accountId;
    this.log = log;
  }

  static async create(mode: IamMode, accountId: string, log: (line: string) => void): Promise<IamAuthorizer> {
    if (mode === 'off') return new IamAuthorizer(mode, undefined, accountId, log);
    let simulator: Simulator;
    try {
      simulator = await import('@cloud-copilot/iam-simulate');
    } catch {
      throw new Error(
        'IAM enforcement needs npm @cloud-copilot/iam-simulate (AGPL-3.0, not a dependency of the local cloud): install it beside, or start with --iam off',
      );
    }
    return new IamAuthorizer(mode, simulator, accountId, log);
  }

  /** The deployed functions' callers, by their access key ids (after each deploy). */
  setCallers(callers: Map<string, Caller>): void {
    this.callers = callers;
    this.decisions.clear();
    for (const role of new Set([...callers.values()].map((caller) => caller.role))) {
      if (role.unknownManagedPolicies.length)
        this.log(
          `iam: role ${role.name} has AWS managed policies the local cloud does not know (${role.unknownManagedPolicies.join(', ')}): its calls are not refused`,
        );
    }
  }

  /** What each role's event source mappings use it for (by role ARN): counted as used, as Lambda's pollers use them. */
  setMappingActions(actions: ReadonlyMap<string, ReadonlySet<string>>): void {
    this.mappingActions = actions;
  }

  /** The template's resource policies: its functions' (Lambda permissions), queues' and topics' (after each deploy). */
  setResourcePolicies(resourcePolicies: ResourcePolicies): void {
    this.resourcePolicies = resourcePolicies;
    this.serviceDecisions.clear();
  }

  /**
   * Whether an AWS service (`apigateway.amazonaws.com`, `events.amazonaws.com`, `sns.amazonaws.com`) may do
   * `action` on a resource of the template for the source (an API method's ARN, a rule's, a topic's): the
   * resource's policy decides, as on AWS. A resource the template does not declare (made at run time) is not judged.
   */
  serviceMay(service: string, action: string, resourceArn: string, sourceArn: string): boolean {
    if (this.mode === 'off' || !this.resourcePolicies.judged.has(resourceArn)) return true;
    const key = `${service}\n${action}\n${resourceArn}\n${sourceArn}`;
    let allowed = this.serviceDecisions.get(key);
    if (allowed === undefined) {
      allowed = this.judgeService(service, action, resourceArn, sourceArn);
      this.serviceDecisions.set(key, allowed);
    }
    if (allowed) return true;
    const message = `${service} may not ${action} on ${resourceArn} for ${sourceArn}: no statement of the resource's policy allows it`;
    this.log(this.mode === 'report' ? `iam (report): would deny: ${message}` : message);
    return this.mode === 'report';
  }

  private judgeService(service: string, action: string, resourceArn: string, sourceArn: string): boolean {
    const policy = this.resourcePolicies.policies.get(resourceArn);
    if (!policy) return false;
    try {
      return (
        this.simulate!(
          {
            request: {
              principal: service,
              action,
              resource: { resource: resourceArn, accountId: this.accountId },
              contextVariables: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': this.accountId },
            },
            identityPolicies: [],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            // As a ValidatedPolicy (npm iam-policy's plain-value form): the unsafe engine loads a bare
            // resource policy without the name it then reads.
            resourcePolicy: { __validated: true, policyDocument: policy, metadata: { name: 'resource policy' }, errors: [] },
          } as Parameters<Simulate>[0],
          {},
        ) === 'Allowed'
      );
    } catch (error) {
      this.log(`iam: could not evaluate ${action} on ${resourceArn} for ${service} (${String(error)}): denied`);
      return false;
    }
  }

  /** Whether a role of the template may do `action` on `resource`: a service acting as it (an API integration's `Credentials`). */
  roleMay(roleArn: string, action: string, resource: string): boolean {
    return this.authorize(accessKeyIdOf(roleArn), [{ action, resource, context: {} }]) === undefined;
  }

  /**
   * IAM's answer to a request: the denial to refuse it with, if it is signed as a function or role of the
   * template and its role does not allow all `requests` asks. The requests are read only for such a caller
   * (not for the developer's own calls, nor the local cloud's), and none (undefined) is nothing to judge.
   */
  deny(headers: IncomingHttpHeaders, requests: () => readonly AuthorizationRequest[] | undefined): Denial | undefined {
    if (this.mode === 'off') return undefined;
    const accessKeyId = accessKeyIdOfRequest(headers.authorization);
    if (accessKeyId === undefined || !this.callers.has(accessKeyId)) return undefined;
    const asked = requests();
    return asked ? this.authorize(accessKeyId, asked) : undefined;
  }

  /** The first of `requests` the caller's role does not allow; undefined if all are (or it is no function's caller). */
  authorize(accessKeyId: string | undefined, requests: readonly AuthorizationRequest[]): Denial | undefined {
    if (this.mode === 'off' || !accessKeyId) return undefined;
    const caller = this.callers.get(accessKeyId);
    // The developer's own credentials (the CLI, the tests, the local cloud's own pollers): an administrator's.
    if (!caller || caller.role.unknownManagedPolicies.length) return undefined;
    for (const request of requests) {
      const decision = this.decide(caller.role, request);
      if (decision === 'Allowed') {
        let actions = this.used.get(caller.role.arn);
        if (!actions) this.used.set(caller.role.arn, (actions = new Set()));
        actions.add(request.action);
        continue;
      }
      const principal = `arn:aws:sts::${this.accountId}:assumed-role/${caller.role.name}/${caller.sessionName}`;
      const why =
        decision === 'ExplicitlyDenied'
          ? 'with an explicit deny in an identity-based policy'
          : `because no identity-based policy allows the ${request.action} action`;
      const denial = {
        action: request.action,
        resource: request.resource,
        message: `User: ${principal} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`,
      };
      if (this.mode === 'report') {
        this.log(`iam (report): would deny: ${denial.message}`);
        return undefined;
      }
      return denial;
    }
    return undefined;
  }

  /** What each role was granted, of the services judged here, and what this run's calls (and Lambda on their behalf) used. */
  grantUse(): GrantUse[] {
    const roles = new Map([...this.callers.values()].map((caller) => [caller.role.arn, caller.role]));
    const functionRoles = new Set([...this.callers.values()].filter((c) => c.sessionName !== ROLE_SESSION).map((c) => c.role.arn));
    return [...roles.values()].map((role) => ({
      role: role.name,
      granted: [
        ...new Set(
          role.policies.flatMap((policy) =>
            [policy.document.Statement]
              .flat()
              .filter(
                (statement): statement is { Effect: string; Action?: string | string[] } => !!statement && typeof statement === 'object',
              )
              .filter((statement) => statement.Effect === 'Allow')
              .flatMap((statement) => [statement.Action ?? []].flat())
              .filter((pattern) => JUDGED_SERVICES.has(pattern.split(':')[0]!.toLowerCase())),
          ),
        ),
      ],
      used: [
        ...(this.used.get(role.arn) ?? []),
        ...(this.mappingActions.get(role.arn) ?? []),
        ...(functionRoles.has(role.arn) ? LAMBDA_LOGGING_ACTIONS : []),
      ],
    }));
  }

  /**
   * Each role's grants that no call of the run used, so a grant wider than the code needs shows: the
   * actions (patterns as written) of its Allow statements, of the services the local cloud judges.
   */
  unusedGrants(): UnusedGrants[] {
    return unusedOverRuns([this.grantUse()]);
  }

  private readonly hasConditions = new WeakMap<LocalRole, boolean>();

  private conditional(role: LocalRole): boolean {
    let known = this.hasConditions.get(role);
    if (known === undefined)
      this.hasConditions.set(role, (known = role.policies.some((p) => JSON.stringify(p.document).includes('"Condition"'))));
    return known;
  }

  private decide(role: LocalRole, request: AuthorizationRequest): 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied' {
    // A role without conditions decides alike whatever the keys: one decision per action and resource.
    const context = this.conditional(role) ? JSON.stringify(request.context) : '';
    const key = `${role.arn}\n${request.action}\n${request.resource}\n${context}`;
    const known = this.decisions.get(key);
    if (known) return known;
    let decision: 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';
    try {
      // Without re-validating the role's policies on every call (about 50 µs a decision, against 220 µs).
      decision = this.simulate!(
        {
          request: {
            principal: role.arn,
            action: request.action,
            resource: { resource: request.resource, accountId: this.accountId },
            contextVariables: request.context,
          },
          identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.document })),
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        } as Parameters<Simulate>[0],
        {},
      );
    } catch (error) {
      this.log(`iam: could not evaluate ${request.action} on ${request.resource} for ${role.name} (${String(error)}): denied`);
      decision = 'ImplicitlyDenied';
    }
    // Keys make decisions many (a partition each): the cache starts over rather than grow without end.
    if (this.decisions.size >= 100_000) this.decisions.clear();
    this.decisions.set(key, decision);
    return decision;
  }
}
