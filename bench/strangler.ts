/**
 * Strangler Fig figures: what the façade costs a legacy route, an Eightfold route against the same read on
 * legacy, what stamping legacy's answers costs, and what shadowing a route adds to the client's wait. Five
 * local clouds run side by side, the same app with `GET /orders/{orderId}` in each mode (eightfold, legacy
 * through the stamping proxy, legacy as a plain HTTP proxy, weighted at 0 % — the router's hop alone — and
 * shadow), and their requests are interleaved so no cloud is measured on a quieter machine.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '@eightfold/local-cloud';
import { legacyUrl, localOutputs } from '../test/helpers/target.ts';
import { mintToken } from '../test/helpers/tokens.ts';
import { log, ms, percentile, ratio, ROOT, SAMPLES, sleep, type Row } from './common.ts';

const ROUTE = 'GET /orders/{orderId}';
const cdkRoutes = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, object> }).context[
  'eightfold:routes'
];

const agent = new Agent({ keepAlive: true });
/** Each cloud's operator token (each has its own issuer); the façade's routes need one, legacy's own API none. */
const tokens = new Map<string, string>();
/** A GET with node:http and keep-alive (fetch adds ~0.2 ms of its own), signed in on a cloud's API; resolves with the body. */
const get = (url: string): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const token = tokens.get(new URL(url).origin);
    const req = request(url, { agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject).end();
  });
const legacyBase = (cloud: LocalCloud) => legacyUrl(localOutputs(cloud));

