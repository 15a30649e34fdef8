import { parentPort } from 'node:worker_threads';
import { checkDocument, type DocumentSource } from './capture.js';

/** A prepare thread: validates and hashes capture documents for the capture thread (see PreparePool). */
const port = parentPort;
if (port === null) throw new Error('prepare-thread runs only as a worker');
port.on('message', (message: { id: number; source: DocumentSource }) => {
  port.postMessage({ id: message.id, reply: checkDocument(message.source) });
});
