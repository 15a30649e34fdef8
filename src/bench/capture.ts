import { once } from 'node:events';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import pg from 'pg';
import { importFiles } from '../cli/commands/import.js';
import { limits } from '../core/limits.js';
import { startModuleWorker, threadCpuMs } from '../core/worker.js';
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
 * `batch`: the bulk-import path (`raretrace import` of an NDJSON file: group commit of up to
 * `limits.groupCommitEvents` events a transaction, a prepare thread). `document`: one transaction per document
 * on this thread, as over HTTP (`POST /capture`).
 */
export type CaptureMode = 'batch' | 'document';

export interface CaptureRun {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** CPU time of this process (all its threads) per event, µs: other jobs on the machine disturb it less than wall time. */
  readonly cpuMicrosPerEvent: number;
  /**
   * The same by thread (Linux): `capture` (this thread), `prepare`, `writer` (SQLite), `walCheckpoint` (the
   * writer's WAL checkpoints), and `other` (V8's background threads, libuv): where the CPU goes, and so what
   * limits the import.
   */
  readonly threadCpuMicrosPerEvent?: Readonly<Record<string, number>>;
}

/** Per-thread CPU between two `threadCpuMs` readings, µs an event, by role. */
function cpuByThread(
  before: ReturnType<typeof threadCpuMs>,
  after: ReturnType<typeof threadCpuMs>,
  events: number,
): Record<string, number> | undefined {
  if (after.size === 0 || events === 0) return undefined;
  const roles: Record<string, number> = { capture: 0, prepare: 0, writer: 0, walCheckpoint: 0, other: 0 };
  for (const [tid, { name, ms }] of after) {
    const used = ms - (before.get(tid)?.ms ?? 0);
    const role =
      tid === process.pid
        ? 'capture'
        : name === 'rt-prepare'
          ? 'prepare'
          : name === 'rt-sqlite-write'
            ? 'writer'
            : name === 'rt-sqlite-wal'
              ? 'walCheckpoint'
              : 'other';
    roles[role] = (roles[role] ?? 0) + used;
  }
  return Object.fromEntries(
    Object.entries(roles).map(([role, ms]) => [role, Number(((ms * 1000) / events).toFixed(1))]),
  );
}

/**
 * Writes the demo world's events as an NDJSON file of capture documents, untimed, and returns its path. Written
 * once per size and read by every timed run of that size (the four 1,000,000-event imports of the SQLite bench
 * used to generate it four times), on a thread of its own (world-writer-thread.ts) so that the capture thread's
 * heap holds none of the generator's garbage, and fsynced so that no run pays for its write-back.
 */
export async function writeWorld(dir: string, events: number, seed: string): Promise<string> {
  const file = path.join(dir, `world-${events}-${seed}.ndjson`);
  const worker = startModuleWorker(import.meta.url, 'world-writer-thread', {
    workerData: { file, events, seed },
  });
  const [exitCode] = (await once(worker, 'exit')) as [number];
  if (exitCode !== 0) throw new Error(`bench: writing the demo world failed (thread exit ${exitCode})`);
  return file;
}

