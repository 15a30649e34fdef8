import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { nameThisThread, threadError } from '../../core/worker.js';
import { EventTextShelf } from '../event-texts.js';
import type { RowBatch } from './rows.js';
import { SqliteStore, synchronousMode } from './sqlite-store.js';
import { WalCheckpointer } from './wal-checkpointer.js';

/**
 * The SQLite writer thread: its own connection to the store's file, writing the row batches the capture
 * thread posts, one transaction each, in order. See SqliteStore's `writerThread` option. Prepare threads may
 * send it event texts directly (src/store/event-texts.ts), on ports the capture thread hands it.
 */
nameThisThread('rt-sqlite-write');
const store = new SqliteStore(workerData.path as string);
// WAL checkpoints run on a thread of their own (wal-checkpointer.ts), not here: this connection never
// checkpoints unless that thread fails, when it goes back to SQLite's default of every 1,000 pages (not the
// store's 10,000: the capture thread reads the pages this thread has just written, and a short WAL lets it
// read them through the memory-mapped file; measured 2026-11-25 and 2026-12-05).
store.db.pragma('wal_autocheckpoint = 0');
const checkpointer = new WalCheckpointer(workerData.path as string, synchronousMode(), (error) => {
  store.db.pragma('wal_autocheckpoint = 1000');
  process.emitWarning(`SQLite WAL checkpoint thread failed; the writer checkpoints itself: ${error.message}`);
});
const shelf = new EventTextShelf();
const port = parentPort;
if (port === null) throw new Error('writer-thread runs only as a worker');
type Message = { id: number; rows: RowBatch } | { id: number; close: true } | { textPort: MessagePort };
port.on('message', (message: Message) => {
  if ('textPort' in message) {
    shelf.addPort(message.textPort);
    return;
  }
  if ('close' in message) {
    void checkpointer.close().then(() => {
      store.db.close();
      port.postMessage({ id: message.id });
      port.close();
    });
    return;
  }
  try {
    checkpointer.keepWalBounded();
    store.writeRows(message.rows, shelf);
    checkpointer.committed();
    port.postMessage({ id: message.id });
  } catch (error) {
    port.postMessage({ id: message.id, error: threadError(error) });
  }
});
