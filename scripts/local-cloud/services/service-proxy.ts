import { Agent, createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface ServiceProxy {
  readonly endpoint: string;
  /** While down, every request is answered 503 ServiceUnavailable, as an AWS endpoint in an outage does. */
  setDown(down: boolean): void;
  readonly down: boolean;
  /** Requests passed through, by `Operation TableName` (with `countRequests`); reset by `clear()`. */
  readonly requests: Map<string, number>;
  stop(): Promise<void>;
}

/** The answer a proxy gives itself instead of passing a request on. */
export interface ProxyAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
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
   * undefined lets it through. Headers are lower-cased.
   */
  readonly authorize?: (headers: IncomingHttpHeaders, body: Buffer) => ProxyAnswer | undefined;
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

function counterKey(headers: IncomingHttpHeaders, body: Buffer): string {
  const target = String(headers['x-amz-target'] ?? 'unknown');
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

/** An HTTP/1.1 message as bytes: where its head ends and how long it is, once whole. */
interface Framed {
  readonly headers: IncomingHttpHeaders;
  /** The start line (`POST / HTTP/1.1`, `HTTP/1.1 200 OK`). */
  readonly startLine: string;
  readonly headEnd: number;
  /** The whole message's length; undefined while more bytes are needed (or, for a response read to its close, ever). */
  readonly length: number | undefined;
}

const HEAD_LIMIT = 64 * 1024;

function parseHead(buffer: Buffer): Omit<Framed, 'length'> | undefined {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [startLine = '', ...lines] = buffer.toString('latin1', 0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { headers, startLine, headEnd: end + 4 };
}

/** Where a chunked body starting at `from` ends (after its last chunk and trailers), if it has arrived whole. */
function chunkedEnd(buffer: Buffer, from: number): number | undefined {
  let at = from;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(buffer.toString('latin1', at, lineEnd), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) {
      const trailersEnd = buffer.indexOf('\r\n\r\n', lineEnd);
      if (buffer.indexOf('\r\n', lineEnd + 2) === lineEnd + 2) return lineEnd + 4;
      return trailersEnd < 0 ? undefined : trailersEnd + 4;
    }
    at = lineEnd + 2 + size + 2;
    if (at > buffer.length) return undefined;
  }
}

/** A response's framing: by Content-Length, chunked, none (1xx, 204, 304), or read to the connection's close. */
function frameResponse(buffer: Buffer): Framed | undefined {
  const head = parseHead(buffer);
  if (!head) return undefined;
  const status = Number(head.startLine.split(' ')[1]);
  const contentLength = head.headers['content-length'];
  let length: number | undefined;
  if ((status >= 100 && status < 200) || status === 204 || status === 304) length = head.headEnd;
  else if (/chunked/i.test(String(head.headers['transfer-encoding'] ?? ''))) length = chunkedEnd(buffer, head.headEnd);
  else if (contentLength !== undefined) length = head.headEnd + Number(contentLength);
  if (length !== undefined && length > buffer.length) length = undefined;
  return { ...head, length };
}

/** A raw HTTP answer the proxy writes itself. */
function rawAnswer({ status, headers, body }: ProxyAnswer, close: boolean): Buffer {
  const bytes = Buffer.from(body);
  const lines = Object.entries({ ...headers, 'content-length': String(bytes.length), connection: close ? 'close' : 'keep-alive' }).map(
    ([name, value]) => `${name}: ${value}\r\n`,
  );
  return Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${status < 400 ? 'OK' : 'Error'}\r\n${lines.join('')}\r\n`, 'latin1'), bytes]);
}

/**
 * A pass-through HTTP proxy in front of a local service: one service of a shared emulator (SNS on fauxqs's
 * SNS+SQS endpoint) can be taken down for fault tests while the other keeps running, the requests reaching a
 * service can be counted (DynamoDB's, for the bench's requests per order), and each can be judged (IAM).
 *
 * The AWS SDKs send plain requests (a Content-Length body, no `Expect`): those pass as bytes, over kept-alive
 * connections to the service, with the proxy reading only their heads and bodies. That halves what the hop
 * costs against Node's HTTP server and client (0.11 against 0.22 ms a call, measured here), which every
 * judged call pays. Any other request (chunked, `Expect: 100-continue`, an upgrade) hands its connection to
 * an HTTP server doing the same with Node's parser.
 */
export async function startServiceProxy(target: string, options: ServiceProxyOptions): Promise<ServiceProxy> {
  const targetUrl = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const requests = new Map<string, number>();
  let down = false;
  const outage = (): ProxyAnswer => ({
    status: 503,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>${options.service} is down (local outage)</Message></Error><RequestId>local</RequestId></ErrorResponse>`,
  });
  /** What the proxy answers itself (an outage, a refusal), or undefined to pass the request on. */
  const answerOf = (headers: IncomingHttpHeaders, body: Buffer): ProxyAnswer | undefined => {
    if (down) return outage();
    if (options.countRequests) {
      const key = counterKey(headers, body);
      requests.set(key, (requests.get(key) ?? 0) + 1);
    }
    return options.authorize?.(headers, body);
  };

  // The slow path: Node's HTTP server and client, for requests that are not plain.
  const fallback: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const answer = answerOf(req.headers, body);
      if (answer) {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
        return;
      }
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
      forwarded.end(body);
    });
  });
  fallback.keepAliveTimeout = 5000;

  // The fast path: kept-alive connections to the service, each carrying one exchange at a time.
  const idle: Socket[] = [];
  const open = new Set<Socket>();
  const connectUpstream = (): Socket => {
    const socket = connect(Number(targetUrl.port), targetUrl.hostname);
    socket.setNoDelay(true);
    open.add(socket);
    socket.on('close', () => {
      open.delete(socket);
      const at = idle.indexOf(socket);
      if (at >= 0) idle.splice(at, 1);
    });
    socket.on('error', () => undefined);
    return socket;
  };

  /** Sends a request's bytes upstream and resolves with the whole response's bytes (retrying once on a kept connection the service had closed). */
  const exchange = (bytes: Buffer, retry = true): Promise<{ response: Buffer; reusable: boolean }> =>
    new Promise((resolve, reject) => {
      const reused = idle.length > 0;
      const upstream = idle.pop() ?? connectUpstream();
      let buffer: Buffer = Buffer.alloc(0);
      const done = (error?: Error) => {
        upstream.removeListener('data', onData);
        upstream.removeListener('end', onEnd);
        upstream.removeListener('error', onError);
        if (!error) return;
        upstream.destroy();
        if (retry && reused && buffer.length === 0) exchange(bytes, false).then(resolve, reject);
        else reject(error);
      };
      const onData = (chunk: Buffer) => {
        buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
        let framed = frameResponse(buffer);
        // An interim answer (1xx) is not the response: read on past it.
        while (framed?.length !== undefined && framed.startLine.split(' ')[1]?.startsWith('1')) {
          buffer = buffer.subarray(framed.length);
          framed = frameResponse(buffer);
        }
        if (framed?.length === undefined) {
          if (buffer.length > HEAD_LIMIT && !framed) done(new Error('response head too large'));
          return;
        }
        done();
        const reusable = framed.length === buffer.length && !/close/i.test(String(framed.headers.connection ?? ''));
        if (reusable) idle.push(upstream);
        else upstream.destroy();
        resolve({ response: buffer.subarray(0, framed.length), reusable });
      };
      // A response read to its close (no length) ends with the connection.
      const onEnd = () => {
        const framed = frameResponse(buffer);
        if (framed && framed.length === undefined && !framed.headers['content-length'] && !framed.headers['transfer-encoding']) {
          done();
          upstream.destroy();
          resolve({ response: buffer, reusable: false });
        } else done(new Error('the service closed the connection'));
      };
      const onError = (error: Error) => done(error);
      upstream.on('data', onData);
      upstream.once('end', onEnd);
      upstream.once('error', onError);
      upstream.write(bytes);
    });

  const server = createServer((client) => {
    client.setNoDelay(true);
    let buffer: Buffer = Buffer.alloc(0);
    let busy = false;
    const handOver = () => {
      // Not a plain request: Node's HTTP server takes the connection, with what was read of it.
      client.removeListener('data', onData);
      client.pause();
      if (buffer.length) client.unshift(buffer);
      fallback.emit('connection', client);
      process.nextTick(() => client.resume());
    };
    const next = () => {
      if (busy) return;
      const head = parseHead(buffer);
      if (!head) {
        if (buffer.length > HEAD_LIMIT) handOver();
        return;
      }
      const { headers, headEnd, startLine } = head;
      const contentLength = headers['content-length'];
      const plain =
        /^(GET|POST) /.test(startLine) &&
        !headers['transfer-encoding'] &&
        !headers.expect &&
        !headers.upgrade &&
        (contentLength === undefined || /^\d+$/.test(contentLength));
      if (!plain) return handOver();
      const end = headEnd + Number(contentLength ?? 0);
      if (buffer.length < end) return;
      const bytes = buffer.subarray(0, end);
      buffer = buffer.subarray(end);
      const close = /close/i.test(String(headers.connection ?? ''));
      busy = true;
      const answer = answerOf(headers, bytes.subarray(headEnd));
      const finish = (response: Buffer) => {
        busy = false;
        if (client.destroyed) return;
        client.write(response);
        if (close) client.end();
        else next();
      };
      if (answer) return finish(rawAnswer(answer, close));
      exchange(bytes).then(
        ({ response }) => finish(response),
        (error: Error) => finish(rawAnswer({ status: 502, headers: { 'content-type': 'text/plain' }, body: String(error) }, true)),
      );
    };
    const onData = (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      next();
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const clients = new Set<Socket>();
  server.on('connection', (socket) => {
    clients.add(socket);
    socket.on('close', () => clients.delete(socket));
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
        for (const socket of [...clients, ...open]) socket.destroy();
        fallback.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
