/**
 * The legacy monolith's catalog: what the shop sold before Eightfold, fixed data as the old system kept
 * it in its own database. Prices in cents.
 */
export interface LegacyProduct {
  readonly sku: string;
  readonly name: string;
  readonly unitPriceCents: number;
  readonly category: string;
}

export const LEGACY_CATALOG: readonly LegacyProduct[] = [
  { sku: 'LAMP', name: 'Desk lamp', unitPriceCents: 1250, category: 'home' },
  { sku: 'MUG', name: 'Stoneware mug', unitPriceCents: 900, category: 'kitchen' },
  { sku: 'BOOK-DUNE', name: 'Dune (paperback)', unitPriceCents: 999, category: 'books' },
  { sku: 'KETTLE', name: 'Electric kettle', unitPriceCents: 3450, category: 'kitchen' },
  { sku: 'CHAIR', name: 'Oak chair', unitPriceCents: 12900, category: 'home' },
];
