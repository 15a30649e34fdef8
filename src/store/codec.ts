import type { Element } from '../domain/elements.js';
import type { Lot, LotHeader } from '../domain/lot.js';
import type { CountryShares, ElementOrigin, LotOrigin } from '../domain/origin.js';
import type { Location, Party } from '../domain/party.js';
import type { EventQuery, StoredEvent, TrackPoint } from './store.js';

/**
 * How domain records become text in a store. Both backends use these, so the bytes in SQLite and PostgreSQL
 * are the same and so are the answers read back.
 */
/** The columns of a lot's state (what changes after it is created), in the order `lotParams` gives them. */
export const lotStateColumns = 'holder, status, remaining_mg, location, in_transit_to, updated_seq';

/** The columns of the lots table, in the order `lotParams` gives them. */
export const lotColumns = `id, facts, ${lotStateColumns}`;

/**
 * What never changes after a lot is created, as JSON: exactly `JSON.stringify` of the facts, in this key
 * order, with the origin written by `encodeOrigin`.
 */
export function encodeLotFacts(lot: Lot): string {
  const head = JSON.stringify({
    id: lot.id,
    form: lot.form,
    hsCode: lot.hsCode,
    massMg: lot.massMg,
    composition: lot.composition,
    valueCents: lot.valueCents,
    elementValues: lot.elementValues,
  });
  // `head` ends with the `}` of an object that has an id, so the other fields are spliced in before it.
  return `${head.slice(0, -1)},"origin":${encodeOrigin(lot.origin)},"createdSeq":${JSON.stringify(lot.createdSeq)},"createdAt":${JSON.stringify(lot.createdAt)}}`;
}

/**
 * Each share map's JSON, kept while the map lives. Share maps are never changed once made, and the lots of an
 * import share them: one-country maps are shared process-wide (src/domain/origin.ts), a transformation's
 * outputs share its blend, a commissioned lot's elements share one mining and one separation map. Writing a
 * lot's origin was two thirds of writing its facts (about 7 of 12 µs a lot, measured on the demo world),
 * almost all of it the same maps written again.
 */
const sharesJson = new WeakMap<CountryShares, string>();

function encodeShares(shares: CountryShares): string {
  let json = sharesJson.get(shares);
  if (json === undefined) {
    json = JSON.stringify(shares);
    sharesJson.set(shares, json);
  }
  return json;
}

const originFields = ['miningByMass', 'separationByMass', 'miningByValue', 'separationByValue'] as const;

/** Whether an element's origin has exactly the four share maps, in the order `JSON.stringify` would write. */
function isCanonical(origin: ElementOrigin): boolean {
  let i = 0;
  for (const key in origin) {
    if (key !== originFields[i]) return false;
    const value = origin[key as keyof ElementOrigin];
    if (value === null || typeof value !== 'object') return false;
    i++;
  }
  return i === originFields.length;
}

