/**
 * A small, hand-built supply chain as EPCIS 2.0 documents with the ree: extension, for ledger tests:
 * a Chinese mine, a Chinese separator, a Japanese magnet maker.
 */
import type { Licence } from '../../src/controls/licence-types.js';
export const NS = 'https://raretrace.dev/ns/ree/v1#';
export const context = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { ree: NS }];

export const party = {
  miner: 'urn:epc:id:pgln:0614141.00001',
  separator: 'urn:epc:id:pgln:0614141.00002',
  magnetMaker: 'urn:epc:id:pgln:4901234.00003',
};
export const place = {
  mine: 'urn:epc:id:sgln:0614141.00001.0',
  separation: 'urn:epc:id:sgln:0614141.00002.0',
  magnets: 'urn:epc:id:sgln:4901234.00003.0',
};
export const lot = (name: string): string => `urn:epc:class:lgtin:0614141.000010.${name}`;

type Json = Record<string, unknown>;

let clock = Date.parse('2025-03-01T00:00:00Z');
export function resetClock(): void {
  clock = Date.parse('2025-03-01T00:00:00Z');
}
function nextTime(): string {
  clock += 3_600_000;
  return new Date(clock).toISOString();
}

export function document(events: Json[], options: { masterData?: boolean } = {}): Json {
  const doc: Json = {
    '@context': context,
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2025-03-01T00:00:00Z',
    epcisBody: { eventList: events },
  };
  if (options.masterData === true) doc.epcisHeader = { epcisMasterData: { vocabularyList: masterData() } };
  return doc;
}

const attr = (id: string, attribute: unknown) => ({ id: `ree:${id}`, attribute });

export function masterData(): Json[] {
  return [
    {
      type: 'urn:epcglobal:epcis:vtype:Party',
      vocabularyElementList: [
        {
          id: party.miner,
          attributes: [attr('name', 'Test Mining Co'), attr('country', 'CN'), attr('roles', 'miner')],
        },
        {
          id: party.separator,
          attributes: [
            attr('name', 'Test Separation Co'),
            attr('country', 'CN'),
            attr('roles', 'separator metal-maker'),
          ],
        },
        {
          id: party.magnetMaker,
          attributes: [attr('name', 'Test Magnets KK'), attr('country', 'JP'), attr('roles', 'magnet-maker')],
        },
      ],
    },
    {
      type: 'urn:epcglobal:epcis:vtype:BusinessLocation',
      vocabularyElementList: [
        {
          id: place.mine,
          attributes: [
            attr('name', 'Test mine'),
            attr('kind', 'mine'),
            attr('country', 'CN'),
            attr('party', party.miner),
            attr('lat', 41.8),
            attr('lon', 109.97),
          ],
        },
        {
          id: place.separation,
          attributes: [
            attr('name', 'Test separation plant'),
            attr('kind', 'plant'),
            attr('country', 'CN'),
            attr('party', party.separator),
          ],
        },
        {
          id: place.magnets,
          attributes: [
            attr('name', 'Test magnet plant'),
            attr('kind', 'plant'),
            attr('country', 'JP'),
            attr('party', party.magnetMaker),
          ],
        },
      ],
    },
  ];
}

export function commission(
  id: string,
  kg: number,
  composition: Record<string, number>,
  options: { value?: string; at?: string; form?: string } = {},
): Json {
  return {
    type: 'ObjectEvent',
    eventTime: nextTime(),
    eventTimeZoneOffset: '+08:00',
    action: 'ADD',
    bizStep: 'commissioning',
    disposition: 'active',
    readPoint: { id: options.at ?? place.mine },
    bizLocation: { id: options.at ?? place.mine },
    quantityList: [{ epcClass: id, quantity: kg, uom: 'KGM' }],
    ilmd: {
      'ree:lots': [
        {
          epcClass: id,
          form: options.form ?? 'concentrate',
          composition,
          ...(options.value === undefined ? {} : { value: { amount: options.value, currency: 'USD' } }),
        },
      ],
    },
  };
}

export function ship(id: string, from: string, to: string, kg?: number): Json {
  return {
    type: 'ObjectEvent',
    eventTime: nextTime(),
    eventTimeZoneOffset: '+00:00',
    action: 'OBSERVE',
    bizStep: 'shipping',
    disposition: 'in_transit',
    readPoint: { id: 'geo:31.2304,121.4737' },
    quantityList: [{ epcClass: id, ...(kg === undefined ? {} : { quantity: kg, uom: 'KGM' }) }],
    sourceList: [{ type: 'owning_party', source: from }],
    destinationList: [{ type: 'owning_party', destination: to }],
  };
}

