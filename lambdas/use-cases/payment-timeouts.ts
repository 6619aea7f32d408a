import { isOrderDomainError, orderDecider } from '../domain/orders/index.ts';
import { handleCommand, type EventMetadata, type EventStore } from '../patterns/event-sourcing/index.ts';
import { fencedAppend, type Leadership } from '../patterns/leader-election/index.ts';

export interface PaymentTimeoutJob {
  readonly store: EventStore;
  /** Orders still PLACED (unpaid) that were placed before `placedBefore`, oldest first, from the read model. */
  readonly findUnpaid: (placedBefore: string) => AsyncIterable<string>;
  /** The table holding the fence of the protected resource. */
  readonly fenceTable: string;
  readonly timeoutMs: number;
  readonly now: () => Date;
}

export interface PaymentTimeoutReport {
  readonly cancelled: string[];
  /** Paid or cancelled since the read model said otherwise: left alone. */
  readonly skipped: string[];
  /** The lease ran low before every candidate was judged: the next leader's turn picks up the rest. */
  readonly interrupted: boolean;
}

/**
 * The coordinator's singleton work: cancel orders left unpaid past the timeout, with reason
 * PAYMENT_TIMEOUT, through the event store, every append fenced by the leader's token. The read model only
 * nominates orders; the decider judges each against the event store, so an order paid meanwhile, or
 * already cancelled by a racing coordinator, is skipped, and a stale leader's append is refused.
 */
export async function cancelUnpaidOrders(job: PaymentTimeoutJob, { lease, stillLeading }: Leadership): Promise<PaymentTimeoutReport> {
  const now = job.now();
  const metadata: EventMetadata = { correlationId: `payment-timeouts-${now.toISOString()}`, actor: `system:coordinator:${lease.holder}` };
  // The orders are the protected resource; its fence follows this lease's token sequence.
  const guard = fencedAppend({ tableName: job.fenceTable, resource: `orders@${lease.name}`, fencingToken: lease.fencingToken });
  const cancelled: string[] = [];
  const skipped: string[] = [];
  for await (const orderId of job.findUnpaid(new Date(now.getTime() - job.timeoutMs).toISOString())) {
    if (!stillLeading()) return { cancelled, skipped, interrupted: true };
    try {
      await handleCommand(
        job.store,
        orderDecider,
        orderId,
        { type: 'CancelOrder', data: { orderId, reason: 'PAYMENT_TIMEOUT' }, now: now.toISOString() },
        metadata,
        { guard },
      );
      cancelled.push(orderId);
    } catch (error) {
      if (!isOrderDomainError(error)) throw error;
      skipped.push(orderId);
    }
  }
  return { cancelled, skipped, interrupted: false };
}
