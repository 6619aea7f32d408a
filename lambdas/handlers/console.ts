import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import page from '../console/console.html';
import { readSettings, text } from '../composition/settings.ts';
import { observed } from '../platform/observability.ts';
import { ENV } from '../platform/environment.ts';

/** The page, told its stage: outside production it offers fault injection and step-down. */
const { stage } = readSettings({ stage: [ENV.deployment.stage, text] });
const html = page.replace('__STAGE__', stage);

/**
 * `GET /console`: the ops console, one static page that reads the operators' API with the key the operator
 * types into it. The page holds no data of its own, so it needs no key to fetch; every call it makes does.
 */
async function serveConsole(_event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return {
    statusCode: 200,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Served-By': 'eightfold',
      // Its own script and styles only, talking to its own origin; never framed.
      'Content-Security-Policy':
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
    },
    body: html,
  };
}

export const handler = observed(serveConsole);
