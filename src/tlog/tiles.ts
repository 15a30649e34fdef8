/**
 * C2SP tlog-tiles (tile height 8, width 256) and a tile-only Merkle tree: a store keeps nothing but tiles (and
 * entry bundles) plus the tree size, and every root and proof is computed from them.
 *
 * Model (tlog-tiles "Merkle Tree"): the level-L tile with index N holds, for i = 0..W−1, the hash of the perfect
 * subtree of height 8L with index N·256+i, i.e. MTH(D[(N·256+i)·256^L : (N·256+i+1)·256^L]). Level 0 holds leaf
 * hashes; level L ≥ 1 holds the roots of full level-(L−1) tiles. Tiles only ever grow by appending, so the
 * first w hashes of any stored version of a tile are the same: a reader may always be handed a wider (or the
 * full) tile when it asked for a narrower one.
 *
 * Any perfect subtree of height h = 8L + r (0 ≤ r < 8) is the root of 2^r consecutive hashes of one level-L
 * tile (2^r divides 256), so every node the RFC 9162 proof algorithms need costs at most 127 hashes to
 * rebuild, and an inclusion proof reads about one tile per level (log_256 n tiles).
 *
 * Sizes and indexes are JS numbers (safe integers, < 2^53): far beyond any log this library will see, and the
 * tile arithmetic below uses division, never the 32-bit bit operators.
 */
import { hash } from 'node:crypto';
import { Problem } from '../core/errors.js';
import { emptyRoot, HASH_SIZE, leafHash, nodeHash, splitPoint } from './merkle.js';

/** tlog-tiles fixes the tile height at 8, so a full tile holds 2^8 = 256 hashes (8 KiB). */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** tlog-tiles: "L is the level, 0–63". */
export const MAX_TILE_LEVEL = 63;
/** tlog-tiles entry bundles prefix each entry with a big-endian uint16 length. */
export const MAX_ENTRY_BYTES = 0xffff;

/** Which tile, and how many hashes it has at the tree size in question (256 = full). */
export interface TileRef {
  readonly level: number;
  readonly index: number;
  readonly width: number;
}

/** A tile and its bytes: `width` concatenated 32-byte hashes. */
export interface Tile extends TileRef {
  readonly data: Uint8Array;
}

/** An entry bundle `tile/entries/<index>[.p/<width>]`: `width` uint16-length-prefixed entries. */
export interface EntryBundle {
  readonly index: number;
  readonly width: number;
  readonly data: Uint8Array;
}

/**
 * Synchronous tile lookup: the stored (possibly partial, possibly wider than needed) tile bytes, or undefined.
 * Stores keep one row per (level, index) and overwrite it as it grows.
 */
export type ReadTile = (level: number, index: number) => Uint8Array | undefined;
/** Tiles fetched ahead of time, keyed by `tileKey(level, index)`. */
export type TileSet = ReadonlyMap<string, Uint8Array>;
/** Either a map of prefetched tiles or a synchronous lookup. */
export type TileSource = TileSet | ReadTile;
/** Synchronous entry-bundle lookup by bundle index. */
export type ReadBundle = (index: number) => Uint8Array | undefined;

/** Map key of a tile in a `TileSet`. */
export function tileKey(level: number, index: number): string {
  return `${level}/${index}`;
}

/** Builds a `TileSet` from fetched tiles (for the two-phase proof functions). */
export function tileSet(
  tiles: Iterable<{ level: number; index: number; data: Uint8Array }>,
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const t of tiles) out.set(tileKey(t.level, t.index), t.data);
  return out;
}

