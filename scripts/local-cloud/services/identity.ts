import { createPrivateKey, createPublicKey, createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegionalService } from './local-endpoint.ts';

/** A user pool as the local issuer knows it: its app clients and groups, from the template. */
interface LocalUserPool {
  readonly id: string;
  readonly clients: Set<string>;
  readonly groups: Set<string>;
}

/** What `POST /{poolId}/local/token` takes: whom the token names, in which groups, for which client. */
interface TokenRequest {
  readonly sub?: unknown;
  readonly username?: unknown;
  readonly groups?: unknown;
  readonly clientId?: unknown;
  readonly expiresInSeconds?: unknown;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Cognito user pools as OpenID Connect issuers, for what a deployed app does with one: verify the JWTs its
 * users present. Each pool is an issuer at `{endpoint}/{poolId}` (the pool's ProviderURL locally), with
 * `/.well-known/openid-configuration` and `/.well-known/jwks.json`, and its access tokens carry Cognito's
 * claims (`sub`, `cognito:groups`, `client_id`, `token_use`, `username`). Sign-up, passwords and hosted UI
 * are not played: `POST /{poolId}/local/token` mints a token for any user of the pool's groups, which is
 * what tests and `npm run token` need, on a loopback port no one else reaches. The RS256 key is made at
 * start; with `--persist` it is kept there, so the tokens out there outlive a restart as they would on AWS.
 */
export class LocalIdentityProvider extends RegionalService {
  private readonly pools = new Map<string, LocalUserPool>();
  private readonly keyId: string;
  private readonly keyFile: string | undefined;
  private readonly keptPort: number | undefined;
  private readonly privateKey: KeyObject;
  private readonly publicJwk: Record<string, unknown>;

  /** `keyFile`: where the signing key is kept across restarts (with `--persist`). @default a new key each start */
  constructor(region: string, accountId: string, keyFile?: string) {
    super(region, accountId);
    const kept =
      keyFile && existsSync(keyFile)
        ? (JSON.parse(readFileSync(keyFile, 'utf8')) as { kid: string; pem: string; port?: number })
        : undefined;
    this.keyFile = keyFile;
    this.keptPort = kept?.port;
    this.keyId = kept?.kid ?? randomUUID();
    this.privateKey = kept ? createPrivateKey(kept.pem) : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    this.publicJwk = { ...createPublicKey(this.privateKey).export({ format: 'jwk' }), kid: this.keyId, alg: 'RS256', use: 'sig' };
  }

  /**
   * Listens on `port`, else on the port kept with `--persist`: an issuer's URL is its tokens' `iss`, so a
   * restart on the same port keeps the tokens out there valid.
   */
  override async start(port = 0): Promise<string> {
    const endpoint = port ? await super.start(port) : await super.start(this.keptPort).catch(() => super.start());
    if (this.keyFile) {
      mkdirSync(dirname(this.keyFile), { recursive: true });
      const pem = this.privateKey.export({ format: 'pem', type: 'pkcs8' });
      writeFileSync(this.keyFile, JSON.stringify({ kid: this.keyId, pem, port: Number(new URL(endpoint).port) }), { mode: 0o600 });
    }
    return endpoint;
  }

  /** The issuer URL of a pool: its tokens' `iss`, and where its JWKS is found. */
  issuerOf(poolId: string): string {
    return `${this.endpoint}/${poolId}`;
  }

  addPool(poolId: string): void {
    if (!this.pools.has(poolId)) this.pools.set(poolId, { id: poolId, clients: new Set(), groups: new Set() });
  }

  addClient(poolId: string, clientId: string): void {
    this.pool(poolId).clients.add(clientId);
  }

  addGroup(poolId: string, group: string): void {
    this.pool(poolId).groups.add(group);
  }

  /** An access token of the pool for `sub` (its username too, unless given), valid `expiresInSeconds`. */
  mint(
    poolId: string,
    request: { sub: string; username?: string; groups?: string[]; clientId?: string; expiresInSeconds?: number },
  ): string {
    const pool = this.pool(poolId);
    const unknownGroups = (request.groups ?? []).filter((group) => !pool.groups.has(group));
    if (unknownGroups.length > 0) throw new Error(`Pool ${poolId} has no group ${unknownGroups.join(', ')}`);
    const clientId = request.clientId ?? [...pool.clients][0];
    if (clientId !== undefined && !pool.clients.has(clientId)) throw new Error(`Pool ${poolId} has no app client ${clientId}`);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: request.sub,
      iss: this.issuerOf(poolId),
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      auth_time: now,
      iat: now,
      exp: now + (request.expiresInSeconds ?? 3600),
      jti: randomUUID(),
      username: request.username ?? request.sub,
      ...(clientId ? { client_id: clientId } : {}),
      ...(request.groups?.length ? { 'cognito:groups': request.groups } : {}),
    };
    const unsigned = `${base64url({ alg: 'RS256', kid: this.keyId, typ: 'JWT' })}.${base64url(claims)}`;
    return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(this.privateKey).toString('base64url')}`;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const [, poolId, ...rest] = new URL(req.url ?? '/', 'http://local').pathname.split('/');
    const path = rest.join('/');
    if (!poolId || !this.pools.has(poolId)) return send(404, { message: `No user pool ${poolId ?? ''}` });
    if (req.method === 'GET' && path === '.well-known/openid-configuration') {
      const issuer = this.issuerOf(poolId);
      return send(200, {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        token_endpoint: `${issuer}/local/token`,
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (req.method === 'GET' && path === '.well-known/jwks.json') return send(200, { keys: [this.publicJwk] });
    if (req.method === 'POST' && path === 'local/token') {
      let body: TokenRequest;
      try {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as TokenRequest;
      } catch {
        return send(400, { message: 'The body is not JSON' });
      }
      const groups = body.groups ?? [];
      if (typeof body.sub !== 'string' || !body.sub || !Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) {
        return send(400, { message: 'Expected { sub: string, groups?: string[], username?, clientId?, expiresInSeconds? }' });
      }
      try {
        const token = this.mint(poolId, {
          sub: body.sub,
          groups: groups as string[],
          username: typeof body.username === 'string' ? body.username : undefined,
          clientId: typeof body.clientId === 'string' ? body.clientId : undefined,
          expiresInSeconds: typeof body.expiresInSeconds === 'number' ? body.expiresInSeconds : undefined,
        });
        return send(200, { access_token: token, token_type: 'Bearer', expires_in: Number(body.expiresInSeconds ?? 3600) });
      } catch (error) {
        return send(400, { message: (error as Error).message });
      }
    }
    return send(404, { message: `Not served: ${req.method} /${poolId}/${path}` });
  }

  private pool(poolId: string): LocalUserPool {
    const pool = this.pools.get(poolId);
    if (!pool) throw new Error(`No user pool ${poolId}`);
    return pool;
  }
}
