/** The parts of a CloudFormation template the local cloud reads. */
export interface CfnTemplate {
  readonly Parameters?: Record<string, { Type: string; Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Description?: string;
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string; Condition?: string; Export?: { Name: unknown } }>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** Every logical id a value refers to through Ref, Fn::GetAtt or Fn::Sub. */
export function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') into.add(inner);
      else if (key === 'Fn::GetAtt') into.add(Array.isArray(inner) ? String(inner[0]) : String(inner).split('.')[0]!);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? String(inner[0]) : String(inner);
        for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) into.add(match[1]!.split('.')[0]!);
        if (Array.isArray(inner)) referencedIds(inner[1], into);
      } else referencedIds(inner, into);
    }
  }
  return into;
}

/** The resources that reference `logicalId` (through `Ref`, `Fn::GetAtt`, `Fn::Sub`) or DependsOn it. */
export function referrersOf(template: CfnTemplate, logicalId: string): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => referencedIds(r.Properties).has(logicalId) || [r.DependsOn ?? []].flat().includes(logicalId))
    .map(([id]) => id);
}

/**
 * Resources in an order where each comes after everything it references or DependsOn, as CloudFormation
 * creates them. A cycle is a template error, as it is for CloudFormation.
 */
export function creationOrder(template: CfnTemplate): string[] {
  const resources = template.Resources;
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    const seen = state.get(id);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new Error(`Circular dependency between resources: ${[...path, id].join(' -> ')}`);
    state.set(id, 'visiting');
    const resource = resources[id]!;
    const deps = referencedIds(resource.Properties);
    for (const dep of [resource.DependsOn ?? []].flat()) deps.add(dep);
    for (const dep of [...deps].sort()) if (dep in resources) visit(dep, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of Object.keys(resources).sort()) visit(id, []);
  return order;
}
