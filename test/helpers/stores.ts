import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

/**
 * Test stores. PostgreSQL comes from RARETRACE_PG_URL (default: the local cluster .ci/run starts). When it is
 * unreachable the PostgreSQL cases are skipped, unless RARETRACE_REQUIRE_PG=1 (as in CI), where that fails.
 */
export const pgUrl =
  process.env.RARETRACE_PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/raretrace_test';
export const pgRequired = process.env.RARETRACE_REQUIRE_PG === '1';

let pgAvailable: boolean | undefined;
export async function postgresAvailable(): Promise<boolean> {
  if (pgAvailable !== undefined) return pgAvailable;
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    pgAvailable = true;
  } catch (error) {
    if (pgRequired)
      throw new Error(
        `PostgreSQL is required (RARETRACE_REQUIRE_PG=1) but unreachable at ${pgUrl}: ${String(error)}`,
      );
    pgAvailable = false;
  } finally {
    await client.end().catch(() => undefined);
  }
  return pgAvailable;
}

let counter = 0;

export interface TestStore {
  readonly store: Store;
  dispose(): Promise<void>;
}

export async function freshSqlite(): Promise<TestStore & { store: SqliteStore; path: string; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'raretrace-'));
  const file = path.join(dir, 'test.db');
  const store = new SqliteStore(file);
  await store.migrate();
  return {
    store,
    path: file,
    dir,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function freshPostgres(): Promise<TestStore> {
  counter += 1;
  const schema = `t_${process.pid}_${Date.now().toString(36)}_${counter}`;
  const store = new PostgresStore(pgUrl, { schema });
  await store.migrate();
  return {
    store,
    dispose: async () => {
      await store.dropSchema();
      await store.close();
    },
  };
}

export const storeKinds = [
  { name: 'sqlite', open: freshSqlite, available: async () => true },
  { name: 'postgres', open: freshPostgres, available: postgresAvailable },
] as const;

/**
 * A fresh, empty PostgreSQL schema and a connection URL whose search_path is that schema: for code that opens
 * its own store from a URL (openRuntime, the CLI). `dispose` drops the schema.
 */
export async function freshPostgresUrl(): Promise<{ url: string; dispose(): Promise<void> }> {
  counter += 1;
  const schema = `u_${process.pid}_${Date.now().toString(36)}_${counter}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    dispose: async () => {
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A repository on a fresh store of one kind, and how to remove that store. */
export type OpenRepository<R> = () => Promise<{ repo: R; dispose(): Promise<void> }>;

/**
 * The kinds a controls repository comes in, for one contract suite over all of them (`describe.each`):
 * [name, open, available]. In memory, in an in-memory SQLite database, and in a fresh PostgreSQL schema
 * (available when PostgreSQL is; see postgresAvailable).
 */
export async function repositoryKinds<R>(make: {
  memory: () => R;
  sqlite: (db: Database.Database) => R;
  postgres: (pool: pg.Pool) => Promise<R>;
}): Promise<[string, OpenRepository<R>, boolean][]> {
  const none = async (): Promise<void> => {};
  return [
    ['in-memory', async () => ({ repo: make.memory(), dispose: none }), true],
    ['sqlite', async () => ({ repo: make.sqlite(new Database(':memory:')), dispose: none }), true],
    [
      'postgres',
      async () => {
        const handle = await freshPostgres();
        return { repo: await make.postgres((handle.store as PostgresStore).pool), dispose: handle.dispose };
      },
      await postgresAvailable(),
    ],
  ];
}

/**
 * Inside a describe block: a function that opens a repository for the running test; each one's store is
 * removed after that test.
 */
export function repositoryPerTest<R>(open: OpenRepository<R>): () => Promise<R> {
  const disposals: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const dispose of disposals.splice(0)) await dispose();
  });
  return async () => {
    const { repo, dispose } = await open();
    disposals.push(dispose);
    return repo;
  };
}
