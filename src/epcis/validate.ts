import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { Problem, type ProblemIssue } from '../core/errors.js';
import { expandWith, extendPrefixMap, isNamespacedKey, type PrefixMap, prefixMap } from './context.js';
import { METADATA_ORDER, REPORT_ORDER } from './hash.js';
import { locateEvents } from './parse.js';
import {
  contextSchema,
  documentFields,
  documentSchema,
  eventFields,
  eventSchemas,
  queryDocumentFields,
  queryDocumentSchema,
} from './schema.js';
import type { EventType, JsonLdContext } from './types.js';
import { classifyVocabulary, type VocabularyKind, vocabularies } from './vocabulary.js';

/**
 * Validation of EPCIS 2.0 capture input: our JSON schema (schema.ts) compiled once by Ajv with format checking
 * on, applied event by event so that every fault names its event index and a JSON pointer, followed by the
 * checks a schema cannot express well: CBV vocabularies (CBV 2.0 §7), namespaced extensions (EPCIS 2.0
 * §7.1.6, §9.2) and the per-type "what" rules (EPCIS 2.0 §7.4).
 */

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

// `allErrors` so one pass reports every fault; `verbose` so messages can quote the offending value.
const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
// Without URI format checking 5 of the 15 OpenEPCIS invalid documents would pass (standards.md).
addFormats(ajv, ['uri', 'date-time']);

const EVENT_TYPES: readonly EventType[] = [
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'TransformationEvent',
  'AssociationEvent',
];
const eventValidators = Object.fromEntries(
  EVENT_TYPES.map((t) => [t, ajv.compile(eventSchemas[t])]),
) as Record<EventType, ValidateFunction>;
const validateEnvelope = ajv.compile(documentSchema);
const validateQueryEnvelope = ajv.compile(queryDocumentSchema);
const validateContext = ajv.compile(contextSchema);
const uriCheck = ajv.compile({ type: 'string', format: 'uri' });
const isUri = (value: string): boolean => uriCheck(value) === true;

/**
 * A bound on the issues one rejection lists, so that a 64 MiB document of broken events cannot make the
 * answer larger than the question. Beyond it the problem says `truncated: true`.
 */
const MAX_ISSUES = 10_000;

const SENSOR_ELEMENT_FIELDS: ReadonlySet<string> = new Set(['sensorMetadata', 'sensorReport']);
const SENSOR_METADATA_FIELDS: ReadonlySet<string> = new Set(METADATA_ORDER);
// bizRules is accepted on a report too, as the GS1 schema allows; the hash handles it as an extra field.
const SENSOR_REPORT_FIELDS: ReadonlySet<string> = new Set([...REPORT_ORDER, 'bizRules']);
const LOCATION_FIELDS: ReadonlySet<string> = new Set(['id']);
const NO_FIELDS: ReadonlySet<string> = new Set();
const ERROR_DECLARATION_FIELDS: ReadonlySet<string> = new Set([
  'declarationTime',
  'reason',
  'correctiveEventIDs',
]);

