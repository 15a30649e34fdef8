import { describe, expect, it } from 'vitest';
import { assessCrma, checkCrma, checkDfars, type DfarsResult } from './compliance.js';
import { buildMagnetChain, FakeLedger } from './fake-ledger.js';
import { loadControlRules } from './rules.js';

const rules = loadControlRules();
const importer = rules.importer!;

function world(): FakeLedger {
  const l = new FakeLedger();
  buildMagnetChain(l, 'cnup', { mine: 'CN', separation: 'CN', metal: 'CN', magnet: 'JP', motor: 'DE' });
  buildMagnetChain(l, 'free', { mine: 'AU', separation: 'MY', metal: 'JP', magnet: 'JP', motor: 'DE' });
  buildMagnetChain(l, 'cnmag', { mine: 'AU', separation: 'MY', metal: 'JP', magnet: 'CN', motor: 'US' });
  buildMagnetChain(l, 'cnmotor', { mine: 'AU', separation: 'MY', metal: 'JP', magnet: 'JP', motor: 'CN' });
  buildMagnetChain(l, 'ruref', { mine: 'AU', separation: 'MY', metal: 'RU', magnet: 'JP', motor: 'US' });
  buildMagnetChain(l, 'unk', { mine: 'AU', separation: 'MY', metal: 'XX', magnet: 'JP', motor: 'US' });
  l.commission({
    id: 'iron-only',
    form: 'feedstock-other',
    massMg: 1000,
    composition: { Fe: 1 },
    locationId: 'urn:epc:id:sgln:free.plant.JP',
    partyId: 'party:JP',
  });
  l.addParty({ id: 'party:eu-buyer', name: 'EU buyer', country: 'DE', roles: ['manufacturer'] });
  return l;
}

interface Case {
  clause: string;
  lotId: string;
  asOf: string;
  cots?: boolean;
  status: DfarsResult['status'];
  stage?: string;
}

const cases: Case[] = [
  {
    clause: '7052(b) upstream China only, before 2027',
    lotId: 'cnup:motor',
    asOf: '2026-12-31',
    status: 'compliant',
  },
  {
    clause: '7052 from 2027-01-01: mined/separated/refined in CN',
    lotId: 'cnup:motor',
    asOf: '2027-01-01',
    status: 'non-compliant',
    stage: 'mining',
  },
  {
    clause: '7052 from 2027: separation counted',
    lotId: 'cnup:magnet',
    asOf: '2027-01-01',
    status: 'non-compliant',
    stage: 'separation',
  },
  {
    clause: '7052 from 2027: refining (metal-making) counted',
    lotId: 'cnup:magnet',
    asOf: '2027-06-01',
    status: 'non-compliant',
    stage: 'refining',
  },
  {
    clause: '7052(b) produced (magnet-making) in CN',
    lotId: 'cnmag:motor',
    asOf: '2025-01-01',
    status: 'non-compliant',
    stage: 'production',
  },
  {
    clause: '7052(b) end item manufactured in CN',
    lotId: 'cnmotor:motor',
    asOf: '2025-01-01',
    status: 'non-compliant',
    stage: 'manufacture',
  },
  {
    clause: '7052 refined in RU: not counted before 2027',
    lotId: 'ruref:magnet',
    asOf: '2026-12-31',
    status: 'compliant',
  },
  {
    clause: '7052 refined in RU: counted from 2027',
    lotId: 'ruref:magnet',
    asOf: '2027-01-01',
    status: 'non-compliant',
    stage: 'refining',
  },
  {
    clause: 'free chain compliant before and after',
    lotId: 'free:motor',
    asOf: '2027-01-01',
    status: 'compliant',
  },
  {
    clause: 'unknown refining country → undetermined from 2027',
    lotId: 'unk:motor',
    asOf: '2027-01-01',
    status: 'undetermined',
  },
  {
    clause: '§4872(c)(3)(A) COTS exempt unless ≥ 50 % tungsten (before 2027)',
    lotId: 'cnmag:magnet',
    asOf: '2026-12-31',
    cots: true,
    status: 'exempt',
  },
  {
    clause: 'COTS from 2027: motor is < 50 % covered material by weight',
    lotId: 'cnup:motor',
    asOf: '2027-01-01',
    cots: true,
    status: 'exempt',
  },
  {
    clause: 'COTS from 2027: a magnet is 100 % covered material',
    lotId: 'cnup:magnet',
    asOf: '2027-01-01',
    cots: true,
    status: 'non-compliant',
  },
  {
    clause: 'no covered material → not applicable',
    lotId: 'iron-only',
    asOf: '2027-01-01',
    status: 'not-applicable',
  },
];

