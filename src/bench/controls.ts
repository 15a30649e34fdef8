/**
 * Controls benchmarks: export-control screening decisions per second on generated shipments with traced
 * origins (products with a ten-step mine-to-motor genealogy), and the monthly flow report for an enterprise
 * with 1,000,000 events. Run alone with `npx tsx bench/controls.ts`, or through `npm run bench`.
 */
import { pathToFileURL } from 'node:url';
import { buildMagnetChain, FakeLedger } from '../controls/fake-ledger.js';
import type { LedgerFact } from '../controls/ports.js';
import { monthlyFlowReport, monthlyReportCsv } from '../controls/quotas.js';
import { loadControlRules } from '../controls/rules.js';
import {
  decideScreening,
  parseScreeningRequest,
  type ResolvedScreening,
  resolveScreening,
} from '../controls/screening.js';
import { createRandom } from '../core/prng.js';
import type { Element } from '../domain/elements.js';

const countries = ['CN', 'AU', 'MY', 'US', 'JP', 'VN', 'DE', 'KR'];

async function benchScreening(): Promise<object[]> {
  const rules = loadControlRules();
  const random = createRandom('bench-controls');
  const ledger = new FakeLedger();
  const chains = 256;
  const motors: string[] = [];
  for (let i = 0; i < chains; i++) {
    const pick = () => random.pick(countries);
    const { motorId, magnetId } = buildMagnetChain(ledger, `c${i}`, {
      mine: pick(),
      separation: pick(),
      metal: pick(),
      magnet: random.pick(['JP', 'VN', 'DE', 'KR']),
      motor: random.pick(['DE', 'US', 'KR']),
    });
    motors.push(i % 2 === 0 ? motorId : magnetId);
  }
  for (const c of countries)
    ledger.addParty({ id: `buyer:${c}`, name: c, country: c, roles: ['manufacturer'] });
  const requests = motors.map((lotId, i) =>
    parseScreeningRequest({
      asOf: i % 3 === 0 ? '2026-11-11' : i % 3 === 1 ? '2025-12-01' : '2025-06-01',
      exporter: { country: random.pick(['JP', 'DE', 'KR', 'US']) },
      destination: random.pick(countries),
      endUser: { partyId: `buyer:${random.pick(countries)}` },
      endUse: random.pick(['automotive', 'wind-energy', 'military', 'humanitarian-medical']),
      items: [{ lotId, quantity: 1, uom: 'KGM' }],
    }),
  );
  const steps = ledger.upstreamSync(motors[0] ?? '')?.steps.length ?? 0;
  // Warm up, then measure: (a) the pure decision on resolved inputs; (b) resolve + decide through the port.
  const resolved: ResolvedScreening[] = [];
  for (const r of requests) resolved.push(await resolveScreening(ledger, r, rules.listedParties));
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < 2000; i++)
    decideScreening(resolved[i % resolved.length] as ResolvedScreening, rules.exportControls);
  const n = 100_000;
  let t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const d = decideScreening(resolved[i % resolved.length] as ResolvedScreening, rules.exportControls);
    outcomes[d.outcome] = (outcomes[d.outcome] ?? 0) + 1;
  }
  const pureMs = performance.now() - t0;
  const m = 50_000;
  t0 = performance.now();
  for (let i = 0; i < m; i++) {
    const r = requests[i % requests.length];
    if (r === undefined) continue;
    decideScreening(await resolveScreening(ledger, r, rules.listedParties), rules.exportControls);
  }
  const e2eMs = performance.now() - t0;
  // The heaviest path: every request as of 2026-11-11, when No. 61's 0.1 % rule is in force and the
  // Chinese-origin value share is traced through the genealogy for every magnet and motor.
  const inForce: ResolvedScreening[] = resolved.map((r) => ({
    ...r,
    request: { ...r.request, asOf: '2026-11-11' },
  }));
  const inForceOutcomes: Record<string, number> = {};
  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const d = decideScreening(inForce[i % inForce.length] as ResolvedScreening, rules.exportControls);
    inForceOutcomes[d.outcome] = (inForceOutcomes[d.outcome] ?? 0) + 1;
  }
  const inForceMs = performance.now() - t0;
  return [
    {
      bench: 'controls.screening.decide (all as of 2026-11-11: 0.1 % rule in force, value share traced)',
      decisions: n,
      ms: Math.round(inForceMs),
      perSecond: Math.round((n / inForceMs) * 1000),
      genealogySteps: steps,
      outcomes: inForceOutcomes,
      target: 20_000,
    },
    {
      bench: 'controls.screening.decide (mixed dates)',
      decisions: n,
      ms: Math.round(pureMs),
      perSecond: Math.round((n / pureMs) * 1000),
      genealogySteps: steps,
      outcomes,
      target: 20_000,
    },
    {
      bench: 'controls.screening.resolve+decide (in-memory port)',
      decisions: m,
      ms: Math.round(e2eMs),
      perSecond: Math.round((m / e2eMs) * 1000),
      genealogySteps: steps,
      target: 20_000,
    },
  ];
}

