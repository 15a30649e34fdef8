import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { EventTextShelf, type EventTexts, textRef } from './event-texts.js';

describe('event texts sent straight to the writer thread', () => {
  it('finds a text posted before it is named, without waiting for the event loop', () => {
    const shelf = new EventTextShelf();
    const { port1, port2 } = new MessageChannel();
    shelf.addPort(port2);
    port1.postMessage({ key: 7, texts: ['{"a":1}', '{"b":2}'] } satisfies EventTexts);
    port1.postMessage({ key: 8, texts: ['{"c":3}'] } satisfies EventTexts);
    // Synchronous: a write set naming these texts is handled in one callback on the writer thread.
    expect(shelf.text(textRef(8, 0))).toBe('{"c":3}');
    expect(shelf.text(textRef(7, 1))).toBe('{"b":2}');
    port1.close();
  });

  it('refuses a reference to a text that was never posted, or to an event the document does not have', () => {
    const shelf = new EventTextShelf();
    const { port1, port2 } = new MessageChannel();
    shelf.addPort(port2);
    port1.postMessage({ key: 1, texts: ['x'] } satisfies EventTexts);
    expect(() => shelf.text(textRef(2, 0))).toThrow(/no text was posted for document 2/);
    expect(() => shelf.text(textRef(1, 1))).toThrow(/document 1 has no event 1/);
    port1.close();
  });

  it('forgets the texts of documents up to a key once they are written, and keeps the later ones', () => {
    const shelf = new EventTextShelf();
    const channels = [new MessageChannel(), new MessageChannel()];
    for (const c of channels) shelf.addPort(c.port2);
    // Two prepare threads, each with its own port: keys arrive interleaved.
    for (let key = 0; key < 6; key++) {
      (channels[key % 2] as MessageChannel).port1.postMessage({
        key,
        texts: [`t${key}`],
      } satisfies EventTexts);
    }
    expect(shelf.text(textRef(5, 0))).toBe('t5');
    shelf.release(3);
    expect(shelf.size).toBe(2);
    expect(shelf.text(textRef(4, 0))).toBe('t4');
    expect(() => shelf.text(textRef(2, 0))).toThrow(/no text was posted/);
    for (const c of channels) c.port1.close();
  });
});
