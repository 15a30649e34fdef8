/**
 * RFC 6962 §2.1 / RFC 9162 §2.1 Merkle tree hashing, proof generation (reference, from leaf hashes) and proof
 * verification. Pure functions, no I/O.
 *
 * Sizes and indexes are accepted as `bigint` or `number`: verification runs on bigint because a leaf index in
 * the wild can be as large as 2^64−1 and the JS `>>`/`&` operators are 32-bit (RFC 9162 allows 64-bit sizes).
 *
 * The verifiers return a boolean and never throw: any malformed input (negative or non-integer size, a hash of
 * the wrong length, a `null` proof for a tree that needs one) simply does not verify. Callers that want an
 * error wrap them (see `assertInclusion`).
 */
import { hash } from 'node:crypto';
import { Problem } from '../core/errors.js';

/** Length of every hash in the tree: tlog-tiles fixes SHA-256. */
export const HASH_SIZE = 32;

/** A size or index as callers have it: bigint for the full uint64 range, number when it is a safe integer. */
export type TreeInt = bigint | number;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** SHA-256 of `data`. One-shot `crypto.hash` is about 1.6× faster than createHash for 65-byte node inputs. */
export function sha256(data: Uint8Array): Uint8Array {
  return hash('sha256', data, 'buffer');
}

/** RFC 9162 §2.1.1: MTH({}) = HASH(), the hash of the empty string. */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

/** RFC 9162 §2.1.1: MTH({d(0)}) = HASH(0x00 || d(0)). */
export function leafHash(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + data.length);
  buf[0] = LEAF_PREFIX;
  buf.set(data, 1);
  return sha256(buf);
}

/**
 * RFC 9162 §2.1.1: HASH(0x01 || left || right). The inputs are not required to be 32 bytes, so that the
 * transparency-dev hasher vector `HashChildren("N123", "N456")` can be reproduced.
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = NODE_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256(buf);
}

/** Constant-shape byte comparison (lengths are public, contents compared in full). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * Largest power of two strictly smaller than n (RFC 9162 §2.1.1 "k"), for 1 < n ≤ 2^53. Uses arithmetic,
 * not bit operators, so it is exact for every safe integer.
 */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The root of the tree whose leaf hashes are given (RFC 9162 §2.1.1 MTH), in O(n) time and O(log n) space: a
 * stack of perfect subtree roots, merged as in a binary counter, then folded right to left; this equals the
 * recursive definition because the recursive split is exactly the binary decomposition of n.
 */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return emptyRoot();
  const stack: Uint8Array[] = [];
  for (let i = 0; i < hashes.length; i++) {
    let h = hashes[i] as Uint8Array;
    // After adding leaf i, merge once per trailing one-bit of i (the completed perfect subtrees).
    for (let j = i; j % 2 === 1; j = (j - 1) / 2) h = nodeHash(stack.pop() as Uint8Array, h);
    stack.push(h);
  }
  let root = stack.pop() as Uint8Array;
  while (stack.length > 0) root = nodeHash(stack.pop() as Uint8Array, root);
  return root;
}

function subtreeRoot(hashes: readonly Uint8Array[], start: number, end: number): Uint8Array {
  return rootFromLeafHashes(hashes.slice(start, end));
}

/**
 * Reference inclusion proof, RFC 9162 §2.1.3.1 PATH(m, D[n]) computed from all leaf hashes. O(n); meant for
 * tests and small trees. A tile-backed store uses `inclusionProof` from tiles.ts.
 */
export function inclusionPathFromLeafHashes(index: number, hashes: readonly Uint8Array[]): Uint8Array[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= hashes.length) {
    throw new RangeError(`leaf index ${index} out of range for tree size ${hashes.length}`);
  }
  const out: Uint8Array[] = [];
  let a = 0;
  let b = hashes.length;
  while (b - a > 1) {
    const k = splitPoint(b - a);
    if (index < a + k) {
      out.push(subtreeRoot(hashes, a + k, b));
      b = a + k;
    } else {
      out.push(subtreeRoot(hashes, a, a + k));
      a += k;
    }
  }
  return out.reverse();
}

/**
 * Reference consistency proof, RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), from all leaf
 * hashes. For m = 0 or m = n the proof is empty (tlog-witness: "the empty tree is consistent with any tree").
 */
