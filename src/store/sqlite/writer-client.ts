import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { rebuildError, startModuleWorker, type ThreadError } from '../../core/worker.js';
import type { RowBatch } from './rows.js';

/**
 * The capture thread's end of the SQLite writer thread. Row batches are written in the order they are posted,
 * each in its own transaction; `write` resolves when that transaction has committed.
 */
export class WriterClient {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  constructor(path: string) {
    this.worker = startModuleWorker(import.meta.url, 'writer-thread', { workerData: { path } });
    this.worker.on('message', (message: { id: number; error?: ThreadError }) => {
      const waiter = this.waiting.get(message.id);
      if (waiter === undefined) return;
      this.waiting.delete(message.id);
      if (message.error === undefined) waiter.resolve();
      else waiter.reject(rebuildError(message.error, 'SQLite writer thread'));
    });
    // A crashed thread fails every write still waiting, and every later one, with the first error seen: the
    // thread's own (an 'error' event) rather than the bare exit that follows it.
    const fail = (error: Error): void => {
      this.failure ??= error;
      for (const waiter of this.waiting.values()) waiter.reject(this.failure);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (this.waiting.size > 0 || code !== 0) fail(new Error(`SQLite writer thread exited (${code})`));
    });
    // An idle writer thread does not keep the process alive.
    this.worker.unref();
  }

  private post(message: object): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve: () => resolve(), reject });
      this.worker.ref();
      this.worker.postMessage({ id, ...message });
    }).finally(() => {
      if (this.waiting.size === 0) this.worker.unref();
    });
  }

  write(rows: RowBatch): Promise<void> {
    return this.post({ rows });
  }

  /**
   * A port on which another thread (a prepare thread) posts event texts to this writer (EventTexts). The
   * writer gets its end before any write posted after this call, so a write naming those texts finds them.
   */
  textChannel(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.worker.postMessage({ textPort: port2 }, [port2]);
    return port1;
  }

  /** Closes the thread's connection once the writes before it have committed. */
  async close(): Promise<void> {
    if (this.failure === undefined) await this.post({ close: true });
    await this.worker.terminate();
  }
}
