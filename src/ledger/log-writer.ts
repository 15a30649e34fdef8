import type { LogLeaf, TileRecord } from '../store/store.js';
import { tileKey } from '../store/store.js';
import { appendLeaves, TILE_WIDTH, TileCache, tilesForAppend } from '../tlog/index.js';
import { leafHashOf } from '../tlog/leaf.js';

/** One log leaf: what the tree commits to for an event (see src/tlog/leaf.ts). */
export type LeafInput = LogLeaf;

/**
 * The seam between capture and the Merkle log: which stored tiles an append needs, and the tiles it changes.
 * Pure; the store persists what it returns in the same transaction as the events.
 */
export interface LogWriter {
  tilesNeeded(size: number): { level: number; index: number }[];
  append(size: number, leaves: readonly LeafInput[], tiles: ReadonlyMap<string, Uint8Array>): TileRecord[];
}

/** Computes leaf hashes and the changed tiles for an append; pure, shared by every store. */
export function createMerkleLogWriter(): LogWriter {
  // Computes each full tile's internal nodes once, as it fills, and hands them to the store beside the tile.
  const cache = new TileCache(1024);
  return {
    tilesNeeded: (size) => tilesForAppend(size).map((t) => ({ level: t.level, index: t.index })),
    append: (size, leaves: readonly LeafInput[], tiles): TileRecord[] => {
      const hashes = leaves.map((leaf) =>
        leafHashOf({ seq: leaf.seq, recordTime: leaf.recordTimeMs, eventHash: leaf.eventHash }),
      );
      const result = appendLeaves(
        { size },
        hashes,
        (level, index) => tiles.get(tileKey(level, index)),
        cache,
      );
      return result.tiles.map((t) => {
        const nodes = t.width === TILE_WIDTH ? cache.internalOf(t.level, t.index) : undefined;
        return {
          level: t.level,
          index: t.index,
          width: t.width,
          data: t.data,
          ...(nodes === undefined ? {} : { nodes }),
        };
      });
    },
  };
}
