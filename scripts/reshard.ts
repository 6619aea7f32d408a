/**
 * `npm run reshard -- --to N [--dry-run] [--settle-seconds S] [--stack NAME | --counters-table T --view-table V --maps-table M]`
 *
 * Prints what a move to N shards relocates (sales counter items and orders view rows: how many, which
 * keys, from which shard to which), then, unless --dry-run, moves them while the system runs: see
 * `reshard` in lambdas/patterns/sharding/reshard.ts. Table names come from the flags, from
 * SALES_COUNTERS_TABLE / ORDERS_VIEW_TABLE / SHARD_MAPS_TABLE, or from the outputs of `--stack NAME` on AWS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { VIEW_BY_SHARD_INDEX } from '../lambdas/domain/orders/index.ts';
import {
  planReshard,
  reshard,
  SHARD_MAP,
  shardedCounters,
  shardedView,
  ShardMapStore,
  type ReshardPlan,
} from '../lambdas/patterns/sharding/index.ts';
import { resolveTables } from './stack-outputs.ts';

/**
 * A published map reaches every Lambda within its cache time (10 s) plus the longest invocation that may
 * still route by the old one (the functions' timeouts, 30 s at most): 45 s with a margin.
 */
const DEFAULT_SETTLE_SECONDS = 45;

export function describePlan(plan: ReshardPlan): string {
  return [
    `Reshard ${plan.from} → ${plan.to} shards:`,
    ...plan.data.flatMap((data) => {
      const routes = Object.entries(data.routes).sort((a, b) => b[1] - a[1]);
      return [
        `  ${data.name}: ${data.moving} of ${data.items} items move (${data.items ? ((data.moving / data.items) * 100).toFixed(1) : '0.0'}%), ${data.keysMoving} keys touched`,
        ...routes.slice(0, 10).map(([route, count]) => `    shard ${route}: ${count}`),
        ...(routes.length > 10 ? [`    … and ${routes.length - 10} more routes`] : []),
        ...(data.sample.length ? [`    e.g. ${data.sample.join(', ')}`] : []),
      ];
    }),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      to: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'settle-seconds': { type: 'string', default: String(DEFAULT_SETTLE_SECONDS) },
      map: { type: 'string', default: SHARD_MAP },
      'counters-table': { type: 'string' },
      'view-table': { type: 'string' },
      'maps-table': { type: 'string' },
      stack: { type: 'string' },
    },
  });
  const to = Number(values.to);
  if (!Number.isInteger(to) || to < 1 || to > 1024) {
    process.stderr.write('--to must be a whole number of shards from 1 to 1024\n');
    process.exit(2);
  }
  const { countersTable, viewTable, mapsTable } = await resolveTables(values, values.stack, {
    countersTable: { flag: 'counters-table', env: 'SALES_COUNTERS_TABLE', output: 'SalesCountersTableName' },
    viewTable: { flag: 'view-table', env: 'ORDERS_VIEW_TABLE', output: 'OrdersViewTableName' },
    mapsTable: { flag: 'maps-table', env: 'SHARD_MAPS_TABLE', output: 'ShardMapsTableName' },
  });
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  try {
    const maps = new ShardMapStore({ client, tableName: mapsTable, cacheMs: 0 });
    const map = await maps.read(values.map);
    if (!map) throw new Error(`No shard map ${values.map} yet: nothing has been routed`);
    process.stdout.write(
      `Map ${map.name} v${map.version}: ${map.phase}, ${map.shards} shards, ${map.writeShards} write shards per counter\n`,
    );
    const data = [shardedCounters(client, countersTable, map.writeShards), shardedView(client, viewTable, VIEW_BY_SHARD_INDEX)];
    const printPlan = (plan: ReshardPlan) => process.stdout.write(`${describePlan(plan)}\n`);
    if (values['dry-run']) printPlan(await planReshard(map, to, data));
    else {
      const report = await reshard({
        data,
        maps,
        onPlan: printPlan,
        mapName: values.map,
        to,
        settleMs: Number(values['settle-seconds']) * 1000,
        log: (line) => process.stdout.write(`${line}\n`),
      });
      const moved = Object.entries(report.moved)
        .map(([name, count]) => `${count} ${name} items`)
        .join(', ');
      process.stdout.write(`Done: ${moved} moved; map versions ${report.versions.join(', ')}\n`);
    }
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    client.destroy();
  }
}
