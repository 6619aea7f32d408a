import { describe, expect, it } from 'vitest';
import { CursorSeal, formatCursor, isInvalidCursorError, parseCursor } from '../../lambdas/kernel/cursor.ts';

const key = async () => Buffer.from('a key of the tests, not a secret');
const refused = async (opening: Promise<unknown>) => {
  const error = await opening.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isInvalidCursorError(error), String(error)).toBe(true);
};

describe('CursorSeal', () => {
  const inner = formatCursor({ customerId: 'c1', orderId: 'o9' })!;

  it('opens what it sealed, for the same list, to the inner cursor; no cursor stays none', async () => {
    const seal = new CursorSeal(key);
    const sealed = (await seal.seal('orders:c1', inner))!;
    expect(sealed.startsWith(`${inner}.`)).toBe(true);
    expect(await seal.open('orders:c1', sealed)).toBe(inner);
    expect(parseCursor(await seal.open('orders:c1', sealed))).toEqual({ customerId: 'c1', orderId: 'o9' });
    expect(await seal.seal('orders:c1', undefined)).toBeUndefined();
    expect(await seal.open('orders:c1', undefined)).toBeUndefined();
    expect(await seal.open('orders:c1', '')).toBeUndefined();
  });

  it('refuses a cursor of another list, an edited one, a made-up one, and one sealed with another key', async () => {
    const seal = new CursorSeal(key);
    const sealed = (await seal.seal('orders:c1', inner))!;
    const mac = sealed.slice(sealed.lastIndexOf('.') + 1);
    await refused(seal.open('orders:c2', sealed));
    await refused(seal.open('notifications:c1', sealed));
    await refused(seal.open('orders:c1', `${formatCursor({ customerId: 'c2' })}.${mac}`));
    // Every character of the seal counts, the last one's spare bits included.
    for (const last of ['A', 'B', 'C', 'D']) if (!sealed.endsWith(last)) await refused(seal.open('orders:c1', sealed.slice(0, -1) + last));
    await refused(seal.open('orders:c1', inner));
    await refused(seal.open('orders:c1', `.${mac}`));
    await refused(seal.open('orders:c1', 'not-ours'));
    await refused(new CursorSeal(async () => Buffer.from('another key')).open('orders:c1', sealed));
  });

  it('loads its key once, and again after a load that failed', async () => {
    let loads = 0;
    const seal = new CursorSeal(async () => {
      loads += 1;
      if (loads === 1) throw new Error('Secrets Manager unreachable');
      return key();
    });
    await expect(seal.seal('s', inner)).rejects.toThrow('unreachable');
    const sealed = await seal.seal('s', inner);
    await seal.open('s', sealed);
    await seal.seal('s', inner);
    expect(loads).toBe(2);
  });
});
