/** Cosignatures, tlog-proof receipts and the leaf encoding, end to end over a tile-backed log. */
import { describe, expect, it } from 'vitest';
import { Problem } from '../core/errors.js';
import { type Checkpoint, openCheckpoint, signCheckpoint } from './checkpoint.js';
import {
  cosignatureMessage,
  cosignatureTimestamp,
  cosignCheckpoint,
  parseCosignatureVerifierKey,
  parseCosignerKey,
  verifyCosignatures,
} from './cosignature.js';
import { decodeLeaf, encodeLeaf, type Leaf, leafHashOf } from './leaf.js';
import { leafHash } from './merkle.js';
import {
  decodeVerifierKey,
  ed25519PublicKey,
  ed25519Verify,
  generateKey,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  SIG_TYPE_COSIGNATURE_V1,
  textBytes,
} from './note.js';
import { formatTlogProof, parseTlogProof, verifyTlogProof } from './proof-bundle.js';
import { MemoryTileStore } from './tiles.js';

const kind = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof Problem) return e.kind;
    throw e;
  }
};

const ORIGIN = 'raretrace.example/log';
const logKey = generateKey(ORIGIN);
const logSigner = parseSignerKey(logKey.signerKey);
const w1 = generateKey('witness.example/w1', SIG_TYPE_COSIGNATURE_V1);
const w2 = generateKey('witness.example/w2', SIG_TYPE_COSIGNATURE_V1);
const hash = (i: number): string => `ni:///sha-256;${i.toString(16).padStart(64, '0')}?ver=CBV2.0`;

describe('leaf encoding', () => {
  const leaf: Leaf = { seq: 42, recordTime: Date.UTC(2025, 2, 1, 8, 30, 0, 123), eventHash: hash(0xabc) };

  it('is a canonical versioned text line', () => {
    const text = Buffer.from(encodeLeaf(leaf)).toString();
    expect(text).toBe(`raretrace-leaf/v1 42 2025-03-01T08:30:00.123Z ${hash(0xabc)}`);
    expect(decodeLeaf(encodeLeaf(leaf))).toEqual(leaf);
    expect(Buffer.from(leafHashOf(leaf))).toEqual(Buffer.from(leafHash(encodeLeaf(leaf))));
  });

  it('hashes every leaf as RFC 6962 does its encoding (the one-shot path against the reference)', () => {
    for (let i = 0; i < 2_000; i++) {
      const l: Leaf = {
        seq: i * 7919 + (i % 3) * 2 ** 40,
        recordTime: Date.UTC(1970 + (i % 8000), i % 12, 1 + (i % 28), i % 24, i % 60, i % 60, i % 1000),
        eventHash: hash(i * 2_654_435_761),
      };
      expect(Buffer.from(leafHashOf(l))).toEqual(Buffer.from(leafHash(encodeLeaf(l))));
    }
  });

  it('refuses invalid leaves and non-canonical bytes', () => {
    expect(kind(() => encodeLeaf({ ...leaf, seq: -1 }))).toBe('bad-request');
    expect(kind(() => encodeLeaf({ ...leaf, recordTime: 1.5 }))).toBe('bad-request');
    expect(kind(() => encodeLeaf({ ...leaf, eventHash: hash(1).toUpperCase() }))).toBe('bad-request');
    const text = Buffer.from(encodeLeaf(leaf)).toString();
    for (const bad of [
      text.replace(' 42 ', ' 042 '),
      text.replace('.123Z', 'Z'),
      text.replace('2025-03-01', '2025-02-30'),
      `${text}\n`,
      text.replace(' 42 ', '  42 '),
      text.replace('v1', 'v2'),
    ]) {
      expect(
        kind(() => decodeLeaf(Buffer.from(bad))),
        bad,
      ).toBe('tlog-malformed');
    }
    expect(kind(() => decodeLeaf(new Uint8Array([0xff])))).toBe('tlog-malformed');
  });
});

describe('cosignature/v1', () => {
  const cp: Checkpoint = { origin: ORIGIN, size: 3, root: leafHash(Buffer.from('x')), extensions: ['ext'] };
  const note = signCheckpoint(cp, [logSigner]);

  it('signs cosignature/v1\\ntime <ts>\\n + the checkpoint body, 8-byte timestamp || 64-byte signature', () => {
    const cosigner = parseCosignerKey(w1.signerKey, () => 1_679_315_147);
    const { note: cosigned, signature } = cosignCheckpoint(note, cosigner);
    expect(signature.signature).toHaveLength(72);
    expect(cosignatureTimestamp(signature.signature)).toBe(1_679_315_147);
    const body = parseNote(note).text;
    const message = cosignatureMessage(body, 1_679_315_147);
    expect(Buffer.from(message).toString()).toBe(`cosignature/v1\ntime 1679315147\n${body}`);
    const pub = ed25519PublicKey(decodeVerifierKey(w1.verifierKey).publicKey);
    expect(ed25519Verify(pub, message, signature.signature.subarray(8))).toBe(true);
    // The log key still opens it (cosignatures are unknown signers to it), the witness key verifies its line.
    expect(openCheckpoint(cosigned, [parseVerifierKey(logKey.verifierKey)]).unverified).toHaveLength(1);
    const witness = parseCosignatureVerifierKey(w1.verifierKey);
    expect(openNote(cosigned, [witness]).verified).toHaveLength(1);
    expect(verifyCosignatures(cosigned, [witness])).toEqual([
      { name: 'witness.example/w1', keyId: witness.keyId, timestamp: 1_679_315_147 },
    ]);
    // A cosignature over different text, or with its timestamp changed, fails.
    const tampered = new Uint8Array(signature.signature);
    tampered[7] = (tampered[7] as number) ^ 1;
    expect(witness.verify(textBytes(body), tampered)).toBe(false);
    expect(witness.verify(textBytes(`${body}x\n`), signature.signature)).toBe(false);
  });

  it('keeps key types apart', () => {
    expect(kind(() => parseCosignerKey(logKey.signerKey))).toBe('tlog-malformed');
    expect(kind(() => parseCosignatureVerifierKey(logKey.verifierKey))).toBe('tlog-malformed');
    expect(kind(() => parseVerifierKey(w1.verifierKey))).toBe('tlog-malformed');
    expect(kind(() => parseSignerKey(w1.signerKey))).toBe('tlog-malformed');
  });
});

