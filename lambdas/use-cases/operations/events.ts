export interface RecentEvent {
  readonly orderId: string;
  readonly version: number;
  readonly type: string;
  readonly eventId: string;
  readonly recordedAt: string;
}

export interface EventOpsDeps {
  /** Up to `limit` events recorded in the `lookBackMinutes` before `now`, newest first. */
  readonly recent: (options: { limit: number; now: number; lookBackMinutes: number }) => Promise<RecentEvent[]>;
  readonly now: () => number;
}

/** How far back the tail of recent events looks: the console's live view, not an audit query. */
const LOOK_BACK_MINUTES = 10;

/** The latest order events, newest first, from the audit log's index of recent ones. */
export async function recentEvents(deps: EventOpsDeps, input: { limit: number }) {
  return { events: await deps.recent({ limit: input.limit, now: deps.now(), lookBackMinutes: LOOK_BACK_MINUTES }) };
}
