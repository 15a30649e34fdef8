/**
 * C2SP signed-note (signed-note/v1.0.0; compatible with golang.org/x/mod/sumdb/note): parsing, formatting,
 * Ed25519 signing and verification, key ids, verifier keys (vkeys) and the Go/Tessera private-key text.
 *
 * Errors are `Problem`s: `tlog-malformed` for text that is not a valid note or key, `tlog-bad-signature` when
 * no known key signed the note or a known key's signature fails.
 */
import {
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { Problem } from '../core/errors.js';
import { sha256 } from './merkle.js';

/** signed-note "Signature types": 0x01 Ed25519 over the note text. */
export const SIG_TYPE_ED25519 = 0x01;
/** signed-note "Signature types": 0x04 timestamped Ed25519 cosignature (tlog-cosignature/v1). */
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;
/**
 * signed-note: verifiers "MUST accept at least up to 16 signatures" and SHOULD cap them; golang.org/x/mod's
 * note.Open rejects more than 100, and so do we.
 */
export const MAX_NOTE_SIGNATURES = 100;

const EM_DASH = '\u2014';
const SIG_PREFIX = `${EM_DASH} `;

/** One signature line: key name, key id (uint32) and the signature bytes after the 4-byte key id. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly signature: Uint8Array;
}

/** A note split into its text (with its final newline) and signatures, not verified. */
export interface Note {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** Checks one signature over a note text (the bytes of the text, including its final newline). */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** The signature type byte (0x01, 0x04, …). */
  readonly type: number;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** Produces one signature over a note text. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  sign(text: Uint8Array): Uint8Array;
}

/** A note whose known signatures all verified (at least one). */
export interface OpenedNote {
  readonly text: string;
  /** Signatures by known keys, all verified. */
  readonly verified: readonly NoteSignature[];
  /** Signatures by unknown keys, ignored (signed-note: "Verifiers MUST ignore signatures from unknown keys"). */
  readonly unverified: readonly NoteSignature[];
}

const malformed = (detail: string): Problem => new Problem('tlog-malformed', detail);

// ---------------------------------------------------------------------------------------------------------
// Encoding helpers
// ---------------------------------------------------------------------------------------------------------

/** Strict standard base64 (RFC 4648 §4, padded, canonical): Buffer's decoder alone accepts almost anything. */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const utf8 = new TextEncoder();

/** UTF-8 bytes of a string. */
export function textBytes(text: string): Uint8Array {
  return utf8.encode(text);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the rule itself is about control characters.
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000B-\u001F]/;

/** signed-note: valid UTF-8 (no lone surrogates in a JS string), no control characters other than newline. */
export function isValidNoteText(text: string): boolean {
  return !LONE_SURROGATE.test(text) && !CONTROL_EXCEPT_NEWLINE.test(text);
}

/** signed-note: key names are non-empty, with no Unicode spaces and no `+`. */
export function isValidKeyName(name: string): boolean {
  // JS \s covers the Unicode White_Space spaces except U+0085, which Go's unicode.IsSpace also counts.
  return name.length > 0 && isValidNoteText(name) && !/[\s\u0085+]/u.test(name);
}

/** signed-note: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian. */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const nameBytes = textBytes(name);
  const input = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  input.set(nameBytes, 0);
  input[nameBytes.length] = 0x0a;
  input[nameBytes.length + 1] = type;
  input.set(publicKey, nameBytes.length + 2);
  const digest = sha256(input);
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0, false);
}

/** A key id as the 8 lowercase hex digits used in vkeys. */
export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

function parseKeyIdHex(text: string): number | undefined {
  return /^[0-9a-fA-F]{8}$/.test(text) ? Number.parseInt(text, 16) : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Ed25519 with raw keys (node:crypto wants DER: wrap the 32 bytes in the fixed RFC 8410 prefixes)
// ---------------------------------------------------------------------------------------------------------

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** An Ed25519 private KeyObject from a raw 32-byte seed (RFC 8032 private key). */
export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw malformed('an Ed25519 seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** An Ed25519 public KeyObject from the raw 32-byte public key. */
export function ed25519PublicKey(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) throw malformed('an Ed25519 public key is 32 bytes');
  return createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
    format: 'der',
    type: 'spki',
  });
}

/** The raw 32-byte public key of a seed. */
export function ed25519PublicKeyFromSeed(seed: Uint8Array): Uint8Array {
  const der = createPublicKey(ed25519PrivateKey(seed)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(SPKI_ED25519_PREFIX.length));
}

export function ed25519Sign(key: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(cryptoSign(null, message, key));
}

