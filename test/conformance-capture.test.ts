import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceDir } from '../src/core/conformance.js';
import { isProblem } from '../src/core/errors.js';
import { Ledger } from '../src/ledger/capture.js';
import { operatorActor } from '../src/ledger/decide.js';
import { createMerkleLogWriter } from '../src/ledger/log-service.js';
import { freshSqlite } from './helpers/stores.js';

/**
 * The GS1 and OpenEPCIS conformance documents go through the whole capture path (not only the validator):
 * every valid document is recorded, every invalid one is refused with a problem naming the event and field,
 * and every hash vector's events are recorded under exactly the expected hashes.
 */
function documents(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...documents(file));
    else if (/\.(json|jsonld)$/.test(name)) {
      const text = readFileSync(file, 'utf8');
      // The JSON schemas shipped beside the examples are not documents.
      if (!/"\$schema"\s*:/.test(text.slice(0, 2000))) out.push(file);
    }
  }
  return out;
}

describe('conformance documents through capture', () => {
  let handle: Awaited<ReturnType<typeof freshSqlite>>;
  let ledger: Ledger;
  beforeAll(async () => {
    handle = await freshSqlite();
    ledger = new Ledger(handle.store, { log: createMerkleLogWriter(), clock: () => 1_760_000_000_000 });
  });
  afterAll(async () => handle.dispose());

  const root = conformanceDir();
  const valid = documents(path.join(root, 'epcis-valid'));
  const invalid = documents(path.join(root, 'epcis-invalid'));

  it('finds the conformance data', () => {
    expect(valid.length).toBeGreaterThan(0);
    expect(invalid.length).toBeGreaterThan(0);
  });

  it.each(valid.map((file) => [path.relative(root, file), file]))('records valid %s', async (_name, file) => {
    const result = await ledger.capture(readFileSync(file), operatorActor);
    expect(result.recorded + result.duplicates).toBe(result.eventCount);
  });

  it.each(invalid.map((file) => [path.relative(root, file), file]))(
    'refuses invalid %s',
    async (_name, file) => {
      const before = await handle.store.fingerprint();
      let caught: unknown;
      try {
        await ledger.capture(readFileSync(file), operatorActor);
      } catch (error) {
        caught = error;
      }
      expect(isProblem(caught)).toBe(true);
      if (isProblem(caught) && caught.kind !== 'malformed-json') {
        const located = caught.issues.filter((i) => i.field !== undefined);
        expect(located.length).toBeGreaterThan(0);
      }
      expect(await handle.store.fingerprint()).toBe(before);
    },
  );

  const hashDir = path.join(root, 'epcis-hash');
  const vectors = readdirSync(hashDir)
    .filter((n) => n.endsWith('.jsonld'))
    .sort();
  it.each(vectors)('records %s under the expected event hashes', async (name) => {
    const expected = readFileSync(path.join(hashDir, name.replace(/\.jsonld$/, '.hashes')), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    const fresh = await freshSqlite();
    try {
      const own = new Ledger(fresh.store, { log: createMerkleLogWriter(), clock: () => 1 });
      const result = await own.capture(readFileSync(path.join(hashDir, name)), operatorActor);
      expect(result.outcomes.map((o) => o.hash)).toEqual(expected);
      for (const outcome of result.outcomes) {
        expect((await fresh.store.getEventByHash(outcome.hash))?.seq).toBe(outcome.seq);
      }
    } finally {
      await fresh.dispose();
    }
  });
});
