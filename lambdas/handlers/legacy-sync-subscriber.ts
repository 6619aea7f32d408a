import { domainEventOf } from '../domain/orders/index.ts';
import { feedToLegacy } from '../use-cases/legacy-feed.ts';
import { outbound, OUTBOUND_SETTINGS } from '../composition/outbound.ts';
import { readSettings } from '../composition/settings.ts';
import { SUBSCRIBER_SETTINGS, subscriberHandler } from '../composition/subscriber.ts';

// The composition root: this function's settings, read once.
const settings = readSettings({ ...SUBSCRIBER_SETTINGS, ...OUTBOUND_SETTINGS });
const legacy = outbound(settings).ambassadorFor('legacy');

/**
 * Strangler Fig, keeping legacy whole: every order event, in order per order, fed to legacy through the
 * ambassador and its breaker. Legacy applies each revision once, so no checkpoint is needed here; while
 * legacy is down, messages back off and wait.
 */
export const handler = subscriberHandler(settings, (message) =>
  feedToLegacy((request) => legacy.send(request), message, domainEventOf(message)),
);
