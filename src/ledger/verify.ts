import type { JsonLdContext } from '../epcis/index.js';
import { eventHash } from '../epcis/index.js';
import type { Store } from '../store/store.js';
import {
  bytesEqual,
  decodeBase64Strict,
  HASH_SIZE,
  leafHash,
  MemoryTileStore,
  type NoteVerifier,
  openCheckpoint,
  TILE_WIDTH,
} from '../tlog/index.js';
import { encodeLeaf } from '../tlog/leaf.js';

/**
 * fsck for the ledger: recompute every event hash from the stored JSON, every leaf from the stored events,
 * rebuild the tree and check it against every stored signed checkpoint and the stored tiles. It names the
 * first event that was altered, deleted, reordered or inserted behind the log's back.
 */
export type VerifyFindingKind =
  | 'event-altered'
  | 'event-deleted'
  | 'event-inserted'
  | 'leaf-mismatch'
  | 'checkpoint-signature'
  | 'checkpoint-root'
  | 'tree-size';

export interface VerifyFinding {
  readonly kind: VerifyFindingKind;
  /** The event's sequence number (log index), when the finding is about one event. */
  readonly seq?: number;
  readonly eventHash?: string;
  readonly checkpointSize?: number;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly treeSize: number;
  readonly eventsChecked: number;
  readonly checkpointsChecked: number;
  /** The latest checkpoint's size and root, when one exists. */
  readonly latestCheckpoint?: { size: number; root: string };
  /** The first problem found (the one that names the tampered event), then any others, bounded. */
  readonly findings: VerifyFinding[];
}

const maxFindings = 100;
const pageSize = 10_000;

export async function verifyLedger(
  store: Store,
  verifiers: readonly NoteVerifier[],
  origin: string,
): Promise<VerifyReport> {
  const findings: VerifyFinding[] = [];
  const add = (finding: VerifyFinding): void => {
    if (findings.length < maxFindings) findings.push(finding);
  };
  const treeSize = await store.treeSize();
  const contexts = new Map<number, JsonLdContext>();
  const tree = new MemoryTileStore();
  let expectedSeq = 0;
  let eventsChecked = 0;
  let pendingLeaves: Uint8Array[] = [];
  /** Names every log index below `seq` not yet seen as deleted, keeping the tree aligned with the indices. */
  const markMissingBefore = (seq: number): void => {
    for (; expectedSeq < seq; expectedSeq++) {
      add({
        kind: 'event-deleted',
        seq: expectedSeq,
        message: `event ${expectedSeq} is missing: it was deleted`,
      });
      pendingLeaves.push(new Uint8Array(HASH_SIZE));
    }
  };
  let storedTile: Uint8Array | undefined;
  let storedTileIndex = -1;

  for (let from = 0; ; ) {
    const page = await store.scanEvents(from, pageSize);
    if (page.length === 0) break;
    for (const event of page) {
      eventsChecked += 1;
      if (event.seq >= treeSize) {
        add({
          kind: 'event-inserted',
          seq: event.seq,
          eventHash: event.hash,
          message: `event ${event.seq} lies beyond the log's tree size ${treeSize}: it was inserted behind the log's back`,
        });
        continue;
      }
      markMissingBefore(event.seq);
      let context = contexts.get(event.documentId);
      if (context === undefined) {
        const document = await store.getDocument(event.documentId);
        context = (document === undefined ? [] : JSON.parse(document.contextJson)) as JsonLdContext;
        contexts.set(event.documentId, context);
      }
      let recomputed: string | undefined;
      try {
        recomputed = eventHash(JSON.parse(event.json) as Parameters<typeof eventHash>[0], context);
      } catch {
        recomputed = undefined;
      }
      if (recomputed !== event.hash) {
        add({
          kind: 'event-altered',
          seq: event.seq,
          eventHash: event.hash,
          message: `event ${event.seq} no longer hashes to ${event.hash}: its content was altered`,
        });
      }
      const leaf = leafHash(
        encodeLeaf({ seq: event.seq, recordTime: event.recordTimeMs, eventHash: event.hash }),
      );
      // Compare with the leaf hashes the log stored at append time (level-0 tiles).
      const tileIndex = Math.floor(event.seq / TILE_WIDTH);
      if (tileIndex !== storedTileIndex) {
        storedTile = (await store.getTile(0, tileIndex))?.data;
        storedTileIndex = tileIndex;
      }
      const offset = (event.seq % TILE_WIDTH) * HASH_SIZE;
      const stored = storedTile?.subarray(offset, offset + HASH_SIZE);
      if (stored === undefined || stored.length !== HASH_SIZE || !bytesEqual(stored, leaf)) {
        add({
          kind: 'leaf-mismatch',
          seq: event.seq,
          eventHash: event.hash,
          message: `event ${event.seq} is not the leaf the log recorded at index ${event.seq}: rows were reordered, replaced or inserted`,
        });
      }
      pendingLeaves.push(leaf);
      expectedSeq = event.seq + 1;
      if (pendingLeaves.length >= TILE_WIDTH) {
        tree.appendLeaves(pendingLeaves);
        pendingLeaves = [];
      }
    }
    const last = page[page.length - 1];
    from = (last?.seq ?? from) + 1;
  }
  markMissingBefore(treeSize);
  if (pendingLeaves.length > 0) tree.appendLeaves(pendingLeaves);

  const checkpoints = await store.listCheckpoints();
  let latest: { size: number; root: string } | undefined;
  for (const checkpoint of checkpoints) {
    try {
      const opened = openCheckpoint(checkpoint.note, verifiers, { origin });
      const cp = opened.checkpoint;
      if (cp.size !== checkpoint.size || cp.size > tree.size) {
        add({
          kind: 'tree-size',
          checkpointSize: cp.size,
          message: `checkpoint of size ${cp.size} covers more events than the store holds (${tree.size})`,
        });
        continue;
      }
      const root = tree.tree.root(cp.size);
      if (!bytesEqual(root, cp.root)) {
        add({
          kind: 'checkpoint-root',
          checkpointSize: cp.size,
          message: `the events do not rebuild the root signed at size ${cp.size}`,
        });
      }
      const storedRoot = decodeBase64Strict(checkpoint.root);
      if (storedRoot === undefined || !bytesEqual(storedRoot, cp.root)) {
        add({
          kind: 'checkpoint-root',
          checkpointSize: cp.size,
          message: `the stored root column of checkpoint ${cp.size} differs from its signed body`,
        });
      }
      latest = { size: cp.size, root: checkpoint.root };
    } catch (error) {
      add({
        kind: 'checkpoint-signature',
        checkpointSize: checkpoint.size,
        message: `checkpoint ${checkpoint.size} does not verify: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  // The first finding by log position names the tampered event; checkpoint findings follow.
  findings.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
  return {
    ok: findings.length === 0,
    treeSize,
    eventsChecked,
    checkpointsChecked: checkpoints.length,
    ...(latest === undefined ? {} : { latestCheckpoint: latest }),
    findings,
  };
}
