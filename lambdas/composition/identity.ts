/**
 * The authorizer function, composed: the issuer whose tokens it trusts (a Cognito user pool's, or the one
 * `-c issuer=` names), the audience they must be for, the group that makes an operator, and the routes
 * only operators may call.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as z from 'zod';
import type { Caller } from '../kernel/caller.ts';
import { ENV } from '../platform/environment.ts';
import { json, readSettings, text } from './settings.ts';

export const settings = readSettings({
  issuer: [ENV.identity.issuer, text],
  /** The app client (Cognito's `client_id`) or audience (`aud`) a token must be for; none: any. */
  audience: [ENV.identity.audience, z.string().optional()],
  operatorGroup: [ENV.identity.operatorGroup, text.default('operators')],
  operatorRoutes: [ENV.identity.operatorRoutes, json(z.array(z.string()))],
});

// Fetched on first use and cached by jose (keys rotate: an unknown `kid` fetches them again).
let keys: ReturnType<typeof createRemoteJWKSet> | undefined;

/** The caller a bearer token names, once its signature, issuer, expiry and audience hold; it throws otherwise. */
export async function verifiedCaller(token: string): Promise<Caller> {
  keys ??= createRemoteJWKSet(new URL(`${settings.issuer.replace(/\/$/, '')}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(token, keys, { issuer: settings.issuer, algorithms: ['RS256'] });
  const claims = payload as JWTPayload & { username?: unknown; client_id?: unknown; 'cognito:groups'?: unknown; groups?: unknown };
  if (settings.audience && claims.client_id !== settings.audience && ![claims.aud].flat().includes(settings.audience)) {
    throw new Error(`token not for ${settings.audience}`);
  }
  // Cognito's access tokens name the user in `username` (`sub` is an opaque id); other issuers in `sub`.
  const principal = typeof claims.username === 'string' ? claims.username : claims.sub;
  if (!principal) throw new Error('token names no one');
  const groups = claims['cognito:groups'] ?? claims.groups;
  const operator = Array.isArray(groups) && groups.includes(settings.operatorGroup);
  return { principal, role: operator ? 'operator' : 'customer' };
}
