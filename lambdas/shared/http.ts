import type { APIGatewayProxyResult } from 'aws-lambda';

/** Every answer says who served it, so users can watch the strangler move routes. */
export const SERVED_BY_HEADER = { 'X-Served-By': 'eightfold' } as const;

/** A JSON response with the headers every Eightfold answer carries. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...SERVED_BY_HEADER, ...headers },
    body: JSON.stringify(body),
  };
}

/** The error body of the HTTP contract: `{ "error": { "code", "message" } }`. */
export function errorResponse(statusCode: number, code: string, message: string): APIGatewayProxyResult {
  return jsonResponse(statusCode, { error: { code, message } });
}
