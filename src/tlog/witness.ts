/**
 * A minimal C2SP tlog-witness: `POST <prefix>/add-checkpoint` with Ed25519 cosignature/v1 responses.
 *
 * For each configured log (origin + trusted log keys) the witness remembers only the latest checkpoint it
 * cosigned (size and root). That state lives in one JSON file, replaced with write-to-temp + fsync + rename +
 * directory fsync BEFORE the cosignature is returned (tlog-witness: "The witness MUST persist the new
 * checkpoint before responding"). Requests are serialised, so the old-size check and the update are atomic
 * within the process (the spec's rollback race); run one witness process per state file.
 *
 * Answers (tlog-witness add-checkpoint): 404 unknown origin; 403 no trusted signature or a bad one; 400 a
 * malformed body or old size > checkpoint size; 409 old size ≠ the stored size, body = stored size + "\n",
 * `Content-Type: text/x.tlog.size`; 422 bad consistency proof, non-empty proof from size 0, a size-0 checkpoint
 * without the empty-tree root, or the same size with another root; 200 the cosignature line.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { isProblem, Problem } from '../core/errors.js';
import { type Checkpoint, openCheckpoint, parseCheckpoint } from './checkpoint.js';
import { parseCosignerKey } from './cosignature.js';
import { bytesEqual, emptyRoot, HASH_SIZE, verifyConsistency } from './merkle.js';
import {
  decodeBase64Strict,
  encodeBase64,
  formatSignatureLine,
  type NoteSigner,
  type NoteVerifier,
  parseNote,
  parseVerifierKey,
  SIG_TYPE_COSIGNATURE_V1,
  textBytes,
} from './note.js';

/** tlog-witness: "The client MUST NOT send more than 63 consistency proof lines." */
export const MAX_CONSISTENCY_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly consistencyProof: readonly Uint8Array[];
  /** The signed checkpoint note (may carry several signatures). */
  readonly checkpointNote: string;
}

export interface WitnessLogConfig {
  readonly origin: string;
  /** The log's verifier keys (vkey text or parsed); any one valid signature suffices. */
  readonly verifierKeys: readonly (string | NoteVerifier)[];
}

export interface WitnessOptions {
  /** The JSON state file; created on the first cosignature. Its directory must exist. */
  readonly statePath: string;
  /** The cosigner: `PRIVATE+KEY+<name>+<id>+base64(0x04 || seed)` or a parsed type-0x04 signer. */
  readonly cosigner: string | NoteSigner;
  readonly logs: readonly WitnessLogConfig[];
  /** POSIX seconds for cosignature timestamps; default the system clock. */
  readonly now?: () => number;
  /** How the state file is written durably; tests inject failures here. */
  readonly durableWrite?: (file: string, data: string) => Promise<void>;
}

interface LogState {
  readonly size: number;
  readonly root: Uint8Array;
  readonly checkpoint: string;
}

interface StateFile {
  version: 1;
  logs: Record<string, { size: number; root: string; checkpoint: string }>;
}

const malformed = (detail: string): Problem => new Problem('tlog-malformed', `add-checkpoint: ${detail}`);

/**
 * Writes `data` to `file` so that after a crash the file holds either the old or the new content, and the new
 * content is on disk before this resolves: temp file in the same directory, fsync, rename, fsync directory.
 */
