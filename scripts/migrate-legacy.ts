/**
 * `npm run migrate-legacy -- [--stack Eightfold-dev] [--restart] [--page-size N] [--concurrency N]`
 *
 * The strangler's backfill: every order legacy holds, imported into Eightfold's event store as
 * `OrderImported` (its id kept: legacy's order number), and each later change legacy made to an order
 * Eightfold holds as the event it stands for. Legacy is read through its integration API
 * (`GET /integration/orders?changedSince=`, with its bearer token), never its tables. Safe under traffic
 * and idempotent: every append is conditional, so a row read twice, or imported by change capture
 * meanwhile, is taken once. Resumable: the cursor is checkpointed after every page, beside change
 * capture's lease; a run stops once it reaches the changes made after it began, which change capture takes.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { CURRENT_SCHEMA_VERSION, orderUpcasters } from '../lambdas/domain/orders/index.ts';
import { Ambassador, PolicySource } from '../lambdas/patterns/ambassador/index.ts';
import { EventStore } from '../lambdas/patterns/event-sourcing/index.ts';
import { leaseCheckpoint } from '../lambdas/patterns/leader-election/index.ts';
import { routingTableSchema, type RoutingTable } from '../lambdas/patterns/strangler/index.ts';
import {
  cursorTime,
  importLegacyChanges,
  legacyChangesReader,
  noOutcomes,
  writeOwnersOf,
  type ImportProgress,
} from '../lambdas/use-cases/legacy-import.ts';
import { numberFlag, parseCommandLine } from '@eightfold/local-cloud/command-line';
import { progressBar } from './progress.ts';
import { resolveTables } from './stack-outputs.ts';

/** The backfill's checkpoint, kept in the legacy-capture leases table beside the capture's own. */
const BACKFILL_CHECKPOINT = 'legacy-backfill';

export interface MigrateOptions {
  readonly client: DynamoDBDocumentClient;
  readonly eventsTable: string;
  /** Where the checkpoint is kept (the legacy-capture leases table). */
  readonly checkpointTable: string;
  /** Legacy's base URL and its integration API's bearer token. */
  readonly legacyUrl: string;
  readonly token: string;
  /** Who owns each route's writes (cdk.json's `eightfold:routes`): legacy's changes that conflict are settled by it. */
  readonly routes: RoutingTable;
  /** @default 200 */
  readonly pageSize?: number;
  /** Orders imported at once. @default 32 */
  readonly concurrency?: number;
  /** Start from the beginning, not the checkpoint (safe: imports are idempotent). @default false */
  readonly restart?: boolean;
  readonly onProgress?: (progress: MigrateProgress) => void;
}

export interface MigrateProgress extends ImportProgress {
  /** How far the cursor is from the first change to the run's start: 0 to 1. */
  readonly fraction: number;
  readonly elapsedMs: number;
}

/**
 * Legacy's integration API through the project's ambassador, as Eightfold's functions call it: the bearer
 * token (pinned to legacy's host), 10 s an attempt, up to 5 attempts with jittered backoff on a network
 * error, a timeout or a 5xx. No breaker: one operator's run, which stops and resumes from its checkpoint.
 */
function legacyClient(baseUrl: string, token: string): Ambassador {
  const policy = {
    baseUrl,
    timeoutMs: 10_000,
    maxAttempts: 5,
    baseDelayMs: 200,
    maxDelayMs: 5_000,
    retryBudgetRatio: 1,
    minRetriesPerSecond: 10,
    authSecret: 'legacy-integration-token',
  };
  return new Ambassador({
    target: 'legacy',
    policies: new PolicySource({ load: async () => ({ legacy: policy }) }),
    readSecret: async () => token,
    pinnedHost: new URL(baseUrl).host,
  });
}

/** Imports every order legacy holds, from the checkpoint (or the beginning) up to the changes made after the run began. */
export async function migrateLegacy(options: MigrateOptions): Promise<MigrateProgress> {
  const { client } = options;
  const started = Date.now();
  const checkpoint = leaseCheckpoint({ client, tableName: options.checkpointTable, name: BACKFILL_CHECKPOINT });
  const since = (options.restart ? undefined : await checkpoint.read()) ?? '';
  const store = new EventStore({
    client,
    tableName: options.eventsTable,
    upcasters: orderUpcasters,
    schemaVersions: CURRENT_SCHEMA_VERSION,
  });
  const legacy = legacyClient(options.legacyUrl, options.token);
  const readChanges = legacyChangesReader((request) => legacy.send(request));
  let first: number | undefined = since ? cursorTime(since) : undefined;
  let last: MigrateProgress = {
    next: since,
    rows: 0,
    outcomes: noOutcomes(),
    more: true,
    fraction: 0,
    elapsedMs: 0,
  };
  await importLegacyChanges(
    {
      store,
      now: () => new Date(),
      ownerOf: writeOwnersOf(options.routes),
      metadata: { correlationId: `migrate-legacy-${new Date(started).toISOString()}`, actor: 'system:migrate-legacy' },
      readChanges: async (changedSince, limit) => {
        const page = await readChanges(changedSince, limit);
        first ??= page.orders[0] ? cursorTime(page.orders[0].changed_at) : undefined;
        return page;
      },
    },
    {
      since,
      pageSize: options.pageSize ?? 200,
      concurrency: options.concurrency ?? 32,
      // Changes made after the run began are change capture's: stop once the cursor reaches them.
      keepGoing: () => !last.next || cursorTime(last.next) < started,
      onPage: async (progress) => {
        await checkpoint.write(progress.next);
        const span = first === undefined ? 0 : started - first;
        const fraction = !progress.more ? 1 : span > 0 ? Math.min(1, Math.max(0, (cursorTime(progress.next) - first!) / span)) : 0;
        last = { ...progress, fraction, elapsedMs: Date.now() - started };
        options.onProgress?.(last);
      },
    },
  );
  return { ...last, fraction: 1, elapsedMs: Date.now() - started };
}

