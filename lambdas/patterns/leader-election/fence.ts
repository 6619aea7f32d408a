import { StaleFencingTokenError } from './errors.ts';

/** Where a protected resource keeps the highest fencing token it has accepted. */
export interface Fence {
  readonly tableName: string;
  /** The protected resource's name. */
  readonly resource: string;
  readonly fencingToken: number;
}

/**
 * The transaction item that makes a write fenced: it raises the resource's highest token to ours, and
 * fails if the resource has already seen a higher one. Written in the same transaction as the protected
 * write, so a paused leader that wakes after losing its lease cannot write, however late.
 */
export function fenceCheck(fence: Fence) {
  return {
    Update: {
      TableName: fence.tableName,
      Key: { name: `fence#${fence.resource}`, entry: 'fence' },
      UpdateExpression: 'SET highestToken = :token',
      ConditionExpression: 'attribute_not_exists(highestToken) OR highestToken <= :token',
      ExpressionAttributeValues: { ':token': fence.fencingToken },
    },
  };
}

/** The fence as an event store append guard: the append happens only if the token is still the newest. */
export function fencedAppend(fence: Fence): { item: Record<string, unknown>; refused: (cause: unknown) => Error } {
  return { item: fenceCheck(fence), refused: (cause) => new StaleFencingTokenError(fence.resource, fence.fencingToken, { cause }) };
}
