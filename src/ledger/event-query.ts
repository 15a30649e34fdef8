import { Problem } from '../core/errors.js';
import { limits } from '../core/limits.js';
import { normalizeBizStep, normalizeDisposition } from '../epcis/index.js';
import type { EventQuery, IdentifierRole } from '../store/store.js';

/**
 * EPCIS 2.0 query parameters (GS1 EPCIS 2.0 §8.2.7.1, REST bindings `GET /events`) to a store query.
 * Values may be repeated or comma-separated. An unknown parameter is refused, as the standard's
 * QueryParameterException requires, rather than silently ignored.
 */
export type QueryParams = Readonly<Record<string, string | readonly string[] | undefined>>;

const matchRoles: Readonly<Record<string, readonly IdentifierRole[]>> = {
  MATCH_epc: ['e'],
  MATCH_parentID: ['p'],
  MATCH_inputEPC: ['i'],
  MATCH_outputEPC: ['o'],
  MATCH_anyEPC: ['e', 'p', 'i', 'o'],
  MATCH_epcClass: ['c'],
  MATCH_inputEPCClass: ['ci'],
  MATCH_outputEPCClass: ['co'],
  MATCH_anyEPCClass: ['c', 'ci', 'co'],
};

const eventTypes = new Set([
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'TransformationEvent',
  'AssociationEvent',
]);

function values(raw: string | readonly string[] | undefined): string[] {
  if (raw === undefined) return [];
  const list = typeof raw === 'string' ? [raw] : raw;
  return list
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

function time(name: string, raw: string | readonly string[] | undefined): number | undefined {
  const list = values(raw);
  if (list.length === 0) return undefined;
  const ms = Date.parse(list[0] as string);
  if (list.length > 1 || !Number.isFinite(ms)) {
    throw new Problem('bad-query', `${name} must be one ISO 8601 date-time`, [
      { field: name, rule: 'query:time', message: 'not a date-time' },
    ]);
  }
  return ms;
}

export function encodePageToken(afterSeq: number): string {
  return Buffer.from(`seq:${afterSeq}`).toString('base64url');
}

export function decodePageToken(token: string): number {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const match = /^seq:(\d+)$/.exec(text);
  if (match === null) {
    throw new Problem('bad-query', 'nextPageToken is not one this server issued', [
      { field: 'nextPageToken', rule: 'query:page-token', message: 'unrecognised token' },
    ]);
  }
  return Number(match[1]);
}

export interface ParsedEventQuery {
  readonly query: EventQuery;
  readonly perPage: number;
}

export function parseEventQuery(params: QueryParams): ParsedEventQuery {
  const known = new Set([
    'eventType',
    'GE_eventTime',
    'LT_eventTime',
    'GE_recordTime',
    'LT_recordTime',
    'EQ_action',
    'EQ_bizStep',
    'EQ_disposition',
    'EQ_readPoint',
    'EQ_bizLocation',
    'perPage',
    'nextPageToken',
    ...Object.keys(matchRoles),
  ]);
  for (const name of Object.keys(params)) {
    if (!known.has(name) && params[name] !== undefined) {
      throw new Problem('bad-query', `unknown query parameter ${name}`, [
        { field: name, rule: 'query:parameter', message: 'not a supported EPCIS query parameter' },
      ]);
    }
  }
  const types = values(params.eventType);
  for (const type of types) {
    if (!eventTypes.has(type)) {
      throw new Problem('bad-query', `eventType ${type} is not an EPCIS event type`, [
        { field: 'eventType', rule: 'query:eventType', message: 'unknown event type' },
      ]);
    }
  }
  const perPageText = values(params.perPage)[0];
  const perPage = perPageText === undefined ? limits.defaultPerPage : Number(perPageText);
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > limits.maxPerPage) {
    throw new Problem('bad-query', `perPage must be an integer from 1 to ${limits.maxPerPage}`, [
      { field: 'perPage', rule: 'limits.maxPerPage', message: 'out of range' },
    ]);
  }
  const token = values(params.nextPageToken)[0];
  const actions = values(params.EQ_action);
  for (const action of actions) {
    if (!['ADD', 'OBSERVE', 'DELETE'].includes(action)) {
      throw new Problem('bad-query', `EQ_action ${action} is not ADD, OBSERVE or DELETE`, [
        { field: 'EQ_action', rule: 'query:action', message: 'unknown action' },
      ]);
    }
  }
  const identifierMatches = Object.entries(matchRoles)
    .filter(([name]) => params[name] !== undefined)
    .map(([name, roles]) => ({ ids: values(params[name]), roles }));
  const list = (name: string, vocabulary?: 'BizStep' | 'Disp'): string[] | undefined => {
    const raw = values(params[name]);
    if (raw.length === 0) return undefined;
    return vocabulary === undefined
      ? raw
      : raw.map(vocabulary === 'BizStep' ? normalizeBizStep : normalizeDisposition);
  };
  const query: EventQuery = {
    ...(types.length > 0 ? { eventTypes: types } : {}),
    ...optional('geEventTimeMs', time('GE_eventTime', params.GE_eventTime)),
    ...optional('ltEventTimeMs', time('LT_eventTime', params.LT_eventTime)),
    ...optional('geRecordTimeMs', time('GE_recordTime', params.GE_recordTime)),
    ...optional('ltRecordTimeMs', time('LT_recordTime', params.LT_recordTime)),
    ...optional('bizSteps', list('EQ_bizStep', 'BizStep')),
    ...optional('dispositions', list('EQ_disposition', 'Disp')),
    ...optional('actions', actions.length > 0 ? actions : undefined),
    ...optional('readPoints', list('EQ_readPoint')),
    ...optional('bizLocations', list('EQ_bizLocation')),
    ...(identifierMatches.length > 0 ? { identifierMatches } : {}),
    ...(token === undefined ? {} : { afterSeq: decodePageToken(token) }),
    // One more than a page, to know whether there is a next page.
    limit: perPage + 1,
  };
  return { query, perPage };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
