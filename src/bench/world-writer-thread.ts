import { once } from 'node:events';
import { closeSync, createWriteStream, fsyncSync, openSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { generateWorld } from '../demo/index.js';

/**
 * Writes the demo world as an NDJSON file of capture documents (see writeWorld in capture.ts), on a thread of its
 * own so that the generator's garbage stays in this thread's heap, and fsyncs it so that no timed run pays for
 * its write-back. Its exit code is its answer (writeWorld).
 */
const { file, events, seed } = workerData as { file: string; events: number; seed: string };
const out = createWriteStream(file);
for (const document of generateWorld({ events, seed })) {
  if (!out.write(`${JSON.stringify(document)}\n`)) await once(out, 'drain');
}
await new Promise<void>((resolve, reject) =>
  out.end((error?: Error | null) => (error ? reject(error) : resolve())),
);
const fd = openSync(file, 'r');
try {
  fsyncSync(fd);
} finally {
  closeSync(fd);
}
