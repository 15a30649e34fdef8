import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Problem } from '../core/errors.js';
import { limits } from '../core/limits.js';
import { generateWorld } from '../demo/index.js';
import { Ledger } from '../ledger/capture.js';
import { operatorActor } from '../ledger/decide.js';
import { createMerkleLogWriter } from '../ledger/log-service.js';
import { PreparePool } from '../ledger/prepare-pool.js';
import { PostgresStore } from '../store/postgres/postgres-store.js';
import { sqliteSchema } from '../store/sqlite/schema.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { benchProofsAndTiles, benchTrace } from './reads.js';

/**
 * Capture throughput: the demo world's events, as EPCIS JSON text (generation not timed), captured document by
 * document through the whole path (parse, validate, hash, decide, append with the Merkle log). The same-run
 * ceiling writes the very rows the ledger wrote, read back from its store, with a bare prepared insert loop
 * (SQLite) or the same batched INSERT … SELECT FROM unnest statements without any logic (PostgreSQL).
 */
/**
 * `batch`: the bulk-import path (`raretrace import`), group commit of up to `limits.groupCommitEvents` events a
 * transaction. `document`: one transaction per document, as over HTTP (`POST /capture`).
 */
export type CaptureMode = 'batch' | 'document';

export interface CaptureRun {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** CPU time of this process per event, µs: a figure other jobs on the machine disturb less than wall time. */
  readonly cpuMicrosPerEvent: number;
}

export async function captureRun(
  store: Store,
  events: number,
  seed: string,
  log: boolean,
  mode: CaptureMode = 'batch',
): Promise<CaptureRun> {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const prepare = mode === 'batch' ? new PreparePool(1) : undefined;
  const ledger = new Ledger(store, {
    log: log ? createMerkleLogWriter() : undefined,
    clock: () => clock++,
    ...(prepare === undefined ? {} : { prepare }),
  });
  let elapsed = 0;
  let cpu = 0;
  let recorded = 0;
  let texts: string[] = [];
  let pendingEvents = 0;
  const capture = async (): Promise<void> => {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    if (mode === 'batch') {
      for (const result of await ledger.captureBatch(
        texts.map((body) => ({ body })),
        operatorActor,
      )) {
        if (result instanceof Problem) throw result;
        recorded += result.recorded;
      }
    } else {
      for (const text of texts) recorded += (await ledger.capture(text, operatorActor)).recorded;
    }
    const used = process.cpuUsage(cpuStarted);
    cpu += used.user + used.system;
    elapsed += performance.now() - started;
    texts = [];
    pendingEvents = 0;
  };
  // Documents are generated and serialised untimed, a group commit's worth at a time.
  for (const document of generateWorld({ events, seed })) {
    texts.push(JSON.stringify(document));
    pendingEvents += document.epcisBody.eventList.length;
    if (pendingEvents >= limits.groupCommitEvents) await capture();
  }
  if (texts.length > 0) await capture();
  await prepare?.close();
  return {
    events: recorded,
    seconds: elapsed / 1000,
    eventsPerSecond: Math.round(recorded / (elapsed / 1000)),
    cpuMicrosPerEvent: Number((cpu / recorded).toFixed(1)),
  };
}

const tables = [
  'documents',
  'events',
  'event_ids',
  'lots',
  'links',
  'custody',
  'track',
  'parties',
  'locations',
  'tiles',
  'meta',
];

