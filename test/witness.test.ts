import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateWorld } from '../src/demo/index.js';
import { Ledger } from '../src/ledger/capture.js';
import { operatorActor } from '../src/ledger/decide.js';
import { addWitnessKey, loadLogKeys } from '../src/ledger/keys.js';
import { LogService } from '../src/ledger/log-service.js';
import { submitToWitness } from '../src/ledger/witness-client.js';
import { verifyCosignatures } from '../src/tlog/cosignature.js';
import { generateKey, SIG_TYPE_COSIGNATURE_V1 } from '../src/tlog/index.js';
import { Witness, witnessHttpHandler } from '../src/tlog/witness.js';
import { freshSqlite } from './helpers/stores.js';

/** The log and a witness over real HTTP: cosignatures are kept with the checkpoint; a fork is refused. */
describe('witness cosigning', () => {
  let handle: Awaited<ReturnType<typeof freshSqlite>>;
  let server: http.Server;
  let url: string;
  let log: LogService;
  let ledger: Ledger;
  const witnessKey = generateKey('witness.test', SIG_TYPE_COSIGNATURE_V1);

  beforeEach(async () => {
    handle = await freshSqlite();
    const keysDir = path.join(handle.dir, 'keys');
    log = new LogService(handle.store, loadLogKeys(keysDir));
    addWitnessKey(keysDir, witnessKey.verifierKey);
    log = new LogService(handle.store, loadLogKeys(keysDir));
    ledger = new Ledger(handle.store, { log: log.writer, clock: () => 1_760_000_000_000 });
    const witness = await Witness.open({
      statePath: path.join(handle.dir, 'witness-state.json'),
      cosigner: witnessKey.signerKey,
      logs: [{ origin: log.origin, verifierKeys: [log.keys.verifierKey] }],
    });
    server = http.createServer(witnessHttpHandler(witness));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await handle.dispose();
  });

  it('cosigns successive consistent checkpoints and the log serves them cosigned', async () => {
    const documents = [...generateWorld({ events: 400, seed: 'witness', eventsPerDocument: 200 })];
    await ledger.capture(JSON.stringify(documents[0]), operatorActor);
    const first = await submitToWitness(log, url);
    await ledger.capture(JSON.stringify(documents[1]), operatorActor);
    // The client does not know the witness's size: the 409 answer tells it, and it retries with a proof.
    const second = await submitToWitness(log, url, { oldSize: 0 });
    expect(second.size).toBeGreaterThan(first.size);
    const latest = await log.latestCheckpoint();
    const cosignatures = verifyCosignatures(latest.note, log.keys.witnesses);
    expect(cosignatures.map((c) => c.name)).toEqual(['witness.test']);
  });

  it('refuses a checkpoint that forks from what it cosigned', async () => {
    const documents = [...generateWorld({ events: 400, seed: 'witness', eventsPerDocument: 200 })];
    await ledger.capture(JSON.stringify(documents[0]), operatorActor);
    await submitToWitness(log, url);
    // A second store with the same key but different history: a forked log.
    const other = await freshSqlite();
    try {
      const forkLog = new LogService(other.store, log.keys);
      const forkLedger = new Ledger(other.store, { log: forkLog.writer, clock: () => 1 });
      for (const document of generateWorld({ events: 600, seed: 'fork', eventsPerDocument: 300 })) {
        await forkLedger.capture(JSON.stringify(document), operatorActor);
      }
      await expect(submitToWitness(forkLog, url)).rejects.toThrow(/refused|witness/);
    } finally {
      await other.dispose();
    }
  });
});
