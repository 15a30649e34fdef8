import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conformanceDir } from '../core/conformance.js';
import { Problem } from '../core/errors.js';
import {
  consistencyProofFromLeafHashes,
  emptyRoot,
  inclusionPathFromLeafHashes,
  leafHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import {
  appendEntryBundles,
  appendLeaves,
  consistencyProof,
  encodeEntryBundle,
  entriesPath,
  formatTileIndex,
  inclusionProof,
  MemoryTileStore,
  parseEntryBundle,
  parseTilePath,
  rootAt,
  type TileRef,
  tileKey,
  tilePath,
  tilesForConsistency,
  tilesForInclusion,
  tilesForRoot,
} from './tiles.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const leaves = (n: number, salt = ''): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${salt}leaf ${i}`)));

describe('tile paths (C2SP tlog-tiles, tessera api/layout/paths_test.go)', () => {
  it('encodes indexes in x-prefixed 3-digit groups', () => {
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(999)).toBe('999');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTileIndex(123456789)).toBe('x123/x456/789');
  });

  it('formats hash tiles and entry bundles, full and partial', () => {
    expect(tilePath(0, 0, 255)).toBe('tile/0/000.p/255');
    expect(tilePath(3, 1234067)).toBe('tile/3/x001/x234/067');
    expect(entriesPath(123456789)).toBe('tile/entries/x123/x456/789');
    expect(entriesPath(0, 255)).toBe('tile/entries/000.p/255');
    expect(() => tilePath(64, 0)).toThrow(Problem);
    expect(() => tilePath(0, 0, 0)).toThrow(Problem);
  });

  it('parses canonical paths and refuses the rest', () => {
    expect(parseTilePath('tile/3/x001/x234/067.p/17')).toEqual({
      kind: 'hash',
      level: 3,
      index: 1234067,
      width: 17,
    });
    expect(parseTilePath('/tile/entries/000')).toEqual({ kind: 'entries', index: 0, width: 256 });
    for (const bad of [
      'tile/0/0',
      'tile/0/x000/001',
      'tile/0/000.p/0',
      'tile/0/000.p/256',
      'tile/0/000.p/07',
      'tile/64/000',
      'tile/01/000',
      'tile/8/0/000',
    ]) {
      expect(() => parseTilePath(bad), bad).toThrow(Problem);
    }
  });

  it('entry bundles: uint16 big-endian length prefixes', () => {
    const entries = [Buffer.from('one'), new Uint8Array(0), new Uint8Array(300)];
    const data = encodeEntryBundle(entries);
    expect(hex(data.subarray(0, 5))).toBe('00036f6e65');
    expect(parseEntryBundle(data).map((e) => e.length)).toEqual([3, 0, 300]);
    expect(() => parseEntryBundle(data.subarray(0, data.length - 1))).toThrow(Problem);
    expect(() => encodeEntryBundle([new Uint8Array(65536)])).toThrow(Problem);
  });
});

