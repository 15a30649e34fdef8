import type pg from 'pg';
import { type Licence, type LicenceFilter, type LicenceRepository, licenceConflict } from './licences.js';
import {
  type NewViolation,
  type ViolationFilter,
  type ViolationRecord,
  type ViolationRepository,
  type ViolationRow,
  violationFromRow,
  violationQuery,
} from './violations.js';

/**
 * The controls' repositories on a PostgreSQL store: the same tables as on SQLite (`controls_licences`,
 * `controls_licence_versions`, `controls_violations`), in the store's database and schema (the pool's
 * search_path), so that licences and violations survive a restart as they do on the embedded store. `open`
 * creates the tables when they are missing.
 */

const licenceTables = `
CREATE TABLE IF NOT EXISTS controls_licences (
  id TEXT PRIMARY KEY, holder_id TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS controls_licences_holder ON controls_licences (holder_id, status);
CREATE TABLE IF NOT EXISTS controls_licence_versions (
  id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (id, version));
`;

const violationTables = `
CREATE TABLE IF NOT EXISTS controls_violations (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, seq BIGINT NOT NULL, event_hash TEXT NOT NULL,
  party_id TEXT NOT NULL, code TEXT NOT NULL, clause TEXT NOT NULL, source TEXT NOT NULL, message TEXT NOT NULL,
  record TEXT NOT NULL, event_time_ms BIGINT NOT NULL, recorded_ms BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS controls_violations_party ON controls_violations (party_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS controls_violations_once ON controls_violations (seq, code, record, message);
`;

/** The advisory lock violation writers take turns on (PostgresViolationRepository.add). */
export const violationsLockKey = 0x72_74_76_6c; // "rtvl"

/**
 * Runs `work` in one transaction on one connection of the pool: committed if it returns, rolled back if it
 * throws (the error is passed on).
 */
async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Creates the tables of a repository. Two connections creating the same table at once can both pass
 * IF NOT EXISTS and one then fails on the catalogue's unique index; a transaction-level advisory lock
 * (one key for the controls' tables) makes them take turns.
 */
async function createTables(pool: pg.Pool, ddl: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('raretrace.controls.tables'))");
    await client.query(ddl);
  });
}

/** Licences in PostgreSQL; every version is kept (records are kept ≥ 5 years, Dual-Use Regulations Art. 27). */
export class PostgresLicenceRepository implements LicenceRepository {
  private constructor(private readonly pool: pg.Pool) {}

  static async open(pool: pg.Pool): Promise<PostgresLicenceRepository> {
    await createTables(pool, licenceTables);
    return new PostgresLicenceRepository(pool);
  }

  async get(id: string): Promise<Licence | undefined> {
    const result = await this.pool.query<{ body: string }>(
      'SELECT body FROM controls_licences WHERE id = $1',
      [id],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : (JSON.parse(row.body) as Licence);
  }

  async list(filter: LicenceFilter = {}): Promise<Licence[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.holderId !== undefined) {
      params.push(filter.holderId);
      where.push(`holder_id = $${params.length}`);
    }
    if (filter.status !== undefined) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    // COLLATE "C": ids in code-point order, as SQLite's BINARY collation and the in-memory repository sort them.
    const sql = `SELECT body FROM controls_licences ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id COLLATE "C"`;
    const result = await this.pool.query<{ body: string }>(sql, params);
    return result.rows.map((row) => JSON.parse(row.body) as Licence);
  }

  async save(licence: Licence, expectedVersion: number): Promise<void> {
    const body = JSON.stringify(licence);
    await inTransaction(this.pool, async (client) => {
      const written =
        expectedVersion === 0
          ? await client.query(
              `INSERT INTO controls_licences (id, holder_id, status, version, body) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (id) DO NOTHING`,
              [licence.id, licence.holderId, licence.status, licence.version, body],
            )
          : await client.query(
              'UPDATE controls_licences SET status = $1, version = $2, body = $3 WHERE id = $4 AND version = $5',
              [licence.status, licence.version, body, licence.id, expectedVersion],
            );
      if (written.rowCount !== 1) {
        const current = await client.query<{ version: number }>(
          'SELECT version FROM controls_licences WHERE id = $1',
          [licence.id],
        );
        throw licenceConflict(licence.id, expectedVersion, current.rows[0]?.version);
      }
      await client.query('INSERT INTO controls_licence_versions (id, version, body) VALUES ($1, $2, $3)', [
        licence.id,
        licence.version,
        body,
      ]);
    });
  }

  /** Every stored version of a licence, oldest first (the audit trail). */
  async versions(id: string): Promise<Licence[]> {
    const result = await this.pool.query<{ body: string }>(
      'SELECT body FROM controls_licence_versions WHERE id = $1 ORDER BY version',
      [id],
    );
    return result.rows.map((row) => JSON.parse(row.body) as Licence);
  }
}

/** The columns of a violation: name, PostgreSQL type, and the field of a NewViolation it holds. */
const violationColumns: readonly (readonly [
  string,
  'bigint' | 'text',
  (v: NewViolation) => string | number,
])[] = [
  ['seq', 'bigint', (v) => v.seq],
  ['event_hash', 'text', (v) => v.eventHash],
  ['party_id', 'text', (v) => v.partyId],
  ['code', 'text', (v) => v.code],
  ['clause', 'text', (v) => v.clause],
  ['source', 'text', (v) => v.source],
  ['message', 'text', (v) => v.message],
  ['record', 'text', (v) => v.record],
  ['event_time_ms', 'bigint', (v) => v.eventTimeMs],
  ['recorded_ms', 'bigint', (v) => v.recordedMs],
];

/**
 * Violations in PostgreSQL. Ids come from an identity column, ascending in the order violations were added.
 * Paging by id (`afterId`) sees each violation once only if ids also become visible in that order, which
 * concurrent writers (two servers on one database, or a capture's write and the outbox sweep) would not give by
 * themselves: an id drawn first may commit last, after a reader has paged past it. So each add takes a
 * transaction-level advisory lock before it draws ids and holds it to its commit: adds take turns, and an id is
 * visible only once every smaller one is. Violations are rare, so the turns cost nothing that shows.
 */
export class PostgresViolationRepository implements ViolationRepository {
  private constructor(private readonly pool: pg.Pool) {}

  static async open(pool: pg.Pool): Promise<PostgresViolationRepository> {
    await createTables(pool, violationTables);
    return new PostgresViolationRepository(pool);
  }

  async add(violations: readonly NewViolation[]): Promise<void> {
    if (violations.length === 0) return;
    // One statement over arrays: all the violations are written, in order, or none.
    const arrays = violationColumns.map(([, , field]) => violations.map(field));
    const names = violationColumns.map(([name]) => name).join(', ');
    const unnest = violationColumns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
    // Ids are given in the order of the rows the SELECT produces: the order of the list.
    await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [violationsLockKey]);
      await client.query(
        `INSERT INTO controls_violations (${names})
         SELECT ${names} FROM unnest(${unnest}) WITH ORDINALITY AS v(${names}, n) ORDER BY n
         ON CONFLICT (seq, code, record, message) DO NOTHING`,
        arrays,
      );
    });
  }

  async list(filter: ViolationFilter = {}): Promise<ViolationRecord[]> {
    const { sql, params } = violationQuery(filter, (n) => `$${n}`);
    const result = await this.pool.query<ViolationRow>(sql, params);
    return result.rows.map(violationFromRow);
  }
}
