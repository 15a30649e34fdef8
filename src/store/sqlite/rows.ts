import type Database from 'better-sqlite3';
import { Problem } from '../../core/errors.js';
import { createMerkleLogWriter } from '../../ledger/log-writer.js';
import {
  encodeLocation,
  encodeParty,
  eventColumns,
  hashFromHex,
  hashHex,
  lotColumns,
  lotParams,
  lotStateParams,
  trackOrdinals,
} from '../codec.js';
import { type EventTextShelf, textDocument } from '../event-texts.js';
import { type LogLeaf, tileKey, type WriteSet } from '../store.js';

/**
 * A write set as the SQLite statements' parameters: one flat array of column values per statement, in
 * statement order. It is what `writeRows` binds, and it is cheap to post to the writer thread: flat arrays of
 * strings and numbers clone at about a microsecond per event, nested domain objects at about twelve
 * (measured), which would cost the capture thread more than the write it hands off.
 */
export interface RowBatch {
  readonly expectedSize: number;
  readonly eventCount: number;
  /** id, received_ms, captured_by, context_json, event_count */
  readonly documents: unknown[];
  /** id, data */
  readonly parties: unknown[];
  /** id, party, data */
  readonly locations: unknown[];
  /**
   * The events table's columns, the hash as the hex of its 32-byte digest; the text (the last column) may be a
   * TextRef to a text that waits on the writer thread (src/store/event-texts.ts).
   */
  readonly events: unknown[];
  /** id, role, seq */
  readonly identifiers: unknown[];
  /** The lots table's columns. */
  readonly createdLots: unknown[];
  /** holder, status, remaining_mg, location, in_transit_to, updated_seq, id */
  readonly updatedLots: unknown[];
  /** parent, child, seq, consumed_mg */
  readonly links: unknown[];
  /** lot, party, seq */
  readonly custody: unknown[];
  /** lot, seq, n, time_ms, lat, lon */
  readonly track: unknown[];
  /** level, idx, width, data, nodes */
  readonly tiles: unknown[];
  /** seq, record */
  readonly guardOutbox: unknown[];
  /** Append the events to the Merkle log here (WriteSet.logEvents): the leaves come from the event rows. */
  readonly logEvents: boolean;
}

const widths = {
  documents: 5,
  parties: 2,
  locations: 3,
  events: 13,
  identifiers: 3,
  createdLots: 8,
  updatedLots: 7,
  links: 4,
  custody: 3,
  track: 6,
  tiles: 5,
  guardOutbox: 2,
} as const;

export function encodeRows(w: WriteSet): RowBatch {
  const documents: unknown[] = [];
  for (const d of w.documents) documents.push(d.id, d.receivedMs, d.capturedBy, d.contextJson, d.eventCount);
  const parties: unknown[] = [];
  for (const party of w.parties) parties.push(party.id, encodeParty(party));
  const locations: unknown[] = [];
  for (const l of w.locations) locations.push(l.id, l.partyId, encodeLocation(l));
  const events: unknown[] = [];
  for (const e of w.events) {
    events.push(
      e.seq,
      hashHex(e.hash) ?? '',
      e.type,
      e.eventTimeMs,
      e.recordTimeMs,
      e.action,
      e.bizStep,
      e.disposition,
      e.readPoint,
      e.bizLocation,
      e.capturedBy,
      e.documentId,
      e.json,
    );
  }
  const identifiers: unknown[] = [];
  for (const id of w.identifiers) identifiers.push(id.id, id.role, id.seq);
  const createdLots: unknown[] = [];
  for (const lot of w.createdLots) createdLots.push(...lotParams(lot));
  const updatedLots: unknown[] = [];
  for (const lot of w.updatedLots) updatedLots.push(...lotStateParams(lot));
  const links: unknown[] = [];
  for (const l of w.links) links.push(l.parentId, l.childId, l.seq, l.consumedMg);
  const custody: unknown[] = [];
  for (const c of w.custody) custody.push(c.lotId, c.partyId, c.seq);
  const track: unknown[] = [];
  const ordinals = trackOrdinals(w.trackPoints);
  w.trackPoints.forEach((p, i) => {
    track.push(p.lotId, p.seq, ordinals[i], p.timeMs, p.lat, p.lon);
  });
  const tiles: unknown[] = [];
  for (const tile of w.tiles) {
    if (tile.level === 'entries') continue;
    tiles.push(tile.level, tile.index, tile.width, tile.data, tile.nodes ?? null);
  }
  const guardOutbox: unknown[] = [];
  for (const entry of w.guardOutbox ?? []) guardOutbox.push(entry.seq, entry.record);
  return {
    expectedSize: w.expectedSize,
    eventCount: w.events.length,
    documents,
    parties,
    locations,
    events,
    identifiers,
    createdLots,
    updatedLots,
    links,
    custody,
    track,
    tiles,
    guardOutbox,
    logEvents: w.logEvents === true,
  };
}

