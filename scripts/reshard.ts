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
import { numberFlag, parseCommandLine, refuseCommandLine } from '@eightfold/local-cloud/command-line';

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

const USAGE = `
Usage: npm run reshard -- --to N [--dry-run] [--settle-seconds S] [--map NAME]
                          [--stack NAME | --counters-table T --view-table V --maps-table M]

Prints what a move to N shards relocates, then (unless --dry-run) moves it while the system runs.

  --to N                the new number of shards (1 to 1024)
  --dry-run             print the plan only
  --settle-seconds S    how long each phase waits for every function to see the new map: at least the
                        functions' map cache plus their longest invocation (1 to 3600; default ${DEFAULT_SETTLE_SECONDS})
  --map NAME            the shard map (default ${SHARD_MAP})
  --stack NAME          on AWS, the tables from this stack's outputs (else the flags, else
                        SALES_COUNTERS_TABLE, ORDERS_VIEW_TABLE and SHARD_MAPS_TABLE)
`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseCommandLine(USAGE, {
    to: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    'settle-seconds': { type: 'string' },
    map: { type: 'string', default: SHARD_MAP },
    'counters-table': { type: 'string' },
    'view-table': { type: 'string' },
    'maps-table': { type: 'string' },
    stack: { type: 'string' },
  });
  if (values.to === undefined) refuseCommandLine('--to N is required: the new number of shards');
  const to = numberFlag('to', values.to, { min: 1, max: 1024 })!;
  // A wait of 0 (or of text) would let a function still routing by the old map write where nothing reads.
  const settleSeconds = numberFlag('settle-seconds', values['settle-seconds'], { min: 1, max: 3600 }) ?? DEFAULT_SETTLE_SECONDS;
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
    const data = [shardedCounters(client, countersTable, map.writeShards), shardedView(client, viewTable)];
    const printPlan = (plan: ReshardPlan) => process.stdout.write(`${describePlan(plan)}\n`);
    if (values['dry-run']) printPlan(await planReshard(map, to, data));
    else {
      const report = await reshard({
        data,
        maps,
        onPlan: printPlan,
        mapName: values.map,
        to,
        settleMs: settleSeconds * 1000,
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
