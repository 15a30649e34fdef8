import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type RowBatch, RowWriter } from './rows.js';
import { sqliteSchema } from './schema.js';

/** A batch with only identifier, custody and track rows (no events: the tree size stays 0). */
function batch(identifiers: unknown[], custody: unknown[], track: unknown[]): RowBatch {
  return {
    expectedSize: 0,
    eventCount: 0,
    documents: [],
    parties: [],
    locations: [],
    events: [],
    identifiers,
    createdLots: [],
    updatedLots: [],
    links: [],
    custody,
    track,
    tiles: [],
    guardOutbox: [],
    logEvents: false,
  };
}

describe('RowWriter', () => {
  // 32 rows go in one multi-row INSERT: around and across that, every row lands exactly once, and a row
  // repeated in the same statement is ignored as it is when rows go one at a time.
  for (const n of [0, 1, 31, 32, 33, 64, 65, 100]) {
    it(`writes ${n} rows of each narrow table, repeats ignored`, () => {
      const db = new Database(':memory:');
      db.exec(sqliteSchema);
      const identifiers: unknown[] = [];
      const custody: unknown[] = [];
      const track: unknown[] = [];
      for (let i = 0; i < n; i++) {
        // Every seventh row repeats the one before it.
        const k = i % 7 === 6 ? i - 1 : i;
        identifiers.push(`urn:epc:id:sgtin:0614141.107346.${k}`, 'e', k);
        custody.push(`lot-${k}`, `party-${k % 3}`, k);
        track.push(`lot-${k}`, k, 0, 1_700_000_000_000 + k, 10 + k / 1000, 20 - k / 1000);
      }
      new RowWriter(db).write(batch(identifiers, custody, track));
      const distinct = new Set(Array.from({ length: n }, (_, i) => (i % 7 === 6 ? i - 1 : i))).size;
      const ids = db.prepare('SELECT id, role, seq FROM event_ids ORDER BY seq').raw(true).all();
      expect(ids).toHaveLength(distinct);
      expect(ids).toEqual(
        [...new Set(identifiers.filter((_, i) => i % 3 === 2))].map((k) => [
          `urn:epc:id:sgtin:0614141.107346.${k}`,
          'e',
          k,
        ]),
      );
      expect(db.prepare('SELECT count(*) FROM custody').pluck().get()).toBe(distinct);
      const lastTrack = db
        .prepare('SELECT lot, seq, lat FROM track ORDER BY seq DESC LIMIT 1')
        .raw(true)
        .get();
      if (n > 0) {
        const k = (n - 1) % 7 === 6 ? n - 2 : n - 1;
        expect(lastTrack).toEqual([`lot-${k}`, k, 10 + k / 1000]);
      }
      db.close();
    });
  }
});
