import { PostgresStore, withoutPassword } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Whether a --db target names a PostgreSQL database (a postgres:// URL) rather than a SQLite file. */
export function isPostgresTarget(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/** A --db target as messages name it: a PostgreSQL URL without its password. */
export function storeName(target: string): string {
  return isPostgresTarget(target) ? withoutPassword(target) : target;
}

/**
 * A store for a path (SQLite, the default) or a postgres:// URL, as it is: not migrated (see openStore). A SQLite
 * file that does not exist is created, empty. `writerThread`: a SQLite store appends on a worker thread (bulk
 * import); PostgreSQL writes on its server anyway.
 */
export function connectStore(target: string, options: { writerThread?: boolean } = {}): Store {
  return isPostgresTarget(target)
    ? new PostgresStore(target)
    : new SqliteStore(target, { writerThread: options.writerThread === true });
}

/**
 * Opens a store and migrates it (Store.migrate): a store of an earlier schema version is brought up to this
 * release's, a store of a later one is refused. A migration step that rewrites data says so through `report`:
 * by default on stderr, since stdout is for what a command prints.
 */
export async function openStore(
  target: string,
  options: { writerThread?: boolean; report?: (message: string) => void } = {},
): Promise<Store> {
  const store = connectStore(target, options);
  try {
    await store.migrate(options.report ?? ((message) => process.stderr.write(`raretrace: ${message}\n`)));
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
