import { createHash } from 'node:crypto';
import pg from 'pg';
import { Problem } from '../../core/errors.js';
import type { Lot, LotHeader } from '../../domain/lot.js';
import type { Location, Party } from '../../domain/party.js';
import {
  buildEventQuery,
  canonicalRow,
  decodeLocation,
  decodeParty,
  type EventRow,
  encodeLocation,
  encodeParty,
  eventColumns,
  eventFromRow,
  fingerprintTables,
  hashDigest,
  hashFromDigest,
  hashHex,
  type LotHeaderRow,
  type LotRow,
  lotColumns,
  lotFromRow,
  lotHeaderFacts,
  lotHeaderFactsJson,
  lotHeaderFromRow,
  lotParams,
  lotStateColumns,
  lotStateParams,
  trackOrdinals,
} from '../codec.js';
import { recordedSchemaVersion, type SchemaStatus, schemaStatusOf, storeTooNew } from '../schema-version.js';
import {
  type ApiTokenRecord,
  type CaptureDocumentRecord,
  type CheckpointRecord,
  type CustodyRecord,
  type EventQuery,
  type GenealogyLink,
  type GuardOutboxEntry,
  type StateRequest,
  type StateSnapshot,
  type Store,
  type StoredEvent,
  type TileRecord,
  type TrackPoint,
  tileKey,
  type WriteSet,
} from '../store.js';
import { postgresSchema } from './schema.js';

// BIGINT columns come back as JS numbers: every value we store is a safe integer (seq, ms, mg).
pg.types.setTypeParser(20, (value: string) => Number(value));

/** A lots row's header JSON (lotHeaderFactsJson), built in SQL from that row's facts. */
const headerFromFacts = `(SELECT json_build_array(${lotHeaderFacts.map((fact) => `f->'${fact}'`).join(', ')})::text
  FROM (SELECT lots.facts::json AS f) AS x)`;

/** Rows found by id, as a map in the caller's order of ids (the SQLite store answers in that order). */
function inCallerOrder<T>(ids: readonly string[], byId: ReadonlyMap<string, T>): Map<string, T> {
  const out = new Map<string, T>();
  for (const id of ids) {
    const found = byId.get(id);
    if (found !== undefined) out.set(id, found);
  }
  return out;
}

/** A database URL fit to print: its password taken out. */
export function withoutPassword(target: string): string {
  try {
    const url = new URL(target);
    if (url.password === '') return target;
    url.password = '';
    return url.href;
  } catch {
    // Not a URL the WHATWG parser takes (pg accepts more): named by kind only, never with its password.
    return 'the PostgreSQL database';
  }
}

/** The session advisory lock migrations take turns on ("rtmg"). */
const migrationLockKey = 0x72_74_6d_67;

/**
 * The recorded schema version, read through the connection's search path; 0 where there is no meta table (other
 * applications' tables may share the schema, so they do not make it foreign, unlike SQLite's file).
 */
async function schemaStatusWith(client: pg.PoolClient, where: string): Promise<SchemaStatus> {
  const meta = await client.query<{ found: string | null }>("SELECT to_regclass('meta')::text AS found");
  if (meta.rows[0]?.found === null || meta.rows[0]?.found === undefined) return schemaStatusOf(0);
  const row = await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'");
  return schemaStatusOf(recordedSchemaVersion(row.rows[0]?.value, where));
}

/** Lots a transaction when `lots.header` is filled for an older store. */
const lotHeaderBackfillBatch = 20_000;

/**
 * Fills `lots.header` for the lots written before the column existed: the migration from schema version 1
 * (schema-version.ts), which records that it ran. It rewrites every lot row (258,615 lots of a 1,000,000-event
 * store: 18.7 s in one transaction, 21.9 s in batches, measured 2026-12-06), so it goes in id order, a batch a
 * transaction: captures running meanwhile wait for one batch at most, and a stop in the middle loses nothing
 * done (the next start fills the rest). Each batch is reported. Exported for tests, which use small batches.
 */