describe('DFARS 252.225-7052 (table)', () => {
  it.each(cases)('$clause: $lotId @ $asOf → $status', async ({ lotId, asOf, cots, status, stage }) => {
    const result = await checkDfars(world(), importer.dfars, {
      lotId,
      asOf,
      ...(cots === undefined ? {} : { cots }),
    });
    expect(result.status, JSON.stringify(result.findings.map((f) => f.message))).toBe(status);
    if (stage !== undefined) expect(result.findings.map((f) => f.stage)).toContain(stage);
  });

  it('reports the covered mass share and the deciding lots', async () => {
    const result = await checkDfars(world(), importer.dfars, { lotId: 'cnup:motor', asOf: '2027-01-01' });
    expect(result.coveredLots).toEqual(['cnup:magnet']);
    expect(result.coveredMassShare).toBeCloseTo(38 / 1038, 6);
    expect(result.findings.some((f) => f.stepSeq !== undefined)).toBe(true);
  });

  it('refuses unknown lots and dates before the clause', async () => {
    await expect(
      checkDfars(world(), importer.dfars, { lotId: 'nope', asOf: '2027-01-01' }),
    ).rejects.toMatchObject({ kind: 'unknown-lot' });
    await expect(
      checkDfars(world(), importer.dfars, { lotId: 'cnup:motor', asOf: '2019-01-01' }),
    ).rejects.toMatchObject({ kind: 'bad-request' });
  });
});

describe('EU CRMA 65 % benchmark', () => {
  it('one Chinese-mined intake exceeds the benchmark at extraction and separation', async () => {
    const result = await checkCrma(world(), importer.crma, { asOf: '2025-01-01', lotIds: ['cnup:motor'] });
    const extraction = result.stages.find((s) => s.stage === 'extraction');
    expect(extraction?.largestThirdCountry).toBe('CN');
    expect(extraction?.largestThirdCountryShare).toBeCloseTo(1);
    expect(extraction?.exceedsBenchmark).toBe(true);
    const magnet = result.stages.find((s) => s.stage === 'magnet-making');
    expect(magnet?.largestThirdCountry).toBe('JP');
  });

  it('a 50/50 intake does not exceed at extraction', async () => {
    const result = await checkCrma(world(), importer.crma, {
      asOf: '2025-01-01',
      lotIds: ['cnup:motor', 'free:motor'],
    });
    const extraction = result.stages.find((s) => s.stage === 'extraction');
    expect(extraction?.shares.CN).toBeCloseTo(0.5);
    expect(extraction?.exceedsBenchmark).toBe(false);
  });

  it('reads intake from receiving facts of a party', async () => {
    const l = world();
    l.addFact({
      eventTime: 1_740_000_000_000,
      kind: 'receiving',
      partyId: 'party:eu-buyer',
      locationId: 'x',
      lotIds: ['free:motor'],
      massMg: 1,
      elementMassesMg: {},
    });
    const result = await checkCrma(l, importer.crma, { asOf: '2025-06-01', partyId: 'party:eu-buyer' });
    expect(result.lots).toEqual(['free:motor']);
    expect(result.stages.find((s) => s.stage === 'separation')?.largestThirdCountry).toBe('MY');
  });

  it('refuses dates before the Act', () => {
    expect(() => assessCrma(importer.crma, [], '2024-05-22')).toThrow(/not in force/);
  });
});
