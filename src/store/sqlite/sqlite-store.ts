import { createHash } from 'node:crypto';
import type { MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
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
  hashHex,
  type LotHeaderRow,
  type LotRow,
  lotColumns,
  lotFromRow,
  lotHeaderFacts,
  lotHeaderFromRow,
  lotStateColumns,
} from '../codec.js';
import type { EventTextShelf } from '../event-texts.js';
import {
  notAStore,
  recordedSchemaVersion,
  type SchemaStatus,
  schemaStatusOf,
  storeTooNew,
} from '../schema-version.js';
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
import { encodeRows, type RowBatch, RowWriter } from './rows.js';
import { sqliteSchema } from './schema.js';
import { WriterClient } from './writer-client.js';

type Statement = Database.Statement<unknown[], unknown>;

/** The `synchronous` setting of every connection that writes: NORMAL, or FULL with RARETRACE_SYNC=full. */
export function synchronousMode(): 'NORMAL' | 'FULL' {
  return process.env.RARETRACE_SYNC === 'full' ? 'FULL' : 'NORMAL';
}

/**
 * The embedded default store: one SQLite file in WAL mode, written by one process. better-sqlite3 is
 * synchronous; the async methods only satisfy the shared port.
 */
/** Lot headers: the header facts taken out of the stored facts by SQLite (one parse a row), not the whole facts. */
const lotHeadersSql = `SELECT id, json_extract(facts, ${lotHeaderFacts.map((f) => `'$.${f}'`).join(', ')}) AS facts, ${lotStateColumns} FROM lots WHERE id IN (SELECT value FROM json_each(?))`;

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  private readonly statements = new Map<string, Statement>();

  private readonly writerThread: boolean;
  private writer: WriterClient | undefined;
  private rowWriter: RowWriter | undefined;

  /**
   * `writerThread`: appends are written by a worker thread on its own connection, so that the capture thread
   * decides the next documents while the last ones are written (bulk import). Reads stay on this connection;
   * WAL mode lets them run beside the writer.
   */
  constructor(
    readonly path: string,
    options: { readonly?: boolean; writerThread?: boolean } = {},
  ) {
    this.writerThread = options.writerThread === true && path !== ':memory:';
    this.db = new Database(path, { readonly: options.readonly ?? false });
    if (options.readonly !== true) {
      // 16 KiB pages: event rows (~1 KB of JSON) and lot facts fit without overflow pages, and the B-trees are
      // shallower. Takes effect only on a new file, before the first table (WAL mode fixes the page size).
      this.db.pragma('page_size = 16384');
      this.db.pragma('journal_mode = WAL');
      // Checkpoint the WAL every 10,000 pages (160 MiB) instead of 1,000: a capture transaction dirties many
      // index pages, and checkpointing after nearly every commit doubled the cost of committing (measured).
      this.db.pragma('wal_autocheckpoint = 10000');
      // NORMAL in WAL mode is durable across process crashes (the WAL is fsynced at checkpoint); FULL would
      // also survive power loss. The log's guarantee is crash consistency, chosen via RARETRACE_SYNC.
      this.db.pragma(`synchronous = ${synchronousMode()}`);
    }
    this.db.pragma('foreign_keys = OFF');
    // A large page cache: capture inserts into several B-trees in random key order (event hashes, identifiers),
    // and at millions of events those trees outgrow a small cache. Memory is only used as the file grows.
    this.db.pragma('cache_size = -1048576');
    this.db.pragma('mmap_size = 1073741824');
  }

  private stmt(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async migrate(): Promise<void> {
    const status = await this.schemaStatus();
    if (status.state === 'ahead') throw storeTooNew(status, this.path);
    // One transaction: a store is either left as it was or brought up to the current version. Version 2 made
    // no change here (schema-version.ts), so bringing a version-1 store up is recording the version.
    this.db.transaction(() => {
      this.db.exec(sqliteSchema);
      this.db
        .prepare("UPDATE meta SET value = ? WHERE key = 'schema_version' AND CAST(value AS INTEGER) < ?")
        .run(String(status.current), status.current);
    })();
  }

  async schemaStatus(): Promise<SchemaStatus> {
    const tables = this.db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
      )
      .pluck()
      .all() as string[];
    if (!tables.includes('meta')) {
      // An empty file is a store to be; a database with tables of its own is somebody else's.
      if (tables.length === 0) return schemaStatusOf(0);
      throw notAStore(
        this.path,
        `it holds tables (${tables.slice(0, 5).join(', ')}) but no raretrace meta table`,
      );
    }
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      | { value: string }
      | undefined;
    return schemaStatusOf(recordedSchemaVersion(row?.value, this.path));
  }

  async optimize(): Promise<void> {
    this.db.pragma('optimize');
    // And move the load out of the WAL into the database file, so that readers find it there (a load on this
    // connection leaves up to 10,000 pages in the WAL until the next checkpoint). Another connection still
    // reading makes this a partial checkpoint, which is harmless.
    if (!this.db.readonly) this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async close(): Promise<void> {
    await this.writer?.close();
    this.writer = undefined;
    this.db.close();
  }

  treeSizeSync(): number {
    const row = this.stmt("SELECT value FROM meta WHERE key = 'tree_size'").get() as
      | { value: string }
      | undefined;
    return row === undefined ? 0 : Number(row.value);
  }

  async treeSize(): Promise<number> {
    return this.treeSizeSync();
  }

  *eventHashPrefixes(): Iterable<Uint8Array> {
    // Sixteen ranges of the hash index, each read as one hex text: a row per hash cost about 1.5 µs (a
    // Buffer each), this 0.3–0.6 µs with the filter's own work (1,000,000 hashes: 1.5 s against 0.3–0.6 s,
    // measured).
    const prefixes = "SELECT group_concat(hex(substr(hash, 1, 8)), '') FROM events WHERE hash >= ?";
    const inRange = this.stmt(`${prefixes} AND hash < ?`).pluck(true);
    const last = this.stmt(prefixes).pluck(true);
    for (let first = 0; first < 256; first += 16) {
      const text = (
        first + 16 < 256
          ? inRange.get(Buffer.from([first]), Buffer.from([first + 16]))
          : last.get(Buffer.from([first]))
      ) as string | null;
      if (text !== null) yield Buffer.from(text, 'hex');
    }
  }

  async nextDocumentId(): Promise<number> {
    const row = this.stmt('SELECT COALESCE(MAX(id), 0) + 1 AS next FROM documents').get() as { next: number };
    return row.next;
  }

  async loadState(request: StateRequest): Promise<StateSnapshot> {
    const lots = this.lotsById(request.lotIds);
    const parties = new Map<string, Party>();
    const getParty = this.stmt('SELECT data FROM parties WHERE id = ?');
    for (const id of request.partyIds) {
      const row = getParty.get(id) as { data: string } | undefined;
      if (row !== undefined) parties.set(id, decodeParty(row.data));
    }
    const locations = new Map<string, Location>();
    const getLocation = this.stmt('SELECT data FROM locations WHERE id = ?');
    for (const id of request.locationIds) {
      const row = getLocation.get(id) as { data: string } | undefined;
      if (row !== undefined) locations.set(id, decodeLocation(row.data));
    }
    const knownHashes = new Map<string, number>();
    // One query for all of a document's hashes: a thousand point lookups cost several times more in calls
    // between JavaScript and SQLite than in the index (measured on bulk import).
    const byDigest = new Map<string, string>();
    for (const hash of request.eventHashes) {
      const hex = hashHex(hash);
      if (hex !== undefined) byDigest.set(hex, hash);
    }
    if (byDigest.size > 0) {
      const rows = this.stmt(
        'SELECT lower(hex(hash)) AS hex, seq FROM events WHERE hash IN (SELECT unhex(value) FROM json_each(?))',
      ).all(JSON.stringify([...byDigest.keys()])) as { hex: string; seq: number }[];
      for (const row of rows) {
        const hash = byDigest.get(row.hex);
        if (hash !== undefined) knownHashes.set(hash, row.seq);
      }
    }
    const tiles = new Map<string, Uint8Array>();
    const getTile = this.stmt('SELECT data FROM tiles WHERE level = ? AND idx = ?');
    for (const { level, index } of request.tiles) {
      const row = getTile.get(level, index) as { data: Buffer } | undefined;
      if (row !== undefined) tiles.set(tileKey(level, index), new Uint8Array(row.data));
    }
    return { treeSize: this.treeSizeSync(), lots, parties, locations, knownHashes, tiles };
  }

  /** With a writer thread, that thread also computes the log's tiles (WriteSet.leaves). */
  get computesTiles(): boolean {
    return this.writerThread;
  }

  async append(writes: WriteSet): Promise<void> {
    if (this.writerThread) {
      return this.writerClient().write(encodeRows(writes));
    }
    this.appendSync(writes);
  }

  /** One transaction: compare-and-swap on the tree size, then every row of the write set. */
  appendSync(writes: WriteSet): void {
    this.writeRows(encodeRows(writes));
  }

  /** With a writer thread: a port on which a prepare thread posts event texts to it (Store.textChannel). */
  get textChannel(): (() => MessagePort) | undefined {
    if (!this.writerThread) return undefined;
    return () => this.writerClient().textChannel();
  }

  /** The writer thread's client, started on first use. */
  private writerClient(): WriterClient {
    this.writer ??= new WriterClient(this.path);
    return this.writer;
  }

  /**
   * Writes a row batch on this connection (the writer thread calls this on its own, with the shelf of texts
   * prepare threads sent it).
   */
  writeRows(rows: RowBatch, shelf?: EventTextShelf): void {
    this.rowWriter ??= new RowWriter(this.db, shelf);
    this.rowWriter.write(rows);
  }

  async getEvent(seq: number): Promise<StoredEvent | undefined> {
    const row = this.stmt(`SELECT ${eventColumns} FROM events WHERE seq = ?`).get(seq) as
      | EventRow
      | undefined;
    return row === undefined ? undefined : eventFromRow(row);
  }

  async getEventByHash(hash: string): Promise<StoredEvent | undefined> {
    const digest = hashDigest(hash);
    if (digest === undefined) return undefined;
    const row = this.stmt(`SELECT ${eventColumns} FROM events WHERE hash = ?`).get(digest) as
      | EventRow
      | undefined;
    return row === undefined ? undefined : eventFromRow(row);
  }

  async getDocument(id: number): Promise<CaptureDocumentRecord | undefined> {
    const row = this.stmt('SELECT * FROM documents WHERE id = ?').get(id) as
      | { id: number; received_ms: number; captured_by: string; context_json: string; event_count: number }
      | undefined;
    return row === undefined
      ? undefined
      : {
          id: row.id,
          receivedMs: row.received_ms,
          capturedBy: row.captured_by,
          contextJson: row.context_json,
          eventCount: row.event_count,
        };
  }

  async queryEvents(query: EventQuery): Promise<StoredEvent[]> {
    const { sql, params } = buildEventQuery(query, () => '?');
    return (this.db.prepare(sql).all(...params) as EventRow[]).map(eventFromRow);
  }

  async scanEvents(fromSeq: number, limit: number): Promise<StoredEvent[]> {
    const rows = this.stmt(`SELECT ${eventColumns} FROM events WHERE seq >= ? ORDER BY seq LIMIT ?`).all(
      fromSeq,
      limit,
    ) as EventRow[];
    return rows.map(eventFromRow);
  }

  async getLot(id: string): Promise<Lot | undefined> {
    const row = this.stmt(`SELECT ${lotColumns} FROM lots WHERE id = ?`).get(id) as LotRow | undefined;
    return row === undefined ? undefined : lotFromRow(row);
  }

  async getLots(ids: readonly string[]): Promise<Map<string, Lot>> {
    return this.lotsById(ids);
  }

  /**
   * Lots by id, in the caller's order (as the PostgreSQL store gives them), in one query: a document's or a
   * trace's lots are many, most of a bulk import's are new and not found, and a call between JavaScript and
   * SQLite per id cost more than the index probes.
   */
  private lotsById(ids: readonly string[]): Map<string, Lot> {
    const out = new Map<string, Lot>();
    if (ids.length === 0) return out;
    const rows = this.stmt(`SELECT ${lotColumns} FROM lots WHERE id IN (SELECT value FROM json_each(?))`).all(
      JSON.stringify(ids),
    ) as (LotRow & { id: string })[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of ids) {
      const row = byId.get(id);
      if (row !== undefined) out.set(id, lotFromRow(row));
    }
    return out;
  }

  async lotHeaders(ids: readonly string[]): Promise<Map<string, LotHeader>> {
    const out = new Map<string, LotHeader>();
    if (ids.length === 0) return out;
    const rows = this.stmt(lotHeadersSql).all(JSON.stringify(ids)) as LotHeaderRow[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of ids) {
      const row = byId.get(id);
      if (row !== undefined) out.set(id, lotHeaderFromRow(row));
    }
    return out;
  }

  /**
   * One query for all the given lots (a trace asks level by level), ordered by the given ids, then by the
   * other end: a statement run per id cost a couple of microseconds of calls each.
   */
  async links(ids: readonly string[], direction: 'upstream' | 'downstream'): Promise<GenealogyLink[]> {
    if (ids.length === 0) return [];
    const sql =
      direction === 'upstream'
        ? 'SELECT l.parent, l.child, l.seq, l.consumed_mg FROM json_each(?) j JOIN links l ON l.child = j.value ORDER BY j.key, l.parent'
        : 'SELECT l.parent, l.child, l.seq, l.consumed_mg FROM json_each(?) j JOIN links l ON l.parent = j.value ORDER BY j.key, l.child';
    const rows = this.stmt(sql).all(JSON.stringify(ids)) as {
      parent: string;
      child: string;
      seq: number;
      consumed_mg: number;
    }[];
    return rows.map((row) => ({
      parentId: row.parent,
      childId: row.child,
      seq: row.seq,
      consumedMg: row.consumed_mg,
    }));
  }

  async custodyOf(lotId: string): Promise<CustodyRecord[]> {
    const rows = this.stmt('SELECT lot, party, seq FROM custody WHERE lot = ? ORDER BY seq, party').all(
      lotId,
    ) as {
      lot: string;
      party: string;
      seq: number;
    }[];
    return rows.map((r) => ({ lotId: r.lot, partyId: r.party, seq: r.seq }));
  }

  async guardOutbox(): Promise<GuardOutboxEntry[]> {
    return this.stmt('SELECT seq, record FROM guard_outbox ORDER BY seq').all() as GuardOutboxEntry[];
  }

  async clearGuardOutbox(seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    this.stmt('DELETE FROM guard_outbox WHERE seq IN (SELECT value FROM json_each(?))').run(
      JSON.stringify(seqs),
    );
  }

  async heldAmong(partyId: string, lotIds: readonly string[]): Promise<Set<string>> {
    if (lotIds.length === 0) return new Set();
    const rows = this.stmt(
      'SELECT DISTINCT lot FROM custody WHERE party = ? AND lot IN (SELECT value FROM json_each(?))',
    )
      .pluck()
      .all(partyId, JSON.stringify(lotIds)) as string[];
    return new Set(rows);
  }

  async track(lotId: string): Promise<TrackPoint[]> {
    const rows = this.stmt('SELECT lot, seq, time_ms, lat, lon FROM track WHERE lot = ? ORDER BY seq, n').all(
      lotId,
    ) as { lot: string; seq: number; time_ms: number; lat: number; lon: number }[];
    return rows.map((r) => ({ lotId: r.lot, seq: r.seq, timeMs: r.time_ms, lat: r.lat, lon: r.lon }));
  }

  async getParty(id: string): Promise<Party | undefined> {
    const row = this.stmt('SELECT data FROM parties WHERE id = ?').get(id) as { data: string } | undefined;
    return row === undefined ? undefined : decodeParty(row.data);
  }

  async listParties(): Promise<Party[]> {
    return (this.stmt('SELECT data FROM parties ORDER BY id').all() as { data: string }[]).map((r) =>
      decodeParty(r.data),
    );
  }

  async getLocation(id: string): Promise<Location | undefined> {
    const row = this.stmt('SELECT data FROM locations WHERE id = ?').get(id) as { data: string } | undefined;
    return row === undefined ? undefined : decodeLocation(row.data);
  }

  async listLocations(): Promise<Location[]> {
    return (this.stmt('SELECT data FROM locations ORDER BY id').all() as { data: string }[]).map((r) =>
      decodeLocation(r.data),
    );
  }

  async putParty(party: Party): Promise<void> {
    this.stmt(
      'INSERT INTO parties (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data',
    ).run(party.id, encodeParty(party));
  }

  async putLocation(location: Location): Promise<void> {
    this.stmt(
      'INSERT INTO locations (id, party, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET party = excluded.party, data = excluded.data',
    ).run(location.id, location.partyId, encodeLocation(location));
  }

  async putToken(token: ApiTokenRecord): Promise<void> {
    this.stmt('INSERT INTO tokens (hash, role, party_id, label, created_ms) VALUES (?, ?, ?, ?, ?)').run(
      token.hash,
      token.role,
      token.partyId,
      token.label,
      token.createdMs,
    );
  }

  async findToken(hash: string): Promise<ApiTokenRecord | undefined> {
    const row = this.stmt('SELECT hash, role, party_id, label, created_ms FROM tokens WHERE hash = ?').get(
      hash,
    ) as
      | { hash: string; role: ApiTokenRecord['role']; party_id: string; label: string; created_ms: number }
      | undefined;
    return row === undefined
      ? undefined
      : {
          hash: row.hash,
          role: row.role,
          partyId: row.party_id,
          label: row.label,
          createdMs: row.created_ms,
        };
  }

  async getTile(level: number | 'entries', index: number): Promise<TileRecord | undefined> {
    if (level === 'entries') return undefined;
    const row = this.stmt('SELECT width, data FROM tiles WHERE level = ? AND idx = ?').get(level, index) as
      | { width: number; data: Buffer }
      | undefined;
    return row === undefined ? undefined : { level, index, width: row.width, data: new Uint8Array(row.data) };
  }

  async getTiles(keys: readonly { level: number; index: number }[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const get = this.stmt('SELECT data FROM tiles WHERE level = ? AND idx = ?');
    for (const { level, index } of keys) {
      const row = get.get(level, index) as { data: Buffer } | undefined;
      if (row !== undefined) out.set(tileKey(level, index), new Uint8Array(row.data));
    }
    return out;
  }

  async getTileNodes(keys: readonly { level: number; index: number }[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const get = this.stmt('SELECT nodes FROM tiles WHERE level = ? AND idx = ? AND nodes IS NOT NULL');
    for (const { level, index } of keys) {
      const row = get.get(level, index) as { nodes: Buffer } | undefined;
      if (row !== undefined) out.set(tileKey(level, index), new Uint8Array(row.nodes));
    }
    return out;
  }

  async putCheckpoint(checkpoint: CheckpointRecord): Promise<void> {
    this.stmt(
      'INSERT INTO checkpoints (size, root, note, published_ms) VALUES (?, ?, ?, ?) ON CONFLICT (size) DO UPDATE SET note = excluded.note, published_ms = excluded.published_ms WHERE checkpoints.root = excluded.root',
    ).run(checkpoint.size, checkpoint.root, checkpoint.note, checkpoint.publishedMs);
  }

  async latestCheckpoint(): Promise<CheckpointRecord | undefined> {
    const row = this.stmt(
      'SELECT size, root, note, published_ms FROM checkpoints ORDER BY size DESC LIMIT 1',
    ).get() as { size: number; root: string; note: string; published_ms: number } | undefined;
    return row === undefined
      ? undefined
      : { size: row.size, root: row.root, note: row.note, publishedMs: row.published_ms };
  }

  async listCheckpoints(): Promise<CheckpointRecord[]> {
    const rows = this.stmt('SELECT size, root, note, published_ms FROM checkpoints ORDER BY size').all() as {
      size: number;
      root: string;
      note: string;
      published_ms: number;
    }[];
    return rows.map((row) => ({
      size: row.size,
      root: row.root,
      note: row.note,
      publishedMs: row.published_ms,
    }));
  }

  async fingerprint(): Promise<string> {
    const hash = createHash('sha256');
    for (const [table, key] of fingerprintTables) {
      hash.update(`${table}\n`);
      for (const row of this.db.prepare(`SELECT * FROM ${table} ORDER BY ${key}`).iterate() as Iterable<
        Record<string, unknown>
      >) {
        hash.update(canonicalRow(row));
        hash.update('\n');
      }
    }
    return hash.digest('hex');
  }
}
