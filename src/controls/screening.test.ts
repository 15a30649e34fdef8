import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Problem } from '../core/errors.js';
import { buildMagnetChain, FakeLedger } from './fake-ledger.js';
import type { Licence } from './licence-types.js';
import { loadControlRules } from './rules.js';
import {
  decideScreening,
  parseScreeningRequest,
  resolveScreening,
  type ScreeningOutcome,
} from './screening.js';

const rules = loadControlRules();

function ledger(): FakeLedger {
  const l = new FakeLedger();
  for (const [id, country] of [
    ['party:civil-JP', 'JP'],
    ['party:civil-DE', 'DE'],
    ['urn:epc:id:pgln:9990001.00001', 'US'],
    ['urn:epc:id:pgln:9990002.00001', 'AE'],
    ['party:sub-60', 'AE'],
    ['party:sub-40', 'AE'],
    ['party:grandchild', 'AE'],
    ['party:exporter-CN', 'CN'],
  ] as const) {
    l.addParty({ id, name: id, country, roles: ['manufacturer'] });
  }
  l.addOwner('party:sub-60', 'urn:epc:id:pgln:9990002.00001', 0.6);
  l.addOwner('party:sub-40', 'urn:epc:id:pgln:9990002.00001', 0.4);
  l.addOwner('party:grandchild', 'party:sub-60', 0.5);
  // Two paths to the listed party: a weak direct one (10 %) and a strong one through sub-60 (55 %).
  l.addParty({ id: 'party:two-paths', name: 'two paths', country: 'AE', roles: ['trader'] });
  l.addOwner('party:two-paths', 'urn:epc:id:pgln:9990002.00001', 0.1);
  l.addOwner('party:two-paths', 'party:sub-60', 0.55);
  // Japanese magnet with Chinese Dy metal; German motor with that magnet; a fully Australian/Malaysian chain.
  buildMagnetChain(l, 'cn', { mine: 'CN', separation: 'CN', metal: 'CN', magnet: 'JP', motor: 'DE' });
  buildMagnetChain(l, 'free', { mine: 'AU', separation: 'MY', metal: 'JP', magnet: 'JP', motor: 'DE' });
  return l;
}

const licence: Licence = {
  id: 'LIC-1',
  type: 'general',
  status: 'approved',
  holderId: 'party:exporter-CN',
  appliedOn: '2025-04-10',
  validFrom: '2025-05-01',
  validUntil: '2026-04-30',
  limits: {
    controlCodes: ['1C905'],
    elements: [],
    forms: [],
    destinations: ['JP'],
    endUserIds: ['party:civil-JP'],
    endUses: [],
    quantityMg: 10_000_000_000,
  },
  usedMg: 0,
  exportsDrawn: 0,
  version: 1,
  history: [],
};

interface Case {
  clause: string;
  asOf: string;
  request: Record<string, unknown>;
  outcome: ScreeningOutcome;
  /** A rule id that must appear among the reasons (fired or info). */
  cites?: string;
}

const dyOxideFromChina = (
  endUser = 'party:civil-JP',
  endUse = 'automotive',
  extra: Record<string, unknown> = {},
) => ({
  exporter: { partyId: 'party:exporter-CN', country: 'CN' },
  destination: 'JP',
  endUser: { partyId: endUser },
  endUse,
  items: [{ form: 'separated-oxide', composition: { Dy: 0.87 }, quantity: 100, uom: 'KGM' }],
  ...extra,
});
const fromChina = (item: Record<string, unknown>, endUse = 'automotive') => ({
  exporter: { country: 'CN' },
  destination: 'DE',
  endUser: { partyId: 'party:civil-DE' },
  endUse,
  items: [item],
});
const reexport = (item: Record<string, unknown>, from = 'JP') => ({
  exporter: { country: from },
  destination: 'US',
  endUser: { partyId: 'party:civil-DE' },
  endUse: 'automotive',
  items: [item],
});
const hoMetal = { form: 'metal', elements: ['Ho'], quantity: 5, uom: 'KGM' };
const dyMetalMadeInChina = { form: 'metal', composition: { Dy: 1 }, madeIn: 'CN', quantity: 5, uom: 'KGM' };
const cnMagnet = { lotId: 'cn:magnet', quantity: 1, uom: 'KGM' };
const cnMotor = { lotId: 'cn:motor', quantity: 1, uom: 'KGM' };
const freeMagnet = { lotId: 'free:magnet', quantity: 1, uom: 'KGM' };
const bomMagnet = (dyValue: string) => ({
  form: 'magnet-sintered-ndfeb',
  composition: { Nd: 0.25, Dy: 0.01 },
  madeIn: 'JP',
  quantity: 10,
  uom: 'KGM',
  value: '1000.00',
  bom: [
    { element: 'Dy', form: 'metal', originCountry: 'CN', value: dyValue, description: 'Dy metal' },
    {
      element: 'Nd',
      form: 'metal',
      originCountry: 'CN',
      value: '200.00',
      description: 'NdPr metal (not in Part 1)',
    },
  ],
});