export function ed25519Verify(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return cryptoVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Key texts
// ---------------------------------------------------------------------------------------------------------

/** The parts of a verifier key `<name>+<hex key id>+<base64(type || public key)>`. */
export interface DecodedVerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Uint8Array;
}

/**
 * Splits a vkey. Only the first two `+` separate fields: base64 may itself contain `+` (the sum.golang.org key
 * does). Checks that the key id is the one the name, type and key imply, as golang.org/x/mod does.
 */
export function decodeVerifierKey(vkey: string): DecodedVerifierKey {
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw malformed('a verifier key is <name>+<key id>+<base64 key>');
  const name = vkey.slice(0, first);
  const keyId = parseKeyIdHex(vkey.slice(first + 1, second));
  const raw = decodeBase64Strict(vkey.slice(second + 1));
  if (!isValidKeyName(name) || keyId === undefined || raw === undefined || raw.length < 2) {
    throw malformed(`malformed verifier key for ${JSON.stringify(name)}`);
  }
  const type = raw[0] as number;
  const publicKey = raw.subarray(1);
  if (computeKeyId(name, type, publicKey) !== keyId) {
    throw malformed(`verifier key id ${formatKeyId(keyId)} does not match the key of ${name}`);
  }
  return { name, keyId, type, publicKey };
}

export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw malformed(`invalid key name ${JSON.stringify(name)}`);
  const raw = new Uint8Array(1 + publicKey.length);
  raw[0] = type;
  raw.set(publicKey, 1);
  return `${name}+${formatKeyId(computeKeyId(name, type, publicKey))}+${encodeBase64(raw)}`;
}

/** The parts of a private key `PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>` (Go / Tessera). */
export interface DecodedSignerKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function decodeSignerKey(skey: string): DecodedSignerKey {
  const prefix = 'PRIVATE+KEY+';
  if (!skey.startsWith(prefix)) throw malformed('a signer key starts with PRIVATE+KEY+');
  const rest = skey.slice(prefix.length);
  const first = rest.indexOf('+');
  const second = first < 0 ? -1 : rest.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw malformed('a signer key is PRIVATE+KEY+<name>+<key id>+<base64 key>');
  const name = rest.slice(0, first);
  const keyId = parseKeyIdHex(rest.slice(first + 1, second));
  const raw = decodeBase64Strict(rest.slice(second + 1));
  if (!isValidKeyName(name) || keyId === undefined || raw === undefined || raw.length !== 33) {
    throw malformed('malformed signer key');
  }
  const type = raw[0] as number;
  if (type !== SIG_TYPE_ED25519 && type !== SIG_TYPE_COSIGNATURE_V1) {
    throw malformed(`unsupported signer key type 0x${type.toString(16).padStart(2, '0')}`);
  }
  const seed = raw.subarray(1);
  const publicKey = ed25519PublicKeyFromSeed(seed);
  if (computeKeyId(name, type, publicKey) !== keyId) {
    throw malformed(`signer key id ${formatKeyId(keyId)} does not match the key of ${name}`);
  }
  return { name, keyId, type, seed, publicKey };
}

export function formatSignerKey(name: string, type: number, seed: Uint8Array): string {
  const publicKey = ed25519PublicKeyFromSeed(seed);
  const raw = new Uint8Array(33);
  raw[0] = type;
  raw.set(seed, 1);
  return `PRIVATE+KEY+${name}+${formatKeyId(computeKeyId(name, type, publicKey))}+${encodeBase64(raw)}`;
}

/** An Ed25519 (type 0x01) verifier from a vkey. Cosigner keys (0x04): see cosignature.ts. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const key = decodeVerifierKey(vkey);
  if (key.type !== SIG_TYPE_ED25519 || key.publicKey.length !== 32) {
    throw malformed(
      `${key.name}: not an Ed25519 (0x01) verifier key; for 0x04 use parseCosignatureVerifierKey`,
    );
  }
  const publicKey = ed25519PublicKey(key.publicKey);
  return {
    name: key.name,
    keyId: key.keyId,
    type: SIG_TYPE_ED25519,
    verify: (text, signature) => ed25519Verify(publicKey, text, signature),
  };
}

/** An Ed25519 (type 0x01) signer from a `PRIVATE+KEY+…` text. Cosigner keys (0x04): see cosignature.ts. */
export function parseSignerKey(skey: string): NoteSigner {
  const key = decodeSignerKey(skey);
  if (key.type !== SIG_TYPE_ED25519) {
    throw malformed(`${key.name}: not an Ed25519 (0x01) signer key; for 0x04 use parseCosignerKey`);
  }
  const privateKey = ed25519PrivateKey(key.seed);
  return {
    name: key.name,
    keyId: key.keyId,
    type: SIG_TYPE_ED25519,
    sign: (text) => ed25519Sign(privateKey, text),
  };
}

