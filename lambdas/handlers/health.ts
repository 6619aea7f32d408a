import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { jsonResponse } from '../platform/http.ts';
import { observed } from '../platform/observability.ts';
import { ENV } from '../platform/environment.ts';

const version = process.env[ENV.deployment.version] ?? 'unknown';

/** `GET /health`: liveness of the API itself; touches no dependency. */
async function health(_event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return jsonResponse(200, { status: 'ok', version });
}

export const handler = observed(health);