async function benchMonthlyReport(): Promise<object[]> {
  const rules = loadControlRules();
  const quotas = rules.quotas;
  if (quotas === undefined) return [];
  const party = 'urn:epc:id:pgln:0614141.00000';
  const ledger = new FakeLedger();
  ledger.addParty({ id: party, name: 'Demo North', country: 'CN', roles: ['miner', 'separator'] });
  const random = createRandom('bench-report');
  const total = 1_000_000;
  const start = Date.UTC(2025, 0, 1);
  const span = Date.UTC(2026, 0, 1) - start;
  const kinds: LedgerFact['kind'][] = [
    'mining',
    'separation',
    'shipping',
    'receiving',
    'export',
    'metal-making',
  ];
  const elementsPool: Element[] = ['Nd', 'Pr', 'La', 'Ce', 'Dy', 'Tb'];
  const facts = ledger.factList;
  for (let i = 0; i < total; i++) {
    const kind = kinds[i % kinds.length] as LedgerFact['kind'];
    const masses: Partial<Record<Element, number>> = {};
    for (let k = 0; k < 3; k++) masses[random.pick(elementsPool)] = random.int(1, 1_000_000_000);
    facts.push({
      seq: i + 1,
      eventTime: start + Math.floor((i / total) * span),
      kind,
      partyId: party,
      locationId: kind === 'mining' ? 'urn:epc:id:sgln:0614141.00001.0' : 'urn:epc:id:sgln:0614141.00002.0',
      lotIds: [`lot-${i}`],
      massMg: random.int(1_000_000, 10_000_000_000),
      elementMassesMg: masses,
      ...(kind === 'shipping' || kind === 'export'
        ? { counterpartyId: 'party:buyer', destinationCountry: 'JP' }
        : {}),
    });
  }
  const t0 = performance.now();
  const report = await monthlyFlowReport(ledger, quotas, { partyId: party, month: '2025-12' });
  const jsonMs = performance.now() - t0;
  const t1 = performance.now();
  const csv = monthlyReportCsv(report);
  const csvMs = performance.now() - t1;
  return [
    {
      bench: 'controls.monthly-report',
      enterpriseEvents: total,
      scannedEvents: total,
      monthLines: report.lines.length,
      reportMs: Math.round(jsonMs),
      csvMs: Math.round(csvMs),
      csvBytes: csv.length,
      note: 'in-memory port; the report streams year-to-date facts (for quota use) and lists the month',
    },
  ];
}

/** Screening through the SQLite store adapter on a captured demo world (real, wide genealogies). */
async function benchStoreScreening(): Promise<object[]> {
  const { generateWorld } = await import('../demo/index.js');
  const { Ledger } = await import('../ledger/capture.js');
  const { operatorActor } = await import('../ledger/decide.js');
  const { SqliteStore } = await import('../store/sqlite/sqlite-store.js');
  const { storeControlsLedger } = await import('../controls/store-ledger.js');
  const rules = loadControlRules();
  const store = new SqliteStore(':memory:');
  await store.migrate();
  const ledger = new Ledger(store, { log: undefined, clock: () => Date.UTC(2027, 0, 1) });
  const events = 10_000;
  for (const document of generateWorld({ events, seed: 'bench-controls-store', eventsPerDocument: 1000 })) {
    await ledger.capture(JSON.stringify(document), operatorActor);
  }
  const port = storeControlsLedger(store);
  const products: string[] = [];
  for await (const fact of port.facts({ kinds: ['magnet-making', 'transformation'] }))
    products.push(...fact.lotIds);
  const sample = products.slice(-200);
  const requests = sample.map((lotId) =>
    parseScreeningRequest({
      asOf: '2026-11-11',
      exporter: { country: 'DE' },
      destination: 'US',
      endUser: { name: 'Buyer' },
      endUse: 'automotive',
      items: [{ lotId }],
    }),
  );
  let lots = 0;
  const resolved: ResolvedScreening[] = [];
  const t0 = performance.now();
  for (const r of requests) {
    const x = await resolveScreening(port, r, rules.listedParties);
    lots += x.items[0]?.genealogy?.lots.size ?? 0;
    resolved.push(x);
  }
  const resolveMs = performance.now() - t0;
  // Again, with the adapter's caches of immutable steps and links warm (lots are still read fresh).
  const t2 = performance.now();
  for (const r of requests) await resolveScreening(port, r, rules.listedParties);
  const warmMs = performance.now() - t2;
  const n = 20_000;
  const t1 = performance.now();
  for (let i = 0; i < n; i++)
    decideScreening(resolved[i % resolved.length] as ResolvedScreening, rules.exportControls);
  const decideMs = performance.now() - t1;
  await store.close();
  return [
    {
      bench: 'controls.screening on the SQLite store (demo world, as of 2026-11-11)',
      worldEvents: events,
      products: sample.length,
      meanGenealogyLots: Math.round(lots / Math.max(1, sample.length)),
      resolvePerSecondCold: Math.round((sample.length / resolveMs) * 1000),
      resolvePerSecondWarm: Math.round((sample.length / warmMs) * 1000),
      decidePerSecond: Math.round((n / decideMs) * 1000),
    },
  ];
}

export async function benchControls(): Promise<object[]> {
  return [...(await benchScreening()), ...(await benchMonthlyReport()), ...(await benchStoreScreening())];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const line of await benchControls()) process.stdout.write(`${JSON.stringify(line)}\n`);
}
