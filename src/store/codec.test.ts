import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Lot } from '../domain/lot.js';
import type { CountryShares, ElementOrigin, LotOrigin } from '../domain/origin.js';
import { encodeLotFacts, encodeOrigin, hashFromHex, hashHex } from './codec.js';

/** The definition hashHex must agree with: the digest inside `ni:///sha-256;<64 lower-case hex>?ver=CBV2.0`. */
const reference = (hash: string): string | undefined =>
  /^ni:\/\/\/sha-256;([0-9a-f]{64})\?ver=CBV2\.0$/.exec(hash)?.[1];

describe('event hash digests in the store', () => {
  it('reads back the digest of every well-formed hash (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const hex = Buffer.from(bytes).toString('hex');
        expect(hashHex(hashFromHex(hex))).toBe(hex);
      }),
    );
  });

  it('refuses what is not one, as the definition does (property)', () => {
    // A valid digest with one character replaced (often by a near miss: upper case, the next letter, a
    // separator), sometimes one character longer or shorter, under the right or a wrong prefix.
    const near = fc.constantFrom(...'0123456789abcdefABCDEFgG/:-`@'.split(''));
    const text = fc
      .record({
        bytes: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        at: fc.nat({ max: 63 }),
        c: near,
        length: fc.constantFrom(-1, 0, 0, 0, 1),
        prefix: fc.constantFrom('ni:///sha-256;', 'ni:///sha-256;', 'ni:///sha-512;'),
      })
      .map(({ bytes, at, c, length, prefix }) => {
        let d = Buffer.from(bytes).toString('hex');
        d = d.slice(0, at) + c + d.slice(at + 1);
        d = length < 0 ? d.slice(1) : length > 0 ? `${d}0` : d;
        return `${prefix}${d}?ver=CBV2.0`;
      });
    fc.assert(
      fc.property(text, (t) => {
        expect(hashHex(t)).toBe(reference(t));
      }),
      { numRuns: 3000 },
    );
    expect(hashHex(`ni:///sha-256;${'A'.repeat(64)}?ver=CBV2.0`)).toBeUndefined();
    expect(hashHex(`ni:///sha-256;${'0'.repeat(64)}?ver=CBV2.1`)).toBeUndefined();
  });
});

/** The definition encodeLotFacts must agree with: the facts in their order, written by JSON.stringify. */
const lotFacts = (lot: Lot) => ({
  id: lot.id,
  form: lot.form,
  hsCode: lot.hsCode,
  massMg: lot.massMg,
  composition: lot.composition,
  valueCents: lot.valueCents,
  elementValues: lot.elementValues,
  origin: lot.origin,
  createdSeq: lot.createdSeq,
  createdAt: lot.createdAt,
});

describe('lot facts as JSON', () => {
  // Share maps as the ledger makes them: a few reused across elements and lots (as blends and commissioned
  // lots share theirs), with shares that need every digit.
  const country = fc.constantFrom('AU', 'CN', 'MM', 'US', 'XX', 'none', 'a"b', 'é');
  const shares = fc.dictionary(country, fc.double({ min: 0, max: 1, noNaN: true }), { maxKeys: 4 });
  const elementOrigin = (pool: readonly CountryShares[]) =>
    fc
      .record({
        picks: fc.array(fc.nat({ max: pool.length - 1 }), { minLength: 4, maxLength: 4 }),
        // Some element origins are not in the shape the ledger writes: another key order, an extra key.
        shape: fc.constantFrom('canonical', 'canonical', 'reordered', 'extra'),
      })
      .map(({ picks, shape }) => {
        const [a, b, c, d] = picks.map((i) => pool[i] as CountryShares) as [
          CountryShares,
          CountryShares,
          CountryShares,
          CountryShares,
        ];
        if (shape === 'reordered') {
          return { separationByMass: b, miningByMass: a, miningByValue: c, separationByValue: d };
        }
        const o = { miningByMass: a, separationByMass: b, miningByValue: c, separationByValue: d };
        return (shape === 'extra' ? { ...o, note: 'x' } : o) as ElementOrigin;
      });
  const origin = fc
    .array(shares, { minLength: 1, maxLength: 5 })
    .chain((pool) =>
      fc.dictionary(fc.constantFrom('La', 'Ce', 'Nd', 'Pr', 'Dy', 'Tb', 'Fe'), elementOrigin(pool)),
    )
    .map((o) => o as LotOrigin);

  it('writes an origin exactly as JSON.stringify does, however its maps are shared or shaped (property)', () => {
    fc.assert(
      fc.property(origin, (o) => {
        expect(encodeOrigin(o)).toBe(JSON.stringify(o));
        // Again, now from the memo.
        expect(encodeOrigin(o)).toBe(JSON.stringify(o));
      }),
    );
  });

  it('writes the facts of a lot exactly as JSON.stringify does (property)', () => {
    fc.assert(
      fc.property(origin, fc.double({ noNaN: true }), fc.nat(), (o, valueCents, seq) => {
        const lot: Lot = {
          id: 'urn:epc:class:lgtin:4012345.011111.L1',
          form: 'metal',
          hsCode: '280530',
          massMg: 1_000_000,
          remainingMg: 10,
          composition: { Nd: 0.7, Pr: 0.3 },
          valueCents,
          elementValues: { Nd: valueCents * 0.7, Pr: valueCents * 0.3 },
          origin: o,
          holderId: 'urn:epc:id:pgln:4012345.00000',
          locationId: undefined,
          status: 'held',
          createdSeq: seq,
          updatedSeq: seq + 1,
          createdAt: 1_767_225_600_000,
        };
        expect(encodeLotFacts(lot)).toBe(JSON.stringify(lotFacts(lot)));
        expect(JSON.parse(encodeLotFacts(lot)).origin).toEqual(JSON.parse(JSON.stringify(o)));
      }),
    );
  });
});
