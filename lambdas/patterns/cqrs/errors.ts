import { EightfoldError } from '../../kernel/errors.ts';

/** A projection met a version whose predecessors the event store does not hold: the view cannot be made whole. */
export class StreamGapError extends EightfoldError<'STREAM_GAP', { streamId: string; fromVersion: number; toVersion: number }> {
  override name = 'StreamGapError';
  readonly code = 'STREAM_GAP';

  constructor(streamId: string, fromVersion: number, toVersion: number) {
    super(`Stream ${streamId} has no events ${fromVersion}..${toVersion} in the store`, { streamId, fromVersion, toVersion });
  }
}
