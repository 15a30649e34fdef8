import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { isProblem, Problem } from '../../core/errors.js';
import { limits } from '../../core/limits.js';
import type { Ledger } from '../../ledger/capture.js';
import { operatorActor } from '../../ledger/decide.js';
import { defaultDbPath, openRuntime } from '../../runtime.js';
import { Progress, printJson } from '../output.js';

export interface ImportSummary {
  accepted: number;
  rejected: number;
  events: number;
  duplicates: number;
}

/**
 * Imports EPCIS documents: a file holding one JSON document, or NDJSON with one document (or one bare event)
 * per line. Each document is captured on its own, whole or not at all; a rejected one is reported on stderr as
 * a problem detail (with the file and line) and the import goes on with the next.
 */
export async function importFiles(
  ledger: Ledger,
  files: readonly string[],
  onProgress: (events: number, fraction: number) => void = () => undefined,
): Promise<ImportSummary> {
  const summary: ImportSummary = { accepted: 0, rejected: 0, events: 0, duplicates: 0 };
  // Progress is known in bytes (a file's events are not counted before it is read).
  const totalBytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
  let bytesDone = 0;
  const captureOne = async (text: string, where: string, single: boolean): Promise<void> => {
    try {
      const result = await ledger.capture(text, operatorActor, { single });
      summary.accepted += 1;
      summary.events += result.recorded;
      summary.duplicates += result.duplicates;
      onProgress(summary.events, totalBytes > 0 ? bytesDone / totalBytes : 1);
    } catch (error) {
      summary.rejected += 1;
      if (!isProblem(error)) throw error;
      process.stderr.write(`${JSON.stringify({ ...error.toJSON(), instance: where })}\n`);
    }
  };
  for (const file of files) {
    const ndjson = /\.(ndjson|jsonl)$/i.test(file);
    if (!ndjson) {
      const size = statSync(file).size;
      if (size > limits.maxDocumentBytes) {
        summary.rejected += 1;
        const problem = new Problem(
          'document-too-large',
          `${file} is ${size} bytes; the limit is ${limits.maxDocumentBytes}`,
          [{ rule: 'limits.maxDocumentBytes', record: file, message: 'too large' }],
        );
        process.stderr.write(`${JSON.stringify({ ...problem.toJSON(), instance: file })}\n`);
        continue;
      }
      bytesDone += size;
      await captureOne(readFileSync(file, 'utf8'), file, false);
      continue;
    }
    const lines = createInterface({
      input: createReadStream(file, 'utf8'),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let lineNumber = 0;
    for await (const line of lines) {
      lineNumber += 1;
      bytesDone += Buffer.byteLength(line) + 1;
      if (line.trim() === '') continue;
      // A line is a document unless it is plainly a bare event.
      const single =
        /^\s*\{\s*"(type|@context)"/.test(line) &&
        !/"type"\s*:\s*"EPCIS(Query)?Document"/.test(line.slice(0, 4096));
      await captureOne(line, `${file}:${lineNumber}`, single);
    }
  }
  return summary;
}

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('Capture EPCIS 2.0 documents (JSON, or NDJSON with one document per line) into a store')
    .argument('<files...>', 'EPCIS JSON / JSON-LD documents, or .ndjson files')
    .option('--db <pathOrUrl>', 'SQLite file or postgres:// URL', defaultDbPath)
    .option('--keys <dir>', 'directory of the log signing key (default: beside the database)')
    .option('--json', 'print a summary {accepted, rejected, events} as JSON')
    .action(async (files: string[], options: { db: string; keys?: string; json?: boolean }) => {
      const runtime = await openRuntime(options.db, { keysDir: options.keys });
      const progress = new Progress('import', undefined);
      try {
        const summary = await importFiles(runtime.ledger, files, (n, fraction) =>
          progress.update(n, false, fraction),
        );
        progress.finish(summary.events);
        await runtime.log.publishCheckpoint();
        if (options.json === true)
          printJson({
            accepted: summary.accepted,
            rejected: summary.rejected,
            events: summary.events,
            duplicates: summary.duplicates,
          });
        else
          process.stdout.write(
            `accepted ${summary.accepted} documents (${summary.events} events, ${summary.duplicates} already recorded), rejected ${summary.rejected}\n`,
          );
        if (summary.rejected > 0) process.exitCode = 1;
      } finally {
        await runtime.close();
      }
    });
}
