import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { ConcurrencyError, isConcurrencyError } from './errors.ts';
import type { AppendGuard, EventStore } from './event-store.ts';
import type { EventEnvelope, EventMetadata, NewEvent } from './types.ts';

/** An aggregate as pure functions (a decider): what `handleCommand` needs to know of it. */
export interface Decider<Command, Event extends NewEvent, State> {
  readonly decide: (command: Command, state: State) => Event[];
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: State;
  /** Shape version of `State`, stored with snapshots. */
  readonly stateSchemaVersion: number;
}

export interface HandleCommandOptions<State = unknown> {
  /**
   * The version the client last saw (HTTP If-Match). When set, the command applies only at that version:
   * any other version is a ConcurrencyError, never retried. @default none: load, decide and retry on conflict
   */
  readonly expectedVersion?: number;
  /** Attempts when no expectedVersion is given (load, decide, append). @default 3 */
  readonly maxAttempts?: number;
  /** First retry delay; later ones grow with decorrelated jitter. @default 20 */
  readonly initialDelayMs?: number;
  /** A condition the append must meet in the same transaction (a leader's fencing token). @default none */
  readonly guard?: AppendGuard;
  /**
   * Load and decide, but append nothing (a strangler's shadow run): the result is what the append would
   * have made, with no events stored. @default false
   */
  readonly dryRun?: boolean;
  /**
   * The stream as the caller just loaded or made it: the first attempt decides on it instead of loading
   * again (one request saved); if the stream has moved on, the append conflicts and a retry loads. @default none
   */
  readonly known?: { readonly version: number; readonly state: State };
  /** A check of the loaded state before anything is decided (who may act on the stream): it throws to refuse. @default none */
  readonly admit?: (state: State) => void;
}

export interface CommandResult<State> {
  /** The stream's version after the append (the loaded one when the decider decided nothing). */
  readonly version: number;
  /** The events appended (none in a dry run). */
  readonly events: EventEnvelope[];
  readonly state: State;
}

/**
 * Load, decide, append: the command side of event sourcing. Two requests on the happy path (one Query
 * that reads the newest snapshot and the events after it, one conditional write), one when the stream is
 * new (expected version 0). A conflict with another writer reloads and decides again, a bounded number of
 * times with jittered backoff, unless the caller pinned the version it decided on.
 */
export async function handleCommand<Command, Event extends NewEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  streamId: string,
  command: Command,
  metadata: EventMetadata,
  options: HandleCommandOptions<State> = {},
): Promise<CommandResult<State>> {
  let known = options.expectedVersion === 0 ? { version: 0, state: decider.initialState } : options.known;
  const attempt = async (): Promise<CommandResult<State>> => {
    // A stream that must not exist yet has nothing to load: decide on the initial state, and let the
    // conditional append find out if it does exist (one request instead of two). The same for a stream
    // the caller knows: only a conflict makes the next attempt load.
    const loaded = known ?? (await store.load<State, Event>(streamId, decider));
    known = undefined;
    if (options.expectedVersion !== undefined && loaded.version !== options.expectedVersion) {
      throw new ConcurrencyError(streamId, options.expectedVersion, loaded.version);
    }
    // Domain errors thrown here are not conflicts: they reach the caller at once.
    options.admit?.(loaded.state);
    const events = decider.decide(command, loaded.state);
    const state = events.reduce(decider.evolve, loaded.state);
    const newVersion = loaded.version + events.length;
    // Nothing to record (the command was already carried out, as a redelivery finds): no write at all.
    if (options.dryRun || events.length === 0) return { version: newVersion, events: [], state };
    const snapshot = store.shouldSnapshot(loaded.version, newVersion)
      ? { state, stateSchemaVersion: decider.stateSchemaVersion }
      : undefined;
    const appended = await store.append(streamId, loaded.version, events, metadata, snapshot, options.guard);
    return { version: appended.version, events: appended.events, state };
  };
  if (options.expectedVersion !== undefined) return attempt();
  const policy = retry(
    handleWhen((error) => isConcurrencyError(error)),
    {
      maxAttempts: (options.maxAttempts ?? 3) - 1,
      backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? 20, maxDelay: 1000 }),
    },
  );
  return policy.execute(attempt);
}
