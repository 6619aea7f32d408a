import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { jsonResponse } from '../platform/http.ts';
import { observed } from '../platform/observability.ts';
import * as z from 'zod';
import { readSettings } from '../composition/settings.ts';
import { ENV } from '../platform/environment.ts';

// The composition root: this function's one setting, read once.
const { version } = readSettings({ version: [ENV.deployment.version, z.string().default('unknown')] });

/** `GET /health`: liveness of the API itself; touches no dependency. */
async function health(_event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return jsonResponse(200, { status: 'ok', version });
}

export const handler = observed(health);
