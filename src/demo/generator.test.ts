import { describe, expect, it } from 'vitest';
import { toMilligramsNumber } from '../core/units.js';
import type { Element } from '../domain/elements.js';
import type { Composition } from '../domain/lot.js';
import { checkMassBalance, type DeclaredLoss } from '../domain/mass-balance.js';
import {
  type EpcisDocumentJson,
  type EpcisEventJson,
  type GenerationSummary,
  generateWorld,
  magnetLotIds,
  worldSummary,
} from './index.js';

/**
 * The generator's promises, checked from the events alone: the bookkeeping below is rebuilt from what the
 * documents say, never from the generator's internals, and applies the ledger's rules (docs/extension.md).
 */

interface Quantity {
  epcClass: string;
  quantity: number;
  uom: string;
}

function collect(options: Parameters<typeof generateWorld>[0]): {
  documents: EpcisDocumentJson[];
  summary: GenerationSummary;
} {
  const documents: EpcisDocumentJson[] = [];
  const iterator = generateWorld(options);
  for (;;) {
    const step = iterator.next();
    if (step.done === true) return { documents, summary: step.value };
    documents.push(step.value);
  }
}

const eventsOf = (documents: readonly EpcisDocumentJson[]): EpcisEventJson[] =>
  documents.flatMap((document) => document.epcisBody.eventList);

const mg = (q: { quantity: number; uom: string }): number => toMilligramsNumber(q.quantity, q.uom);
const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);
const idOf = (value: unknown): string | undefined => (value as { id?: string } | undefined)?.id;

interface LotRecord {
  id: string;
  form: string;
  massMg: number;
  remainingMg: number;
  composition: Composition;
  holder: string;
  status: 'held' | 'in-transit';
  inTransitTo?: string;
  parents: string[];
  children: string[];
  process?: string;
}

interface Replay {
  lots: Map<string, LotRecord>;
  transformations: number;
  shipments: number;
  crossBorder: number;
  gpsEvents: number;
  violations: string[];
  mining: Map<string, number>;
  separation: Map<string, number>;
  magnets: Map<string, number>;
}

