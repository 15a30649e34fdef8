import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../src/demo/index.js';
import { Ledger } from '../src/ledger/capture.js';
import { operatorActor } from '../src/ledger/decide.js';
import { loadLogKeys } from '../src/ledger/keys.js';
import { LogService } from '../src/ledger/log-service.js';
import { leafHash, parseCheckpoint, parseNote, verifyInclusion } from '../src/tlog/index.js';
import { encodeLeaf } from '../src/tlog/leaf.js';
import { parseTlogProof, verifyTlogProof } from '../src/tlog/proof-bundle.js';
import { freshSqlite } from './helpers/stores.js';

/**
 * Full tiles are stored with their internal nodes so that a proof need not rehash them; proofs built from
 * the stored nodes must be exactly the proofs built from the leaves, and a corrupted node must never reach a
 * receipt.
 */
describe('log service proofs from stored tile nodes', () => {
  let handle: Awaited<ReturnType<typeof freshSqlite>>;
  let keysDir: string;
  let size: number;

  beforeAll(async () => {
    handle = await freshSqlite();
    keysDir = path.join(handle.dir, 'keys');
    const log = new LogService(handle.store, loadLogKeys(keysDir));
    const ledger = new Ledger(handle.store, { log: log.writer, clock: () => 1_760_000_000_000 });
    for (const document of generateWorld({ events: 1_300, seed: 'nodes', eventsPerDocument: 300 })) {
      await ledger.capture(JSON.stringify(document), operatorActor);
    }
    await log.publishCheckpoint();
    size = await handle.store.treeSize();
  });
  afterAll(async () => handle.dispose());

  it('stores internal nodes for every full tile', async () => {
    const nodes = await handle.store.getTileNodes([0, 1, 2, 3, 4, 5].map((index) => ({ level: 0, index })));
    expect(nodes.size).toBe(Math.floor(size / 256));
    for (const data of nodes.values()) expect(data.length).toBe(255 * 32);
  });

  it('proves every event under the signed root from a cold service (seeded from stored nodes)', async () => {
    const log = new LogService(handle.store, loadLogKeys(keysDir));
    const checkpoint = await log.latestCheckpoint();
    const root = parseCheckpoint(parseNote(checkpoint.note).text).root;
    for (const event of await handle.store.scanEvents(0, size)) {
      const proof = await log.inclusionProof(event.seq, size);
      const leaf = leafHash(
        encodeLeaf({ seq: event.seq, recordTime: event.recordTimeMs, eventHash: event.hash }),
      );
      expect(verifyInclusion(event.seq, size, leaf, proof, root), `event ${event.seq}`).toBe(true);
    }
  });

  it('never serves a receipt built from a corrupted stored node', async () => {
    handle.store.db.prepare('UPDATE tiles SET nodes = zeroblob(255 * 32) WHERE level = 0 AND idx = 1').run();
    const log = new LogService(handle.store, loadLogKeys(keysDir));
    const event = (await handle.store.scanEvents(300, 1))[0]!;
    const receipt = await log.receipt(event.hash);
    const parsed = parseTlogProof(receipt.proof);
    expect(() => verifyTlogProof(receipt.proof, log.keys.verifierKey, leafHash(parsed.extra!))).not.toThrow();
  });
});
