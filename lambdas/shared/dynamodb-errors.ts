/** A conditional write that found its condition false (by name: the class may come from another copy of the SDK). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}
