import type { TileRecord } from '../store/store.js';

/** One log leaf: what the tree commits to for an event (see src/tlog/leaf.ts). */
export interface LeafInput {
  readonly seq: number;
  readonly recordTimeMs: number;
  readonly eventHash: string;
}

/**
 * The seam between capture and the Merkle log: which stored tiles an append needs, and the tiles it changes.
 * Pure; the store persists what it returns in the same transaction as the events.
 */
export interface LogWriter {
  tilesNeeded(size: number): { level: number; index: number }[];
  append(size: number, leaves: readonly LeafInput[], tiles: ReadonlyMap<string, Uint8Array>): TileRecord[];
}
