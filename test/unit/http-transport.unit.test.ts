import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHttpTransport } from '../../lambdas/platform/http-transport.ts';

let server: Server;
let base: string;
const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string; socket: unknown }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString(), socket: req.socket });
      if (req.url === '/hang') return; // never answers
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ echoed: Buffer.concat(chunks).toString() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('nodeHttpTransport (an ambassador’s transport, on a real server)', () => {
  it('sends the method, headers and body, and answers the status and the body as text, over one kept-alive connection', async () => {
    seen.length = 0;
    const init = {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      signal: new AbortController().signal,
    };
    const first = await nodeHttpTransport(`${base}/orders/1`, { ...init, body: '{"a":1}' });
    expect(first.status).toBe(200);
    expect(JSON.parse(await first.text())).toEqual({ echoed: '{"a":1}' });
    const second = await nodeHttpTransport(`${base}/missing`, init);
    expect(second.status).toBe(404);
    expect(seen.map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      { method: 'PUT', url: '/orders/1', body: '{"a":1}' },
      { method: 'PUT', url: '/missing', body: '' },
    ]);
    expect(seen[0]!.headers.authorization).toBe('Bearer t');
    expect(seen[1]!.socket).toBe(seen[0]!.socket);
  });

  it('gives up when its signal aborts, as fetch does', async () => {
    const started = performance.now();
    const outcome = await nodeHttpTransport(`${base}/hang`, { method: 'GET', headers: {}, signal: AbortSignal.timeout(100) }).catch(
      (error: unknown) => error,
    );
    expect(outcome).toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('rejects when nothing listens', async () => {
    await expect(
      nodeHttpTransport('http://127.0.0.1:1/', { method: 'GET', headers: {}, signal: new AbortController().signal }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
