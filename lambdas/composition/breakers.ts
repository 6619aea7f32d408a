import { DynamoDbBreakerStore } from '../patterns/circuit-breaker/index.ts';
import { documentClient } from '../platform/clients.ts';
import { ENV } from '../platform/environment.ts';
import { text, type SettingsOf } from './settings.ts';

export const BREAKER_SETTINGS = { breakersTable: [ENV.breakers.table, text] } as const;

/** The breakers' shared table: the ambassadors' breakers trip through it, operators read and override it. */
export const breakerStore = (settings: SettingsOf<typeof BREAKER_SETTINGS>) =>
  new DynamoDbBreakerStore(documentClient, settings.breakersTable);