/** A lot's origin as JSON: the same text as `JSON.stringify(origin)`, from the share maps' memoized JSON. */
export function encodeOrigin(origin: LotOrigin): string {
  let out = '{';
  for (const element in origin) {
    const o = origin[element as Element];
    if (o === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(element)}:`;
    out += isCanonical(o)
      ? `{"miningByMass":${encodeShares(o.miningByMass)},"separationByMass":${encodeShares(o.separationByMass)},"miningByValue":${encodeShares(o.miningByValue)},"separationByValue":${encodeShares(o.separationByValue)}}`
      : JSON.stringify(o);
  }
  return `${out}}`;
}

/** A lot's state: holder, status, remaining_mg, location, in_transit_to, updated_seq (the columns that change). */
type LotState = [string, string, number, string | null, string | null, number];

function lotState(lot: Lot): LotState {
  return [
    lot.holderId,
    lot.status,
    lot.remainingMg,
    lot.locationId ?? null,
    lot.inTransitTo ?? null,
    lot.updatedSeq,
  ];
}

/** A lot's row values in `lotColumns` order. */
export function lotParams(lot: Lot): [string, string, ...LotState] {
  return [lot.id, encodeLotFacts(lot), ...lotState(lot)];
}

/** A lot's state columns for an UPDATE, then its id: holder, status, remaining_mg, location, in_transit_to, updated_seq, id. */
export function lotStateParams(lot: Lot): [...LotState, string] {
  return [...lotState(lot), lot.id];
}

export interface LotRow {
  facts: string;
  holder: string;
  status: string;
  remaining_mg: number | string;
  location: string | null;
  in_transit_to: string | null;
  updated_seq: number | string;
}

/** A lot's state, from its row's state columns (`lotStateColumns`). */
function lotStateFromRow(row: LotRow): Omit<LotHeader, 'id' | (typeof lotHeaderFacts)[number]> {
  return {
    remainingMg: Number(row.remaining_mg),
    holderId: row.holder,
    locationId: row.location ?? undefined,
    status: row.status as Lot['status'],
    ...(row.in_transit_to === null ? {} : { inTransitTo: row.in_transit_to }),
    updatedSeq: Number(row.updated_seq),
  };
}

export function lotFromRow(row: LotRow): Lot {
  const facts = JSON.parse(row.facts) as Omit<
    Lot,
    'holderId' | 'status' | 'remainingMg' | 'locationId' | 'updatedSeq'
  >;
  return { ...facts, ...lotStateFromRow(row) };
}

/**
 * The facts a lot header takes from the stored facts, in the order of the JSON array SQLite's `json_extract`
 * with several paths builds from them: SQLite parses the facts and hands over only these, not the composition
 * and origin.
 */
export const lotHeaderFacts = ['form', 'hsCode', 'massMg', 'valueCents', 'createdSeq', 'createdAt'] as const;

/**
 * The header facts of a lot as that JSON array (PostgreSQL keeps it in a column of its own, `lots.header`, so that
 * a trace need not send or parse whole facts).
 */
export function lotHeaderFactsJson(lot: Lot): string {
  return JSON.stringify(lotHeaderFacts.map((fact) => lot[fact]));
}

export interface LotHeaderRow extends LotRow {
  id: string;
  /** JSON array of the `lotHeaderFacts`, in order. */
  facts: string;
}

export function lotHeaderFromRow(row: LotHeaderRow): LotHeader {
  const [form, hsCode, massMg, valueCents, createdSeq, createdAt] = JSON.parse(row.facts) as [
    Lot['form'],
    string,
    number,
    number,
    number,
    number,
  ];
  return {
    id: row.id,
    form,
    hsCode,
    massMg,
    valueCents,
    createdSeq,
    createdAt,
    ...lotStateFromRow(row),
  };
}

const hashPrefix = 'ni:///sha-256;';
const hashSuffix = '?ver=CBV2.0';
const hashPattern = /^ni:\/\/\/sha-256;([0-9a-f]{64})\?ver=CBV2\.0$/;

/** The 32-byte digest of a CBV event hash, or undefined for text that is not one (it cannot be stored). */
/** The hex digest inside an event hash `ni:///sha-256;<hex>?ver=CBV2.0`, or undefined for another form. */
export function hashHex(hash: string): string | undefined {
  // The common case, our own hashes, checked in place (no regular expression, no copy before the check): it
  // runs twice for every captured event.
  if (hash.length === 89 && hash.startsWith(hashPrefix) && hash.endsWith(hashSuffix)) {
    const from = hashPrefix.length;
    let lowerHex = true;
    for (let i = from; i < from + 64; i++) {
      const c = hash.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) {
        lowerHex = false;
        break;
      }
    }
    if (lowerHex) return hash.slice(from, from + 64);
  }
  return hashPattern.exec(hash)?.[1];
}

export function hashDigest(hash: string): Buffer | undefined {
  const hex = hashHex(hash);
  return hex === undefined ? undefined : Buffer.from(hex, 'hex');
}

export function hashFromHex(hex: string): string {
  return `${hashPrefix}${hex}${hashSuffix}`;
}

export function hashFromDigest(digest: Uint8Array): string {
  return `${hashPrefix}${Buffer.from(digest).toString('hex')}${hashSuffix}`;
}

export function encodeParty(party: Party): string {
  return JSON.stringify(party);
}
export function decodeParty(text: string): Party {
  return JSON.parse(text) as Party;
}
export function encodeLocation(location: Location): string {
  return JSON.stringify(location);
}
export function decodeLocation(text: string): Location {
  return JSON.parse(text) as Location;
}

/** A row of the events table, as both drivers return it (numbers may arrive as strings from pg). */
export interface EventRow {
  seq: number | string;
  hash: Uint8Array;
  type: string;
  event_time_ms: number | string;
  record_time_ms: number | string;
  action: string | null;
  biz_step: string | null;
  disposition: string | null;
  read_point: string | null;
  biz_location: string | null;
  captured_by: string;
  document_id: number | string;
  json: string;
}

