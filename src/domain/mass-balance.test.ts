import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { elements } from './elements.js';
import type { Composition } from './lot.js';
import { checkMassBalance, elementTotals, noDeclaredLoss } from './mass-balance.js';

const side = fc.record({
  // Element shares, and now and then a key that is no element (ignored, as is a share of 0).
  composition: fc
    .dictionary(
      fc.constantFrom(...elements, 'Xx', 'oxygen'),
      fc.oneof(fc.constant(0), fc.double({ min: 1e-9, max: 1, noNaN: true })),
      { maxKeys: 8 },
    )
    .map((c) => c as Composition),
  massMg: fc.integer({ min: 1, max: 1e12 }),
});

describe('mass balance', () => {
  it('totals each element over the sides as mass × share, in side order (property)', () => {
    fc.assert(
      fc.property(fc.array(side, { maxLength: 8 }), (sides) => {
        const expected: Record<string, number> = {};
        for (const s of sides) {
          for (const element of elements) {
            const share = s.composition[element] ?? 0;
            if (share > 0) expected[element] = (expected[element] ?? 0) + share * s.massMg;
          }
        }
        const totals = elementTotals(sides);
        expect(Object.keys(totals).sort()).toEqual(Object.keys(expected).sort());
        for (const [element, mg] of Object.entries(expected)) {
          expect(totals[element as keyof typeof totals]).toBe(mg);
        }
      }),
    );
  });

  it('refuses an output that holds more of an element than its inputs gave, beyond the tolerance', () => {
    const input = { composition: { Nd: 0.3, Fe: 0.65 }, massMg: 1_000_000 };
    const balanced = checkMassBalance(
      [input],
      [{ composition: { Nd: 0.3 }, massMg: 1_000_000 }],
      noDeclaredLoss,
      0,
    );
    expect(balanced.gains).toEqual([]);
    const gained = checkMassBalance(
      [input],
      [{ composition: { Nd: 0.31 }, massMg: 1_000_000 }],
      noDeclaredLoss,
      1000,
    );
    expect(gained.gains.map((g) => g.element)).toEqual(['Nd']);
  });
});
