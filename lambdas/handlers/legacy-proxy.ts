import type { APIGatewayProxyEvent } from 'aws-lambda';
import { proxyToLegacyFor } from '../composition/strangler.ts';
import { readSettings, text } from '../composition/settings.ts';
import { observed } from '../platform/observability.ts';
import { ENV } from '../platform/environment.ts';

// The composition root: this function's settings, read once.
const { legacyUrl } = readSettings({ legacyUrl: [ENV.strangler.legacyUrl, text] });

/**
 * Strangler Fig, the façade's hop to legacy: every route legacy serves, passed through as an HTTP proxy
 * would, stamped `X-Served-By: legacy` by the façade (API Gateway cannot add a header to a proxied answer),
 * and, on the routes Eightfold declares, kept to what the signed-in caller may see.
 */
export const handler = observed((event: APIGatewayProxyEvent) => proxyToLegacyFor(legacyUrl, event));
