import { domainEventOf } from '../domain/orders/index.ts';
import { feedToLegacy } from '../use-cases/legacy-feed.ts';
import { ambassadorFor } from '../composition/outbound.ts';
import { subscriberHandler } from '../composition/subscriber.ts';

const legacy = ambassadorFor('legacy');

/**
 * Strangler Fig, keeping legacy whole: every order event, in order per order, fed to legacy through the
 * ambassador and its breaker. Legacy applies each revision once, so no checkpoint is needed here; while
 * legacy is down, messages back off and wait.
 */
export const handler = subscriberHandler((message) => feedToLegacy((request) => legacy.send(request), message, domainEventOf(message)));
