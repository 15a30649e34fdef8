import type { MessagePort } from 'node:worker_threads';
import type { Lot, LotHeader } from '../domain/lot.js';
import type { Location, Party } from '../domain/party.js';
import type { SchemaStatus } from './schema-version.js';

/**
 * The store port: the one narrow interface the ledger writes and reads through. Two implementations
 * (sqlite/, postgres/) pass the same contract suite (contract.ts) and give identical answers.
 *
 * Writes happen only through `append`, one transaction per capture document (or per batch of documents, for
 * bulk import): events, lot changes, genealogy
 * links, master data, track points, the event-id index and the log's tiles, all or nothing, guarded by a
 * compare-and-swap on the tree size so that two writers can never fork the log.
 */

/** An event as stored: its full original JSON plus the columns queries filter on. */
export interface StoredEvent {
  /** The log index (0-based), also the event's sequence number. */
  readonly seq: number;
  /** CBV 2.0 §8.9 event hash, `ni:///sha-256;…?ver=CBV2.0`. */
  readonly hash: string;
  readonly type: string;
  readonly eventTimeMs: number;
  readonly recordTimeMs: number;
  readonly action: string | null;
  readonly bizStep: string | null;
  readonly disposition: string | null;
  readonly readPoint: string | null;
  readonly bizLocation: string | null;
  /** The party whose token captured it, or `operator`. */
  readonly capturedBy: string;
  /** The capture document it arrived in (its JSON-LD context is kept there). */
  readonly documentId: number;
  /** The event exactly as received (extensions included), as JSON text. */
  readonly json: string;
}

/**
 * An event's text waiting on the store's writer thread: a prepare thread sent it there directly (bulk import on
 * SQLite, `Store.textChannel`), so the capture thread never holds it. The number says where the writer finds it
 * (`textRef` in src/store/event-texts.ts).
 */
export type TextRef = number;

/** An event as the write path hands it to the store: its text here, or where the store's writer holds it. */
export interface NewEvent extends Omit<StoredEvent, 'json'> {
  readonly json: string | TextRef;
}

/** An identifier an event names, with the role it plays, for MATCH_* queries. */
export interface EventIdentifier {
  readonly seq: number;
  readonly id: string;
  readonly role: IdentifierRole;
}

/**
 * e: epcList/childEPCs; p: parentID; i: inputEPCList; o: outputEPCList;
 * c: quantityList/childQuantityList epcClass; ci: inputQuantityList; co: outputQuantityList.
 */
export type IdentifierRole = 'e' | 'p' | 'i' | 'o' | 'c' | 'ci' | 'co';

export interface GenealogyLink {
  readonly parentId: string;
  readonly childId: string;
  readonly seq: number;
  /** Mass of the parent consumed into this transformation, mg (shared by all its outputs). */
  readonly consumedMg: number;
}

export interface TrackPoint {
  readonly lotId: string;
  readonly seq: number;
  readonly timeMs: number;
  readonly lat: number;
  readonly lon: number;
}

export interface CustodyRecord {
  readonly lotId: string;
  readonly partyId: string;
  readonly seq: number;
}

export interface CaptureDocumentRecord {
  readonly id: number;
  readonly receivedMs: number;
  readonly capturedBy: string;
  /** The document's JSON-LD @context as JSON text. */
  readonly contextJson: string;
  readonly eventCount: number;
}

/** A tlog-tiles tile: level, index, width (1..256) and its bytes (width × 32 hash bytes, or an entry bundle). */
export interface TileRecord {
  readonly level: number | 'entries';
  readonly index: number;
  readonly width: number;
  readonly data: Uint8Array;
  /** For a full tile: its 255 internal node hashes, kept so that proofs need not rehash the tile. */
  readonly nodes?: Uint8Array;
}

export interface CheckpointRecord {
  readonly size: number;
  /** Root hash, base64. */
  readonly root: string;
  /** The signed note text, cosignatures included. */
  readonly note: string;
  readonly publishedMs: number;
}

/** Everything one capture document changes, written atomically by `append`. */
/** One leaf of the Merkle log: what the tree commits to for an event (src/tlog/leaf.ts). */
export interface LogLeaf {
  readonly seq: number;
  readonly recordTimeMs: number;
  readonly eventHash: string;
}

