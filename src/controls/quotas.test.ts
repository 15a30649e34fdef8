import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeLedger } from './fake-ledger.js';
import type { Licence } from './licence-types.js';
import { applyCaptureDrawdowns, InMemoryLicenceRepository } from './licences.js';
import type { LedgerFact } from './ports.js';
import {
  checkCaptureControls,
  deriveUsage,
  monthlyFlowReport,
  monthlyReportCsv,
  nationalQuota,
  type QuotaConfig,
  quotaKey,
} from './quotas.js';
import { loadControlRules } from './rules.js';

const rules = loadControlRules();
// The table tests the strict configuration: every rule rejects unless a case says otherwise.
const quotas: QuotaConfig = {
  ...rules.quotas!,
  enforcement: { ...rules.quotas!.enforcement, unlicensedExport: 'reject' },
};
const north = 'urn:epc:id:pgln:0614141.00000';
const south = 'urn:epc:id:pgln:0614142.00000';
const northMine = 'urn:epc:id:sgln:0614141.00001.0';
const northPlant = 'urn:epc:id:sgln:0614141.00002.0';
const southPlant = 'urn:epc:id:sgln:0614142.00002.0';
const t = 1_000_000_000; // mg per tonne
const day = (d: string): number => Date.parse(`${d}T00:00:00Z`);

function fact(
  partial: Partial<LedgerFact> & Pick<LedgerFact, 'kind' | 'partyId' | 'locationId'>,
): LedgerFact {
  return {
    seq: 0,
    eventTime: day('2025-06-01'),
    lotIds: ['lot'],
    massMg: 0,
    elementMassesMg: {},
    ...partial,
  };
}

const licence: Licence = {
  id: 'LIC-EXP',
  type: 'general',
  status: 'approved',
  holderId: south,
  appliedOn: '2025-05-01',
  validFrom: '2025-05-15',
  validUntil: '2026-05-14',
  limits: {
    controlCodes: [],
    elements: ['Dy'],
    forms: [],
    destinations: ['JP'],
    endUserIds: ['party:jp'],
    endUses: [],
    quantityMg: 10 * t,
  },
  usedMg: 0,
  exportsDrawn: 0,
  version: 1,
  history: [],
};

interface Case {
  clause: string;
  asOf?: string;
  facts: LedgerFact[];
  usage?: [string, number][];
  decision: 'accept' | 'accept-with-violations' | 'reject';
  code?: string;
  config?: Partial<QuotaConfig>;
}