const cases: Case[] = [
  // No. 18 (in force from 2025-04-04, never suspended).
  {
    clause: 'No.18 1C905 before effect',
    asOf: '2025-04-03',
    request: dyOxideFromChina(),
    outcome: 'not-controlled',
    cites: 'CN-2025-18/1C905',
  },
  {
    clause: 'No.18 1C905 on effective day',
    asOf: '2025-04-04',
    request: dyOxideFromChina(),
    outcome: 'licence-required',
    cites: 'CN-2025-18/1C905',
  },
  {
    clause: 'No.18 not suspended by No.70',
    asOf: '2026-01-15',
    request: dyOxideFromChina(),
    outcome: 'licence-required',
    cites: 'CN-2025-18/1C905',
  },
  {
    clause: 'No.18 1C902 SmCo magnet',
    asOf: '2025-06-01',
    request: fromChina({ form: 'magnet-smco', elements: ['Sm', 'Co'], quantity: 1, uom: 'KGM' }),
    outcome: 'licence-required',
    cites: 'CN-2025-18/1C902',
  },
  {
    clause: 'No.18 1C904 Tb NdFeB by HS code',
    asOf: '2025-06-01',
    request: fromChina({
      hsCode: '2846901993',
      form: 'mixed-compound',
      elements: ['Tb'],
      quantity: 1,
      uom: 'KGM',
    }),
    outcome: 'licence-required',
    cites: 'CN-2025-18/1C904',
  },
  {
    clause: 'NdPr oxide is not on any list',
    asOf: '2026-12-01',
    request: fromChina({
      form: 'separated-oxide',
      composition: { Nd: 0.66, Pr: 0.2 },
      quantity: 1,
      uom: 'TNE',
    }),
    outcome: 'not-controlled',
  },
  {
    clause: 'No.18 applies only to exports from China',
    asOf: '2025-06-01',
    request: { ...dyOxideFromChina(), exporter: { country: 'MY' } },
    outcome: 'not-controlled',
  },
  // No. 57 (effective 2025-11-08; suspended 2025-11-07..2026-11-10 by No. 70).
  {
    clause: 'No.57 before announcement',
    asOf: '2025-10-08',
    request: fromChina(hoMetal),
    outcome: 'not-controlled',
    cites: 'CN-2025-57/1C909-13',
  },
  {
    clause: 'No.57 day before suspension',
    asOf: '2025-11-06',
    request: fromChina(hoMetal),
    outcome: 'not-controlled',
    cites: 'CN-2025-57/1C909-13',
  },
  {
    clause: 'No.57 effective date falls in suspension',
    asOf: '2025-11-08',
    request: fromChina(hoMetal),
    outcome: 'not-controlled',
    cites: 'CN-2025-57/1C909-13',
  },
  {
    clause: 'No.70 suspension last day',
    asOf: '2026-11-10',
    request: fromChina(hoMetal),
    outcome: 'not-controlled',
    cites: 'CN-2025-57/1C909-13',
  },
  {
    clause: 'No.57 after suspension ends',
    asOf: '2026-11-11',
    request: fromChina(hoMetal),
    outcome: 'licence-required',
    cites: 'CN-2025-57/1C909-13',
  },
  // No. 61 §1(3) origin rule (effective 2025-10-09, suspended from 2025-11-07).
  {
    clause: 'No.61 §1(3) before publication',
    asOf: '2025-10-08',
    request: reexport(dyMetalMadeInChina),
    outcome: 'not-controlled',
  },
  {
    clause: 'No.61 §1(3) on publication',
    asOf: '2025-10-09',
    request: reexport(dyMetalMadeInChina),
    outcome: 'licence-required',
    cites: 'CN-2025-61/1(3)',
  },
  {
    clause: 'No.61 §1(3) last day before No.70',
    asOf: '2025-11-06',
    request: reexport(dyMetalMadeInChina),
    outcome: 'licence-required',
    cites: 'CN-2025-61/1(3)',
  },
  {
    clause: 'No.61 §1(3) suspended',
    asOf: '2025-11-07',
    request: reexport(dyMetalMadeInChina),
    outcome: 'not-controlled',
    cites: 'CN-2025-61/1(3)',
  },
  {
    clause: 'No.61 §1(3) after suspension',
    asOf: '2026-11-11',
    request: reexport(dyMetalMadeInChina),
    outcome: 'licence-required',
    cites: 'CN-2025-61/1(3)',
  },
  // No. 61 §1(1) 0.1 % by value (effective 2025-12-01, inside the suspension).
  {
    clause: 'No.61 §1(1) before 2025-12-01 (not yet effective)',
    asOf: '2025-11-06',
    request: reexport(cnMagnet),
    outcome: 'not-controlled',
    cites: 'CN-2025-61/1(1)',
  },
  {
    clause: 'No.61 §1(1) effective but suspended on 2025-12-01',
    asOf: '2025-12-01',
    request: reexport(cnMagnet),
    outcome: 'not-controlled',
    cites: 'CN-2025-61/1(1)',
  },
  {
    clause: 'No.61 §1(1) traced origin ≥ 0.1 %',
    asOf: '2026-11-11',
    request: reexport(cnMagnet),
    outcome: 'licence-required',
    cites: 'CN-2025-61/1(1)',
  },
  {
    clause: 'No.61 §1(1) component containing Part 2 magnet',
    asOf: '2026-11-11',
    request: reexport(cnMotor, 'DE'),
    outcome: 'licence-required',
    cites: 'CN-2025-61/1(1)',
  },
  {
    clause: 'No.61 §1(1) no Chinese content',
    asOf: '2026-11-11',
    request: reexport(freeMagnet),
    outcome: 'not-controlled',
    cites: 'CN-2025-61/1(1)',
  },
  {
    clause: 'No.61 §1(1) BOM below 0.1 %',
    asOf: '2026-11-11',
    request: reexport(bomMagnet('0.99')),
    outcome: 'not-controlled',
    cites: 'CN-2025-61/1(1)',
  },
  {
    clause: 'No.61 §1(1) BOM exactly 0.1 %',
    asOf: '2026-11-11',
    request: reexport(bomMagnet('1.00')),
    outcome: 'licence-required',
    cites: 'CN-2025-61/1(1)',
  },
  {
    clause: 'No.61 §1(2) Chinese technology',
    asOf: '2026-11-11',
    request: reexport({
      form: 'magnet-sintered-ndfeb',
      elements: ['Nd', 'Tb'],
      madeIn: 'VN',
      madeWithChineseTechnology: true,
      quantity: 1,
      uom: 'KGM',
      value: '10.00',
      bom: [],
    }),
    outcome: 'licence-required',
    cites: 'CN-2025-61/1(2)',
  },
  // No. 62 technology and catch-all (effective 2025-10-09, suspended from 2025-11-07).
  {
    clause: 'No.62 1E902.a before',
    asOf: '2025-10-08',
    request: fromChina({ technology: 'separation' }),
    outcome: 'not-controlled',
  },
  {
    clause: 'No.62 1E902.a in force',
    asOf: '2025-10-09',
    request: fromChina({ technology: 'separation' }),
    outcome: 'licence-required',
    cites: 'CN-2025-62/1E902.a',
  },
  {
    clause: 'No.62 1E902.b suspended',
    asOf: '2026-06-01',
    request: fromChina({ technology: 'production-line' }),
    outcome: 'not-controlled',
    cites: 'CN-2025-62/1E902.b',
  },
  {
    clause: 'No.62 catch-all',
    asOf: '2025-10-20',
    request: fromChina(
      { form: 'separated-oxide', composition: { Nd: 0.7 }, quantity: 1, uom: 'TNE' },
      'rare-earth-production-abroad',
    ),
    outcome: 'licence-required',
    cites: 'CN-2025-62/catch-all',
  },
  // End users and end uses (dual track).
  {
    clause: 'Dual-use: listed military end user denied',
    asOf: '2025-06-01',
    request: dyOxideFromChina('urn:epc:id:pgln:9990001.00001'),
    outcome: 'denied',
    cites: 'end-user/military',
  },
  {
    clause: 'Dual-use: declared military end user denied',
    asOf: '2025-06-01',
    request: { ...dyOxideFromChina(), endUser: { partyId: 'party:civil-JP', military: true } },
    outcome: 'denied',
    cites: 'end-user/military',
  },
  {
    clause: 'Arts 28–29: control-list party denied',
    asOf: '2025-10-09',
    request: dyOxideFromChina('urn:epc:id:pgln:9990002.00001'),
    outcome: 'denied',
    cites: 'end-user/control-list',
  },
  {
    clause: 'Arts 28–29: listed before listing date',
    asOf: '2025-10-08',
    request: dyOxideFromChina('urn:epc:id:pgln:9990002.00001'),
    outcome: 'licence-required',
  },
  {
    clause: 'No.61 §2: 60 %-owned subsidiary denied',
    asOf: '2025-12-01',
    request: dyOxideFromChina('party:sub-60'),
    outcome: 'denied',
    cites: 'end-user/control-list',
  },
  {
    clause: 'No.61 §2: 50 % of 60 % chain still ≥ 50 % at each link',
    asOf: '2025-12-01',
    request: dyOxideFromChina('party:grandchild'),
    outcome: 'denied',
    cites: 'end-user/control-list',
  },
  {
    clause: 'No.61 §2: the strongest ownership chain decides',
    asOf: '2025-12-01',
    request: dyOxideFromChina('party:two-paths'),
    outcome: 'denied',
    cites: 'end-user/control-list',
  },
  {
    clause: 'Arts 28–29: a listed party named but not registered is matched by name',
    asOf: '2025-12-01',
    request: { ...dyOxideFromChina(), endUser: { name: 'EXAMPLE control-list trading (Fictional)' } },
    outcome: 'denied',
    cites: 'end-user/control-list',
  },
  {
    clause: 'No.61 §2: 40 %-owned not reached',
    asOf: '2025-12-01',
    request: dyOxideFromChina('party:sub-40'),
    outcome: 'licence-required',
  },
  {
    clause: 'No.61 §3: military end use denied',
    asOf: '2025-06-01',
    request: dyOxideFromChina('party:civil-JP', 'military'),
    outcome: 'denied',
    cites: 'end-use/denied',
  },
  {
    clause: 'No.61 §4: advanced logic reviewed case by case',
    asOf: '2025-06-01',
    request: dyOxideFromChina('party:civil-JP', 'semiconductor-advanced-logic'),
    outcome: 'licence-required',
    cites: 'end-use/case-by-case',
  },
  {
    clause: 'No.61 §5: humanitarian report only',
    asOf: '2025-06-01',
    request: dyOxideFromChina('party:civil-JP', 'humanitarian-medical'),
    outcome: 'report-only',
    cites: 'end-use/humanitarian',
  },
  {
    clause: 'Humanitarian does not lift a denial',
    asOf: '2025-06-01',
    request: {
      ...dyOxideFromChina('party:civil-JP', 'humanitarian-medical'),
      endUser: { partyId: 'party:civil-JP', military: true },
    },
    outcome: 'denied',
  },
  {
    clause: 'Not controlled → end user irrelevant',
    asOf: '2025-06-01',
    request: fromChina(
      { form: 'separated-oxide', composition: { La: 0.8 }, quantity: 1, uom: 'TNE' },
      'military',
    ),
    outcome: 'not-controlled',
  },
  // Licences (Dual-Use Regulations Art. 15).
  {
    clause: 'Art. 15: held general licence covers',
    asOf: '2025-06-01',
    request: dyOxideFromChina('party:civil-JP', 'automotive', { licenceIds: ['LIC-1'] }),
    outcome: 'licensed',
    cites: 'licence-coverage',
  },
  {
    clause: 'Art. 15: licence expired',
    asOf: '2026-05-01',
    request: dyOxideFromChina('party:civil-JP', 'automotive', { licenceIds: ['LIC-1'] }),
    outcome: 'licence-required',
    cites: 'licence-coverage',
  },
  {
    clause: 'Art. 15: a licence covers only its holder',
    asOf: '2025-06-01',
    request: {
      ...dyOxideFromChina('party:civil-JP', 'automotive', { licenceIds: ['LIC-1'] }),
      exporter: { country: 'CN' },
    },
    outcome: 'licence-required',
  },
  {
    clause: 'Art. 18: licence for another end user',
    asOf: '2025-06-01',
    request: dyOxideFromChina('party:civil-DE', 'automotive', { licenceIds: ['LIC-1'] }),
    outcome: 'licence-required',
  },
];

