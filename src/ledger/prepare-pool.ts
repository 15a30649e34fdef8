import type { MessagePort, Worker } from 'node:worker_threads';
import { startModuleWorker } from '../core/worker.js';
import type { DocumentSource, PrepareReply } from './capture.js';

/**
 * Threads that validate and hash capture documents ahead of the capture thread, which then only parses them
 * (about 14 of the 17 µs an event costs before the decider, measured on the demo world). Replies come back in
 * the order the documents were submitted; a document's text is copied to the thread once.
 */
export class PreparePool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, (reply: PrepareReply) => void>();
  private readonly failures = new Map<number, (error: Error) => void>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;
  /** The store whose writer thread receives the event texts (sendTextsTo). */
  private textsTo: object | undefined;

  constructor(threads = 1) {
    this.workers = Array.from({ length: Math.max(1, threads) }, () => {
      const worker = startModuleWorker(import.meta.url, 'prepare-thread');
      worker.on('message', (message: { id: number; reply: PrepareReply }) => {
        const resolve = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        this.failures.delete(message.id);
        resolve?.(message.reply);
        if (this.waiting.size === 0) for (const w of this.workers) w.unref();
      });
      // A thread that dies fails every document waiting on it, and every later one (it is not restarted).
      const fail = (error: Error): void => {
        this.failure ??= error;
        for (const reject of this.failures.values()) reject(error);
        this.waiting.clear();
        this.failures.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!this.closing) fail(new Error(`prepare thread exited (${code})`));
      });
      worker.unref();
      return worker;
    });
  }

  /**
   * Sends the documents' event texts to a store's writer thread from now on (`Store.textChannel`, one port per
   * prepare thread): replies then carry a text key instead of the texts (src/store/event-texts.ts). A pool
   * serves one store: a second store would be handed texts its writer never receives, so it is refused.
   */
  sendTextsTo(store: object, channel: () => MessagePort): void {
    if (this.textsTo === store) return;
    if (this.textsTo !== undefined) {
      throw new Error(
        "PreparePool: its event texts go to another store's writer already; use a pool per store",
      );
    }
    this.textsTo = store;
    for (const worker of this.workers) {
      const port = channel();
      worker.postMessage({ textPort: port }, [port]);
    }
  }

  /** Submits documents; each promise settles with what the thread found for that document. */
  submit(sources: readonly DocumentSource[]): Promise<PrepareReply>[] {
    return sources.map((source) => {
      if (this.failure !== undefined) return Promise.reject(this.failure);
      const id = this.nextId++;
      const worker = this.workers[id % this.workers.length] as Worker;
      return new Promise<PrepareReply>((resolve, reject) => {
        this.waiting.set(id, resolve);
        this.failures.set(id, reject);
        worker.ref();
        worker.postMessage({ id, source });
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
