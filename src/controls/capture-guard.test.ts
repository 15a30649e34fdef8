import { afterEach, describe, expect, it } from 'vitest';
import {
  commission,
  document,
  dyChain,
  dyLicence,
  exportDy,
  lot,
  party,
  place,
  resetClock,
  transform,
} from '../../test/helpers/scenario.js';
import { freshSqlite } from '../../test/helpers/stores.js';
import { Problem } from '../core/errors.js';
import { generateWorld } from '../demo/index.js';
import { Ledger } from '../ledger/capture.js';
import { operatorActor } from '../ledger/decide.js';
import { createMerkleLogWriter } from '../ledger/log-service.js';
import type { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { ControlsCaptureGuard } from './capture-guard.js';
import { InMemoryLicenceRepository, type LicenceRepository, SqliteLicenceRepository } from './licences.js';
import type { Allocation, Enforcement, QuotaConfig } from './quotas.js';
import { loadControlRules } from './rules.js';
import {
  InMemoryViolationRepository,
  SqliteViolationRepository,
  type ViolationRepository,
} from './violations.js';

const rules = loadControlRules();
const base = rules.quotas as QuotaConfig;

function allocation(partial: Partial<Allocation> & Pick<Allocation, 'partyId'>): Allocation {
  return {
    name: 'test',
    year: 2025,
    source: 'test',
    mining: { rock: 0, ion: 0 },
    separation: 0,
    elements: [],
    mines: [],
    plants: [],
    ...partial,
  };
}

/** The shipped configuration with the scenario's parties given the allocations a test needs. */
function quotas(
  options: { miningT?: number; separationT?: number; enforcement?: Partial<QuotaConfig['enforcement']> } = {},
): QuotaConfig {
  const ours = new Set([party.miner, party.separator]);
  return {
    ...base,
    enforcement: { ...base.enforcement, ...options.enforcement },
    allocations: [
      ...base.allocations.filter((a) => !ours.has(a.partyId)),
      allocation({
        partyId: party.miner,
        mining: { rock: options.miningT ?? 1000, ion: 0 },
        mines: [{ locationId: place.mine, oreType: 'rock' }],
      }),
      allocation({
        partyId: party.separator,
        separation: options.separationT ?? 1000,
        plants: [{ locationId: place.separation, capacity: options.separationT ?? 1000, utilisationCap: 1 }],
      }),
    ],
  };
}

interface Setup {
  store: SqliteStore;
  guard: ControlsCaptureGuard;
  ledger: Ledger;
  licences: LicenceRepository;
  violations: ViolationRepository;
}

const disposals: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const dispose of disposals.splice(0)) await dispose();
});

let clock = Date.parse('2025-07-01T00:00:00Z');
function ledgerWith(store: SqliteStore, guard: ControlsCaptureGuard): Ledger {
  return new Ledger(store, { log: createMerkleLogWriter(), clock: () => clock++, guard });
}

async function setup(config: QuotaConfig, sqliteViolations = false): Promise<Setup> {
  resetClock();
  const handle = await freshSqlite();
  disposals.push(handle.dispose);
  const licences = new InMemoryLicenceRepository();
  const violations = sqliteViolations
    ? new SqliteViolationRepository(handle.store.db)
    : new InMemoryViolationRepository();
  const guard = new ControlsCaptureGuard({
    quotas: config,
    exportControls: rules.exportControls,
    licences,
    violations,
  });
  return { store: handle.store, guard, ledger: ledgerWith(handle.store, guard), licences, violations };
}

const capture = (ledger: Ledger, doc: Record<string, unknown>) =>
  ledger.capture(JSON.stringify(doc), operatorActor);

async function problemOf(work: Promise<unknown>): Promise<Problem> {
  try {
    await work;
  } catch (error) {
    if (error instanceof Problem) return error;
    throw error;
  }
  throw new Error('expected a Problem');
}

// 10 t concentrate: 5.158 t REO (Nd 1 t, Pr 0.3 t, Ce 2 t, La 1 t with their oxide factors).
const concentrate = { Nd: 0.1, Pr: 0.03, Ce: 0.2, La: 0.1, Fe: 0.1 };
const mine = (name: string) => commission(lot(name), 10_000, concentrate);

