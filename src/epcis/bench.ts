/**
 * Micro-benchmark of the capture path: `npx tsx src/epcis/bench.ts [events]`.
 * Builds a document of typical rare-earth supply-chain events (commissioning with ILMD, shipping with parties
 * and transactions, separation transformations with quantities) and times parse, validation and hashing.
 */
import { eventHash } from './hash.js';
import { parseCaptureBody } from './parse.js';
import { validateDocument } from './validate.js';

function makeDocument(n: number): string {
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const lot = `https://id.gs1.org/01/09521234000013/10/CONC-${i}`;
    const time = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
    const kind = i % 3;
    if (kind === 0) {
      events.push({
        type: 'ObjectEvent',
        eventTime: time,
        eventTimeZoneOffset: '+08:00',
        action: 'ADD',
        bizStep: 'commissioning',
        disposition: 'active',
        quantityList: [{ epcClass: lot, quantity: 12000 + i, uom: 'KGM' }],
        readPoint: { id: 'https://id.gs1.org/414/9521234000006' },
        bizLocation: { id: 'https://id.gs1.org/414/9521234000006' },
        ilmd: {
          'ree:composition': { 'ree:Nd2O3': 0.752, 'ree:Pr6O11': 0.241 },
          'ree:originShares': { 'ree:MINE-A': 1 },
        },
      });
    } else if (kind === 1) {
      events.push({
        type: 'ObjectEvent',
        eventTime: time,
        eventTimeZoneOffset: '+08:00',
        action: 'OBSERVE',
        bizStep: 'shipping',
        disposition: 'in_transit',
        quantityList: [{ epcClass: lot, quantity: 12000, uom: 'KGM' }],
        readPoint: { id: 'urn:epc:id:sgln:9521234.00000.0' },
        bizTransactionList: [{ type: 'desadv', bizTransaction: `urn:epcglobal:cbv:bt:9521234000006:D${i}` }],
        sourceList: [{ type: 'owning_party', source: 'https://id.gs1.org/417/9521234000006' }],
        destinationList: [{ type: 'owning_party', destination: 'https://id.gs1.org/417/9521234000013' }],
      });
    } else {
      events.push({
        type: 'TransformationEvent',
        eventTime: time,
        eventTimeZoneOffset: '+08:00',
        transformationID: `https://id.gs1.org/253/9521234000006SEP${i}`,
        inputQuantityList: [{ epcClass: lot, quantity: 12000, uom: 'KGM' }],
        outputQuantityList: [
          { epcClass: `https://id.gs1.org/01/09521234000020/10/NDPR-${i}`, quantity: 3100, uom: 'KGM' },
          { epcClass: `https://id.gs1.org/01/09521234000037/10/TAIL-${i}`, quantity: 8700, uom: 'KGM' },
        ],
        bizStep: 'commissioning',
        disposition: 'active',
        readPoint: { id: 'https://id.gs1.org/414/9521234000006' },
        ilmd: { 'ree:chainOfCustodyModel': 'mass_balance' },
      });
    }
  }
  return JSON.stringify({
    '@context': [
      'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      { ree: 'https://raretrace.dev/ns/ree/' },
    ],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-01-01T00:00:00Z',
    epcisBody: { eventList: events },
  });
}

function time(label: string, n: number, rounds: number, run: () => void): number {
  for (let r = 0; r < 3; r++) run(); // warm-up: JIT and caches
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) run();
  const us = Number(process.hrtime.bigint() - start) / 1000 / rounds / n;
  console.log(
    `${label.padEnd(28)} ${us.toFixed(2)} µs/event  (${Math.round(1e6 / us).toLocaleString('en')} events/s)`,
  );
  return us;
}

const n = Number(process.argv[2] ?? 1000);
const body = makeDocument(n);
const input = parseCaptureBody(body);
console.log(`${n} events, ${body.length.toLocaleString('en')} bytes`);
time('parseCaptureBody', n, 50, () => parseCaptureBody(body));
time('validateDocument', n, 50, () => validateDocument(input.document));
time('eventHash (cold value cache)', n, 1, () => {
  // A fresh context object gives a fresh cache: the worst case, every identifier normalised anew.
  const ctx = [...(input.context as unknown[])] as typeof input.context;
  for (const e of input.events) eventHash(e, ctx);
});
time('eventHash', n, 50, () => {
  for (const e of input.events) eventHash(e, input.context);
});
time('parse + validate + hash', n, 20, () => {
  const doc = parseCaptureBody(body);
  validateDocument(doc.document);
  for (const e of doc.events) eventHash(e, doc.context);
});
