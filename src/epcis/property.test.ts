import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isProblem } from '../core/errors.js';
import { createRandom, type Random } from '../core/prng.js';
import { eventHash } from './hash.js';
import type { EpcisEvent, JsonLdContext } from './types.js';
import { validateDocument } from './validate.js';
import { BIZ_STEPS } from './vocabulary.js';

/**
 * Property tests: random corruptions of valid documents are refused, each with an issue naming the corrupted
 * event; and the event hash does not depend on JSON key order or on the order of unordered lists.
 */

const context: JsonLdContext = [
  'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
  { ree: 'https://raretrace.dev/ns/ree/' },
];

const sgtin = fc.integer({ min: 1, max: 99_999 }).map((n) => `urn:epc:id:sgtin:9521234.012345.${n}`);
const dlLot = fc.integer({ min: 1, max: 99_999 }).map((n) => `https://id.gs1.org/01/09521234000013/10/L${n}`);
const time = fc
  .integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) })
  .map((t) => new Date(t).toISOString());
const quantity = fc.record({
  epcClass: dlLot,
  quantity: fc.double({ min: 0.001, max: 1e6, noNaN: true }),
  uom: fc.constantFrom('KGM', 'TNE', 'GRM'),
});
const step = fc.constantFrom(
  'commissioning',
  'shipping',
  'receiving',
  'sampling',
  'urn:epcglobal:cbv:bizstep:storing',
);

const objectEvent = fc.record({
  type: fc.constant('ObjectEvent'),
  eventTime: time,
  eventTimeZoneOffset: fc.constantFrom('+08:00', '-05:00', '+00:00'),
  action: fc.constant('ADD'),
  epcList: fc.uniqueArray(sgtin, { minLength: 1, maxLength: 6 }),
  quantityList: fc.array(quantity, { maxLength: 3 }),
  bizStep: step,
  readPoint: fc.constant({ id: 'urn:epc:id:sgln:9521234.00000.0' }),
  ilmd: fc.constant({ 'ree:composition': { 'ree:Nd2O3': 0.75, 'ree:Pr6O11': 0.24 } }),
});
const aggregationEvent = fc.record({
  type: fc.constant('AggregationEvent'),
  eventTime: time,
  eventTimeZoneOffset: fc.constant('+01:00'),
  action: fc.constantFrom('ADD', 'OBSERVE'),
  parentID: fc.constant('urn:epc:id:sscc:9521234.0000000001'),
  childEPCs: fc.uniqueArray(sgtin, { minLength: 1, maxLength: 5 }),
  bizStep: fc.constant('packing'),
});
const transactionEvent = fc.record({
  type: fc.constant('TransactionEvent'),
  eventTime: time,
  eventTimeZoneOffset: fc.constant('+01:00'),
  action: fc.constant('ADD'),
  epcList: fc.uniqueArray(sgtin, { minLength: 1, maxLength: 5 }),
  bizTransactionList: fc.constant([{ type: 'po', bizTransaction: 'https://example.com/po/1' }]),
  sourceList: fc.constant([
    { type: 'owning_party', source: 'https://id.gs1.org/417/9521234000006' },
    { type: 'possessing_party', source: 'https://id.gs1.org/417/9521234000006' },
  ]),
});
const transformationEvent = fc.record({
  type: fc.constant('TransformationEvent'),
  eventTime: time,
  eventTimeZoneOffset: fc.constant('+08:00'),
  inputQuantityList: fc.array(quantity, { minLength: 1, maxLength: 3 }),
  outputQuantityList: fc.array(quantity, { minLength: 1, maxLength: 3 }),
  bizStep: fc.constant('commissioning'),
  readPoint: fc.constant({ id: 'https://id.gs1.org/414/9521234000006' }),
});
const associationEvent = fc.record({
  type: fc.constant('AssociationEvent'),
  eventTime: time,
  eventTimeZoneOffset: fc.constant('+00:00'),
  action: fc.constant('ADD'),
  parentID: fc.constant('urn:epc:id:grai:9521234.00001.7'),
  childEPCs: fc.uniqueArray(sgtin, { minLength: 1, maxLength: 3 }),
});
const anyEvent = fc.oneof(
  objectEvent,
  aggregationEvent,
  transactionEvent,
  transformationEvent,
  associationEvent,
);

function documentOf(events: Record<string, unknown>[]): Record<string, unknown> {
  return {
    '@context': context,
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-01-01T00:00:00Z',
    epcisBody: { eventList: events },
  };
}

type Corruption = (e: Record<string, unknown>, rnd: Random) => boolean;