export function receive(id: string, at: string): Json {
  return {
    type: 'ObjectEvent',
    eventTime: nextTime(),
    eventTimeZoneOffset: '+09:00',
    action: 'OBSERVE',
    bizStep: 'receiving',
    disposition: 'in_progress',
    readPoint: { id: at },
    bizLocation: { id: at },
    quantityList: [{ epcClass: id }],
  };
}

export interface Output {
  id: string;
  kg: number;
  form: string;
  composition: Record<string, number>;
}

export function transform(
  inputs: { id: string; kg: number }[],
  outputs: Output[],
  options: { process?: string; at?: string; lossKg?: number; tolerancePpm?: number } = {},
): Json {
  return {
    type: 'TransformationEvent',
    eventTime: nextTime(),
    eventTimeZoneOffset: '+08:00',
    bizStep: 'commissioning',
    readPoint: { id: options.at ?? place.separation },
    bizLocation: { id: options.at ?? place.separation },
    inputQuantityList: inputs.map((i) => ({ epcClass: i.id, quantity: i.kg, uom: 'KGM' })),
    outputQuantityList: outputs.map((o) => ({ epcClass: o.id, quantity: o.kg, uom: 'KGM' })),
    'ree:process': options.process ?? 'separation',
    ...(options.lossKg === undefined ? {} : { 'ree:declaredLoss': { quantity: options.lossKg, uom: 'KGM' } }),
    ...(options.tolerancePpm === undefined ? {} : { 'ree:tolerancePpm': options.tolerancePpm }),
    ilmd: { 'ree:lots': outputs.map((o) => ({ epcClass: o.id, form: o.form, composition: o.composition })) },
  };
}

/** The standard chain: concentrate mined in CN, shipped to the separator, separated into NdPr oxide. */
export function standardChain(): Json[] {
  resetClock();
  return [
    document(
      [
        commission(
          lot('CONC-1'),
          10_000,
          { Nd: 0.1, Pr: 0.03, Ce: 0.2, La: 0.1, Fe: 0.1 },
          { value: '50000.00' },
        ),
      ],
      { masterData: true },
    ),
    document([ship(lot('CONC-1'), party.miner, party.separator), receive(lot('CONC-1'), place.separation)]),
    document([
      transform(
        [{ id: lot('CONC-1'), kg: 10_000 }],
        [
          { id: lot('NDPR-1'), kg: 1_500, form: 'separated-oxide', composition: { Nd: 0.64, Pr: 0.2 } },
          { id: lot('LACE-1'), kg: 3_500, form: 'mixed-compound', composition: { La: 0.28, Ce: 0.56 } },
        ],
        { lossKg: 5_000 },
      ),
    ]),
  ];
}

/** A Dy concentrate separated into Dy oxide at the CN plant (exportDy then ships it to the JP magnet maker). */
export function dyChain(): Json[] {
  return [
    document([commission(lot('DYCONC'), 1_000, { Dy: 0.05, Y: 0.1, Fe: 0.2 })], { masterData: true }),
    document([
      transform(
        [{ id: lot('DYCONC'), kg: 1_000 }],
        [{ id: lot('DYOX'), kg: 50, form: 'separated-oxide', composition: { Dy: 0.87 } }],
        { lossKg: 950 },
      ),
    ]),
  ];
}

/** The Dy oxide of dyChain shipped from the CN plant to the JP magnet maker, under a licence if one is named. */
export function exportDy(licenceId?: string): Json {
  return document([
    {
      ...ship(lot('DYOX'), party.separator, party.magnetMaker, 50),
      eventTime: '2025-06-02T00:00:00Z',
      bizLocation: { id: place.separation },
      ...(licenceId === undefined ? {} : { 'ree:licence': licenceId }),
    },
  ]);
}

/** A general licence for the Dy export of dyChain, 100 kg to the JP magnet maker (2025-05-01 to 2026-04-30). */
export const dyLicence: Licence = {
  id: 'LIC-DY-1',
  type: 'general',
  status: 'approved',
  holderId: party.separator,
  appliedOn: '2025-04-10',
  validFrom: '2025-05-01',
  validUntil: '2026-04-30',
  limits: {
    controlCodes: [],
    elements: ['Dy'],
    forms: [],
    destinations: ['JP'],
    endUserIds: [party.magnetMaker],
    endUses: ['automotive'],
    quantityMg: 100_000_000, // 100 kg
  },
  usedMg: 0,
  exportsDrawn: 0,
  version: 1,
  history: [{ at: '2025-04-10', action: 'apply', by: 'test' }],
};
