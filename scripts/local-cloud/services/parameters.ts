import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NOT_JSON, readJsonInput, RegionalService, replyJson } from './local-endpoint.ts';
import type { AuthorizationRequest } from '../iam/authorizer.ts';

interface StoredParameter {
  name: string;
  type: string;
  value: string;
  version: number;
  modified: Date;
}

interface StoredSecret {
  name: string;
  arn: string;
  value: string;
  versionId: string;
  created: Date;
}

/**
 * SSM Parameter Store and Secrets Manager, as far as configuration and secrets need them: the reads the
 * AWS SDK (and Powertools Parameters) make, and the writes an operator makes to change a policy. Both speak
 * AWS's JSON 1.1 protocol on one endpoint, told apart by `X-Amz-Target`. State is in memory: a restart
 * provisions the template's values again.
 */
export class LocalParameterStore extends RegionalService {
  readonly parameters = new Map<string, StoredParameter>();
  readonly secrets = new Map<string, StoredSecret>();

  putParameter(name: string, value: string, type = 'String'): StoredParameter {
    const previous = this.parameters.get(name);
    const parameter = { name, type, value, version: (previous?.version ?? 0) + 1, modified: new Date() };
    this.parameters.set(name, parameter);
    return parameter;
  }

  /** Creates a secret (keeping the value a persisted one already has); returns its ARN, which is its Ref. */
  putSecret(name: string, value: string): string {
    const existing = this.secrets.get(name);
    const arn = existing?.arn ?? `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${randomBytes(3).toString('hex')}`;
    this.secrets.set(name, { name, arn, value, versionId: randomUUID(), created: new Date() });
    return arn;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const input = await readJsonInput(req);
    if (!input) return replyJson(res, 400, NOT_JSON);
    const [service, action] = target.split('.');
    const denial = this.denied(req, () => this.authorizations(service!, action!, input));
    if (denial) return replyJson(res, 400, { __type: 'AccessDeniedException', message: denial.message });
    const result =
      service === 'AmazonSSM' ? this.ssm(action!, input) : service === 'secretsmanager' ? this.secretsManager(action!, input) : undefined;
    if (!result) return replyJson(res, 400, { __type: 'UnknownOperationException', message: `${target} is not emulated locally` });
    replyJson(res, result.status, result.body);
  }

  /** A secret by its name or ARN, as `SecretId` names one. */
  private findSecret(id: string) {
    return [...this.secrets.values()].find((s) => s.name === id || s.arn === id);
  }

