import { domainEventOf } from '../domain/orders/index.ts';
import { feedToLegacy } from '../patterns/strangler/index.ts';
import { ambassadorFor } from '../shared/outbound.ts';
import { subscriberHandler } from '../shared/subscriber.ts';

const legacy = ambassadorFor('legacy');

/**
 * Strangler Fig, keeping legacy whole: every order event, in order per order, fed to legacy through the
 * ambassador and its breaker. Legacy applies each revision once, so no checkpoint is needed here; while
 * legacy is down, messages back off and wait.
 */
export const handler = subscriberHandler((message) => feedToLegacy((request) => legacy.send(request), message, domainEventOf(message)));
