import type { EventType } from './types.js';

/**
 * Our JSON schema for EPCIS 2.0 events and documents, written from EPCIS 2.0 §7 (data definitions) and §9
 * (JSON binding). It follows the structure of the official schema but is built for per-event validation
 * with exact error locations: no `anyOf`/`if` branches whose failures would bury the one real fault in noise.
 * Rules that would need such branches (which field names an event may carry, vocabulary terms, "what"
 * dimension present, ilmd only on ADD) are checked in code by `validate.ts`, which reports them one by one.
 *
 * Schemas are plain JSON values so Ajv compiles them once at module load.
 */

type Schema = Record<string, unknown>;

const uri: Schema = { type: 'string', format: 'uri' };
const time: Schema = { type: 'string', format: 'date-time' };
const decimal: Schema = { type: 'number' };
/** A vocabulary value: its term or URI is checked against the CBV in code (validate.ts). */
const vocab: Schema = { type: 'string', minLength: 1 };

/** EPCIS 2.0 §7.3.3: instance identifiers. */
const epcList: Schema = { type: 'array', items: uri, uniqueItems: true };

/** EPCIS 2.0 §7.3.3.3 QuantityElement; unknown keys are refused (the official schema does the same). */
const quantityElement: Schema = {
  type: 'object',
  required: ['epcClass'],
  properties: {
    epcClass: uri,
    quantity: decimal,
    // UN/ECE Recommendation 20 common code (EPCIS 2.0 §7.3.3.3).
    uom: { type: 'string', pattern: '^[A-Z0-9]{2,3}$' },
  },
  additionalProperties: false,
};
const quantityList: Schema = { type: 'array', items: quantityElement };

/** EPCIS 2.0 §7.3.4 readPoint / bizLocation: an id plus extensions. */
const locationRef: Schema = { type: 'object', required: ['id'], properties: { id: uri } };

/** EPCIS 2.0 §7.3.5.3 business transactions. */
const bizTransactionList: Schema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['bizTransaction'],
    properties: { type: vocab, bizTransaction: uri },
    additionalProperties: false,
  },
};

/** EPCIS 2.0 §7.3.5.4 sources and destinations. */
const sourceList: Schema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['type', 'source'],
    properties: { type: vocab, source: uri },
    additionalProperties: false,
  },
};
const destinationList: Schema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['type', 'destination'],
    properties: { type: vocab, destination: uri },
    additionalProperties: false,
  },
};

/** EPCIS 2.0 §7.3.6 sensor data. */
const sensorMetadata: Schema = {
  type: 'object',
  properties: {
    time,
    startTime: time,
    endTime: time,
    deviceID: uri,
    deviceMetadata: uri,
    rawData: uri,
    dataProcessingMethod: uri,
    bizRules: uri,
  },
};
const sensorReport: Schema = {
  type: 'object',
  required: ['type'],
  properties: {
    type: vocab,
    exception: vocab,
    deviceID: uri,
    deviceMetadata: uri,
    rawData: uri,
    dataProcessingMethod: uri,
    bizRules: uri,
    time,
    microorganism: uri,
    chemicalSubstance: uri,
    coordinateReferenceSystem: uri,
    value: decimal,
    component: vocab,
    stringValue: { type: 'string' },
    booleanValue: { type: 'boolean' },
    hexBinaryValue: { type: 'string', pattern: '^[A-Fa-f0-9]+$' },
    uriValue: uri,
    minValue: decimal,
    maxValue: decimal,
    meanValue: decimal,
    sDev: decimal,
    percRank: decimal,
    percValue: decimal,
    uom: { type: 'string' },
  },
};
const sensorElementList: Schema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['sensorReport'],
    properties: {
      sensorMetadata,
      sensorReport: { type: 'array', minItems: 1, items: sensorReport },
    },
  },
};

/** EPCIS 2.0 §7.4.1.2: at least one of set/unset, each a non-empty list of dispositions. */
const persistentDisposition: Schema = {
  type: 'object',
  minProperties: 1,
  properties: {
    set: { type: 'array', minItems: 1, uniqueItems: true, items: vocab },
    unset: { type: 'array', minItems: 1, uniqueItems: true, items: vocab },
  },
  additionalProperties: false,
};

/** EPCIS 2.0 §7.4.1.4 error declaration. */
const errorDeclaration: Schema = {
  type: 'object',
  required: ['declarationTime'],
  properties: {
    declarationTime: time,
    reason: vocab,
    correctiveEventIDs: { type: 'array', items: uri },
  },
};

/** JSON-LD context: remote URLs and inline objects (JSON-LD 1.1 §3.1). */
export const contextSchema: Schema = {
  type: ['string', 'object', 'array'],
  format: 'uri',
  items: { type: ['string', 'object'], format: 'uri' },
};

