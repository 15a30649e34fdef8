import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/**
 * Opens a store from a path (SQLite, the default) or a postgres:// URL, and migrates it. `writerThread`: a SQLite
 * store appends on a worker thread (bulk import); PostgreSQL writes on its server anyway. A migration step that
 * rewrites data says so through `report`: by default on stderr, since stdout is for what a command prints.
 */
export async function openStore(
  target: string,
  options: { writerThread?: boolean; report?: (message: string) => void } = {},
): Promise<Store> {
  const store: Store = /^postgres(ql)?:\/\//.test(target)
    ? new PostgresStore(target)
    : new SqliteStore(target, { writerThread: options.writerThread === true });
  await store.migrate(options.report ?? ((message) => process.stderr.write(`raretrace: ${message}\n`)));
  return store;
}