/** Each corruption edits one event in place and says whether it applied to that event type. */
const corruptions: Record<string, Corruption> = {
  'delete eventTime': (e) => delete e.eventTime,
  'delete eventTimeZoneOffset': (e) => delete e.eventTimeZoneOffset,
  'delete action': (e) => e.type !== 'TransformationEvent' && delete e.action,
  'eventTime of the wrong type': (e) => {
    e.eventTime = 1_700_000_000;
    return true;
  },
  'eventTime not a date-time': (e) => {
    e.eventTime = '03/04/2026';
    return true;
  },
  'action not an action': (e) => {
    if (e.type === 'TransformationEvent') return false;
    e.action = 'CREATE';
    return true;
  },
  'non-standard bare bizStep': (e, rnd) => {
    const words = ['transforming', 'smelting', 'refining', 'mining', 'xfer'];
    const w = rnd.pick(words);
    if (BIZ_STEPS.has(w)) return false;
    e.bizStep = w;
    return true;
  },
  'bizStep in the CBV namespace but not a step': (e) => {
    e.bizStep = 'https://ref.gs1.org/cbv/BizStep-smelting';
    return true;
  },
  'non-URI readPoint id': (e) => {
    e.readPoint = { id: 'warehouse 7' };
    return true;
  },
  'non-URI parentID': (e) => {
    if (e.type === 'TransformationEvent' || e.type === 'ObjectEvent') return false;
    e.parentID = 'pallet 12';
    return true;
  },
  'epcList item not a URI': (e) => {
    for (const list of ['epcList', 'childEPCs']) {
      const v = e[list];
      if (Array.isArray(v) && v.length > 0) {
        v[0] = 'not a uri';
        return true;
      }
    }
    return false;
  },
  'quantity as text': (e) => {
    for (const list of ['quantityList', 'inputQuantityList', 'outputQuantityList']) {
      const v = e[list];
      if (Array.isArray(v) && v.length > 0) {
        (v[0] as Record<string, unknown>).quantity = 'twenty';
        return true;
      }
    }
    return false;
  },
  'un-namespaced extension field': (e) => {
    e.materialType = 'soil';
    return true;
  },
  'extension with an undeclared prefix': (e) => {
    e['zz:materialType'] = 'soil';
    return true;
  },
  'persistentDisposition where not allowed': (e) => {
    if (e.type === 'ObjectEvent' || e.type === 'TransformationEvent') return false;
    e.persistentDisposition = { set: ['recalled'] };
    return true;
  },
  'non-standard source type': (e) => {
    e.sourceList = [{ type: 'place', source: 'https://id.gs1.org/417/9521234000006' }];
    return true;
  },
};
const corruptionNames = Object.keys(corruptions);

function issuesOf(doc: unknown): { eventIndex?: number; field?: string }[] {
  try {
    validateDocument(doc);
    return [];
  } catch (err) {
    if (!isProblem(err)) throw err;
    return [...err.issues];
  }
}

describe('validation properties', () => {
  it('accepts generated valid documents', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { minLength: 1, maxLength: 6 }), (events) => {
        expect(issuesOf(documentOf(events))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects every corruption with an issue naming the corrupted event and a field inside it', () => {
    fc.assert(
      fc.property(
        fc.array(anyEvent, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.constantFrom(...corruptionNames),
        fc.integer(),
        (events, pick, name, seed) => {
          const index = pick % events.length;
          const target = events[index]!;
          const corrupt = corruptions[name]!;
          fc.pre(corrupt(target, createRandom(seed)));
          const issues = issuesOf(documentOf(events));
          const prefix = `/epcisBody/eventList/${index}/`;
          const hit = issues.filter((i) => i.eventIndex === index && i.field?.startsWith(prefix));
          expect(hit.length, `${name} on event ${index}: ${JSON.stringify(issues)}`).toBeGreaterThan(0);
          // Faults are attributed to the event that has them, and to no other.
          expect(issues.every((i) => i.eventIndex === undefined || i.eventIndex === index)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** A deep copy with every object's keys in a random order and every list shuffled. */
function shuffleDeep(v: unknown, rnd: Random, shuffleLists: boolean): unknown {
  if (Array.isArray(v)) {
    const items = v.map((x) => shuffleDeep(x, rnd, shuffleLists));
    if (shuffleLists) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = rnd.int(0, i);
        [items[i], items[j]] = [items[j], items[i]];
      }
    }
    return items;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i > 0; i--) {
      const j = rnd.int(0, i);
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = shuffleDeep((v as Record<string, unknown>)[k], rnd, shuffleLists);
    return out;
  }
  return v;
}

describe('event hash properties', () => {
  it('is invariant under key order and under permutations of epcList and other unordered lists', () => {
    fc.assert(
      fc.property(anyEvent, fc.integer(), (event, seed) => {
        const withExtensions = { ...event, 'ree:note': { 'ree:b': 2, 'ree:a': [3, 1, 2] } };
        const before = eventHash(withExtensions as EpcisEvent, context);
        const shuffled = shuffleDeep(withExtensions, createRandom(seed), true) as EpcisEvent;
        expect(eventHash(shuffled, context)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it('changes when an EPC is added or replaced', () => {
    fc.assert(
      fc.property(objectEvent, sgtin, (event, extra) => {
        fc.pre(!event.epcList.includes(extra));
        const before = eventHash(event as EpcisEvent, context);
        expect(eventHash({ ...event, epcList: [...event.epcList, extra] } as EpcisEvent, context)).not.toBe(
          before,
        );
        expect(
          eventHash({ ...event, epcList: [extra, ...event.epcList.slice(1)] } as EpcisEvent, context),
        ).not.toBe(before);
      }),
      { numRuns: 200 },
    );
  });

  it('is the same for an EPC URN and its Digital Link', () => {
    const base = {
      type: 'ObjectEvent',
      eventTime: '2026-01-01T00:00:00Z',
      eventTimeZoneOffset: '+00:00',
      action: 'OBSERVE',
    };
    const urn = eventHash({ ...base, epcList: ['urn:epc:id:sgtin:9521234.012345.7'] } as EpcisEvent, context);
    const dl = eventHash(
      { ...base, epcList: ['https://example.com/01/09521234123453/21/7?linkType=all'] } as EpcisEvent,
      context,
    );
    expect(dl).toBe(urn);
  });
});