describe('conformance: tiled-log (tessera testdata/log)', () => {
  const dir = path.join(conformanceDir(), 'tiled-log');
  const words = 'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'.split(
    ' ',
  );
  const checkpointRoot = (n: number): string =>
    (readFileSync(path.join(dir, `checkpoint.${n}`), 'utf8').split('\n')[2] as string).trim();

  it('appending the 15 entries one at a time reproduces every tile and bundle byte for byte', () => {
    const store = new MemoryTileStore();
    expect(Buffer.from(rootAt(0, store.readTile)).toString('base64')).toBe(checkpointRoot(0));
    for (let n = 1; n <= words.length; n++) {
      const result = store.appendEntries([Buffer.from(words[n - 1] as string)]);
      expect(result.newSize).toBe(n);
      expect(result.tiles).toHaveLength(1);
      expect(result.bundles).toHaveLength(1);
      const tile = result.tiles[0]!;
      const bundle = result.bundles[0]!;
      expect(tilePath(tile.level, tile.index, tile.width)).toBe(`tile/0/000.p/${n}`);
      expect(entriesPath(bundle.index, bundle.width)).toBe(`tile/entries/000.p/${n}`);
      expect(Buffer.from(tile.data).equals(readFileSync(path.join(dir, 'tile/0/000.p', String(n))))).toBe(
        true,
      );
      expect(
        Buffer.from(bundle.data).equals(readFileSync(path.join(dir, 'tile/entries/000.p', String(n)))),
      ).toBe(true);
      expect(Buffer.from(result.root).toString('base64')).toBe(checkpointRoot(n));
      expect(Buffer.from(rootAt(n, store.readTile)).toString('base64')).toBe(checkpointRoot(n));
    }
    // Every pair of sizes is consistent, computed from the final tiles only (tiles only grow).
    for (let m = 1; m <= 15; m++) {
      for (let n = m; n <= 15; n++) {
        const proof = consistencyProof(m, n, store.readTile);
        const r1 = Buffer.from(checkpointRoot(m), 'base64');
        const r2 = Buffer.from(checkpointRoot(n), 'base64');
        expect(verifyConsistency(m, n, proof, r1, r2)).toBe(true);
      }
    }
  });
});

describe('tile tree', () => {
  it('size 70,000 has the tile inventory of the tlog-tiles spec example', () => {
    const store = new MemoryTileStore();
    const all = leaves(70_000);
    for (let i = 0; i < all.length; i += 9_999) store.appendLeaves(all.slice(i, i + 9_999));
    const widths = (level: number): number[] =>
      [...store.tiles.entries()].filter(([k]) => k.startsWith(`${level}/`)).map(([, d]) => d.length / 32);
    expect(widths(0)).toHaveLength(274);
    expect(widths(0).filter((w) => w === 256)).toHaveLength(273);
    expect(widths(0)).toContain(112);
    expect(widths(1).sort((a, b) => a - b)).toEqual([17, 256]);
    expect(widths(2)).toEqual([1]);
    expect(tilesForRoot(70_000)).toEqual(
      expect.arrayContaining([
        { level: 2, index: 0, width: 1 },
        { level: 1, index: 1, width: 17 },
        { level: 0, index: 273, width: 112 },
      ]),
    );
    expect(tilesForRoot(70_000)).toHaveLength(3);
    expect(hex(rootAt(70_000, store.readTile))).toBe(hex(rootFromLeafHashes(all)));
    expect(tilesForRoot(65_536)).toEqual([{ level: 2, index: 0, width: 1 }]);
    expect(rootAt(0, store.readTile)).toEqual(emptyRoot());
  });

  it('batching does not change the tiles', () => {
    const all = leaves(2_000);
    const one = new MemoryTileStore();
    for (const h of all) one.appendLeaves([h]);
    const batched = new MemoryTileStore();
    batched.appendLeaves(all.slice(0, 255));
    batched.appendLeaves([]);
    batched.appendLeaves(all.slice(255, 1_537));
    batched.appendLeaves(all.slice(1_537));
    expect([...batched.tiles.keys()].sort()).toEqual([...one.tiles.keys()].sort());
    for (const [k, v] of one.tiles) expect(hex(batched.tiles.get(k)!), k).toBe(hex(v));
  });

  it('entry bundles across tile boundaries', () => {
    const bundles = new Map<number, Uint8Array>();
    let size = 0;
    const entries = Array.from({ length: 600 }, (_, i) => Buffer.from(`e${i}`));
    for (const batch of [entries.slice(0, 10), entries.slice(10, 300), entries.slice(300)]) {
      for (const b of appendEntryBundles(size, batch, (i) => bundles.get(i))) bundles.set(b.index, b.data);
      size += batch.length;
    }
    expect([...bundles.keys()]).toEqual([0, 1, 2]);
    const back = [0, 1, 2].flatMap((i) =>
      parseEntryBundle(bundles.get(i)!).map((e) => Buffer.from(e).toString()),
    );
    expect(back).toEqual(entries.map((e) => e.toString()));
  });

  it('missing tiles are a tlog-tile-missing problem naming the tile', () => {
    const store = new MemoryTileStore();
    store.appendLeaves(leaves(300));
    store.tiles.delete(tileKey(0, 1));
    try {
      inclusionProof(299, 300, store.readTile);
      expect.unreachable();
    } catch (e) {
      expect((e as Problem).kind).toBe('tlog-tile-missing');
      expect((e as Problem).extensions.tile).toMatchObject({ level: 0, index: 1 });
    }
    expect(() => appendLeaves({ size: 300 }, leaves(1), store.readTile)).toThrow(Problem);
    expect(() => inclusionProof(300, 300, store.readTile)).toThrow(Problem);
    expect(() => consistencyProof(5, 4, store.readTile)).toThrow(Problem);
  });
});