  /** What a call asks IAM for: the action on each parameter or secret it names. */
  private authorizations(service: string, action: string, input: Record<string, any>): AuthorizationRequest[] {
    const parameterArn = (name: string) => `arn:aws:ssm:${this.region}:${this.accountId}:parameter/${name.replace(/^\//, '')}`;
    if (service === 'AmazonSSM') {
      const names: string[] = action === 'GetParameters' ? (input.Names ?? []) : [String(input.Name ?? input.Path ?? '')];
      return names.map((name) => ({ action: `ssm:${action}`, resource: parameterArn(name), context: {} }));
    }
    const id = String(input.SecretId ?? input.Name ?? '');
    const secret = this.findSecret(id);
    const resource = secret?.arn ?? (id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${id}`);
    return [{ action: `secretsmanager:${action}`, resource, context: {} }];
  }

  private ssm(action: string, input: Record<string, any>): { status: number; body: unknown } | undefined {
    const describe = (p: StoredParameter) => ({
      Name: p.name,
      Type: p.type,
      Value: p.value,
      Version: p.version,
      LastModifiedDate: p.modified.getTime() / 1000,
      ARN: `arn:aws:ssm:${this.region}:${this.accountId}:parameter/${p.name.replace(/^\//, '')}`,
      DataType: 'text',
    });
    switch (action) {
      case 'GetParameter': {
        const parameter = this.parameters.get(String(input.Name));
        if (!parameter) return { status: 400, body: { __type: 'ParameterNotFound', message: `Parameter ${input.Name} not found` } };
        return { status: 200, body: { Parameter: describe(parameter) } };
      }
      case 'GetParameters': {
        const names = (input.Names ?? []) as string[];
        return {
          status: 200,
          body: {
            Parameters: names.filter((n) => this.parameters.has(n)).map((n) => describe(this.parameters.get(n)!)),
            InvalidParameters: names.filter((n) => !this.parameters.has(n)),
          },
        };
      }
      case 'GetParametersByPath': {
        // The parameters under the path: one level down, or every level with Recursive; ten a page at most.
        // A name without a leading slash (CloudFormation's generated ones) sits at the root, `/`.
        const path = String(input.Path ?? '');
        if (!path.startsWith('/')) return { status: 400, body: { __type: 'ValidationException', message: 'Path must begin with /' } };
        const prefix = path.endsWith('/') ? path : `${path}/`;
        const pathOf = (name: string) => (name.startsWith('/') ? name : `/${name}`);
        const under = [...this.parameters.values()]
          .filter((p) => pathOf(p.name).startsWith(prefix) && (input.Recursive || !pathOf(p.name).slice(prefix.length).includes('/')))
          .sort((a, b) => a.name.localeCompare(b.name));
        const start = /^\d+$/.test(String(input.NextToken ?? '')) ? Number(input.NextToken) : 0;
        const end = start + Math.min(Math.max(Number(input.MaxResults ?? 10), 1), 10);
        return {
          status: 200,
          body: { Parameters: under.slice(start, end).map(describe), ...(end < under.length ? { NextToken: String(end) } : {}) },
        };
      }
      case 'PutParameter': {
        if (this.parameters.has(String(input.Name)) && !input.Overwrite) {
          return { status: 400, body: { __type: 'ParameterAlreadyExists', message: `Parameter ${input.Name} exists; pass Overwrite` } };
        }
        const parameter = this.putParameter(
          String(input.Name),
          String(input.Value),
          String(input.Type ?? this.parameters.get(String(input.Name))?.type ?? 'String'),
        );
        return { status: 200, body: { Version: parameter.version, Tier: 'Standard' } };
      }
      default:
        return undefined;
    }
  }

  private secretsManager(action: string, input: Record<string, any>): { status: number; body: unknown } | undefined {
    const id = String(input.SecretId);
    const secret = this.findSecret(id);
    switch (action) {
      case 'GetSecretValue':
        if (!secret)
          return {
            status: 400,
            body: { __type: 'ResourceNotFoundException', message: `Secrets Manager can't find the specified secret.` },
          };
        return {
          status: 200,
          body: {
            ARN: secret.arn,
            Name: secret.name,
            SecretString: secret.value,
            VersionId: secret.versionId,
            VersionStages: ['AWSCURRENT'],
            CreatedDate: secret.created.getTime() / 1000,
          },
        };
      case 'PutSecretValue': {
        if (!secret)
          return {
            status: 400,
            body: { __type: 'ResourceNotFoundException', message: `Secrets Manager can't find the specified secret.` },
          };
        this.putSecret(secret.name, String(input.SecretString));
        const updated = this.secrets.get(secret.name)!;
        return { status: 200, body: { ARN: updated.arn, Name: updated.name, VersionId: updated.versionId, VersionStages: ['AWSCURRENT'] } };
      }
      default:
        return undefined;
    }
  }
}

/** `GenerateSecretString` as Secrets Manager does it: a random password, alone or inside a JSON template. */
export function generateSecretString(spec: Record<string, any>): string {
  const length = Number(spec.PasswordLength ?? 32);
  const alphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${spec.ExcludePunctuation ? '' : '!#$%&()*+,-.:;<=>?@[]^_{|}~'}`;
  const excluded = new Set(String(spec.ExcludeCharacters ?? ''));
  const usable = [...alphabet].filter((c) => !excluded.has(c));
  const bytes = randomBytes(length);
  const password = Array.from(bytes, (b) => usable[b % usable.length]).join('');
  if (!spec.SecretStringTemplate || !spec.GenerateStringKey) return password;
  return JSON.stringify({ ...JSON.parse(String(spec.SecretStringTemplate)), [spec.GenerateStringKey]: password });
}
