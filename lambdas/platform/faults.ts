import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './clients.ts';
import { faultsSchema, type Faults } from './fault-inputs.ts';

export { faultsSchema, type Faults };
export const FAULT_TARGETS = ['payment-provider', 'legacy'] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];

const NO_FAULTS: Faults = { errorRate: 0, latencyMs: 0, down: false, loseChargeAnswers: false, integrationDown: false };

/**
 * How long a stand-in acts on faults it read: one read per sandbox this often, not one per request. The
 * ops API answers a change only after this long, so a caller that got its answer knows every stand-in acts on it.
 */
export const FAULTS_TAKE_EFFECT_MS = 250;

const lastRead = new Map<string, { readonly at: number; readonly faults: Promise<Faults> }>();

/** A stand-in's faults, read at most once per FAULTS_TAKE_EFFECT_MS (a failed read is not kept). */
export function currentFaults(table: string, target: FaultTarget, now = Date.now()): Promise<Faults> {
  const key = `${table}\n${target}`;
  const cached = lastRead.get(key);
  if (cached && now - cached.at < FAULTS_TAKE_EFFECT_MS) return cached.faults;
  const faults = readFaults(table, target);
  lastRead.set(key, { at: now, faults });
  faults.catch(() => lastRead.delete(key));
  return faults;
}

async function readFaults(table: string, target: FaultTarget): Promise<Faults> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: table, Key: { target }, ConsistentRead: true }));
  return Item
    ? faultsSchema.parse({
        errorRate: Item.errorRate,
        latencyMs: Item.latencyMs,
        down: Item.down,
        loseChargeAnswers: Item.loseChargeAnswers,
        integrationDown: Item.integrationDown,
      })
    : NO_FAULTS;
}

/** Sets a stand-in's faults, answering once every stand-in acts on them. */
export async function writeFaults(table: string, target: FaultTarget, faults: Faults): Promise<void> {
  await documentClient.send(new PutCommand({ TableName: table, Item: { target, ...faults, updatedAt: new Date().toISOString() } }));
  await new Promise((resolve) => setTimeout(resolve, FAULTS_TAKE_EFFECT_MS));
}

/** What a stand-in answers instead of serving, when its injected faults say so. */
export interface InjectedFailure {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
}

/** Applies a stand-in's faults: waits the injected latency, then says how to fail, if it must. */
export async function applyFaults(faults: Faults, systemName: string): Promise<InjectedFailure | undefined> {
  if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
  if (faults.down) return { statusCode: 503, code: 'UNAVAILABLE', message: `${systemName} is down` };
  if (Math.random() < faults.errorRate) return { statusCode: 500, code: 'INTERNAL', message: `${systemName} failed` };
  return undefined;
}
