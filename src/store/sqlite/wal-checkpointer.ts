import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../core/worker.js';

/**
 * WAL checkpoints (SQLite's, not the log's signed checkpoints) for the SQLite writer thread, on a thread of
 * their own, so that the writer does not wait for them. A WAL checkpoint copies the WAL's pages into the database file and fsyncs both: on the writer thread it
 * stalled the import for the fsyncs (wall time, not CPU), and the capture thread then waited on the writer.
 * Measured on 2 cores, import of 300,000 demo events, three pairs alternated: 19,700 → 21,700 events/s; of
 * 1,000,000: 20,000 → 22,000/s (2026-12-06). Durability is unchanged: the writer commits as before
 * (synchronous NORMAL, the WAL is fsynced at checkpoint) and the checkpoints are SQLite's own, PASSIVE.
 *
 * The writer says "committed" after each transaction (a generation number in shared memory); the checkpoint
 * thread wakes, checkpoints everything committed so far, and reports the WAL's frames. SQLite starts the WAL
 * over at the next write once a checkpoint has copied all of it. When the writer keeps the WAL busy and it
 * grows past `maxWalFrames`, the writer waits, before its next transaction, for a checkpoint of all it has
 * committed, so that the WAL starts over and stays bounded.
 */

/** Slots of the shared Int32Array. */
const REQUESTED = 0; // the generation the writer asks to be checkpointed (CLOSE: stop)
const DONE = 1; // the generation of the last checkpoint that finished
const LOG_FRAMES = 2; // frames in the WAL at that checkpoint
const COPIED_FRAMES = 3; // of which copied into the database file

/** The REQUESTED value that stops the checkpoint thread. */
export const CLOSE = -1;

export interface WalCheckpointShared {
  readonly path: string;
  readonly shared: SharedArrayBuffer;
  readonly synchronous: string;
  /** How long the writer must be quiet before the WAL is emptied, ms. */
  readonly idleMs: number;
}

/** Tuning of a WalCheckpointer (tests shorten or lengthen these). */
export interface WalCheckpointerOptions {
  /** The WAL size, in frames, past which the writer waits for a checkpoint before writing on. */
  readonly maxWalFrames?: number;
  /** How long the writer must be quiet before the WAL is emptied, ms (default 1,000). */
  readonly idleMs?: number;
}

/**
 * The WAL size (in 16 KiB frames: 320 MiB) past which the writer waits for a checkpoint before writing on.
 * An import transaction of 20,000 events writes about 5,000 frames; at 1,000,000 events the checkpoints fall
 * behind and, unbounded, the WAL grew to 80,000 frames (1.3 GB).
 */
export const defaultMaxWalFrames = 20_000;

/** How long the writer waits for one checkpoint before it gives up and writes on (the thread may be gone). */
const waitMs = 30_000;

export class WalCheckpointer {
  private readonly slots: Int32Array;
  private readonly worker: Worker;
  private generation = 0;
  private failed = false;
  private exited = false;
  private readonly maxWalFrames: number;

  constructor(
    path: string,
    synchronous: string,
    onFailure: (error: Error) => void,
    options: WalCheckpointerOptions = {},
  ) {
    this.maxWalFrames = options.maxWalFrames ?? defaultMaxWalFrames;
    const shared = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
    this.slots = new Int32Array(shared);
    const data: WalCheckpointShared = { path, shared, synchronous, idleMs: options.idleMs ?? 1_000 };
    this.worker = startModuleWorker(import.meta.url, 'wal-checkpoint-thread', { workerData: data });
    const fail = (error: Error): void => {
      if (this.failed) return;
      this.failed = true;
      onFailure(error);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      this.exited = true;
      if (Atomics.load(this.slots, REQUESTED) !== CLOSE)
        fail(new Error(`checkpoint thread exited (${code})`));
    });
    this.worker.unref();
  }

  /** True once the thread has failed: the writer then checkpoints itself again (SQLite's autocheckpoint). */
  get hasFailed(): boolean {
    return this.failed;
  }

  /** After a commit: asks for a checkpoint of everything committed so far. */
  committed(): void {
    // Generations wrap long before 2^31 commits matter; only equality is compared.
    this.generation = this.generation === 0x7fffffff ? 1 : this.generation + 1;
    Atomics.store(this.slots, REQUESTED, this.generation);
    Atomics.notify(this.slots, REQUESTED);
  }

  /**
   * Before a transaction: if the WAL has grown past its bound, waits for the checkpoint of everything committed
   * so far, so that this transaction starts the WAL over. Returns whether it waited.
   */
  keepWalBounded(): boolean {
    if (this.failed || Atomics.load(this.slots, LOG_FRAMES) <= this.maxWalFrames) return false;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const done = Atomics.load(this.slots, DONE);
      if (done === this.generation) break;
      const left = deadline - Date.now();
      if (left <= 0 || this.failed) break;
      Atomics.wait(this.slots, DONE, done, left);
    }
    return true;
  }

  /** The WAL's frames at the last checkpoint, and how many of them it copied (for tests and diagnostics). */
  lastCheckpoint(): { logFrames: number; copiedFrames: number } {
    return {
      logFrames: Atomics.load(this.slots, LOG_FRAMES),
      copiedFrames: Atomics.load(this.slots, COPIED_FRAMES),
    };
  }

  /** Stops the thread after its current checkpoint; its connection closes. */
  async close(): Promise<void> {
    Atomics.store(this.slots, REQUESTED, CLOSE);
    Atomics.notify(this.slots, REQUESTED);
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.ref();
    });
  }
}

export const walCheckpointSlots = { REQUESTED, DONE, LOG_FRAMES, COPIED_FRAMES } as const;
