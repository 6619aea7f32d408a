import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServiceProxy {
  readonly endpoint: string;
  /** While down, every request is answered 503 ServiceUnavailable, as an AWS endpoint in an outage does. */
  setDown(down: boolean): void;
  readonly down: boolean;
  /** Requests passed through, by `Operation TableName` (with `countRequests`); reset by `clear()`. */
  readonly requests: Map<string, number>;
  stop(): Promise<void>;
}

export interface ServiceProxyOptions {
  /** The service's name in outage answers. */
  readonly service: string;
  /**
   * Count each request by its operation (the `X-Amz-Target` header) and the tables its JSON body names, as
   * DynamoDB bills them. Costs the proxy a parse of each body. @default false
   */
  readonly countRequests?: boolean;
  /** @default a free port */
  readonly port?: number;
  /**
   * Decides on each request before it passes (its body read whole): an answer refuses it (IAM's denial),
   * undefined lets it through.
   */
  readonly authorize?: (
    req: IncomingMessage,
    body: Buffer,
  ) => { status: number; headers: Record<string, string>; body: string } | undefined;
}

/** The tables a DynamoDB request body names: `TableName`, `RequestItems`' keys, or each transaction item's. */
export function tablesOf(body: Record<string, any>): string[] {
  if (typeof body.TableName === 'string') return [body.TableName];
  if (body.RequestItems && typeof body.RequestItems === 'object') return Object.keys(body.RequestItems);
  if (Array.isArray(body.TransactItems)) {
    return [
      ...new Set(
        body.TransactItems.flatMap((item: Record<string, { TableName?: string }>) => Object.values(item).map((op) => op.TableName ?? '')),
      ),
    ] as string[];
  }
  return [];
}

function counterKey(req: IncomingMessage, body: Buffer): string {
  const target = String(req.headers['x-amz-target'] ?? 'unknown');
  const operation = target.slice(target.indexOf('.') + 1);
  if (target.startsWith('DynamoDBStreams')) return `streams:${operation}`;
  try {
    return `${operation} ${tablesOf(JSON.parse(body.toString()) as Record<string, any>)
      .sort()
      .join('+')}`.trim();
  } catch {
    return operation;
  }
}

/**
 * A pass-through HTTP proxy in front of a local service: one service of a shared emulator (SNS on fauxqs's
 * SNS+SQS endpoint) can be taken down for fault tests while the other keeps running, and the requests
 * reaching a service (DynamoDB's, for the bench's requests per order) can be counted.
 */
export async function startServiceProxy(target: string, options: ServiceProxyOptions): Promise<ServiceProxy> {
  const targetUrl = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const requests = new Map<string, number>();
  let down = false;
  const server: Server = createServer((req, res) => {
    if (down) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>${options.service} is down (local outage)</Message></Error><RequestId>local</RequestId></ErrorResponse>`,
      );
      return;
    }
    const upstream = () => {
      const forwarded = request(
        { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: req.headers, agent },
        (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        },
      );
      forwarded.on('error', (error) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(String(error));
      });
      return forwarded;
    };
    if (!options.countRequests && !options.authorize) {
      req.pipe(upstream());
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (options.countRequests) {
        const key = counterKey(req, body);
        requests.set(key, (requests.get(key) ?? 0) + 1);
      }
      const refusal = options.authorize?.(req, body);
      if (refusal) {
        res.writeHead(refusal.status, refusal.headers);
        res.end(refusal.body);
        return;
      }
      upstream().end(body);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setDown(value) {
      down = value;
    },
    get down() {
      return down;
    },
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
