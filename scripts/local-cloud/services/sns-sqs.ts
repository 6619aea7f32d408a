import { existsSync, mkdirSync } from 'node:fs';
import { Server } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startFauxqs } from 'fauxqs';
import { LOCAL_ACCOUNT_ID } from '../environment.ts';
import { freePort } from './ports.ts';

export interface SnsSqsEmulator {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * SNS and SQS on one endpoint, from npm `fauxqs` (in this process; state in memory or SQLite).
 *
 * Queue URLs are `http://127.0.0.1:<port>/<account>/<name>`, which resolve on any machine: an SDK client
 * configured by `AWS_ENDPOINT_URL_SQS` alone sends to the queue URL's host, and fauxqs's own form,
 * `sqs.<region>.localhost`, resolves only where the resolver maps `*.localhost` to loopback.
 */
export async function startSnsSqs(options: {
  port?: number;
  /** The port clients reach it on, if not its own (a proxy's in front of it): queue URLs name that one. */
  publicPort?: number;
  dataDir?: string;
  region: string;
  /** Whether SNS may deliver from the topic to the queue (its queue policy, with IAM): a refused delivery is not made. @default always */
  mayDeliver?: DeliveryJudge;
}): Promise<SnsSqsEmulator> {
  let port = options.port ?? 0;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    // Queues kept from an earlier run carry that run's URLs: the port is chosen first so they can be moved to it.
    if (port === 0) port = await freePort();
    moveQueueUrls(options.dataDir, `http://127.0.0.1:${options.publicPort || port}`);
  }
  await queueUrlsOnLoopback();
  await judgedDeliveries();
  const server = await onLoopbackOnly(() =>
    startFauxqs({
      port,
      logger: false,
      defaultRegion: options.region,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    }),
  );
  if (options.mayDeliver) deliveryJudges.set(server.port, options.mayDeliver);
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    port: server.port,
    stop: () => {
      deliveryJudges.delete(server.port);
      return server.stop();
    },
  };
}

type DeliveryJudge = (topicArn: string, queueArn: string) => boolean;

/** Each running fauxqs's judge of deliveries, by the port it listens on (several clouds may share a process). */
const deliveryJudges = new Map<number, DeliveryJudge>();

interface FauxqsSubscription {
  protocol: string;
  endpoint: string;
  confirmed: boolean;
}
interface FauxqsSnsStore {
  getTopic(arn: string): { subscriptionArns: string[] } | undefined;
  getSubscription(arn: string): FauxqsSubscription | undefined;
}
type SnsHandler = (
  body: Record<string, string>,
  snsStore: FauxqsSnsStore,
  sqsStore: unknown,
  request?: { socket?: { localPort?: number } },
) => unknown;

/**
 * Makes fauxqs's `Publish` and `PublishBatch` leave out the subscriptions whose queue's policy refuses the
 * topic (fauxqs 2.4.1, pinned, delivers to every SQS subscription). Its fan-out is synchronous within the
 * action, so a refused subscription is marked unconfirmed for that call alone, which fauxqs's fan-out skips.
 */
async function judgedDeliveries(): Promise<void> {
  const router = (await import(new URL('./sns/snsRouter.js', import.meta.resolve('fauxqs')).href)) as {
    SnsRouter?: { prototype: { register?: (action: string, handler: SnsHandler) => void; judged?: boolean } };
  };
  const prototype = router.SnsRouter?.prototype;
  if (typeof prototype?.register !== 'function') {
    throw new Error('fauxqs has no SnsRouter.register to judge SNS deliveries by: use the fauxqs version the local cloud pins');
  }
  if (prototype.judged) return;
  const register = prototype.register;
  prototype.judged = true;
  prototype.register = function (this: unknown, action, handler) {
    if (action !== 'Publish' && action !== 'PublishBatch') return register.call(this, action, handler);
    register.call(this, action, (body, snsStore, sqsStore, request) => {
      const judge = deliveryJudges.get(request?.socket?.localPort ?? -1);
      const topicArn = String(body.TopicArn);
      const refused = judge
        ? (snsStore.getTopic(topicArn)?.subscriptionArns ?? [])
            .map((arn) => snsStore.getSubscription(arn))
            .filter((sub): sub is FauxqsSubscription => !!sub?.confirmed && sub.protocol === 'sqs' && !judge(topicArn, sub.endpoint))
        : [];
      for (const sub of refused) sub.confirmed = false;
      try {
        return handler(body, snsStore, sqsStore, request);
      } finally {
        for (const sub of refused) sub.confirmed = true;
      }
    });
  };
}

/**
 * Makes fauxqs name new queues `http://127.0.0.1:<port>/<account>/<name>`. fauxqs 2.4.1 (pinned) builds every
 * queue URL as `sqs.<region>.<host>:<port>` and has no option for a bare host; it looks queues up by name
 * whatever a URL's host, so only the URLs it hands out change. A fauxqs whose store no longer has this
 * method fails the start here rather than handing unreachable URLs out.
 */
async function queueUrlsOnLoopback(): Promise<void> {
  const store = (await import(new URL('./sqs/sqsStore.js', import.meta.resolve('fauxqs')).href)) as {
    SqsStore?: { prototype: { buildQueueUrl?: (name: string, port: string, requestHost: string, region: string) => string } };
  };
  const prototype = store.SqsStore?.prototype;
  if (typeof prototype?.buildQueueUrl !== 'function') {
    throw new Error('fauxqs has no SqsStore.buildQueueUrl to give queues reachable URLs: use the fauxqs version the local cloud pins');
  }
  prototype.buildQueueUrl = (name, port, requestHost) => `http://${port ? `127.0.0.1:${port}` : requestHost}/${LOCAL_ACCOUNT_ID}/${name}`;
}

/** Points the URLs of the queues fauxqs keeps in `dataDir` at `endpoint` (fauxqs loads them as stored). */
function moveQueueUrls(dataDir: string, endpoint: string): void {
  const file = join(dataDir, 'fauxqs.db');
  if (!existsSync(file)) return;
  const db = new DatabaseSync(file);
  try {
    const kept = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqs_queues'").get();
    if (kept) db.prepare(`UPDATE sqs_queues SET url = ? || name`).run(`${endpoint}/${LOCAL_ACCOUNT_ID}/`);
  } finally {
    db.close();
  }
}

/**
 * Runs `start` with every listen on all interfaces made a listen on the loopback interface: fauxqs listens
 * on 0.0.0.0 whatever it is told (its `host` only names the queue URLs), and nothing of a local cloud
 * should be reachable from the network.
 */
async function onLoopbackOnly<T>(start: () => Promise<T>): Promise<T> {
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    const [first] = args;
    if (first && typeof first === 'object' && ['0.0.0.0', '::', undefined].includes((first as { host?: string }).host)) {
      args[0] = { ...first, host: '127.0.0.1' };
    }
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as typeof listen;
  try {
    return await start();
  } finally {
    Server.prototype.listen = listen;
  }
}
