import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './clients.ts';
import { faultsSchema, type Faults } from './fault-inputs.ts';

export { faultsSchema, type Faults };
export const FAULT_TARGETS = ['payment-provider', 'legacy'] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];

const NO_FAULTS: Faults = { errorRate: 0, latencyMs: 0, down: false, loseChargeAnswers: false, integrationDown: false };

export async function readFaults(table: string, target: FaultTarget): Promise<Faults> {
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

export async function writeFaults(table: string, target: FaultTarget, faults: Faults): Promise<void> {
  await documentClient.send(new PutCommand({ TableName: table, Item: { target, ...faults, updatedAt: new Date().toISOString() } }));
}

/** What a stand-in answers instead of serving, when its injected faults say so. */
export interface InjectedFailure {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
}

/** Applies a stand-in's faults: waits the injected latency, then says how to fail, if it must. */
export async function injectedFailure(table: string, target: FaultTarget, systemName: string): Promise<InjectedFailure | undefined> {
  return applyFaults(await readFaults(table, target), systemName);
}

/** Applies faults already read (a stand-in that also acts on the faults that are not failures). */
export async function applyFaults(faults: Faults, systemName: string): Promise<InjectedFailure | undefined> {
  if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
  if (faults.down) return { statusCode: 503, code: 'UNAVAILABLE', message: `${systemName} is down` };
  if (Math.random() < faults.errorRate) return { statusCode: 500, code: 'INTERNAL', message: `${systemName} failed` };
  return undefined;
}