/** SQLite binds Buffers (not bare Uint8Arrays) as BLOBs; a batch that crossed threads holds Uint8Arrays. */
function blob(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value)
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    : value;
}

const statements = {
  documents:
    'INSERT INTO documents (id, received_ms, captured_by, context_json, event_count) VALUES (?, ?, ?, ?, ?)',
  parties: 'INSERT INTO parties (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data',
  locations:
    'INSERT INTO locations (id, party, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET party = excluded.party, data = excluded.data',
  // The hash travels as hex and SQLite decodes it: no Buffer per event on either thread. The text is a string
  // or, from a prepare thread, UTF-8 bytes (src/store/event-texts.ts), stored as text either way.
  events: `INSERT INTO events (${eventColumns}) VALUES (?, unhex(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT))`,
  identifiers: 'INSERT OR IGNORE INTO event_ids (id, role, seq) VALUES (?, ?, ?)',
  createdLots: `INSERT INTO lots (${lotColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  updatedLots:
    'UPDATE lots SET holder = ?, status = ?, remaining_mg = ?, location = ?, in_transit_to = ?, updated_seq = ? WHERE id = ?',
  links: 'INSERT OR IGNORE INTO links (parent, child, seq, consumed_mg) VALUES (?, ?, ?, ?)',
  custody: 'INSERT OR IGNORE INTO custody (lot, party, seq) VALUES (?, ?, ?)',
  track: 'INSERT OR IGNORE INTO track (lot, seq, n, time_ms, lat, lon) VALUES (?, ?, ?, ?, ?, ?)',
  tiles:
    'INSERT INTO tiles (level, idx, width, data, nodes) VALUES (?, ?, ?, ?, ?) ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, data = excluded.data, nodes = excluded.nodes',
  guardOutbox: 'INSERT INTO guard_outbox (seq, record) VALUES (?, ?)',
} as const;

type Table = keyof typeof statements;

/**
 * Tables whose rows are inserted `rowsPerInsert` at a time, by one multi-row `INSERT … VALUES (…), (…)`: the
 * narrow ones, several rows an event, with no BLOB to convert. A statement run costs about a microsecond in
 * calls between JavaScript and SQLite whatever its width (binding, stepping, the result object), more than the
 * B-tree insert of a three-column row. `OR IGNORE` applies row by row, as with one row a statement.
 */
const multiRowTables: readonly Table[] = ['identifiers', 'links', 'custody', 'track'];
const rowsPerInsert = 32;

/** `statement` (an INSERT with one VALUES tuple) with `rows` tuples. */
function multiRowStatement(statement: string, rows: number): string {
  const at = statement.indexOf(' VALUES ');
  const tuple = statement.slice(at + ' VALUES '.length);
  return `${statement.slice(0, at)} VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`;
}

const order: readonly Table[] = [
  'documents',
  'parties',
  'locations',
  'events',
  'identifiers',
  'createdLots',
  'updatedLots',
  'links',
  'custody',
  'track',
  'tiles',
  'guardOutbox',
];

/** The prepared statements of `writeRows`, for one connection. */
export class RowWriter {
  private readonly prepared: Record<Table, Database.Statement<unknown[], unknown>>;
  /** The multi-row statements, for the `multiRowTables` only. */
  private readonly preparedMany: Partial<Record<Table, Database.Statement<unknown[], unknown>>>;
  private readonly readSize: Database.Statement<unknown[], unknown>;
  private readonly setSize: Database.Statement<unknown[], unknown>;
  private readonly run: Database.Transaction<(rows: RowBatch) => void>;

  private readonly getTile: Database.Statement<unknown[], unknown>;
  private readonly upsertTile: Database.Statement<unknown[], unknown>;
  /** Computes the log's tiles for a batch's leaves on this connection's thread (one per writer, for its cache). */
  private readonly log = createMerkleLogWriter();

  /** `shelf`: the texts a prepare thread sent to this thread (only the writer thread has one). */
  constructor(
    db: Database.Database,
    private readonly shelf?: EventTextShelf,
  ) {
    this.getTile = db.prepare('SELECT data FROM tiles WHERE level = ? AND idx = ?');
    this.upsertTile = db.prepare(statements.tiles);
    this.prepared = Object.fromEntries(order.map((t) => [t, db.prepare(statements[t])])) as Record<
      Table,
      Database.Statement<unknown[], unknown>
    >;
    this.preparedMany = Object.fromEntries(
      multiRowTables.map((t) => [t, db.prepare(multiRowStatement(statements[t], rowsPerInsert))]),
    );
    this.readSize = db.prepare("SELECT value FROM meta WHERE key = 'tree_size'");
    this.setSize = db.prepare("UPDATE meta SET value = ? WHERE key = 'tree_size'");
    this.run = db.transaction((rows: RowBatch) => {
      const row = this.readSize.get() as { value: string } | undefined;
      const size = row === undefined ? 0 : Number(row.value);
      if (size !== rows.expectedSize) {
        throw new Problem(
          'log-conflict',
          `expected tree size ${rows.expectedSize}, the log is at ${size}`,
          [],
          {
            expectedSize: rows.expectedSize,
            treeSize: size,
          },
        );
      }
      for (const table of order) {
        const values = rows[table];
        if (values.length === 0) continue;
        const statement = this.prepared[table];
        const width = widths[table];
        let i = 0;
        const many = this.preparedMany[table];
        if (many !== undefined) {
          const span = width * rowsPerInsert;
          for (; i + span <= values.length; i += span) many.run(values.slice(i, i + span));
        }
        const params: unknown[] = new Array(width);
        for (; i < values.length; i += width) {
          for (let j = 0; j < width; j++) params[j] = blob(values[i + j]);
          statement.run(params);
        }
      }
      if (rows.logEvents && rows.eventCount > 0) this.appendLeaves(rows);
      this.setSize.run(String(rows.expectedSize + rows.eventCount));
    });
  }

  /** The log's tiles for the batch's leaves, from the right-edge tiles as this transaction sees them. */
  private appendLeaves(rows: RowBatch): void {
    const tiles = new Map<string, Uint8Array>();
    for (const { level, index } of this.log.tilesNeeded(rows.expectedSize)) {
      const row = this.getTile.get(level, index) as { data: Buffer } | undefined;
      if (row !== undefined) tiles.set(tileKey(level, index), new Uint8Array(row.data));
    }
    // One leaf per event row: seq, record time and the hash (as hex) are columns 0, 4 and 1.
    const leaves: LogLeaf[] = [];
    const flat = rows.events;
    const width = widths.events;
    for (let i = 0; i < flat.length; i += width) {
      leaves.push({
        seq: flat[i] as number,
        recordTimeMs: flat[i + 4] as number,
        eventHash: hashFromHex(flat[i + 1] as string),
      });
    }
    for (const tile of this.log.append(rows.expectedSize, leaves, tiles)) {
      if (tile.level === 'entries') continue;
      this.upsertTile.run(tile.level, tile.index, tile.width, blob(tile.data), blob(tile.nodes ?? null));
    }
  }

  /** One transaction: compare-and-swap on the tree size, then every row. */
  write(rows: RowBatch): void {
    const named = this.takeTexts(rows);
    this.run.immediate(rows);
    // Documents are keyed in capture order, so every document up to the last one this batch names is settled
    // (written, refused, or all duplicates). Only once written: after a refused write (a log conflict) the
    // documents are decided and written again.
    if (named >= 0) this.shelf?.release(named);
  }

  /**
   * Puts in place the texts the batch names by reference, and answers the highest document key it named (-1
   * for none); without a shelf a reference is a bug, not a text.
   */
  private takeTexts(rows: RowBatch): number {
    const events = rows.events;
    const width = widths.events;
    let named = -1;
    for (let i = width - 1; i < events.length; i += width) {
      const text = events[i];
      if (typeof text === 'string') continue;
      if (this.shelf === undefined || typeof text !== 'number') {
        throw new Error(`event ${String(events[i - width + 1])}: its text is not in the write set`);
      }
      events[i] = this.shelf.text(text);
      named = Math.max(named, textDocument(text));
    }
    return named;
  }
}
