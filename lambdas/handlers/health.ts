/**
 * `GET /health`, liveness of the API itself (it touches no dependency), and `GET /openapi.json`, the API's
 * description (handlers/api-description.ts), made once per sandbox.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { readSettings } from '../composition/settings.ts';
import { ENV } from '../platform/environment.ts';
import { dispatch, jsonResponse } from '../platform/http.ts';
import { answerErrors } from '../platform/http-errors.ts';
import { observed } from '../platform/observability.ts';
import { apiDescription } from './api-description.ts';

// The composition root: this function's one setting, read once.
const { version } = readSettings({ version: [ENV.deployment.version, z.string().default('unknown')] });

let description: string | undefined;

const ROUTES = {
  'GET /health': async () => jsonResponse(200, { status: 'ok', version }),
  'GET /openapi.json': async () => {
    description ??= JSON.stringify(apiDescription(version));
    return { ...jsonResponse(200, null, { 'Cache-Control': 'public, max-age=300' }), body: description };
  },
};

export const handler = observed((event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => dispatch(ROUTES, event)).use(
  answerErrors('The request failed; retry it'),
);
