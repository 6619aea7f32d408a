/** A JSON-protocol body (DynamoDB's, SQS's, SSM's…) as its input: `{}` for an empty body, undefined for one that is not JSON. */
export function jsonInputOf(body: Buffer): Record<string, any> | undefined {
  try {
    return JSON.parse(body.toString('utf8') || '{}') as Record<string, any>;
  } catch {
    return undefined;
  }
}
