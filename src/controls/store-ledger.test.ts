import { describe, expect, it } from 'vitest';
import { generateWorld } from '../demo/index.js';
import { Ledger } from '../ledger/capture.js';
import { operatorActor } from '../ledger/decide.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { assessDfars } from './compliance.js';
import { factKinds, type LedgerFact } from './ports.js';
import { loadControlRules } from './rules.js';
import { decideScreening, parseScreeningRequest, resolveScreening } from './screening.js';
import { storeControlsLedger } from './store-ledger.js';

const rules = loadControlRules();

async function world() {
  const store = new SqliteStore(':memory:');
  await store.migrate();
  const ledger = new Ledger(store, { log: undefined, clock: () => Date.UTC(2027, 0, 1) });
  for (const document of generateWorld({ events: 3000, seed: 'controls-store', eventsPerDocument: 500 })) {
    await ledger.capture(JSON.stringify(document), operatorActor);
  }
  return { store, port: storeControlsLedger(store) };
}

describe('the controls port on the SQLite store (demo world)', () => {
  it('reads genealogies, facts and decides screenings and DFARS on captured data', async () => {
    const { store, port } = await world();
    const facts: LedgerFact[] = [];
    for await (const fact of port.facts({})) facts.push(fact);
    expect(facts.length).toBeGreaterThan(0);
    for (let i = 1; i < facts.length; i++) expect(facts[i]?.seq).toBeGreaterThan(facts[i - 1]?.seq ?? -1);
    for (const fact of facts) expect(factKinds).toContain(fact.kind);
    expect(facts.some((f) => f.kind === 'mining')).toBe(true);
    const mining = facts.find((f) => f.kind === 'mining');
    expect(Object.values(mining?.elementMassesMg ?? {}).some((m) => (m ?? 0) > 0)).toBe(true);

    // The most-derived lot the world made: walk its genealogy, then screen and check it.
    const transformed = facts
      .filter((f) => f.kind === 'magnet-making' || f.kind === 'alloying' || f.kind === 'separation')
      .at(-1);
    expect(transformed).toBeDefined();
    const lotId = transformed?.lotIds[0] ?? '';
    const genealogy = await port.upstream(lotId);
    expect(genealogy?.root.id).toBe(lotId);
    const made = new Set(genealogy?.steps.flatMap((s) => s.outputs.map((o) => o.lotId)));
    for (const id of genealogy?.lots.keys() ?? []) expect(made.has(id)).toBe(true);
    for (const step of genealogy?.steps ?? [])
      for (const input of step.inputs) expect(genealogy?.lots.has(input.lotId)).toBe(true);
    expect(genealogy?.steps.some((s) => s.kind === 'mining')).toBe(true);

    const request = parseScreeningRequest({
      asOf: '2026-11-11',
      exporter: { country: 'JP' },
      destination: 'US',
      endUser: { name: 'Buyer' },
      endUse: 'automotive',
      items: [{ lotId }],
    });
    const decision = decideScreening(await resolveScreening(port, request, []), rules.exportControls);
    expect(['not-controlled', 'licence-required']).toContain(decision.outcome);
    if (genealogy !== undefined && rules.importer !== undefined) {
      const dfars = assessDfars(rules.importer.dfars, genealogy, { lotId, asOf: '2027-01-01' });
      expect(['compliant', 'non-compliant', 'undetermined', 'not-applicable']).toContain(dfars.status);
    }
    await store.close();
  }, 60_000);
});