describe('export-control screening (table)', () => {
  it.each(cases)('$clause @ $asOf → $outcome', async ({ asOf, request, outcome, cites }) => {
    const req = parseScreeningRequest({ asOf, ...request });
    const resolved = await resolveScreening(ledger(), req, rules.listedParties, async (id) =>
      id === licence.id ? licence : undefined,
    );
    const decision = decideScreening(resolved, rules.exportControls);
    expect(
      decision.outcome,
      JSON.stringify(
        decision.reasons.map((r) => r.message),
        null,
        1,
      ),
    ).toBe(outcome);
    if (cites !== undefined) expect(decision.reasons.map((r) => r.rule.ruleId)).toContain(cites);
    for (const reason of decision.reasons) expect(reason.rule.source.length).toBeGreaterThan(0);
  });

  it('computes the traced value share from the genealogy', async () => {
    const req = parseScreeningRequest({ asOf: '2026-11-11', ...reexport(cnMagnet) });
    const decision = decideScreening(await resolveScreening(ledger(), req, []), rules.exportControls);
    const share = decision.items[0]?.chineseValueShare;
    expect(share?.method).toBe('ledger');
    expect(share?.share).toBeGreaterThan(0.001);
    expect(share?.contributors).toContain('cn:dy-metal');
  });

  it('unknown origin counts as Chinese by default, and not under unknownOrigin: ignore', async () => {
    const l = ledger();
    l.addLocation({
      id: 'loc:jp',
      name: 'JP plant',
      kind: 'plant',
      country: 'JP',
      partyId: 'party:civil-JP',
    });
    l.commission({
      id: 'dy-unknown',
      form: 'metal',
      massMg: 1_000_000,
      composition: { Dy: 1 },
      valueCents: 50_000,
      locationId: 'loc:jp',
      partyId: 'party:civil-JP',
    });
    l.commission({
      id: 'ndfe',
      form: 'alloy',
      massMg: 99_000_000,
      composition: { Nd: 0.3, Fe: 0.7 },
      valueCents: 1_000_000,
      locationId: 'loc:jp',
      partyId: 'party:civil-JP',
      origin: { mining: 'AU', separation: 'AU' },
    });
    l.transform({
      process: 'magnet-making',
      inputs: [
        { lotId: 'dy-unknown', consumedMg: 1_000_000 },
        { lotId: 'ndfe', consumedMg: 99_000_000 },
      ],
      outputs: [
        {
          id: 'jp-magnet',
          form: 'magnet-sintered-ndfeb',
          massMg: 100_000_000,
          composition: { Dy: 0.01, Nd: 0.297, Fe: 0.69 },
        },
      ],
      locationId: 'loc:jp',
      partyId: 'party:civil-JP',
    });
    const base = { asOf: '2026-11-11', ...reexport({ lotId: 'jp-magnet' }) };
    const counted = decideScreening(
      await resolveScreening(l, parseScreeningRequest(base), []),
      rules.exportControls,
    );
    expect(counted.outcome).toBe('licence-required');
    expect(counted.items[0]?.chineseValueShare?.unknownShare).toBeGreaterThan(0.001);
    const ignored = decideScreening(
      await resolveScreening(l, parseScreeningRequest({ ...base, unknownOrigin: 'ignore' }), []),
      rules.exportControls,
    );
    expect(ignored.outcome).toBe('not-controlled');
  });

  it('the humanitarian outcome carries the reporting obligation', async () => {
    const req = parseScreeningRequest({
      asOf: '2025-06-01',
      ...dyOxideFromChina('party:civil-JP', 'humanitarian-disaster-relief'),
    });
    const decision = decideScreening(await resolveScreening(ledger(), req, []), rules.exportControls);
    expect(decision.obligations[0]).toMatch(/10 working days/);
  });
});

