import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { EventTextShelf, packTexts, textRef } from './event-texts.js';

function post(port: MessagePort, key: number, texts: string[]): void {
  const { message, transfer } = packTexts(key, texts);
  port.postMessage(message, transfer);
}

describe('event texts sent straight to the writer thread', () => {
  it('finds a text posted before it is named, without waiting for the event loop', () => {
    const shelf = new EventTextShelf();
    const { port1, port2 } = new MessageChannel();
    shelf.addPort(port2);
    post(port1, 7, ['{"a":1}', '{"b":"é→𝄞"}', '{}']);
    post(port1, 8, ['{"c":3}']);
    // Synchronous: a write set naming these texts is handled in one callback on the writer thread.
    expect(shelf.text(textRef(8, 0)).toString()).toBe('{"c":3}');
    // Byte offsets, not string offsets, past characters of two, three and four UTF-8 bytes.
    expect(shelf.text(textRef(7, 1)).toString()).toBe('{"b":"é→𝄞"}');
    expect(shelf.text(textRef(7, 2)).toString()).toBe('{}');
    expect(shelf.text(textRef(7, 0)).toString()).toBe('{"a":1}');
    port1.close();
  });

  it('refuses a reference to a text that was never posted, or to an event the document does not have', () => {
    const shelf = new EventTextShelf();
    const { port1, port2 } = new MessageChannel();
    shelf.addPort(port2);
    post(port1, 1, ['x']);
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
      post((channels[key % 2] as MessageChannel).port1, key, [`t${key}`]);
    }
    expect(shelf.text(textRef(5, 0)).toString()).toBe('t5');
    shelf.release(3);
    expect(shelf.size).toBe(2);
    expect(shelf.text(textRef(4, 0)).toString()).toBe('t4');
    expect(() => shelf.text(textRef(2, 0))).toThrow(/no text was posted/);
    for (const c of channels) c.port1.close();
  });
});