export function consistencyProofFromLeafHashes(m: number, hashes: readonly Uint8Array[]): Uint8Array[] {
  const n = hashes.length;
  if (!Number.isSafeInteger(m) || m < 0 || m > n) throw new RangeError(`old size ${m} out of range for ${n}`);
  if (m === 0 || m === n) return [];
  const out: Uint8Array[] = [];
  let a = 0;
  let b = n;
  let rel = m;
  let complete = true;
  for (;;) {
    if (rel === b - a) {
      if (!complete) out.push(subtreeRoot(hashes, a, b));
      break;
    }
    const k = splitPoint(b - a);
    if (rel <= k) {
      out.push(subtreeRoot(hashes, a + k, b));
      b = a + k;
    } else {
      out.push(subtreeRoot(hashes, a, a + k));
      a += k;
      rel -= k;
      complete = false;
    }
  }
  return out.reverse();
}

function toBig(x: TreeInt): bigint | undefined {
  if (typeof x === 'bigint') return x >= 0n ? x : undefined;
  if (!Number.isSafeInteger(x) || x < 0) return undefined;
  return BigInt(x);
}

function allHashes(list: readonly Uint8Array[]): boolean {
  return list.every((h) => h instanceof Uint8Array && h.length === HASH_SIZE);
}

/**
 * RFC 9162 §2.1.3.2: verify that `leafHash` is the leaf at `leafIndex` in the tree of `treeSize` with `root`.
 * Returns false, never throws, for every malformed or non-verifying input. A `null` proof is read as empty.
 */
export function verifyInclusion(
  leafIndex: TreeInt,
  treeSize: TreeInt,
  leaf: Uint8Array,
  proof: readonly Uint8Array[] | null | undefined,
  root: Uint8Array,
): boolean {
  const fnStart = toBig(leafIndex);
  const size = toBig(treeSize);
  const path = proof ?? [];
  if (fnStart === undefined || size === undefined) return false;
  // Step 1: leaf_index >= tree_size fails (also excludes the empty tree).
  if (fnStart >= size) return false;
  if (leaf.length !== HASH_SIZE || root.length !== HASH_SIZE || !allHashes(path)) return false;
  // Steps 2–3.
  let fn = fnStart;
  let sn = size - 1n;
  let r = leaf;
  // Step 4.
  for (const p of path) {
    if (sn === 0n) return false; // 4a: proof longer than the path
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5: sn must be 0 (proof not truncated) and the computed root must match.
  return sn === 0n && bytesEqual(r, root);
}

/**
 * RFC 9162 §2.1.4.2: verify that the tree of size2/root2 extends the tree of size1/root1.
 *
 * Conventions, matching transparency-dev/merkle (and its conformance vectors): size2 < size1 fails;
 * size1 = 0 fails (RFC 9162 requires 0 < first; a witness handles "old size 0" itself, see witness.ts);
 * size1 = size2 verifies only with an empty proof and equal roots. Returns false, never throws.
 */
export function verifyConsistency(
  size1: TreeInt,
  size2: TreeInt,
  proof: readonly Uint8Array[] | null | undefined,
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  const first = toBig(size1);
  const second = toBig(size2);
  const path = proof ?? [];
  if (first === undefined || second === undefined) return false;
  if (second < first || first === 0n) return false;
  // Equal sizes: the trees are the same iff the roots are; no proof is involved (so no length check either).
  if (first === second) return path.length === 0 && bytesEqual(root1, root2);
  if (root1.length !== HASH_SIZE || root2.length !== HASH_SIZE || !allHashes(path)) return false;
  // Step 1: a non-empty path is required for 0 < first < second.
  if (path.length === 0) return false;
  // Step 2: if first is an exact power of two, the old root is the implied first node.
  const nodes = (first & (first - 1n)) === 0n ? [root1, ...path] : [...path];
  // Step 3.
  let fn = first - 1n;
  let sn = second - 1n;
  // Step 4.
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5.
  let fr = nodes[0] as Uint8Array;
  let sr = fr;
  // Step 6.
  for (let i = 1; i < nodes.length; i++) {
    const c = nodes[i] as Uint8Array;
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 7.
  return sn === 0n && bytesEqual(fr, root1) && bytesEqual(sr, root2);
}

/** `verifyInclusion` that throws a `tlog-bad-proof` Problem instead of returning false. */
export function assertInclusion(
  leafIndex: TreeInt,
  treeSize: TreeInt,
  leaf: Uint8Array,
  proof: readonly Uint8Array[] | null | undefined,
  root: Uint8Array,
): void {
  if (!verifyInclusion(leafIndex, treeSize, leaf, proof, root)) {
    throw new Problem(
      'tlog-bad-proof',
      `inclusion proof for leaf ${leafIndex} in tree of size ${treeSize} does not verify`,
    );
  }
}
