/**
 * The custom metrics the handlers emit (EMF, through Powertools Metrics) and the alarms and dashboard of
 * lib/ read: one place for their names, so the two cannot drift apart.
 */
export const METRICS_NAMESPACE = 'Eightfold';

/** A breaker changed state; dimensions `service` = BREAKERS_SERVICE, `breaker`, `to`. */
export const BREAKER_TRANSITIONS_METRIC = 'BreakerTransitions';
/** Breaker transitions carry this service dimension whichever function made them, so one alarm per breaker sees them all. */
export const BREAKERS_SERVICE = 'circuit-breakers';

/** A contender led a coordinator turn; dimensions `service` = COORDINATOR_SERVICE, `lease`. */
export const LEADER_TURNS_METRIC = 'LeaderTurns';
/** A leader lost its lease: taken over after it expired unrenewed, or its write refused by a fence; same dimensions. */
export const LEASES_LOST_METRIC = 'LeasesLost';
export const COORDINATOR_SERVICE = 'coordinator';
/** Payment steps (a payment in flight, a refund owed) the reconciler could not close on a turn; same dimensions. */
export const PAYMENT_STEPS_FAILED_METRIC = 'PaymentStepsFailed';

/** Changes legacy made on a route legacy owns that Eightfold could not take (an operator settles them); dimensions as LeaderTurns. */
export const LEGACY_CONFLICTS_METRIC = 'LegacyConflicts';
/** Rows of legacy's that Eightfold's feed wrote but whose order Eightfold does not hold; same dimensions. */
export const LEGACY_ORPHANS_METRIC = 'LegacyOrphans';

/** Which side served a request of a shadow or weighted route; dimensions `service` (the router's), `route`, `servedBy`. */
export const ROUTED_REQUESTS_METRIC = 'StranglerRoutedRequests';