/** Re-inserts every row of `source` into a fresh SQLite file with bare prepared statements, 1,000 events a transaction. */
export function sqliteCeiling(sourcePath: string, targetPath: string): { seconds: number; rows: number } {
  const source = new Database(sourcePath, { readonly: true });
  const target = new SqliteStore(targetPath);
  target.db.exec(sqliteSchema);
  target.db.exec('DELETE FROM meta');
  const db = target.db;
  let elapsed = 0;
  let rows = 0;
  for (const table of tables) {
    const columns = (source.prepare(`SELECT * FROM ${table} LIMIT 1`).columns() as { name: string }[]).map(
      (c) => c.name,
    );
    if (columns.length === 0) continue;
    const insert = db.prepare(
      `INSERT OR REPLACE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    );
    const iterator = source.prepare(`SELECT * FROM ${table}`).raw(true).iterate() as IterableIterator<
      unknown[]
    >;
    let batch: unknown[][] = [];
    const flush = (): void => {
      const started = performance.now();
      db.transaction(() => {
        for (const row of batch) insert.run(...row);
      }).immediate();
      elapsed += performance.now() - started;
      rows += batch.length;
      batch = [];
    };
    for (const row of iterator) {
      batch.push(row);
      if (batch.length >= 2_000) flush();
    }
    if (batch.length > 0) flush();
  }
  source.close();
  db.close();
  return { seconds: elapsed / 1000, rows };
}

/** The same rows into a fresh PostgreSQL schema with the store's own batched statements, minus all logic. */
export async function postgresCeiling(
  url: string,
  sourceSchema: string,
  targetSchema: string,
): Promise<{ seconds: number; rows: number }> {
  const target = new PostgresStore(url, { schema: targetSchema });
  await target.migrate();
  // One client reads the source through a server-side cursor; another writes, timed.
  const reader = new pg.Client({ connectionString: url });
  const client = new pg.Client({ connectionString: url });
  await reader.connect();
  await client.connect();
  let elapsed = 0;
  let rows = 0;
  await client.query(`DELETE FROM ${targetSchema}.meta`);
  for (const table of tables) {
    const columns = (
      await reader.query(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [sourceSchema, table],
      )
    ).rows as { column_name: string; data_type: string }[];
    const names = columns.map((c) => c.column_name).join(', ');
    const types = columns.map((c) =>
      c.data_type === 'bigint'
        ? 'bigint'
        : c.data_type === 'integer'
          ? 'int'
          : c.data_type === 'bytea'
            ? 'bytea'
            : c.data_type === 'double precision'
              ? 'float8'
              : 'text',
    );
    await reader.query('BEGIN');
    await reader.query(
      `DECLARE source_rows NO SCROLL CURSOR FOR SELECT ${names} FROM ${sourceSchema}.${table}`,
    );
    for (;;) {
      const result = await reader.query({ text: 'FETCH 2000 FROM source_rows', rowMode: 'array' });
      if (result.rows.length === 0) break;
      const columnsData = columns.map((_, i) => result.rows.map((r: unknown[]) => r[i]));
      const started = performance.now();
      await client.query(
        `INSERT INTO ${targetSchema}.${table} (${names}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`,
        columnsData,
      );
      elapsed += performance.now() - started;
      rows += result.rows.length;
    }
    await reader.query('COMMIT');
  }
  await reader.end();
  await client.end();
  await target.dropSchema();
  await target.close();
  return { seconds: elapsed / 1000, rows };
}

/** Runs the capture path once on a scratch store so that the timed runs see optimised code (JIT warm-up). */
async function warmUp(dir: string): Promise<void> {
  const scratch = new SqliteStore(path.join(dir, 'warm-up.db'));
  await scratch.migrate();
  await captureRun(scratch, 30_000, 'warm-up', true);
  await scratch.close();
}

export async function benchCaptureSqlite(events: number, seed: string): Promise<object[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'raretrace-bench-'));
  try {
    await warmUp(dir);
    const file = path.join(dir, 'capture.db');
    const store = new SqliteStore(file);
    await store.migrate();
    const withLog = await captureRun(store, events, seed, true);
    const reads = [
      ...(await benchTrace(store, 'sqlite', events, seed)),
      ...(await benchProofsAndTiles(store, 'sqlite', dir)),
    ];
    await store.close();
    const ceiling = sqliteCeiling(file, path.join(dir, 'ceiling.db'));
    const ceilingRate = Math.round(withLog.events / ceiling.seconds);
    const noLogStore = new SqliteStore(path.join(dir, 'nolog.db'));
    await noLogStore.migrate();
    const withoutLog = await captureRun(noLogStore, events, seed, false);
    await noLogStore.close();
    return [
      {
        bench: 'capture',
        store: 'sqlite',
        events: withLog.events,
        eventsPerSecond: withLog.eventsPerSecond,
        cpuMicrosPerEvent: withLog.cpuMicrosPerEvent,
        ceilingEventsPerSecond: ceilingRate,
        ratioToCeiling: Number((withLog.eventsPerSecond / ceilingRate).toFixed(3)),
        ceilingRows: ceiling.rows,
        target: { eventsPerSecond: 30_000, ratioToCeiling: 0.5 },
      },
      {
        bench: 'log-overhead',
        store: 'sqlite',
        events: withLog.events,
        logOnEventsPerSecond: withLog.eventsPerSecond,
        logOffEventsPerSecond: withoutLog.eventsPerSecond,
        logOnCpuMicrosPerEvent: withLog.cpuMicrosPerEvent,
        logOffCpuMicrosPerEvent: withoutLog.cpuMicrosPerEvent,
        overhead: Number((1 - withLog.eventsPerSecond / withoutLog.eventsPerSecond).toFixed(3)),
        target: { overheadAtMost: 0.15 },
      },
      ...reads,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchCapturePostgres(url: string, events: number, seed: string): Promise<object[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'raretrace-bench-'));
  await warmUp(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
  const schema = `bench_${Date.now().toString(36)}`;
  const store = new PostgresStore(url, { schema });
  await store.migrate();
  try {
    const run = await captureRun(store, events, seed, true);
    const trace = await benchTrace(store, 'postgres', events, seed);
    const ceiling = await postgresCeiling(url, schema, `${schema}_ceiling`);
    const ceilingRate = Math.round(run.events / ceiling.seconds);
    return [
      {
        bench: 'capture',
        store: 'postgres',
        events: run.events,
        eventsPerSecond: run.eventsPerSecond,
        cpuMicrosPerEvent: run.cpuMicrosPerEvent,
        ceilingEventsPerSecond: ceilingRate,
        ratioToCeiling: Number((run.eventsPerSecond / ceilingRate).toFixed(3)),
        ceilingRows: ceiling.rows,
        target: { eventsPerSecond: 10_000 },
      },
      ...trace,
    ];
  } finally {
    await store.dropSchema();
    await store.close();
  }
}
