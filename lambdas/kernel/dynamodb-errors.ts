/** A conditional write that found its condition false (by name: the class may come from another copy of the SDK). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

/** Why a cancelled transaction was cancelled, item by item (`ConditionalCheckFailed`, `TransactionConflict`, `None`…); undefined for any other error. */
export function cancellationCodes(error: unknown): string[] | undefined {
  if ((error as Error | undefined)?.name !== 'TransactionCanceledException') return undefined;
  return ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
}

/** Another transaction held one of the items: trying again may succeed. */
export const isTransactionConflict = (error: unknown): boolean => cancellationCodes(error)?.includes('TransactionConflict') ?? false;

/** A transaction some item of which found its condition false, or another transaction touching it. */
export const isTransactionRefused = (error: unknown): boolean =>
  cancellationCodes(error)?.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict') ?? false;

/** DynamoDB refused the request itself (a bad expression, a reserved word): retrying cannot help. */
export const isMalformedRequest = (error: unknown): boolean => (error as Error | undefined)?.name === 'ValidationException';