export function eventFromRow(row: EventRow): StoredEvent {
  return {
    seq: Number(row.seq),
    hash: hashFromDigest(row.hash),
    type: row.type,
    eventTimeMs: Number(row.event_time_ms),
    recordTimeMs: Number(row.record_time_ms),
    action: row.action,
    bizStep: row.biz_step,
    disposition: row.disposition,
    readPoint: row.read_point,
    bizLocation: row.biz_location,
    capturedBy: row.captured_by,
    documentId: Number(row.document_id),
    json: row.json,
  };
}

export const eventColumns =
  'seq, hash, type, event_time_ms, record_time_ms, action, biz_step, disposition, read_point, biz_location, captured_by, document_id, json';

/**
 * Builds the WHERE clause of an event query with positional parameters. `placeholder(n)` returns `?` for
 * SQLite and `$n` for PostgreSQL; the SQL is otherwise the same on both stores.
 */
export function buildEventQuery(
  query: EventQuery,
  placeholder: (n: number) => string,
): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (value: string | number): string => {
    params.push(value);
    return placeholder(params.length);
  };
  const inList = (column: string, values: readonly string[] | undefined): void => {
    if (values === undefined) return;
    where.push(values.length === 0 ? '1 = 0' : `${column} IN (${values.map((v) => add(v)).join(', ')})`);
  };
  inList('type', query.eventTypes);
  inList('biz_step', query.bizSteps);
  inList('disposition', query.dispositions);
  inList('action', query.actions);
  inList('read_point', query.readPoints);
  inList('biz_location', query.bizLocations);
  if (query.geEventTimeMs !== undefined) where.push(`event_time_ms >= ${add(query.geEventTimeMs)}`);
  if (query.ltEventTimeMs !== undefined) where.push(`event_time_ms < ${add(query.ltEventTimeMs)}`);
  if (query.geRecordTimeMs !== undefined) where.push(`record_time_ms >= ${add(query.geRecordTimeMs)}`);
  if (query.ltRecordTimeMs !== undefined) where.push(`record_time_ms < ${add(query.ltRecordTimeMs)}`);
  if (query.capturedBy !== undefined) where.push(`captured_by = ${add(query.capturedBy)}`);
  if (query.afterSeq !== undefined) where.push(`seq > ${add(query.afterSeq)}`);
  for (const match of query.identifierMatches ?? []) {
    // Parameters are added in the order they appear in the text: SQLite's `?` placeholders are positional.
    const alternatives = match.ids.map((id) => {
      let condition: string;
      if (id.endsWith('*')) {
        const prefix = id.slice(0, -1);
        // Range scan on the (id, role, seq) key instead of LIKE, so that the index is used on both stores.
        condition = `i.id >= ${add(prefix)} AND i.id < ${add(`${prefix}\u{10ffff}`)}`;
      } else {
        condition = `i.id = ${add(id)}`;
      }
      return `(${condition} AND i.role IN (${match.roles.map((role) => add(role)).join(', ')}))`;
    });
    where.push(
      alternatives.length === 0
        ? '1 = 0'
        : `seq IN (SELECT i.seq FROM event_ids i WHERE ${alternatives.join(' OR ')})`,
    );
  }
  const sql = `SELECT ${eventColumns} FROM events${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ${add(query.limit)}`;
  return { sql, params };
}

/** Every table with the key it is ordered by, for fingerprints (both stores have the same tables). */
export const fingerprintTables: readonly (readonly [string, string])[] = [
  ['meta', 'key'],
  ['documents', 'id'],
  ['events', 'seq'],
  ['event_ids', 'id, role, seq'],
  ['lots', 'id'],
  ['links', 'parent, child'],
  ['custody', 'lot, party, seq'],
  ['track', 'lot, seq, n'],
  ['parties', 'id'],
  ['locations', 'id'],
  ['tokens', 'hash'],
  ['tiles', 'level, idx'],
  ['guard_outbox', 'seq'],
  ['checkpoints', 'size'],
];

/** A canonical text form of a row's values, the same whichever driver read it. */
export function canonicalRow(row: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(row)
      .sort()
      .map((key) => {
        const value = row[key];
        if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
        if (typeof value === 'bigint') return Number(value);
        return value ?? null;
      }),
  );
}

/**
 * Each track point's `n`: its place among the points of the same lot and event, in order. It depends only on
 * the event, so a batch of documents stores the same rows as the documents one by one.
 */
export function trackOrdinals(points: readonly TrackPoint[]): number[] {
  const counts = new Map<string, number>();
  return points.map((p) => {
    const key = `${p.lotId}\n${p.seq}`;
    const n = counts.get(key) ?? 0;
    counts.set(key, n + 1);
    return n;
  });
}