describe('ControlsCaptureGuard: total-quantity control', () => {
  it('rejects over-quota mining with a problem naming the event and the rule, and writes nothing', async () => {
    const s = await setup(quotas({ miningT: 8 }));
    await capture(s.ledger, document([mine('CONC-1')], { masterData: true }));
    const before = await s.store.fingerprint();
    const size = await s.store.treeSize();
    const problem = await problemOf(capture(s.ledger, document([mine('CONC-2')])));
    expect(problem.kind).toBe('rule-violation');
    expect(problem.status).toBe(422);
    expect(problem.issues[0]).toMatchObject({ eventIndex: 0, record: party.miner });
    expect(problem.issues[0]?.rule).toMatch(/^over-quota: Interim Measures/);
    expect(problem.issues[0]?.message).toMatch(/10\.3\d+ t REO would exceed 8\.000 t/);
    expect(await s.store.fingerprint()).toBe(before);
    expect(await s.store.treeSize()).toBe(size);
    await s.guard.settle(s.store);
    expect(await s.violations.list()).toEqual([]);
  });

  it('with enforcement `violation` accepts the same capture and records the violation', async () => {
    const s = await setup(quotas({ miningT: 8, enforcement: { overQuota: 'violation' } }), true);
    await capture(s.ledger, document([mine('CONC-1')], { masterData: true }));
    const result = await capture(s.ledger, document([mine('CONC-2')]));
    expect(result.recorded).toBe(1);
    expect(result.violations).toMatchObject([{ code: 'over-quota', eventIndex: 0, record: party.miner }]);
    await s.guard.settle(s.store);
    const listed = await s.violations.list({ partyId: party.miner });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ code: 'over-quota', partyId: party.miner, seq: 1 });
    expect(listed[0]?.eventHash).toMatch(/^ni:\/\/\/sha-256;/);
    // The usage kept in memory carries on from the accepted capture: a third lot is over quota too.
    const third = await capture(s.ledger, document([mine('CONC-3')]));
    expect(third.violations[0]?.message).toMatch(/15\.4\d+ t REO/);
  });

  it('rejects separation over the separation quota', async () => {
    const s = await setup(quotas({ separationT: 1 }));
    await capture(s.ledger, document([mine('CONC-1')], { masterData: true }));
    const before = await s.store.fingerprint();
    const problem = await problemOf(
      capture(
        s.ledger,
        document([
          transform(
            [{ id: lot('CONC-1'), kg: 10_000 }],
            [{ id: lot('NDPR-1'), kg: 1_500, form: 'separated-oxide', composition: { Nd: 0.64, Pr: 0.2 } }],
            { lossKg: 8_500 },
          ),
        ]),
      ),
    );
    expect(problem.kind).toBe('rule-violation');
    expect(problem.issues.map((i) => i.rule?.split(':')[0])).toContain('over-quota');
    expect(problem.issues[0]).toMatchObject({ eventIndex: 0, record: party.separator });
    expect(await s.store.fingerprint()).toBe(before);
  });

  it('keeps usage right across two ledgers on one store (another writer moves the log)', async () => {
    const config = quotas({ miningT: 12 });
    const a = await setup(config);
    const guardB = new ControlsCaptureGuard({
      quotas: config,
      exportControls: rules.exportControls,
      licences: a.licences,
      violations: a.violations,
    });
    const ledgerB = ledgerWith(a.store, guardB);
    await capture(a.ledger, document([mine('CONC-1')], { masterData: true })); // A: 5.2 t
    await capture(ledgerB, document([mine('CONC-2')])); // B derives 5.2 t from the store: 10.3 t
    // A's cached 5.2 t is stale: it must see B's lot and refuse the third (15.5 t > 12 t).
    const problem = await problemOf(capture(a.ledger, document([mine('CONC-3')])));
    expect(problem.issues[0]?.message).toMatch(/15\.4\d+ t REO would exceed 12\.000 t/);
  });
});

const licence = dyLicence;

