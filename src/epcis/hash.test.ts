import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conformanceDir } from '../core/conformance.js';
import { canonicalTimestamp, eventHash, preHashString } from './hash.js';
import { parseCaptureBody } from './parse.js';
import type { EpcisEvent } from './types.js';

const hashDir = path.join(conformanceDir(), 'epcis-hash');
const vectors = readdirSync(hashDir)
  .filter((f) => f.endsWith('.jsonld'))
  .sort();

describe('CBV 2.0 §8.9 event hash against the reference vectors (epcis-hash/)', () => {
  it('finds vectors', () => {
    expect(vectors.length).toBeGreaterThan(0);
  });

  for (const file of vectors) {
    it(file, () => {
      const input = parseCaptureBody(readFileSync(path.join(hashDir, file)));
      const expected = readFileSync(path.join(hashDir, file.replace(/\.jsonld$/, '.hashes')), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '');
      expect(input.events.length).toBe(expected.length);
      input.events.forEach((event, i) => {
        const got = eventHash(event, input.context);
        if (got !== expected[i]) {
          // The pre-hash string is what to compare with the reference implementation's `-p` output.
          expect.soft(preHashString(event, input.context), `${file} event ${i}`).toBe('(see expected hash)');
        }
        expect(got, `${file} event ${i}`).toBe(expected[i]);
      });
    });
  }
});

const ctx = [
  'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
  { ex: 'https://ns.example.com/' },
];

function txn(extra: Record<string, unknown>): EpcisEvent {
  return {
    type: 'TransactionEvent',
    eventTime: '2024-01-01T00:00:00Z',
    eventTimeZoneOffset: '+00:00',
    action: 'ADD',
    bizTransactionList: [{ type: 'po', bizTransaction: 'https://example.com/po/1' }],
    ...extra,
  } as EpcisEvent;
}