const nd = (tonnes: number) => ({ Nd: tonnes * t });
const cases: Case[] = [
  {
    clause: 'Order 71: mining within the rock quota',
    facts: [fact({ kind: 'mining', partyId: north, locationId: northMine, elementMassesMg: nd(1000) })],
    decision: 'accept',
  },
  {
    clause: 'Order 71 / Regs Art. 10: mining over the rock quota is rejected',
    facts: [fact({ kind: 'mining', partyId: north, locationId: northMine, elementMassesMg: nd(1000) })],
    usage: [[quotaKey(north, 2025, 'mining-rock'), 99_500 * t]],
    decision: 'reject',
    code: 'over-quota',
  },
  {
    clause: 'Regs Art. 10: quota as "violation" accepts and records',
    facts: [fact({ kind: 'mining', partyId: north, locationId: northMine, elementMassesMg: nd(1000) })],
    usage: [[quotaKey(north, 2025, 'mining-rock'), 99_500 * t]],
    decision: 'accept-with-violations',
    code: 'over-quota',
    config: { enforcement: { ...quotas.enforcement, overQuota: 'violation' } },
  },
  {
    clause: 'Regs Art. 8: mining at an undesignated mine',
    facts: [
      fact({
        kind: 'mining',
        partyId: north,
        locationId: 'urn:epc:id:sgln:elsewhere',
        elementMassesMg: nd(1),
      }),
    ],
    decision: 'reject',
    code: 'undesignated',
  },
  {
    clause: 'Regs Art. 8: a party with no quota may not separate',
    facts: [
      fact({ kind: 'separation', partyId: 'party:nobody', locationId: southPlant, elementMassesMg: nd(1) }),
    ],
    decision: 'reject',
    code: 'undesignated',
  },
  {
    clause: 'Quotas are per calendar year: no 2026 allocation',
    facts: [
      fact({
        kind: 'mining',
        partyId: north,
        locationId: northMine,
        eventTime: day('2026-01-01'),
        elementMassesMg: nd(1),
      }),
    ],
    decision: 'reject',
    code: 'undesignated',
  },
  {
    clause: 'Order 71 Art. 6: plant capacity cap (90 %) exceeded, separation quota not',
    facts: [
      fact({
        kind: 'separation',
        partyId: south,
        locationId: southPlant,
        elementMassesMg: { Dy: 100 * t, Y: 1000 * t },
      }),
    ],
    usage: [[quotaKey(south, 2025, 'plant', southPlant), 26_000 * t]],
    decision: 'accept-with-violations',
    code: 'over-capacity',
  },
  {
    clause: 'Per-element quota (Dy, separation) exceeded',
    facts: [
      fact({ kind: 'separation', partyId: south, locationId: southPlant, elementMassesMg: { Dy: 700 * t } }),
    ],
    decision: 'reject',
    code: 'over-quota',
  },
  {
    clause: 'No. 18: export of Dy from China without a licence (from 2025-04-04)',
    asOf: '2025-06-01',
    facts: [
      fact({ kind: 'export', partyId: south, locationId: southPlant, massMg: t, elementMassesMg: { Dy: t } }),
    ],
    decision: 'reject',
    code: 'unlicensed-export',
  },
  {
    clause: 'No. 18: before 2025-04-04 no licence is needed',
    asOf: '2025-04-03',
    facts: [
      fact({ kind: 'export', partyId: south, locationId: southPlant, massMg: t, elementMassesMg: { Dy: t } }),
    ],
    decision: 'accept',
  },
  {
    clause: 'No. 57 suspended: Ho export on 2025-12-01',
    asOf: '2025-12-01',
    facts: [
      fact({ kind: 'export', partyId: south, locationId: southPlant, massMg: t, elementMassesMg: { Ho: t } }),
    ],
    decision: 'accept',
  },
  {
    clause: 'No. 57 after suspension: Ho export on 2026-11-11',
    asOf: '2026-11-11',
    facts: [
      fact({ kind: 'export', partyId: south, locationId: southPlant, massMg: t, elementMassesMg: { Ho: t } }),
    ],
    decision: 'reject',
    code: 'unlicensed-export',
  },
  {
    clause: 'Art. 15: valid licence draws down',
    asOf: '2025-06-01',
    facts: [
      fact({
        kind: 'export',
        partyId: south,
        locationId: southPlant,
        massMg: t,
        elementMassesMg: { Dy: t },
        licenceId: 'LIC-EXP',
        destinationCountry: 'JP',
        counterpartyId: 'party:jp',
      }),
    ],
    decision: 'accept',
  },
  {
    clause: 'Art. 15: licence quantity exceeded within one capture',
    asOf: '2025-06-01',
    facts: [6, 6].map((n) =>
      fact({
        kind: 'export',
        partyId: south,
        locationId: southPlant,
        massMg: n * t,
        elementMassesMg: { Dy: n * t },
        licenceId: 'LIC-EXP',
        destinationCountry: 'JP',
        counterpartyId: 'party:jp',
      }),
    ),
    decision: 'reject',
    code: 'licence-not-valid',
  },
  {
    clause: 'Art. 18: destination not on the licence',
    asOf: '2025-06-01',
    facts: [
      fact({
        kind: 'export',
        partyId: south,
        locationId: southPlant,
        massMg: t,
        elementMassesMg: { Dy: t },
        licenceId: 'LIC-EXP',
        destinationCountry: 'US',
        counterpartyId: 'party:jp',
      }),
    ],
    decision: 'reject',
    code: 'licence-not-valid',
  },
  {
    clause: 'Export from outside China is not a Chinese export',
    asOf: '2025-06-01',
    facts: [
      fact({
        kind: 'export',
        partyId: south,
        locationId: 'urn:epc:id:sgln:jp-port',
        massMg: t,
        elementMassesMg: { Dy: t },
      }),
    ],
    decision: 'accept',
  },
];

