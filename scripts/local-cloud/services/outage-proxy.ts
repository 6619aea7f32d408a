import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OutageProxy {
  readonly endpoint: string;
  /** While down, every request is answered 503 ServiceUnavailable, as an AWS endpoint in an outage does. */
  setDown(down: boolean): void;
  readonly down: boolean;
  stop(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of a local service, so that one service of a shared emulator (SNS on
 * fauxqs's SNS+SQS endpoint) can be taken down for fault tests while the other keeps running.
 */
export async function startOutageProxy(target: string, service: string): Promise<OutageProxy> {
  const targetUrl = new URL(target);
  const agent = new Agent({ keepAlive: true });
  let down = false;
  const server: Server = createServer((req, res) => {
    if (down) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>${service} is down (local outage)</Message></Error><RequestId>local</RequestId></ErrorResponse>`,
      );
      return;
    }
    const upstream = request(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: req.headers, agent },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setDown(value) {
      down = value;
    },
    get down() {
      return down;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