/** Replays a world under the ledger's custody, consumption and mass-balance rules. */
function replay(documents: readonly EpcisDocumentJson[]): Replay {
  const header = documents[0]?.epcisHeader?.epcisMasterData.vocabularyList ?? [];
  const locations = new Map<string, { party: string; country: string; kind: string }>();
  for (const vocabulary of header) {
    if (vocabulary.type !== 'urn:epcglobal:epcis:vtype:BusinessLocation') continue;
    for (const element of list<{ id: string; attributes: { id: string; attribute: string | number }[] }>(
      vocabulary.vocabularyElementList,
    )) {
      const attribute = (name: string): string =>
        String(element.attributes.find((a) => a.id === name)?.attribute ?? '');
      locations.set(element.id, {
        party: attribute('ree:party'),
        country: attribute('ree:country'),
        kind: attribute('ree:kind'),
      });
    }
  }
  const r: Replay = {
    lots: new Map(),
    transformations: 0,
    shipments: 0,
    crossBorder: 0,
    gpsEvents: 0,
    violations: [],
    mining: new Map(),
    separation: new Map(),
    magnets: new Map(),
  };
  const fail = (event: EpcisEventJson, message: string): void => {
    if (r.violations.length < 20) r.violations.push(`${String(event.eventID)}: ${message}`);
  };
  const add = (map: Map<string, number>, key: string, value: number): void => {
    map.set(key, (map.get(key) ?? 0) + value);
  };
  const rareEarthMg = (composition: Composition, massMg: number): number => {
    let total = 0;
    for (const [element, share] of Object.entries(composition) as [Element, number][]) {
      if (!['Fe', 'B', 'Co', 'Cu', 'Al', 'Ga', 'Zr'].includes(element)) total += share * massMg;
    }
    return total;
  };
  const declared = (event: EpcisEventJson): Map<string, { form: string; composition: Composition }> => {
    const ilmd = event.ilmd as {
      'ree:lots'?: { epcClass: string; form: string; composition: Composition }[];
    };
    return new Map((ilmd?.['ree:lots'] ?? []).map((lot) => [lot.epcClass, lot]));
  };
  const create = (
    event: EpcisEventJson,
    q: Quantity,
    holder: string,
    parents: string[],
    process?: string,
  ): LotRecord | undefined => {
    const declaration = declared(event).get(q.epcClass);
    if (declaration === undefined) {
      fail(event, `no ree:lots entry for ${q.epcClass}`);
      return undefined;
    }
    if (r.lots.has(q.epcClass)) fail(event, `lot ${q.epcClass} exists`);
    let sum = 0;
    for (const share of Object.values(declaration.composition)) sum += share ?? 0;
    if (sum > 1 + 1e-9) fail(event, `composition of ${q.epcClass} sums to ${sum}`);
    const lot: LotRecord = {
      id: q.epcClass,
      form: declaration.form,
      massMg: mg(q),
      remainingMg: mg(q),
      composition: declaration.composition,
      holder,
      status: 'held',
      parents,
      children: [],
      ...(process === undefined ? {} : { process }),
    };
    r.lots.set(lot.id, lot);
    return lot;
  };

  for (const event of eventsOf(documents)) {
    const where = locations.get(idOf(event.bizLocation) ?? '');
    const quantities = list<Quantity>(event.quantityList);
    const readPoint = idOf(event.readPoint) ?? '';
    if (readPoint.startsWith('geo:') || event.sensorElementList !== undefined) r.gpsEvents++;
    if (event.type === 'ObjectEvent' && event.action === 'ADD') {
      if (where === undefined) {
        fail(event, 'commissioning at an unregistered location');
        continue;
      }
      for (const q of quantities) {
        const lot = create(event, q, where.party, []);
        if (lot !== undefined && where.kind === 'mine')
          add(r.mining, where.country, rareEarthMg(lot.composition, lot.massMg));
      }
    } else if (event.type === 'TransformationEvent') {
      r.transformations++;
      if (where === undefined) {
        fail(event, 'transformation at an unregistered location');
        continue;
      }
      const inputs: { composition: Composition; massMg: number }[] = [];
      const parents: string[] = [];
      for (const q of list<Quantity>(event.inputQuantityList)) {
        const lot = r.lots.get(q.epcClass);
        if (lot === undefined) {
          fail(event, `unknown input ${q.epcClass}`);
          continue;
        }
        if (lot.holder !== where.party) fail(event, `${lot.id} transformed by a party that does not hold it`);
        if (lot.status !== 'held') fail(event, `${lot.id} transformed while in transit`);
        if (mg(q) > lot.remainingMg) fail(event, `${lot.id} over-consumed: ${mg(q)} > ${lot.remainingMg}`);
        lot.remainingMg -= mg(q);
        inputs.push({ composition: lot.composition, massMg: mg(q) });
        parents.push(lot.id);
      }
      const outputs: LotRecord[] = [];
      const process = String(event['ree:process']);
      for (const q of list<Quantity>(event.outputQuantityList)) {
        const lot = create(event, q, where.party, parents, process);
        if (lot !== undefined) outputs.push(lot);
      }
      for (const parent of parents) r.lots.get(parent)?.children.push(...outputs.map((o) => o.id));
      const loss = event['ree:declaredLoss'] as
        | { quantity?: number; uom?: string; elements?: Record<string, { quantity: number; uom: string }> }
        | undefined;
      const declaredLoss: DeclaredLoss = {
        totalMg:
          loss?.quantity !== undefined && loss.uom !== undefined
            ? mg({ quantity: loss.quantity, uom: loss.uom })
            : 0,
        elementsMg: Object.fromEntries(
          Object.entries(loss?.elements ?? {}).map(([element, q]) => [element, mg(q)]),
        ),
      };
      const tolerance = typeof event['ree:tolerancePpm'] === 'number' ? event['ree:tolerancePpm'] : 1000;
      const balance = checkMassBalance(inputs, outputs, declaredLoss, tolerance);
      for (const gain of balance.gains) fail(event, `mass created: ${gain.element} +${gain.excessMg} mg`);
      for (const missing of balance.undeclaredLosses) fail(event, `undeclared loss: ${missing.excessMg} mg`);
      for (const lot of outputs) {
        if (process === 'separation')
          add(r.separation, where.country, rareEarthMg(lot.composition, lot.massMg));
        if (process === 'magnet-making' && lot.form.startsWith('magnet'))
          add(r.magnets, where.country, lot.massMg);
      }
    } else if (event.type === 'ObjectEvent' && event.bizStep === 'shipping') {
      r.shipments++;
      const source = list<{ type: string; source: string }>(event.sourceList).find(
        (s) => s.type === 'owning_party',
      );
      const destination = list<{ type: string; destination: string }>(event.destinationList);
      const receiver = destination.find((d) => d.type === 'owning_party')?.destination;
      const to = locations.get(destination.find((d) => d.type === 'location')?.destination ?? '');
      if (where !== undefined && to !== undefined && where.country !== to.country) r.crossBorder++;
      for (const q of quantities) {
        const lot = r.lots.get(q.epcClass);
        if (lot === undefined) {
          fail(event, `unknown lot shipped ${q.epcClass}`);
          continue;
        }
        if (lot.status !== 'held' || lot.holder !== where?.party || lot.holder !== source?.source) {
          fail(event, `${lot.id} shipped by a party that does not hold it`);
        }
        if (mg(q) > lot.remainingMg) fail(event, `${lot.id} ships more than remains`);
        lot.status = 'in-transit';
        if (receiver !== undefined) lot.inTransitTo = receiver;
      }
    } else if (event.type === 'ObjectEvent' && event.bizStep === 'receiving') {
      for (const q of quantities) {
        const lot = r.lots.get(q.epcClass);
        if (lot === undefined || where === undefined) {
          fail(event, `unknown lot or location at receiving ${q.epcClass}`);
          continue;
        }
        if (lot.status !== 'in-transit' || lot.inTransitTo !== where.party) {
          fail(event, `${lot.id} received by a party it was not shipped to, or not in transit`);
        }
        lot.status = 'held';
        lot.holder = where.party;
      }
    } else if (event.type === 'ObjectEvent' && event.bizStep === 'transporting') {
      for (const q of quantities) {
        if (r.lots.get(q.epcClass)?.status !== 'in-transit')
          fail(event, `${q.epcClass} transported while not in transit`);
      }
    } else {
      // Packing and purchase orders name lots their capturer holds, at its own location.
      for (const q of [...quantities, ...list<Quantity>(event.childQuantityList)]) {
        const lot = r.lots.get(q.epcClass);
        if (lot !== undefined && (lot.holder !== where?.party || lot.status !== 'held')) {
          fail(event, `${lot.id} observed by a party that does not hold it`);
        }
      }
    }
  }
  return r;
}