describe('bad screening requests', () => {
  const base = { asOf: '2025-06-01', ...dyOxideFromChina() };
  const bad: [string, Record<string, unknown>, string][] = [
    [
      'unknown element',
      { ...base, items: [{ form: 'metal', elements: ['Xx'], quantity: 1, uom: 'KGM' }] },
      '/items/0/elements/0',
    ],
    [
      'unknown element in composition',
      { ...base, items: [{ form: 'metal', composition: { Kr: 0.5 }, quantity: 1, uom: 'KGM' }] },
      '/items/0/composition/Kr',
    ],
    ['missing end use', { ...base, endUse: undefined }, '/endUse'],
    ['unknown end use', { ...base, endUse: 'fun' }, '/endUse'],
    ['date out of range', { ...base, asOf: '1999-12-31' }, '/asOf'],
    ['not a date', { ...base, asOf: '2025-02-30' }, '/asOf'],
    [
      'negative quantity',
      { ...base, items: [{ form: 'metal', elements: ['Dy'], quantity: -1, uom: 'KGM' }] },
      '/items/0/quantity',
    ],
    [
      'negative quantity as text',
      { ...base, items: [{ form: 'metal', elements: ['Dy'], quantity: '-0.5', uom: 'KGM' }] },
      '/items/0/quantity',
    ],
    [
      'unknown form',
      { ...base, items: [{ form: 'gizmo', elements: ['Dy'], quantity: 1, uom: 'KGM' }] },
      '/items/0/form',
    ],
    ['bad country', { ...base, destination: 'Japan' }, '/destination'],
  ];
  it.each(bad.map(([name, body, field]) => ({ name, body, field })))(
    '$name → bad-request naming $field',
    ({ body, field }) => {
      try {
        parseScreeningRequest(body);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(Problem);
        const problem = error as Problem;
        expect(problem.kind).toBe('bad-request');
        expect(problem.toJSON().status).toBe(400);
        expect(problem.issues.map((i) => i.field)).toContain(field);
      }
    },
  );

  it('unknown party → unknown-party', async () => {
    const req = parseScreeningRequest({ ...base, endUser: { partyId: 'party:nobody' } });
    await expect(resolveScreening(ledger(), req, [])).rejects.toMatchObject({ kind: 'unknown-party' });
  });

  it('unknown lot → unknown-lot', async () => {
    const req = parseScreeningRequest({ ...base, items: [{ lotId: 'nope' }] });
    await expect(resolveScreening(ledger(), req, [])).rejects.toMatchObject({ kind: 'unknown-lot' });
  });

  it('property: any JSON either parses or is refused with a bad-request problem', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (asOf, items, endUse) => {
        try {
          parseScreeningRequest({ ...base, asOf, items, endUse });
        } catch (error) {
          expect(error).toBeInstanceOf(Problem);
          expect((error as Problem).kind).toBe('bad-request');
        }
      }),
    );
  });

  it('property: negative or non-numeric quantities never pass', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ max: -Number.MIN_VALUE }), fc.string()), (quantity) => {
        fc.pre(!(typeof quantity === 'string' && /^\d+(\.\d+)?$/.test(quantity.trim())));
        expect(() =>
          parseScreeningRequest({
            ...base,
            items: [{ form: 'metal', elements: ['Dy'], quantity, uom: 'KGM' }],
          }),
        ).toThrow(Problem);
      }),
    );
  });
});
