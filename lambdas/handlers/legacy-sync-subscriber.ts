import { domainEventOf, type OrderEventMessage } from '../domain/orders/index.ts';
import { feedToLegacy, LegacyFeedConflictError } from '../use-cases/legacy-feed.ts';
import { outbound, OUTBOUND_SETTINGS } from '../composition/outbound.ts';
import { readSettings } from '../composition/settings.ts';
import { consumeOrdersSideBySide, SUBSCRIBER_SETTINGS, subscriberHandler } from '../composition/subscriber.ts';

// The composition root: this function's settings, read once.
const settings = readSettings({ ...SUBSCRIBER_SETTINGS, ...OUTBOUND_SETTINGS });
const legacy = outbound(settings).ambassadorFor('legacy');

/**
 * Strangler Fig, keeping legacy whole: every order event, in order per order, fed to legacy through the
 * ambassador and its breaker. Legacy applies each version once, so no checkpoint is needed here; while
 * legacy is down, messages back off and wait. Legacy holding another version or event than the feed gave it
 * is a conflict no retry mends: that message is parked in the DLQ at once, and its alarm fires.
 */
const feed = (message: OrderEventMessage) => feedToLegacy((request) => legacy.send(request), message, domainEventOf(message));

// Each message waits on legacy: a batch's orders are fed side by side, each order's versions in turn.
export const handler = subscriberHandler(settings, feed, {
  isPoison: (error) => error instanceof LegacyFeedConflictError,
  consumeBatch: consumeOrdersSideBySide(feed),
});