export interface WriteSet {
  /** The tree size the writer decided against; the store refuses the append if the log has moved. */
  readonly expectedSize: number;
  /** The capture documents whose events these are (several when an import commits a batch at once). */
  readonly documents: readonly CaptureDocumentRecord[];
  readonly events: readonly NewEvent[];
  readonly identifiers: readonly EventIdentifier[];
  /** Lots created by this document, in their final state. */
  readonly createdLots: readonly Lot[];
  /** Lots that existed before and changed (only their state: holder, place, status, remaining mass). */
  readonly updatedLots: readonly Lot[];
  readonly links: readonly GenealogyLink[];
  readonly custody: readonly CustodyRecord[];
  readonly trackPoints: readonly TrackPoint[];
  readonly parties: readonly Party[];
  readonly locations: readonly Location[];
  /** Tiles changed by appending these events' leaves (empty when the log is off). */
  readonly tiles: readonly TileRecord[];
  /**
   * For a store that computes the log's tiles itself (`computesTiles`): append these events to the Merkle log
   * (one leaf each: seq, record time, event hash) in the write transaction. `tiles` is then empty.
   */
  readonly logEvents?: boolean;
  /**
   * What a capture guard will record once the append has committed (violations, licence draw-downs), written
   * in the same transaction: if the process dies before the guard has recorded it, the entry is still there on
   * restart (`CaptureGuard.recover`). Empty or absent without a guard or findings.
   */
  readonly guardOutbox?: readonly GuardOutboxEntry[];
}

/** One captured document's guard records, kept until the guard has written them (the outbox pattern). */
export interface GuardOutboxEntry {
  /** Log sequence number of the document's last recorded event: the key of the entry. */
  readonly seq: number;
  /** The guard's own record of what it will write, as text (the store does not read it). */
  readonly record: string;
}

/** What the decider needs to see before deciding a document. */
export interface StateRequest {
  readonly lotIds: readonly string[];
  readonly partyIds: readonly string[];
  readonly locationIds: readonly string[];
  readonly eventHashes: readonly string[];
  /** Right-edge tiles the log writer will extend. */
  readonly tiles: readonly { level: number; index: number }[];
}

export interface StateSnapshot {
  readonly treeSize: number;
  readonly lots: ReadonlyMap<string, Lot>;
  readonly parties: ReadonlyMap<string, Party>;
  readonly locations: ReadonlyMap<string, Location>;
  /** Hashes already recorded, with their seq. */
  readonly knownHashes: ReadonlyMap<string, number>;
  readonly tiles: ReadonlyMap<string, Uint8Array>;
}

export function tileKey(level: number | 'entries', index: number): string {
  return `${level}/${index}`;
}

export interface EventQuery {
  readonly eventTypes?: readonly string[];
  readonly geEventTimeMs?: number;
  readonly ltEventTimeMs?: number;
  readonly geRecordTimeMs?: number;
  readonly ltRecordTimeMs?: number;
  readonly bizSteps?: readonly string[];
  readonly dispositions?: readonly string[];
  readonly actions?: readonly string[];
  readonly readPoints?: readonly string[];
  readonly bizLocations?: readonly string[];
  /** Each entry: identifiers (exact or `prefix*`) and the roles they may play; all entries must match. */
  readonly identifierMatches?: readonly { ids: readonly string[]; roles: readonly IdentifierRole[] }[];
  /** Only events captured by this party (access control), unless undefined. */
  readonly capturedBy?: string;
  /** Return events with seq > afterSeq (paging). */
  readonly afterSeq?: number;
  readonly limit: number;
}