describe('ControlsCaptureGuard: export licences', () => {
  it.each<[Enforcement, 'accepted' | 'rejected']>([
    ['violation', 'accepted'],
    ['reject', 'rejected'],
  ])('a Dy oxide export from China with no licence, enforcement %s → %s', async (enforcement, outcome) => {
    const s = await setup(quotas({ enforcement: { unlicensedExport: enforcement } }));
    for (const doc of dyChain()) await capture(s.ledger, doc);
    const before = await s.store.fingerprint();
    if (outcome === 'rejected') {
      const problem = await problemOf(capture(s.ledger, exportDy()));
      expect(problem.issues[0]).toMatchObject({ eventIndex: 0, record: lot('DYOX') });
      expect(problem.issues[0]?.rule).toMatch(/^unlicensed-export: Export Control Law Art\. 34/);
      expect(await s.store.fingerprint()).toBe(before);
    } else {
      const result = await capture(s.ledger, exportDy());
      expect(result.recorded).toBe(1);
      expect(result.violations).toMatchObject([{ code: 'unlicensed-export', record: lot('DYOX') }]);
      await s.guard.settle(s.store);
      expect(await s.violations.list({ code: 'unlicensed-export' })).toMatchObject([
        { partyId: party.separator, record: lot('DYOX'), message: 'export of controlled Dy with no licence' },
      ]);
    }
  });

  it('reads a buyer registered in the export document itself as foreign: the export is not taken for domestic', async () => {
    const s = await setup(quotas({ enforcement: { unlicensedExport: 'reject' } }));
    for (const doc of dyChain()) await capture(s.ledger, doc);
    const buyer = 'https://id.gs1.org/417/4512345000099';
    const doc = exportDy() as { epcisBody: { eventList: Record<string, unknown>[] } } & Record<
      string,
      unknown
    >;
    const event = doc.epcisBody.eventList[0] as Record<string, unknown>;
    event.destinationList = [{ type: 'owning_party', destination: buyer }];
    doc.epcisHeader = {
      epcisMasterData: {
        vocabularyList: [
          {
            type: 'urn:epcglobal:epcis:vtype:Party',
            vocabularyElementList: [
              {
                id: buyer,
                attributes: [
                  { id: 'ree:name', attribute: 'New Buyer GmbH' },
                  { id: 'ree:country', attribute: 'DE' },
                  { id: 'ree:roles', attribute: 'magnet-maker' },
                ],
              },
            ],
          },
        ],
      },
    };
    expect(await s.store.getParty(buyer)).toBeUndefined();
    const before = await s.store.fingerprint();
    const problem = await problemOf(capture(s.ledger, doc));
    expect(problem.issues[0]).toMatchObject({ eventIndex: 0, record: lot('DYOX') });
    expect(problem.issues[0]?.rule).toMatch(/^unlicensed-export/);
    expect(await s.store.fingerprint()).toBe(before);
  });

  it('the shipped configuration records an unlicensed Dy export as a violation (not a refusal)', () => {
    expect(base.enforcement.unlicensedExport).toBe('violation');
  });

  it('an export with a valid licence is accepted and draws the licence down', async () => {
    const s = await setup(quotas({ enforcement: { unlicensedExport: 'reject' } }));
    await s.licences.save(licence, 0);
    for (const doc of dyChain()) await capture(s.ledger, doc);
    const result = await capture(s.ledger, exportDy(licence.id));
    expect(result.violations).toEqual([]);
    await s.guard.settle(s.store);
    const drawn = await s.licences.get(licence.id);
    expect(drawn).toMatchObject({ usedMg: 50_000_000, exportsDrawn: 1, status: 'approved' });
    expect(drawn?.history.at(-1)).toMatchObject({ action: 'draw-down', seq: 2, massMg: 50_000_000 });
  });

  it('afterAppend records once, however often it is called', async () => {
    const s = await setup(quotas());
    await s.licences.save(licence, 0);
    for (const doc of dyChain()) await capture(s.ledger, doc);
    const result = await capture(s.ledger, exportDy(licence.id));
    expect(result.recorded).toBe(1);
    await s.guard.settle(s.store);
    await s.guard.settle(s.store);
    expect((await s.licences.get(licence.id))?.exportsDrawn).toBe(1);
  });
});

describe('ControlsCaptureGuard: the demo world', () => {
  it('accepts a generated world in full under the shipped configuration, recording unlicensed exports', async () => {
    const s = await setup(base, true);
    let recorded = 0;
    const codes = new Set<string>();
    for (const doc of generateWorld({ events: 20_000, seed: 'guard' })) {
      const result = await capture(s.ledger, doc as unknown as Record<string, unknown>);
      recorded += result.recorded;
      for (const v of result.violations) codes.add(v.code);
    }
    expect(recorded).toBe(20_000);
    expect([...codes]).toEqual(['unlicensed-export']);
    await s.guard.settle(s.store);
    expect((await s.violations.list({ code: 'unlicensed-export' })).length).toBeGreaterThan(0);
  }, 60_000);
});

