import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { WalCheckpointer, type WalCheckpointerOptions } from './wal-checkpointer.js';

/** A WAL database as the writer thread has it: 16 KiB pages, and no checkpoints of its own. */
function writerDatabase(): { db: Database.Database; file: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'raretrace-ckpt-'));
  const file = path.join(dir, 'w.db');
  const db = new Database(file);
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  return { db, file, dir };
}

/** Writes `rows` rows of 1 KB in one transaction. */
function writeRows(db: Database.Database, from: number, rows: number): void {
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  db.transaction(() => {
    for (let k = from; k < from + rows; k++) insert.run(k, 'x'.repeat(1000));
  })();
}

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('SQLite WAL checkpoint thread', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function open(options: WalCheckpointerOptions = {}) {
    const w = writerDatabase();
    const failures: Error[] = [];
    const checkpointer = new WalCheckpointer(w.file, 'NORMAL', (e) => failures.push(e), options);
    cleanups.push(() => rmSync(w.dir, { recursive: true, force: true }));
    cleanups.push(() => {
      w.db.close();
    });
    cleanups.push(() => checkpointer.close());
    return { ...w, checkpointer, failures };
  }

  it('copies what the writer committed into the database file, on its own thread', async () => {
    const { db, file, checkpointer, failures } = open({ idleMs: 600_000 });
    expect(checkpointer.lastCheckpoint().logFrames).toBe(0);
    writeRows(db, 0, 500);
    checkpointer.committed();
    await until(() => checkpointer.lastCheckpoint().logFrames > 0);
    const { logFrames, copiedFrames } = checkpointer.lastCheckpoint();
    expect(copiedFrames).toBe(logFrames);
    // The database file itself holds the rows now: a copy of it without the WAL has them all.
    const copy = `${file}.copy`;
    copyFileSync(file, copy);
    const direct = new Database(copy, { readonly: true });
    try {
      expect(direct.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 500 });
    } finally {
      direct.close();
    }
    expect(failures).toEqual([]);
  });

  it('keeps the WAL bounded: past the bound the writer waits for a checkpoint, and the WAL starts over', async () => {
    // No emptying when idle here: on a loaded machine a slow write could let it run and hide the bound.
    const { db, checkpointer } = open({ maxWalFrames: 50, idleMs: 600_000 });
    expect(checkpointer.keepWalBounded()).toBe(false);
    writeRows(db, 0, 1_000);
    checkpointer.committed();
    await until(() => checkpointer.lastCheckpoint().logFrames > 50);
    const grown = checkpointer.lastCheckpoint().logFrames;
    // A second, larger transaction (the first one's checkpoint may have let it start the WAL over).
    writeRows(db, 1_000, 3_000);
    checkpointer.committed();
    // Over the bound: keepWalBounded() returns only once the checkpoint of this transaction too is done.
    expect(checkpointer.keepWalBounded()).toBe(true);
    expect(checkpointer.lastCheckpoint().logFrames).toBeGreaterThan(grown);
    expect(checkpointer.lastCheckpoint().copiedFrames).toBe(checkpointer.lastCheckpoint().logFrames);
    // Everything was copied, so the next transaction writes the WAL from its start: it is small again.
    writeRows(db, 4_000, 10);
    checkpointer.committed();
    await until(() => checkpointer.lastCheckpoint().logFrames < grown);
    expect(checkpointer.keepWalBounded()).toBe(false);
  });

  it('empties the WAL file once the writer has been quiet for a second', async () => {
    const { db, file, checkpointer } = open();
    writeRows(db, 0, 500);
    checkpointer.committed();
    await until(() => checkpointer.lastCheckpoint().logFrames > 0);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    // The file is emptied, then the thread reports it: wait for both.
    await until(() => statSync(`${file}-wal`).size === 0 && checkpointer.lastCheckpoint().logFrames === 0);
    // The writer goes on as before, on an empty WAL.
    writeRows(db, 500, 10);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 510 });
  });

  it('reports a thread that cannot open the database, and then never makes the writer wait', async () => {
    const failures: Error[] = [];
    const checkpointer = new WalCheckpointer('/nonexistent/dir/x.db', 'NORMAL', (e) => failures.push(e), {
      maxWalFrames: 0,
    });
    cleanups.push(() => checkpointer.close());
    await until(() => failures.length > 0);
    expect(checkpointer.hasFailed).toBe(true);
    checkpointer.committed();
    expect(checkpointer.keepWalBounded()).toBe(false);
  });
});
