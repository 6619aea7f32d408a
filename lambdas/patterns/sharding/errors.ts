import { EightfoldError } from '../../kernel/errors.ts';

/** Why a reshard would not start or go on; the operator's next step is in the message. */
export type ReshardRefusal = 'NO_MAP' | 'OTHER_RESHARD_RUNNING' | 'MAP_CHANGED';

/** A reshard refused (no map yet, another target in progress) or stopped (the map moved under it): run it again. */
export class ReshardRefusedError extends EightfoldError<'RESHARD_REFUSED', { mapName: string; reason: ReshardRefusal }> {
  override name = 'ReshardRefusedError';
  readonly code = 'RESHARD_REFUSED';

  constructor(mapName: string, reason: ReshardRefusal, message: string) {
    super(message, { mapName, reason });
  }
}