export async function captureRun(
  store: Store,
  worldFile: string,
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
  try {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const threadsStarted = threadCpuMs();
    let recorded = 0;
    if (mode === 'batch') {
      // Exactly `raretrace import FILE` (without the capture guard and the checkpoint it publishes at the end).
      const summary = await importFiles(ledger, [worldFile]);
      if (summary.rejected > 0) throw new Error(`bench: ${summary.rejected} documents refused`);
      recorded = summary.events;
    } else {
      const lines = createInterface({
        input: createReadStream(worldFile, 'utf8'),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      for await (const line of lines) recorded += (await ledger.capture(line, operatorActor)).recorded;
    }
    const used = process.cpuUsage(cpuStarted);
    const seconds = (performance.now() - started) / 1000;
    const threads = cpuByThread(threadsStarted, threadCpuMs(), recorded);
    return {
      events: recorded,
      seconds,
      eventsPerSecond: Math.round(recorded / seconds),
      cpuMicrosPerEvent: Number(((used.user + used.system) / recorded).toFixed(1)),
      ...(threads === undefined ? {} : { threadCpuMicrosPerEvent: threads }),
    };
  } finally {
    await prepare?.close();
  }
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

/**
 * The SQLite ceiling: every row the capture wrote, read back from its store, written again into a fresh file by
 * bare prepared statements on one connection, in the capture's own transactions (documents in order, up to
 * `limits.groupCommitEvents` events a transaction) and, within one, in the capture's table order. No parsing,
 * no decisions, no hashing, no threads: what the same rows cost SQLite alone. Lots are inserted once in their
 * final state (the capture also updates them), which only favours the ceiling.
 */
export function sqliteCeiling(sourcePath: string, targetPath: string): { seconds: number; rows: number } {
  const source = new Database(sourcePath, { readonly: true });
  const target = new SqliteStore(targetPath);
  target.db.exec(sqliteSchema);
  const db = target.db;
  const all = (sql: string): unknown[][] => source.prepare(sql).raw(true).all() as unknown[][];
  const documents = all(
    'SELECT id, received_ms, captured_by, context_json, event_count FROM documents ORDER BY id',
  );
  // Each table's rows in seq order, with the index of their seq column.
  const bySeq: { table: string; rows: unknown[][]; seq: number }[] = [
    { table: 'events', rows: all('SELECT * FROM events ORDER BY seq'), seq: 0 },
    { table: 'event_ids', rows: all('SELECT id, role, seq FROM event_ids ORDER BY seq'), seq: 2 },
    {
      table: 'lots',
      rows: all(
        `SELECT id, facts, holder, status, remaining_mg, location, in_transit_to, updated_seq,
           json_extract(facts, '$.createdSeq') FROM lots ORDER BY 9`,
      ),
      seq: 8,
    },
    { table: 'links', rows: all('SELECT parent, child, seq, consumed_mg FROM links ORDER BY seq'), seq: 2 },
    { table: 'custody', rows: all('SELECT lot, party, seq FROM custody ORDER BY seq'), seq: 2 },
    { table: 'track', rows: all('SELECT lot, seq, n, time_ms, lat, lon FROM track ORDER BY seq'), seq: 1 },
  ];
  const insert = (table: string, width: number) =>
    db.prepare(`INSERT INTO ${table} VALUES (${Array.from({ length: width }, () => '?').join(', ')})`);
  const insertDocument = insert('documents', 5);
  const inserts = bySeq.map((t) => insert(t.table, t.table === 'lots' ? 8 : (t.rows[0]?.length ?? 1)));
  const cursors = bySeq.map(() => 0);
  const masterData = [
    { rows: all('SELECT id, data FROM parties'), insert: insert('parties', 2) },
    { rows: all('SELECT id, party, data FROM locations'), insert: insert('locations', 3) },
  ];
  const tiles = all('SELECT level, idx, width, data, nodes FROM tiles');
  const insertTile = insert('tiles', 5);
  const setSize = db.prepare("UPDATE meta SET value = ? WHERE key = 'tree_size'");
  let rows = 0;
  let seqEnd = 0;
  let d = 0;
  const started = performance.now();
  // Master data first: the capture registers it with the first documents.
  db.transaction(() => {
    for (const m of masterData) for (const row of m.rows) m.insert.run(...row);
  }).immediate();
  while (d < documents.length) {
    db.transaction(() => {
      let events = 0;
      while (d < documents.length && events < limits.groupCommitEvents) {
        const doc = documents[d++] as unknown[];
        insertDocument.run(...doc);
        events += Number(doc[4]);
        rows += 1;
      }
      seqEnd += events;
      bySeq.forEach((t, k) => {
        const statement = inserts[k] as Database.Statement<unknown[], unknown>;
        while ((cursors[k] as number) < t.rows.length) {
          const row = t.rows[cursors[k] as number] as unknown[];
          if (Number(row[t.seq]) >= seqEnd) break;
          statement.run(...(t.table === 'lots' ? row.slice(0, 8) : row));
          cursors[k] = (cursors[k] as number) + 1;
          rows += 1;
        }
      });
      setSize.run(String(seqEnd));
    }).immediate();
  }
  db.transaction(() => {
    for (const row of tiles) insertTile.run(...row);
  }).immediate();
  const seconds = (performance.now() - started) / 1000;
  source.close();
  db.close();
  return { seconds, rows: rows + tiles.length };
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
  await captureRun(scratch, await writeWorld(dir, 30_000, 'warm-up'), true);
  await scratch.close();
}

export async function benchCaptureSqlite(events: number, seed: string): Promise<object[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'raretrace-bench-'));
  try {
    await warmUp(dir);
    // One world for the four imports of this size (the headline and the log's three).
    const world = await writeWorld(dir, events, seed);
    const file = path.join(dir, 'capture.db');
    // The bulk-import path, as `raretrace import` runs it: group commit, prepare thread, writer thread.
    const store = new SqliteStore(file, { writerThread: true });
    await store.migrate();
    const withLog = await captureRun(store, world, true);
    const reads = [
      ...(await benchTrace(store, 'sqlite', events, seed)),
      ...(await benchProofsAndTiles(store, 'sqlite', dir)),
    ];
    await store.close();
    const ceiling = sqliteCeiling(file, path.join(dir, 'ceiling.db'));
    const ceilingRate = Math.round(withLog.events / ceiling.seconds);
    // The log's overhead from three runs back to back, log off, on, off: the machine's speed drifts by more than
    // the overhead over minutes (a log-on run minutes before its log-off run once read 18 %, where the
    // bracketing runs read a few), so the log-on run is compared with the mean of the two around it.
    const scratchRun = async (name: string, log: boolean): Promise<CaptureRun> => {
      const scratch = new SqliteStore(path.join(dir, `${name}.db`), { writerThread: true });
      await scratch.migrate();
      const run = await captureRun(scratch, world, log);
      await scratch.close();
      rmSync(path.join(dir, `${name}.db`), { force: true });
      return run;
    };
    const offBefore = await scratchRun('log-off-1', false);
    const on = await scratchRun('log-on', true);
    const offAfter = await scratchRun('log-off-2', false);
    const offRate = (offBefore.eventsPerSecond + offAfter.eventsPerSecond) / 2;
    // One transaction per document on the capture thread, as POST /capture does, on fewer events.
    const perDocumentEvents = Math.min(events, 200_000);
    const perDocumentStore = new SqliteStore(path.join(dir, 'per-document.db'));
    await perDocumentStore.migrate();
    const perDocumentWorld =
      perDocumentEvents === events ? world : await writeWorld(dir, perDocumentEvents, seed);
    const perDocument = await captureRun(perDocumentStore, perDocumentWorld, true, 'document');
    await perDocumentStore.close();
    return [
      {
        bench: 'capture',
        store: 'sqlite',
        events: withLog.events,
        eventsPerSecond: withLog.eventsPerSecond,
        cpuMicrosPerEvent: withLog.cpuMicrosPerEvent,
        ...(withLog.threadCpuMicrosPerEvent === undefined
          ? {}
          : { threadCpuMicrosPerEvent: withLog.threadCpuMicrosPerEvent }),
        ceilingEventsPerSecond: ceilingRate,
        ratioToCeiling: Number((withLog.eventsPerSecond / ceilingRate).toFixed(3)),
        ceilingRows: ceiling.rows,
        path: `bulk import: up to ${limits.groupCommitEvents} events a transaction, prepare and writer threads`,
        target: { eventsPerSecond: 30_000, ratioToCeiling: 0.5 },
      },
      {
        bench: 'capture.per-document',
        store: 'sqlite',
        events: perDocument.events,
        eventsPerSecond: perDocument.eventsPerSecond,
        cpuMicrosPerEvent: perDocument.cpuMicrosPerEvent,
        path: 'one transaction per 1,000-event document on the capture thread (POST /capture)',
      },
      {
        bench: 'log-overhead',
        store: 'sqlite',
        events: on.events,
        logOnEventsPerSecond: on.eventsPerSecond,
        logOffEventsPerSecond: [offBefore.eventsPerSecond, offAfter.eventsPerSecond],
        logOnCpuMicrosPerEvent: on.cpuMicrosPerEvent,
        logOffCpuMicrosPerEvent: [offBefore.cpuMicrosPerEvent, offAfter.cpuMicrosPerEvent],
        overhead: Number((1 - on.eventsPerSecond / offRate).toFixed(3)),
        method: 'log off, on, off back to back; the on run against the mean of the two off runs',
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
  const schema = `bench_${Date.now().toString(36)}`;
  const store = new PostgresStore(url, { schema });
  try {
    await warmUp(dir);
    const world = await writeWorld(dir, events, seed);
    await store.migrate();
    const run = await captureRun(store, world, true);
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
        // The PostgreSQL server's own CPU is not in these: it runs in other processes.
        ...(run.threadCpuMicrosPerEvent === undefined
          ? {}
          : { threadCpuMicrosPerEvent: run.threadCpuMicrosPerEvent }),
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
    rmSync(dir, { recursive: true, force: true });
  }
}
