/**
 * `npm run reshard -- --to N [--dry-run] [--settle-seconds S] [--stack NAME | --counters-table T --maps-table M]`
 *
 * Prints which sales counters a move to N shards relocates (how many items and keys, from which shard to
 * which), then, unless --dry-run, moves them while the system runs: see `reshard` in
 * lambdas/patterns/sharding/reshard.ts. Table names come from the flags, from SALES_COUNTERS_TABLE /
 * SHARD_MAPS_TABLE, or from the outputs of `--stack NAME` on AWS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { planReshard, reshard, ShardMapStore, type ReshardPlan } from '../lambdas/patterns/sharding/index.ts';
import { stackOutputs } from './stack-outputs.ts';

/**
 * A published map reaches every Lambda within its cache time (10 s) plus the longest invocation that may
 * still route by the old one (the functions' timeouts, 30 s at most): 45 s with a margin.
 */
const DEFAULT_SETTLE_SECONDS = 45;

export function describePlan(plan: ReshardPlan): string {
  const routes = Object.entries(plan.routes).sort((a, b) => b[1] - a[1]);
  return [
    `Reshard ${plan.from} → ${plan.to} shards: ${plan.moving} of ${plan.items} counter items move (${plan.items ? ((plan.moving / plan.items) * 100).toFixed(1) : '0.0'}%), ${plan.keysMoving} SKUs touched`,
    ...routes.slice(0, 20).map(([route, count]) => `  shard ${route}: ${count}`),
    ...(routes.length > 20 ? [`  … and ${routes.length - 20} more routes`] : []),
    ...(plan.sample.length ? [`  e.g. ${plan.sample.join(', ')}`] : []),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      to: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'settle-seconds': { type: 'string', default: String(DEFAULT_SETTLE_SECONDS) },
      map: { type: 'string', default: 'sales' },
      'counters-table': { type: 'string' },
      'maps-table': { type: 'string' },
      stack: { type: 'string' },
    },
  });
  const to = Number(values.to);
  if (!Number.isInteger(to) || to < 1 || to > 1024) {
    process.stderr.write('--to must be a whole number of shards from 1 to 1024\n');
    process.exit(2);
  }
  const fromStack = values.stack ? await stackOutputs(values.stack) : {};
  const countersTable = values['counters-table'] ?? process.env.SALES_COUNTERS_TABLE ?? fromStack.SalesCountersTableName;
  const mapsTable = values['maps-table'] ?? process.env.SHARD_MAPS_TABLE ?? fromStack.ShardMapsTableName;
  if (!countersTable || !mapsTable) {
    process.stderr.write('Name the tables: --counters-table and --maps-table (or SALES_COUNTERS_TABLE / SHARD_MAPS_TABLE, or --stack NAME on AWS)\n');
    process.exit(2);
  }
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  try {
    const maps = new ShardMapStore({ client, tableName: mapsTable, cacheMs: 0 });
    const map = await maps.read(values.map);
    if (!map) throw new Error(`No shard map ${values.map} yet: nothing has been routed`);
    process.stdout.write(`Map ${map.name} v${map.version}: ${map.phase}, ${map.shards} shards, ${map.writeShards} write shards per counter\n`);
    process.stdout.write(`${describePlan(await planReshard(client, countersTable, map, to))}\n`);
    if (!values['dry-run']) {
      const report = await reshard({
        client,
        countersTable,
        maps,
        mapName: values.map,
        to,
        settleMs: Number(values['settle-seconds']) * 1000,
        log: (line) => process.stdout.write(`${line}\n`),
      });
      process.stdout.write(`Done: ${report.moved} items moved; map versions ${report.versions.join(', ')}\n`);
    }
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    client.destroy();
  }
}
