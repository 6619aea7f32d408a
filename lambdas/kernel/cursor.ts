/**
 * Opaque pagination cursors: a DynamoDB LastEvaluatedKey as base64url JSON. `parseCursor` answers null for
 * text that is not one of ours, so each caller raises its own error.
 */
export function formatCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function parseCursor(cursor: string): Record<string, unknown> | null {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    return key !== null && typeof key === 'object' && !Array.isArray(key) ? (key as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
