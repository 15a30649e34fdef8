import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isProblem } from '../src/core/errors.js';
import { Ledger } from '../src/ledger/capture.js';
import { operatorActor } from '../src/ledger/decide.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { storeSchemaVersion } from '../src/store/schema-version.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { standardChain } from './helpers/scenario.js';
import { pgRequired, pgUrl, postgresAvailable } from './helpers/stores.js';

/**
 * Schema versions (src/store/schema-version.ts): a store records the version it is at, opening brings an older
 * one up, and a store written by a newer release is refused before anything is written to it.
 */
async function setVersion(store: Store, version: string): Promise<void> {
  if (store instanceof SqliteStore) {
    store.db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(version);
  } else if (store instanceof PostgresStore) {
    await store.pool.query("UPDATE meta SET value = $1 WHERE key = 'schema_version'", [version]);
  }
}

/** A store kind: how to make one without migrating it (a new file, a new schema), and how to clean up. */
interface Kind {
  readonly name: string;
  readonly available: () => Promise<boolean>;
  readonly make: () => { store: Store; again: () => Store; dispose: () => Promise<void> };
}

let counter = 0;
const kinds: Kind[] = [
  {
    name: 'sqlite',
    available: async () => true,
    make: () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'raretrace-schema-'));
      const file = path.join(dir, 'store.db');
      const store = new SqliteStore(file);
      const others: Store[] = [];
      return {
        store,
        again: () => {
          const other = new SqliteStore(file);
          others.push(other);
          return other;
        },
        dispose: async () => {
          for (const s of [store, ...others]) await s.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    available: postgresAvailable,
    make: () => {
      counter += 1;
      const schema = `sv_${process.pid}_${Date.now().toString(36)}_${counter}`;
      const store = new PostgresStore(pgUrl, { schema });
      const others: PostgresStore[] = [];
      return {
        store,
        again: () => {
          const other = new PostgresStore(pgUrl, { schema });
          others.push(other);
          return other;
        },
        dispose: async () => {
          await store.dropSchema();
          for (const s of [store, ...others]) await s.close();
        },
      };
    },
  },
];

for (const kind of kinds) {
  describe(`schema version: ${kind.name}`, async () => {
    const up = await kind.available();
    if (!up && pgRequired) throw new Error('PostgreSQL required');

    it.skipIf(!up)(
      'reads a store with no tables as missing, and records the current version once migrated',
      async () => {
        const { store, dispose } = kind.make();
        try {
          expect(await store.schemaStatus()).toEqual({
            found: 0,
            current: storeSchemaVersion,
            state: 'missing',
          });
          await store.migrate();
          expect(await store.schemaStatus()).toEqual({
            found: storeSchemaVersion,
            current: storeSchemaVersion,
            state: 'current',
          });
        } finally {
          await dispose();
        }
      },
    );

    it.skipIf(!up)('brings a store of version 1 up, keeping what it holds', async () => {
      const { store, dispose } = kind.make();
      try {
        await store.migrate();
        let clock = 1_760_000_000_000;
        const ledger = new Ledger(store, { log: undefined, clock: () => clock++ });
        for (const doc of standardChain()) await ledger.capture(JSON.stringify(doc), operatorActor);
        const size = await store.treeSize();
        expect(size).toBeGreaterThan(0);
        await setVersion(store, '1');
        expect((await store.schemaStatus()).state).toBe('behind');
        await store.migrate();
        expect(await store.schemaStatus()).toMatchObject({ found: storeSchemaVersion, state: 'current' });
        expect(await store.treeSize()).toBe(size);
      } finally {
        await dispose();
      }
    });

    it.skipIf(!up)('refuses a store written by a newer release, and writes nothing to it', async () => {
      const { store, dispose } = kind.make();
      try {
        await store.migrate();
        const newer = String(storeSchemaVersion + 1);
        await setVersion(store, newer);
        const before = await store.fingerprint();
        const refusal = await store.migrate().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isProblem(refusal)).toBe(true);
        if (!isProblem(refusal)) return;
        expect(refusal.kind).toBe('store-version');
        expect(refusal.status).toBe(409);
        expect(refusal.issues[0]).toMatchObject({
          rule: 'store:schema-version',
          field: 'meta/schema_version',
        });
        expect(refusal.message).toContain(`schema version ${newer}`);
        expect(refusal.message).not.toContain('postgres:postgres@');
        expect(await store.schemaStatus()).toMatchObject({ found: storeSchemaVersion + 1, state: 'ahead' });
        expect(await store.fingerprint()).toBe(before);
      } finally {
        await dispose();
      }
    });

    it.skipIf(!up)(
      'refuses a store whose recorded version is not a version number, and writes nothing to it',
      async () => {
        const { store, dispose } = kind.make();
        try {
          await store.migrate();
          for (const damaged of ['2; DROP TABLE events', '', '0', '-1', 'two']) {
            await setVersion(store, damaged);
            const before = await store.fingerprint();
            for (const attempt of [() => store.migrate(), () => store.schemaStatus()]) {
              const refusal = await attempt().then(
                () => undefined,
                (error: unknown) => error,
              );
              expect(isProblem(refusal), damaged).toBe(true);
              if (!isProblem(refusal)) return;
              expect(refusal.kind).toBe('store-unrecognised');
              expect(refusal.issues[0]).toMatchObject({
                rule: 'store:schema-version',
                field: 'meta/schema_version',
              });
            }
            expect(await store.fingerprint()).toBe(before);
          }
        } finally {
          await dispose();
        }
      },
    );

    it.skipIf(!up)('lets several processes open a new store at once', async () => {
      const { store, again, dispose } = kind.make();
      try {
        const all = [store, again(), again(), again()];
        await Promise.all(all.map((s) => s.migrate()));
        for (const s of all) expect((await s.schemaStatus()).state).toBe('current');
      } finally {
        await dispose();
      }
    });
  });
}

describe('schema version: a SQLite file of another application', () => {
  it('is refused, and left without raretrace tables', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'raretrace-foreign-'));
    const file = path.join(dir, 'foreign.db');
    try {
      const foreign = new Database(file);
      foreign.exec(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'a')",
      );
      foreign.close();
      const store = new SqliteStore(file);
      try {
        const refusal = await store.migrate().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isProblem(refusal) && refusal.kind).toBe('store-unrecognised');
        expect(String((refusal as Error).message)).toContain('customers');
      } finally {
        await store.close();
      }
      const after = new Database(file, { readonly: true });
      const tables = after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      after.close();
      expect(tables).toEqual(['customers']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
