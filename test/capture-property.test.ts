import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProblem } from '../src/core/errors.js';
import { limits } from '../src/core/limits.js';
import { Ledger } from '../src/ledger/capture.js';
import { type Actor, operatorActor } from '../src/ledger/decide.js';
import { createMerkleLogWriter } from '../src/ledger/log-service.js';
import { document, lot, party, receive, ship, standardChain, transform } from './helpers/scenario.js';
import { freshSqlite } from './helpers/stores.js';

/**
 * Bad input leaves nothing behind: random corruptions of a valid document are each refused with a problem
 * detail naming what is wrong, and the SQLite files are byte-for-byte what they were before.
 */
type Json = Record<string, unknown>;
type Corruption = { name: string; apply: (doc: Json) => string; actor?: Actor };

const clone = (value: Json): Json => structuredClone(value);
const events = (doc: Json): Json[] => (doc.epcisBody as { eventList: Json[] }).eventList;

function validDocument(): Json {
  return document([
    transform(
      [{ id: lot('CONC-1'), kg: 4_000 }],
      [{ id: lot('NDPR-P'), kg: 600, form: 'separated-oxide', composition: { Nd: 0.64, Pr: 0.2 } }],
      { lossKg: 3_400 },
    ),
    ship(lot('NDPR-P'), party.separator, party.magnetMaker),
    receive(lot('NDPR-P'), 'urn:epc:id:sgln:4901234.00003.0'),
  ]);
}

const requiredFields = ['type', 'eventTime', 'eventTimeZoneOffset'];

function corruptions(index: number, field: string, factor: number, cut: number): Corruption[] {
  return [
    {
      name: `delete ${field} of event ${index}`,
      apply: (doc) => {
        delete events(doc)[index]![field];
        return JSON.stringify(doc);
      },
    },
    {
      name: `wrong type for ${field} of event ${index}`,
      apply: (doc) => {
        events(doc)[index]![field] = 12345;
        return JSON.stringify(doc);
      },
    },
    {
      name: 'quantity as text',
      apply: (doc) => {
        (events(doc)[0]!.inputQuantityList as Json[])[0]!.quantity = 'four thousand';
        return JSON.stringify(doc);
      },
    },
    {
      name: `outputs scaled by ${factor} (mass balance)`,
      apply: (doc) => {
        (events(doc)[0]!.outputQuantityList as Json[])[0]!.quantity = 600 * factor;
        return JSON.stringify(doc);
      },
    },
    {
      name: `inputs scaled by ${factor} (over-consumption)`,
      apply: (doc) => {
        const list = events(doc)[0]!.inputQuantityList as Json[];
        list[0]!.quantity = 10_000 * factor;
        return JSON.stringify(doc);
      },
    },
    {
      name: 'non-standard bizStep',
      apply: (doc) => {
        events(doc)[index]!.bizStep = 'teleporting';
        return JSON.stringify(doc);
      },
    },
    {
      name: 'unknown input lot',
      apply: (doc) => {
        (events(doc)[0]!.inputQuantityList as Json[])[0]!.epcClass = lot(`GHOST-${factor}`);
        return JSON.stringify(doc);
      },
    },
    { name: `truncated at ${cut}`, apply: (doc) => JSON.stringify(doc).slice(0, cut) },
    {
      name: 'captured by a party that does not hold the lot',
      apply: (doc) => JSON.stringify(doc),
      actor: { role: 'party', partyId: party.magnetMaker },
    },
    {
      name: 'unknown element in composition',
      apply: (doc) => {
        const ilmd = events(doc)[0]!.ilmd as { 'ree:lots': Json[] };
        ilmd['ree:lots'][0]!.composition = { Xx: 0.5 };
        return JSON.stringify(doc);
      },
    },
  ];
}

describe('random corruptions of a valid document', () => {
  let handle: Awaited<ReturnType<typeof freshSqlite>>;
  let ledger: Ledger;

  const fileBytes = (): string =>
    [handle.path, `${handle.path}-wal`]
      .map((file) => (existsSync(file) ? readFileSync(file).toString('base64') : ''))
      .join('|');

  beforeAll(async () => {
    handle = await freshSqlite();
    let clock = 1_760_000_000_000;
    ledger = new Ledger(handle.store, { log: createMerkleLogWriter(), clock: () => clock++ });
    for (const doc of standardChain().slice(0, 2)) await ledger.capture(JSON.stringify(doc), operatorActor);
  });
  afterAll(async () => handle.dispose());

  it('the uncorrupted document is valid (so the corruptions are what is refused)', async () => {
    const other = await freshSqlite();
    let clock = 1;
    const fresh = new Ledger(other.store, { log: createMerkleLogWriter(), clock: () => clock++ });
    for (const doc of standardChain().slice(0, 2)) await fresh.capture(JSON.stringify(doc), operatorActor);
    const result = await fresh.capture(JSON.stringify(validDocument()), operatorActor);
    expect(result.recorded).toBe(3);
    await other.dispose();
  });

  it('each is refused with a problem that names the rule, and the store files do not change', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom(...requiredFields),
        fc.integer({ min: 2, max: 50 }),
        fc.integer({ min: 1, max: 400 }),
        fc.nat(),
        async (index, field, factor, cut, pick) => {
          const options = corruptions(index, field, factor, cut);
          const corruption = options[pick % options.length]!;
          const before = fileBytes();
          const fingerprint = await handle.store.fingerprint();
          let caught: unknown;
          try {
            await ledger.capture(corruption.apply(clone(validDocument())), corruption.actor ?? operatorActor);
          } catch (error) {
            caught = error;
          }
          expect(isProblem(caught), corruption.name).toBe(true);
          if (isProblem(caught)) {
            const body = caught.toJSON();
            expect(body.type).toMatch(/^https:\/\/raretrace\.dev\/problems\//);
            expect(body.detail.length).toBeGreaterThan(0);
            if (caught.kind !== 'malformed-json') {
              expect(caught.issues.length, corruption.name).toBeGreaterThan(0);
              expect(caught.issues.some((i) => i.rule !== undefined || i.field !== undefined)).toBe(true);
            }
          }
          expect(fileBytes()).toBe(before);
          expect(await handle.store.fingerprint()).toBe(fingerprint);
        },
      ),
      { numRuns: 150, seed: 20261125 },
    );
  });

  it('refuses an oversized document before parsing it, naming the limit', async () => {
    const before = fileBytes();
    const huge = `{"padding":"${'x'.repeat(limits.maxDocumentBytes)}"}`;
    let caught: unknown;
    try {
      await ledger.capture(huge, operatorActor);
    } catch (error) {
      caught = error;
    }
    expect(isProblem(caught) && caught.kind === 'document-too-large').toBe(true);
    expect(fileBytes()).toBe(before);
  });
});
