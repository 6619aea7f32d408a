import { DynamoDbBreakerStore } from '../patterns/circuit-breaker/index.ts';
import { documentClient, requireEnv } from '../platform/clients.ts';
import { ENV } from '../platform/environment.ts';

/** The breakers' shared table: the ambassadors' breakers trip through it, operators read and override it. */
export const breakerStore = new DynamoDbBreakerStore(documentClient, requireEnv(ENV.breakers.table));