describe('ControlsCaptureGuard in a batch (bulk import, group commit)', () => {
  it('refuses, records and draws down exactly as capturing one document at a time', async () => {
    const config = quotas({ miningT: 12 });
    const docs = [
      document([mine('CONC-1')], { masterData: true }),
      document([mine('CONC-2')]),
      // 15.5 t REO > 12 t: refused, although the first two are not appended yet when it is reviewed.
      document([mine('CONC-3')]),
      ...dyChain(),
      exportDy(licence.id),
      exportDy(),
    ].map((d) => JSON.stringify(d));
    const one = await setup(config, true);
    const many = await setup(config, true);
    await one.licences.save(licence, 0);
    await many.licences.save(licence, 0);
    // Each ledger with its own clock from the same start, so that record times match.
    const withClock = (x: Setup): Ledger => {
      let t = Date.parse('2025-07-01T00:00:00Z');
      return new Ledger(x.store, { log: createMerkleLogWriter(), clock: () => t++, guard: x.guard });
    };
    const ledgerOne = withClock(one);
    const ledgerMany = withClock(many);
    const expected: unknown[] = [];
    for (const body of docs) {
      try {
        const r = await ledgerOne.capture(body, operatorActor);
        expected.push({ recorded: r.recorded, violations: r.violations.map((v) => v.code) });
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        expected.push(error.issues.map((i) => i.rule));
      }
    }
    const batched = await ledgerMany.captureBatch(
      docs.map((body) => ({ body })),
      operatorActor,
    );
    expect(
      batched.map((r) =>
        r instanceof Problem
          ? r.issues.map((i) => i.rule)
          : { recorded: r.recorded, violations: r.violations.map((v) => v.code) },
      ),
    ).toEqual(expected);
    expect(batched[2]).toBeInstanceOf(Problem);
    const strip = (list: { id?: unknown }[]) => list.map(({ id: _, ...rest }) => rest);
    expect(strip(await many.violations.list({}))).toEqual(strip(await one.violations.list({})));
    expect((await many.licences.get(licence.id))?.exportsDrawn).toBe(1);
    expect((await many.licences.get(licence.id))?.usedMg).toBe((await one.licences.get(licence.id))?.usedMg);
    expect(await many.store.fingerprint()).toBe(await one.store.fingerprint());
    expect(await many.store.guardOutbox()).toEqual([]);
  });
});

describe('ControlsCaptureGuard: the outbox (records committed with the capture, written after it)', () => {
  /** A violation repository that fails every write, as a crash after the append would leave things. */
  const failing = (): ViolationRepository => ({
    add: async () => {
      throw new Error('simulated failure after the append');
    },
    list: async () => [],
  });

  /**
   * The first guard's records fail to be written; a second guard (after a restart) recovers them. Then the
   * entry is put back, as a crash between writing the records and clearing the entry would leave it, and
   * recovered again.
   */
  async function crashThenRecoverTwice(withLicence: boolean) {
    resetClock();
    const handle = await freshSqlite();
    disposals.push(handle.dispose);
    const store = handle.store;
    const licences = new SqliteLicenceRepository(store.db);
    if (withLicence) await licences.save(licence, 0);
    const options = { quotas: quotas(), exportControls: rules.exportControls, licences };
    const first = new ControlsCaptureGuard({ ...options, violations: failing() });
    const ledger = ledgerWith(store, first);
    for (const doc of dyChain()) await capture(ledger, doc);
    const result = await capture(ledger, withLicence ? exportDy(licence.id) : exportDy());
    // The events are recorded; writing the findings failed, and the capture says so.
    expect(result.recorded).toBe(1);
    expect(result.warnings.map((w) => w.rule)).toContain('controls:record');
    const exportSeq = result.outcomes[0]?.seq;
    const entries = await store.guardOutbox();
    expect(entries.map((e) => e.seq)).toEqual([exportSeq]);

    const violations = new SqliteViolationRepository(store.db);
    const second = new ControlsCaptureGuard({ ...options, violations });
    await second.recover(store);
    expect(await store.guardOutbox()).toEqual([]);
    const once = { violations: await violations.list({}), licence: await licences.get(licence.id) };
    const put = store.db.prepare('INSERT INTO guard_outbox (seq, record) VALUES (?, ?)');
    for (const e of entries) put.run(e.seq, e.record);
    await new ControlsCaptureGuard({ ...options, violations }).recover(store);
    expect(await store.guardOutbox()).toEqual([]);
    expect(await violations.list({})).toEqual(once.violations);
    expect(await licences.get(licence.id)).toEqual(once.licence);
    return { ...once, exportSeq };
  }

  it("writes an unlicensed export's violation after a restart, once", async () => {
    const r = await crashThenRecoverTwice(false);
    expect(r.violations).toMatchObject([
      { code: 'unlicensed-export', seq: r.exportSeq, record: lot('DYOX'), partyId: party.separator },
    ]);
  });

  it('draws a licence down once, though the crash came after the draw-down', async () => {
    const r = await crashThenRecoverTwice(true);
    expect(r.licence).toMatchObject({ usedMg: 50_000_000, exportsDrawn: 1 });
    expect(r.violations).toEqual([]);
  });

  it('commits nothing to the outbox for a refused document', async () => {
    const s = await setup(quotas({ enforcement: { unlicensedExport: 'reject' } }));
    for (const doc of dyChain()) await capture(s.ledger, doc);
    await problemOf(capture(s.ledger, exportDy()));
    expect(await s.store.guardOutbox()).toEqual([]);
  });
});