/** What a run did: the rows read, their rate, and what became of them. */
export function summaryOf({ rows, elapsedMs, outcomes }: MigrateProgress): string {
  const counts = Object.entries(outcomes)
    .filter(([, count]) => count > 0)
    .map(([outcome, count]) => `${outcome} ${count}`)
    .join(', ');
  const rate = elapsedMs > 0 ? (rows / elapsedMs) * 1000 : 0;
  return `${rows} rows of legacy's read in ${(elapsedMs / 1000).toFixed(1)} s (${rate.toFixed(0)}/s)${counts ? `: ${counts}` : ''}`;
}

const USAGE = `
Usage: npm run migrate-legacy -- [--stack NAME] [--legacy-url URL --token-secret ARN] [--events-table T --checkpoint-table C]
                                 [--page-size N] [--concurrency N] [--restart]

Imports every order legacy holds into Eightfold's event store, through legacy's integration API, while
both systems run. Idempotent and resumable: run it again to go on from its checkpoint.

  --stack NAME          the tables, legacy's URL and token from this stack's outputs (and its stand-ins'),
                        on AWS or on the local cloud (npm start prints the endpoints to export)
  --legacy-url URL      legacy's base URL (else LEGACY_URL, else the legacy stand-in's LegacyUrl output)
  --token-secret ARN    the secret holding legacy's integration token (else LEGACY_TOKEN_SECRET, else the
                        stand-in's IntegrationTokenSecretArn output)
  --events-table T      the event store (else EVENTS_TABLE, else EventsTableName)
  --checkpoint-table C  where the checkpoint is kept (else LEGACY_CAPTURE_TABLE, else LegacyCaptureTableName)
  --page-size N         rows per page of legacy's changes (1 to 500; default 200)
  --concurrency N       orders imported at once (1 to 64; default 32)
  --restart             start from the beginning, not the checkpoint
`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseCommandLine(USAGE, {
    stack: { type: 'string' },
    'legacy-url': { type: 'string' },
    'token-secret': { type: 'string' },
    'events-table': { type: 'string' },
    'checkpoint-table': { type: 'string' },
    'page-size': { type: 'string' },
    concurrency: { type: 'string' },
    restart: { type: 'boolean' },
  });
  const pageSize = numberFlag('page-size', values['page-size'], { min: 1, max: 500 });
  const concurrency = numberFlag('concurrency', values.concurrency, { min: 1, max: 64 });
  const found = await resolveTables(values, values.stack, {
    eventsTable: { flag: 'events-table', env: 'EVENTS_TABLE', output: 'EventsTableName' },
    checkpointTable: { flag: 'checkpoint-table', env: 'LEGACY_CAPTURE_TABLE', output: 'LegacyCaptureTableName' },
    legacyUrl: { flag: 'legacy-url', env: 'LEGACY_URL', output: 'LegacyUrl' },
    tokenSecret: { flag: 'token-secret', env: 'LEGACY_TOKEN_SECRET', output: 'IntegrationTokenSecretArn' },
  });
  const secrets = new SecretsManagerClient({});
  const { SecretString: token } = await secrets.send(new GetSecretValueCommand({ SecretId: found.tokenSecret }));
  secrets.destroy();
  const context = (JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> })
    .context;
  const routes = routingTableSchema.parse(context['eightfold:routes']);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const bar = progressBar('importing legacy’s orders (%)', 100);
  const report = await migrateLegacy({
    client,
    ...found,
    token: token!,
    routes,
    pageSize,
    concurrency,
    restart: values.restart,
    onProgress: (progress) => bar(Math.floor(progress.fraction * 100)),
  });
  bar(100);
  process.stdout.write(`${summaryOf(report)}\nChange capture takes what legacy changes from here.\n`);
  client.destroy();
  process.exitCode = report.outcomes.conflict || report.outcomes.orphaned ? 1 : 0;
}
