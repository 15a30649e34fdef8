import { describe, expect, it } from 'vitest';
import { isProblem, Problem } from '../src/core/errors.js';
import { generateWorld } from '../src/demo/index.js';
import { eventHash } from '../src/epcis/index.js';
import { type CaptureResult, Ledger } from '../src/ledger/capture.js';
import { operatorActor } from '../src/ledger/decide.js';
import { createMerkleLogWriter } from '../src/ledger/log-service.js';
import { PreparePool } from '../src/ledger/prepare-pool.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { document, lot, standardChain, transform } from './helpers/scenario.js';
import { freshSqlite, pgRequired, storeKinds } from './helpers/stores.js';

/**
 * Group commit: `captureBatch` commits many documents a transaction, and must leave exactly what capturing
 * them one by one leaves (every row of every table, the log's tiles included), with each refused document
 * refused whole and on its own.
 */
function ledgerFor(store: Store, prepare?: PreparePool): Ledger {
  let clock = 1_760_000_000_000;
  return new Ledger(store, {
    log: createMerkleLogWriter(),
    clock: () => clock++,
    ...(prepare === undefined ? {} : { prepare }),
  });
}

/** How many events a capture recorded; a refusal fails the test. */
function recorded(r: CaptureResult | Problem | undefined): number {
  if (r === undefined || r instanceof Problem) throw new Error(`refused: ${String(r)}`);
  return r.recorded;
}

/** How many events captures recorded together; a refusal fails the test. */
function recordedIn(results: readonly (CaptureResult | Problem)[]): number {
  return results.reduce((sum, r) => sum + recorded(r), 0);
}

/** The standard chain, a refused document in the middle of it, then a generated world. */
function documents(): { body: string; refusal?: string }[] {
  const chain = standardChain().map((d) => ({ body: JSON.stringify(d) }));
  // Consumes 20,000 kg of a 10,000 kg lot: over-consumption, refused whole.
  const overConsumption = document([
    transform(
      [{ id: lot('CONC-1'), kg: 20_000 }],
      [{ id: lot('BAD-1'), kg: 100, form: 'separated-oxide', composition: { Nd: 0.6 } }],
    ),
  ]);
  const world = [...generateWorld({ events: 2_000, seed: 'batch', eventsPerDocument: 150 })].map((d) => ({
    body: JSON.stringify(d),
  }));
  return [
    ...chain.slice(0, 2),
    { body: JSON.stringify(overConsumption), refusal: 'over' },
    { body: '{"type": "EPCISDocument", ', refusal: 'malformed' },
    ...chain.slice(2),
    // The first document again: every event in it is a duplicate of what the batch already recorded.
    chain[0] as { body: string },
    ...world,
  ];
}

