import type Database from 'better-sqlite3';
import { limits } from '../core/limits.js';

/**
 * Control violations the ledger accepted and recorded (quotas.yaml `enforcement: violation`): one row per rule
 * that fired on an accepted event. Written by the capture guard after the append; read by GET /violations.
 */
export interface ViolationRecord {
  /** Assigned by the repository, ascending. */
  readonly id: number;
  /** Log sequence number of the event, and its hash. */
  readonly seq: number;
  readonly eventHash: string;
  /** The enterprise the rule is about (quota holder, exporter). */
  readonly partyId: string;
  /** `over-quota`, `over-capacity`, `undesignated`, `unlicensed-export`, `licence-not-valid`. */
  readonly code: string;
  readonly clause: string;
  readonly source: string;
  readonly message: string;
  /** The record the violation is about: a lot id, or the party id. */
  readonly record: string;
  /** Event time, ms since epoch. */
  readonly eventTimeMs: number;
  /** When the ledger recorded the event, ms since epoch. */
  readonly recordedMs: number;
}

export type NewViolation = Omit<ViolationRecord, 'id'>;

export interface ViolationFilter {
  readonly partyId?: string;
  readonly code?: string;
  /** Inclusive lower bound on event time, ms. */
  readonly fromMs?: number;
  /** Exclusive upper bound on event time, ms. */
  readonly toMs?: number;
  /** Only ids above this (paging). */
  readonly afterId?: number;
  readonly limit?: number;
}

export interface ViolationRepository {
  /**
   * Appends violations (all or none). One already recorded (the same event seq, code, record and message) is
   * not added again, so a capture's records may be written twice after a crash (the capture guard's outbox).
   */
  add(violations: readonly NewViolation[]): Promise<void>;
  /** Matching violations in id order. */
  list(filter?: ViolationFilter): Promise<ViolationRecord[]>;
}

/** The page size a filter asks for, within 1..limits.maxPerPage (every repository pages alike). */
function violationPageLimit(filter: ViolationFilter): number {
  return Math.max(1, Math.min(filter.limit ?? limits.maxPerPage, limits.maxPerPage));
}

export class InMemoryViolationRepository implements ViolationRepository {
  private readonly rows: ViolationRecord[] = [];

  async add(violations: readonly NewViolation[]): Promise<void> {
    for (const v of violations) {
      const known = this.rows.some(
        (r) => r.seq === v.seq && r.code === v.code && r.record === v.record && r.message === v.message,
      );
      if (!known) this.rows.push({ id: this.rows.length + 1, ...v });
    }
  }

  async list(filter: ViolationFilter = {}): Promise<ViolationRecord[]> {
    const out: ViolationRecord[] = [];
    const limit = violationPageLimit(filter);
    for (const v of this.rows) {
      if (filter.afterId !== undefined && v.id <= filter.afterId) continue;
      if (filter.partyId !== undefined && v.partyId !== filter.partyId) continue;
      if (filter.code !== undefined && v.code !== filter.code) continue;
      if (filter.fromMs !== undefined && v.eventTimeMs < filter.fromMs) continue;
      if (filter.toMs !== undefined && v.eventTimeMs >= filter.toMs) continue;
      out.push(v);
      if (out.length >= limit) break;
    }
    return out;
  }
}

/** A row of `controls_violations` as a driver returns it (PostgreSQL gives BIGINT columns as text). */
export interface ViolationRow {
  id: number | string;
  seq: number | string;
  event_hash: string;
  party_id: string;
  code: string;
  clause: string;
  source: string;
  message: string;
  record: string;
  event_time_ms: number | string;
  recorded_ms: number | string;
}

export function violationFromRow(r: ViolationRow): ViolationRecord {
  return {
    id: Number(r.id),
    seq: Number(r.seq),
    eventHash: r.event_hash,
    partyId: r.party_id,
    code: r.code,
    clause: r.clause,
    source: r.source,
    message: r.message,
    record: r.record,
    eventTimeMs: Number(r.event_time_ms),
    recordedMs: Number(r.recorded_ms),
  };
}

/**
 * The query that lists violations matching a filter, in id order, for either SQL store: `placeholder(n)` spells
 * the n-th parameter (`?` for SQLite, `$n` for PostgreSQL).
 */
export function violationQuery(
  filter: ViolationFilter,
  placeholder: (n: number) => string,
): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (condition: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    params.push(value);
    where.push(`${condition} ${placeholder(params.length)}`);
  };
  add('id >', filter.afterId);
  add('party_id =', filter.partyId);
  add('code =', filter.code);
  add('event_time_ms >=', filter.fromMs);
  add('event_time_ms <', filter.toMs);
  params.push(violationPageLimit(filter));
  const sql = `SELECT * FROM controls_violations ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ${placeholder(params.length)}`;
  return { sql, params };
}

/** Violations in SQLite (better-sqlite3), in the controls' own table `controls_violations`. */
export class SqliteViolationRepository implements ViolationRepository {
  private readonly addTx: (violations: readonly NewViolation[]) => void;

  constructor(private readonly db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS controls_violations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        seq INTEGER NOT NULL,
        event_hash TEXT NOT NULL,
        party_id TEXT NOT NULL,
        code TEXT NOT NULL,
        clause TEXT NOT NULL,
        source TEXT NOT NULL,
        message TEXT NOT NULL,
        record TEXT NOT NULL,
        event_time_ms INTEGER NOT NULL,
        recorded_ms INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS controls_violations_party ON controls_violations (party_id, id);
      CREATE UNIQUE INDEX IF NOT EXISTS controls_violations_once
        ON controls_violations (seq, code, record, message);
    `);
    const insert = db.prepare(
      `INSERT OR IGNORE INTO controls_violations
         (seq, event_hash, party_id, code, clause, source, message, record, event_time_ms, recorded_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.addTx = db.transaction((violations: readonly NewViolation[]) => {
      for (const v of violations) {
        insert.run(
          v.seq,
          v.eventHash,
          v.partyId,
          v.code,
          v.clause,
          v.source,
          v.message,
          v.record,
          v.eventTimeMs,
          v.recordedMs,
        );
      }
    });
  }

  async add(violations: readonly NewViolation[]): Promise<void> {
    if (violations.length > 0) this.addTx(violations);
  }

  async list(filter: ViolationFilter = {}): Promise<ViolationRecord[]> {
    const { sql, params } = violationQuery(filter, () => '?');
    return (this.db.prepare(sql).all(...params) as ViolationRow[]).map(violationFromRow);
  }
}
