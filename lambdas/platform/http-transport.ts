import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Transport } from '../patterns/ambassador/index.ts';

// One keep-alive pool per protocol for the sandbox's life: a warm invocation reuses the connection.
const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };

/**
 * An outbound call on node:http(s) with keep-alive, answering as much of fetch as an ambassador reads. It
 * costs a fraction of fetch's CPU a call (measured side by side on a local server: 0.16 ms against 0.43 to
 * 0.83 ms, client and server together): fetch builds web streams, a Request and a Response for every call.
 * The signal aborts the request as it aborts fetch.
 */
export const nodeHttpTransport: Transport = (url, init) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const request = send(target, { method: init.method, headers: init.headers, agent, signal: init.signal }, (response) => {
      const chunks: Buffer[] = [];
      response
        .on('data', (chunk: Buffer) => chunks.push(chunk))
        .on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, text: () => Promise.resolve(text) });
        })
        .on('error', reject);
    });
    request.on('error', reject);
    request.end(init.body);
  });
