import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashFromHex, hashHex } from './codec.js';

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