/** Fields every event type may carry (EPCIS 2.0 §7.4.1). */
const common: Schema = {
  '@context': contextSchema,
  type: { type: 'string' },
  eventTime: time,
  recordTime: time,
  // EPCIS 2.0 §7.4.1: an offset between -14:00 and +14:00 (ISO 8601 form).
  eventTimeZoneOffset: { type: 'string', pattern: '^([+]|[-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$' },
  eventID: uri,
  // One URI or a list of them (EPCIS 2.0 §7.4.1 certificationInfo).
  certificationInfo: { type: ['string', 'array'], format: 'uri', items: uri },
  errorDeclaration,
};

const action: Schema = { type: 'string', enum: ['ADD', 'OBSERVE', 'DELETE'] };

const why: Schema = {
  bizStep: vocab,
  disposition: vocab,
  readPoint: locationRef,
  bizLocation: locationRef,
  bizTransactionList,
  sourceList,
  destinationList,
  sensorElementList,
};

function eventSchema(required: readonly string[], properties: Schema): Schema {
  return {
    type: 'object',
    required: ['type', 'eventTime', 'eventTimeZoneOffset', ...required],
    properties: { ...common, ...why, ...properties },
  };
}

/** One schema per event type; field names not listed are checked in code (namespaced extensions only). */
export const eventSchemas: Readonly<Record<EventType, Schema>> = {
  // EPCIS 2.0 §7.4.2.
  ObjectEvent: eventSchema(['action'], {
    action,
    epcList,
    quantityList,
    persistentDisposition,
    ilmd: { type: 'object' },
  }),
  // EPCIS 2.0 §7.4.3.
  AggregationEvent: eventSchema(['action'], {
    action,
    parentID: uri,
    childEPCs: { type: 'array', items: uri },
    childQuantityList: quantityList,
  }),
  // EPCIS 2.0 §7.4.4: a transaction event names at least one business transaction.
  TransactionEvent: eventSchema(['action', 'bizTransactionList'], {
    action,
    parentID: uri,
    epcList: { type: 'array', items: uri },
    quantityList,
    bizTransactionList: { ...bizTransactionList, minItems: 1 },
  }),
  // EPCIS 2.0 §7.4.5: no action.
  TransformationEvent: eventSchema([], {
    inputEPCList: epcList,
    inputQuantityList: quantityList,
    outputEPCList: epcList,
    outputQuantityList: quantityList,
    transformationID: uri,
    persistentDisposition,
    ilmd: { type: 'object' },
  }),
  // EPCIS 2.0 §7.4.6: an association always names its parent.
  AssociationEvent: eventSchema(['action', 'parentID'], {
    action,
    parentID: uri,
    childEPCs: { type: 'array', items: uri },
    childQuantityList: quantityList,
  }),
};

/** The field names each event type defines (EPCIS 2.0 §7.4.2-§7.4.6); anything else must be namespaced. */
export const eventFields: Readonly<Record<EventType, ReadonlySet<string>>> = Object.fromEntries(
  Object.entries(eventSchemas).map(([type, schema]) => [
    type,
    new Set(Object.keys((schema as { properties: Schema }).properties)),
  ]),
) as unknown as Record<EventType, ReadonlySet<string>>;

/** EPCIS 2.0 §9.3 EPCISDocument envelope (events are validated one by one). */
export const documentSchema: Schema = {
  type: 'object',
  required: ['@context', 'type', 'schemaVersion', 'creationDate', 'epcisBody'],
  properties: {
    '@context': contextSchema,
    id: uri,
    type: { const: 'EPCISDocument' },
    schemaVersion: { type: 'string', pattern: '^\\d+(\\.\\d+)*$' },
    creationDate: time,
    instanceIdentifier: { type: 'string' },
    sender: { type: 'string' },
    receiver: { type: 'string' },
    epcisHeader: { type: 'object' },
    epcisBody: {
      type: 'object',
      required: ['eventList'],
      // Events are validated one by one (validate.ts) so each fault carries its event index.
      properties: { eventList: { type: 'array' } },
    },
  },
};

/** EPCIS 2.0 §9.4 / REST bindings EPCISQueryDocument envelope. */
export const queryDocumentSchema: Schema = {
  type: 'object',
  required: ['@context', 'type', 'epcisBody'],
  properties: {
    '@context': contextSchema,
    id: uri,
    type: { const: 'EPCISQueryDocument' },
    schemaVersion: { type: 'string', pattern: '^\\d+(\\.\\d+)*$' },
    creationDate: time,
    epcisBody: {
      type: 'object',
      required: ['queryResults'],
      properties: {
        queryResults: {
          type: 'object',
          required: ['queryName', 'resultsBody'],
          properties: {
            queryName: { type: 'string' },
            subscriptionID: { type: 'string' },
            resultsBody: {
              type: 'object',
              required: ['eventList'],
              properties: {
                eventList: { type: 'array' },
                vocabularyList: { type: 'array' },
              },
            },
          },
        },
      },
    },
  },
};

/** Top-level field names of the two documents; other names must be namespaced (EPCIS 2.0 §9.3). */
export const documentFields: ReadonlySet<string> = new Set(Object.keys(documentSchema.properties as Schema));
export const queryDocumentFields: ReadonlySet<string> = new Set(
  Object.keys(queryDocumentSchema.properties as Schema),
);