describe('pinned choices where the vectors are silent', () => {
  it('TransactionEvent with parentID and epcList: epcList first, as in the CBV 2.0 §8.9.2 table', () => {
    const pre = preHashString(
      txn({ parentID: 'urn:epc:id:sscc:4012345.0000000111', epcList: ['urn:epc:id:sgtin:4012345.011111.1'] }),
      ctx,
    );
    expect(pre).toBe(
      'eventType=TransactionEventeventTime=2024-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00' +
        'epcListepc=https://id.gs1.org/01/04012345111118/21/1' +
        'parentID=https://id.gs1.org/00/040123450000001112' +
        'action=ADD' +
        'bizTransactionListtype=https://ref.gs1.org/cbv/BTT-pobizTransaction=https://example.com/po/1',
    );
    expect(eventHash(txn({ parentID: 'urn:epc:id:sscc:4012345.0000000111', epcList: [] }), ctx)).not.toBe(
      eventHash(txn({ epcList: ['urn:epc:id:sscc:4012345.0000000111'] }), ctx),
    );
  });

  it('sensorElementList precedes the sorted group of lists, ilmd and extensions', () => {
    const pre = preHashString(
      txn({
        epcList: ['https://id.gs1.org/01/04012345111118/21/1'],
        sensorElementList: [{ sensorReport: [{ type: 'Mass', value: 1.5, uom: 'KGM' }] }],
        sourceList: [{ type: 'owning_party', source: 'https://id.gs1.org/417/4012345000009' }],
        'ex:z': 'last',
      }),
      ctx,
    );
    expect(pre.indexOf('sensorElementList')).toBeLessThan(pre.indexOf('bizTransactionList'));
    expect(pre.indexOf('bizTransactionList')).toBeLessThan(pre.indexOf('sourceList'));
    expect(pre.endsWith('{https://ns.example.com/}z=last')).toBe(true);
  });

  it('ignores recordTime, eventID, errorDeclaration and comments', () => {
    const base = txn({ epcList: ['https://id.gs1.org/01/04012345111118/21/1'] });
    const decorated = {
      ...base,
      recordTime: '2025-01-01T00:00:00Z',
      eventID: 'urn:uuid:1',
      errorDeclaration: { declarationTime: '2025-01-01T00:00:00Z' },
      'rdfs:comment': 'hello',
    } as EpcisEvent;
    expect(eventHash(decorated, ctx)).toBe(eventHash(base, ctx));
  });

  it('rounds timestamps half up at the fourth decimal and writes them in UTC', () => {
    expect(canonicalTimestamp('2023-02-02T11:04:03.1415Z')).toBe('2023-02-02T11:04:03.142Z');
    expect(canonicalTimestamp('2023-02-02T11:04:03.1425Z')).toBe('2023-02-02T11:04:03.143Z');
    expect(canonicalTimestamp('2023-12-31T23:59:59.9996+00:00')).toBe('2024-01-01T00:00:00.000Z');
    expect(canonicalTimestamp('2020-03-04T11:00:30+01:00')).toBe('2020-03-04T10:00:30.000Z');
  });

  it('returns canonical UTC timestamps as given and normalises out-of-range fields as Date arithmetic does', () => {
    expect(canonicalTimestamp('2024-02-29T23:59:59.999Z')).toBe('2024-02-29T23:59:59.999Z');
    expect(canonicalTimestamp(' 2026-01-02T01:20:24.076Z ')).toBe('2026-01-02T01:20:24.076Z');
    // Not dates: rolled over by Date.UTC, as before the fast path for canonical text existed.
    expect(canonicalTimestamp('2023-02-29T00:00:00.000Z')).toBe('2023-03-01T00:00:00.000Z');
    expect(canonicalTimestamp('1900-02-29T00:00:00.000Z')).toBe('1900-03-01T00:00:00.000Z');
    expect(canonicalTimestamp('2023-04-31T00:00:00.000Z')).toBe('2023-05-01T00:00:00.000Z');
    expect(canonicalTimestamp('2023-01-01T24:00:00.000Z')).toBe('2023-01-02T00:00:00.000Z');
    expect(canonicalTimestamp('2023-01-01t00:00:00.000z')).toBe('2023-01-01T00:00:00.000Z');
  });

  it('gives every Z timestamp with three decimals the instant its fields add up to (property)', () => {
    const two = (n: number): string => String(n).padStart(2, '0');
    fc.assert(
      fc.property(
        fc.record({
          y: fc.integer({ min: 1000, max: 9999 }),
          mo: fc.integer({ min: 0, max: 13 }),
          d: fc.integer({ min: 0, max: 32 }),
          h: fc.integer({ min: 0, max: 25 }),
          mi: fc.integer({ min: 0, max: 60 }),
          s: fc.integer({ min: 0, max: 60 }),
          ms: fc.integer({ min: 0, max: 999 }),
        }),
        ({ y, mo, d, h, mi, s, ms }) => {
          const text = `${y}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}:${two(s)}.${String(ms).padStart(3, '0')}Z`;
          const expected = new Date(Date.UTC(y, mo - 1, d, h, mi, s) + ms).toISOString();
          expect(canonicalTimestamp(text)).toBe(expected);
          // The same instant written with a zero offset hashes the same.
          expect(canonicalTimestamp(text.replace('Z', '+00:00'))).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('sorts by code point, not by UTF-16 code unit, when text holds characters above U+FFFF', () => {
    // U+FFFD is one code unit; U+1F600 is a surrogate pair (0xD83D…), which sorts first by code unit.
    const pre = preHashString(txn({ 'ex:a': ['\u{1F600}', '\uFFFD'] }), ctx);
    expect(pre.indexOf('}a=\uFFFD')).toBeGreaterThan(0);
    expect(pre.indexOf('}a=\uFFFD')).toBeLessThan(pre.indexOf('}a=\u{1F600}'));
    // Without such characters the order is the same either way.
    const ascii = preHashString(txn({ 'ex:a': ['b', 'a', 'c'] }), ctx);
    expect(ascii.indexOf('}a=a')).toBeLessThan(ascii.indexOf('}a=b'));
    expect(ascii.indexOf('}a=b')).toBeLessThan(ascii.indexOf('}a=c'));
  });

  it('orders a list of exactly two (sorted by one comparison, not a sort) as a longer list is ordered', () => {
    // epcList holds just these two values: the two-part path of the pre-hash's sort.
    const two = (epcs: string[]): string => preHashString(txn({ epcList: epcs }), ctx);
    expect(two(['urn:x:b', 'urn:x:a'])).toContain('epcListepc=urn:x:aepc=urn:x:b');
    expect(two(['urn:x:a', 'urn:x:b'])).toBe(two(['urn:x:b', 'urn:x:a']));
    // By code point: U+FFFD before U+1F600 (whose first code unit, 0xD83D, is smaller).
    expect(two(['urn:x:\u{1F600}', 'urn:x:\uFFFD'])).toContain('epcListepc=urn:x:\uFFFDepc=urn:x:\u{1F600}');
    expect(two(['urn:x:\uFFFD', 'urn:x:\u{1F600}'])).toContain('epcListepc=urn:x:\uFFFDepc=urn:x:\u{1F600}');
  });

  it('writes numbers without trailing zeros, whether given as numbers or numeric strings', () => {
    const a = preHashString(
      txn({ 'ex:n': 1250.5, quantityList: [{ epcClass: 'urn:x:y', quantity: 452.0 }] }),
      ctx,
    );
    const b = preHashString(
      txn({ 'ex:n': '1250.50', quantityList: [{ epcClass: 'urn:x:y', quantity: 452 }] }),
      ctx,
    );
    expect(a).toBe(b);
    expect(a).toContain('quantity=452');
    expect(a).toContain('{https://ns.example.com/}n=1250.5');
  });
});
