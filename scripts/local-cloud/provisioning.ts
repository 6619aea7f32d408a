/**
 * The CloudFormation engine: every resource of every stack created in dependency order, its properties
 * resolved as CloudFormation resolves them (Ref, GetAtt, Join, Sub, conditions, imports), and each stack's
 * outputs; API Gateway URLs rewritten to the local gateway.
 */
import { type StackArtifact } from './assembly.ts';
import { resolve, type ResolveContext } from './intrinsics.ts';
import { NOT_EMULATED, provisionerFor } from './resources/catalog.ts';
import type { LocalServices, ResolvedResource } from './resources/types.ts';
import { type LocalStackDescription } from './services/cloudformation.ts';
import { creationOrder, referrersOf, type CfnResource } from './template.ts';
import { resourceName, type LocalResource, type NotEmulatedResource } from './types.ts';

/**
 * Rewrites API Gateway URLs (`https://{id}.execute-api.{region}.amazonaws.com/{stage}/…`, as `RestApi.url`
 * builds them) in resolved properties to the local gateway, LocalStack-style, so that a function can call
 * another stack's API by the URL CloudFormation would give it.
 */
export function localApiUrls(value: unknown, apiBaseUrl: string): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /https:\/\/([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com\/([A-Za-z0-9_-]+)/g,
      `${apiBaseUrl}/restapis/$1/$2/_user_request_`,
    );
  }
  if (Array.isArray(value)) return value.map((v) => localApiUrls(v, apiBaseUrl));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, localApiUrls(v, apiBaseUrl)]));
  return value;
}

export function findResource(resources: LocalResource[], id: string, stackName: string | undefined): LocalResource | undefined {
  const inStack = resources.filter((r) => !stackName || r.stackName === stackName);
  return (
    inStack.find((r) => r.logicalId === id) ??
    inStack.find((r) => r.constructPath === `${r.stackName}/${id}/Resource` || r.constructPath === `${r.stackName}/${id}`)
  );
}

/** A template resource's name as people know it (see `resourceName`). */
const nameOf = (stackName: string, logicalId: string, cfn: CfnResource): string =>
  resourceName({ stackName, logicalId, constructPath: cfn.Metadata?.['aws:cdk:path'] as string | undefined });

/**
 * Creates every resource of every stack in dependency order, resolving intrinsics as CloudFormation does. A
 * resource of a type the local cloud does not emulate gets a placeholder id and ARN (or, with `strict`, stops
 * the start before anything is created).
 */
export async function provisionStacks(
  stacks: StackArtifact[],
  services: LocalServices,
  parameterValues: Record<string, string>,
  apiBaseUrl: string,
  options: { readonly strict?: boolean } = {},
): Promise<{ resources: LocalResource[]; stacks: LocalStackDescription[]; notEmulated: NotEmulatedResource[] }> {
  const unknown = stacks.flatMap(({ stackName, template }) =>
    Object.entries(template.Resources)
      .filter(([, cfn]) => !provisionerFor(cfn.Type))
      .map(([logicalId, cfn]) => `${nameOf(stackName, logicalId, cfn)} (${cfn.Type})`),
  );
  if (options.strict && unknown.length > 0) {
    throw new Error(
      `The local cloud cannot emulate these resources (--strict):\n  ${unknown.join('\n  ')}\n` +
        'Without --strict, the app starts without them. See "Not emulated" in docs/local-cloud.md.',
    );
  }
  const notEmulated: NotEmulatedResource[] = [];
  const all: LocalResource[] = [];
  const described: LocalStackDescription[] = [];
  const exports = new Map<string, unknown>();
  for (const stack of stacks) {
    const template = stack.template;
    const made = new Map<string, LocalResource>();
    const conditions = new Map<string, boolean>();
    const ctx: ResolveContext = {
      region: services.region,
      accountId: services.accountId,
      stackName: stack.stackName,
      ref: (id) => {
        if (template.Parameters?.[id]) return parameterValues[id] ?? template.Parameters[id].Default;
        return made.get(id)?.physicalId;
      },
      getAtt: (id, attribute) => {
        const resource = made.get(id);
        // Any attribute of a resource the local cloud does not emulate is a placeholder that says so.
        return resource?.kind === 'not emulated'
          ? (resource.attributes[attribute] ?? `${resource.physicalId}-${attribute}`)
          : resource?.attributes[attribute];
      },
      importValue: (name) => exports.get(name),
      condition: (name) => {
        if (!conditions.has(name)) {
          if (!template.Conditions || !(name in template.Conditions)) throw new Error(`Unknown condition ${name}`);
          conditions.set(name, Boolean(resolve(template.Conditions[name], ctx)));
        }
        return conditions.get(name)!;
      },
      localize: (text) => localApiUrls(text, apiBaseUrl) as string,
    };
    for (const logicalId of creationOrder(template)) {
      const cfn = template.Resources[logicalId]!;
      if (cfn.Condition && !ctx.condition!(cfn.Condition)) continue;
      const type = provisionerFor(cfn.Type) ?? NOT_EMULATED;
      let properties: Record<string, any>;
      try {
        properties = localApiUrls(resolve(cfn.Properties ?? {}, ctx), apiBaseUrl) as Record<string, any>;
      } catch (error) {
        throw new Error(`${stack.stackName}/${logicalId} (${cfn.Type}): ${(error as Error).message}`, { cause: error });
      }
      const resolved: ResolvedResource = { stackName: stack.stackName, logicalId, type: cfn.Type, properties };
      const provisioned = await type.provision(resolved, services);
      if (provisioned.notEmulated && options.strict)
        throw new Error(`${nameOf(stack.stackName, logicalId, cfn)} (${cfn.Type}) is not emulated (--strict): ${provisioned.notEmulated}`);
      const record: LocalResource = {
        stackName: stack.stackName,
        logicalId,
        type: cfn.Type,
        kind: provisioned.notEmulated ? 'not emulated' : type.kind,
        physicalId: provisioned.ref,
        attributes: provisioned.attributes,
        properties,
        constructPath: cfn.Metadata?.['aws:cdk:path'] as string | undefined,
        metadata: cfn.Metadata ?? {},
      };
      made.set(logicalId, record);
      all.push(record);
      if (record.kind === 'not emulated') {
        const referredToBy = referrersOf(template, logicalId).map((id) => nameOf(stack.stackName, id, template.Resources[id]!));
        const reason = provisioned.notEmulated ?? 'a type the local cloud does not emulate';
        notEmulated.push({ resource: resourceName(record), type: cfn.Type, reason, referredToBy });
      }
    }
    const outputs: LocalStackDescription['outputs'][number][] = [];
    for (const [key, output] of Object.entries(template.Outputs ?? {})) {
      if (output.Condition && !ctx.condition!(output.Condition)) continue;
      const value = resolve(output.Value, ctx);
      outputs.push({ key, value: String(localApiUrls(value, apiBaseUrl)), description: output.Description });
      if (output.Export) exports.set(String(resolve(output.Export.Name, ctx)), value);
    }
    described.push({ stackName: stack.stackName, description: template.Description, outputs });
  }
  return { resources: all, stacks: described, notEmulated };
}
