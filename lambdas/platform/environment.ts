/**
 * Every environment variable a construct sets and a function reads, grouped by what owns it: each name is
 * written here once, set through these constants in lib/ and read through them in lambdas/: a renamed
 * variable is one edit, and a misspelt one does not compile.
 */
export const ENV = {
  eventStore: { table: 'EVENTS_TABLE', snapshotEvery: 'SNAPSHOT_EVERY' },
  readModel: { ordersView: 'ORDERS_VIEW_TABLE', minVersionWaitMs: 'MIN_VERSION_WAIT_MS' },
  ambassador: { policyParameter: 'AMBASSADOR_POLICY_PARAMETER', pinnedHosts: 'AMBASSADOR_PINNED_HOSTS' },
  breakers: { table: 'BREAKERS_TABLE', transitionsTopic: 'BREAKER_TRANSITIONS_TOPIC_ARN', known: 'KNOWN_BREAKERS' },
  sharding: {
    maps: 'SHARD_MAPS_TABLE',
    mapCacheMs: 'SHARD_MAP_CACHE_MS',
    shards: 'DEFAULT_SHARDS',
    writeShards: 'DEFAULT_WRITE_SHARDS',
    counters: 'SALES_COUNTERS_TABLE',
  },
  leaderElection: { table: 'LEASES_TABLE', lease: 'LEASE_NAME', leaseMs: 'LEASE_MS', clockSkewMarginMs: 'CLOCK_SKEW_MARGIN_MS' },
  pubSub: {
    topic: 'ORDER_EVENTS_TOPIC_ARN',
    subscriber: 'SUBSCRIBER_NAME',
    checkpoints: 'SUBSCRIBER_CHECKPOINTS_TABLE',
    queueUrl: 'SUBSCRIBER_QUEUE_URL',
    retryBackoffSeconds: 'SUBSCRIBER_RETRY_BACKOFF_SECONDS',
    deadLetterQueueUrl: 'SUBSCRIBER_DEAD_LETTER_QUEUE_URL',
  },
  strangler: {
    routes: 'STRANGLER_ROUTES',
    routingTable: 'ROUTING_TABLE',
    shadowFunction: 'SHADOW_FUNCTION',
    shadowComparisons: 'SHADOW_COMPARISONS_TABLE',
    legacyUrl: 'LEGACY_URL',
    apiName: 'API_NAME',
    apiStage: 'API_STAGE',
    routerService: 'ROUTER_SERVICE_NAME',
  },
  legacyCapture: { turnMs: 'CAPTURE_TURN_MS', pollMs: 'CAPTURE_POLL_MS', overlapMs: 'CAPTURE_OVERLAP_MS' },
  notifications: { table: 'NOTIFICATIONS_TABLE' },
  auditLog: { table: 'AUDIT_LOG_TABLE' },
  payments: { timeoutMs: 'PAYMENT_TIMEOUT_MS', reconcileAfterMs: 'PAYMENT_RECONCILE_AFTER_MS' },
  ops: { observedQueues: 'OBSERVED_QUEUES', faultTargets: 'FAULT_TARGETS' },
  deployment: { stage: 'EIGHTFOLD_STAGE', version: 'EIGHTFOLD_VERSION' },
  api: { cursorKeySecret: 'CURSOR_KEY_SECRET' },
  identity: { issuer: 'TOKEN_ISSUER', audience: 'TOKEN_AUDIENCE', operatorGroup: 'OPERATOR_GROUP', operatorRoutes: 'OPERATOR_ROUTES' },
  faults: { table: 'FAULTS_TABLE' },
  standIns: {
    legacyOrders: 'LEGACY_ORDERS_TABLE',
    legacyCustomers: 'LEGACY_CUSTOMERS_TABLE',
    charges: 'CHARGES_TABLE',
    apiTokenSecret: 'API_TOKEN_SECRET',
  },
} as const;
