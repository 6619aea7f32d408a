/**
 * The pass-through proxy in front of the local services, against a real HTTP server behind it: plain requests
 * pass as bytes over kept-alive connections, anything else through Node's HTTP parser, and what the proxy
 * answers itself (an outage, a refusal) never reaches the service.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServiceProxy, type ServiceProxy } from '../services/service-proxy.ts';

interface Seen {
  method: string;
  url: string;
  body: string;
  headers: IncomingMessage['headers'];
}

describe('the service proxy', () => {
  const seen: Seen[] = [];
  let connections = 0;
  let backend: Server;
  let proxy: ServiceProxy;
  let refusing = false;
  beforeAll(async () => {
    backend = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        seen.push({ method: req.method!, url: req.url!, body, headers: req.headers });
        if (req.url === '/chunked') {
          // No Content-Length: Node sends it chunked, in pieces.
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('first,');
          setTimeout(() => res.end('second'), 5);
          return;
        }
        if (req.url === '/until-close') {
          res.writeHead(200, { connection: 'close' });
          res.end('read to the close');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo': req.headers['x-amz-target'] ?? '' });
        res.end(JSON.stringify({ echo: body }));
      });
    });
    backend.on('connection', () => connections++);
    backend.keepAliveTimeout = 200;
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    proxy = await startServiceProxy(`http://127.0.0.1:${(backend.address() as AddressInfo).port}`, {
      service: 'Test',
      authorize: (headers, body) =>
        refusing && body.toString().includes('forbidden')
          ? { status: 403, headers: { 'content-type': 'application/json' }, body: `{"refused":"${String(headers['x-amz-target'])}"}` }
          : undefined,
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await new Promise((resolve) => backend?.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
    refusing = false;
    proxy.setDown(false);
  });

  const call = (path: string, body: string, headers: Record<string, string> = {}, agent?: import('node:http').Agent) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
      const url = new URL(path, proxy.endpoint);
      const req = request(url, { method: 'POST', headers: { 'x-amz-target': 'Service.Op', ...headers }, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('passes a plain request and its answer through whole, and keeps its connection to the service for the next', async () => {
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = connections;
    const body = JSON.stringify({ TableName: 'Orders', text: 'é'.repeat(20_000) });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await call('/?q=1', body, {}, agent));
    agent.destroy();
    expect(answers.map((a) => [a.status, a.headers['x-echo'], JSON.parse(a.body).echo === body])).toEqual(
      Array(5).fill([200, 'Service.Op', true]),
    );
    expect(seen.map((s) => [s.method, s.url, s.headers['x-amz-target']])).toEqual(Array(5).fill(['POST', '/?q=1', 'Service.Op']));
    expect(connections - before).toBe(1);
  });

  it('reads a chunked answer to its last chunk, and one without a length to the service’s close', async () => {
    expect(await call('/chunked', '')).toMatchObject({ status: 200, body: 'first,second' });
    expect(await call('/until-close', '')).toMatchObject({ status: 200, body: 'read to the close' });
    // The connection the service closed is not used again.
    expect(await call('/', 'after')).toMatchObject({ status: 200, body: '{"echo":"after"}' });
  });

  it('answers pipelined requests on one connection in order', async () => {
    const socket = connect(Number(new URL(proxy.endpoint).port), '127.0.0.1');
    const requestBytes = (body: string) =>
      `POST /p HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.write(requestBytes('one') + requestBytes('two') + requestBytes('three'));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if ((received.match(/\{"echo"/g) ?? []).length === 3) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    socket.destroy();
    expect([...received.matchAll(/\{"echo":"(\w+)"\}/g)].map((m) => m[1])).toEqual(['one', 'two', 'three']);
  });

  it('passes what is not a plain request (a chunked body, Expect: 100-continue) through Node’s HTTP parser', async () => {
    const chunked = await new Promise<string>((resolve, reject) => {
      const req = request(new URL('/te', proxy.endpoint), { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      });
      req.on('error', reject);
      req.write('in ');
      req.end('pieces');
    });
    expect(chunked).toBe('{"echo":"in pieces"}');
    const continued = await new Promise<string>((resolve, reject) => {
      const req = request(new URL('/expect', proxy.endpoint), {
        method: 'POST',
        headers: { expect: '100-continue', 'content-length': '4' },
      });
      req.on('continue', () => req.end('body'));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      });
      req.on('error', reject);
    });
    expect(continued).toBe('{"echo":"body"}');
  });

  it('answers a refusal and an outage itself: the service never sees those requests', async () => {
    refusing = true;
    expect(await call('/', 'forbidden thing', { 'x-amz-target': 'Service.Delete' })).toMatchObject({
      status: 403,
      body: '{"refused":"Service.Delete"}',
    });
    expect(await call('/', 'allowed thing')).toMatchObject({ status: 200 });
    proxy.setDown(true);
    const outage = await call('/', 'anything');
    expect(outage.status).toBe(503);
    expect(outage.body).toContain('<Code>ServiceUnavailable</Code><Message>Test is down (local outage)</Message>');
    expect(seen.map((s) => s.body)).toEqual(['allowed thing']);
  });

  it('sends again, on a new connection, a request whose kept connection the service had closed meanwhile', async () => {
    expect(await call('/', 'before the idle time')).toMatchObject({ status: 200 });
    // The service closes idle connections after 200 ms.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await call('/', 'after the idle time')).toMatchObject({ status: 200, body: '{"echo":"after the idle time"}' });
  });
});

describe('the service proxy without its service', () => {
  it('answers 502 when the service cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const proxy = await startServiceProxy(`http://127.0.0.1:${port}`, { service: 'Gone' });
    try {
      const response = await fetch(proxy.endpoint, { method: 'POST', body: '{}' });
      expect(response.status).toBe(502);
      expect(await response.text()).toContain('ECONNREFUSED');
    } finally {
      await proxy.stop();
    }
  });
});
