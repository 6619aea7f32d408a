/** The part of npm `dynamodb-lock-client` (which ships no types) the leader-election bench uses. */
declare module 'dynamodb-lock-client' {
  interface FailOpenOptions {
    dynamodb: unknown;
    lockTable: string;
    partitionKey: string;
    heartbeatPeriodMs?: number;
    leaseDurationMs: number;
    trustLocalTime?: boolean;
    owner?: string;
    retryCount?: number;
  }
  /** A lock as the bench uses it: its fencing token, and the timer of its heartbeats. */
  interface Lock {
    readonly fencingToken: number;
    readonly heartbeatTimeout?: NodeJS.Timeout;
  }
  interface FailOpen {
    acquireLock(id: string, callback: (error: unknown, lock: Lock) => void): void;
  }
  const DynamoDBLockClient: { FailOpen: new (options: FailOpenOptions) => FailOpen };
  export default DynamoDBLockClient;
}
