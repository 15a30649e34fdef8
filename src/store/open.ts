import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/**
 * Opens a store from a path (SQLite, the default) or a postgres:// URL, and migrates it. `writerThread`: a SQLite
 * store appends on a worker thread (bulk import); PostgreSQL writes on its server anyway.
 */
export async function openStore(target: string, options: { writerThread?: boolean } = {}): Promise<Store> {
  const store: Store = /^postgres(ql)?:\/\//.test(target)
    ? new PostgresStore(target)
    : new SqliteStore(target, { writerThread: options.writerThread === true });
  await store.migrate();
  return store;
}
