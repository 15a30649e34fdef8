import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Element } from './elements.js';
import { blendOrigin, type CountryShares, type OriginContribution, uniformOrigin } from './origin.js';

const countries = ['AU', 'CN', 'MM', 'US', 'XX'];
const someElements: Element[] = ['Nd', 'Pr', 'Dy', 'Tb'];

/** One input: one mining and one separation country, a composition over a few elements, a consumed mass. */
const contribution = fc
  .record({
    mining: fc.constantFrom(...countries),
    separation: fc.constantFrom(...countries),
    // Zero, or a real share: a few parts per billion upwards (no subnormal fractions of a milligram).
    shares: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1e-9, max: 0.3, noNaN: true })), {
      minLength: someElements.length,
      maxLength: someElements.length,
    }),
    consumedMg: fc.integer({ min: 1, max: 1e9 }),
  })
  .map(({ mining, separation, shares, consumedMg }): OriginContribution => {
    const composition = Object.fromEntries(someElements.map((e, i) => [e, shares[i] ?? 0]));
    return {
      composition,
      origin: uniformOrigin(composition, mining, separation),
      consumedMg,
      consumedElementValues: {},
    };
  });

/** The mass-weighted mining shares of one element, worked out the plain way. */
function expectedMining(inputs: readonly OriginContribution[], element: Element): Record<string, number> {
  const weights: Record<string, number> = {};
  let total = 0;
  for (const input of inputs) {
    const mass = (input.composition[element] ?? 0) * input.consumedMg;
    if (mass <= 0) continue;
    const country = Object.keys(input.origin[element]?.miningByMass ?? {})[0] as string;
    weights[country] = (weights[country] ?? 0) + mass;
    total += mass;
  }
  return Object.fromEntries(Object.entries(weights).map(([c, w]) => [c, w / total]));
}

describe('blendOrigin: the origin of a transformation’s outputs', () => {
  it('gives each element the mass-weighted shares of its inputs, summing to 1, countries in order', () => {
    fc.assert(
      fc.property(fc.array(contribution, { minLength: 1, maxLength: 6 }), (inputs) => {
        const blended = blendOrigin(inputs, undefined);
        for (const element of someElements) {
          const expected = expectedMining(inputs, element);
          const got: CountryShares | undefined = blended[element]?.miningByMass;
          if (Object.keys(expected).length === 0) {
            expect(got).toBeUndefined();
            continue;
          }
          expect(Object.keys(got ?? {})).toEqual(Object.keys(expected).sort());
          let sum = 0;
          for (const [country, share] of Object.entries(expected)) {
            expect(got?.[country]).toBeCloseTo(share, 12);
            sum += got?.[country] ?? 0;
          }
          expect(sum).toBeCloseTo(1, 12);
        }
      }),
    );
  });

  it('gives material from one country all of its share exactly, and the separating country when it separates', () => {
    const composition = { Nd: 0.2, Pr: 0.05 };
    const inputs: OriginContribution[] = [1, 2, 3].map((i) => ({
      composition,
      origin: uniformOrigin(composition, 'AU', 'MY'),
      consumedMg: 1000 * i,
      consumedElementValues: {},
    }));
    const blended = blendOrigin(inputs, undefined);
    expect(blended.Nd?.miningByMass).toEqual({ AU: 1 });
    expect(blended.Pr?.separationByMass).toEqual({ MY: 1 });
    expect(blendOrigin(inputs, 'US').Nd?.separationByMass).toEqual({ US: 1 });
  });

  it('passes the origin of an element only one input holds through exactly, and shares its maps', () => {
    const alloy = { Nd: 0.3, Fe: 0.65 };
    const blended = blendOrigin(
      [
        {
          composition: alloy,
          origin: uniformOrigin(alloy, 'CN', 'CN'),
          consumedMg: 700,
          consumedElementValues: {},
        },
        {
          composition: alloy,
          origin: uniformOrigin(alloy, 'AU', 'MY'),
          consumedMg: 300,
          consumedElementValues: {},
        },
      ],
      undefined,
    );
    const magnet: OriginContribution = {
      composition: alloy,
      origin: blended,
      consumedMg: 123_456,
      consumedElementValues: { Nd: 10 },
    };
    const motor = blendOrigin([magnet, { ...magnet, composition: { Cu: 1 }, origin: {} }], undefined);
    // Nd has a value: every map passes through; Fe has none: its value shares are its mass shares.
    expect(motor.Nd).toBe(blended.Nd);
    expect(motor.Fe?.miningByMass).toBe(blended.Fe?.miningByMass);
    expect(motor.Fe?.miningByValue).toBe(blended.Fe?.miningByMass);
    expect(motor.Nd?.miningByMass).toEqual({ AU: 0.3, CN: 0.7 });
    // A separation replaces only the separation country.
    const separated = blendOrigin([magnet], 'JP');
    expect(separated.Nd?.miningByMass).toBe(blended.Nd?.miningByMass);
    expect(separated.Nd?.separationByMass).toEqual({ JP: 1 });
  });
});