export interface LotQueryScope {
  /** When set, only lots this party holds or has held. */
  readonly partyId?: string;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Creates tables if missing, and brings a store written by an earlier version up to date
   * (src/store/schema-version.ts). Idempotent. A step that rewrites data (PostgreSQL's lot headers) says what
   * it does through `report`. A store of a later version is refused with a `store-version` problem before
   * anything is written to it.
   */
  migrate(report?: (message: string) => void): Promise<void>;
  /** The schema version the store records and what `migrate` would do about it; changes nothing. */
  schemaStatus(): Promise<SchemaStatus>;
  /**
   * After a bulk load: refresh the query planner's statistics (PostgreSQL `ANALYZE`, SQLite `PRAGMA optimize`),
   * so that the first queries after an import do not run on plans made for empty tables. SQLite also moves
   * its WAL into the database file.
   */
  optimize(): Promise<void>;
  close(): Promise<void>;

  loadState(request: StateRequest): Promise<StateSnapshot>;
  /** Writes a document's changes atomically; throws Problem('log-conflict') if expectedSize is stale. */
  append(writes: WriteSet): Promise<void>;
  /**
   * True when this store appends a write set's events to the Merkle log itself (`WriteSet.logEvents`), inside its write transaction (the
   * SQLite store with a writer thread: the leaf hashing then runs on that thread, not the capture thread).
   */
  readonly computesTiles?: boolean;
  /**
   * A port to the store's writer thread on which a prepare thread posts event texts (`EventTexts` messages),
   * so that they go straight to the writer and a write set names them by `TextRef`. Only a store that writes
   * on its own thread has one.
   */
  readonly textChannel?: (() => MessagePort) | undefined;
  /**
   * The first 8 bytes of every recorded event's SHA-256 digest, back to back, in chunks of many events, in no
   * particular order: what a bulk import's hash filter is built from (src/ledger/hash-filter.ts). Optional:
   * without it the ledger asks the store about every hash.
   */
  eventHashPrefixes?(): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

  treeSize(): Promise<number>;
  nextDocumentId(): Promise<number>;
  getEvent(seq: number): Promise<StoredEvent | undefined>;
  getEventByHash(hash: string): Promise<StoredEvent | undefined>;
  getDocument(id: number): Promise<CaptureDocumentRecord | undefined>;
  queryEvents(query: EventQuery): Promise<StoredEvent[]>;
  /** Events in seq order from `fromSeq` (inclusive), at most `limit` (for verify and export). */
  scanEvents(fromSeq: number, limit: number): Promise<StoredEvent[]>;

  getLot(id: string): Promise<Lot | undefined>;
  getLots(ids: readonly string[]): Promise<Map<string, Lot>>;
  /** The headers of the given lots (no composition, values or origin), by id in the caller's order. */
  lotHeaders(ids: readonly string[]): Promise<Map<string, LotHeader>>;
  /** Direct parents (upstream) or children (downstream) of the given lots. */
  links(ids: readonly string[], direction: 'upstream' | 'downstream'): Promise<GenealogyLink[]>;
  /**
   * Optional: every link of every lot within `depth` steps of `root` in one direction (the root's own links at
   * depth 0), in any order, so that a trace walks them in memory rather than asking level by level. A store
   * where each query is a round trip to a server (PostgreSQL) has it.
   */
  reachableLinks?(
    root: string,
    direction: 'upstream' | 'downstream',
    depth: number,
  ): Promise<GenealogyLink[]>;
  custodyOf(lotId: string): Promise<CustodyRecord[]>;
  /**
   * Those of the given lots the party holds or has held (its custody records): one query for a whole trace, not
   * one a lot; a single lot is a list of one.
   */
  heldAmong(partyId: string, lotIds: readonly string[]): Promise<Set<string>>;
  /** Guard outbox entries not yet cleared, by seq (WriteSet.guardOutbox). */
  guardOutbox(): Promise<GuardOutboxEntry[]>;
  /** Removes the outbox entries with these seqs, once the guard has written what they hold. */
  clearGuardOutbox(seqs: readonly number[]): Promise<void>;
  track(lotId: string): Promise<TrackPoint[]>;

  getParty(id: string): Promise<Party | undefined>;
  listParties(): Promise<Party[]>;
  getLocation(id: string): Promise<Location | undefined>;
  listLocations(): Promise<Location[]>;
  /** Registers a party or location outside a capture (CLI, admin API); not logged. */
  putParty(party: Party): Promise<void>;
  putLocation(location: Location): Promise<void>;

  putToken(token: ApiTokenRecord): Promise<void>;
  findToken(hash: string): Promise<ApiTokenRecord | undefined>;

  getTile(level: number | 'entries', index: number): Promise<TileRecord | undefined>;
  getTiles(keys: readonly { level: number; index: number }[]): Promise<Map<string, Uint8Array>>;
  /** The stored internal nodes of full tiles (absent for partial tiles and for tiles written without them). */
  getTileNodes(keys: readonly { level: number; index: number }[]): Promise<Map<string, Uint8Array>>;
  putCheckpoint(checkpoint: CheckpointRecord): Promise<void>;
  latestCheckpoint(): Promise<CheckpointRecord | undefined>;
  listCheckpoints(): Promise<CheckpointRecord[]>;

  /**
   * SHA-256 over every row of every table in key order, canonically encoded: equal fingerprints mean equal
   * contents, on either store. Used to prove that a rejected document wrote nothing.
   */
  fingerprint(): Promise<string>;
}

export type TokenRole = 'party' | 'regulator' | 'auditor' | 'operator';

export interface ApiTokenRecord {
  /** SHA-256 of the token, hex. The token itself is never stored. */
  readonly hash: string;
  readonly role: TokenRole;
  /** The party the token acts for (for role `party`), else the authority's party id or ''. */
  readonly partyId: string;
  readonly label: string;
  readonly createdMs: number;
}
