/**
 * C2SP tlog-checkpoint (tlog-checkpoint/v1.0.0): the signed tree head. The note text is
 *
 *     <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n]*
 *
 * and the note carries the log's signature (and witness cosignatures, see cosignature.ts).
 */
import { Problem } from '../core/errors.js';
import { bytesEqual, emptyRoot, HASH_SIZE, verifyConsistency } from './merkle.js';
import {
  decodeBase64Strict,
  encodeBase64,
  isValidNoteText,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
  openNote,
  signNote,
} from './note.js';

export interface Checkpoint {
  /** The log's identity, recommended to be its schema-less URL prefix. */
  readonly origin: string;
  /** Tree size; a safe integer (tiles and stores use JS numbers). */
  readonly size: number;
  /** RFC 9162 root hash (32 bytes). */
  readonly root: Uint8Array;
  /** Optional extension lines (tlog-checkpoint: NOT RECOMMENDED, not auditable); empty for our log. */
  readonly extensions?: readonly string[];
}

const malformed = (detail: string): Problem => new Problem('tlog-malformed', `checkpoint: ${detail}`);

/** Formats the checkpoint body (the note text). */
export function formatCheckpoint(cp: Checkpoint): string {
  if (cp.origin.length === 0 || cp.origin.includes('\n') || !isValidNoteText(cp.origin)) {
    throw malformed('the origin must be a non-empty line');
  }
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw malformed(`invalid tree size ${cp.size}`);
  if (cp.root.length !== HASH_SIZE) throw malformed('the root hash is 32 bytes');
  const ext = cp.extensions ?? [];
  for (const line of ext) {
    if (line.length === 0 || line.includes('\n') || !isValidNoteText(line)) {
      throw malformed('extension lines are non-empty single lines');
    }
  }
  return [cp.origin, String(cp.size), encodeBase64(cp.root), ...ext].map((l) => `${l}\n`).join('');
}

/** Parses a checkpoint body (the note text, ending in a newline). Throws `tlog-malformed`. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n') || !isValidNoteText(text)) throw malformed('the text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw malformed('needs origin, size and root lines');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw malformed('empty origin');
  // ASCII decimal with no leading zeros ("0" for the empty tree).
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw malformed(`invalid tree size ${JSON.stringify(sizeText)}`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw malformed(`tree size ${sizeText} is beyond 2^53−1`);
  const root = decodeBase64Strict(rootText);
  if (root === undefined || root.length !== HASH_SIZE) throw malformed('the root is base64 of 32 bytes');
  if (extensions.some((l) => l.length === 0)) throw malformed('extension lines must be non-empty');
  return { origin, size, root: new Uint8Array(root), extensions };
}

/** Formats and signs a checkpoint: the signed note. */
export function signCheckpoint(cp: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(cp), signers);
}

export interface OpenedCheckpoint extends OpenedNote {
  readonly checkpoint: Checkpoint;
}

/**
 * Verifies a signed checkpoint against the log's verifier key(s) (signed-note rules: unknown signers such as
 * witness cosignatures are ignored) and parses it. With `origin`, a checkpoint of another log is refused
 * (`tlog-unknown-log`).
 */
export function openCheckpoint(
  note: string,
  verifiers: readonly NoteVerifier[],
  options: { origin?: string } = {},
): OpenedCheckpoint {
  const opened = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(opened.text);
  if (options.origin !== undefined && checkpoint.origin !== options.origin) {
    throw new Problem('tlog-unknown-log', `checkpoint origin ${checkpoint.origin} is not ${options.origin}`);
  }
  return { ...opened, checkpoint };
}

/**
 * The guard that keeps a log from forking (tlog-checkpoint: "A log MUST not sign any checkpoint which is
 * inconsistent with any checkpoint it previously signed"): `newer` must extend `older` — same origin, size not
 * smaller, the empty tree's root at size 0, equal roots at equal sizes, and otherwise a verifying RFC 9162
 * §2.1.4 consistency proof. Throws `tlog-fork`; call it before every signature, with `older` the last
 * checkpoint the log signed (kept under compare-and-swap by the store).
 */
export function assertConsistentCheckpoints(
  older: Checkpoint,
  newer: Checkpoint,
  proof: readonly Uint8Array[],
): void {
  const fork = (detail: string): Problem =>
    new Problem('tlog-fork', `refusing checkpoint ${newer.size} after ${older.size}: ${detail}`, [], {
      olderSize: older.size,
      newerSize: newer.size,
    });
  if (older.origin !== newer.origin) throw fork(`origin ${newer.origin} is not ${older.origin}`);
  if (newer.size < older.size) throw fork('the tree would shrink');
  for (const cp of [older, newer]) {
    if (cp.size === 0 && !bytesEqual(cp.root, emptyRoot())) throw fork('a size-0 root must be SHA-256("")');
  }
  if (older.size === 0) {
    // The empty tree is consistent with every tree; tlog-witness requires an empty proof here.
    if (proof.length !== 0) throw fork('the proof from size 0 must be empty');
    return;
  }
  if (older.size === newer.size) {
    if (proof.length !== 0 || !bytesEqual(older.root, newer.root)) throw fork('same size, different root');
    return;
  }
  if (!verifyConsistency(older.size, newer.size, proof, older.root, newer.root)) {
    throw fork('the consistency proof does not verify');
  }
}

/**
 * Signs `next` only if it is consistent with `previous` (the last checkpoint this log signed, or undefined for
 * the first one): `assertConsistentCheckpoints` then `signCheckpoint`.
 */
export function signNextCheckpoint(
  previous: Checkpoint | undefined,
  next: Checkpoint,
  proof: readonly Uint8Array[],
  signers: readonly NoteSigner[],
): string {
  if (previous !== undefined) assertConsistentCheckpoints(previous, next, proof);
  else if (next.size === 0 && !bytesEqual(next.root, emptyRoot())) {
    throw new Problem('tlog-fork', 'a size-0 checkpoint must carry the empty-tree root');
  }
  return signCheckpoint(next, signers);
}
