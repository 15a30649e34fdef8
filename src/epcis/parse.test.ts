import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isProblem, type Problem } from '../core/errors.js';
import { limits } from '../core/limits.js';
import { expandTerm } from './context.js';
import { jsonErrorOffset, parseCaptureBody, parseSingleEvent } from './parse.js';
import { validateDocument } from './validate.js';
import { normalizeBizStep } from './vocabulary.js';

function problemOf(run: () => unknown): Problem {
  try {
    run();
  } catch (err) {
    if (isProblem(err)) return err;
    throw err;
  }
  throw new Error('expected a Problem');
}

const ctx = [
  'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
  { ree: 'https://raretrace.dev/ns/ree/' },
];
const event = {
  type: 'ObjectEvent',
  eventTime: '2026-03-01T08:00:00.000+08:00',
  eventTimeZoneOffset: '+08:00',
  action: 'OBSERVE',
  epcList: ['urn:epc:id:sgtin:9521234.012345.1'],
};
const doc = {
  '@context': ctx,
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: '2026-03-01T00:00:00Z',
  epcisBody: { eventList: [event, event] },
};

describe('parseCaptureBody', () => {
  it('returns the events, the context and where each event sits', () => {
    const input = parseCaptureBody(JSON.stringify(doc));
    expect(input.events).toHaveLength(2);
    expect(input.context).toEqual(ctx);
    expect(input.eventPointer(1)).toBe('/epcisBody/eventList/1');
    expect(input.events[0]).toBe((input.document.epcisBody as { eventList: unknown[] }).eventList[0]);
  });

  it('accepts an EPCISQueryDocument and points into its results', () => {
    const query = {
      '@context': ctx,
      type: 'EPCISQueryDocument',
      schemaVersion: '2.0',
      creationDate: '2026-03-01T00:00:00Z',
      epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: [event] } } },
    };
    const input = parseCaptureBody(Buffer.from(JSON.stringify(query)));
    expect(input.events).toHaveLength(1);
    expect(input.eventPointer(0)).toBe('/epcisBody/queryResults/resultsBody/eventList/0');
    validateDocument(input.document);
  });

  it('reports malformed JSON with its position', () => {
    const p = problemOf(() => parseCaptureBody('{"type": "EPCISDocument",\n "epcisBody": }'));
    expect(p.kind).toBe('malformed-json');
    expect(p.extensions.position).toBe(40);
    expect(p.extensions.line).toBe(2);
  });

  it('refuses bodies over the size limit before parsing them', () => {
    const big = Buffer.alloc(limits.maxDocumentBytes + 1, 0x20);
    expect(problemOf(() => parseCaptureBody(big)).kind).toBe('document-too-large');
  });

  it('refuses documents with more events than the limit', () => {
    const many = { ...doc, epcisBody: { eventList: new Array(limits.maxEventsPerDocument + 1).fill(0) } };
    const p = problemOf(() => parseCaptureBody(JSON.stringify(many)));
    expect(p.kind).toBe('too-many-events');
  });

  it('refuses a body without an event list', () => {
    const p = problemOf(() => parseCaptureBody(JSON.stringify({ ...doc, epcisBody: {} })));
    expect(p.kind).toBe('schema-violation');
    expect(p.issues[0]?.field).toBe('/epcisBody/eventList');
  });
});

describe('parseSingleEvent (POST /events)', () => {
  it('takes one event with its own @context', () => {
    const input = parseSingleEvent(JSON.stringify({ '@context': ctx, ...event }));
    expect(input.events).toHaveLength(1);
    expect(input.eventPointer(0)).toBe('');
    validateDocument(input.document);
  });

  it('refuses a bare event without @context, naming the field', () => {
    const input = parseSingleEvent(JSON.stringify(event));
    const p = problemOf(() => validateDocument(input.document));
    expect(p.issues).toContainEqual(expect.objectContaining({ eventIndex: 0, field: '/@context' }));
  });

  it('sends documents to /capture', () => {
    expect(problemOf(() => parseSingleEvent(JSON.stringify(doc))).kind).toBe('schema-violation');
  });
});

