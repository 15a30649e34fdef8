/**
 * A typed view of EPCIS 2.0 events (EPCIS 2.0 §7.4, JSON binding §9). Events are kept losslessly as the JSON
 * objects they arrived as: these interfaces only name the standard fields, and the index signature carries
 * user extensions (namespaced keys, EPCIS 2.0 §7.1.6) untouched, so that the stored event and its hash are
 * computed from exactly what the client sent.
 */

/** One entry of a JSON-LD `@context` array: a remote context URL or an inline context object. */
export type JsonLdContextEntry = string | { readonly [term: string]: unknown };

/** The JSON-LD `@context` of a document or event (JSON-LD 1.1 §3.1). */
export type JsonLdContext = JsonLdContextEntry | readonly JsonLdContextEntry[];

export type EventType =
  | 'ObjectEvent'
  | 'AggregationEvent'
  | 'TransactionEvent'
  | 'TransformationEvent'
  | 'AssociationEvent';

export type Action = 'ADD' | 'OBSERVE' | 'DELETE';

/** EPCIS 2.0 §7.3.3.3 QuantityElement: `quantity` is optional (gs1/EPCIS issue #423), `uom` is UN/ECE rec 20. */
export interface QuantityElement {
  epcClass: string;
  quantity?: number;
  uom?: string;
}

/** EPCIS 2.0 §7.3.5.3.1; `type` is a CBV BizTransactionType (CBV 2.0 §7.3) or a user URI. */
export interface BizTransaction {
  type?: string;
  bizTransaction: string;
}

/** EPCIS 2.0 §7.3.5.4; `type` is a CBV SourceDestType (CBV 2.0 §7.4). */
export interface SourceElement {
  type: string;
  source: string;
}

export interface DestinationElement {
  type: string;
  destination: string;
}

/** readPoint / bizLocation (EPCIS 2.0 §7.3.4): an id plus optional namespaced extensions. */
export interface LocationRef {
  id: string;
  [extension: string]: unknown;
}

/** EPCIS 2.0 §7.3.6.1. */
export interface SensorMetadata {
  time?: string;
  startTime?: string;
  endTime?: string;
  deviceID?: string;
  deviceMetadata?: string;
  rawData?: string;
  dataProcessingMethod?: string;
  bizRules?: string;
  [extension: string]: unknown;
}

/** EPCIS 2.0 §7.3.6.2. */
export interface SensorReport {
  type: string;
  exception?: string;
  deviceID?: string;
  deviceMetadata?: string;
  rawData?: string;
  dataProcessingMethod?: string;
  time?: string;
  microorganism?: string;
  chemicalSubstance?: string;
  value?: number;
  component?: string;
  stringValue?: string;
  booleanValue?: boolean;
  hexBinaryValue?: string;
  uriValue?: string;
  minValue?: number;
  maxValue?: number;
  meanValue?: number;
  sDev?: number;
  percRank?: number;
  percValue?: number;
  uom?: string;
  coordinateReferenceSystem?: string;
  [extension: string]: unknown;
}

export interface SensorElement {
  sensorMetadata?: SensorMetadata;
  sensorReport: SensorReport[];
  [extension: string]: unknown;
}

/** EPCIS 2.0 §7.4.1.2 persistentDisposition: dispositions to set and to clear. */
export interface PersistentDisposition {
  set?: string[];
  unset?: string[];
}

/** EPCIS 2.0 §7.4.1.4 errorDeclaration. */
export interface ErrorDeclaration {
  declarationTime: string;
  reason?: string;
  correctiveEventIDs?: string[];
  [extension: string]: unknown;
}

/**
 * Any of the five EPCIS 2.0 event types. Which fields may appear on which type is enforced by
 * `validateDocument`; this interface is the union of them so the ledger can read any event uniformly.
 */
export interface EpcisEvent {
  type: EventType;
  eventTime: string;
  eventTimeZoneOffset: string;
  recordTime?: string;
  eventID?: string;
  certificationInfo?: string | string[];
  errorDeclaration?: ErrorDeclaration;
  action?: Action;
  epcList?: string[];
  quantityList?: QuantityElement[];
  inputEPCList?: string[];
  inputQuantityList?: QuantityElement[];
  outputEPCList?: string[];
  outputQuantityList?: QuantityElement[];
  childEPCs?: string[];
  childQuantityList?: QuantityElement[];
  parentID?: string;
  transformationID?: string;
  bizStep?: string;
  disposition?: string;
  persistentDisposition?: PersistentDisposition;
  readPoint?: LocationRef;
  bizLocation?: LocationRef;
  bizTransactionList?: BizTransaction[];
  sourceList?: SourceElement[];
  destinationList?: DestinationElement[];
  sensorElementList?: SensorElement[];
  ilmd?: Record<string, unknown>;
  '@context'?: JsonLdContext;
  /** User extensions: namespaced keys (a declared prefix or an absolute IRI). */
  [key: string]: unknown;
}

/** What the capture parsers return: the document as parsed, its context, its events and where they sit. */
export interface EpcisDocumentInput {
  /** The parsed JSON (an EPCISDocument, an EPCISQueryDocument, or a bare event for POST /events). */
  readonly document: Record<string, unknown>;
  /** The text that was parsed (the body, decoded as UTF-8 if it came as bytes). */
  readonly text: string;
  /** The document's `@context` (an empty array when it has none: validation then refuses it). */
  readonly context: JsonLdContext;
  /**
   * The events, in document order, as the very objects inside `document`. The parsers check only the
   * envelope: call `validateDocument(document)` before relying on these types.
   */
  readonly events: EpcisEvent[];
  /** JSON-pointer prefix of event i in the original document, e.g. `/epcisBody/eventList/3`. */
  eventPointer(i: number): string;
}
