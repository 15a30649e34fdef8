import type { DocumentSource, PrepareReply } from './capture.js';
import type { PreparePool } from './prepare-pool.js';

/** A document waiting in the queue, with what its prepare thread will find (when there is one). */
export interface QueuedDocument {
  readonly source: DocumentSource;
  readonly check: Promise<PrepareReply> | undefined;
}

/**
 * The documents of a capture stream, read ahead of the capture thread: up to `readAhead` documents are pulled
 * from the source and handed to the prepare threads before the capture thread needs them. Documents stay in
 * the queue until released (once settled), so that the ones not yet committed can be decided again after a
 * log conflict.
 */
export class SourceQueue {
  private readonly iterator: AsyncIterator<DocumentSource> | Iterator<DocumentSource>;
  private readonly items = new Map<number, QueuedDocument>();
  private pulled = 0;
  private ended = false;

  constructor(
    sources: AsyncIterable<DocumentSource> | Iterable<DocumentSource>,
    private readonly prepare: PreparePool | undefined,
    private readonly readAhead = 8,
  ) {
    this.iterator =
      Symbol.asyncIterator in sources
        ? (sources as AsyncIterable<DocumentSource>)[Symbol.asyncIterator]()
        : (sources as Iterable<DocumentSource>)[Symbol.iterator]();
  }

  /** The document at `index`, or undefined past the end of the stream. */
  async get(index: number): Promise<QueuedDocument | undefined> {
    const want = this.prepare === undefined ? index : index + this.readAhead;
    while (!this.ended && this.pulled <= want) {
      const next = await this.iterator.next();
      if (next.done === true) {
        this.ended = true;
        break;
      }
      const source = next.value;
      const check = this.prepare?.submit([source])[0];
      // Awaited when the document's turn comes; this only keeps an early failure from counting as unhandled.
      check?.catch(() => undefined);
      this.items.set(this.pulled++, { source, check });
    }
    return this.items.get(index);
  }

  /** Forgets the documents before `index`: they are settled and will not be decided again. */
  release(index: number): void {
    for (const key of this.items.keys()) {
      if (key >= index) break;
      this.items.delete(key);
    }
  }
}
