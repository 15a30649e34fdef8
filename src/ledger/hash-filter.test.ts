import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventHashFilter } from './hash-filter.js';

const ni = (digest: Buffer): string => `ni:///sha-256;${digest.toString('hex')}?ver=CBV2.0`;
const digestOf = (n: number): Buffer => createHash('sha256').update(String(n)).digest();

describe('event hash filter', () => {
  it('never answers "not held" for a hash it holds, added as text or as a digest prefix', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 200 }),
        (digests) => {
          const filter = new EventHashFilter(100);
          // Prefixes come from the store in chunks, back to back; the others as event hashes.
          filter.addPrefixes(
            Buffer.concat(digests.filter((_, i) => i % 2 === 0).map((d) => d.subarray(0, 8))),
          );
          digests.forEach((d, i) => {
            if (i % 2 === 1) expect(filter.add(ni(Buffer.from(d)))).toBe(true);
          });
          for (const d of digests) expect(filter.mayHold(ni(Buffer.from(d)))).toBe(true);
        },
      ),
    );
  });

  it('answers "not held" for nearly every other hash at its capacity (about 1 % false positives)', () => {
    const filter = new EventHashFilter(20_000);
    for (let i = 0; i < 20_000; i++) filter.addPrefixes(digestOf(i).subarray(0, 8));
    expect(filter.full).toBe(false);
    let positives = 0;
    for (let i = 20_000; i < 40_000; i++) if (filter.mayHold(ni(digestOf(i)))) positives += 1;
    expect(positives / 20_000).toBeLessThan(0.02);
    filter.addPrefixes(digestOf(-1).subarray(0, 8));
    expect(filter.full).toBe(true);
  });

  it('says "may hold" for what it cannot read, and will not add it', () => {
    const filter = new EventHashFilter(10);
    expect(filter.mayHold('ni:///sha-256;XYZ?ver=CBV2.0')).toBe(true);
    expect(filter.add(`ni:///sha-256;${'A'.repeat(64)}?ver=CBV2.0`)).toBe(false);
    expect(filter.size).toBe(0);
  });
});
