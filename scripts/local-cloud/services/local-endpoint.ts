import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthorizationRequest, Denial, IamAuthorizer } from '../iam/authorizer.ts';
import { jsonInputOf } from '../json-input.ts';

/** One of the local cloud's own service emulations: an HTTP endpoint on a free loopback port. */
export abstract class LocalService {
  endpoint = '';
  private server?: ReturnType<typeof createServer>;
  private iam?: IamAuthorizer;

  /** Checks each function's call against its role from now on (`--iam on` or `report`). */
  guardWith(iam: IamAuthorizer): void {
    this.iam = iam;
  }

  /** IAM's answer to a call: the denial to refuse it with, if the caller's role does not allow all it asks. */
  protected denied(req: IncomingMessage, requests: () => AuthorizationRequest[]): Denial | undefined {
    return this.iam?.deny(req.headers, requests);
  }

  /** Listens on `port` (a free one by default). */
  async start(port = 0): Promise<string> {
    const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  /** Drops open connections and stops listening. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** A local service whose resources carry ARNs: it knows the region and account it plays. */
export abstract class RegionalService extends LocalService {
  protected readonly region: string;
  protected readonly accountId: string;

  constructor(region: string, accountId: string) {
    super();
    this.region = region;
    this.accountId = accountId;
  }
}

/** A request's body as bytes. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A JSON-protocol request's input: `{}` for an empty body, undefined for one that is not JSON. */
export async function readJsonInput(req: IncomingMessage): Promise<Record<string, any> | undefined> {
  return jsonInputOf(await readBody(req));
}

/**
 * Answers a JSON-protocol call: AWS's JSON 1.0 (CloudWatch) and 1.1 (SSM, Secrets Manager, Logs) differ
 * only in the content type.
 */
export function replyJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/x-amz-json-1.1'): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(JSON.stringify(body));
}

/** The answer to a body that is not JSON. */
export const NOT_JSON = { __type: 'SerializationException', message: 'Body is not JSON' } as const;
