import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProblem } from '../src/core/errors.js';
import { limits } from '../src/core/limits.js';
import { generateWorld } from '../src/demo/index.js';
import type { LotHeader } from '../src/domain/lot.js';
import { Ledger } from '../src/ledger/capture.js';
import { operatorActor } from '../src/ledger/decide.js';
import { parseEventQuery } from '../src/ledger/event-query.js';
import { everyLot, lotsHeldBy, originSummary, traceLot } from '../src/ledger/genealogy.js';
import { createMerkleLogWriter } from '../src/ledger/log-service.js';
import { backfillLotHeaders, type PostgresStore } from '../src/store/postgres/postgres-store.js';
import type { Store, WriteSet } from '../src/store/store.js';
import { standardChain } from './helpers/scenario.js';
import {
  freshPostgres,
  freshSqlite,
  pgRequired,
  postgresAvailable,
  type TestStore,
} from './helpers/stores.js';

/**
 * The store contract: the same captures on SQLite and PostgreSQL leave identical contents (fingerprints), give
 * identical answers to the same queries, and both refuse a stale append (compare-and-swap on the tree size).
 */
const emptyWrites = (expectedSize: number): WriteSet => ({
  expectedSize,
  documents: [],
  events: [],
  identifiers: [],
  createdLots: [],
  updatedLots: [],
  links: [],
  custody: [],
  trackPoints: [],
  parties: [],
  locations: [],
  tiles: [],
});

