import { Problem } from '../core/errors.js';
import type { CheckpointRecord, Store } from '../store/store.js';
import { tileKey } from '../store/store.js';
import {
  addSignatures,
  consistencyProof,
  encodeBase64,
  HASH_SIZE,
  inclusionProof,
  leafHash,
  openCheckpoint,
  openNote,
  parseCheckpoint,
  parseNote,
  rootAt,
  signNextCheckpoint,
  TILE_WIDTH,
  TileCache,
  type TileRef,
  tilesForConsistency,
  tilesForInclusion,
  tilesForRoot,
  verifyInclusion,
} from '../tlog/index.js';
import { encodeLeaf } from '../tlog/leaf.js';
import { formatTlogProof } from '../tlog/proof-bundle.js';
import { keysDirFor, type LogKeys, loadLogKeys } from './keys.js';
import { createMerkleLogWriter, type LogWriter } from './log-writer.js';

/**
 * The tamper-evident log over the store: every recorded event is one leaf (src/tlog/leaf.ts: the event hash,
 * its sequence number and record time, never business data), the store keeps only tiles, and this service
 * signs checkpoints, builds proofs and receipts, and takes witness cosignatures.
 */

export { createMerkleLogWriter };

/** Full tiles kept in memory by the log service: 8 KiB each, so 32 MiB at most. */
const fullTileCacheLimit = 4096;

export interface Receipt {
  readonly eventHash: string;
  readonly seq: number;
  readonly recordTimeMs: number;
  /** The C2SP tlog-proof text: verifiable offline with the log's verifier key. */
  readonly proof: string;
}

export class LogService {
  readonly writer: LogWriter = createMerkleLogWriter();
  private readonly cache = new TileCache(4096);
  private readonly fullTiles = new Map<string, Uint8Array>();
  /** Whether stored tile nodes seed the memo; turned off for good if one ever disagrees with a signed root. */
  private seedStoredNodes = true;
  private timer: NodeJS.Timeout | undefined;
  private publishing: Promise<CheckpointRecord | undefined> | undefined;

