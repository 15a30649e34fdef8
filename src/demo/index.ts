import { limits } from '../core/limits.js';
import type { Location, Party } from '../domain/party.js';
import { type GenerationSummary, WorldEngine } from './engine.js';
import type { EpcisDocumentJson, EpcisEventJson, JsonObject } from './types.js';
import { demoLocations, demoParties } from './world.js';

export type { GenerationSummary } from './engine.js';
export type { EpcisDocumentJson, EpcisEventJson, JsonObject, JsonValue } from './types.js';
export { demoLocations, demoParties } from './world.js';

/** The JSON-LD context every generated document declares (docs/extension.md). */
export const demoContext = [
  'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
  { ree: 'https://raretrace.dev/ns/ree/v1#' },
];

export interface GenerateOptions {
  /** Total number of events across all documents. */
  readonly events: number;
  readonly seed: string | number;
  /** Events per document (the last one may be shorter); default 1000, at most limits.maxEventsPerDocument. */
  readonly eventsPerDocument?: number;
  /** ISO time of the world's start; default 2025-01-01T00:00:00Z. */
  readonly startTime?: string;
  /**
   * How long the world runs, in days; default 730. Event times are spread over this span whatever the number
   * of events, so a small world and a large one cover the same calendar (and the same route changes).
   */
  readonly spanDays?: number;
}

const defaultStart = '2025-01-01T00:00:00Z';
const defaultSpanDays = 730;

function engineFor(options: GenerateOptions): WorldEngine {
  if (!Number.isSafeInteger(options.events) || options.events < 0) {
    throw new RangeError(`events must be a non-negative integer, got ${options.events}`);
  }
  const startTimeMs = Date.parse(options.startTime ?? defaultStart);
  if (!Number.isFinite(startTimeMs))
    throw new RangeError(`startTime ${options.startTime} is not an ISO date`);
  const spanDays = options.spanDays ?? defaultSpanDays;
  if (!(spanDays > 0)) throw new RangeError(`spanDays must be positive, got ${spanDays}`);
  const meanGapMs = Math.max(1, Math.floor((spanDays * 86_400_000) / Math.max(1, options.events)));
  return new WorldEngine({ seed: options.seed, startTimeMs, meanGapMs });
}

/** The master data (all parties and locations) as EPCIS vocabularies, per docs/extension.md. */
export function masterDataVocabularies(): JsonObject[] {
  return [
    {
      type: 'urn:epcglobal:epcis:vtype:Party',
      vocabularyElementList: demoParties.map((party) => ({
        id: party.id,
        attributes: [
          { id: 'ree:name', attribute: party.name },
          { id: 'ree:country', attribute: party.country },
          { id: 'ree:roles', attribute: party.roles.join(' ') },
        ],
      })),
    },
    {
      type: 'urn:epcglobal:epcis:vtype:BusinessLocation',
      vocabularyElementList: demoLocations.map((location) => ({
        id: location.id,
        attributes: [
          { id: 'ree:name', attribute: location.name },
          { id: 'ree:kind', attribute: location.kind },
          { id: 'ree:country', attribute: location.country },
          { id: 'ree:party', attribute: location.partyId },
          { id: 'ree:lat', attribute: location.lat },
          { id: 'ree:lon', attribute: location.lon },
        ],
      })),
    },
  ];
}

/**
 * Generates a deterministic world: EPCIS 2.0 capture documents whose events total exactly `options.events`.
 * The first document's header carries the master data. Streaming and synchronous; memory stays bounded
 * whatever the number of events. The generator's return value summarises the world (including magnet lots
 * whose genealogy runs from mines to finished products).
 */
export function* generateWorld(
  options: GenerateOptions,
): Generator<EpcisDocumentJson, GenerationSummary, undefined> {
  const engine = engineFor(options);
  const perDocument = options.eventsPerDocument ?? 1000;
  if (!Number.isSafeInteger(perDocument) || perDocument < 1 || perDocument > limits.maxEventsPerDocument) {
    throw new RangeError(`eventsPerDocument must be an integer from 1 to ${limits.maxEventsPerDocument}`);
  }
  let left = options.events;
  let first = true;
  while (left > 0 || first) {
    const n = Math.min(perDocument, left);
    const eventList: EpcisEventJson[] = new Array(n);
    for (let i = 0; i < n; i++) eventList[i] = engine.next();
    left -= n;
    const last = eventList[n - 1];
    const creationDate =
      last === undefined
        ? new Date(Date.parse(options.startTime ?? defaultStart)).toISOString()
        : String(last.eventTime);
    const document: EpcisDocumentJson = {
      '@context': demoContext,
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate,
      ...(first ? { epcisHeader: { epcisMasterData: { vocabularyList: masterDataVocabularies() } } } : {}),
      epcisBody: { eventList },
    };
    first = false;
    yield document;
    if (n === 0) break;
  }
  return engine.summary();
}

/** Runs a world to the end without building documents, returning its summary. */
export function summarizeWorld(options: GenerateOptions): GenerationSummary {
  const engine = engineFor(options);
  for (let i = 0; i < options.events; i++) engine.next();
  return engine.summary();
}

export interface WorldSummary {
  readonly parties: readonly Party[];
  readonly locations: readonly Location[];
  /** Ids of the mines, by name, for tests and benchmarks. */
  readonly mines: Readonly<Record<string, string>>;
}

/**
 * The world's roster. Parties and locations are the same for every seed (the seed changes flows, not the
 * cast), so a test or benchmark may refer to them before generating anything.
 */
export function worldSummary(_seed?: string | number): WorldSummary {
  const strip = <T extends object>(value: T, keys: readonly string[]): T => {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) if (!keys.includes(key)) out[key] = entry;
    return out as T;
  };
  return {
    parties: demoParties.map((party) => strip<Party>(party, ['key', 'prefix'])),
    locations: demoLocations.map((location) =>
      strip<Location>(location, ['key', 'partyKey', 'tz', 'activeFromMs']),
    ),
    mines: Object.fromEntries(demoLocations.filter((l) => l.kind === 'mine').map((l) => [l.name, l.id])),
  };
}

/**
 * Ids of magnet lots with deep genealogy both ways (mine → … → magnet → motor → product) in the world that
 * `generateWorld(options)` produces. Runs the same engine only as far as needed to find `count` of them,
 * so it is cheap even for a 10-million-event world.
 */
export function magnetLotIds(options: GenerateOptions & { readonly count?: number }): string[] {
  const count = options.count ?? 10;
  const engine = engineFor(options);
  while (engine.handedOut < options.events && engine.tracedMagnetCount() < count) engine.next();
  return engine.tracedMagnetLots().slice(0, count);
}
