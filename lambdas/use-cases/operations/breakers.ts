import {
  DEFAULT_POLICY,
  fromItem,
  setBreakerState,
  windowCounts,
  type BreakerRecord,
  type BreakerStore,
} from '../../patterns/circuit-breaker/index.ts';
import { NotDeployedError } from './errors.ts';
import { iso } from './times.ts';

export interface BreakerOpsDeps {
  readonly store: BreakerStore;
  /** The breakers this deployment's ambassadors use: listed even before their first call. */
  readonly known: readonly string[];
  readonly now: () => number;
}

/** A breaker as operators see it: state, window counts, when it opened and when it will next probe. */
function describe(record: BreakerRecord, now: number) {
  const halfOpen = record.state === 'HALF_OPEN';
  return {
    name: record.name,
    state: record.state,
    version: record.version,
    window: windowCounts(record, now, DEFAULT_POLICY),
    openedAt: iso(record.openedAt),
    nextProbeAt: record.state === 'OPEN' ? iso(record.nextProbeAt) : null,
    probes: halfOpen ? { claimed: record.probesClaimed, succeeded: record.probesSucceeded, of: DEFAULT_POLICY.halfOpenProbes } : null,
    updatedAt: iso(record.updatedAt),
  };
}

/** Every known breaker (CLOSED if it never saw a call) and any other the table holds, by name. */
export async function listBreakers(deps: BreakerOpsDeps) {
  const byName = new Map((await deps.store.list()).map((record) => [record.name, record]));
  const names = [...new Set([...deps.known, ...byName.keys()])].sort();
  const now = deps.now();
  return { breakers: names.map((name) => describe(byName.get(name) ?? fromItem(name, undefined), now)) };
}

/** An operator's override: FORCED_OPEN, DISABLED, or CLOSED (a reset), fleet-wide. */
export async function overrideBreaker(deps: BreakerOpsDeps, input: { name: string; state: 'FORCED_OPEN' | 'DISABLED' | 'CLOSED' }) {
  if (!deps.known.includes(input.name))
    throw new NotDeployedError('BREAKER_NOT_FOUND', input.name, `No breaker ${input.name}; known: ${deps.known.join(', ')}`);
  const record = await setBreakerState(deps.store, input.name, input.state, deps.now());
  return describe(record, deps.now());
}
