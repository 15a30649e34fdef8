/**
 * A child process for the crash test: captures a generated world document by document into a SQLite store
 * and, after each, publishes a checkpoint and takes a receipt for the document's last event. Each returned
 * receipt and signed checkpoint is appended (and fsynced) to a journal before the next document, so the
 * parent knows exactly what was promised when it kills this process.
 *
 * usage: node --import tsx test/helpers/crash-importer.ts DB KEYS JOURNAL SEED EVENTS
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { generateWorld } from '../../src/demo/index.js';
import { Ledger } from '../../src/ledger/capture.js';
import { operatorActor } from '../../src/ledger/decide.js';
import { loadLogKeys } from '../../src/ledger/keys.js';
import { LogService } from '../../src/ledger/log-service.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const [db, keysDir, journalPath, seed, events] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const store = new SqliteStore(db);
await store.migrate();
const log = new LogService(store, loadLogKeys(keysDir));
const ledger = new Ledger(store, { log: log.writer, clock: () => Date.now() });
const journal = openSync(journalPath, 'a');
const record = (entry: object): void => {
  writeSync(journal, `${JSON.stringify(entry)}\n`);
  fsyncSync(journal);
};
for (const document of generateWorld({ events: Number(events), seed, eventsPerDocument: 50 })) {
  const result = await ledger.capture(JSON.stringify(document), operatorActor);
  const checkpoint = await log.publishCheckpoint();
  if (checkpoint !== undefined) record({ checkpoint: checkpoint.note });
  const last = result.outcomes[result.outcomes.length - 1];
  if (last !== undefined) {
    const receipt = await log.receipt(last.hash);
    record({ receipt: receipt.proof, hash: last.hash, seq: receipt.seq });
  }
}
closeSync(journal);
await store.close();
