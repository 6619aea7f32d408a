import type { Leadership } from '../patterns/leader-election/index.ts';
import { LEGACY_CONFLICTS_METRIC, LEGACY_ORPHANS_METRIC } from '../platform/metric-names.ts';
import { logger } from '../platform/logger.ts';
import { observed } from '../platform/observability.ts';
import { captureLegacyChanges } from '../use-cases/legacy-import.ts';
import { capture, settings } from '../composition/legacy-capture.ts';
import { countForLease, leaderTurn } from '../composition/leader-turn.ts';

/**
 * Strangler Fig, the other way: while legacy still takes orders and changes them, its leader polls legacy's
 * changes endpoint every `pollMs` for the length of a turn and takes each change into the event store.
 * Conflicts on routes legacy owns, and rows fed by Eightfold that Eightfold does not hold, are counted: each
 * is an alarm.
 */
async function captureTurn({ lease, stillLeading }: Leadership) {
  const started = Date.now();
  const result = await captureLegacyChanges(
    {
      ...capture,
      metadata: { correlationId: `legacy-capture-${new Date(started).toISOString()}`, actor: `system:legacy-capture:${lease.holder}` },
    },
    {
      deadline: started + settings.turnMs,
      stillLeading,
      pollMs: settings.pollMs,
      overlapMs: settings.overlapMs,
      onPollFailed: (error) => logger.warn('legacy’s changes could not be read; polling again', { error }),
    },
  );
  if (result.outcomes.conflict) countForLease(settings.leaseName, LEGACY_CONFLICTS_METRIC, result.outcomes.conflict);
  if (result.outcomes.orphaned) countForLease(settings.leaseName, LEGACY_ORPHANS_METRIC, result.outcomes.orphaned);
  return result;
}

export const handler = observed(leaderTurn(settings, captureTurn));