export async function writeFileDurably(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** Parses an add-checkpoint body: `old <size>\n`, ≤ 63 base64 hash lines, an empty line, the checkpoint. */
export function parseAddCheckpointBody(body: string): AddCheckpointRequest {
  const firstEnd = body.indexOf('\n');
  if (firstEnd < 0) throw malformed('missing old size line');
  const m = /^old (0|[1-9][0-9]*)$/.exec(body.slice(0, firstEnd));
  if (m === null) throw malformed('the first line must be "old <decimal size>"');
  const oldSize = Number(m[1]);
  if (!Number.isSafeInteger(oldSize)) throw malformed('old size beyond 2^53−1');
  const consistencyProof: Uint8Array[] = [];
  let at = firstEnd + 1;
  for (;;) {
    const end = body.indexOf('\n', at);
    if (end < 0) throw malformed('missing the empty line before the checkpoint');
    const line = body.slice(at, end);
    at = end + 1;
    if (line === '') break;
    if (consistencyProof.length === MAX_CONSISTENCY_PROOF_LINES) throw malformed('more than 63 proof lines');
    const h = decodeBase64Strict(line);
    if (h === undefined || h.length !== HASH_SIZE) throw malformed('proof lines are base64 of 32 bytes');
    consistencyProof.push(new Uint8Array(h));
  }
  return { oldSize, consistencyProof, checkpointNote: body.slice(at) };
}

export function formatAddCheckpointBody(req: AddCheckpointRequest): string {
  const proof = req.consistencyProof.map((h) => `${encodeBase64(h)}\n`).join('');
  return `old ${req.oldSize}\n${proof}\n${req.checkpointNote}`;
}

export class Witness {
  private readonly logs: ReadonlyMap<string, readonly NoteVerifier[]>;
  private readonly state: Map<string, LogState>;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set when persisting failed: the on-disk state is unknown, so the witness refuses until reopened. */
  private broken: Error | undefined;

  private constructor(
    private readonly options: WitnessOptions,
    private readonly cosigner: NoteSigner,
    state: Map<string, LogState>,
  ) {
    this.logs = new Map(
      options.logs.map((l) => [
        l.origin,
        l.verifierKeys.map((k) => (typeof k === 'string' ? parseVerifierKey(k) : k)),
      ]),
    );
    this.state = state;
  }

  /** Loads the state file (absent = never cosigned anything). A corrupt file is an error, never a reset. */
  static async open(options: WitnessOptions): Promise<Witness> {
    const cosigner =
      typeof options.cosigner === 'string'
        ? parseCosignerKey(options.cosigner, options.now)
        : options.cosigner;
    if (cosigner.type !== SIG_TYPE_COSIGNATURE_V1) {
      throw new Problem('tlog-malformed', 'the witness key must be a cosignature/v1 (0x04) key');
    }
    const state = new Map<string, LogState>();
    let text: string | undefined;
    try {
      text = await readFile(options.statePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== undefined) {
      const parsed = JSON.parse(text) as StateFile;
      if (parsed.version !== 1 || typeof parsed.logs !== 'object' || parsed.logs === null) {
        throw new Error(`witness state ${options.statePath} has an unknown format`);
      }
      for (const [origin, s] of Object.entries(parsed.logs)) {
        const root = decodeBase64Strict(s.root);
        if (!Number.isSafeInteger(s.size) || s.size < 0 || root === undefined || root.length !== HASH_SIZE) {
          throw new Error(`witness state ${options.statePath} is corrupt for ${origin}`);
        }
        state.set(origin, { size: s.size, root: new Uint8Array(root), checkpoint: s.checkpoint });
      }
    }
    return new Witness(options, cosigner, state);
  }

  get name(): string {
    return this.cosigner.name;
  }

  /** The latest cosigned size and root for a log, if any. */
  latest(origin: string): { size: number; root: Uint8Array } | undefined {
    const s = this.state.get(origin);
    return s === undefined ? undefined : { size: s.size, root: new Uint8Array(s.root) };
  }

  /**
   * Handles one add-checkpoint request. Resolves to the response body (cosignature line(s)) once the new
   * state is durable; rejects with a `Problem` whose status is the spec's (409 carries `extensions.size`).
   */
  addCheckpoint(req: AddCheckpointRequest): Promise<string> {
    const run = this.queue.then(() => this.addCheckpointLocked(req));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async addCheckpointLocked(req: AddCheckpointRequest): Promise<string> {
    if (this.broken !== undefined) {
      throw new Problem(
        'internal',
        `witness state could not be saved earlier (${this.broken.message}); reopen it`,
      );
    }
    if (req.consistencyProof.length > MAX_CONSISTENCY_PROOF_LINES)
      throw malformed('more than 63 proof lines');
    const note = parseNote(req.checkpointNote);
    const checkpoint: Checkpoint = parseCheckpoint(note.text);
    const verifiers = this.logs.get(checkpoint.origin);
    if (verifiers === undefined) throw new Problem('tlog-unknown-log', `unknown log ${checkpoint.origin}`);
    // 403 for no trusted signature and for a trusted key whose signature fails (tlog-witness).
    openCheckpoint(req.checkpointNote, verifiers);
    if (req.oldSize > checkpoint.size) {
      throw malformed(`old size ${req.oldSize} is larger than the checkpoint size ${checkpoint.size}`);
    }
    const stored = this.state.get(checkpoint.origin);
    const storedSize = stored?.size ?? 0;
    if (req.oldSize !== storedSize) {
      throw new Problem(
        'tlog-old-size-mismatch',
        `old size ${req.oldSize} does not match the latest cosigned size ${storedSize}`,
        [],
        { size: storedSize },
      );
    }
    const bad = (detail: string): Problem => new Problem('tlog-bad-proof', detail);
    if (checkpoint.size === 0 && !bytesEqual(checkpoint.root, emptyRoot())) {
      throw bad('a size-0 checkpoint must have the empty-tree root');
    }
    if (req.oldSize === 0) {
      if (req.consistencyProof.length !== 0) throw bad('the proof from size 0 must be empty');
    } else if (req.oldSize === checkpoint.size) {
      if (req.consistencyProof.length !== 0 || !bytesEqual((stored as LogState).root, checkpoint.root)) {
        throw bad('same size as the latest cosigned checkpoint but a different root (or a non-empty proof)');
      }
    } else if (
      !verifyConsistency(
        req.oldSize,
        checkpoint.size,
        req.consistencyProof,
        (stored as LogState).root,
        checkpoint.root,
      )
    ) {
      throw bad(`the consistency proof from ${req.oldSize} to ${checkpoint.size} does not verify`);
    }
    const signature = this.cosigner.sign(textBytes(note.text));
    const next = new Map(this.state);
    next.set(checkpoint.origin, {
      size: checkpoint.size,
      root: checkpoint.root,
      checkpoint: req.checkpointNote,
    });
    await this.persist(next);
    this.state.set(checkpoint.origin, next.get(checkpoint.origin) as LogState);
    return formatSignatureLine({ name: this.cosigner.name, keyId: this.cosigner.keyId, signature });
  }

  private async persist(next: ReadonlyMap<string, LogState>): Promise<void> {
    const file: StateFile = { version: 1, logs: {} };
    for (const [origin, s] of next) {
      file.logs[origin] = { size: s.size, root: encodeBase64(s.root), checkpoint: s.checkpoint };
    }
    try {
      await (this.options.durableWrite ?? writeFileDurably)(
        this.options.statePath,
        `${JSON.stringify(file, null, 2)}\n`,
      );
    } catch (e) {
      // Unknown whether the new state reached the disk: answering later requests from memory could cosign a
      // fork of a checkpoint that is in fact saved. Refuse everything until the state is reloaded.
      this.broken = e instanceof Error ? e : new Error(String(e));
      throw new Problem('internal', `could not save witness state: ${this.broken.message}`);
    }
  }
}

export interface WitnessHandlerOptions {
  /** The submission prefix, e.g. `/witness` (default: empty, so the path is `/add-checkpoint`). */
  readonly prefix?: string;
  /** Largest accepted body; default 64 KiB (63 proof lines and a checkpoint with many signatures fit). */
  readonly maxBodyBytes?: number;
}

/**
 * A `node:http` request handler serving `POST <prefix>/add-checkpoint` per tlog-witness. Other paths go to
 * `next` when given (to mount it inside another handler), else get a 404.
 */
export function witnessHttpHandler(
  witness: Witness,
  options: WitnessHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse, next?: () => void) => void {
  const route = `${options.prefix ?? ''}/add-checkpoint`;
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const reply = (
    res: ServerResponse,
    status: number,
    body: string,
    type = 'text/plain; charset=utf-8',
  ): void => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://witness.invalid');
    if (url.pathname !== route) {
      if (next !== undefined) next();
      else reply(res, 404, 'not found\n');
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      reply(res, 405, 'add-checkpoint takes POST\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (chunk: Buffer) => {
      if (aborted) return;
      size += chunk.length;
      if (size > maxBody) {
        aborted = true;
        reply(res, 413, 'request body too large\n');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (aborted) return;
      let body: string;
      try {
        body = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
      } catch {
        reply(res, 400, 'body is not UTF-8\n');
        return;
      }
      Promise.resolve()
        .then(() => witness.addCheckpoint(parseAddCheckpointBody(body)))
        .then(
          (lines) => reply(res, 200, lines),
          (e: unknown) => {
            if (isProblem(e) && e.kind === 'tlog-old-size-mismatch') {
              reply(res, 409, `${String(e.extensions.size)}\n`, 'text/x.tlog.size');
            } else if (isProblem(e)) {
              reply(res, e.status, `${e.message}\n`);
            } else {
              reply(res, 500, 'internal error\n');
            }
          },
        );
    });
  };
}
