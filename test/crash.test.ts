import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../src/core/prng.js';
import { loadLogKeys } from '../src/ledger/keys.js';
import { LogService } from '../src/ledger/log-service.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { decodeBase64Strict, openCheckpoint, verifyConsistency } from '../src/tlog/index.js';
import { freshSqlite } from './helpers/stores.js';

/**
 * Crash consistency: SIGKILL the importer at random points, many times. After each restart `verify` passes, no
 * event whose receipt was returned is missing, and every checkpoint ever signed is consistent with the log.
 */
const kills = 8;
const root = path.resolve(import.meta.dirname, '..');

function runImporter(args: string[], killAfterMs: number | undefined): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'test/helpers/crash-importer.ts'), ...args],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('finished');
      else reject(new Error(`importer exited with ${code}: ${stderr}`));
    });
  });
}

describe('crash consistency under SIGKILL', () => {
  let handle: Awaited<ReturnType<typeof freshSqlite>>;
  beforeAll(async () => {
    handle = await freshSqlite();
    await handle.store.close();
  });
  afterAll(async () => handle.dispose().catch(() => undefined));

  it(`keeps every promise across ${kills} kills`, async () => {
    const random = createRandom('crash-test');
    const keysDir = path.join(handle.dir, 'keys');
    const journal = path.join(handle.dir, 'journal.ndjson');
    // A world larger than the rounds can finish, so that every round is cut short somewhere new.
    const args = [handle.path, keysDir, journal, 'crash', '200000'];
    let killed = 0;
    let checked = 0;
    for (let round = 0; round < kills; round++) {
      const outcome = await runImporter(args, random.int(900, 3_000));
      if (outcome === 'killed') killed += 1;

      const store = new SqliteStore(handle.path);
      await store.migrate();
      try {
        const log = new LogService(store, loadLogKeys(keysDir));
        const report = await verifyLedger(store, log.keys.allVerifiers, log.origin);
        expect(report.findings, `round ${round}`).toEqual([]);
        const size = await store.treeSize();
        const entries = existsSync(journal)
          ? readFileSync(journal, 'utf8')
              .split('\n')
              .filter((l) => l.length > 0)
              .map(
                (l) =>
                  JSON.parse(l) as { receipt?: string; hash?: string; seq?: number; checkpoint?: string },
              )
          : [];
        for (const entry of entries) {
          if (entry.hash !== undefined) {
            // A receipt was returned: the event is there, at the index the receipt proves.
            expect((await store.getEventByHash(entry.hash))?.seq, `round ${round}`).toBe(entry.seq);
            checked += 1;
          }
          if (entry.checkpoint !== undefined) {
            const { checkpoint } = openCheckpoint(entry.checkpoint, log.keys.allVerifiers, {
              origin: log.origin,
            });
            expect(checkpoint.size).toBeLessThanOrEqual(size);
            const proof = await log.consistencyProof(checkpoint.size, size);
            const currentRoot = await log.rootAt(size);
            const consistent =
              checkpoint.size === size
                ? Buffer.from(checkpoint.root).equals(Buffer.from(currentRoot))
                : verifyConsistency(checkpoint.size, size, proof, checkpoint.root, currentRoot);
            expect(consistent, `checkpoint ${checkpoint.size} vs ${size}`).toBe(true);
          }
        }
        for (const stored of await store.listCheckpoints()) {
          expect(decodeBase64Strict(stored.root)).toBeDefined();
        }
      } finally {
        await store.close();
      }
    }
    expect(killed).toBe(kills);
    expect(checked).toBeGreaterThan(kills);
  }, 240_000);
});
