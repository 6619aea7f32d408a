import type { Upcasters } from '../../patterns/event-sourcing/index.ts';

/**
 * OrderPlaced v1 (2025) carried money as float dollars: `total: 12.5`, items with `unitPrice: 2.5`.
 * v2 carries integer cents (`totalCents`, `unitPriceCents`): floats cannot add up money exactly.
 */
interface OrderPlacedV1 {
  orderId: string;
  customerId: string;
  items: { sku: string; quantity: number; unitPrice: number }[];
  total: number;
  placedAt: string;
}

const toCents = (dollars: number): number => Math.round(dollars * 100);

export const orderUpcasters: Upcasters = {
  OrderPlaced: {
    1: (data) => {
      const v1 = data as OrderPlacedV1;
      return {
        orderId: v1.orderId,
        customerId: v1.customerId,
        items: v1.items.map((item) => ({ sku: item.sku, quantity: item.quantity, unitPriceCents: toCents(item.unitPrice) })),
        totalCents: toCents(v1.total),
        placedAt: v1.placedAt,
      };
    },
  },
};