describe('tlog-proof receipts', () => {
  const store = new MemoryTileStore();
  const leaves: Leaf[] = Array.from({ length: 1_000 }, (_, seq) => ({
    seq,
    recordTime: 1_700_000_000_000 + seq,
    eventHash: hash(seq),
  }));
  store.appendEntries(leaves.map(encodeLeaf));
  const size = store.size;
  const cp: Checkpoint = { origin: ORIGIN, size, root: store.tree.root(size) };
  let note = signCheckpoint(cp, [logSigner]);
  note = cosignCheckpoint(
    note,
    parseCosignerKey(w1.signerKey, () => 1_700_000_000),
  ).note;
  note = cosignCheckpoint(
    note,
    parseCosignerKey(w2.signerKey, () => 1_700_000_001),
  ).note;
  const receipt = (index: number, extra?: Uint8Array): string =>
    formatTlogProof({ checkpoint: note, index, proof: store.tree.inclusionProof(index, size), extra });

  it('formats the C2SP layout and round-trips', () => {
    const text = receipt(737, Buffer.from('context'));
    const lines = text.split('\n');
    expect(lines[0]).toBe('c2sp.org/tlog-proof@v1');
    expect(lines[1]).toBe(`extra ${Buffer.from('context').toString('base64')}`);
    expect(lines[2]).toBe('index 737');
    expect(text.endsWith(note)).toBe(true);
    const parsed = parseTlogProof(text);
    expect(parsed.index).toBe(737);
    expect(parsed.checkpoint).toBe(note);
    expect(parsed.proof).toHaveLength(10);
    expect(Buffer.from(parsed.extra!).toString()).toBe('context');
    expect(parseTlogProof(receipt(0)).extra).toBeUndefined();
  });

  it('verifies with the log key, leaf hash and a witness quorum', () => {
    for (const i of [0, 1, 511, 512, 998, 999]) {
      const ok = verifyTlogProof(receipt(i), logKey.verifierKey, leafHashOf(leaves[i]!), {
        witnesses: [w1.verifierKey, w2.verifierKey],
        quorum: 2,
        origin: ORIGIN,
      });
      expect(ok.index).toBe(i);
      expect(ok.checkpoint.size).toBe(1_000);
      expect(ok.cosignatures.map((c) => c.timestamp)).toEqual([1_700_000_000, 1_700_000_001]);
    }
  });

  it('refuses a wrong leaf, a wrong key, a short quorum, another origin, a tampered proof', () => {
    const text = receipt(5);
    const leaf5 = leafHashOf(leaves[5]!);
    expect(kind(() => verifyTlogProof(text, logKey.verifierKey, leafHashOf(leaves[6]!)))).toBe(
      'tlog-bad-proof',
    );
    expect(kind(() => verifyTlogProof(text, generateKey(ORIGIN).verifierKey, leaf5))).toBe(
      'tlog-bad-signature',
    );
    expect(
      kind(() =>
        verifyTlogProof(text, logKey.verifierKey, leaf5, { witnesses: [w1.verifierKey], quorum: 2 }),
      ),
    ).toBe('tlog-bad-signature');
    expect(
      kind(() => verifyTlogProof(text, logKey.verifierKey, leaf5, { origin: 'other.example/log' })),
    ).toBe('tlog-unknown-log');
    const lines = text.split('\n');
    const h = Buffer.from(lines[2]!, 'base64');
    h[0] = (h[0] as number) ^ 1;
    lines[2] = h.toString('base64');
    expect(kind(() => verifyTlogProof(lines.join('\n'), logKey.verifierKey, leaf5))).toBe('tlog-bad-proof');
    expect(kind(() => verifyTlogProof(text.replace('index 5', 'index 6'), logKey.verifierKey, leaf5))).toBe(
      'tlog-bad-proof',
    );
  });

  it('refuses malformed receipts', () => {
    const text = receipt(5);
    for (const bad of [
      text.replace('c2sp.org/tlog-proof@v1', 'c2sp.org/tlog-proof@v2'),
      text.replace('index 5', 'index 05'),
      text.replace('index 5', 'idx 5'),
      text.replace('\n\n', '\n'),
      text.replace(/\n([A-Za-z0-9+/]{43}=)\n/, '\n$1x\n'),
      text.slice(0, 40),
    ]) {
      expect(kind(() => parseTlogProof(bad))).toBe('tlog-malformed');
    }
  });
});
