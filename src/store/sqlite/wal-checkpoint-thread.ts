import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { nameThisThread } from '../../core/worker.js';
import { CLOSE, type WalCheckpointShared, walCheckpointSlots } from './wal-checkpointer.js';

/**
 * The SQLite WAL checkpoint thread (see wal-checkpointer.ts): its own connection to the store's file, which runs a
 * PASSIVE checkpoint each time the writer thread has committed, and sleeps otherwise. It never writes rows.
 */
nameThisThread('rt-sqlite-wal');
const { path, shared, synchronous, idleMs } = workerData as WalCheckpointShared;
const { REQUESTED, DONE, LOG_FRAMES, COPIED_FRAMES } = walCheckpointSlots;
const slots = new Int32Array(shared);
const db = new Database(path);
// The checkpoint fsyncs the WAL and then the database file under NORMAL and FULL alike; set as the store is.
db.pragma(`synchronous = ${synchronous}`);
/** Whether the WAL was emptied since the last commit (see below). */
let emptied = true;

function checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): void {
  const result = (db.pragma(`wal_checkpoint(${mode})`) as { log: number; checkpointed: number }[])[0];
  Atomics.store(slots, LOG_FRAMES, result?.log ?? 0);
  Atomics.store(slots, COPIED_FRAMES, result?.checkpointed ?? 0);
}

try {
  for (;;) {
    const requested = Atomics.load(slots, REQUESTED);
    if (requested === CLOSE) break;
    if (requested === Atomics.load(slots, DONE)) {
      // Idle. Once the writer has been quiet for a second (an import ended), empty the WAL: until the next
      // write, readers would otherwise read the import's last pages from it (up to about 450 MB, by read()
      // calls rather than the memory map), and its disk space stays taken. TRUNCATE takes the writer's lock,
      // which is free now.
      const woke = Atomics.wait(slots, REQUESTED, requested, emptied ? undefined : idleMs);
      if (woke === 'timed-out') {
        checkpoint('TRUNCATE');
        emptied = true;
      }
      continue;
    }
    // PASSIVE: copies what no reader still needs, without waiting for the writer or blocking it.
    checkpoint('PASSIVE');
    emptied = false;
    Atomics.store(slots, DONE, requested);
    Atomics.notify(slots, DONE);
  }
} finally {
  db.close();
}
