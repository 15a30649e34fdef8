import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { limits } from '../core/limits.js';
import type { TextRef } from './store.js';

/**
 * Event texts that travel from a prepare thread straight to the store's writer thread (bulk import on SQLite).
 *
 * An event's stored text (its JSON, about 800 bytes on the demo world) is most of what a write carries. Sent
 * through the capture thread, every text was copied into that thread's heap, kept alive until its batch
 * committed (so every young-generation collection copied it again) and copied out once more to the writer.
 * Sending them straight took a 300,000-event import from 12,679 to 15,496 events/s (143.7 to 115.5 µs of CPU
 * an event, measured 2026-12-05). Now the prepare thread posts a document's texts to the writer under the
 * document's key, and the capture thread names each one by a `TextRef` (document key and event index).
 *
 * Ordering: the prepare thread posts the texts before it replies to the capture thread, and the capture thread
 * names a text only after that reply. So by the time a write set naming a text reaches the writer, the text is
 * already queued on the writer's port, and `EventTextShelf` takes it with `receiveMessageOnPort`, synchronously.
 */
export interface EventTexts {
  /** The document's key (the prepare pool's number for it). */
  readonly key: number;
  readonly texts: readonly string[];
}

/** Room for the events of one document in a TextRef: more than `limits.maxEventsPerDocument`. */
const slots = 2 ** 17;
if (limits.maxEventsPerDocument > slots)
  throw new Error('event-texts: a TextRef cannot hold the event index');

export function textRef(key: number, index: number): TextRef {
  return key * slots + index;
}

/** The key of the document a reference names. */
export function textDocument(ref: TextRef): number {
  return Math.floor(ref / slots);
}

/** The writer thread's end: texts received, found by reference, forgotten once written. */
export class EventTextShelf {
  private readonly ports: MessagePort[] = [];
  private readonly documents = new Map<number, readonly string[]>();

  addPort(port: MessagePort): void {
    this.ports.push(port);
  }

  /** The text a reference names; it must have been posted already (see the ordering note above). */
  text(ref: TextRef): string {
    const key = textDocument(ref);
    let texts = this.documents.get(key);
    while (texts === undefined) {
      if (!this.receive()) throw new Error(`event-texts: no text was posted for document ${key}`);
      texts = this.documents.get(key);
    }
    const text = texts[ref % slots];
    if (text === undefined) throw new Error(`event-texts: document ${key} has no event ${ref % slots}`);
    return text;
  }

  /** Takes every message already queued on one port; false when none was. */
  private receive(): boolean {
    let any = false;
    for (const port of this.ports) {
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
        const { key, texts } = m.message as EventTexts;
        this.documents.set(key, texts);
        any = true;
      }
    }
    return any;
  }

  /**
   * Forgets the texts of documents up to `key`: their events are written, or they were refused. Texts of
   * documents refused after the last one a write names wait for the next write (or the next import's).
   */
  release(key: number): void {
    this.receive();
    for (const k of this.documents.keys()) if (k <= key) this.documents.delete(k);
  }

  /** Documents whose texts are held (for tests). */
  get size(): number {
    return this.documents.size;
  }
}
