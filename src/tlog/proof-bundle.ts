/**
 * C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): an offline-verifiable receipt — checkpoint, leaf index and
 * inclusion proof in one text file (extension `.tlog-proof`):
 *
 *     c2sp.org/tlog-proof@v1
 *     extra <base64>            (optional, unauthenticated)
 *     index <decimal>
 *     <base64 hash>             (zero or more: the inclusion proof, leaf sibling first)
 *     <empty line>
 *     <the signed checkpoint note, verbatim, with any witness cosignatures>
 */
import { Problem } from '../core/errors.js';
import { type Checkpoint, openCheckpoint } from './checkpoint.js';
import { parseCosignatureVerifierKey, type VerifiedCosignature, verifyCosignatures } from './cosignature.js';
import { HASH_SIZE, verifyInclusion } from './merkle.js';
import { decodeBase64Strict, encodeBase64, type NoteVerifier, parseNote, parseVerifierKey } from './note.js';

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
/** An RFC 9162 inclusion proof in a 64-bit tree has at most 64 hashes; refuse anything longer. */
const MAX_PROOF_LINES = 64;

export interface TlogProof {
  /** The signed checkpoint note, verbatim. */
  readonly checkpoint: string;
  readonly index: number;
  readonly proof: readonly Uint8Array[];
  /** Opaque, unauthenticated application data (tlog-proof: "MUST NOT implicitly trust"). */
  readonly extra?: Uint8Array;
}

const malformed = (detail: string): Problem => new Problem('tlog-malformed', `tlog-proof: ${detail}`);

export function formatTlogProof(p: TlogProof): string {
  if (!Number.isSafeInteger(p.index) || p.index < 0) throw malformed(`invalid index ${p.index}`);
  if (p.proof.some((h) => h.length !== HASH_SIZE)) throw malformed('proof hashes are 32 bytes');
  parseNote(p.checkpoint);
  const lines = [TLOG_PROOF_HEADER];
  if (p.extra !== undefined) lines.push(`extra ${encodeBase64(p.extra)}`);
  lines.push(`index ${p.index}`);
  for (const h of p.proof) lines.push(encodeBase64(h));
  return `${lines.join('\n')}\n\n${p.checkpoint}`;
}

/** Parses a tlog-proof without verifying it. Throws `tlog-malformed`. */
export function parseTlogProof(text: string): TlogProof {
  let at = 0;
  const nextLine = (): string => {
    const end = text.indexOf('\n', at);
    if (end < 0) throw malformed('truncated');
    const line = text.slice(at, end);
    at = end + 1;
    return line;
  };
  if (nextLine() !== TLOG_PROOF_HEADER) throw malformed(`the first line must be ${TLOG_PROOF_HEADER}`);
  let line = nextLine();
  let extra: Uint8Array | undefined;
  if (line.startsWith('extra ')) {
    extra = decodeBase64Strict(line.slice('extra '.length));
    if (extra === undefined) throw malformed('the extra line is not base64');
    line = nextLine();
  }
  const m = /^index (0|[1-9][0-9]*)$/.exec(line);
  if (m === null) throw malformed('expected "index <decimal>"');
  const index = Number(m[1]);
  if (!Number.isSafeInteger(index)) throw malformed('index beyond 2^53−1');
  const proof: Uint8Array[] = [];
  for (line = nextLine(); line !== ''; line = nextLine()) {
    const h = decodeBase64Strict(line);
    if (h === undefined || h.length !== HASH_SIZE) throw malformed('proof lines are base64 of 32 bytes');
    if (proof.length === MAX_PROOF_LINES) throw malformed('too many proof lines');
    proof.push(new Uint8Array(h));
  }
  const checkpoint = text.slice(at);
  parseNote(checkpoint);
  return extra === undefined ? { checkpoint, index, proof } : { checkpoint, index, proof, extra };
}

export interface VerifyTlogProofOptions {
  /** Witness cosigner keys (vkeys of type 0x04 or parsed verifiers). */
  readonly witnesses?: readonly (string | NoteVerifier)[];
  /** How many distinct known witnesses must have cosigned (k of n); default 0. */
  readonly quorum?: number;
  /** The origin the receipt must be for; default: any origin the log key signs. */
  readonly origin?: string;
}

export interface VerifiedTlogProof {
  readonly checkpoint: Checkpoint;
  readonly index: number;
  readonly extra?: Uint8Array;
  readonly cosignatures: readonly VerifiedCosignature[];
}

/**
 * Verifies a receipt (tlog-proof "Verifying a tlog proof"): (1) the caller computed `leafHash`; (2) the
 * checkpoint is signed by the log key (and has the expected origin); (3) known witness cosignatures verify and
 * reach the quorum; (4) the inclusion proof binds the leaf hash to the checkpoint root. Throws a `Problem`:
 * `tlog-malformed`, `tlog-bad-signature` (log or witness signature, or quorum not met), `tlog-unknown-log`,
 * `tlog-bad-proof`.
 */
export function verifyTlogProof(
  text: string,
  verifierKey: string | NoteVerifier | readonly NoteVerifier[],
  leafHash: Uint8Array,
  options: VerifyTlogProofOptions = {},
): VerifiedTlogProof {
  const parsed = parseTlogProof(text);
  const logVerifiers =
    typeof verifierKey === 'string'
      ? [parseVerifierKey(verifierKey)]
      : Array.isArray(verifierKey)
        ? (verifierKey as readonly NoteVerifier[])
        : [verifierKey as NoteVerifier];
  const { checkpoint } = openCheckpoint(
    parsed.checkpoint,
    logVerifiers,
    options.origin === undefined ? {} : { origin: options.origin },
  );
  const witnesses = (options.witnesses ?? []).map((w) =>
    typeof w === 'string' ? parseCosignatureVerifierKey(w) : w,
  );
  const cosignatures = verifyCosignatures(parsed.checkpoint, witnesses);
  const quorum = options.quorum ?? 0;
  if (cosignatures.length < quorum) {
    throw new Problem(
      'tlog-bad-signature',
      `${cosignatures.length} known witness cosignature(s), the policy needs ${quorum}`,
    );
  }
  if (!verifyInclusion(parsed.index, checkpoint.size, leafHash, parsed.proof, checkpoint.root)) {
    throw new Problem(
      'tlog-bad-proof',
      `the inclusion proof for index ${parsed.index} does not verify against the checkpoint of size ${checkpoint.size}`,
    );
  }
  return {
    checkpoint,
    index: parsed.index,
    cosignatures,
    ...(parsed.extra === undefined ? {} : { extra: parsed.extra }),
  };
}