describe('checkCaptureControls (table)', () => {
  it.each(cases)('$clause → $decision', ({ asOf, facts, usage, decision, code, config }) => {
    const result = checkCaptureControls({
      asOf: asOf ?? '2025-06-01',
      facts,
      usage: new Map(usage ?? []),
      quotas: { ...quotas, ...config },
      exportControls: rules.exportControls,
      licences: (id) => (id === licence.id ? licence : undefined),
      countryOf: (id) => (id.includes('jp-port') ? 'JP' : 'CN'),
    });
    expect(result.decision, JSON.stringify(result.violations)).toBe(decision);
    if (code !== undefined) expect(result.violations.map((v) => v.code)).toContain(code);
    for (const v of result.violations) expect(v.source.length).toBeGreaterThan(0);
    if (decision === 'reject') {
      // A rejection writes nothing: no usage and no draw-downs to apply.
      expect(result.usageDelta.size).toBe(0);
      expect(result.drawdowns).toHaveLength(0);
    }
  });

  it('property: with reject enforcement, accepted usage never exceeds the quota, and a rejection adds nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30_000 }), { maxLength: 20 }), (tonnes) => {
        const usage = new Map<string, number>();
        const key = quotaKey(north, 2025, 'mining-rock');
        for (const n of tonnes) {
          const r = checkCaptureControls({
            asOf: '2025-06-01',
            facts: [
              fact({ kind: 'mining', partyId: north, locationId: northMine, elementMassesMg: { La: n * t } }),
            ],
            usage,
            quotas,
          });
          if (r.decision === 'reject') expect(r.usageDelta.size).toBe(0);
          for (const [k, v] of r.usageDelta) usage.set(k, (usage.get(k) ?? 0) + v);
          expect(usage.get(key) ?? 0).toBeLessThanOrEqual(100_000 * t);
        }
      }),
    );
  });

  it('an accepted export draws its licence down; a rejected one draws nothing', async () => {
    const repo = new InMemoryLicenceRepository();
    await repo.save(licence, 0);
    // Each export is its own event: the log seq is what a draw-down is recorded under.
    let seq = 8;
    const exportFact = (massMg: number) =>
      fact({
        kind: 'export',
        partyId: south,
        locationId: southPlant,
        massMg,
        elementMassesMg: { Dy: massMg },
        licenceId: 'LIC-EXP',
        destinationCountry: 'JP',
        counterpartyId: 'party:jp',
        seq: ++seq,
      });
    const check = async (facts: LedgerFact[]) => {
      const current = await repo.get('LIC-EXP');
      const r = checkCaptureControls({
        asOf: '2025-06-01',
        facts,
        usage: new Map(),
        quotas,
        exportControls: rules.exportControls,
        licences: () => current,
        countryOf: () => 'CN',
      });
      if (r.decision !== 'reject') await applyCaptureDrawdowns(repo, facts, r.drawdowns, '2025-06-01');
      return r.decision;
    };
    expect(await check([exportFact(4 * t)])).toBe('accept');
    expect(await check([exportFact(7 * t)])).toBe('reject');
    expect((await repo.get('LIC-EXP'))?.usedMg).toBe(4 * t);
    expect(await check([exportFact(6 * t)])).toBe('accept');
    expect((await repo.get('LIC-EXP'))?.status).toBe('exhausted');
  });

  it('draws an export down once, however often its draw-downs are applied (a guard replaying its outbox)', async () => {
    const repo = new InMemoryLicenceRepository();
    await repo.save(licence, 0);
    const facts = [
      fact({
        kind: 'export',
        partyId: south,
        locationId: southPlant,
        massMg: 2 * t,
        elementMassesMg: { Dy: 2 * t },
        licenceId: 'LIC-EXP',
        destinationCountry: 'JP',
        counterpartyId: 'party:jp',
        seq: 41,
      }),
    ];
    const drawdowns = [{ licenceId: 'LIC-EXP', massMg: 2 * t, fact: 0 }];
    await applyCaptureDrawdowns(repo, facts, drawdowns, '2025-06-01');
    const once = await repo.get('LIC-EXP');
    await applyCaptureDrawdowns(repo, facts, drawdowns, '2025-06-01');
    expect(await repo.get('LIC-EXP')).toEqual(once);
    expect(once?.usedMg).toBe(2 * t);
    expect(once?.exportsDrawn).toBe(1);
    // Another export (another seq) of the same mass is drawn.
    await applyCaptureDrawdowns(repo, [{ ...facts[0]!, seq: 42 }], drawdowns, '2025-06-01');
    expect((await repo.get('LIC-EXP'))?.usedMg).toBe(4 * t);
  });

  it('rules apply from their effective dates (Order 785 from 2024-10-01)', () => {
    const f = fact({
      kind: 'mining',
      partyId: 'party:nobody',
      locationId: northMine,
      eventTime: day('2024-09-30'),
      elementMassesMg: nd(1),
    });
    expect(checkCaptureControls({ asOf: '2024-09-30', facts: [f], usage: new Map(), quotas }).decision).toBe(
      'accept',
    );
    expect(
      checkCaptureControls({
        asOf: '2024-10-01',
        facts: [{ ...f, eventTime: day('2024-10-01') }],
        usage: new Map(),
        quotas,
      }).decision,
    ).toBe('reject');
  });

  it('usage is converted to t REO with oxide factors', () => {
    const result = checkCaptureControls({
      asOf: '2025-06-01',
      facts: [
        fact({
          kind: 'mining',
          partyId: north,
          locationId: northMine,
          elementMassesMg: { Nd: t, Fe: 5 * t },
        }),
      ],
      usage: new Map(),
      quotas,
    });
    expect(result.usageDelta.get(quotaKey(north, 2025, 'mining-rock'))).toBeCloseTo(1.1664 * t);
  });
});

