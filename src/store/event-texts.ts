import { Buffer } from 'node:buffer';
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
 * The texts travel as UTF-8 bytes, one buffer per document with the end of each event's text, and the
 * buffer is transferred, not copied. On the writer they stay outside the JavaScript heap: as strings, the
 * texts waiting for their batch were most of what every young-generation collection there had to copy
 * (24 ms a collection, 3 µs an imported event, measured 2026-12-05). SQLite binds the bytes as they are
 * (`CAST(? AS TEXT)` in the insert), with no conversion from a JavaScript string.
 *
 * Ordering: the prepare thread posts the texts before it replies to the capture thread, and the capture thread
 * names a text only after that reply. So by the time a write set naming a text reaches the writer, the text is
 * already queued on the writer's port, and `EventTextShelf` takes it with `receiveMessageOnPort`, synchronously.
 */
export interface EventTexts {
  /** The document's key (the prepare pool's number for it). */
  readonly key: number;
  /** The texts of the document's events, one after another, UTF-8. */
  readonly bytes: Uint8Array;
  /** Where each event's text ends in `bytes` (its start is where the one before it ends). */
  readonly ends: Uint32Array;
}

/** A document's texts as one message, and what to transfer with it (its buffers, which are its own). */
export function packTexts(
  key: number,
  texts: readonly string[],
): { message: EventTexts; transfer: ArrayBuffer[] } {
  const joined = texts.join('');
  // Not Buffer.from: a small one comes from Node's shared pool, which must not be transferred.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(joined));
  bytes.write(joined);
  const ends = new Uint32Array(texts.length);
  // All one-byte characters (ASCII): byte offsets are string offsets, with no second pass over the text.
  const ascii = bytes.length === joined.length;
  let end = 0;
  texts.forEach((text, i) => {
    end += ascii ? text.length : Buffer.byteLength(text);
    ends[i] = end;
  });
  return { message: { key, bytes, ends }, transfer: [bytes.buffer as ArrayBuffer, ends.buffer] };
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
  private readonly documents = new Map<number, { readonly bytes: Buffer; readonly ends: Uint32Array }>();

  addPort(port: MessagePort): void {
    this.ports.push(port);
  }

  /**
   * The text a reference names, as UTF-8 bytes (a view, not a copy); it must have been posted already (see
   * the ordering note above).
   */
  text(ref: TextRef): Buffer {
    const key = textDocument(ref);
    let texts = this.documents.get(key);
    while (texts === undefined) {
      if (!this.receive()) throw new Error(`event-texts: no text was posted for document ${key}`);
      texts = this.documents.get(key);
    }
    const index = ref % slots;
    const end = texts.ends[index];
    if (end === undefined) throw new Error(`event-texts: document ${key} has no event ${index}`);
    return texts.bytes.subarray(index === 0 ? 0 : texts.ends[index - 1], end);
  }

  /** Takes every message already queued on one port; false when none was. */
  private receive(): boolean {
    let any = false;
    for (const port of this.ports) {
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
        const { key, bytes, ends } = m.message as EventTexts;
        this.documents.set(key, {
          bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          ends,
        });
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