function checkInt(value: number, what: string, min = 0): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Problem('bad-request', `${what} must be an integer ≥ ${min} below 2^53, got ${value}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Paths (tlog-tiles "Merkle Tree" and "Log Entries" sections)
// ---------------------------------------------------------------------------------------------------------

/**
 * tlog-tiles index encoding: zero-padded 3-digit groups, every group but the last prefixed with `x`
 * (1234067 → `x001/x234/067`), so that directories stay at most 1000 entries wide.
 */
export function formatTileIndex(index: number): string {
  checkInt(index, 'tile index');
  let n = index;
  const groups: string[] = [String(n % 1000).padStart(3, '0')];
  n = Math.floor(n / 1000);
  while (n > 0) {
    groups.unshift(`x${String(n % 1000).padStart(3, '0')}`);
    n = Math.floor(n / 1000);
  }
  return groups.join('/');
}

function widthSuffix(width: number): string {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new Problem('bad-request', `tile width must be 1..256, got ${width}`);
  }
  // tlog-tiles: partial tiles carry `.p/<W>`; full tiles have no suffix.
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}

/** `tile/<L>/<N>[.p/<W>]` (tlog-tiles). */
export function tilePath(level: number, index: number, width: number = TILE_WIDTH): string {
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL) {
    throw new Problem('bad-request', `tile level must be 0..63, got ${level}`);
  }
  return `tile/${level}/${formatTileIndex(index)}${widthSuffix(width)}`;
}

/** `tile/entries/<N>[.p/<W>]` (tlog-tiles). */
export function entriesPath(index: number, width: number = TILE_WIDTH): string {
  return `tile/entries/${formatTileIndex(index)}${widthSuffix(width)}`;
}

export type ParsedTilePath =
  | { readonly kind: 'hash'; readonly level: number; readonly index: number; readonly width: number }
  | { readonly kind: 'entries'; readonly index: number; readonly width: number };

const PATH_RE = /^tile\/(entries|\d{1,2})\/((?:x\d{3}\/)*\d{3})(?:\.p\/(\d{1,3}))?$/;

/**
 * Parses a tile or entry-bundle path (leading slash optional). Strict: the canonical spelling only, so that a
 * static server maps each resource to exactly one path. Throws `tlog-malformed`.
 */
export function parseTilePath(p: string): ParsedTilePath {
  const m = PATH_RE.exec(p.startsWith('/') ? p.slice(1) : p);
  const bad = (): Problem => new Problem('tlog-malformed', `not a tlog-tiles path: ${JSON.stringify(p)}`);
  if (m === null) throw bad();
  const [, levelText, indexText, widthText] = m as unknown as [string, string, string, string | undefined];
  const index = Number(indexText.replace(/x|\//g, ''));
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (!Number.isSafeInteger(index)) throw bad();
  // A partial tile has width 1..255; a full one has no suffix.
  if (widthText !== undefined && (width < 1 || width >= TILE_WIDTH)) throw bad();
  // Reject non-canonical forms: leading zero groups ("x000/001"), width "007".
  if (formatTileIndex(index) !== indexText || (widthText !== undefined && String(width) !== widthText))
    throw bad();
  if (levelText === 'entries') return { kind: 'entries', index, width };
  const level = Number(levelText);
  if (level > MAX_TILE_LEVEL || String(level) !== levelText) throw bad();
  return { kind: 'hash', level, index, width };
}

// ---------------------------------------------------------------------------------------------------------
// Entry bundles (tlog-tiles "Log Entries")
// ---------------------------------------------------------------------------------------------------------

/** Encodes entries as a bundle: each entry prefixed with its big-endian uint16 length. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_BYTES) {
      throw new Problem('bad-request', `a tlog-tiles entry is at most 65535 bytes, got ${e.length}`);
    }
    total += 2 + e.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries) {
    out[at] = e.length >>> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/** Splits a bundle into its entries (views into `data`). Throws `tlog-malformed` on a truncated bundle. */
export function parseEntryBundle(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + 2 > data.length) throw new Problem('tlog-malformed', 'entry bundle ends inside a length prefix');
    const len = ((data[at] as number) << 8) | (data[at + 1] as number);
    if (at + 2 + len > data.length) throw new Problem('tlog-malformed', 'entry bundle ends inside an entry');
    out.push(data.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return out;
}

/** The bundle `appendEntryBundles(size, …)` will read: the partial bundle at `size`, if any. */
export function bundleForAppend(size: number): { index: number; width: number } | undefined {
  checkInt(size, 'tree size');
  const width = size % TILE_WIDTH;
  return width === 0 ? undefined : { index: Math.floor(size / TILE_WIDTH), width };
}

/**
 * Appends entries to the bundles of a log of `size` entries and returns every bundle that changed (full ones
 * with width 256, then the new partial one): a store upserts them by index. Reads only the partial bundle at
 * `size` (see `bundleForAppend`).
 */
export function appendEntryBundles(
  size: number,
  entries: readonly Uint8Array[],
  readBundle: ReadBundle,
): EntryBundle[] {
  checkInt(size, 'tree size');
  const out: EntryBundle[] = [];
  let index = Math.floor(size / TILE_WIDTH);
  let pending: Uint8Array[] = [];
  const have = size % TILE_WIDTH;
  if (have > 0) {
    const stored = readBundle(index);
    const parsed = stored === undefined ? [] : parseEntryBundle(stored);
    if (parsed.length < have) {
      throw new Problem(
        'tlog-tile-missing',
        `entry bundle ${index} has ${parsed.length} entries, the log of size ${size} needs ${have}`,
      );
    }
    pending = parsed.slice(0, have);
  }
  for (const e of entries) {
    pending.push(e);
    if (pending.length === TILE_WIDTH) {
      out.push({ index, width: TILE_WIDTH, data: encodeEntryBundle(pending) });
      index++;
      pending = [];
    }
  }
  if (pending.length > 0 && entries.length > 0) {
    out.push({ index, width: pending.length, data: encodeEntryBundle(pending) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Hash tiles: reading nodes
// ---------------------------------------------------------------------------------------------------------

const pow256 = (level: number): number => 256 ** level;

/** Width of tile (level, index) in the tree of `size` leaves: 256 when full, 1..255 when partial, ≤ 0 absent. */
export function tileWidthAt(level: number, index: number, size: number): number {
  return Math.min(TILE_WIDTH, Math.floor(size / pow256(level)) - index * TILE_WIDTH);
}

/** A perfect subtree: height h, index k (covers leaves [k·2^h, (k+1)·2^h)). */
interface NodeId {
  readonly h: number;
  readonly k: number;
}

/** Where a perfect node lives: 2^r consecutive hashes starting at `offset` in tile (level, index). */
function locate(node: NodeId): { level: number; index: number; offset: number; count: number } {
  const level = Math.floor(node.h / TILE_HEIGHT);
  const count = 2 ** (node.h - level * TILE_HEIGHT);
  const first = node.k * count;
  const index = Math.floor(first / TILE_WIDTH);
  return { level, index, offset: first - index * TILE_WIDTH, count };
}

/**
 * The perfect subtrees covering [s, e), largest first. In every range the RFC 9162 algorithms visit, s is a
 * multiple of a power of two ≥ e − s, so the greedy split is exactly the recursive MTH split (§2.1.1).
 */
function rangeNodes(s: number, e: number): NodeId[] {
  const out: NodeId[] = [];
  let at = s;
  while (at < e) {
    let size = 1;
    let h = 0;
    while (size * 2 <= e - at) {
      size *= 2;
      h++;
    }
    if (at % size !== 0) throw new Error(`internal: range [${s}, ${e}) is not a subtree range`);
    out.push({ h, k: at / size });
    at += size;
  }
  return out;
}

type Range = readonly [number, number];

/** RFC 9162 §2.1.3.1 PATH(m, D[n]) as leaf ranges whose MTH form the proof, leaf sibling first. */
function inclusionRanges(index: number, size: number): Range[] {
  const out: Range[] = [];
  let a = 0;
  let b = size;
  while (b - a > 1) {
    const k = splitPoint(b - a);
    if (index < a + k) {
      out.push([a + k, b]);
      b = a + k;
    } else {
      out.push([a, a + k]);
      a += k;
    }
  }
  return out.reverse();
}

/** RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], true) as leaf ranges, in proof order. Empty for m = 0 or m = n. */
function consistencyRanges(m: number, n: number): Range[] {
  if (m === 0 || m === n) return [];
  const out: Range[] = [];
  let a = 0;
  let b = n;
  let rel = m;
  let complete = true;
  for (;;) {
    if (rel === b - a) {
      if (!complete) out.push([a, b]);
      break;
    }
    const k = splitPoint(b - a);
    if (rel <= k) {
      out.push([a + k, b]);
      b = a + k;
    } else {
      out.push([a, a + k]);
      a += k;
      rel -= k;
      complete = false;
    }
  }
  return out.reverse();
}

function refsFor(ranges: readonly Range[], size: number): TileRef[] {
  const seen = new Map<string, TileRef>();
  for (const [s, e] of ranges) {
    for (const node of rangeNodes(s, e)) {
      const { level, index } = locate(node);
      const key = tileKey(level, index);
      if (!seen.has(key)) seen.set(key, { level, index, width: tileWidthAt(level, index, size) });
    }
  }
  return [...seen.values()];
}

/** Wraps a source in a per-call memo, so a store lookup happens at most once per tile per operation. */
function reader(source: TileSource): ReadTile {
  const memo = new Map<string, Uint8Array | undefined>();
  const lookup: ReadTile =
    typeof source === 'function' ? source : (level, index) => source.get(tileKey(level, index));
  return (level, index) => {
    const key = tileKey(level, index);
    if (memo.has(key)) return memo.get(key);
    const data = lookup(level, index);
    memo.set(key, data);
    return data;
  };
}

const scratch = Buffer.alloc(1 + 2 * HASH_SIZE);
scratch[0] = 0x01;

/**
 * MTH of `count` (a power of two) consecutive hashes of `data` from `offset`: hashes pairs in place in one work
 * buffer with one reused 65-byte input, RFC 9162 §2.1.1 node hash. This is the hot loop of proof generation.
 */
function perfectRoot(data: Uint8Array, offset: number, count: number): Uint8Array {
  const start = offset * HASH_SIZE;
  if (count === 1) return data.slice(start, start + HASH_SIZE);
  const work = data.slice(start, start + count * HASH_SIZE);
  for (let w = count; w > 1; w /= 2) {
    for (let i = 0; i < w / 2; i++) {
      scratch.set(work.subarray(2 * i * HASH_SIZE, (2 * i + 2) * HASH_SIZE), 1);
      work.set(hash('sha256', scratch, 'buffer'), i * HASH_SIZE);
    }
  }
  return work.slice(0, HASH_SIZE);
}

/** Offset (in hashes) of height r ≥ 1 inside a tile's internal-node buffer: 128 at r=1, 64 at r=2, …, 1 at r=8. */
const INTERNAL_OFFSET = [0, 0, 128, 192, 224, 240, 248, 252, 254] as const;

/**
 * The internal nodes of a tile whose first `width` hashes are `data`, bottom-up (RFC 9162 §2.1.1 node hashes):
 * at height r the floor(width / 2^r) complete ones. For a full tile the last of the 255 is the tile's root.
 */
function buildInternal(data: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(255 * HASH_SIZE);
  let below: Uint8Array = data;
  let belowOffset = 0;
  for (let r = 1; r <= TILE_HEIGHT; r++) {
    const count = Math.floor(width / 2 ** r);
    const base = (INTERNAL_OFFSET[r] as number) * HASH_SIZE;
    for (let i = 0; i < count; i++) {
      const at = belowOffset + 2 * i * HASH_SIZE;
      scratch.set(below.subarray(at, at + 2 * HASH_SIZE), 1);
      out.set(hash('sha256', scratch, 'buffer'), base + i * HASH_SIZE);
    }
    below = out;
    belowOffset = base;
  }
  return out;
}

function rangeEqual(a: Uint8Array, b: Uint8Array, from: number, to: number): boolean {
  return Buffer.compare(a.subarray(from, to), b.subarray(from, to)) === 0;
}

interface CachedTile {
  /** A copy of the tile bytes the nodes were computed from. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly internal: Uint8Array;
}

/**
 * A bounded LRU memo of tile-internal node hashes. Without it every proof rehashes up to 247 nodes per tile
 * level; with it the upper levels and the right edge (touched by every proof) and recently appended tiles
 * cost a lookup.
 *
 * The memo is keyed by (level, index) but checked against the tile bytes the caller actually read: before a
 * cached node is used, the hashes it covers are compared with the current tile. So a store whose append was
 * rolled back (and which then writes different leaves at the same positions) can never be served a stale node;
 * the cost is one memcmp of at most 4 KiB. Memory: at most `capacity` × 16 KiB (default 1,024 → 16 MiB).
 */
export class TileCache {
  private readonly entries = new Map<string, CachedTile>();

  constructor(readonly capacity = 1024) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * The node at height r (1..8) and position j inside tile (level, index), whose current bytes are `data`;
   * (j+1)·2^r hashes must be present in `data`.
   */
  node(level: number, index: number, data: Uint8Array, r: number, j: number): Uint8Array {
    const key = tileKey(level, index);
    const lo = j * 2 ** r * HASH_SIZE;
    const hi = lo + 2 ** r * HASH_SIZE;
    if (r < 1 || r > TILE_HEIGHT || data.length < hi) {
      throw new Problem(
        'tlog-tile-missing',
        `tile ${tilePath(level, index)} is too short for node ${r}/${j}`,
      );
    }
    let entry = this.entries.get(key);
    if (entry !== undefined && entry.data.length >= hi && rangeEqual(entry.data, data, lo, hi)) {
      // Refresh the LRU position (a Map iterates in insertion order).
      this.entries.delete(key);
    } else {
      const width = Math.min(TILE_WIDTH, Math.floor(data.length / HASH_SIZE));
      const copy = data.slice(0, width * HASH_SIZE);
      entry = { data: copy, width, internal: buildInternal(copy, width) };
      this.entries.delete(key);
      while (this.entries.size > 0 && this.entries.size >= this.capacity) {
        const oldest = this.entries.keys().next();
        if (oldest.done === true) break;
        this.entries.delete(oldest.value);
      }
    }
    if (this.capacity > 0) this.entries.set(key, entry);
    const at = ((INTERNAL_OFFSET[r] as number) + j) * HASH_SIZE;
    return entry.internal.slice(at, at + HASH_SIZE);
  }

  /**
   * The internal nodes (255 × 32 bytes) of a full tile this cache computed, so that a store can keep them
   * beside the tile and a later process need not rehash it; undefined when not cached or not full.
   */
  internalOf(level: number, index: number): Uint8Array | undefined {
    const entry = this.entries.get(tileKey(level, index));
    return entry !== undefined && entry.width === TILE_WIDTH ? entry.internal : undefined;
  }

  /**
   * Seeds the memo with a full tile's internal nodes kept by a store (written by the log writer from
   * `internalOf`). They are trusted like the tile itself; a caller that serves proofs should check them against
   * a signed root (the log service does, for receipts) and clear the cache if one fails.
   */
  seed(level: number, index: number, data: Uint8Array, internal: Uint8Array): boolean {
    if (data.length !== TILE_WIDTH * HASH_SIZE || internal.length !== 255 * HASH_SIZE) return false;
    const copy = data.slice();
    const key = tileKey(level, index);
    this.entries.delete(key);
    while (this.entries.size > 0 && this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    if (this.capacity > 0)
      this.entries.set(key, { data: copy, width: TILE_WIDTH, internal: internal.slice() });
    return true;
  }
}

function nodeFromTiles(node: NodeId, read: ReadTile, cache?: TileCache): Uint8Array {
  const { level, index, offset, count } = locate(node);
  const data = read(level, index);
  const need = (offset + count) * HASH_SIZE;
  if (data === undefined || data.length < need || data.length % HASH_SIZE !== 0) {
    throw new Problem(
      'tlog-tile-missing',
      `tile ${tilePath(level, index)} is ${data === undefined ? 'missing' : `${data.length} bytes`}; need ${need}`,
      [],
      { tile: { level, index, width: offset + count } },
    );
  }
  if (cache !== undefined && count > 1)
    return cache.node(level, index, data, Math.log2(count), offset / count);
  return perfectRoot(data, offset, count);
}

/** MTH(D[s:e]) from tiles: the range's perfect subtrees, folded right to left (RFC 9162 §2.1.1). */
function rangeHash(range: Range, read: ReadTile, cache?: TileCache): Uint8Array {
  const nodes = rangeNodes(range[0], range[1]);
  let r = nodeFromTiles(nodes[nodes.length - 1] as NodeId, read, cache);
  for (let i = nodes.length - 2; i >= 0; i--) r = nodeHash(nodeFromTiles(nodes[i] as NodeId, read, cache), r);
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// Two-phase API: which tiles, then compute from them
// ---------------------------------------------------------------------------------------------------------

function checkIndex(index: number, size: number): void {
  checkInt(size, 'tree size');
  checkInt(index, 'leaf index');
  if (index >= size) throw new Problem('bad-request', `leaf index ${index} is not below tree size ${size}`);
}

function checkSizes(m: number, n: number): void {
  checkInt(m, 'old size');
  checkInt(n, 'new size');
  if (m > n) throw new Problem('bad-request', `old size ${m} is larger than new size ${n}`);
}

/** Tiles `rootAt(size, …)` reads: the partial tile of each level at `size` (none for a multiple of 256^L). */
export function tilesForRoot(size: number): TileRef[] {
  checkInt(size, 'tree size');
  return size === 0 ? [] : refsFor([[0, size]], size);
}

/** Tiles `appendLeaves({size}, …)` reads: the same right edge as `tilesForRoot(size)`. */
export function tilesForAppend(size: number): TileRef[] {
  return tilesForRoot(size);
}

/** Tiles `inclusionProof(index, size, …)` reads: about one per level. */
export function tilesForInclusion(index: number, size: number): TileRef[] {
  checkIndex(index, size);
  return refsFor(inclusionRanges(index, size), size);
}

/** Tiles `consistencyProof(m, n, …)` reads. */
export function tilesForConsistency(m: number, n: number): TileRef[] {
  checkSizes(m, n);
  return refsFor(consistencyRanges(m, n), n);
}

/** RFC 9162 §2.1.1 MTH of the first `size` leaves, from tiles. */
export function rootAt(size: number, tiles: TileSource, cache?: TileCache): Uint8Array {
  checkInt(size, 'tree size');
  if (size === 0) return emptyRoot();
  return rangeHash([0, size], reader(tiles), cache);
}

/** RFC 9162 §2.1.3.1 inclusion proof (leaf sibling first) for leaf `index` in the tree of `size`, from tiles. */
export function inclusionProof(
  index: number,
  size: number,
  tiles: TileSource,
  cache?: TileCache,
): Uint8Array[] {
  checkIndex(index, size);
  const read = reader(tiles);
  return inclusionRanges(index, size).map((r) => rangeHash(r, read, cache));
}

/**
 * RFC 9162 §2.1.4.1 consistency proof from size m to size n, from tiles. Empty when m = 0 (tlog-witness: the
 * empty tree is consistent with every tree) or m = n.
 */
export function consistencyProof(m: number, n: number, tiles: TileSource, cache?: TileCache): Uint8Array[] {
  checkSizes(m, n);
  const read = reader(tiles);
  return consistencyRanges(m, n).map((r) => rangeHash(r, read, cache));
}

// ---------------------------------------------------------------------------------------------------------
// Appending
// ---------------------------------------------------------------------------------------------------------

/** What a store must persist about the tree besides tiles: its size. */
export interface TreeState {
  readonly size: number;
}

export interface AppendResult {
  readonly newSize: number;
  /** MTH of the new tree. */
  readonly root: Uint8Array;
  /** Every tile that changed, lowest level first; full tiles have width 256. Upsert by (level, index). */
  readonly tiles: Tile[];
}

/**
 * Appends leaf hashes to the tile tree of `state.size` leaves. Reads only `tilesForAppend(state.size)` (the
 * partial tiles on the right edge), returns the changed tiles and the new root. Pure: nothing is written; the
 * caller persists the tiles and the new size atomically. An empty `leafHashes` returns no tiles.
 */
export function appendLeaves(
  state: TreeState,
  leafHashes: readonly Uint8Array[],
  tiles: TileSource,
  cache?: TileCache,
): AppendResult {
  const oldSize = state.size;
  checkInt(oldSize, 'tree size');
  for (const h of leafHashes) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      throw new Problem('bad-request', 'every leaf hash must be 32 bytes');
    }
  }
  const newSize = oldSize + leafHashes.length;
  checkInt(newSize, 'new tree size');
  const read = reader(tiles);
  const changed: Tile[] = [];
  const fresh = new Map<string, Uint8Array>();
  let incoming: readonly Uint8Array[] = leafHashes;
  // Entries at the current level before the append: floor(oldSize / 256^level).
  let levelSize = oldSize;
  for (let level = 0; incoming.length > 0; level++) {
    if (level > MAX_TILE_LEVEL) throw new Problem('bad-request', 'tree too large for tlog-tiles');
    let index = Math.floor(levelSize / TILE_WIDTH);
    let fill = levelSize - index * TILE_WIDTH;
    const buf = new Uint8Array(TILE_WIDTH * HASH_SIZE);
    if (fill > 0) {
      const stored = read(level, index);
      if (stored === undefined || stored.length < fill * HASH_SIZE) {
        throw new Problem(
          'tlog-tile-missing',
          `tile ${tilePath(level, index, fill)} is ${stored === undefined ? 'missing' : 'too short'}`,
          [],
          { tile: { level, index, width: fill } },
        );
      }
      buf.set(stored.subarray(0, fill * HASH_SIZE));
    }
    const next: Uint8Array[] = [];
    for (const h of incoming) {
      buf.set(h, fill * HASH_SIZE);
      fill++;
      if (fill === TILE_WIDTH) {
        const data = buf.slice();
        changed.push({ level, index, width: TILE_WIDTH, data });
        fresh.set(tileKey(level, index), data);
        // A full tile's root is the next level's entry (tlog-tiles: level L+1 holds roots of full level-L tiles).
        next.push(
          cache === undefined
            ? perfectRoot(data, 0, TILE_WIDTH)
            : cache.node(level, index, data, TILE_HEIGHT, 0),
        );
        index++;
        fill = 0;
      }
    }
    if (fill > 0) {
      const data = buf.slice(0, fill * HASH_SIZE);
      changed.push({ level, index, width: fill, data });
      fresh.set(tileKey(level, index), data);
    }
    levelSize = Math.floor(levelSize / TILE_WIDTH);
    incoming = next;
  }
  const root =
    leafHashes.length === 0
      ? rootAt(newSize, read, cache)
      : rootAt(newSize, (level, index) => fresh.get(tileKey(level, index)) ?? read(level, index), cache);
  return { newSize, root, tiles: changed };
}

export interface AppendEntriesResult extends AppendResult {
  readonly leafHashes: Uint8Array[];
  readonly bundles: EntryBundle[];
}

/**
 * Appends raw entries: computes their RFC 6962 leaf hashes, the changed hash tiles and the changed entry
 * bundles. Reads `tilesForAppend(state.size)` and `bundleForAppend(state.size)`.
 */
export function appendEntries(
  state: TreeState,
  entries: readonly Uint8Array[],
  tiles: TileSource,
  readBundle: ReadBundle,
  cache?: TileCache,
): AppendEntriesResult {
  const bundles = appendEntryBundles(state.size, entries, readBundle);
  const leafHashes = entries.map((e) => leafHash(e));
  return { ...appendLeaves(state, leafHashes, tiles, cache), leafHashes, bundles };
}

// ---------------------------------------------------------------------------------------------------------
// Synchronous conveniences
// ---------------------------------------------------------------------------------------------------------

/**
 * The tile-only tree over a synchronous tile lookup (SQLite, memory), with a `TileCache` of full tiles. One
 * instance per log.
 */
export class TiledTree {
  constructor(
    private readonly readTile: ReadTile,
    readonly cache: TileCache = new TileCache(),
  ) {}

  append(state: TreeState, leafHashes: readonly Uint8Array[]): AppendResult {
    return appendLeaves(state, leafHashes, this.readTile, this.cache);
  }

  root(size: number): Uint8Array {
    return rootAt(size, this.readTile, this.cache);
  }

  inclusionProof(index: number, size: number): Uint8Array[] {
    return inclusionProof(index, size, this.readTile, this.cache);
  }

  consistencyProof(m: number, n: number): Uint8Array[] {
    return consistencyProof(m, n, this.readTile, this.cache);
  }
}

/** An in-memory tile store (tests, benchmarks, an ephemeral log): the reference for what a store must do. */
export class MemoryTileStore {
  size = 0;
  readonly tiles = new Map<string, Uint8Array>();
  readonly bundles = new Map<number, Uint8Array>();
  readonly readTile: ReadTile = (level, index) => this.tiles.get(tileKey(level, index));
  readonly readBundle: ReadBundle = (index) => this.bundles.get(index);
  readonly tree: TiledTree;

  constructor(cache: TileCache = new TileCache()) {
    this.tree = new TiledTree(this.readTile, cache);
  }

  appendLeaves(leafHashes: readonly Uint8Array[]): AppendResult {
    const result = this.tree.append({ size: this.size }, leafHashes);
    for (const t of result.tiles) this.tiles.set(tileKey(t.level, t.index), t.data);
    this.size = result.newSize;
    return result;
  }

  appendEntries(entries: readonly Uint8Array[]): AppendEntriesResult {
    const result = appendEntries(
      { size: this.size },
      entries,
      this.readTile,
      this.readBundle,
      this.tree.cache,
    );
    for (const t of result.tiles) this.tiles.set(tileKey(t.level, t.index), t.data);
    for (const b of result.bundles) this.bundles.set(b.index, b.data);
    this.size = result.newSize;
    return result;
  }
}
