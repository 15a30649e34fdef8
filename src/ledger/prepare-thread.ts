import { type MessagePort, parentPort } from 'node:worker_threads';
import { nameThisThread } from '../core/worker.js';
import { packTexts } from '../store/event-texts.js';
import { checkDocument, type DocumentSource, type PrepareReply } from './capture.js';

/**
 * A prepare thread: validates and hashes capture documents for the capture thread (see PreparePool). With a
 * text port (the store's writer thread), each document's event texts go there, not back to the capture thread.
 */
const port = parentPort;
if (port === null) throw new Error('prepare-thread runs only as a worker');
nameThisThread('rt-prepare');
let texts: MessagePort | undefined;
port.on('message', (message: { id: number; source: DocumentSource } | { textPort: MessagePort }) => {
  if ('textPort' in message) {
    texts = message.textPort;
    return;
  }
  const reply: PrepareReply = checkDocument(message.source);
  if (texts !== undefined && 'texts' in reply) {
    // Posted before the reply: the capture thread names these texts only after it has the reply.
    const { message: packed, transfer } = packTexts(message.id, reply.texts);
    texts.postMessage(packed, transfer);
    port.postMessage({ id: message.id, reply: { hashes: reply.hashes, textKey: message.id } });
    return;
  }
  port.postMessage({ id: message.id, reply });
});
