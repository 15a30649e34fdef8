import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { nameThisThread, threadError } from '../../core/worker.js';
import { EventTextShelf } from '../event-texts.js';
import type { RowBatch } from './rows.js';
import { SqliteStore } from './sqlite-store.js';

/**
 * The SQLite writer thread: its own connection to the store's file, writing the row batches the capture
 * thread posts, one transaction each, in order. See SqliteStore's `writerThread` option. Prepare threads may
 * send it event texts directly (src/store/event-texts.ts), on ports the capture thread hands it.
 */
nameThisThread('rt-sqlite-write');
const store = new SqliteStore(workerData.path as string);
// Checkpoint at SQLite's default 1,000 pages, not the store's 10,000: the capture thread reads the pages this
// thread has just written (hash and lot lookups), and a short WAL lets it read them through the memory-mapped
// file rather than with read() calls on the WAL (1,000,000-event import: 18,700 events/s at 10,000, 21,900/s at
// 1,000, measured). Since then a bulk import's hash filter spares most hash lookups; 10,000 was measured again
// (2026-12-05): 3 % faster at 300,000 events, 3 % slower at 1,000,000, so 1,000 stays.
store.db.pragma('wal_autocheckpoint = 1000');
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
    store.db.close();
    port.postMessage({ id: message.id });
    port.close();
    return;
  }
  try {
    store.writeRows(message.rows, shelf);
    port.postMessage({ id: message.id });
  } catch (error) {
    port.postMessage({ id: message.id, error: threadError(error) });
  }
});
