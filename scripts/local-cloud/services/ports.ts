import { createServer } from 'node:net';

/** A TCP port free on loopback right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Holds a port (0: one the OS picks) until `release`, so nothing started meanwhile can take it: the API's
 * port must be known before deploying (execute-api URLs resolve to it), and is listened on last.
 */
export async function reservePort(port: number, host: string): Promise<{ port: number; release(): Promise<void> }> {
  // A client that connects meanwhile is turned away at once (and retries), never held by a socket nobody serves.
  const holder = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.listen({ port, host, exclusive: true }, () => resolve());
  });
  const address = holder.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    release: () => new Promise<void>((resolve) => holder.close(() => resolve())),
  };
}

/** Polls `probe` until it resolves, at most `timeoutMs`; the last error explains a failure. */
export async function waitUntil(what: string, probe: () => Promise<unknown>, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
  throw new Error(`${what} was not ready after ${timeoutMs} ms: ${String(lastError)}`);
}

/** The local cloud's own endpoints beside its API, each on a port of its own. */
export const SERVICE_NAMES = [
  'dynamodb',
  'sns-sqs',
  'sns',
  'parameters',
  'lambda',
  'cloudwatch',
  'logs',
  'cloudformation',
  'identity',
  'eventbridge',
  'iam',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * `npm start`'s ports: the same on every start, so the exports written yesterday still point at today's
 * cloud. A block of their own, clear of DynamoDB Local's 8000 and LocalStack's 4566 and 4510–4559.
 */
export const DEFAULT_SERVICE_PORTS: Readonly<Record<ServiceName, number>> = {
  dynamodb: 4701,
  'sns-sqs': 4702,
  sns: 4703,
  parameters: 4704,
  lambda: 4705,
  cloudwatch: 4706,
  logs: 4707,
  cloudformation: 4708,
  identity: 4709,
  eventbridge: 4710,
  iam: 4711,
};

/** Ports something else already listens on, by what the local cloud wanted them for. */
export class PortsInUseError extends Error {
  readonly taken: readonly { name: string; port: number }[];

  constructor(taken: readonly { name: string; port: number }[]) {
    super(`${taken.map(({ name, port }) => `port ${port} (${name})`).join(', ')} already in use`);
    this.name = 'PortsInUseError';
    this.taken = taken;
  }
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Checks every fixed port (0: any free one) before anything starts, so a second local cloud, or anything
 * else on them, is named in one error rather than failing half-way through a start.
 */
export async function assertPortsFree(ports: Readonly<Record<string, number>>, host = '127.0.0.1'): Promise<void> {
  const wanted = Object.entries(ports).filter(([, port]) => port > 0);
  const free = await Promise.all(wanted.map(([, port]) => isFree(port, host)));
  const taken = wanted.filter((_, i) => !free[i]).map(([name, port]) => ({ name, port }));
  if (taken.length > 0) throw new PortsInUseError(taken);
}