describe('generateWorld', () => {
  const small = collect({ events: 3000, seed: 'alpha', eventsPerDocument: 500 });

  it('is deterministic: same seed, same bytes; another seed, another world', () => {
    const again = collect({ events: 3000, seed: 'alpha', eventsPerDocument: 500 });
    expect(JSON.stringify(again.documents)).toBe(JSON.stringify(small.documents));
    const other = collect({ events: 3000, seed: 'beta', eventsPerDocument: 500 });
    expect(JSON.stringify(other.documents)).not.toBe(JSON.stringify(small.documents));
    const numeric = collect({ events: 200, seed: 7 });
    expect(JSON.stringify(collect({ events: 200, seed: 7 }).documents)).toBe(
      JSON.stringify(numeric.documents),
    );
  });

  it.each([
    [1, 1000],
    [999, 1000],
    [1000, 1000],
    [1001, 1000],
    [4321, 250],
    [10_000, 3333],
  ])('emits exactly %i events in documents of %i', (events, perDocument) => {
    const { documents, summary } = collect({ events, seed: 1, eventsPerDocument: perDocument });
    const sizes = documents.map((document) => document.epcisBody.eventList.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(events);
    expect(sizes.slice(0, -1).every((size) => size === perDocument)).toBe(true);
    expect(sizes.at(-1)).toBeLessThanOrEqual(perDocument);
    expect(documents.length).toBe(Math.ceil(events / perDocument));
    expect(summary.events).toBe(events);
  });

  it('emits one document with master data and no events for a world of 0 events', () => {
    const { documents } = collect({ events: 0, seed: 1 });
    expect(documents).toHaveLength(1);
    expect(documents[0]?.epcisBody.eventList).toHaveLength(0);
    expect(documents[0]?.epcisHeader).toBeDefined();
  });

  it('puts all parties and locations in the first header only', () => {
    const roster = worldSummary('alpha');
    const vocabularies = small.documents[0]?.epcisHeader?.epcisMasterData.vocabularyList ?? [];
    const ids = vocabularies.flatMap((v) => list<{ id: string }>(v.vocabularyElementList).map((e) => e.id));
    for (const party of roster.parties) expect(ids).toContain(party.id);
    for (const location of roster.locations) expect(ids).toContain(location.id);
    expect(small.documents.slice(1).every((document) => document.epcisHeader === undefined)).toBe(true);
    for (const location of roster.locations) {
      expect(roster.parties.some((party) => party.id === location.partyId)).toBe(true);
    }
    expect(Object.keys(roster.mines)).toEqual(
      expect.arrayContaining(['Bayan Obo mine', 'Mountain Pass mine', 'Mount Weld mine']),
    );
  });

  it('keeps event times strictly increasing across documents, from the start time', () => {
    const times = eventsOf(small.documents).map((event) => Date.parse(String(event.eventTime)));
    expect(times[0]).toBeGreaterThan(Date.parse('2025-01-01T00:00:00Z'));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] as number);
    for (const event of eventsOf(small.documents)) {
      expect(new Date(Date.parse(String(event.eventTime))).toISOString()).toBe(event.eventTime);
    }
    const shifted = collect({ events: 50, seed: 'alpha', startTime: '2030-06-01T00:00:00Z' });
    expect(String(eventsOf(shifted.documents)[0]?.eventTime).startsWith('2030-06')).toBe(true);
  });

  it('rejects impossible options', () => {
    expect(() => collect({ events: -1, seed: 1 })).toThrow(RangeError);
    expect(() => collect({ events: 10, seed: 1, eventsPerDocument: 0 })).toThrow(RangeError);
    expect(() => collect({ events: 10, seed: 1, eventsPerDocument: 200_000 })).toThrow(RangeError);
  });
});

