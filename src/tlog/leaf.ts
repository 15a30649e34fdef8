/**
 * raretrace's log leaf. A leaf commits to WHICH event was recorded, WHERE in the log and WHEN — never to
 * business data: the EPCIS event hash (CBV 2.0 §8.9, `ni:///sha-256;<hex>?ver=CBV2.0`), the 0-based log index
 * (sequence number) and the record time. Business data stays in the store and can be redacted without
 * breaking the log.
 *
 * Encoding `raretrace-leaf/v1` (one ASCII line, no trailing newline, single spaces, ≤ 160 bytes so far below
 * the 64 KiB tlog-tiles entry limit):
 *
 *     raretrace-leaf/v1 <seq> <recordTime> <eventHash>
 *
 *   - seq: decimal, no leading zeros, 0 ≤ seq < 2^53;
 *   - recordTime: UTC ISO 8601 with exactly three fraction digits and `Z`, as `Date#toISOString` writes it
 *     for years 0000–9999 (e.g. `2025-03-01T08:30:00.000Z`); milliseconds since the epoch in the API;
 *   - eventHash: `ni:///sha-256;` + 64 lowercase hex digits + `?ver=CBV2.0`.
 *
 * The encoding is canonical: `decodeLeaf` accepts exactly the strings `encodeLeaf` produces, so equal leaves
 * have equal bytes and equal RFC 6962 leaf hashes. The version tag lets a v2 coexist in one log.
 */

import { hash } from 'node:crypto';
import { Problem } from '../core/errors.js';

export const LEAF_VERSION = 'raretrace-leaf/v1';

export interface Leaf {
  /** 0-based index of the leaf in the log. */
  readonly seq: number;
  /** Record time, milliseconds since 1970-01-01T00:00:00Z. */
  readonly recordTime: number;
  /** CBV 2.0 event hash, `ni:///sha-256;<64 lowercase hex>?ver=CBV2.0`. */
  readonly eventHash: string;
}

const EVENT_HASH_RE = /^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/;
/** 9999-12-31T23:59:59.999Z: the last instant with a 4-digit year, so the ISO text has a fixed shape. */
const MAX_RECORD_TIME = 253_402_300_799_999;
const LEAF_RE = /^raretrace-leaf\/v1 (0|[1-9][0-9]*) (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (\S+)$/;

const invalid = (detail: string): Problem => new Problem('bad-request', `leaf: ${detail}`);

function check(leaf: Leaf): void {
  if (!Number.isSafeInteger(leaf.seq) || leaf.seq < 0) throw invalid(`invalid sequence number ${leaf.seq}`);
  if (!Number.isSafeInteger(leaf.recordTime) || leaf.recordTime < 0 || leaf.recordTime > MAX_RECORD_TIME) {
    throw invalid(`record time ${leaf.recordTime} is not an integer millisecond in years 1970–9999`);
  }
  if (!EVENT_HASH_RE.test(leaf.eventHash)) throw invalid(`not a CBV 2.0 event hash: ${leaf.eventHash}`);
}

/** The canonical text of a leaf. */
export function formatLeaf(leaf: Leaf): string {
  check(leaf);
  return `${LEAF_VERSION} ${leaf.seq} ${isoTime(leaf.recordTime)} ${leaf.eventHash}`;
}

// The last record time written as text: the events of a capture document share one, and a bulk import hashes
// leaves document after document, so most leaves skip the Date and its formatting.
let lastTime = Number.NaN;
let lastIso = '';

function isoTime(ms: number): string {
  if (ms !== lastTime) {
    lastIso = new Date(ms).toISOString();
    lastTime = ms;
  }
  return lastIso;
}

/** The leaf's bytes: the log entry stored in entry bundles and hashed into the tree. */
export function encodeLeaf(leaf: Leaf): Uint8Array {
  return new TextEncoder().encode(formatLeaf(leaf));
}

/** Parses leaf bytes; refuses anything but the canonical encoding (`tlog-malformed`). */
export function decodeLeaf(bytes: Uint8Array): Leaf {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Problem('tlog-malformed', 'leaf: not UTF-8');
  }
  const m = LEAF_RE.exec(text);
  if (m === null) throw new Problem('tlog-malformed', `leaf: not a ${LEAF_VERSION} line`);
  const leaf: Leaf = { seq: Number(m[1]), recordTime: Date.parse(m[2] as string), eventHash: m[3] as string };
  try {
    // Round-trip: catches out-of-range values and non-canonical dates such as 2025-02-30.
    if (formatLeaf(leaf) !== text) throw new Error('not canonical');
  } catch {
    throw new Problem('tlog-malformed', `leaf: not a canonical ${LEAF_VERSION} line`);
  }
  return leaf;
}

/**
 * RFC 6962 leaf hash of the encoded leaf: what the tree stores and a receipt proves. The same bytes as
 * `leafHash(encodeLeaf(leaf))` (the text is ASCII, and U+0000 is the one byte 0x00 in UTF-8), hashed in one
 * call: it runs for every captured event.
 */
export function leafHashOf(leaf: Leaf): Uint8Array {
  return hash('sha256', `\u0000${formatLeaf(leaf)}`, 'buffer');
}