export async function backfillLotHeaders(
  client: pg.PoolClient,
  report: (message: string) => void,
  batchSize = lotHeaderBackfillBatch,
): Promise<void> {
  const missing = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM lots WHERE header IS NULL',
  );
  const total = missing.rows[0]?.n ?? 0;
  if (total > 0)
    report(`writing the header column of ${total.toLocaleString('en-US')} lots (once, after an upgrade)`);
  let after = '';
  let written = 0;
  for (;;) {
    // The batch's last id comes from the server, in the column's "C" order (JavaScript's `<` is not that).
    const batch = await client.query<{ n: number; last: string | null }>(
      `WITH batch AS (SELECT id FROM lots WHERE id > $1 AND header IS NULL ORDER BY id LIMIT $2),
       done AS (UPDATE lots SET header = ${headerFromFacts} FROM batch WHERE lots.id = batch.id RETURNING lots.id)
       SELECT count(*)::int AS n, max(id) AS last FROM done`,
      [after, batchSize],
    );
    const { n, last } = batch.rows[0] ?? { n: 0, last: null };
    if (n === 0 || last === null) break;
    written += n;
    after = last;
    report(`lot headers: ${written.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`);
  }
}

/**
 * The PostgreSQL store, for when one machine's file is no longer enough. Same tables (and `lots.header`, see
 * schema.ts), same encoded text, same answers as SQLite. Each write set is one transaction whose first statement
 * locks the tree-size row, so concurrent writers (several server processes) serialise and a stale writer is
 * refused (compare-and-swap).
 * Rows are inserted with one `INSERT … SELECT FROM unnest(…)` per table to keep round trips per document low.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly schema: string | undefined;

  constructor(
    private readonly url: string,
    options: { schema?: string; max?: number } = {},
  ) {
    this.schema = options.schema;
    if (this.schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(this.schema)) {
      throw new Error(`invalid schema name ${this.schema}`);
    }
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 4,
      ...(this.schema === undefined ? {} : { options: `-c search_path=${this.schema}` }),
    });
  }

  async migrate(report: (message: string) => void = () => {}): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Processes starting together (several servers on one database) migrate one at a time: CREATE … IF NOT
      // EXISTS run at once can still fail on the catalogue's unique index, and each would backfill the same rows.
      await client.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
      try {
        const status = await schemaStatusWith(client, this.where());
        if (status.state === 'ahead') throw storeTooNew(status, this.where());
        if (this.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await client.query(postgresSchema);
        if (status.found === 1) {
          // 1 → 2: lots.header (added by the schema above) filled for the lots written before it. The meta
          // key that marked the backfill done before schema versions were read is dropped: the version says it.
          await backfillLotHeaders(client, report);
          await client.query("DELETE FROM meta WHERE key = 'lot_headers'");
        }
        await client.query(
          "UPDATE meta SET value = $1 WHERE key = 'schema_version' AND value::int < $2::int",
          [String(status.current), status.current],
        );
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [migrationLockKey]);
      }
    } finally {
      client.release();
    }
  }

  async schemaStatus(): Promise<SchemaStatus> {
    const client = await this.pool.connect();
    try {
      return await schemaStatusWith(client, this.where());
    } finally {
      client.release();
    }
  }

  /** The store as named in messages: the URL without its password, and the schema. */
  private where(): string {
    const name = withoutPassword(this.url);
    return this.schema === undefined ? name : `${name} (schema ${this.schema})`;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * The planner's statistics after a bulk load. Not VACUUM: measured on a fresh 1,000,000-event import, traces
   * after `VACUUM (ANALYZE)` ran as fast as before it (upstream p50 2.7 against 2.8 ms; p99 within the noise).
   */
  async optimize(): Promise<void> {
    await this.pool.query('ANALYZE documents, events, event_ids, lots, links, custody, track, tiles');
  }

  /** Drops the store's schema (tests and benchmarks). */
  async dropSchema(): Promise<void> {
    if (this.schema !== undefined) await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
  }

  async treeSize(): Promise<number> {
    const result = await this.pool.query<{ value: string }>("SELECT value FROM meta WHERE key = 'tree_size'");
    return Number(result.rows[0]?.value ?? 0);
  }

  async nextDocumentId(): Promise<number> {
    const result = await this.pool.query<{ next: number }>(
      'SELECT COALESCE(MAX(id), 0) + 1 AS next FROM documents',
    );
    return Number(result.rows[0]?.next ?? 1);
  }

  async loadState(request: StateRequest): Promise<StateSnapshot> {
    const [lotRows, partyRows, locationRows, hashRows, size] = await Promise.all([
      this.pool.query<LotRow & { id: string }>(`SELECT ${lotColumns} FROM lots WHERE id = ANY($1::text[])`, [
        request.lotIds,
      ]),
      this.pool.query<{ id: string; data: string }>(
        'SELECT id, data FROM parties WHERE id = ANY($1::text[])',
        [request.partyIds],
      ),
      this.pool.query<{ id: string; data: string }>(
        'SELECT id, data FROM locations WHERE id = ANY($1::text[])',
        [request.locationIds],
      ),
      this.pool.query<{ hash: Buffer; seq: number }>(
        'SELECT hash, seq FROM events WHERE hash = ANY($1::bytea[])',
        [request.eventHashes.map(hashDigest).filter((d): d is Buffer => d !== undefined)],
      ),
      this.treeSize(),
    ]);
    const tiles = await this.getTiles(request.tiles);
    return {
      treeSize: size,
      lots: new Map(lotRows.rows.map((r) => [r.id, lotFromRow(r)])),
      parties: new Map(partyRows.rows.map((r) => [r.id, decodeParty(r.data)])),
      locations: new Map(locationRows.rows.map((r) => [r.id, decodeLocation(r.data)])),
      knownHashes: new Map(hashRows.rows.map((r) => [hashFromDigest(r.hash), Number(r.seq)])),
      tiles,
    };
  }

  async append(w: WriteSet): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const sizeRow = await client.query<{ value: string }>(
        "SELECT value FROM meta WHERE key = 'tree_size' FOR UPDATE",
      );
      const size = Number(sizeRow.rows[0]?.value ?? 0);
      if (size !== w.expectedSize) {
        throw new Problem('log-conflict', `expected tree size ${w.expectedSize}, the log is at ${size}`, [], {
          expectedSize: w.expectedSize,
          treeSize: size,
        });
      }
      if (w.documents.length > 0) {
        const d = w.documents;
        await client.query(
          `INSERT INTO documents (id, received_ms, captured_by, context_json, event_count)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::int[])`,
          [
            d.map((x) => x.id),
            d.map((x) => x.receivedMs),
            d.map((x) => x.capturedBy),
            d.map((x) => x.contextJson),
            d.map((x) => x.eventCount),
          ],
        );
      }
      if (w.parties.length > 0) {
        await client.query(
          `INSERT INTO parties (id, data) SELECT * FROM unnest($1::text[], $2::text[])
           ON CONFLICT (id) DO UPDATE SET data = excluded.data`,
          [w.parties.map((p) => p.id), w.parties.map(encodeParty)],
        );
      }
      if (w.locations.length > 0) {
        await client.query(
          `INSERT INTO locations (id, party, data) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
           ON CONFLICT (id) DO UPDATE SET party = excluded.party, data = excluded.data`,
          [w.locations.map((l) => l.id), w.locations.map((l) => l.partyId), w.locations.map(encodeLocation)],
        );
      }
      if (w.events.length > 0) {
        const e = w.events;
        // The event texts (and hashes) go as one text split in SQL, not as a text[]: pg escapes every quote of
        // every element of an array literal in JavaScript, which cost more than the rest of the capture
        // (measured). JSON text never holds a raw U+001E, so it separates them safely.
        await client.query(
          `INSERT INTO events (${eventColumns}) SELECT seq, decode(hash, 'hex'), type, event_time_ms,
             record_time_ms, action, biz_step, disposition, read_point, biz_location, captured_by, document_id, json
           FROM unnest($1::bigint[], string_to_array($2::text, ','), $3::text[], $4::bigint[], $5::bigint[],
             $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[],
             string_to_array($13::text, chr(30)))
             AS u(seq, hash, type, event_time_ms, record_time_ms, action, biz_step, disposition, read_point,
               biz_location, captured_by, document_id, json)`,
          [
            e.map((x) => x.seq),
            e.map((x) => hashHex(x.hash) ?? '').join(','),
            e.map((x) => x.type),
            e.map((x) => x.eventTimeMs),
            e.map((x) => x.recordTimeMs),
            e.map((x) => x.action),
            e.map((x) => x.bizStep),
            e.map((x) => x.disposition),
            e.map((x) => x.readPoint),
            e.map((x) => x.bizLocation),
            e.map((x) => x.capturedBy),
            e.map((x) => x.documentId),
            e
              .map((x) => {
                // Only the SQLite writer thread holds texts for a write set (Store.textChannel).
                if (typeof x.json !== 'string')
                  throw new Error(`event ${x.seq}: its text is not in the write set`);
                return x.json;
              })
              .join('\u001e'),
          ],
        );
      }
      if (w.identifiers.length > 0) {
        await client.query(
          `INSERT INTO event_ids (id, role, seq) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
           ON CONFLICT DO NOTHING`,
          [w.identifiers.map((i) => i.id), w.identifiers.map((i) => i.role), w.identifiers.map((i) => i.seq)],
        );
      }
      if (w.createdLots.length > 0) {
        const rows = w.createdLots.map(lotParams);
        // Facts and headers (JSON) as one text each, split in SQL, as the event texts above.
        await client.query(
          `INSERT INTO lots (${lotColumns}, header) SELECT * FROM unnest($1::text[],
             string_to_array($2::text, chr(30)), $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[],
             $8::bigint[], string_to_array($9::text, chr(30)))`,
          [
            ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
              i === 1 ? rows.map((r) => r[1]).join('\u001e') : rows.map((r) => r[i]),
            ),
            w.createdLots.map(lotHeaderFactsJson).join('\u001e'),
          ],
        );
      }
      if (w.updatedLots.length > 0) {
        const rows = w.updatedLots.map(lotStateParams);
        await client.query(
          `UPDATE lots SET holder = u.holder, status = u.status, remaining_mg = u.remaining_mg, location = u.location,
             in_transit_to = u.in_transit_to, updated_seq = u.updated_seq
           FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[])
             AS u(id, holder, status, remaining_mg, location, in_transit_to, updated_seq)
           WHERE lots.id = u.id`,
          [6, 0, 1, 2, 3, 4, 5].map((i) => rows.map((r) => r[i])),
        );
      }
      if (w.links.length > 0) {
        await client.query(
          `INSERT INTO links (parent, child, seq, consumed_mg) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
           ON CONFLICT DO NOTHING`,
          [
            w.links.map((l) => l.parentId),
            w.links.map((l) => l.childId),
            w.links.map((l) => l.seq),
            w.links.map((l) => l.consumedMg),
          ],
        );
      }
      if (w.custody.length > 0) {
        await client.query(
          `INSERT INTO custody (lot, party, seq) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`,
          [w.custody.map((c) => c.lotId), w.custody.map((c) => c.partyId), w.custody.map((c) => c.seq)],
        );
      }
      if (w.trackPoints.length > 0) {
        const t = w.trackPoints;
        await client.query(
          `INSERT INTO track (lot, seq, n, time_ms, lat, lon) SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[],
             $4::bigint[], $5::float8[], $6::float8[]) ON CONFLICT DO NOTHING`,
          [
            t.map((p) => p.lotId),
            t.map((p) => p.seq),
            trackOrdinals(t),
            t.map((p) => p.timeMs),
            t.map((p) => p.lat),
            t.map((p) => p.lon),
          ],
        );
      }
      const tiles = w.tiles.filter(
        (tile): tile is TileRecord & { level: number } => tile.level !== 'entries',
      );
      if (tiles.length > 0) {
        await client.query(
          `INSERT INTO tiles (level, idx, width, data, nodes)
             SELECT * FROM unnest($1::int[], $2::bigint[], $3::int[], $4::bytea[], $5::bytea[])
           ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, data = excluded.data, nodes = excluded.nodes`,
          [
            tiles.map((x) => x.level),
            tiles.map((x) => x.index),
            tiles.map((x) => x.width),
            tiles.map((x) => Buffer.from(x.data)),
            tiles.map((x) => (x.nodes === undefined ? null : Buffer.from(x.nodes))),
          ],
        );
      }
      const outbox = w.guardOutbox ?? [];
      if (outbox.length > 0) {
        await client.query(
          'INSERT INTO guard_outbox (seq, record) SELECT * FROM unnest($1::bigint[], $2::text[])',
          [outbox.map((e) => e.seq), outbox.map((e) => e.record)],
        );
      }
      await client.query("UPDATE meta SET value = $1 WHERE key = 'tree_size'", [
        String(w.expectedSize + w.events.length),
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async getEvent(seq: number): Promise<StoredEvent | undefined> {
    const result = await this.pool.query<EventRow>(`SELECT ${eventColumns} FROM events WHERE seq = $1`, [
      seq,
    ]);
    const row = result.rows[0];
    return row === undefined ? undefined : eventFromRow(row);
  }

  async *eventHashPrefixes(): AsyncIterable<Uint8Array> {
    // Sixteen ranges of the hash index, each one row of hex text: a row per hash would cost far more.
    const prefixes = `SELECT string_agg(encode(substring(hash FROM 1 FOR 8), 'hex'), '') AS prefixes FROM events
      WHERE hash >= $1`;
    for (let first = 0; first < 256; first += 16) {
      const result = await this.pool.query<{ prefixes: string | null }>(
        first + 16 < 256 ? `${prefixes} AND hash < $2` : prefixes,
        first + 16 < 256 ? [Buffer.from([first]), Buffer.from([first + 16])] : [Buffer.from([first])],
      );
      const text = result.rows[0]?.prefixes;
      if (typeof text === 'string') yield Buffer.from(text, 'hex');
    }
  }

  async getEventByHash(hash: string): Promise<StoredEvent | undefined> {
    const result = await this.pool.query<EventRow>(`SELECT ${eventColumns} FROM events WHERE hash = $1`, [
      hash,
    ]);
    const row = result.rows[0];
    return row === undefined ? undefined : eventFromRow(row);
  }

  async getDocument(id: number): Promise<CaptureDocumentRecord | undefined> {
    const result = await this.pool.query<{
      id: number;
      received_ms: number;
      captured_by: string;
      context_json: string;
      event_count: number;
    }>('SELECT * FROM documents WHERE id = $1', [id]);
    const row = result.rows[0];
    return row === undefined
      ? undefined
      : {
          id: Number(row.id),
          receivedMs: Number(row.received_ms),
          capturedBy: row.captured_by,
          contextJson: row.context_json,
          eventCount: row.event_count,
        };
  }

  async queryEvents(query: EventQuery): Promise<StoredEvent[]> {
    const { sql, params } = buildEventQuery(query, (n) => `$${n}`);
    const result = await this.pool.query<EventRow>(sql, params);
    return result.rows.map(eventFromRow);
  }

  async scanEvents(fromSeq: number, limit: number): Promise<StoredEvent[]> {
    const result = await this.pool.query<EventRow>(
      `SELECT ${eventColumns} FROM events WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      [fromSeq, limit],
    );
    return result.rows.map(eventFromRow);
  }

  async getLot(id: string): Promise<Lot | undefined> {
    const result = await this.pool.query<LotRow>(`SELECT ${lotColumns} FROM lots WHERE id = $1`, [id]);
    const row = result.rows[0];
    return row === undefined ? undefined : lotFromRow(row);
  }

  async getLots(ids: readonly string[]): Promise<Map<string, Lot>> {
    const result = await this.pool.query<LotRow & { id: string }>(
      `SELECT ${lotColumns} FROM lots WHERE id = ANY($1::text[])`,
      [ids],
    );
    return inCallerOrder(ids, new Map(result.rows.map((r) => [r.id, lotFromRow(r)])));
  }

  /**
   * From the `header` column, not the facts. Parsing the facts in the server was no faster than sending them
   * whole (128 lots took 4.4 ms whole, 5.3–7.5 ms with the header fields taken out by the server, measured on a
   * 300,000-event store), and whole they were most of a trace's time.
   */
  async lotHeaders(ids: readonly string[]): Promise<Map<string, LotHeader>> {
    // A lot without a header (written by a process of an earlier version during an upgrade) has it built from
    // its facts here; COALESCE reads the facts of no other row.
    const result = await this.pool.query<LotHeaderRow>(
      `SELECT id, COALESCE(header, ${headerFromFacts}) AS facts, ${lotStateColumns} FROM lots
       WHERE id = ANY($1::text[])`,
      [ids],
    );
    return inCallerOrder(ids, new Map(result.rows.map((r) => [r.id, lotHeaderFromRow(r)])));
  }

  /**
   * One recursive query instead of one round trip a level: on a 1,000,000-event store a magnet lot's upstream
   * trace asks about ten levels. A lot reached at several depths is walked from each (UNION drops only repeats
   * of the same lot and depth), which the depth bound keeps finite.
   */
  async reachableLinks(
    root: string,
    direction: 'upstream' | 'downstream',
    depth: number,
  ): Promise<GenealogyLink[]> {
    const [from, to] = direction === 'upstream' ? ['child', 'parent'] : ['parent', 'child'];
    const result = await this.pool.query<{ parent: string; child: string; seq: string; consumed_mg: string }>(
      `WITH RECURSIVE walk(id, depth) AS (
         SELECT $1::text COLLATE "C", 0
         UNION
         SELECT l.${to}, w.depth + 1 FROM walk w JOIN links l ON l.${from} = w.id WHERE w.depth < $2
       )
       SELECT parent, child, seq, consumed_mg FROM links WHERE ${from} IN (SELECT id FROM walk)`,
      [root, depth],
    );
    return result.rows.map((r) => ({
      parentId: r.parent,
      childId: r.child,
      seq: Number(r.seq),
      consumedMg: Number(r.consumed_mg),
    }));
  }

  async links(ids: readonly string[], direction: 'upstream' | 'downstream'): Promise<GenealogyLink[]> {
    const sql =
      direction === 'upstream'
        ? 'SELECT parent, child, seq, consumed_mg FROM links WHERE child = ANY($1::text[])'
        : 'SELECT parent, child, seq, consumed_mg FROM links WHERE parent = ANY($1::text[])';
    const result = await this.pool.query<{ parent: string; child: string; seq: number; consumed_mg: number }>(
      sql,
      [ids],
    );
    // Order as the SQLite store returns them: by the given id order, then by the other end.
    const position = new Map(ids.map((id, i) => [id, i]));
    const key = (r: { parent: string; child: string }): [number, string] =>
      direction === 'upstream'
        ? [position.get(r.child) ?? 0, r.parent]
        : [position.get(r.parent) ?? 0, r.child];
    const rows = [...result.rows].sort((a, b) => {
      const [pa, sa] = key(a);
      const [pb, sb] = key(b);
      return pa - pb || (sa < sb ? -1 : sa > sb ? 1 : 0);
    });
    return rows.map((r) => ({
      parentId: r.parent,
      childId: r.child,
      seq: Number(r.seq),
      consumedMg: Number(r.consumed_mg),
    }));
  }

  async custodyOf(lotId: string): Promise<CustodyRecord[]> {
    const result = await this.pool.query<{ lot: string; party: string; seq: number }>(
      'SELECT lot, party, seq FROM custody WHERE lot = $1 ORDER BY seq, party',
      [lotId],
    );
    return result.rows.map((r) => ({ lotId: r.lot, partyId: r.party, seq: Number(r.seq) }));
  }

  async guardOutbox(): Promise<GuardOutboxEntry[]> {
    const result = await this.pool.query<{ seq: string; record: string }>(
      'SELECT seq, record FROM guard_outbox ORDER BY seq',
    );
    return result.rows.map((r) => ({ seq: Number(r.seq), record: r.record }));
  }

  async clearGuardOutbox(seqs: readonly number[]): Promise<void> {
    if (seqs.length > 0)
      await this.pool.query('DELETE FROM guard_outbox WHERE seq = ANY($1::bigint[])', [seqs]);
  }

  async heldAmong(partyId: string, lotIds: readonly string[]): Promise<Set<string>> {
    if (lotIds.length === 0) return new Set();
    const result = await this.pool.query<{ lot: string }>(
      'SELECT DISTINCT lot FROM custody WHERE party = $1 AND lot = ANY($2::text[])',
      [partyId, lotIds],
    );
    return new Set(result.rows.map((r) => r.lot));
  }

  async track(lotId: string): Promise<TrackPoint[]> {
    const result = await this.pool.query<{
      lot: string;
      seq: number;
      time_ms: number;
      lat: number;
      lon: number;
    }>('SELECT lot, seq, time_ms, lat, lon FROM track WHERE lot = $1 ORDER BY seq, n', [lotId]);
    return result.rows.map((r) => ({
      lotId: r.lot,
      seq: Number(r.seq),
      timeMs: Number(r.time_ms),
      lat: r.lat,
      lon: r.lon,
    }));
  }

  async getParty(id: string): Promise<Party | undefined> {
    const result = await this.pool.query<{ data: string }>('SELECT data FROM parties WHERE id = $1', [id]);
    const row = result.rows[0];
    return row === undefined ? undefined : decodeParty(row.data);
  }

  async listParties(): Promise<Party[]> {
    const result = await this.pool.query<{ data: string }>('SELECT data FROM parties ORDER BY id');
    return result.rows.map((r) => decodeParty(r.data));
  }

  async getLocation(id: string): Promise<Location | undefined> {
    const result = await this.pool.query<{ data: string }>('SELECT data FROM locations WHERE id = $1', [id]);
    const row = result.rows[0];
    return row === undefined ? undefined : decodeLocation(row.data);
  }

  async listLocations(): Promise<Location[]> {
    const result = await this.pool.query<{ data: string }>('SELECT data FROM locations ORDER BY id');
    return result.rows.map((r) => decodeLocation(r.data));
  }

  async putParty(party: Party): Promise<void> {
    await this.pool.query(
      'INSERT INTO parties (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data',
      [party.id, encodeParty(party)],
    );
  }

  async putLocation(location: Location): Promise<void> {
    await this.pool.query(
      'INSERT INTO locations (id, party, data) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET party = excluded.party, data = excluded.data',
      [location.id, location.partyId, encodeLocation(location)],
    );
  }

  async putToken(token: ApiTokenRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO tokens (hash, role, party_id, label, created_ms) VALUES ($1, $2, $3, $4, $5)',
      [token.hash, token.role, token.partyId, token.label, token.createdMs],
    );
  }

  async findToken(hash: string): Promise<ApiTokenRecord | undefined> {
    const result = await this.pool.query<{
      hash: string;
      role: ApiTokenRecord['role'];
      party_id: string;
      label: string;
      created_ms: number;
    }>('SELECT hash, role, party_id, label, created_ms FROM tokens WHERE hash = $1', [hash]);
    const row = result.rows[0];
    return row === undefined
      ? undefined
      : {
          hash: row.hash,
          role: row.role,
          partyId: row.party_id,
          label: row.label,
          createdMs: Number(row.created_ms),
        };
  }

  async getTile(level: number | 'entries', index: number): Promise<TileRecord | undefined> {
    if (level === 'entries') return undefined;
    const result = await this.pool.query<{ width: number; data: Buffer }>(
      'SELECT width, data FROM tiles WHERE level = $1 AND idx = $2',
      [level, index],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : { level, index, width: row.width, data: new Uint8Array(row.data) };
  }

  async getTiles(keys: readonly { level: number; index: number }[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    if (keys.length === 0) return out;
    const result = await this.pool.query<{ level: number; idx: number; data: Buffer }>(
      'SELECT t.level, t.idx, t.data FROM tiles t JOIN unnest($1::int[], $2::bigint[]) AS k(level, idx) ON t.level = k.level AND t.idx = k.idx',
      [keys.map((k) => k.level), keys.map((k) => k.index)],
    );
    for (const row of result.rows) out.set(tileKey(row.level, Number(row.idx)), new Uint8Array(row.data));
    return out;
  }

  async getTileNodes(keys: readonly { level: number; index: number }[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    if (keys.length === 0) return out;
    const result = await this.pool.query<{ level: number; idx: number; nodes: Buffer }>(
      'SELECT t.level, t.idx, t.nodes FROM tiles t JOIN unnest($1::int[], $2::bigint[]) AS k(level, idx) ON t.level = k.level AND t.idx = k.idx WHERE t.nodes IS NOT NULL',
      [keys.map((k) => k.level), keys.map((k) => k.index)],
    );
    for (const row of result.rows) out.set(tileKey(row.level, Number(row.idx)), new Uint8Array(row.nodes));
    return out;
  }

  async putCheckpoint(checkpoint: CheckpointRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO checkpoints (size, root, note, published_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (size) DO UPDATE SET note = excluded.note, published_ms = excluded.published_ms
       WHERE checkpoints.root = excluded.root`,
      [checkpoint.size, checkpoint.root, checkpoint.note, checkpoint.publishedMs],
    );
  }

  async latestCheckpoint(): Promise<CheckpointRecord | undefined> {
    const result = await this.pool.query<{ size: number; root: string; note: string; published_ms: number }>(
      'SELECT size, root, note, published_ms FROM checkpoints ORDER BY size DESC LIMIT 1',
    );
    const row = result.rows[0];
    return row === undefined
      ? undefined
      : { size: Number(row.size), root: row.root, note: row.note, publishedMs: Number(row.published_ms) };
  }

  async listCheckpoints(): Promise<CheckpointRecord[]> {
    const result = await this.pool.query<{ size: number; root: string; note: string; published_ms: number }>(
      'SELECT size, root, note, published_ms FROM checkpoints ORDER BY size',
    );
    return result.rows.map((row) => ({
      size: Number(row.size),
      root: row.root,
      note: row.note,
      publishedMs: Number(row.published_ms),
    }));
  }

  /**
   * Over what SQLite stores too: `lots.header` is PostgreSQL's own (derived from the facts), so the two stores'
   * fingerprints compare.
   */
  async fingerprint(): Promise<string> {
    const hash = createHash('sha256');
    const select: Record<string, string> = {
      lots: `SELECT ${lotColumns} FROM lots`,
    };
    for (const [table, key] of fingerprintTables) {
      hash.update(`${table}\n`);
      const result = await this.pool.query<Record<string, unknown>>(
        `${select[table] ?? `SELECT * FROM ${table}`} ORDER BY ${key}`,
      );
      for (const row of result.rows) {
        hash.update(canonicalRow(row));
        hash.update('\n');
      }
    }
    return hash.digest('hex');
  }
}