/** RFC 6901 escaping of one pointer segment. */
function seg(key: string | number): string {
  return typeof key === 'number' ? String(key) : key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function preview(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

class Issues {
  readonly list: ProblemIssue[] = [];
  schemaFaults = 0;
  truncated = false;

  add(issue: ProblemIssue, vocabulary = false): void {
    if (!vocabulary) this.schemaFaults++;
    if (this.list.length >= MAX_ISSUES) {
      this.truncated = true;
      return;
    }
    this.list.push(issue);
  }

  fromAjv(
    errors: readonly ErrorObject[] | null | undefined,
    base: string,
    eventIndex: number | undefined,
  ): void {
    for (const err of errors ?? []) {
      let field = base + err.instancePath;
      const params = err.params as { missingProperty?: string; additionalProperty?: string };
      if (err.keyword === 'required' && params.missingProperty !== undefined) {
        field += `/${seg(params.missingProperty)}`;
      } else if (err.keyword === 'additionalProperties' && params.additionalProperty !== undefined) {
        field += `/${seg(params.additionalProperty)}`;
      }
      let message = err.message ?? 'is invalid';
      if (err.keyword === 'additionalProperties')
        message = `has unknown field '${params.additionalProperty}'`;
      else if (err.keyword !== 'required' && err.data !== undefined) message += ` (got ${preview(err.data)})`;
      const issue: ProblemIssue =
        eventIndex === undefined
          ? { field, rule: `schema:${err.keyword}`, message }
          : { eventIndex, field, rule: `schema:${err.keyword}`, message };
      this.add(issue);
    }
  }
}

/** Per-event checking state: where the event is and which prefixes are in scope. */
interface EventScope {
  readonly issues: Issues;
  readonly index: number;
  readonly base: string;
  readonly prefixes: PrefixMap;
}

function fault(scope: EventScope, field: string, rule: string, message: string, vocabulary = false): void {
  scope.issues.add({ eventIndex: scope.index, field: scope.base + field, rule, message }, vocabulary);
}

/** Extension keys must be namespaced: a declared prefix, a declared term, or an absolute IRI (EPCIS 2.0 §7.1.6). */
function checkKeys(
  scope: EventScope,
  obj: Record<string, unknown>,
  at: string,
  standard: ReadonlySet<string>,
  where: string,
): void {
  for (const key in obj) {
    if (standard.has(key)) continue;
    if (isNamespacedKey(key, scope.prefixes)) continue;
    const colon = key.indexOf(':');
    const message =
      colon > 0
        ? `field '${key}' uses prefix '${key.slice(0, colon)}', which @context does not declare`
        : `'${key}' is not a field of ${where}; extension fields must be namespaced (a prefix declared in @context, or an absolute URI)`;
    fault(scope, `${at}/${seg(key)}`, 'epcis:namespace', message);
  }
}

function checkVocab(scope: EventScope, value: unknown, at: string, kind: VocabularyKind): void {
  if (typeof value !== 'string') return; // a wrong type is already a schema fault
  const expanded = expandWith(value, scope.prefixes) ?? value;
  const verdict = classifyVocabulary(kind, expanded, isUri);
  if (verdict.status === 'invalid') {
    fault(scope, at, `cbv:${kind}`, `${verdict.reason} (${vocabularies[kind].section})`, true);
  }
}

function nonEmpty(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0;
}

/** The "what" dimension and action rules of EPCIS 2.0 §7.4.2-§7.4.6. */
function checkWhat(scope: EventScope, e: Record<string, unknown>, type: EventType): void {
  const action = e.action;
  switch (type) {
    case 'ObjectEvent':
      // §7.4.2: an ObjectEvent names objects (an epcList, even empty, or quantities), or reports sensor data
      // at a read point.
      if (
        !Array.isArray(e.epcList) &&
        !nonEmpty(e.quantityList) &&
        !(nonEmpty(e.sensorElementList) && e.readPoint !== undefined)
      ) {
        fault(
          scope,
          '/epcList',
          'epcis:what',
          'an ObjectEvent needs epcList, a non-empty quantityList, or sensorElementList with readPoint (EPCIS 2.0 §7.4.2)',
        );
      }
      // §7.4.2: instance/lot master data describes objects being created, so only with action ADD.
      if (e.ilmd !== undefined && action !== 'ADD' && typeof action === 'string') {
        fault(
          scope,
          '/ilmd',
          'epcis:ilmd-action',
          `ilmd is only allowed when action is ADD, not ${action} (EPCIS 2.0 §7.4.2)`,
        );
      }
      break;
    case 'AggregationEvent':
    case 'AssociationEvent':
      // §7.4.3 / §7.4.6: children are listed except when the whole aggregation is dissolved (DELETE).
      if (action !== 'DELETE' && !nonEmpty(e.childEPCs) && !nonEmpty(e.childQuantityList)) {
        fault(
          scope,
          '/childEPCs',
          'epcis:what',
          `an ${type} with action ${String(action)} needs childEPCs or childQuantityList (EPCIS 2.0 §7.4.3)`,
        );
      }
      // §7.4.3: parentID may only be omitted when the action is OBSERVE (AssociationEvent: always required,
      // enforced by the schema).
      if (
        type === 'AggregationEvent' &&
        (action === 'ADD' || action === 'DELETE') &&
        e.parentID === undefined
      ) {
        fault(
          scope,
          '/parentID',
          'epcis:what',
          `an AggregationEvent with action ${action} needs parentID (EPCIS 2.0 §7.4.3)`,
        );
      }
      break;
    case 'TransactionEvent':
      // §7.4.4.
      if (action !== 'DELETE' && !Array.isArray(e.epcList) && !nonEmpty(e.quantityList)) {
        fault(
          scope,
          '/epcList',
          'epcis:what',
          'a TransactionEvent needs epcList or quantityList unless action is DELETE (EPCIS 2.0 §7.4.4)',
        );
      }
      break;
    case 'TransformationEvent': {
      // §7.4.5: inputs and outputs, or a transformationID linking this event to others with the rest.
      const input = nonEmpty(e.inputEPCList) || nonEmpty(e.inputQuantityList);
      const output = nonEmpty(e.outputEPCList) || nonEmpty(e.outputQuantityList);
      if (!(input && output) && !(e.transformationID !== undefined && (input || output))) {
        fault(
          scope,
          input ? '/outputEPCList' : '/inputEPCList',
          'epcis:what',
          'a TransformationEvent needs inputs and outputs, or a transformationID with inputs or outputs (EPCIS 2.0 §7.4.5)',
        );
      }
      break;
    }
  }
}

function checkSensors(scope: EventScope, list: unknown): void {
  if (!Array.isArray(list)) return;
  list.forEach((item, j) => {
    if (!isRecord(item)) return;
    const at = `/sensorElementList/${j}`;
    checkKeys(scope, item, at, SENSOR_ELEMENT_FIELDS, 'sensorElement');
    if (isRecord(item.sensorMetadata)) {
      checkKeys(scope, item.sensorMetadata, `${at}/sensorMetadata`, SENSOR_METADATA_FIELDS, 'sensorMetadata');
    }
    if (Array.isArray(item.sensorReport)) {
      item.sensorReport.forEach((report, k) => {
        if (!isRecord(report)) return;
        const rat = `${at}/sensorReport/${k}`;
        checkKeys(scope, report, rat, SENSOR_REPORT_FIELDS, 'sensorReport');
        checkVocab(scope, report.type, `${rat}/type`, 'measurementType');
        if (report.exception !== undefined)
          checkVocab(scope, report.exception, `${rat}/exception`, 'sensorAlertType');
        if (report.component !== undefined)
          checkVocab(scope, report.component, `${rat}/component`, 'component');
      });
    }
  });
}

function checkTypedList(scope: EventScope, list: unknown, name: string): void {
  if (!Array.isArray(list)) return;
  const kind: VocabularyKind = name === 'bizTransactionList' ? 'bizTransactionType' : 'sourceDestType';
  list.forEach((item, j) => {
    if (isRecord(item) && item.type !== undefined) checkVocab(scope, item.type, `/${name}/${j}/type`, kind);
  });
}

function validateEvent(
  issues: Issues,
  event: unknown,
  index: number,
  base: string,
  docPrefixes: PrefixMap,
  docHasContext: boolean,
): void {
  if (!isRecord(event)) {
    issues.add({
      eventIndex: index,
      field: base,
      rule: 'schema:type',
      message: 'an event must be a JSON object',
    });
    return;
  }
  const type = event.type;
  if (typeof type !== 'string' || !Object.hasOwn(eventValidators, type)) {
    issues.add({
      eventIndex: index,
      field: `${base}/type`,
      rule: 'schema:enum',
      message: `type must be one of ${EVENT_TYPES.join(', ')} (got ${preview(type)})`,
    });
    return;
  }
  const eventType = type as EventType;
  const validator = eventValidators[eventType];
  if (validator(event) !== true) issues.fromAjv(validator.errors, base, index);

  const own = event['@context'];
  const prefixes = own === undefined ? docPrefixes : extendPrefixMap(docPrefixes, own);
  const scope: EventScope = { issues, index, base, prefixes };
  if (!docHasContext && own === undefined) {
    // JSON-LD 1.1 §3.1: without a context no term of the event has a meaning (EPCIS 2.0 §9.2).
    fault(
      scope,
      '/@context',
      'schema:required',
      'no @context is in scope for this event (the document has none either)',
    );
  }
  checkKeys(scope, event, '', eventFields[eventType], eventType);
  checkWhat(scope, event, eventType);

  if (event.bizStep !== undefined) checkVocab(scope, event.bizStep, '/bizStep', 'bizStep');
  if (event.disposition !== undefined) checkVocab(scope, event.disposition, '/disposition', 'disposition');
  if (isRecord(event.persistentDisposition)) {
    for (const which of ['set', 'unset'] as const) {
      const values = event.persistentDisposition[which];
      if (Array.isArray(values)) {
        values.forEach((v, j) => {
          checkVocab(scope, v, `/persistentDisposition/${which}/${j}`, 'disposition');
        });
      }
    }
  }
  checkTypedList(scope, event.bizTransactionList, 'bizTransactionList');
  checkTypedList(scope, event.sourceList, 'sourceList');
  checkTypedList(scope, event.destinationList, 'destinationList');
  for (const where of ['readPoint', 'bizLocation'] as const) {
    const loc = event[where];
    if (isRecord(loc)) checkKeys(scope, loc, `/${where}`, LOCATION_FIELDS, where);
  }
  if (isRecord(event.ilmd)) {
    // EPCIS 2.0 §7.3.6: every ILMD field is a user-defined, namespaced attribute.
    checkKeys(scope, event.ilmd, '/ilmd', NO_FIELDS, 'ilmd');
  }
  if (isRecord(event.errorDeclaration)) {
    const decl = event.errorDeclaration;
    checkKeys(scope, decl, '/errorDeclaration', ERROR_DECLARATION_FIELDS, 'errorDeclaration');
    if (decl.reason !== undefined) checkVocab(scope, decl.reason, '/errorDeclaration/reason', 'errorReason');
  }
  checkSensors(scope, event.sensorElementList);
}

function contextIsUsable(ctx: unknown): boolean {
  return ctx !== undefined && validateContext(ctx) === true;
}

/**
 * Validate an EPCISDocument, an EPCISQueryDocument, or one bare event (POST /events). Throws a Problem of
 * kind `schema-violation` (or `vocabulary-violation` when every fault is a non-standard CBV term) whose
 * issues list every fault found, each with its event index and a JSON pointer into the input.
 */
export function validateDocument(doc: unknown): void {
  const issues = new Issues();
  if (isRecord(doc) && (doc.type === 'EPCISDocument' || doc.type === 'EPCISQueryDocument')) {
    const query = doc.type === 'EPCISQueryDocument';
    const envelope = query ? validateQueryEnvelope : validateEnvelope;
    if (envelope(doc) !== true) issues.fromAjv(envelope.errors, '', undefined);
    const ctx = doc['@context'];
    const docPrefixes = prefixMap(isRecord(ctx) || Array.isArray(ctx) ? (ctx as JsonLdContext) : undefined);
    for (const key in doc) {
      if ((query ? queryDocumentFields : documentFields).has(key) || isNamespacedKey(key, docPrefixes))
        continue;
      issues.add({
        field: `/${seg(key)}`,
        rule: 'epcis:namespace',
        message: `'${key}' is not a field of ${doc.type}; extension fields must be namespaced`,
      });
    }
    const located = locateEvents(doc);
    if (!Array.isArray(located)) {
      const hasContext = contextIsUsable(ctx);
      for (let i = 0; i < located.list.length; i++) {
        validateEvent(issues, located.list[i], i, `${located.pointer}/${i}`, docPrefixes, hasContext);
      }
    }
  } else if (isRecord(doc) && typeof doc.type === 'string' && Object.hasOwn(eventValidators, doc.type)) {
    // A bare event (POST /events) must carry its own @context (EPCIS 2.0 REST bindings; official schema
    // `required-ld-context`).
    validateEvent(issues, doc, 0, '', prefixMap(undefined), false);
  } else {
    issues.add({
      field: isRecord(doc) ? '/type' : '',
      rule: 'schema:enum',
      message: 'expected an EPCISDocument, an EPCISQueryDocument or an EPCIS event',
    });
  }
  if (issues.list.length === 0 && !issues.truncated) return;
  const kind = issues.schemaFaults > 0 ? 'schema-violation' : 'vocabulary-violation';
  const first = issues.list[0];
  const count = issues.truncated ? `more than ${MAX_ISSUES}` : String(issues.list.length);
  const detail =
    first === undefined
      ? 'The document is invalid'
      : `${count} fault(s) found; the first: ${first.field === '' ? '(root)' : first.field}: ${first.message}`;
  throw new Problem(kind, detail, issues.list, issues.truncated ? { truncated: true } : {});
}
