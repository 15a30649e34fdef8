/**
 * EPCIS 2.0 capture input for the ledger: parsing with limits, validation (schema, CBV vocabularies,
 * namespaced extensions), the CBV 2.0 §8.9 event hash, and identifier/vocabulary normalisation helpers.
 */
export { expandTerm, prefixMap, STANDARD_PREFIXES } from './context.js';
export { canonicalEpc, gs1CheckDigit } from './digital-link.js';
export { sourceDestParty } from './fields.js';
export { canonicalTimestamp, eventHash, preHashString } from './hash.js';
export { parseCaptureBody, parseSingleEvent } from './parse.js';
export type {
  Action,
  BizTransaction,
  DestinationElement,
  EpcisDocumentInput,
  EpcisEvent,
  ErrorDeclaration,
  EventType,
  JsonLdContext,
  JsonLdContextEntry,
  LocationRef,
  PersistentDisposition,
  QuantityElement,
  SensorElement,
  SensorMetadata,
  SensorReport,
  SourceElement,
} from './types.js';
export { validateDocument } from './validate.js';
export {
  BIZ_STEPS,
  BIZ_TRANSACTION_TYPES,
  COMPONENTS,
  DISPOSITIONS,
  ERROR_REASONS,
  MEASUREMENT_TYPES,
  normalizeBizStep,
  normalizeDisposition,
  SENSOR_ALERT_TYPES,
  SOURCE_DEST_TYPES,
} from './vocabulary.js';