describe('store contract: SQLite and PostgreSQL', async () => {
  const pgUp = await postgresAvailable();
  if (!pgUp && pgRequired) throw new Error('PostgreSQL required');
  let sqlite: TestStore;
  let postgres: TestStore;
  const stores = (): Store[] => [sqlite.store, postgres.store];

  beforeAll(async () => {
    if (!pgUp) return;
    sqlite = await freshSqlite();
    postgres = await freshPostgres();
    for (const store of stores()) {
      let clock = 1_760_000_000_000;
      const ledger = new Ledger(store, { log: createMerkleLogWriter(), clock: () => clock++ });
      for (const doc of standardChain()) await ledger.capture(JSON.stringify(doc), operatorActor);
      for (const doc of generateWorld({ events: 3_000, seed: 'contract', eventsPerDocument: 250 })) {
        await ledger.capture(JSON.stringify(doc), operatorActor);
      }
    }
  });
  afterAll(async () => {
    if (!pgUp) return;
    await sqlite.dispose();
    await postgres.dispose();
  });

  it.skipIf(!pgUp)('hold identical contents after the same captures', async () => {
    const [a, b] = await Promise.all(stores().map((s) => s.fingerprint()));
    expect(await sqlite.store.treeSize()).toBeGreaterThan(3_000);
    expect(a).toBe(b);
  });

  it.skipIf(!pgUp)('answer the same EPCIS queries the same way, page by page', async () => {
    const queries = [
      {},
      { eventType: 'TransformationEvent' },
      { EQ_bizStep: 'shipping', perPage: '7' },
      { EQ_bizStep: 'urn:epcglobal:cbv:bizstep:receiving' },
      { GE_eventTime: '2025-02-01T00:00:00Z', LT_eventTime: '2025-06-01T00:00:00Z' },
      { MATCH_anyEPCClass: 'urn:epc:class:lgtin:*' },
      { eventType: 'ObjectEvent,AggregationEvent', EQ_action: 'ADD' },
    ];
    for (const params of queries) {
      const { query } = parseEventQuery(params);
      const [x, y] = await Promise.all(stores().map((s) => s.queryEvents(query)));
      expect(x).toEqual(y);
      const last = x?.[x.length - 1];
      if (last !== undefined) {
        const next = { ...query, afterSeq: last.seq };
        const [p, q] = await Promise.all(stores().map((s) => s.queryEvents(next)));
        expect(p).toEqual(q);
      }
    }
  });

  it.skipIf(!pgUp)('trace and origin are identical', async () => {
    const lots = await sqlite.store.queryEvents({ eventTypes: ['TransformationEvent'], limit: 20 });
    expect(lots.length).toBeGreaterThan(0);
    for (const event of lots) {
      const output = (JSON.parse(event.json) as { outputQuantityList?: { epcClass: string }[] })
        .outputQuantityList?.[0];
      if (output === undefined) continue;
      const [l1, l2] = await Promise.all(stores().map((s) => s.getLot(output.epcClass)));
      expect(l1).toEqual(l2);
      for (const direction of ['upstream', 'downstream'] as const) {
        const [t1, t2] = await Promise.all(stores().map((s) => traceLot(s, l1!, direction, everyLot)));
        expect(t1).toEqual(t2);
      }
      expect(originSummary(l1!)).toEqual(originSummary(l2!));
    }
  });

  it.skipIf(!pgUp)(
    'show a party in a trace the lots it holds or has held, alike on both stores',
    async () => {
      const events = await sqlite.store.queryEvents({ eventTypes: ['TransformationEvent'], limit: 60 });
      const counts = { held: 0, heldBefore: 0, redacted: 0 };
      for (const event of events) {
        const output = (JSON.parse(event.json) as { outputQuantityList?: { epcClass: string }[] })
          .outputQuantityList?.[0];
        if (output === undefined) continue;
        const root = await sqlite.store.getLot(output.epcClass);
        if (root === undefined) continue;
        const party = root.holderId;
        for (const direction of ['upstream', 'downstream'] as const) {
          const [t1, t2] = await Promise.all(
            stores().map((s) => traceLot(s, root, direction, lotsHeldBy(s, party))),
          );
          expect(t2).toEqual(t1);
          // The oracle: the lot's holder, or a custody record read lot by lot.
          const headers = await sqlite.store.lotHeaders(t1!.nodes.map((n) => n.id));
          for (const node of t1!.nodes) {
            const header = headers.get(node.id);
            const holds = header?.holderId === party;
            const heldBefore =
              !holds && (await sqlite.store.custodyOf(node.id)).some((c) => c.partyId === party);
            expect(node.redacted, `${node.id} for ${party}`).toBe(!(holds || heldBefore));
            if (holds) counts.held++;
            else if (heldBefore) counts.heldBefore++;
            else counts.redacted++;
          }
        }
      }
      // Each case occurs, so the test checks all three.
      expect(counts.held).toBeGreaterThan(0);
      expect(counts.heldBefore).toBeGreaterThan(0);
      expect(counts.redacted).toBeGreaterThan(0);
      for (const store of stores()) expect(await store.heldAmong('urn:test:nobody', [])).toEqual(new Set());
    },
  );

  it.skipIf(!pgUp)('give each lot header as the lot without its composition, values and origin', async () => {
    const events = await sqlite.store.queryEvents({ eventTypes: ['TransformationEvent'], limit: 50 });
    const ids = events.flatMap(
      (event) =>
        (JSON.parse(event.json) as { outputQuantityList?: { epcClass: string }[] }).outputQuantityList?.map(
          (q) => q.epcClass,
        ) ?? [],
    );
    // Unknown ids are left out; the answer keeps the caller's order, reversed here to show it is not the table's.
    const asked = ['urn:epc:class:lgtin:0000000.000000.NONE', ...ids.reverse()];
    expect(ids.length).toBeGreaterThan(10);
    for (const store of stores()) {
      const [headers, lots] = await Promise.all([store.lotHeaders(asked), store.getLots(asked)]);
      expect([...headers.keys()]).toEqual([...lots.keys()]);
      expect([...headers.keys()]).toEqual(ids.filter((id, i) => ids.indexOf(id) === i));
      for (const [id, lot] of lots) {
        const { composition, elementValues, origin, ...header } = lot;
        expect(headers.get(id)).toEqual(header);
      }
      expect((await store.lotHeaders([])).size).toBe(0);
    }
  });

  it.skipIf(!pgUp)(
    'fill PostgreSQL lot headers for lots written before the column existed, once',
    async () => {
      const store = postgres.store as PostgresStore;
      const ids = (
        await store.pool.query<{ id: string }>('SELECT id FROM lots ORDER BY id LIMIT 300')
      ).rows.map((r) => r.id);
      expect(ids.length).toBe(300);
      const before = await store.lotHeaders(ids);
      const count = async (where: string): Promise<number> =>
        (await store.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM lots ${where}`)).rows[0]?.n ??
        -1;
      const lots = await count('');
      const all = lots.toLocaleString('en-US');
      // As a store of schema version 1: no headers.
      const forget = async (): Promise<void> => {
        await store.pool.query('UPDATE lots SET header = NULL');
        await store.pool.query("UPDATE meta SET value = '1' WHERE key = 'schema_version'");
      };
      await forget();
      // Read meanwhile, a lot without a header has it built from its facts.
      expect(await store.lotHeaders(ids)).toEqual(before);
      const reports: string[] = [];
      await store.migrate((message) => reports.push(message));
      expect(reports).toEqual([
        `writing the header column of ${all} lots (once, after an upgrade)`,
        `lot headers: ${all} of ${all}`,
      ]);
      expect(await count('WHERE header IS NULL')).toBe(0);
      expect(await store.lotHeaders(ids)).toEqual(before);
      expect(await sqlite.store.lotHeaders(ids)).toEqual(before);
      // Once done, a start does not do it again.
      await store.migrate((message) => reports.push(message));
      expect(reports.length).toBe(2);
      // In batches, each reported: every lot once, whatever the batch size.
      await forget();
      const client = await store.pool.connect();
      try {
        const batched: string[] = [];
        await backfillLotHeaders(client, (message) => batched.push(message), 97);
        expect(batched.length).toBe(1 + Math.ceil(lots / 97));
        expect(batched.at(-1)).toBe(`lot headers: ${all} of ${all}`);
      } finally {
        client.release();
      }
      expect(await count('WHERE header IS NULL')).toBe(0);
      expect(await store.lotHeaders(ids)).toEqual(before);
    },
  );

  it.skipIf(!pgUp)(
    'stop a trace at the depth limit alike, walking level by level or all at once',
    async () => {
      // A chain longer than the limit, with a shortcut that reaches lot 3 at depth 1 as well as at depth 3.
      const chain = Array.from({ length: limits.maxTraceDepth + 6 }, (_, i) => `urn:test:chain:${i}`);
      const links = chain.slice(1).map((parent, i) => ({
        parentId: parent,
        childId: chain[i] as string,
        seq: i,
        consumedMg: 1,
      }));
      links.push({ parentId: chain[3] as string, childId: chain[0] as string, seq: 99, consumedMg: 2 });
      const root: LotHeader = {
        id: chain[0] as string,
        form: 'magnet-sintered-ndfeb',
        hsCode: '850511',
        massMg: 1,
        remainingMg: 1,
        valueCents: 0,
        holderId: 'urn:test:party',
        locationId: undefined,
        status: 'held',
        createdSeq: 0,
        updatedSeq: 0,
        createdAt: 0,
      };
      const traces = [];
      for (const store of stores()) {
        await store.append({ ...emptyWrites(await store.treeSize()), links });
        traces.push(await traceLot(store, root, 'upstream', everyLot));
      }
      const [t1, t2] = traces;
      expect(t1?.truncated).toBe(true);
      // Through the shortcut lot k is at depth k - 2: lots 0 to maxTraceDepth + 2 are within the limit.
      expect(t1?.nodes.length).toBe(limits.maxTraceDepth + 3);
      expect(t1?.nodes.find((n) => n.id === chain[3])?.depth).toBe(1);
      expect(t2).toEqual(t1);
    },
  );

  it.skipIf(!pgUp)('keep guard outbox entries committed with an append until they are cleared', async () => {
    for (const store of stores()) {
      const size = await store.treeSize();
      const entries = [
        { seq: size - 1, record: '{"violations":[]}' },
        { seq: size - 2, record: 'any text: the store does not read it' },
      ];
      await store.append({ ...emptyWrites(size), guardOutbox: entries });
      expect(await store.guardOutbox()).toEqual([entries[1], entries[0]]);
      await store.clearGuardOutbox([size - 1]);
      expect(await store.guardOutbox()).toEqual([entries[1]]);
      await store.clearGuardOutbox([size - 2, size + 100]);
      expect(await store.guardOutbox()).toEqual([]);
    }
  });

  it.skipIf(!pgUp)('both refuse an append whose expected tree size is stale', async () => {
    for (const store of stores()) {
      const size = await store.treeSize();
      const before = await store.fingerprint();
      let caught: unknown;
      try {
        // Its guard outbox entry is refused with it.
        await store.append({ ...emptyWrites(size - 1), guardOutbox: [{ seq: size, record: '{}' }] });
      } catch (error) {
        caught = error;
      }
      expect(isProblem(caught) && caught.kind === 'log-conflict').toBe(true);
      expect(await store.fingerprint()).toBe(before);
    }
  });
});