/**
 * A fresh key pair for `name` (type 0x01 by default; 0x04 for a witness cosigner). The one place that uses
 * randomness: 32 bytes from the OS CSPRNG as the Ed25519 seed.
 */
export function generateKey(
  name: string,
  type: number = SIG_TYPE_ED25519,
): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name)) throw malformed(`invalid key name ${JSON.stringify(name)}`);
  const seed = new Uint8Array(randomBytes(32));
  return {
    signerKey: formatSignerKey(name, type, seed),
    verifierKey: formatVerifierKey(name, type, ed25519PublicKeyFromSeed(seed)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Notes
// ---------------------------------------------------------------------------------------------------------

/** `— <name> base64(key id || signature)\n` */
export function formatSignatureLine(sig: NoteSignature): string {
  const raw = new Uint8Array(4 + sig.signature.length);
  new DataView(raw.buffer).setUint32(0, sig.keyId >>> 0, false);
  raw.set(sig.signature, 4);
  return `${SIG_PREFIX}${sig.name} ${encodeBase64(raw)}\n`;
}

/** Parses signature lines (each ending in a newline), as in a note or a witness response. */
export function parseSignatureLines(block: string): NoteSignature[] {
  if (block.length === 0 || !block.endsWith('\n')) throw malformed('signature lines must end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  return lines.map((line) => {
    if (!line.startsWith(SIG_PREFIX)) throw malformed('a signature line starts with "— "');
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const raw = space < 0 ? undefined : decodeBase64Strict(rest.slice(space + 1));
    if (!isValidKeyName(name) || raw === undefined || raw.length < 5) {
      throw malformed(`malformed signature line for ${JSON.stringify(name)}`);
    }
    const keyId = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0, false);
    return { name, keyId, signature: raw.slice(4) };
  });
}

/**
 * Splits a note into text and signatures without verifying anything. signed-note: the text ends in a newline
 * and is separated from the signatures by the LAST blank line (the text may itself contain blank lines).
 */
export function parseNote(note: string): Note {
  if (!isValidNoteText(note)) throw malformed('a note is UTF-8 with no control characters but newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw malformed('a note needs a blank line before its signatures');
  const text = note.slice(0, split + 1);
  const signatures = parseSignatureLines(note.slice(split + 2));
  return { text, signatures };
}

export function formatNote(note: Note): string {
  checkText(note.text);
  if (note.signatures.length === 0) throw malformed('a note needs at least one signature');
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}

function checkText(text: string): void {
  if (!text.endsWith('\n') || !isValidNoteText(text)) {
    throw malformed('note text must end with a newline and contain no control characters but newline');
  }
}

/** Signs `text` (which must end in a newline) with every signer and returns the signed note. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkText(text);
  if (signers.length === 0) throw malformed('signing a note needs at least one signer');
  const bytes = textBytes(text);
  const signatures = signers.map((s) => ({ name: s.name, keyId: s.keyId, signature: s.sign(bytes) }));
  return formatNote({ text, signatures });
}

/** Adds signature lines (e.g. witness cosignatures) to a signed note, keeping its existing ones. */
export function addSignatures(note: string, signatures: readonly NoteSignature[]): string {
  const parsed = parseNote(note);
  return formatNote({ text: parsed.text, signatures: [...parsed.signatures, ...signatures] });
}

/**
 * Verifies a note (signed-note "Signatures"): signatures whose (name, key id) match no verifier are ignored;
 * every matching one must verify (else `tlog-bad-signature`), and at least one must match (else
 * `tlog-bad-signature`). Two verifiers with the same (name, key id) are ambiguous and refused.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  const parsed = parseNote(note);
  const byId = new Map<string, NoteVerifier>();
  for (const v of verifiers) {
    const id = `${v.name}+${formatKeyId(v.keyId)}`;
    if (byId.has(id)) throw malformed(`ambiguous verifiers: two keys for ${id}`);
    byId.set(id, v);
  }
  const bytes = textBytes(parsed.text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of parsed.signatures) {
    const id = `${sig.name}+${formatKeyId(sig.keyId)}`;
    const v = byId.get(id);
    if (v === undefined) {
      unverified.push(sig);
      continue;
    }
    if (!v.verify(bytes, sig.signature)) {
      throw new Problem('tlog-bad-signature', `the signature by known key ${id} does not verify`);
    }
    verified.push(sig);
  }
  if (verified.length === 0) {
    throw new Problem('tlog-bad-signature', 'the note carries no signature from a known key');
  }
  return { text: parsed.text, verified, unverified };
}
