import { hasBrand } from '../../kernel/brand.ts';
import { EightfoldError } from '../../kernel/errors.ts';

/** An event arrived before one it must follow; it is retried, and reaches the DLQ if the gap never closes. */
export class OutOfOrderError extends EightfoldError<
  'OUT_OF_ORDER',
  { streamId: string; expectedVersion: number; receivedVersion: number }
> {
  override name = 'OutOfOrderError';
  readonly isOutOfOrderError = true;
  readonly code = 'OUT_OF_ORDER';

  constructor(streamId: string, expectedVersion: number, receivedVersion: number) {
    super(`Stream ${streamId}: version ${receivedVersion} arrived before ${expectedVersion}`, {
      streamId,
      expectedVersion,
      receivedVersion,
    });
  }
}

/** A message larger than SNS takes (256 KB a batch): it can never be published as it is. */
export class MessageTooLargeError extends EightfoldError<
  'MESSAGE_TOO_LARGE',
  { deduplicationId: string; sizeBytes: number; limitBytes: number }
> {
  override name = 'MessageTooLargeError';
  readonly code = 'MESSAGE_TOO_LARGE';

  constructor(deduplicationId: string, sizeBytes: number, limitBytes: number) {
    super(`Message ${deduplicationId} is ${sizeBytes} bytes; SNS takes at most ${limitBytes}`, { deduplicationId, sizeBytes, limitBytes });
  }
}

export const isOutOfOrderError = (error: unknown): error is OutOfOrderError => hasBrand(error, 'isOutOfOrderError');