describe('the generated world follows the ledger rules', () => {
  const world = collect({ events: 40_000, seed: 'rules' });
  const r = replay(world.documents);

  it('balances every transformation per element, never over-consumes, and keeps custody', () => {
    expect(r.violations).toEqual([]);
    expect(r.transformations).toBeGreaterThan(2000);
    expect(r.shipments).toBeGreaterThan(3000);
  });

  it('uses every EPCIS event type and every process along the ladder', () => {
    expect(Object.keys(world.summary.eventsByType).sort()).toEqual([
      'AggregationEvent',
      'AssociationEvent',
      'ObjectEvent',
      'TransactionEvent',
      'TransformationEvent',
    ]);
    const processes = new Set([...r.lots.values()].map((lot) => lot.process).filter((p) => p !== undefined));
    expect([...processes].sort()).toEqual([
      'alloying',
      'beneficiation',
      'component-assembly',
      'cracking',
      'magnet-making',
      'metal-making',
      'product-assembly',
      'separation',
    ]);
    const forms = new Set([...r.lots.values()].map((lot) => lot.form));
    for (const form of ['ore', 'concentrate', 'mixed-compound', 'separated-oxide', 'metal', 'alloy']) {
      expect(forms).toContain(form);
    }
    for (const form of [
      'magnet-sintered-ndfeb',
      'magnet-smco',
      'component',
      'product',
      'feedstock-other',
      'scrap',
    ]) {
      expect(forms).toContain(form);
    }
  });

  it('ships across borders with GPS tracks', () => {
    expect(r.crossBorder).toBeGreaterThan(100);
    expect(r.gpsEvents).toBeGreaterThan(1000);
  });

  it('has realistic chemistry: NdPr oxide and NdFeB magnets', () => {
    const ndpr = [...r.lots.values()].find((lot) => lot.id.includes('.OX-NDPR-'));
    const nd = ndpr?.composition.Nd ?? 0;
    const pr = ndpr?.composition.Pr ?? 0;
    expect(nd + pr).toBeGreaterThan(0.8); // the rest is oxygen
    expect(nd + pr).toBeLessThan(0.87);
    const magnet = [...r.lots.values()].find((lot) => lot.form === 'magnet-sintered-ndfeb');
    const c = magnet?.composition ?? {};
    const rare = (c.Nd ?? 0) + (c.Pr ?? 0) + (c.Dy ?? 0) + (c.Tb ?? 0);
    expect(rare).toBeGreaterThan(0.28);
    expect(rare).toBeLessThan(0.33);
    expect(c.B ?? 0).toBeGreaterThan(0.009);
    expect(c.B ?? 0).toBeLessThan(0.011);
    expect(c.Fe ?? 0).toBeGreaterThan(0.6);
  });

  it('follows the public shares: China mines most, separates ~90 % and makes >90 % of magnets', () => {
    const share = (map: Map<string, number>, country: string): number => {
      let total = 0;
      for (const value of map.values()) total += value;
      return (map.get(country) ?? 0) / total;
    };
    expect(share(r.mining, 'CN')).toBeGreaterThan(0.55);
    expect(share(r.mining, 'CN')).toBeLessThan(0.8);
    expect(share(r.separation, 'CN')).toBeGreaterThan(0.8);
    expect(share(r.magnets, 'CN')).toBeGreaterThan(0.85);
    for (const country of ['US', 'MM', 'AU']) expect(r.mining.has(country)).toBe(true);
    for (const country of ['MY']) expect(r.separation.has(country)).toBe(true);
  });

  it('names magnet lots with genealogy from a mine down to a finished product', () => {
    const ids = magnetLotIds({ events: 40_000, seed: 'rules', count: 5 });
    expect(ids).toHaveLength(5);
    expect(world.summary.tracedMagnetLots.slice(0, 5)).toEqual(ids);
    for (const id of ids) {
      const magnet = r.lots.get(id);
      expect(magnet?.form.startsWith('magnet')).toBe(true);
      // Downstream: magnet → component → product.
      const components = (magnet?.children ?? []).map((child) => r.lots.get(child));
      expect(components.some((c) => c?.form === 'component')).toBe(true);
      const products = components.flatMap((c) => c?.children ?? []).map((child) => r.lots.get(child));
      expect(products.some((p) => p?.form === 'product')).toBe(true);
      // Upstream: back to ore mined at a mine, through every rung.
      const forms = new Set<string>();
      const stack = [...(magnet?.parents ?? [])];
      const seen = new Set<string>();
      while (stack.length > 0) {
        const lot = r.lots.get(stack.pop() as string);
        if (lot === undefined || seen.has(lot.id)) continue;
        seen.add(lot.id);
        forms.add(lot.form);
        stack.push(...lot.parents);
      }
      for (const form of ['alloy', 'metal', 'separated-oxide', 'mixed-compound', 'concentrate', 'ore']) {
        expect(forms).toContain(form);
      }
    }
  });
});

describe('EPCIS validity', () => {
  it('every generated document validates against the EPCIS 2.0 validator', async () => {
    const module: Record<string, unknown> = await import('../epcis/index.js').catch(() => ({}));
    const validate = module.validateDocument;
    if (typeof validate !== 'function') {
      console.warn('src/epcis/index.ts does not export validateDocument: skipping EPCIS validation');
      return;
    }
    for (const document of collect({ events: 12_000, seed: 'valid', eventsPerDocument: 2000 }).documents) {
      // Through JSON, as a client would send it.
      expect(() => validate(JSON.parse(JSON.stringify(document)))).not.toThrow();
    }
  });
});