describe('validateDocument reports every fault', () => {
  it('lists faults of several events, each with its index and field', () => {
    const bad = structuredClone(doc) as { epcisBody: { eventList: Record<string, unknown>[] } };
    bad.epcisBody.eventList[0]!.bizStep = 'smelting';
    delete bad.epcisBody.eventList[1]!.eventTime;
    bad.epcisBody.eventList[1]!.readPoint = { id: 'not a uri' };
    const p = problemOf(() => validateDocument(bad));
    expect(p.kind).toBe('schema-violation');
    expect(p.issues.map((i) => [i.eventIndex, i.field])).toEqual(
      expect.arrayContaining([
        [0, '/epcisBody/eventList/0/bizStep'],
        [1, '/epcisBody/eventList/1/eventTime'],
        [1, '/epcisBody/eventList/1/readPoint/id'],
      ]),
    );
  });

  it('uses vocabulary-violation when the only faults are non-standard terms', () => {
    const bad = structuredClone(doc) as { epcisBody: { eventList: Record<string, unknown>[] } };
    bad.epcisBody.eventList[1]!.disposition = 'in_transport';
    expect(problemOf(() => validateDocument(bad)).kind).toBe('vocabulary-violation');
  });

  it('accepts the three forms of a CBV term and user-defined URIs, refuses GS1-namespace non-terms', () => {
    for (const bizStep of [
      'shipping',
      'urn:epcglobal:cbv:bizstep:shipping',
      'https://ref.gs1.org/cbv/BizStep-shipping',
      'cbv:BizStep-shipping',
      'https://raretrace.dev/bizstep/smelting',
      'ree:smelting',
    ]) {
      validateDocument({ ...doc, epcisBody: { eventList: [{ ...event, bizStep }] } });
    }
    for (const bizStep of [
      'smelting',
      'urn:epcglobal:cbv:bizstep:smelting',
      'https://ref.gs1.org/cbv/BizStep-smelting',
    ]) {
      const p = problemOf(() =>
        validateDocument({ ...doc, epcisBody: { eventList: [{ ...event, bizStep }] } }),
      );
      expect(p.issues[0]).toMatchObject({
        eventIndex: 0,
        field: '/epcisBody/eventList/0/bizStep',
        rule: 'cbv:bizStep',
      });
    }
  });

  it('requires extension fields to be namespaced, in events and in ilmd', () => {
    const ok = {
      ...event,
      action: 'ADD',
      ilmd: { 'ree:grade': 'A' },
      'ree:note': 'x',
      'https://example.com/x': 1,
    };
    validateDocument({ ...doc, epcisBody: { eventList: [ok] } });
    const bad = { ...event, action: 'ADD', ilmd: { grade: 'A' }, 'zz:note': 'x' };
    const p = problemOf(() => validateDocument({ ...doc, epcisBody: { eventList: [bad] } }));
    expect(p.issues.map((i) => i.field)).toEqual([
      '/epcisBody/eventList/0/zz:note',
      '/epcisBody/eventList/0/ilmd/grade',
    ]);
  });
});

describe('helpers', () => {
  it('normalizeBizStep gives the bare CBV word for standard steps, the URI otherwise', () => {
    expect(normalizeBizStep('urn:epcglobal:cbv:bizstep:shipping')).toBe('shipping');
    expect(normalizeBizStep('https://ref.gs1.org/cbv/BizStep-receiving')).toBe('receiving');
    expect(normalizeBizStep('commissioning')).toBe('commissioning');
    expect(normalizeBizStep('https://raretrace.dev/bizstep/smelting')).toBe(
      'https://raretrace.dev/bizstep/smelting',
    );
  });

  it('expandTerm expands CURIEs and terms with the document context', () => {
    expect(expandTerm('ree:composition', ctx)).toBe('https://raretrace.dev/ns/ree/composition');
    expect(expandTerm('cbvmda:lotNumber', ctx)).toBe('urn:epcglobal:cbv:mda:lotNumber');
    expect(expandTerm('https://example.com/x', ctx)).toBe('https://example.com/x');
    expect(expandTerm('grade', [{ grade: { '@id': 'https://raretrace.dev/ns/ree/grade' } }])).toBe(
      'https://raretrace.dev/ns/ree/grade',
    );
    expect(expandTerm('unknown:thing', ctx)).toBe('unknown:thing');
  });
});

describe('jsonErrorOffset', () => {
  it('finds no error in valid JSON and an offset within a truncated document', () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(), (text, cut) => {
        expect(jsonErrorOffset(text)).toBeUndefined();
        const k = cut % (text.length + 1);
        const truncated = text.slice(0, k);
        let valid = true;
        try {
          JSON.parse(truncated);
        } catch {
          valid = false;
        }
        const offset = jsonErrorOffset(truncated);
        if (valid) expect(offset).toBeUndefined();
        else expect(offset).toBeLessThanOrEqual(k);
      }),
      { numRuns: 500 },
    );
  });

  it('points at the offending character', () => {
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('[1, 2] x')).toBe(7);
    expect(jsonErrorOffset('{"a": "\\q"}')).toBe(7);
  });
});
