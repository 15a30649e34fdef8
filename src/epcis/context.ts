import type { JsonLdContext } from './types.js';

/**
 * Just enough JSON-LD to read EPCIS documents: which prefixes and terms a document's `@context` declares, so
 * that CURIEs such as `ree:composition` can be expanded (JSON-LD 1.1 §4.1.3 "Compact IRIs"). Remote contexts
 * are never fetched: the EPCIS 2.0 context is the only one an EPCIS document must reference, and its prefixes
 * are built in below. Other remote contexts contribute nothing, which is why extension prefixes must be
 * declared inline (EPCIS 2.0 §9.2 says the same).
 */

/** Term → IRI. Prefixes and full term definitions share the map, as they do in JSON-LD. */
export type PrefixMap = ReadonlyMap<string, string>;

/** The prefixes declared by the standard EPCIS 2.0 JSON-LD context (`epcis-context.jsonld`). */
export const STANDARD_PREFIXES: PrefixMap = new Map([
  ['epcis', 'https://ref.gs1.org/epcis/'],
  ['cbv', 'https://ref.gs1.org/cbv/'],
  ['cbvmda', 'urn:epcglobal:cbv:mda:'],
  ['gs1', 'https://gs1.org/voc/'],
  ['rdfs', 'http://www.w3.org/2000/01/rdf-schema#'],
  ['owl', 'http://www.w3.org/2002/07/owl#'],
  ['xsd', 'http://www.w3.org/2001/XMLSchema#'],
  ['dcterms', 'http://purl.org/dc/terms/'],
]);

// A context object or array is parsed once per document, not once per event: the ledger hashes tens of
// thousands of events that share one context.
const cache = new WeakMap<object, PrefixMap>();

function addEntry(map: Map<string, string>, entry: unknown): void {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return;
  for (const [term, definition] of Object.entries(entry as Record<string, unknown>)) {
    if (term.startsWith('@')) continue;
    let iri: unknown = definition;
    if (definition !== null && typeof definition === 'object')
      iri = (definition as Record<string, unknown>)['@id'];
    // Keyword aliases (`"id": "@id"`) are not IRIs.
    if (typeof iri === 'string' && !iri.startsWith('@')) map.set(term, iri);
  }
}

/** The prefix map of a context, with the EPCIS standard prefixes as the base (later entries win). */
export function prefixMap(context: JsonLdContext | undefined): PrefixMap {
  if (context === undefined || typeof context === 'string') return STANDARD_PREFIXES;
  const cached = cache.get(context);
  if (cached !== undefined) return cached;
  const map = new Map(STANDARD_PREFIXES);
  if (Array.isArray(context)) for (const entry of context) addEntry(map, entry);
  else addEntry(map, context);
  cache.set(context, map);
  return map;
}

/** A base map extended with a nested `@context` (an event's own, JSON-LD 1.1 §4.1 scoped contexts). */
export function extendPrefixMap(base: PrefixMap, nested: unknown): PrefixMap {
  if (nested === undefined || nested === null || typeof nested !== 'object') return base;
  const map = new Map(base);
  if (Array.isArray(nested)) for (const entry of nested) addEntry(map, entry);
  else addEntry(map, nested);
  return map;
}

const ABSOLUTE_IRI = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * Expand a CURIE or a term to an absolute IRI, or return undefined when the context does not define it.
 * `ex:foo` expands when `ex` is declared; a term declared in full (`"foo": "https://…"`) expands to its IRI.
 */
export function expandWith(value: string, map: PrefixMap): string | undefined {
  const whole = map.get(value);
  if (whole !== undefined) return whole;
  const colon = value.indexOf(':');
  if (colon <= 0) return undefined;
  const rest = value.slice(colon + 1);
  // `https://…` is already absolute: `https` is a scheme, not a prefix (JSON-LD 1.1 §4.1.3).
  if (rest.startsWith('//')) return undefined;
  const ns = map.get(value.slice(0, colon));
  return ns === undefined ? undefined : ns + rest;
}

/**
 * Expand a CURIE like `ree:composition` (or a term) with the document's `@context` into its absolute IRI.
 * Absolute IRIs and values the context does not define are returned unchanged.
 */
export function expandTerm(curieOrTerm: string, context: JsonLdContext): string {
  const value = curieOrTerm.trim();
  if (ABSOLUTE_IRI.test(value)) return value;
  return expandWith(value, prefixMap(context)) ?? value;
}

/**
 * Whether an extension key is namespaced (EPCIS 2.0 §7.1.6, §9.2): a CURIE whose prefix the context declares,
 * a term the context maps to an IRI, or an absolute IRI.
 */
export function isNamespacedKey(key: string, map: PrefixMap): boolean {
  if (ABSOLUTE_IRI.test(key) || key.startsWith('urn:')) return true;
  const colon = key.indexOf(':');
  if (colon > 0) return map.has(key.slice(0, colon)) || map.has(key);
  // A bare key is namespaced only when the document defines it as a term of its own.
  return map.has(key) && !STANDARD_PREFIXES.has(key);
}