describe('capture batches (group commit)', async () => {
  for (const kind of storeKinds) {
    const up = await kind.available();
    if (!up && pgRequired) throw new Error(`${kind.name} required`);
    describe.skipIf(!up)(kind.name, () => {
      it('leaves the same rows as capturing one document at a time, refusing bad documents alone', async () => {
        const docs = documents();
        const one = await kind.open();
        const many = await kind.open();
        try {
          const single = ledgerFor(one.store);
          const oneByOne: unknown[] = [];
          for (const d of docs) {
            try {
              oneByOne.push(await single.capture(d.body, operatorActor));
            } catch (error) {
              if (!isProblem(error)) throw error;
              oneByOne.push(error.kind);
            }
          }
          // Small groups, so that the batch spans several transactions.
          const batched = await ledgerFor(many.store).captureBatch(
            docs.map((d) => ({ body: d.body })),
            operatorActor,
            600,
          );
          expect(batched.map((r) => (r instanceof Problem ? r.kind : r))).toEqual(oneByOne);
          docs.forEach((d, i) => {
            expect(batched[i] instanceof Problem).toBe(d.refusal !== undefined);
          });
          expect(await many.store.fingerprint()).toBe(await one.store.fingerprint());
          expect(await many.store.treeSize()).toBe(await one.store.treeSize());
        } finally {
          await one.dispose();
          await many.dispose();
        }
      });

      it('with prepare threads, stores each event as the document wrote it, non-ASCII text included', async () => {
        // Each event's text is cut out of its document by the prepare thread (src/epcis/event-spans.ts): a
        // character of two, three or four bytes must not shift where one text ends and the next begins.
        const docs = [...generateWorld({ events: 400, seed: 'utf8', eventsPerDocument: 100 })].map((d) => {
          const doc = d as { '@context': unknown[]; epcisBody: { eventList: Record<string, unknown>[] } };
          doc['@context'] = [...doc['@context'], { ex: 'https://example.org/ns/' }];
          doc.epcisBody.eventList.forEach((event, i) => {
            event['ex:remark'] = i % 2 === 0 ? `白云鄂博 Bayan Obo ⛏ «${i}» 𝔑𝔡` : `plain ${i}`;
          });
          return { body: JSON.stringify(doc, null, 1) };
        });
        const inline = await freshSqlite();
        const threaded = await kind.open();
        const pool = new PreparePool(1);
        try {
          expect(recordedIn(await ledgerFor(inline.store).captureBatch(docs, operatorActor))).toBe(400);
          expect(recordedIn(await ledgerFor(threaded.store, pool).captureBatch(docs, operatorActor))).toBe(
            400,
          );
          const [want, got] = await Promise.all([
            inline.store.scanEvents(0, 400),
            threaded.store.scanEvents(0, 400),
          ]);
          expect(got.map((e) => e.json)).toEqual(want.map((e) => e.json));
          expect(got[0]?.json).toContain('白云鄂博 Bayan Obo ⛏ «0» 𝔑𝔡');
          expect(await threaded.store.fingerprint()).toBe(await inline.store.fingerprint());
        } finally {
          await pool.close();
          await inline.dispose();
          await threaded.dispose();
        }
      });

      it('records a repeated document once, naming the first record', async () => {
        const handle = await kind.open();
        try {
          const [first] = standardChain();
          const body = JSON.stringify(first);
          const results = await ledgerFor(handle.store).captureBatch(
            [{ body }, { body }, { body }],
            operatorActor,
          );
          const [a, b, c] = results;
          if (a instanceof Problem || b instanceof Problem || c instanceof Problem)
            throw new Error('refused');
          expect(a?.recorded).toBe(1);
          expect(b?.recorded).toBe(0);
          expect(b?.duplicates).toBe(1);
          expect(b?.outcomes[0]?.seq).toBe(a?.outcomes[0]?.seq);
          expect(c?.outcomes[0]?.status).toBe('duplicate');
          expect(await handle.store.treeSize()).toBe(1);
        } finally {
          await handle.dispose();
        }
      });

      it('with prepare threads, finds repeats through the hash filter, and events another writer recorded since', async () => {
        const handle = await kind.open();
        const pool = new PreparePool(1);
        try {
          const ledger = ledgerFor(handle.store, pool);
          const [first, second, third] = standardChain().map((d) => ({ body: JSON.stringify(d) }));
          if (first === undefined || second === undefined || third === undefined) throw new Error('chain');
          // The filter is built at once on an empty store, and holds what this ledger decides: a repeat in
          // the same batch (decided, not yet committed) is found through it too.
          const inBatch = (await ledger.captureBatch([first, second, first], operatorActor)).map(recorded);
          expect(inBatch[0]).toBeGreaterThan(0);
          expect(inBatch[1]).toBeGreaterThan(0);
          expect(inBatch[2]).toBe(0);
          expect((await ledger.captureBatch([first, second], operatorActor)).map(recorded)).toEqual([0, 0]);
          // Another ledger (another writer, as far as this one knows) records the third document.
          expect(recorded(await ledgerFor(handle.store).capture(third.body, operatorActor))).toBeGreaterThan(
            0,
          );
          const size = await handle.store.treeSize();
          const [repeat] = await ledger.captureBatch([third, first], operatorActor);
          expect(recorded(repeat)).toBe(0);
          expect(await handle.store.treeSize()).toBe(size);
          // What the filter is built from: the first 8 bytes of every recorded hash, each once.
          const chunks: Uint8Array[] = [];
          for await (const chunk of handle.store.eventHashPrefixes?.() ?? []) chunks.push(chunk);
          const prefixes = Buffer.concat(chunks);
          const got = Array.from({ length: prefixes.length / 8 }, (_, i) =>
            prefixes.subarray(i * 8, i * 8 + 8).toString('hex'),
          );
          const start = 'ni:///sha-256;'.length;
          const expected = (await handle.store.scanEvents(0, size)).map((e) =>
            e.hash.slice(start, start + 16),
          );
          expect(got.sort()).toEqual(expected.sort());
        } finally {
          await pool.close();
          await handle.dispose();
        }
      });

      it('with prepare threads on a store that has events, builds the filter mid-stream and still finds every repeat', async () => {
        const handle = await kind.open();
        const pool = new PreparePool(1);
        try {
          // One world: its first half is in the store already (another ledger wrote it), its second half is new.
          const world = [...generateWorld({ events: 1_800, seed: 'filter', eventsPerDocument: 150 })].map(
            (d) => ({
              body: JSON.stringify(d),
            }),
          );
          const half = Math.floor(world.length / 2);
          const before = world.slice(0, half);
          const during = world.slice(half);
          // Another ledger fills the store first: this one's filter is built only after an eighth of it.
          const stored = recordedIn(await ledgerFor(handle.store).captureBatch(before, operatorActor, 300));
          const ledger = ledgerFor(handle.store, pool);
          // The filter is built while the stream's first document is decided but not committed, so it must take
          // that document's hashes from the running state: its repeat at the end is found only if it did.
          const [firstNew, secondNew] = during;
          if (firstNew === undefined || secondNew === undefined || before[0] === undefined)
            throw new Error('world');
          const results = await ledger.captureBatch(
            [...during, firstNew, secondNew, before[0]],
            operatorActor,
            300,
          );
          const repeats = results.slice(during.length);
          expect(repeats.map((r) => (r instanceof Problem ? r.kind : r.recorded))).toEqual([0, 0, 0]);
          expect(await handle.store.treeSize()).toBe(stored + recordedIn(results.slice(0, during.length)));
        } finally {
          await pool.close();
          await handle.dispose();
        }
      });

      it('finds a repeat of a document committed in an earlier transaction of the same batch', async () => {
        const handle = await kind.open();
        try {
          const [first, second] = standardChain();
          const body = JSON.stringify(first);
          // One document a transaction: by the later repeats, the first is committed and dropped from the
          // batch's running state, so the repeat is found in the store.
          const sources = [body, JSON.stringify(second), body, body, body].map((b) => ({ body: b }));
          const results = await ledgerFor(handle.store).captureBatch(sources, operatorActor, 1);
          const [a, b, ...repeats] = results;
          if (a === undefined || b === undefined || a instanceof Problem || b instanceof Problem)
            throw new Error('refused');
          for (const r of repeats) {
            if (r === undefined || r instanceof Problem) throw new Error('refused');
            expect(r.recorded).toBe(0);
            expect(r.outcomes[0]).toMatchObject({ status: 'duplicate', seq: a.outcomes[0]?.seq });
          }
          expect(await handle.store.treeSize()).toBe(a.recorded + b.recorded);
        } finally {
          await handle.dispose();
        }
      });
    });
  }
});

