import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { generateWorld } from '../../demo/index.js';
import { Ledger } from '../../ledger/capture.js';
import { operatorActor } from '../../ledger/decide.js';
import { createMerkleLogWriter } from '../../ledger/log-service.js';
import { SqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('optimize() after a load leaves the data in the database file and the WAL empty', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raretrace-optimize-'));
  dirs.push(dir);
  const file = path.join(dir, 'x.db');
  const store = new SqliteStore(file);
  await store.migrate();
  let clock = 1_760_000_000_000;
  const ledger = new Ledger(store, { log: createMerkleLogWriter(), clock: () => clock++ });
  for (const document of generateWorld({ events: 2_000, seed: 'optimize', eventsPerDocument: 500 })) {
    await ledger.capture(JSON.stringify(document), operatorActor);
  }
  expect(statSync(`${file}-wal`).size).toBeGreaterThan(statSync(file).size);
  const before = await store.fingerprint();
  await store.optimize();
  expect(statSync(`${file}-wal`).size).toBe(0);
  expect(await store.treeSize()).toBe(2_000);
  expect(await store.fingerprint()).toBe(before);
  await store.close();
});