  constructor(
    readonly store: Store,
    readonly keys: LogKeys,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  get origin(): string {
    return this.keys.origin;
  }

  /**
   * Tiles for a proof or root. Full tiles never change once written, so they are kept in memory (bounded);
   * only partial tiles on the right edge, and full ones not yet seen, are read from the store.
   */
  private async tiles(refs: readonly TileRef[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const missing: { level: number; index: number }[] = [];
    for (const ref of refs) {
      const key = tileKey(ref.level, ref.index);
      const cached = ref.width === TILE_WIDTH ? this.fullTiles.get(key) : undefined;
      if (cached === undefined) missing.push({ level: ref.level, index: ref.index });
      else out.set(key, cached);
    }
    if (missing.length === 0) return out;
    const [read, nodes] = await Promise.all([
      this.store.getTiles(missing),
      this.seedStoredNodes ? this.store.getTileNodes(missing) : new Map<string, Uint8Array>(),
    ]);
    for (const [key, data] of read) {
      out.set(key, data);
      if (data.length === TILE_WIDTH * HASH_SIZE) {
        if (this.fullTiles.size >= fullTileCacheLimit) this.fullTiles.clear();
        this.fullTiles.set(key, data);
        const internal = nodes.get(key);
        const [level, index] = key.split('/').map(Number) as [number, number];
        if (internal !== undefined) this.cache.seed(level, index, data, internal);
      }
    }
    return out;
  }

  async rootAt(size: number): Promise<Uint8Array> {
    return rootAt(size, await this.tiles(tilesForRoot(size)), this.cache);
  }

  async inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    const current = await this.store.treeSize();
    if (size > current || index >= size || index < 0) {
      throw new Problem(
        'bad-query',
        `no inclusion proof for index ${index} in a tree of ${size} (the log has ${current})`,
      );
    }
    return inclusionProof(index, size, await this.tiles(tilesForInclusion(index, size)), this.cache);
  }

  async consistencyProof(m: number, n: number): Promise<Uint8Array[]> {
    const current = await this.store.treeSize();
    if (m < 0 || m > n || n > current) {
      throw new Problem('bad-query', `no consistency proof from ${m} to ${n} (the log has ${current})`);
    }
    return consistencyProof(m, n, await this.tiles(tilesForConsistency(m, n)), this.cache);
  }

  /**
   * Signs a checkpoint at the current size if the log grew since the last one. The new checkpoint is first
   * proved consistent with the last one signed (never two inconsistent checkpoints); concurrent calls share
   * one signing.
   */
  publishCheckpoint(): Promise<CheckpointRecord | undefined> {
    if (this.publishing === undefined) {
      this.publishing = this.doPublish().finally(() => {
        this.publishing = undefined;
      });
    }
    return this.publishing;
  }

  private async doPublish(): Promise<CheckpointRecord | undefined> {
    const size = await this.store.treeSize();
    const previous = await this.store.latestCheckpoint();
    if (previous !== undefined && previous.size === size) return previous;
    if (previous !== undefined && previous.size > size) {
      throw new Problem(
        'log-conflict',
        `the last checkpoint has size ${previous.size} but the store holds ${size}`,
      );
    }
    const root = await this.rootAt(size);
    const previousCheckpoint =
      previous === undefined ? undefined : parseCheckpoint(parseNote(previous.note).text);
    const proof = previous === undefined ? [] : await this.consistencyProof(previous.size, size);
    const note = signNextCheckpoint(previousCheckpoint, { origin: this.origin, size, root }, proof, [
      this.keys.signer,
    ]);
    const record: CheckpointRecord = { size, root: encodeBase64(root), note, publishedMs: this.clock() };
    await this.store.putCheckpoint(record);
    return record;
  }

  /** The latest signed checkpoint (with any cosignatures), publishing the first one if none exists. */
  async latestCheckpoint(): Promise<CheckpointRecord> {
    const latest = (await this.store.latestCheckpoint()) ?? (await this.publishCheckpoint());
    if (latest === undefined) throw new Problem('internal', 'no checkpoint could be published');
    return latest;
  }

  /** Publishes checkpoints every `intervalMs` while the log grows. */
  startPublishing(intervalMs: number): void {
    this.stopPublishing();
    this.timer = setInterval(() => {
      this.publishCheckpoint().catch(() => undefined);
    }, intervalMs);
    this.timer.unref();
  }

  stopPublishing(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.stopPublishing();
    await this.publishing;
  }

  /** A receipt for a recorded event: the latest checkpoint that covers it, its index and inclusion proof. */
  async receipt(eventHash: string): Promise<Receipt> {
    const event = await this.store.getEventByHash(eventHash);
    if (event === undefined)
      throw new Problem('not-found', `no event ${eventHash}`, [
        { record: eventHash, message: 'not recorded' },
      ]);
    let checkpoint = await this.latestCheckpoint();
    if (checkpoint.size <= event.seq) {
      checkpoint = (await this.publishCheckpoint()) ?? checkpoint;
    }
    const leaf = encodeLeaf({ seq: event.seq, recordTime: event.recordTimeMs, eventHash: event.hash });
    const root = parseCheckpoint(parseNote(checkpoint.note).text).root;
    let proof = await this.inclusionProof(event.seq, checkpoint.size);
    if (!verifyInclusion(event.seq, checkpoint.size, leafHash(leaf), proof, root)) {
      // A stored node or tile disagrees with the signed root: stop trusting stored nodes, drop every memo and
      // rebuild from the tiles alone.
      this.seedStoredNodes = false;
      this.cache.clear();
      this.fullTiles.clear();
      proof = await this.inclusionProof(event.seq, checkpoint.size);
      if (!verifyInclusion(event.seq, checkpoint.size, leafHash(leaf), proof, root)) {
        throw new Problem(
          'internal',
          `the stored tiles do not prove event ${event.seq} under the signed root: run raretrace verify`,
        );
      }
    }
    return {
      eventHash,
      seq: event.seq,
      recordTimeMs: event.recordTimeMs,
      // The leaf itself rides in the unauthenticated `extra` line: a verifier re-hashes it, so it cannot lie.
      proof: formatTlogProof({
        checkpoint: checkpoint.note,
        index: event.seq,
        proof,
        extra: encodeLeaf({ seq: event.seq, recordTime: event.recordTimeMs, eventHash: event.hash }),
      }),
    };
  }

  /** Receipts for several events under one checkpoint (signed first if the log grew). */
  async receipts(eventHashes: readonly string[]): Promise<Receipt[]> {
    await this.publishCheckpoint();
    const out: Receipt[] = [];
    for (const hash of eventHashes) out.push(await this.receipt(hash));
    return out;
  }

  /**
   * Takes a witness's cosignature (tlog-cosignature/v1) on a checkpoint the log signed: the note must carry a
   * valid signature by a configured witness over exactly the stored checkpoint body.
   */
  async addCosignature(cosigned: string): Promise<CheckpointRecord> {
    const opened = openNote(cosigned, this.keys.witnesses);
    const checkpoint = parseCheckpoint(opened.text);
    const stored = (await this.store.listCheckpoints()).find((c) => c.size === checkpoint.size);
    if (stored === undefined || parseNote(stored.note).text !== opened.text) {
      throw new Problem(
        'bad-request',
        `the log signed no checkpoint with this body at size ${checkpoint.size}`,
      );
    }
    const existing = parseNote(stored.note).signatures;
    const fresh = opened.verified.filter(
      (s) => !existing.some((e) => e.keyId === s.keyId && e.name === s.name),
    );
    const note = fresh.length === 0 ? stored.note : addSignatures(stored.note, fresh);
    const record = { ...stored, note };
    await this.store.putCheckpoint(record);
    return record;
  }

  /** Checks a signed checkpoint note against the log's keys (current and retired). */
  verifyCheckpoint(note: string): ReturnType<typeof openCheckpoint> {
    return openCheckpoint(note, this.keys.allVerifiers, { origin: this.origin });
  }
}

export async function createLogService(
  store: Store,
  options: { keysDir?: string; dbPath: string },
): Promise<LogService> {
  const keys = loadLogKeys(keysDirFor(options.dbPath, options.keysDir));
  return new LogService(store, keys);
}