export async function stranglerFigures(rows: Row[]): Promise<void> {
  const outDirs: string[] = [];
  const clouds: LocalCloud[] = [];
  const start = async (
    route: { mode: string; percent?: number; ignore?: string[] } | undefined,
    extra: Record<string, unknown> = {},
  ): Promise<LocalCloud> => {
    const outDir = route && mkdtempSync(join(tmpdir(), `eightfold-bench-${route.mode}-`));
    if (outDir) outDirs.push(outDir);
    const context = route && { 'eightfold:routes': { ...cdkRoutes, [ROUTE]: { ...route, since: '2026-11-26' } }, ...extra };
    const cloud = await startLocalCloud({ appDir: ROOT, outDir, port: 0, context, iam: 'off', onLog: () => undefined });
    tokens.set(new URL(cloud.url).origin, await mintToken(cloud, { operator: 'bench' }));
    clouds.push(cloud);
    return cloud;
  };
  try {
    // One at a time: syntheses at once would starve two cores.
    const eightfold = await start(undefined);
    const legacy = await start({ mode: 'legacy' });
    // The same legacy route with plain HTTP_PROXY integrations: no hop, no stamp (what the façade did before it stamped).
    const plainProxy = await start({ mode: 'legacy' }, { 'eightfold:stampLegacy': 'false' });
    const routerOnly = await start({ mode: 'weighted', percent: 0 });
    // Legacy has no word for the payment saga's `payment` object: the comparison leaves it out.
    const shadow = await start({ mode: 'shadow', ignore: ['payment'] });
    // The same orders on every cloud: placed on Eightfold, fed to its legacy.
    const orders = new Map<LocalCloud, string[]>();
    for (const cloud of clouds) {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const placed = await fetch(`${cloud.url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(new URL(cloud.url).origin)}` },
          body: JSON.stringify({ customerId: `bench-${i}`, items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 900 }] }),
        });
        ids.push(((await placed.json()) as { orderId: string }).orderId);
      }
      orders.set(cloud, ids);
    }
    // Both sides must know every order before anything is timed: legacy (fed by the sync subscriber) and
    // Eightfold's read model (a customer's orders come from it on every cloud, whatever GET /orders/{id}'s mode).
    for (const [cloud, ids] of orders) {
      for (const [i, id] of ids.entries()) {
        while (
          (await get(`${legacyBase(cloud)}/orders/${id}`)).status !== 200 ||
          !(await get(`${cloud.url}/customers/bench-${i}/orders`)).body.includes(id)
        )
          await sleep(50);
      }
    }
    // Warm-up rounds count from -100: wrap the index, so every request reads a real order.
    const nth = (cloud: LocalCloud, i: number) => orders.get(cloud)![(i + 2000) % 20];
    const calls = {
      viaFacade: (i: number) => get(`${legacy.url}/orders/${nth(legacy, i)}`),
      viaPlainProxy: (i: number) => get(`${plainProxy.url}/orders/${nth(plainProxy, i)}`),
      legacyDirect: (i: number) => get(`${legacyBase(legacy)}/orders/${nth(legacy, i)}`),
      eightfoldRoute: (i: number) => get(`${eightfold.url}/orders/${nth(eightfold, i)}`),
      routerOnly: (i: number) => get(`${routerOnly.url}/orders/${nth(routerOnly, i)}`),
      shadowRoute: (i: number) => get(`${shadow.url}/orders/${nth(shadow, i)}`),
    };
    const samples = Object.fromEntries(Object.keys(calls).map((name) => [name, [] as number[]])) as Record<keyof typeof calls, number[]>;
    const total = Math.max(SAMPLES, 500);
    for (let i = -100; i < total; i++) {
      // Interleaved, in an order that rotates, so none always follows the same neighbour.
      const names = Object.keys(calls) as (keyof typeof calls)[];
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + i + 100) % names.length]!;
        const started = performance.now();
        await calls[name](i);
        if (i >= 0) samples[name].push(performance.now() - started);
      }
    }
    const p = (name: keyof typeof calls, q: number) => percentile(samples[name], q);
    log(
      `strangler p50: façade ${ms(p('viaFacade', 50))}, legacy direct ${ms(p('legacyDirect', 50))}, eightfold ${ms(p('eightfoldRoute', 50))}, router ${ms(p('routerOnly', 50))}, shadow ${ms(p('shadowRoute', 50))}`,
    );
    // Let the shadow runs finish, then check they were made: a shadow that compared nothing would be free.
    await sleep(2_000);
    const routes = JSON.parse((await get(`${shadow.url}/ops/routes`)).body) as {
      routes?: { route: string; shadow?: { compared: number; matches: number } }[];
    };
    const compared = routes.routes?.find((r) => r.route === ROUTE)?.shadow as
      { compared: number; matches: number; recentMismatches?: unknown[] } | undefined;
    if (compared?.recentMismatches?.length) log(`shadow mismatches, latest: ${JSON.stringify(compared.recentMismatches.slice(0, 2))}`);
    for (const q of [50, 99]) {
      rows.push({
        figure: `legacy route through the façade (stamped \`X-Served-By\` by its proxy) p${q}: \`GET /orders/{id}\``,
        value: ms(p('viaFacade', q)),
        baseline: `legacy's own API called directly: ${ms(p('legacyDirect', q))}`,
        ratio: ratio(p('viaFacade', q), p('legacyDirect', q)),
      });
    }
    for (const q of [50, 99]) {
      rows.push({
        figure: `what the façade's stamping costs a legacy route p${q}: \`GET /orders/{id}\``,
        value: ms(p('viaFacade', q)),
        baseline: `the same route as a plain HTTP proxy (\`-c eightfold:stampLegacy=false\`): ${ms(p('viaPlainProxy', q))}`,
        ratio: ratio(p('viaFacade', q), p('viaPlainProxy', q)),
      });
    }
    rows.push({
      figure: 'Eightfold route p50: `GET /orders/{id}` from the read model',
      value: ms(p('eightfoldRoute', 50)),
      baseline: `the same read on legacy through the façade: ${ms(p('viaFacade', 50))}`,
      ratio: ratio(p('eightfoldRoute', 50), p('viaFacade', 50)),
    });
    for (const q of [50, 99]) {
      rows.push({
        figure: `shadow route p${q}: what shadowing adds (legacy answers; Eightfold runs off the client's path${q === 50 && compared ? `; ${compared.compared} compared, ${compared.matches} matched` : ''})`,
        value: ms(p('shadowRoute', q)),
        baseline: `the router's hop alone (weighted at 0 %): ${ms(p('routerOnly', q))}`,
        ratio: ratio(p('shadowRoute', q), p('routerOnly', q)),
      });
    }
    rows.push({
      figure: 'shadow route p50, all told (the router hop included)',
      value: ms(p('shadowRoute', 50)),
      baseline: `same route in legacy mode (through the stamping proxy): ${ms(p('viaFacade', 50))}`,
      ratio: ratio(p('shadowRoute', 50), p('viaFacade', 50)),
    });
  } finally {
    agent.destroy();
    for (const cloud of clouds) await cloud.stop();
    for (const dir of outDirs) rmSync(dir, { recursive: true, force: true });
  }
}
