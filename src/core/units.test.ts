import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isProblem } from './errors.js';
import { massUnitsInMg, toMilligrams, toMilligramsNumber } from './units.js';

/** What a conversion gives: milligrams, or the kind of Problem that refuses it. */
function outcome(convert: () => number | bigint): number | string {
  try {
    return Number(convert());
  } catch (error) {
    if (isProblem(error)) return error.kind;
    throw error;
  }
}

describe('mass units', () => {
  it('converts whole numbers on the fast path exactly as the decimal path does, refusals included', () => {
    const units = [...Object.keys(massUnitsInMg), 'LBR', 'ONZ', 'MTR', '__proto__', 'toString'];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 1_000_000 }),
          fc.maxSafeNat(),
          fc.integer({ min: 9_007_199_254, max: 9_007_199_255 }), // KTN products around 2^53
          fc.double({ noNaN: true }),
        ),
        fc.constantFrom(...units),
        (quantity, uom) => {
          expect(outcome(() => toMilligramsNumber(quantity, uom))).toBe(
            outcome(() => toMilligrams(quantity, uom)),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('gives 0, not -0, for a zero quantity, and refuses a mass beyond the largest a lot can hold', () => {
    expect(Object.is(toMilligramsNumber(-0, 'KGM'), 0)).toBe(true);
    expect(outcome(() => toMilligramsNumber(Number.MAX_SAFE_INTEGER, 'GRM'))).toBe('quantity-out-of-range');
    expect(toMilligramsNumber(9_007_199_254, 'GRM')).toBe(9_007_199_254_000);
  });
});
