import { storeSchemaVersion } from '../schema-version.js';

/**
 * SQLite schema. A lot's facts (what never changes after it is created: form, mass, composition, value, origin)
 * are one JSON text written once; its state (holder, place, status, remaining mass) is columns updated as it
 * moves. Parties and locations are JSON too: the same text on every store, so answers are identical. Event
 * hashes are kept as their 32-byte digests (the `ni:` text is rebuilt on read), which halves the unique index.
 */
export const sqliteSchema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('tree_size', '0'), ('schema_version', '${storeSchemaVersion}');
CREATE TABLE IF NOT EXISTS documents (
  id INTEGER PRIMARY KEY, received_ms INTEGER NOT NULL, captured_by TEXT NOT NULL,
  context_json TEXT NOT NULL, event_count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, type TEXT NOT NULL,
  event_time_ms INTEGER NOT NULL, record_time_ms INTEGER NOT NULL, action TEXT, biz_step TEXT,
  disposition TEXT, read_point TEXT, biz_location TEXT, captured_by TEXT NOT NULL,
  document_id INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_event_time ON events (event_time_ms);
CREATE TABLE IF NOT EXISTS event_ids (
  id TEXT NOT NULL, role TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (id, role, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lots (id TEXT PRIMARY KEY, facts TEXT NOT NULL, holder TEXT NOT NULL, status TEXT NOT NULL,
  remaining_mg INTEGER NOT NULL, location TEXT, in_transit_to TEXT, updated_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS links (
  parent TEXT NOT NULL, child TEXT NOT NULL, seq INTEGER NOT NULL, consumed_mg INTEGER NOT NULL,
  PRIMARY KEY (parent, child)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_child ON links (child, parent);
CREATE TABLE IF NOT EXISTS custody (lot TEXT NOT NULL, party TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (lot, party, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS track (lot TEXT NOT NULL, seq INTEGER NOT NULL, n INTEGER NOT NULL,
  time_ms INTEGER NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL, PRIMARY KEY (lot, seq, n)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parties (id TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS locations (id TEXT PRIMARY KEY, party TEXT NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, role TEXT NOT NULL, party_id TEXT NOT NULL,
  label TEXT NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tiles (level INTEGER NOT NULL, idx INTEGER NOT NULL, width INTEGER NOT NULL,
  data BLOB NOT NULL, nodes BLOB, PRIMARY KEY (level, idx));
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, root TEXT NOT NULL, note TEXT NOT NULL,
  published_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS guard_outbox (seq INTEGER PRIMARY KEY, record TEXT NOT NULL);
`;
