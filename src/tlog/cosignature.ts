/**
 * C2SP tlog-cosignature, Ed25519 flavour (signature type 0x04, "cosignature/v1"). A cosignature is a note
 * signature over the checkpoint whose bytes are `u64 big-endian timestamp || 64-byte Ed25519 signature` and
 * whose signed message is
 *
 *     cosignature/v1\ntime <POSIX seconds>\n<the whole checkpoint note text, extension lines included>
 *
 * It states that, as of that time, this is the largest consistent checkpoint the witness has seen for the
 * origin. Key id = SHA-256(name || "\n" || 0x04 || public key)[:4].
 */
import { Problem } from '../core/errors.js';
import {
  addSignatures,
  decodeSignerKey,
  decodeVerifierKey,
  ed25519PrivateKey,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  formatKeyId,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  parseNote,
  SIG_TYPE_COSIGNATURE_V1,
  textBytes,
} from './note.js';

/** tlog-cosignature: the timestamp "MUST NOT exceed 2^63 - 1". */
const MAX_TIMESTAMP = (1n << 63n) - 1n;

/** Seconds since the epoch, the clock cosigners use unless given another. */
export const systemClock = (): number => Math.floor(Date.now() / 1000);

/** The message a cosignature/v1 signs (tlog-cosignature "Ed25519 signed message"). */
export function cosignatureMessage(checkpointText: string, timestamp: number): Uint8Array {
  return textBytes(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`);
}

/** The timestamp (POSIX seconds) of a cosignature/v1 signature (the bytes after the key id). */
export function cosignatureTimestamp(signature: Uint8Array): number {
  if (signature.length !== 72) throw new Problem('tlog-malformed', 'a cosignature/v1 signature is 72 bytes');
  const ts = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0, false);
  if (ts > BigInt(Number.MAX_SAFE_INTEGER))
    throw new Problem('tlog-malformed', 'cosignature timestamp too large');
  return Number(ts);
}

function cosigner(name: string, keyId: number, seed: Uint8Array, now: () => number): NoteSigner {
  const key = ed25519PrivateKey(seed);
  return {
    name,
    keyId,
    type: SIG_TYPE_COSIGNATURE_V1,
    sign: (text) => {
      const ts = now();
      // A zero timestamp is forbidden for witness responses (tlog-witness) and meaningless otherwise.
      if (!Number.isSafeInteger(ts) || ts <= 0) throw new Problem('internal', `cosigner clock gave ${ts}`);
      const message = cosignatureMessage(new TextDecoder().decode(text), ts);
      const out = new Uint8Array(72);
      new DataView(out.buffer).setBigUint64(0, BigInt(ts), false);
      out.set(ed25519Sign(key, message), 8);
      return out;
    },
  };
}

/** A cosigner from `PRIVATE+KEY+<name>+<id>+base64(0x04 || seed)` (see `generateKey(name, 0x04)`). */
export function parseCosignerKey(skey: string, now: () => number = systemClock): NoteSigner {
  const key = decodeSignerKey(skey);
  if (key.type !== SIG_TYPE_COSIGNATURE_V1) {
    throw new Problem('tlog-malformed', `${key.name}: not a cosignature/v1 (0x04) signer key`);
  }
  return cosigner(key.name, key.keyId, key.seed, now);
}

/** A cosignature/v1 verifier from a vkey of type 0x04. */
export function parseCosignatureVerifierKey(vkey: string): NoteVerifier {
  const key = decodeVerifierKey(vkey);
  if (key.type !== SIG_TYPE_COSIGNATURE_V1 || key.publicKey.length !== 32) {
    throw new Problem('tlog-malformed', `${key.name}: not a cosignature/v1 (0x04) verifier key`);
  }
  const publicKey = ed25519PublicKey(key.publicKey);
  return {
    name: key.name,
    keyId: key.keyId,
    type: SIG_TYPE_COSIGNATURE_V1,
    verify: (text, signature) => {
      if (signature.length !== 72) return false;
      const ts = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0, false);
      if (ts > MAX_TIMESTAMP) return false;
      const message = cosignatureMessage(new TextDecoder().decode(text), Number(ts));
      // Number(ts) is exact only below 2^53; above it the decimal text would differ, so refuse.
      if (BigInt(Number(ts)) !== ts) return false;
      return ed25519Verify(publicKey, message, signature.subarray(8));
    },
  };
}

/** Cosigns a (log-signed) checkpoint note: returns the cosignature and the note with it appended. */
export function cosignCheckpoint(
  note: string,
  cosignerKey: NoteSigner,
): { note: string; signature: NoteSignature } {
  const parsed = parseNote(note);
  const signature: NoteSignature = {
    name: cosignerKey.name,
    keyId: cosignerKey.keyId,
    signature: cosignerKey.sign(textBytes(parsed.text)),
  };
  return { note: addSignatures(note, [signature]), signature };
}

export interface VerifiedCosignature {
  readonly name: string;
  readonly keyId: number;
  /** POSIX seconds; after verification only informational (tlog-proof "Use of timestamps"). */
  readonly timestamp: number;
}

/**
 * The cosignatures on a note by the given witnesses, each verified. Signatures of unknown keys (the log's own,
 * other witnesses) are ignored; a known witness's bad cosignature rejects the note (`tlog-bad-signature`), as
 * signed-note says for any known key. Does NOT require any: quorum policy is the caller's (see proof-bundle).
 */
export function verifyCosignatures(note: string, witnesses: readonly NoteVerifier[]): VerifiedCosignature[] {
  const parsed = parseNote(note);
  const text = textBytes(parsed.text);
  const out: VerifiedCosignature[] = [];
  const seen = new Set<string>();
  for (const sig of parsed.signatures) {
    const w = witnesses.find((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (w === undefined) continue;
    if (w.type !== SIG_TYPE_COSIGNATURE_V1) {
      throw new Problem('tlog-malformed', `${w.name} is not a cosignature/v1 (0x04) verifier`);
    }
    if (!w.verify(text, sig.signature)) {
      throw new Problem(
        'tlog-bad-signature',
        `the cosignature by witness ${sig.name}+${formatKeyId(sig.keyId)} does not verify`,
      );
    }
    const id = `${sig.name}+${sig.keyId}`;
    // One witness counts once toward a quorum, however many lines it has.
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ name: sig.name, keyId: sig.keyId, timestamp: cosignatureTimestamp(sig.signature) });
  }
  return out;
}
