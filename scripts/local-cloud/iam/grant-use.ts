/**
 * Grants against their use: what each role's Allow statements grant, of the services the local cloud judges,
 * and what calls of a run used. Over one run it is the unused-grants report; over many (every cloud of a
 * test suite, each run's written out) it names the grants no run used at all, the leads for least privilege.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One role in one run: the action patterns it was granted (as written) and the actions its calls used. */
export interface GrantUse {
  readonly role: string;
  readonly granted: readonly string[];
  readonly used: readonly string[];
}

/** A role's grants no call used: the action patterns, as its policies write them. */
export interface UnusedGrants {
  readonly role: string;
  readonly actions: string[];
}

/** An action pattern of a policy (`dynamodb:Get*`, `sqs:*`) as a test of actions: IAM reads actions case-insensitively. */
function actionPattern(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
}

/** Each role's grants that no run used, by role name (a role in several runs is one role, its uses pooled). */
export function unusedOverRuns(runs: readonly (readonly GrantUse[])[]): UnusedGrants[] {
  const roles = new Map<string, { granted: Set<string>; used: Set<string> }>();
  for (const use of runs.flat()) {
    let role = roles.get(use.role);
    if (!role) roles.set(use.role, (role = { granted: new Set(), used: new Set() }));
    for (const pattern of use.granted) role.granted.add(pattern);
    for (const action of use.used) role.used.add(action);
  }
  return [...roles]
    .map(([role, { granted, used }]) => ({
      role,
      actions: [...granted]
        .filter((pattern) => {
          const names = actionPattern(pattern);
          return ![...used].some((action) => names.test(action));
        })
        .sort(),
    }))
    .filter((grants) => grants.actions.length > 0)
    .sort((a, b) => a.role.localeCompare(b.role));
}

/** The runs a directory holds (each cloud's `grantUse()`, written on stop as JSON), and the grants none of them used. */
export function unusedGrantsIn(dir: string): { runs: number; unused: UnusedGrants[] } {
  const runs = readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as GrantUse[]);
  return { runs: runs.length, unused: unusedOverRuns(runs) };
}
