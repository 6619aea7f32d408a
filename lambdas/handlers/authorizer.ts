/**
 * The API's Lambda authorizer (TOKEN): `Authorization: Bearer <JWT>` verified against the issuer's keys
 * (jose), and the caller's policy for the whole stage (use-cases/access.ts), which the gateway caches per
 * token. A missing or bad token is API Gateway's 401; an operator-only route for a customer its 403.
 */
import { settings, verifiedCaller } from '../composition/identity.ts';
import { logger } from '../platform/logger.ts';
import { accessPolicy } from '../use-cases/access.ts';

export async function handler(event: { authorizationToken?: string; methodArn: string }) {
  const token = /^Bearer (\S+)$/.exec(event.authorizationToken ?? '')?.[1];
  try {
    if (!token) throw new Error('no bearer token');
    return accessPolicy(await verifiedCaller(token), event.methodArn, settings.operatorRoutes);
  } catch (error) {
    logger.info('token refused', { reason: (error as Error).message });
    // The one message API Gateway answers 401 for.
    throw new Error('Unauthorized', { cause: error });
  }
}
