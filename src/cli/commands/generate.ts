import { once } from 'node:events';
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import type { Command } from 'commander';
import { Problem } from '../../core/errors.js';
import { limits } from '../../core/limits.js';
import { generateWorld } from '../../demo/index.js';
import { Progress, reportError } from '../output.js';

/** Writes a chunk, waiting for the stream to drain when its buffer is full (bounded memory for 10M events). */
async function write(out: WriteStream, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

async function close(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'finish');
}

function parseCount(text: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Problem('bad-request', `--events must be a whole number, got ${text}`);
  return n;
}

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description(
      'Write a seeded demo world (a rare-earth supply chain) as EPCIS 2.0 JSON-LD capture documents',
    )
    .requiredOption('--events <n>', 'number of EPCIS events')
    .option('--seed <seed>', 'seed of the world (same seed, same bytes)', '1')
    .requiredOption('--out <file>', 'output file')
    .option('--format <format>', 'json (one EPCIS document) or ndjson (one document per line)', 'json')
    .option('--events-per-document <n>', 'events per document in ndjson', '1000')
    .option('--start <iso>', 'time of the first event', '2025-01-01T00:00:00Z')
    .action(
      async (options: {
        events: string;
        seed: string;
        out: string;
        format: string;
        eventsPerDocument: string;
        start: string;
      }) => {
        try {
          const events = parseCount(options.events);
          if (options.format !== 'json' && options.format !== 'ndjson') {
            throw new Problem('bad-request', `--format must be json or ndjson, got ${options.format}`);
          }
          const json = options.format === 'json';
          if (json && events > limits.maxEventsPerDocument) {
            throw new Problem(
              'too-many-events',
              `${events} events do not fit one EPCIS document (limit ${limits.maxEventsPerDocument}); use --format ndjson`,
            );
          }
          const eventsPerDocument = json ? Math.max(1, events) : parseCount(options.eventsPerDocument);
          const out = createWriteStream(options.out);
          const progress = new Progress('generating', events);
          let written = 0;
          let bytes = 0;
          try {
            for (const document of generateWorld({
              events,
              seed: options.seed,
              eventsPerDocument,
              startTime: options.start,
            })) {
              const text = JSON.stringify(document);
              bytes += Buffer.byteLength(text);
              if (json && bytes > limits.maxDocumentBytes) {
                throw new Problem(
                  'document-too-large',
                  `the document would exceed ${limits.maxDocumentBytes} bytes; use --format ndjson`,
                );
              }
              await write(out, json ? text : `${text}\n`);
              written += document.epcisBody.eventList.length;
              progress.update(written);
            }
            await close(out);
          } catch (error) {
            out.destroy();
            rmSync(options.out, { force: true });
            throw error;
          }
          progress.finish(written);
          process.stderr.write(`${written} events written to ${options.out}\n`);
        } catch (error) {
          reportError(error);
        }
      },
    );
}
