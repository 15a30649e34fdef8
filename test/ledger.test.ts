import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProblem, type Problem } from '../src/core/errors.js';
import { Ledger } from '../src/ledger/capture.js';
import { type Actor, operatorActor } from '../src/ledger/decide.js';
import { everyLot, originSummary, traceLot } from '../src/ledger/genealogy.js';
import { createMerkleLogWriter } from '../src/ledger/log-service.js';
import {
  commission,
  document,
  lot,
  party,
  place,
  receive,
  resetClock,
  ship,
  standardChain,
  transform,
} from './helpers/scenario.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

const actorFor = (partyId: string): Actor => ({ role: 'party', partyId });

async function rejection(promise: Promise<unknown>): Promise<Problem> {
  try {
    await promise;
  } catch (error) {
    if (isProblem(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

for (const kind of storeKinds) {
  describe(`capture on ${kind.name}`, async () => {
    const available = await kind.available();
    let handle: TestStore;
    let ledger: Ledger;
    let clock = 1_750_000_000_000;

    beforeEach(async (context) => {
      if (!available) context.skip();
      handle = await kind.open();
      ledger = new Ledger(handle.store, { log: createMerkleLogWriter(), clock: () => clock++ });
      resetClock();
    });
    afterEach(async () => {
      if (available) await handle.dispose();
    });

    const captureAll = async (docs: object[], actor: Actor = operatorActor) => {
      for (const doc of docs) await ledger.capture(JSON.stringify(doc), actor);
    };

    it('records a mine-to-oxide chain with custody, consumption, genealogy and origin', async () => {
      await captureAll(standardChain());
      const store = handle.store;
      expect(await store.treeSize()).toBe(4);
      const conc = await store.getLot(lot('CONC-1'));
      expect(conc?.status).toBe('consumed');
      expect(conc?.remainingMg).toBe(0);
      expect(conc?.holderId).toBe(party.separator);
      const oxide = await store.getLot(lot('NDPR-1'));
      expect(oxide).toMatchObject({
        form: 'separated-oxide',
        massMg: 1_500_000_000,
        holderId: party.separator,
        locationId: place.separation,
      });
      const origin = originSummary(oxide!);
      expect(origin.rareEarths.miningByMass).toEqual({ CN: 1 });
      expect(origin.rareEarths.separationByMass).toEqual({ CN: 1 });
      const trace = await traceLot(store, oxide!, 'upstream', everyLot);
      expect(trace.nodes.map((n) => n.id)).toEqual([lot('NDPR-1'), lot('CONC-1')]);
      const down = await traceLot(store, conc!, 'downstream', everyLot);
      expect(down.nodes.map((n) => n.id).sort()).toEqual(
        [lot('CONC-1'), lot('LACE-1'), lot('NDPR-1')].sort(),
      );
      expect((await store.custodyOf(lot('CONC-1'))).map((c) => c.partyId)).toEqual([
        party.miner,
        party.separator,
      ]);
      expect((await store.track(lot('CONC-1'))).map((p) => [p.lat, p.lon])).toEqual([[31.2304, 121.4737]]);
    });

    it('records an event with the same hash once and names the existing record', async () => {
      const [first] = standardChain();
      const a = await ledger.capture(JSON.stringify(first), operatorActor);
      const b = await ledger.capture(JSON.stringify(first), operatorActor);
      expect(a.recorded).toBe(1);
      expect(b.recorded).toBe(0);
      expect(b.duplicates).toBe(1);
      expect(b.outcomes[0]).toMatchObject({
        status: 'duplicate',
        seq: a.outcomes[0]?.seq,
        hash: a.outcomes[0]?.hash,
      });
      expect(await handle.store.treeSize()).toBe(1);
    });

    it('refuses a transformation that creates an element, naming the element, and writes nothing', async () => {
      const docs = standardChain();
      await captureAll(docs.slice(0, 2));
      const before = await handle.store.fingerprint();
      const bad = document([
        transform(
          [{ id: lot('CONC-1'), kg: 10_000 }],
          [{ id: lot('NDPR-X'), kg: 2_000, form: 'separated-oxide', composition: { Nd: 0.9 } }],
          { lossKg: 8_000 },
        ),
      ]);
      const problem = await rejection(ledger.capture(JSON.stringify(bad), operatorActor));
      expect(problem.kind).toBe('mass-balance');
      expect(problem.issues[0]).toMatchObject({
        eventIndex: 0,
        rule: 'mass-balance:Nd',
        field: '/epcisBody/eventList/0/outputQuantityList',
      });
      expect(await handle.store.fingerprint()).toBe(before);
    });

    it('counts a per-element declared loss against the inputs', async () => {
      await captureAll(standardChain().slice(0, 2));
      // 1,000 kg of Nd in; 900 kg out is fine, but not if 200 kg of Nd are also declared lost.
      const bad = document([
        transform(
          [{ id: lot('CONC-1'), kg: 10_000 }],
          [{ id: lot('ND-X'), kg: 1_000, form: 'separated-oxide', composition: { Nd: 0.9 } }],
        ),
      ]);
      const event = (bad.epcisBody as { eventList: Record<string, unknown>[] }).eventList[0]!;
      event['ree:declaredLoss'] = { elements: { Nd: { quantity: 200, uom: 'KGM' } } };
      const problem = await rejection(ledger.capture(JSON.stringify(bad), operatorActor));
      expect(problem.issues.map((i) => i.rule)).toEqual(['mass-balance:Nd']);
      event['ree:declaredLoss'] = { elements: { Nd: { quantity: 100, uom: 'KGM' } } };
      expect((await ledger.capture(JSON.stringify(bad), operatorActor)).recorded).toBe(1);
    });

    it('accepts an undeclared loss with a warning', async () => {
      await captureAll(standardChain().slice(0, 2));
      const lossy = document([
        transform(
          [{ id: lot('CONC-1'), kg: 10_000 }],
          [{ id: lot('NDPR-2'), kg: 1_000, form: 'separated-oxide', composition: { Nd: 0.6 } }],
        ),
      ]);
      const result = await ledger.capture(JSON.stringify(lossy), operatorActor);
      expect(result.recorded).toBe(1);
      expect(result.warnings[0]?.rule).toBe('mass-balance-undeclared-loss:total');
    });

    it('refuses over-consumption of a lot', async () => {
      await captureAll(standardChain().slice(0, 2));
      const before = await handle.store.fingerprint();
      const bad = document([
        transform(
          [{ id: lot('CONC-1'), kg: 10_001 }],
          [{ id: lot('NDPR-X'), kg: 100, form: 'separated-oxide', composition: { Nd: 0.6 } }],
          { lossKg: 9_901 },
        ),
      ]);
      const problem = await rejection(ledger.capture(JSON.stringify(bad), operatorActor));
      expect(problem.kind).toBe('over-consumption');
      expect(problem.issues[0]).toMatchObject({
        record: lot('CONC-1'),
        field: '/epcisBody/eventList/0/inputQuantityList/0/quantity',
      });
      expect(await handle.store.fingerprint()).toBe(before);
    });

    it("refuses a party's event on someone else's lot", async () => {
      await captureAll(standardChain().slice(0, 1));
      const before = await handle.store.fingerprint();
      const problem = await rejection(
        ledger.capture(
          JSON.stringify(document([ship(lot('CONC-1'), party.miner, party.magnetMaker)])),
          actorFor(party.magnetMaker),
        ),
      );
      expect(problem.kind).toBe('not-custodian');
      expect(problem.issues[0]?.record).toBe(lot('CONC-1'));
      expect(await handle.store.fingerprint()).toBe(before);
      // The holder may ship it; the receiver may receive it at its own place.
      await ledger.capture(
        JSON.stringify(document([ship(lot('CONC-1'), party.miner, party.magnetMaker)])),
        actorFor(party.miner),
      );
      const wrongReceiver = await rejection(
        ledger.capture(
          JSON.stringify(document([receive(lot('CONC-1'), place.separation)])),
          actorFor(party.separator),
        ),
      );
      expect(wrongReceiver.kind).toBe('not-custodian');
      await ledger.capture(
        JSON.stringify(document([receive(lot('CONC-1'), place.magnets)])),
        actorFor(party.magnetMaker),
      );
      expect((await handle.store.getLot(lot('CONC-1')))?.holderId).toBe(party.magnetMaker);
    });

    it('refuses a party receiving a lot another party holds at rest', async () => {
      await captureAll(standardChain().slice(0, 1));
      const before = await handle.store.fingerprint();
      const problem = await rejection(
        ledger.capture(
          JSON.stringify(document([receive(lot('CONC-1'), place.magnets)])),
          actorFor(party.magnetMaker),
        ),
      );
      expect(problem.kind).toBe('not-custodian');
      expect(problem.issues[0]).toMatchObject({ rule: 'access:receiver', record: lot('CONC-1') });
      expect(await handle.store.fingerprint()).toBe(before);
    });

    it('rejects a whole document when one event fails (rollback mode)', async () => {
      await captureAll(standardChain().slice(0, 1));
      const before = await handle.store.fingerprint();
      const size = await handle.store.treeSize();
      const doc = document([
        commission(lot('CONC-2'), 100, { Nd: 0.1 }),
        transform(
          [{ id: lot('NOPE'), kg: 1 }],
          [{ id: lot('X'), kg: 1, form: 'metal', composition: { Nd: 1 } }],
        ),
      ]);
      const problem = await rejection(ledger.capture(JSON.stringify(doc), operatorActor));
      expect(problem.kind).toBe('unknown-lot');
      expect(problem.issues[0]).toMatchObject({ eventIndex: 1, record: lot('NOPE') });
      expect(await handle.store.treeSize()).toBe(size);
      expect(await handle.store.getLot(lot('CONC-2'))).toBeUndefined();
      expect(await handle.store.fingerprint()).toBe(before);
    });

    it('blends origin by mass and by value across inputs from different countries', async () => {
      await captureAll([standardChain()[0]!]);
      // Material entering at the separator from outside, with a declared Australian origin, separated in MY.
      const imported = commission(
        lot('CONC-AU'),
        10_000,
        { Nd: 0.1, Pr: 0.03 },
        { value: '150000.00', at: place.separation },
      );
      (imported.ilmd as { 'ree:lots': Record<string, unknown>[] })['ree:lots'][0]!.origin = {
        mining: 'AU',
        separation: 'none',
      };
      await captureAll([
        document([imported]),
        document([
          ship(lot('CONC-1'), party.miner, party.separator),
          receive(lot('CONC-1'), place.separation),
        ]),
      ]);
      await captureAll([
        document([
          transform(
            [
              { id: lot('CONC-1'), kg: 10_000 },
              { id: lot('CONC-AU'), kg: 10_000 },
            ],
            [
              {
                id: lot('NDPR-MIX'),
                kg: 2_600,
                form: 'separated-oxide',
                composition: { Nd: 0.7692, Pr: 0.2307 },
              },
            ],
            { lossKg: 17_400 },
          ),
        ]),
      ]);
      const mixed = await handle.store.getLot(lot('NDPR-MIX'));
      const nd = mixed!.origin.Nd!;
      expect(nd.miningByMass.CN).toBeCloseTo(0.5, 9);
      expect(nd.miningByMass.AU).toBeCloseTo(0.5, 9);
      expect(nd.separationByMass).toEqual({ CN: 1 });
      // Value: CN concentrate $50,000 over 5,300 kg of named elements; AU $150,000 over 1,300 kg.
      const cnNdValue = 50_000_00 * 0.1;
      const auNdValue = 150_000_00 * 0.1;
      expect(nd.miningByValue.AU).toBeCloseTo(auNdValue / (auNdValue + cnNdValue), 9);
      expect(mixed!.valueCents).toBe(Math.round(50_000_00 * 0.13 + 150_000_00 * 0.13));
    });

    it('converts units exactly and refuses quantities that are not whole milligrams', async () => {
      await captureAll([document([commission(lot('G'), 1, { Nd: 0.5 })], { masterData: true })]);
      const grams = commission(lot('G2'), 1, { Nd: 0.5 });
      (grams.quantityList as { quantity: number; uom: string }[])[0] = {
        epcClass: lot('G2'),
        quantity: 1.5,
        uom: 'GRM',
      } as never;
      await captureAll([document([grams])]);
      expect((await handle.store.getLot(lot('G2')))?.massMg).toBe(1_500);
      const tiny = commission(lot('G3'), 1, { Nd: 0.5 });
      (tiny.quantityList as unknown[])[0] = { epcClass: lot('G3'), quantity: 0.0001, uom: 'GRM' };
      const problem = await rejection(ledger.capture(JSON.stringify(document([tiny])), operatorActor));
      expect(problem.kind).toBe('quantity-out-of-range');
      expect(problem.issues[0]?.field).toBe('/epcisBody/eventList/0/quantityList/0/quantity');
      const tonnes = commission(lot('T'), 1, { Nd: 0.5 });
      (tonnes.quantityList as unknown[])[0] = { epcClass: lot('T'), quantity: 2.5, uom: 'TNE' };
      await captureAll([document([tonnes])]);
      expect((await handle.store.getLot(lot('T')))?.massMg).toBe(2_500_000_000);
    });

    it('sees changes made by another writer on the same store (no stale lot cache)', async () => {
      const other = new Ledger(handle.store, { log: createMerkleLogWriter(), clock: () => clock++ });
      await captureAll(standardChain().slice(0, 1));
      // The other writer ships the concentrate; this ledger must then refuse to transform it in place.
      await other.capture(
        JSON.stringify(document([ship(lot('CONC-1'), party.miner, party.separator)])),
        operatorActor,
      );
      const problem = await rejection(
        ledger.capture(
          JSON.stringify(
            document([
              transform(
                [{ id: lot('CONC-1'), kg: 10 }],
                [{ id: lot('X-1'), kg: 1, form: 'separated-oxide', composition: { Nd: 0.5 } }],
                { at: place.mine },
              ),
            ]),
          ),
          operatorActor,
        ),
      );
      expect(problem.kind).toBe('not-custodian');
      expect(problem.issues[0]?.rule).toBe('ree:custody');
    });

    it('two writers on one store both succeed: a stale decision is decided again, the log never forks', async () => {
      const other = new Ledger(handle.store, { log: createMerkleLogWriter(), clock: () => clock++ });
      await captureAll(standardChain().slice(0, 1));
      const mine = Array.from({ length: 6 }, (_, i) =>
        document([commission(lot(`A-${i}`), 10, { Nd: 0.3 })]),
      );
      const theirs = Array.from({ length: 6 }, (_, i) =>
        document([commission(lot(`B-${i}`), 10, { Nd: 0.3 })]),
      );
      await Promise.all([
        (async () => {
          for (const doc of mine) await ledger.capture(JSON.stringify(doc), operatorActor);
        })(),
        (async () => {
          for (const doc of theirs) await other.capture(JSON.stringify(doc), operatorActor);
        })(),
      ]);
      expect(await handle.store.treeSize()).toBe(13);
      const seqs = (await handle.store.scanEvents(0, 100)).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: 13 }, (_, i) => i));
    });

    it('stores plain EPCIS events (no extension, no known lot) losslessly', async () => {
      const plain = {
        type: 'ObjectEvent',
        eventTime: '2025-01-01T10:00:00.000Z',
        eventTimeZoneOffset: '+01:00',
        action: 'OBSERVE',
        epcList: ['urn:epc:id:sgtin:0614141.107346.2018'],
        bizStep: 'inspecting',
        'example:custom': { nested: [1, 2, { deep: true }] },
      };
      const doc = {
        ...document([plain]),
        '@context': [
          'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
          { example: 'https://example.com/ns#' },
        ],
      };
      const result = await ledger.capture(JSON.stringify(doc), operatorActor);
      const stored = await handle.store.getEvent(result.outcomes[0]!.seq);
      expect(JSON.parse(stored!.json)).toEqual(plain);
      const found = await handle.store.queryEvents({
        identifierMatches: [{ ids: ['urn:epc:id:sgtin:0614141.107346.*'], roles: ['e'] }],
        limit: 10,
      });
      expect(found.map((e) => e.hash)).toEqual([result.outcomes[0]!.hash]);
    });
  });
}