/** Keeps only the listed tiles, cut to the listed width: what a store fetching exactly that list would hold. */
function fetchOnly(store: MemoryTileStore, refs: readonly TileRef[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const r of refs) {
    const data = store.tiles.get(tileKey(r.level, r.index));
    if (data === undefined) throw new Error(`store lacks ${tilePath(r.level, r.index, r.width)}`);
    expect(data.length).toBeGreaterThanOrEqual(r.width * 32);
    out.set(tileKey(r.level, r.index), data.subarray(0, r.width * 32));
  }
  return out;
}

describe('property: tile-derived roots and proofs equal the reference', () => {
  const big = leaves(70_000, 'p');
  const bigStore = new MemoryTileStore();
  for (let i = 0; i < big.length; i += 4_096) bigStore.appendLeaves(big.slice(i, i + 4_096));

  it('small trees (≤ 1,500): byte-equal proofs, two-phase with exactly the listed tiles', () => {
    const pool = leaves(1_500, 's');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_500 }), fc.nat(), fc.nat(), (n, a, b) => {
        const d = pool.slice(0, n);
        const store = new MemoryTileStore();
        store.appendLeaves(d);
        const root = rootFromLeafHashes(d);
        expect(hex(store.tree.root(n))).toBe(hex(root));
        expect(hex(rootAt(n, fetchOnly(store, tilesForRoot(n))))).toBe(hex(root));
        const i = a % n;
        const proof = inclusionProof(i, n, fetchOnly(store, tilesForInclusion(i, n)));
        expect(proof.map(hex)).toEqual(inclusionPathFromLeafHashes(i, d).map(hex));
        expect(verifyInclusion(i, n, d[i]!, proof, root)).toBe(true);
        const m = b % (n + 1);
        const cp = consistencyProof(m, n, fetchOnly(store, tilesForConsistency(m, n)));
        expect(cp.map(hex)).toEqual(consistencyProofFromLeafHashes(m, d).map(hex));
        if (m > 0) expect(verifyConsistency(m, n, cp, rootFromLeafHashes(d.slice(0, m)), root)).toBe(true);
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it('three-level tree (70,000): proofs for earlier sizes from the latest tiles verify', () => {
    fc.assert(
      fc.property(fc.integer({ min: 60_000, max: 70_000 }), fc.nat(), fc.nat(), (n, a, b) => {
        const root = rootFromLeafHashes(big.slice(0, n));
        expect(hex(bigStore.tree.root(n))).toBe(hex(root));
        const i = a % n;
        expect(verifyInclusion(i, n, big[i]!, bigStore.tree.inclusionProof(i, n), root)).toBe(true);
        const m = 1 + (b % n);
        const r1 = bigStore.tree.root(m);
        expect(verifyConsistency(m, n, bigStore.tree.consistencyProof(m, n), r1, root)).toBe(true);
      }),
      { numRuns: 15, seed: 11 },
    );
  });
});