describe('national quotas 2018–2024 (reference)', () => {
  it.each([2018, 2019, 2020, 2021, 2022, 2023, 2024])('%i is present with a source', (year) => {
    const q = nationalQuota(quotas, year);
    expect(q?.mining).toBeGreaterThan(0);
    expect(q?.source.length).toBeGreaterThan(0);
    if (q?.rock !== undefined && q.ion !== undefined) expect(q.rock + q.ion).toBe(q.mining);
  });
  it('2024 is 270,000 t mining, 254,000 t separation (reg.md §2.4)', () => {
    expect(nationalQuota(quotas, 2024)).toMatchObject({ mining: 270_000, separation: 254_000 });
  });
});

describe('monthly flow report', () => {
  function ledger(): FakeLedger {
    const l = new FakeLedger();
    l.addParty({ id: north, name: 'Demo North', country: 'CN', roles: ['miner', 'separator'] });
    l.addFact({
      eventTime: day('2025-01-15'),
      kind: 'mining',
      partyId: north,
      locationId: northMine,
      lotIds: ['ore-1'],
      massMg: 100 * t,
      elementMassesMg: { Nd: 2 * t },
    });
    l.addFact({
      eventTime: day('2025-03-01'),
      kind: 'mining',
      partyId: north,
      locationId: northMine,
      lotIds: ['ore-2'],
      massMg: 100 * t,
      elementMassesMg: { Nd: 3 * t },
    });
    l.addFact({
      eventTime: day('2025-03-31') + 86_399_999,
      kind: 'separation',
      partyId: north,
      locationId: northPlant,
      lotIds: ['ox-1', 'ox-2'],
      massMg: 4 * t,
      elementMassesMg: { Nd: 2 * t, Pr: 0.5 * t },
    });
    l.addFact({
      eventTime: day('2025-04-01'),
      kind: 'shipping',
      partyId: north,
      locationId: northPlant,
      lotIds: ['ox-1'],
      massMg: t,
      elementMassesMg: { Nd: t },
      counterpartyId: 'party:x, "quoted"',
    });
    l.addFact({
      eventTime: day('2025-03-10'),
      kind: 'mining',
      partyId: south,
      locationId: northMine,
      lotIds: ['other'],
      massMg: t,
      elementMassesMg: { Nd: t },
    });
    return l;
  }

  it('covers the month, is due on the 10th of the next, and shows YTD quota use', async () => {
    const report = await monthlyFlowReport(ledger(), quotas, { partyId: north, month: '2025-03' });
    expect(report.from).toBe('2025-03-01');
    expect(report.to).toBe('2025-03-31');
    expect(report.dueBy).toBe('2025-04-10');
    expect(report.lines.map((l) => l.lotIds[0])).toEqual(['ore-2', 'ox-1']);
    expect(report.totals.mining?.events).toBe(1);
    const rock = report.quotas.find((q) => q.label.startsWith('mining, rock'));
    expect(rock?.usedT).toBeCloseTo(5 * 1.1664);
    const csv = monthlyReportCsv(report);
    expect(csv.split('\n')[0]).toBe(
      'enterprise,month,seq,date,kind,location,lots,counterparty,destination,mass_kg,reo_kg,Pr_kg,Nd_kg',
    );
    expect(csv.trim().split('\n')).toHaveLength(3);
  });

  it('December is due on 10 January of the next year; CSV quotes commas and quotes', async () => {
    const report = await monthlyFlowReport(ledger(), quotas, { partyId: north, month: '2025-04' });
    expect(report.dueBy).toBe('2025-05-10');
    expect(monthlyReportCsv(report)).toContain('"party:x, ""quoted"""');
    const dec = await monthlyFlowReport(ledger(), quotas, { partyId: north, month: '2025-12' });
    expect(dec.dueBy).toBe('2026-01-10');
  });

  it('refuses bad months and unknown parties', async () => {
    await expect(
      monthlyFlowReport(ledger(), quotas, { partyId: north, month: '2025-13' }),
    ).rejects.toMatchObject({ kind: 'bad-request' });
    await expect(
      monthlyFlowReport(ledger(), quotas, { partyId: north, month: '1999-01' }),
    ).rejects.toMatchObject({ kind: 'bad-request' });
    await expect(
      monthlyFlowReport(ledger(), quotas, { partyId: 'nobody', month: '2025-01' }),
    ).rejects.toMatchObject({ kind: 'unknown-party' });
  });

  it('derives yearly usage from ledger facts', async () => {
    const usage = await deriveUsage(ledger(), quotas, north, 2025);
    expect(usage.get(quotaKey(north, 2025, 'separation'))).toBeCloseTo(2 * 1.1664 * t + 0.5 * 1.2082 * t);
    expect(usage.get(quotaKey(north, 2025, 'element', 'separation:Nd'))).toBeCloseTo(2 * 1.1664 * t);
  });
});
