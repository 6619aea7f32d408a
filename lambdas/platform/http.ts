import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { hasBrand } from '../kernel/brand.ts';
import { EightfoldError } from '../kernel/errors.ts';

/** Every answer says who served it, so users can watch the strangler move routes. */
export const SERVED_BY_HEADER = { 'X-Served-By': 'eightfold' } as const;

/** Largest request body a command accepts. */
export const MAX_BODY_BYTES = 256 * 1024;

/** A JSON response with the headers every Eightfold answer carries. */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...SERVED_BY_HEADER, ...headers },
    body: JSON.stringify(body),
  };
}

/** The error body of the HTTP contract: `{ "error": { "code", "message" } }`, plus optional details. */
export function errorResponse(
  statusCode: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
  headers?: Record<string, string>,
): APIGatewayProxyResult {
  return jsonResponse(statusCode, { error: { code, message, ...details } }, headers);
}

/** A client error found at the edge (a path, a query, a body, a header): answered with its own status and code. */
export class HttpError extends EightfoldError<string, { statusCode: number; details?: Record<string, unknown> }> {
  override readonly name = 'HttpError';
  readonly isHttpError = true;
  readonly code: string;

  constructor(statusCode: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message, { statusCode, ...(details ? { details } : {}) });
    this.code = code;
  }
}

export const isHttpError = (error: unknown): error is HttpError => hasBrand(error, 'isHttpError');

/** A request header by name, whatever case the client used. */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value ?? undefined;
  return undefined;
}

function rawBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/**
 * The body parsed as JSON and checked against `schema`: 413 when too large, 415 when not JSON by its
 * content type, 400 BAD_JSON when unparseable, 400 VALIDATION_FAILED naming each offending field.
 * `optional` lets an empty body stand for `{}`.
 */
export function parseJsonBody<Schema extends z.ZodType>(
  event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded' | 'headers'>,
  schema: Schema,
  options: { optional?: boolean } = {},
): z.infer<Schema> {
  const text = rawBody(event);
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES / 1024} KB`);
  }
  if (text.trim() === '' && options.optional) return schema.parse({});
  const contentType = header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with Content-Type: application/json');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'The body is not valid JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => ({
      field: issue.path.join('.') || (issue.code === 'unrecognized_keys' ? ((issue as { keys?: string[] }).keys?.join(',') ?? '') : ''),
      message: issue.message,
    }));
    throw new HttpError(400, 'VALIDATION_FAILED', `Invalid fields: ${fields.map((f) => f.field || '(body)').join(', ')}`, { fields });
  }
  return result.data;
}

/** A schema's complaints in one line, `field.path: message; …`, for an error message. */
export const issuesText = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');

/** `If-Match: 3` or `If-Match: "3"` (an ETag we issued) → 3; absent → undefined; anything else → 400. */
export function parseIfMatch(event: Pick<APIGatewayProxyEvent, 'headers'>): number | undefined {
  const value = header(event, 'if-match');
  if (value === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(value);
  if (!match) throw new HttpError(400, 'BAD_IF_MATCH', 'If-Match must be an order version, e.g. If-Match: "3"');
  return Number(match[1]);
}

/** The ETag of an aggregate version. */
export const etag = (version: number): string => `"${version}"`;

export type Route = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * Dispatches on `METHOD /resource` to a route (404 when there is none). What a route throws is answered by
 * the handler's error middleware (http-errors.ts), in one table for every API.
 */
export function dispatch(routes: Readonly<Record<string, Route>>, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const route = routes[`${event.httpMethod} ${event.resource}`];
  if (!route) throw new HttpError(404, 'NOT_FOUND', `Nothing at ${event.httpMethod} ${event.path}`);
  return route(event);
}
