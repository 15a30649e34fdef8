import { storeSchemaVersion } from '../schema-version.js';

/**
 * PostgreSQL schema: the same tables and columns as SQLite (src/store/sqlite/schema.ts). Identifiers use the
 * "C" collation so that ordering and prefix ranges compare bytes, as SQLite does, and answers match. One column
 * SQLite does without: `lots.header`, a lot's header facts as a JSON array (lotHeaderFactsJson), which SQLite
 * takes out of the facts in `json_extract` at no cost, while PostgreSQL, a round trip away, would send and parse
 * whole facts for each lot of a trace.
 */
export const postgresSchema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta (key, value) VALUES ('tree_size', '0'), ('schema_version', '${storeSchemaVersion}') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS documents (
  id BIGINT PRIMARY KEY, received_ms BIGINT NOT NULL, captured_by TEXT NOT NULL,
  context_json TEXT NOT NULL, event_count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  seq BIGINT PRIMARY KEY, hash BYTEA NOT NULL UNIQUE, type TEXT NOT NULL,
  event_time_ms BIGINT NOT NULL, record_time_ms BIGINT NOT NULL, action TEXT, biz_step TEXT,
  disposition TEXT, read_point TEXT, biz_location TEXT, captured_by TEXT NOT NULL,
  document_id BIGINT NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_event_time ON events (event_time_ms);
CREATE TABLE IF NOT EXISTS event_ids (
  id TEXT COLLATE "C" NOT NULL, role TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (id, role, seq));
CREATE TABLE IF NOT EXISTS lots (id TEXT COLLATE "C" PRIMARY KEY, facts TEXT NOT NULL, holder TEXT NOT NULL,
  status TEXT NOT NULL, remaining_mg BIGINT NOT NULL, location TEXT, in_transit_to TEXT, updated_seq BIGINT NOT NULL);
ALTER TABLE lots ADD COLUMN IF NOT EXISTS header TEXT;
CREATE TABLE IF NOT EXISTS links (
  parent TEXT COLLATE "C" NOT NULL, child TEXT COLLATE "C" NOT NULL, seq BIGINT NOT NULL, consumed_mg BIGINT NOT NULL,
  PRIMARY KEY (parent, child));
CREATE INDEX IF NOT EXISTS links_child ON links (child, parent);
CREATE TABLE IF NOT EXISTS custody (lot TEXT COLLATE "C" NOT NULL, party TEXT COLLATE "C" NOT NULL, seq BIGINT NOT NULL,
  PRIMARY KEY (lot, party, seq));
CREATE TABLE IF NOT EXISTS track (lot TEXT COLLATE "C" NOT NULL, seq BIGINT NOT NULL, n INTEGER NOT NULL,
  time_ms BIGINT NOT NULL, lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL, PRIMARY KEY (lot, seq, n));
CREATE TABLE IF NOT EXISTS parties (id TEXT COLLATE "C" PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS locations (id TEXT COLLATE "C" PRIMARY KEY, party TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, role TEXT NOT NULL, party_id TEXT NOT NULL,
  label TEXT NOT NULL, created_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS tiles (level INTEGER NOT NULL, idx BIGINT NOT NULL, width INTEGER NOT NULL,
  data BYTEA NOT NULL, nodes BYTEA, PRIMARY KEY (level, idx));
CREATE TABLE IF NOT EXISTS checkpoints (size BIGINT PRIMARY KEY, root TEXT NOT NULL, note TEXT NOT NULL,
  published_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS guard_outbox (seq BIGINT PRIMARY KEY, record TEXT NOT NULL);
`;
