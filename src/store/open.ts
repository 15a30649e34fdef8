import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Opens a store from a path (SQLite, the default) or a postgres:// URL, and migrates it. */
export async function openStore(target: string): Promise<Store> {
  const store: Store = /^postgres(ql)?:\/\//.test(target)
    ? new PostgresStore(target)
    : new SqliteStore(target);
  await store.migrate();
  return store;
}
