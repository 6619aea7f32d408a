/** How a lease is kept: what the contenders' client (lease.ts) and the operators' table (lease-table.ts) share. */

/** A lease as stored: one item per lease name, entry `lease`. */
export interface LeaseRecord {
  readonly name: string;
  /** Undefined when released (or never taken). */
  readonly holder?: string;
  /** Grows by one with every acquisition: the fencing token of the current (or last) holder. */
  readonly fencingToken: number;
  /** Epoch ms, by the holder's clock. */
  readonly expiresAt: number;
  readonly heartbeatAt?: number;
  readonly acquiredAt?: number;
  /** Set by an operator's step-down: this holder may no longer renew, and lets others take over first. */
  readonly steppedDown?: string;
}

/** The sort key of the leadership change a fencing token made (kept beside the lease, newest last). */
export const changeEntry = (fencingToken: number) => `change#${String(fencingToken).padStart(12, '0')}`;

/** A lease item as stored (absent: never taken). */
export function toLeaseRecord(name: string, item: Record<string, unknown> | undefined): LeaseRecord {
  return {
    name,
    holder: item?.holder as string | undefined,
    fencingToken: Number(item?.fencingToken ?? 0),
    expiresAt: Number(item?.expiresAt ?? 0),
    heartbeatAt: item?.heartbeatAt as number | undefined,
    acquiredAt: item?.acquiredAt as number | undefined,
    steppedDown: item?.steppedDown as string | undefined,
  };
}