describe('capture batches on threads: SQLite writer thread and prepare threads', () => {
  it('leave the same rows and give the same answers as the inline path', async () => {
    const docs = documents();
    const inline = await freshSqlite();
    const threaded = await freshSqlite();
    const writer = new SqliteStore(threaded.path, { writerThread: true });
    const pool = new PreparePool(2);
    try {
      const expected = await ledgerFor(inline.store).captureBatch(docs, operatorActor, 600);
      const got = await ledgerFor(writer, pool).captureBatch(docs, operatorActor, 600);
      // A refusal found on a prepare thread is the same Problem: kind, detail, and the issues naming the field.
      expect(got.map((r) => (r instanceof Problem ? { ...r.toJSON() } : r))).toEqual(
        expected.map((r) => (r instanceof Problem ? { ...r.toJSON() } : r)),
      );
      expect(await writer.fingerprint()).toBe(await inline.store.fingerprint());
    } finally {
      await pool.close();
      await writer.close();
      await inline.dispose();
      await threaded.dispose();
    }
  });

  it('store each event as the document wrote it, inline and on threads alike', async () => {
    // Indented documents: the stored text keeps the capturer's layout, which JSON.stringify would not.
    const docs = [...generateWorld({ events: 600, seed: 'texts', eventsPerDocument: 200 })].map((d) => ({
      body: JSON.stringify(d, null, 2),
    }));
    const inline = await freshSqlite();
    const threaded = await freshSqlite();
    const writer = new SqliteStore(threaded.path, { writerThread: true });
    const pool = new PreparePool(1);
    try {
      expect(recordedIn(await ledgerFor(inline.store).captureBatch(docs, operatorActor))).toBe(600);
      expect(recordedIn(await ledgerFor(writer, pool).captureBatch(docs, operatorActor))).toBe(600);
      expect(await writer.fingerprint()).toBe(await inline.store.fingerprint());
      const own = docs.flatMap(({ body }) => {
        const parsed = JSON.parse(body) as { epcisBody: { eventList: unknown[] } };
        // Each event's text in the document: the indented JSON of the event, indented as it sits in the list.
        return parsed.epcisBody.eventList.map((e) => ({
          event: e,
          text: JSON.stringify(e, null, 2).replaceAll('\n', '\n      '),
        }));
      });
      const stored = await writer.scanEvents(0, 600);
      expect(stored.map((e) => e.json)).toEqual(own.map((o) => o.text));
      expect(stored.map((e) => JSON.parse(e.json))).toEqual(own.map((o) => o.event));

      // POST /events: one event, as bytes, stored as its own text without the whitespace around it.
      const first = JSON.parse(docs[0]?.body ?? '{}') as { '@context': unknown };
      const plain = (own.map((o) => o.event) as { type: string }[]).find(
        (e) => e.type === 'AssociationEvent',
      );
      const single = JSON.stringify(
        { '@context': first['@context'], ...plain, eventTime: '2026-01-01T00:00:00.000Z' },
        null,
        '\t',
      );
      const result = await ledgerFor(inline.store).capture(Buffer.from(`\n ${single} \r\n`), operatorActor, {
        single: true,
      });
      expect(result.recorded).toBe(1);
      expect((await inline.store.scanEvents(600, 1))[0]?.json).toBe(single);
    } finally {
      await pool.close();
      await writer.close();
      await inline.dispose();
      await threaded.dispose();
    }
  });

  it('find repeats through the hash filter, and find events another writer recorded since', async () => {
    const handle = await freshSqlite();
    const mine = new SqliteStore(handle.path, { writerThread: true });
    const other = new SqliteStore(handle.path, { writerThread: true });
    const pool = new PreparePool(1);
    try {
      const ledger = ledgerFor(mine, pool);
      const [first, second, third] = standardChain().map((d) => ({ body: JSON.stringify(d) }));
      if (first === undefined || second === undefined || third === undefined) throw new Error('chain');
      // The first import builds the filter (empty store) and adds what it decides.
      const [a, b] = await ledger.captureBatch([first, second], operatorActor);
      const size = recorded(a) + recorded(b);
      // Repeats in a later stream: the filter holds these hashes, so the store is asked and names them.
      const again = await ledger.captureBatch([first, second], operatorActor);
      expect(again.map(recorded)).toEqual([0, 0]);
      // Another writer records the third document: the log moved, so this ledger's filter (which never saw
      // those hashes) must not be trusted. A repeat of it is a duplicate, not a second record.
      expect(recorded(await ledgerFor(other).capture(third.body, operatorActor))).toBeGreaterThan(0);
      const sizeWithThird = await handle.store.treeSize();
      const [repeat] = await ledger.captureBatch([third, first], operatorActor);
      expect(recorded(repeat)).toBe(0);
      expect(await handle.store.treeSize()).toBe(sizeWithThird);
      expect(sizeWithThird).toBeGreaterThan(size);
    } finally {
      await pool.close();
      await mine.close();
      await other.close();
      await handle.dispose();
    }
  });

  it('a prepare pool serves one store: a ledger on a second store with the same pool is refused', async () => {
    const one = await freshSqlite();
    const two = await freshSqlite();
    const a = new SqliteStore(one.path, { writerThread: true });
    const b = new SqliteStore(two.path, { writerThread: true });
    const pool = new PreparePool(1);
    try {
      ledgerFor(a, pool);
      ledgerFor(a, pool); // the same store again is fine
      expect(() => ledgerFor(b, pool)).toThrow(/use a pool per store/);
    } finally {
      await pool.close();
      await a.close();
      await b.close();
      await one.dispose();
      await two.dispose();
    }
  });

  it('two importers with their own writer threads on one file: conflicts are decided again, the log never forks', async () => {
    const handle = await freshSqlite();
    const a = new SqliteStore(handle.path, { writerThread: true });
    const b = new SqliteStore(handle.path, { writerThread: true });
    // With prepare threads, whose event texts wait on the writer threads: a batch refused by a conflict is
    // written again, and must find its texts still there.
    const poolA = new PreparePool(1);
    const poolB = new PreparePool(1);
    try {
      const world = (seed: string) =>
        [...generateWorld({ events: 1_500, seed, eventsPerDocument: 100 })].map((d) => ({
          body: JSON.stringify(d),
        }));
      const [ra, rb] = await Promise.all([
        ledgerFor(a, poolA).captureBatch(world('left'), operatorActor, 300),
        ledgerFor(b, poolB).captureBatch(world('right'), operatorActor, 300),
      ]);
      const recorded = [...(ra ?? []), ...(rb ?? [])].reduce(
        (sum, r) => sum + (r instanceof Problem ? 0 : r.recorded),
        0,
      );
      const size = await handle.store.treeSize();
      expect(size).toBe(recorded);
      const seqs = (await handle.store.scanEvents(0, size + 10)).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: size }, (_, i) => i));
      // Every stored text is its event's: the hash recomputed from it is the one recorded.
      for (const e of await handle.store.scanEvents(0, size)) {
        const document = await handle.store.getDocument(e.documentId);
        const context = JSON.parse(document?.contextJson ?? 'null') as Parameters<typeof eventHash>[1];
        expect(eventHash(JSON.parse(e.json) as Parameters<typeof eventHash>[0], context)).toBe(e.hash);
      }
    } finally {
      await poolA.close();
      await poolB.close();
      await a.close();
      await b.close();
      await handle.dispose();
    }
  });
});
