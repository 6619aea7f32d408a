/** An epoch-milliseconds time as operators read it: ISO 8601, or null for a time not set. */
export const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
