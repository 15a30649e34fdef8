import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { Problem } from '../../core/errors.js';
import { limits } from '../../core/limits.js';
import type { Ledger } from '../../ledger/capture.js';
import { operatorActor } from '../../ledger/decide.js';
import { defaultDbPath, openRuntime } from '../../runtime.js';
import { ndjsonLines } from '../ndjson-lines.js';
import { Progress, printJson } from '../output.js';

export interface ImportSummary {
  accepted: number;
  rejected: number;
  events: number;
  duplicates: number;
}

/** A document read from a file, with where it came from (for the problem report) and how far the file is read. */
interface ReadDocument {
  readonly body: string;
  readonly single: boolean;
  readonly where: string;
  readonly bytesDone: number;
}

/** Reads the files as documents: a whole file, or one NDJSON line at a time. */
async function* readDocuments(
  files: readonly string[],
  refuse: (problem: Problem, where: string) => void,
): AsyncGenerator<ReadDocument> {
  let bytesDone = 0;
  for (const file of files) {
    const ndjson = /\.(ndjson|jsonl)$/i.test(file);
    if (!ndjson) {
      const size = statSync(file).size;
      bytesDone += size;
      if (size > limits.maxDocumentBytes) {
        refuse(
          new Problem(
            'document-too-large',
            `${file} is ${size} bytes; the limit is ${limits.maxDocumentBytes}`,
            [{ rule: 'limits.maxDocumentBytes', record: file, message: 'too large' }],
          ),
          file,
        );
        continue;
      }
      yield { body: readFileSync(file, 'utf8'), single: false, where: file, bytesDone };
      continue;
    }
    const before = bytesDone;
    for await (const read of ndjsonLines(file, limits.maxDocumentBytes)) {
      bytesDone = before + read.bytesDone;
      const where = `${file}:${read.number}`;
      if ('tooLarge' in read) {
        refuse(
          new Problem(
            'document-too-large',
            `${where} is ${read.tooLarge} bytes; the limit is ${limits.maxDocumentBytes}`,
            [{ rule: 'limits.maxDocumentBytes', record: where, message: 'too large' }],
          ),
          where,
        );
        continue;
      }
      const line = read.text;
      if (line.trim() === '') continue;
      // A line is a document unless it is plainly a bare event.
      const single =
        /^\s*\{\s*"(type|@context)"/.test(line) &&
        !/"type"\s*:\s*"EPCIS(Query)?Document"/.test(line.slice(0, 4096));
      yield { body: line, single, where, bytesDone };
    }
  }
}

/**
 * Imports EPCIS documents: a file holding one JSON document, or NDJSON with one document (or one bare event)
 * per line. Each document is captured whole or not at all; a rejected one is reported on stderr as a problem
 * detail (with the file and line) and the import goes on with the next. Documents are captured as a stream
 * (Ledger.captureStream): group commit, read ahead for the prepare threads, decided while earlier ones are
 * written.
 */
export async function importFiles(
  ledger: Ledger,
  files: readonly string[],
  onProgress: (events: number, fraction: number) => void = () => undefined,
): Promise<ImportSummary> {
  const summary: ImportSummary = { accepted: 0, rejected: 0, events: 0, duplicates: 0 };
  // Progress is known in bytes (a file's events are not counted before it is read).
  const totalBytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
  const report = (problem: Problem, where: string): void => {
    summary.rejected += 1;
    process.stderr.write(`${JSON.stringify({ ...problem.toJSON(), instance: where })}\n`);
  };
  // Where each document in flight came from, until its outcome is reported.
  const inFlight = new Map<number, ReadDocument>();
  let read = 0;
  async function* sources(): AsyncGenerator<ReadDocument> {
    for await (const document of readDocuments(files, report)) {
      inFlight.set(read++, document);
      yield document;
    }
  }
  await ledger.captureStream(sources(), operatorActor, (index, outcome) => {
    const document = inFlight.get(index);
    inFlight.delete(index);
    const where = document?.where ?? `document ${index}`;
    if (outcome instanceof Problem) {
      report(outcome, where);
      return;
    }
    summary.accepted += 1;
    summary.events += outcome.recorded;
    summary.duplicates += outcome.duplicates;
    onProgress(summary.events, totalBytes > 0 ? (document?.bytesDone ?? 0) / totalBytes : 1);
  });
  // Fresh statistics for the planner once the tables have grown (part of the import, and of its timing).
  if (summary.events > 0) await ledger.store.optimize();
  return summary;
}

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description(
      `Capture EPCIS 2.0 documents (JSON, or NDJSON with one document per line) into a store; each document whole or refused, committed in groups of up to ${limits.groupCommitEvents.toLocaleString('en-US')} events`,
    )
    .argument('<files...>', 'EPCIS JSON / JSON-LD documents, or .ndjson files')
    .option('--db <pathOrUrl>', 'SQLite file or postgres:// URL', defaultDbPath)
    .option('--keys <dir>', 'directory of the log signing key (default: beside the database)')
    .option('--json', 'print a summary {accepted, rejected, events} as JSON')
    .action(async (files: string[], options: { db: string; keys?: string; json?: boolean }) => {
      const runtime = await openRuntime(options.db, { keysDir: options.keys, bulk: true });
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
