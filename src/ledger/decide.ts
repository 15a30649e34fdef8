import { isProblem, Problem, problemAt } from '../core/errors.js';
import { isoTimeMs } from '../core/iso-time.js';
import { limits } from '../core/limits.js';
import { toMilligramsNumber } from '../core/units.js';
import type { Element } from '../domain/elements.js';
import { type ElementValues, type Lot, lotInState, stateOf } from '../domain/lot.js';
import { type BalanceSide, checkMassBalance, type MassBalanceFinding } from '../domain/mass-balance.js';
import {
  blendOrigin,
  distributeElementValues,
  elementValuesByMass,
  type LotOrigin,
  notSeparated,
  type OriginContribution,
  scaleElementValues,
  uniformOrigin,
  unknownCountry,
} from '../domain/origin.js';
import type { Location, Party } from '../domain/party.js';
import { normalizeBizStep, normalizeDisposition, sourceDestParty } from '../epcis/index.js';
import type {
  CustodyRecord,
  EventIdentifier,
  GenealogyLink,
  NewEvent,
  StateSnapshot,
  TextRef,
  TokenRole,
  TrackPoint,
} from '../store/store.js';
import {
  type ExtensionKeys,
  type LotDeclaration,
  parseLotDeclarations,
  parseTransformationExtension,
} from './extension.js';

/**
 * The decider: given a capture document's events and a consistent snapshot of the state they touch, decide
 * the whole document: every change it makes, or the first rule it breaks. Pure: no I/O, no clock (the record
 * time is passed in), so the same input always gives the same decision on every store.
 */

export interface Actor {
  readonly role: TokenRole;
  /** The party acting (`operator` for the store's operator). */
  readonly partyId: string;
}

export const operatorActor: Actor = { role: 'operator', partyId: 'operator' };

export interface EventInput {
  readonly index: number;
  /** JSON pointer of the event in its document, e.g. `/epcisBody/eventList/3`. */
  readonly pointer: string;
  readonly event: Record<string, unknown>;
  readonly hash: string;
  /**
   * The event's stored text: its own text in the document (src/epcis/event-spans.ts) or, where that cannot be
   * found, `JSON.stringify(event)`; or where the store's writer thread holds that text (a TextRef,
   * src/store/event-texts.ts).
   */
  readonly json: string | TextRef;
}

export interface DecideInput {
  readonly events: readonly EventInput[];
  readonly keys: ExtensionKeys;
  readonly masterData: { readonly parties: readonly Party[]; readonly locations: readonly Location[] };
  readonly actor: Actor;
  readonly snapshot: StateSnapshot;
  readonly recordTimeMs: number;
  readonly documentId: number;
  /**
   * By event index: true where the event's hash is certainly neither recorded nor decided earlier in the
   * batch (the ledger's hash filter says so), so the decider looks only within the document for it. Without
   * it, every hash is looked up in the snapshot.
   */
  readonly unrecorded?: readonly boolean[];
}

export interface EventOutcome {
  readonly index: number;
  readonly hash: string;
  readonly seq: number;
  /** `duplicate`: an event with this hash was already recorded (idempotent capture); `seq` names it. */
  readonly status: 'recorded' | 'duplicate';
}

export interface CaptureWarning {
  readonly eventIndex: number;
  readonly rule: string;
  readonly record: string;
  readonly message: string;
}

export interface Decision {
  readonly outcomes: EventOutcome[];
  readonly events: NewEvent[];
  readonly identifiers: EventIdentifier[];
  readonly createdLots: Lot[];
  readonly updatedLots: Lot[];
  readonly links: GenealogyLink[];
  readonly custody: CustodyRecord[];
  readonly trackPoints: TrackPoint[];
  readonly parties: Party[];
  readonly locations: Location[];
  readonly warnings: CaptureWarning[];
}

type Rec = Record<string, unknown>;

/** A map read through to a base it never changes: what the document changed, over the snapshot. */
class Overlay<V> {
  private readonly changes = new Map<string, V>();
  constructor(private readonly base: ReadonlyMap<string, V>) {}
  get(key: string): V | undefined {
    return this.changes.get(key) ?? this.base.get(key);
  }
  has(key: string): boolean {
    return this.changes.has(key) || this.base.has(key);
  }
  set(key: string, value: V): void {
    this.changes.set(key, value);
  }
}

function asRecord(value: unknown): Rec | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Rec) : undefined;
}

function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A quantity element of an event. Its JSON pointer is written only when a problem names it. */
class QuantityEntry {
  constructor(
    readonly epcClass: string,
    readonly quantity: unknown,
    readonly uom: unknown,
    private readonly eventPointer: string,
    private readonly list: string,
    private readonly position: number,
  ) {}

  get pointer(): string {
    return `${this.eventPointer}/${this.list}/${this.position}`;
  }
}

/** The entries of a quantity list that name a class, appended to `out`. */
function quantityEntries(
  event: Rec,
  list: string,
  pointer: string,
  out: QuantityEntry[] = [],
): QuantityEntry[] {
  const raw = event[list];
  if (!Array.isArray(raw)) return out;
  for (let i = 0; i < raw.length; i++) {
    const record = asRecord(raw[i]);
    if (record === undefined || typeof record.epcClass !== 'string') continue;
    out.push(new QuantityEntry(record.epcClass, record.quantity, record.uom, pointer, list, i));
  }
  return out;
}

/**
 * Adds each distinct identifier once, in order of first appearance. The lists are short, and a scan of them
 * allocates nothing where a Set per list was a fifteenth of what the capture thread allocated.
 */
function addIdentifiers(
  out: EventIdentifier[],
  seq: number,
  ids: readonly string[],
  role: EventIdentifier['role'],
): void {
  if (ids.length > 16) {
    for (const id of new Set(ids)) out.push({ seq, id, role });
    return;
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    if (ids.indexOf(id) === i) out.push({ seq, id, role });
  }
}

function classesOf(entries: readonly QuantityEntry[]): string[] {
  const out: string[] = [];
  for (const entry of entries) out.push(entry.epcClass);
  return out;
}

/** What an absent list reads as: one shared empty array, not a new one per list per event. */
const noStrings: readonly string[] = Object.freeze([]);

function stringList(event: Rec, list: string): readonly string[] {
  const raw = event[list];
  if (!Array.isArray(raw) || raw.length === 0) return noStrings;
  // Validation has checked the lists' items, so they are kept as they are when all are strings.
  for (const v of raw) {
    if (typeof v !== 'string') return raw.filter((x): x is string => typeof x === 'string');
  }
  return raw as string[];
}

function parseGeoUri(uri: string): { lat: number; lon: number } | undefined {
  const match = /^geo:(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)/.exec(uri);
  if (match === null) return undefined;
  const lat = Number(match[1]);
  const lon = Number(match[2]);
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : undefined;
}

/** GPS readings an event carries: a geo: read point, and latitude/longitude sensor reports. */
function gpsReadings(event: Rec, eventTimeMs: number): { timeMs: number; lat: number; lon: number }[] {
  const out: { timeMs: number; lat: number; lon: number }[] = [];
  const readPoint = asString(asRecord(event.readPoint)?.id);
  if (readPoint !== null) {
    const point = parseGeoUri(readPoint);
    if (point !== undefined) out.push({ timeMs: eventTimeMs, lat: point.lat, lon: point.lon });
  }
  const sensors = event.sensorElementList;
  if (Array.isArray(sensors) && sensors.length > 0) {
    for (const sensor of sensors) {
      const reports = asRecord(sensor)?.sensorReport;
      if (!Array.isArray(reports)) continue;
      let lat: number | undefined;
      let lon: number | undefined;
      let timeMs = eventTimeMs;
      for (const report of reports) {
        const r = asRecord(report);
        if (r === undefined) continue;
        const type = asString(r.type) ?? '';
        const value = typeof r.value === 'number' ? r.value : undefined;
        if (typeof r.time === 'string') {
          const ms = isoTimeMs(r.time);
          if (Number.isFinite(ms)) timeMs = ms;
        }
        if (/latitude$/i.test(type) && value !== undefined) lat = value;
        else if (/longitude$/i.test(type) && value !== undefined) lon = value;
        for (const key of ['uriValue', 'stringValue']) {
          const text = asString(r[key]);
          const point = text === null ? undefined : parseGeoUri(text);
          if (point !== undefined) out.push({ timeMs, ...point });
        }
      }
      if (lat !== undefined && lon !== undefined && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
        out.push({ timeMs, lat, lon });
      }
    }
  }
  return out.length <= limits.maxTrackPointsPerEvent ? out : out.slice(0, limits.maxTrackPointsPerEvent);
}

/** A field's JSON pointer, written only for a problem: a quantity that converts needs none. */
function pointerOf(where: string | QuantityEntry): string {
  return typeof where === 'string' ? where : where.pointer;
}

/** Converts a wire quantity to milligrams, naming the field when it cannot. */
function massAt(
  quantity: unknown,
  uom: unknown,
  eventIndex: number,
  where: string | QuantityEntry,
  record: string,
): number {
  if (typeof uom !== 'string') {
    throw problemAt('unit-not-supported', 'a mass unit (uom) is required for a rare-earth lot', {
      eventIndex,
      field: `${pointerOf(where)}/uom`,
      rule: 'uom',
      record,
    });
  }
  if (typeof quantity !== 'number' && typeof quantity !== 'string') {
    throw problemAt('quantity-out-of-range', 'a quantity is required for a rare-earth lot', {
      eventIndex,
      field: `${pointerOf(where)}/quantity`,
      rule: 'quantity',
      record,
    });
  }
  try {
    return toMilligramsNumber(quantity, uom);
  } catch (error) {
    if (isProblem(error)) {
      throw problemAt(error.kind, error.message, {
        eventIndex,
        field: `${pointerOf(where)}/quantity`,
        rule: 'uom',
        record,
      });
    }
    throw error;
  }
}

/** Decides a whole document. Throws the first Problem found; returns every change otherwise. */
export function decide(input: DecideInput): Decision {
  const { snapshot, actor, keys } = input;
  const isOperator = actor.role === 'operator';
  const isAuthority = isOperator || actor.role === 'regulator';

  // Overlays, not copies: in a batch the snapshot holds every lot, party and location the batch touched.
  const parties = new Overlay<Party>(snapshot.parties);
  const locations = new Overlay<Location>(snapshot.locations);
  const newParties: Party[] = [];
  const newLocations: Location[] = [];
  for (const party of input.masterData.parties) {
    if (!isAuthority) {
      throw problemAt('forbidden', 'only the operator or the regulator may register parties', {
        field: '/epcisHeader/epcisMasterData',
        rule: 'access:register-party',
        record: party.id,
      });
    }
    parties.set(party.id, party);
    newParties.push(party);
  }
  for (const location of input.masterData.locations) {
    if (!isAuthority && location.partyId !== actor.partyId) {
      throw problemAt('forbidden', 'a party may register only locations it operates', {
        field: '/epcisHeader/epcisMasterData',
        rule: 'access:register-location',
        record: location.id,
      });
    }
    if (!parties.has(location.partyId)) {
      throw problemAt('unknown-party', `location ${location.id} names an operator that is not registered`, {
        field: '/epcisHeader/epcisMasterData',
        rule: 'ree:masterData',
        record: location.partyId,
      });
    }
    locations.set(location.id, location);
    newLocations.push(location);
  }

  const lots = new Overlay<Lot>(snapshot.lots);
  const changedLots = new Map<string, Lot>();
  const outcomes: EventOutcome[] = [];
  const events: NewEvent[] = [];
  const identifiers: EventIdentifier[] = [];
  const links: GenealogyLink[] = [];
  const custody: CustodyRecord[] = [];
  const trackPoints: TrackPoint[] = [];
  const warnings: CaptureWarning[] = [];
  const seenInDocument = new Map<string, number>();
  let nextSeq = snapshot.treeSize;

  const setLot = (lot: Lot): void => {
    lots.set(lot.id, lot);
    changedLots.set(lot.id, lot);
  };

  for (const item of input.events) {
    const { event, index: eventIndex, pointer, hash } = item;
    const known =
      input.unrecorded?.[eventIndex] === true
        ? seenInDocument.get(hash)
        : (snapshot.knownHashes.get(hash) ?? seenInDocument.get(hash));
    if (known !== undefined) {
      outcomes.push({ index: eventIndex, hash, seq: known, status: 'duplicate' });
      continue;
    }
    const seq = nextSeq++;
    seenInDocument.set(hash, seq);
    const at = { eventIndex, pointer };
    const type = asString(event.type) ?? 'unknown';
    const eventTimeMs = isoTimeMs(asString(event.eventTime) ?? '');
    const action = asString(event.action);
    const bizStepRaw = asString(event.bizStep);
    const dispositionRaw = asString(event.disposition);
    const bizStep = bizStepRaw === null ? null : normalizeBizStep(bizStepRaw);
    const disposition = dispositionRaw === null ? null : normalizeDisposition(dispositionRaw);
    const readPoint = asString(asRecord(event.readPoint)?.id);
    const bizLocation = asString(asRecord(event.bizLocation)?.id);

    // The identifier index for MATCH_* queries.
    const epcs = stringList(event, 'epcList');
    const children = stringList(event, 'childEPCs');
    addIdentifiers(
      identifiers,
      seq,
      children.length === 0 ? epcs : epcs.length === 0 ? children : [...epcs, ...children],
      'e',
    );
    const parentId = asString(event.parentID);
    if (parentId !== null) addIdentifiers(identifiers, seq, [parentId], 'p');
    addIdentifiers(identifiers, seq, stringList(event, 'inputEPCList'), 'i');
    addIdentifiers(identifiers, seq, stringList(event, 'outputEPCList'), 'o');
    const quantities = quantityEntries(
      event,
      'childQuantityList',
      pointer,
      quantityEntries(event, 'quantityList', pointer),
    );
    const inputs = quantityEntries(event, 'inputQuantityList', pointer);
    const outputs = quantityEntries(event, 'outputQuantityList', pointer);
    addIdentifiers(identifiers, seq, classesOf(quantities), 'c');
    addIdentifiers(identifiers, seq, classesOf(inputs), 'ci');
    addIdentifiers(identifiers, seq, classesOf(outputs), 'co');

    const touchesKnownLot =
      quantities.some((q) => lots.has(q.epcClass)) || inputs.some((q) => lots.has(q.epcClass));
    const carriesExtension = keys.touches(event);
    const location = bizLocation === null ? undefined : locations.get(bizLocation);

    const requireLocation = (): Location => {
      if (bizLocation === null) {
        throw problemAt('unknown-location', 'a rare-earth event needs a bizLocation', {
          eventIndex,
          field: `${pointer}/bizLocation`,
          rule: 'ree:location',
        });
      }
      if (location === undefined) {
        throw problemAt('unknown-location', `location ${bizLocation} is not registered`, {
          eventIndex,
          field: `${pointer}/bizLocation/id`,
          rule: 'ree:location',
          record: bizLocation,
        });
      }
      return location;
    };
    const requireOwnLocation = (): Location => {
      const where = requireLocation();
      if (!isOperator && where.partyId !== actor.partyId) {
        throw problemAt('not-custodian', `location ${where.id} is operated by another party`, {
          eventIndex,
          field: `${pointer}/bizLocation/id`,
          rule: 'access:own-location',
          record: where.id,
        });
      }
      return where;
    };
    const requireLot = (entry: QuantityEntry): Lot => {
      const lot = lots.get(entry.epcClass);
      if (lot === undefined) {
        throw problemAt('unknown-lot', `lot ${entry.epcClass} is not in the ledger`, {
          eventIndex,
          field: `${entry.pointer}/epcClass`,
          rule: 'ree:known-lot',
          record: entry.epcClass,
        });
      }
      return lot;
    };
    const requireHeld = (lot: Lot, entry: QuantityEntry): void => {
      if (lot.status === 'consumed') {
        throw problemAt('over-consumption', `lot ${lot.id} has been consumed`, {
          eventIndex,
          field: `${entry.pointer}/epcClass`,
          rule: 'ree:consumption',
          record: lot.id,
        });
      }
      if (!isOperator && lot.holderId !== actor.partyId) {
        throw problemAt('not-custodian', `lot ${lot.id} is held by another party`, {
          eventIndex,
          field: `${entry.pointer}/epcClass`,
          rule: 'access:holder',
          record: lot.id,
        });
      }
    };
    const checkQuantity = (lot: Lot, entry: QuantityEntry): number => {
      if (entry.quantity === undefined) return lot.remainingMg;
      const mg = massAt(entry.quantity, entry.uom, eventIndex, entry, lot.id);
      if (mg > lot.remainingMg) {
        throw problemAt(
          'over-consumption',
          `${mg} mg asked of lot ${lot.id}, which holds ${lot.remainingMg} mg`,
          {
            eventIndex,
            field: `${entry.pointer}/quantity`,
            rule: 'ree:consumption',
            record: lot.id,
          },
        );
      }
      return mg;
    };

    if (carriesExtension || touchesKnownLot) {
      const word = bizStep ?? '';
      if (type === 'ObjectEvent' && action === 'ADD' && carriesExtension) {
        // Commissioning: new lots with composition, value and origin.
        const where = requireOwnLocation();
        const declarations = parseLotDeclarations(keys, event, at);
        if (quantities.length === 0) {
          throw problemAt('extension-invalid', 'commissioning names no lot in quantityList', {
            eventIndex,
            field: `${pointer}/quantityList`,
            rule: 'ree:commission',
          });
        }
        for (const entry of quantities) {
          const declaration = declarations.get(entry.epcClass);
          if (declaration === undefined) {
            throw problemAt('extension-invalid', `lot ${entry.epcClass} has no ree:lots entry in ilmd`, {
              eventIndex,
              field: `${pointer}/ilmd`,
              rule: 'ree:lots',
              record: entry.epcClass,
            });
          }
          if (lots.has(entry.epcClass)) {
            throw problemAt('lot-exists', `lot ${entry.epcClass} already exists`, {
              eventIndex,
              field: `${entry.pointer}/epcClass`,
              rule: 'ree:unique-lot',
              record: entry.epcClass,
            });
          }
          const massMg = massAt(entry.quantity, entry.uom, eventIndex, entry, entry.epcClass);
          const holderId = isOperator ? where.partyId : actor.partyId;
          setLot(commissionedLot(declaration, massMg, where, holderId, seq, eventTimeMs));
          custody.push({ lotId: entry.epcClass, partyId: holderId, seq });
        }
      } else if (type === 'TransformationEvent') {
        decideTransformation();
      } else if (type === 'ObjectEvent' && word === 'shipping') {
        const receiver = sourceDestParty(event, 'destinationList');
        for (const entry of quantities) {
          const lot = requireLot(entry);
          requireHeld(lot, entry);
          checkQuantity(lot, entry);
          setLot(
            lotInState(lot, {
              holderId: lot.holderId,
              locationId: undefined,
              status: 'in-transit',
              remainingMg: lot.remainingMg,
              inTransitTo: receiver ?? lot.inTransitTo,
              updatedSeq: seq,
            }),
          );
        }
      } else if (type === 'ObjectEvent' && word === 'receiving') {
        const where = requireOwnLocation();
        for (const entry of quantities) {
          const lot = requireLot(entry);
          if (lot.status === 'consumed') requireHeld(lot, entry);
          const expected = lot.inTransitTo;
          // A party receives its own lot, or one in transit to it (or in transit with no named receiver);
          // never a lot another party holds at rest.
          const mayReceive =
            isOperator ||
            lot.holderId === actor.partyId ||
            (lot.status === 'in-transit' && (expected === undefined || expected === actor.partyId));
          if (!mayReceive) {
            throw problemAt('not-custodian', `lot ${lot.id} is not in transit to this party`, {
              eventIndex,
              field: `${entry.pointer}/epcClass`,
              rule: 'access:receiver',
              record: lot.id,
            });
          }
          setLot(
            lotInState(lot, {
              holderId: where.partyId,
              locationId: where.id,
              status: 'held',
              remainingMg: lot.remainingMg,
              inTransitTo: undefined,
              updatedSeq: seq,
            }),
          );
          custody.push({ lotId: lot.id, partyId: where.partyId, seq });
        }
      } else if (action === 'DELETE') {
        for (const entry of quantities) {
          const lot = requireLot(entry);
          requireHeld(lot, entry);
          setLot(lotInState(lot, { ...stateOf(lot), remainingMg: 0, status: 'consumed', updatedSeq: seq }));
        }
      } else {
        // Any other event about a known lot: an observation; the capturer must hold it or be at its own place.
        for (const entry of quantities) {
          const lot = lots.get(entry.epcClass);
          if (lot === undefined) continue;
          const ownPlace = location !== undefined && location.partyId === actor.partyId;
          if (!isOperator && lot.holderId !== actor.partyId && !ownPlace) {
            throw problemAt('not-custodian', `lot ${lot.id} is held by another party`, {
              eventIndex,
              field: `${entry.pointer}/epcClass`,
              rule: 'access:holder',
              record: lot.id,
            });
          }
        }
      }
    } else if (!isOperator && location !== undefined && location.partyId !== actor.partyId) {
      throw problemAt('not-custodian', `location ${location.id} is operated by another party`, {
        eventIndex,
        field: `${pointer}/bizLocation/id`,
        rule: 'access:own-location',
        record: location.id,
      });
    }

    // GPS readings become the track of every known lot the event names.
    const readings = gpsReadings(event, eventTimeMs);
    if (readings.length > 0) {
      // Each lot once, in the order the lists name them (a scan: the lists are short).
      const tracked: string[] = [];
      for (const list of [quantities, inputs, outputs]) {
        for (const { epcClass: id } of list) {
          if (tracked.includes(id) || !lots.has(id)) continue;
          tracked.push(id);
          for (const { timeMs, lat, lon } of readings) trackPoints.push({ lotId: id, seq, timeMs, lat, lon });
        }
      }
    }

    events.push({
      seq,
      hash,
      type,
      eventTimeMs,
      recordTimeMs: input.recordTimeMs,
      action,
      bizStep,
      disposition,
      readPoint,
      bizLocation,
      capturedBy: actor.partyId,
      documentId: input.documentId,
      json: item.json,
    });
    outcomes.push({ index: eventIndex, hash, seq, status: 'recorded' });

    function decideTransformation(): void {
      const where = requireOwnLocation();
      const extension = parseTransformationExtension(keys, event, at, (quantity, uom, field) =>
        massAt(quantity, uom, eventIndex, pointer + field, hash),
      );
      const declarations = parseLotDeclarations(keys, event, at);
      if (inputs.length === 0) {
        throw problemAt('extension-invalid', 'a rare-earth transformation needs inputQuantityList', {
          eventIndex,
          field: `${pointer}/inputQuantityList`,
          rule: 'ree:transformation',
        });
      }
      const consumedSides: BalanceSide[] = [];
      const contributions: OriginContribution[] = [];
      const consumedValues: ElementValues[] = [];
      const consumed: { lot: Lot; mg: number }[] = [];
      const consumedSoFar = new Map<string, number>();
      for (const entry of inputs) {
        const lot = requireLot(entry);
        requireHeld(lot, entry);
        if (lot.status === 'in-transit') {
          throw problemAt('not-custodian', `lot ${lot.id} is in transit and must be received first`, {
            eventIndex,
            field: `${entry.pointer}/epcClass`,
            rule: 'ree:custody',
            record: lot.id,
          });
        }
        const already = consumedSoFar.get(lot.id) ?? 0;
        const mg = checkQuantity({ ...lot, remainingMg: lot.remainingMg - already }, entry);
        consumedSoFar.set(lot.id, already + mg);
        const fraction = lot.massMg > 0 ? mg / lot.massMg : 0;
        const values = scaleElementValues(lot.elementValues, fraction);
        consumedSides.push({ composition: lot.composition, massMg: mg });
        contributions.push({
          composition: lot.composition,
          origin: lot.origin,
          consumedMg: mg,
          consumedElementValues: values,
        });
        consumedValues.push(values);
        consumed.push({ lot, mg });
      }
      const outputSides: { entry: QuantityEntry; declaration: LotDeclaration; massMg: number }[] = [];
      for (const entry of outputs) {
        const declaration = declarations.get(entry.epcClass);
        if (declaration === undefined) {
          throw problemAt('extension-invalid', `output lot ${entry.epcClass} has no ree:lots entry in ilmd`, {
            eventIndex,
            field: `${pointer}/ilmd`,
            rule: 'ree:lots',
            record: entry.epcClass,
          });
        }
        if (lots.has(entry.epcClass)) {
          throw problemAt('lot-exists', `output lot ${entry.epcClass} already exists`, {
            eventIndex,
            field: `${entry.pointer}/epcClass`,
            rule: 'ree:unique-lot',
            record: entry.epcClass,
          });
        }
        outputSides.push({
          entry,
          declaration,
          massMg: massAt(entry.quantity, entry.uom, eventIndex, entry, entry.epcClass),
        });
      }
      const balance = checkMassBalance(
        consumedSides,
        outputSides.map((o) => ({ composition: o.declaration.composition, massMg: o.massMg })),
        extension.declaredLoss,
        extension.tolerancePpm ?? limits.defaultMassBalanceTolerancePpm,
      );
      const gain = balance.gains[0];
      if (gain !== undefined) {
        // One issue per element (and the total) out of balance, so the capturer sees all of them at once.
        const record = outputs.map((o) => o.epcClass).join(' ');
        const issues = balance.gains.map((g) => ({
          eventIndex,
          field: `${pointer}/outputQuantityList`,
          rule: `mass-balance:${g.element}`,
          record,
          message: massBalanceMessage(g),
        }));
        throw new Problem(
          'mass-balance',
          `${massBalanceMessage(gain)} (event ${eventIndex}, rule mass-balance:${gain.element}${balance.gains.length > 1 ? `, and ${balance.gains.length - 1} more` : ''})`,
          issues,
        );
      }
      for (const loss of balance.undeclaredLosses) {
        warnings.push({
          eventIndex,
          rule: `mass-balance-undeclared-loss:${loss.element}`,
          record: hash,
          message: `${(-loss.excessMg / 1e6).toFixed(3)} kg left the transformation beyond its declared loss`,
        });
      }
      // Consume the inputs.
      for (const [id, mg] of consumedSoFar) {
        const lot = lots.get(id) as Lot;
        const remainingMg = lot.remainingMg - mg;
        const status = remainingMg === 0 ? 'consumed' : lot.status;
        setLot(lotInState(lot, { ...stateOf(lot), remainingMg, status, updatedSeq: seq }));
      }
      const separatedIn = extension.process === 'separation' ? where.country : undefined;
      const origin = blendOrigin(contributions, separatedIn);
      const outValues = distributeElementValues(
        consumedValues,
        outputSides.map((o) => ({ composition: o.declaration.composition, massMg: o.massMg })),
      );
      const holderId = isOperator ? where.partyId : actor.partyId;
      outputSides.forEach((output, i) => {
        const elementValues = outValues[i] ?? {};
        let traced = 0;
        for (const value of Object.values(elementValues)) traced += value;
        setLot({
          id: output.entry.epcClass,
          form: output.declaration.form,
          hsCode: output.declaration.hsCode,
          massMg: output.massMg,
          remainingMg: output.massMg,
          composition: output.declaration.composition,
          valueCents: output.declaration.valueCents ?? Math.round(traced),
          elementValues,
          origin: restrictOrigin(origin, output.declaration.composition),
          holderId,
          locationId: where.id,
          status: 'held',
          createdSeq: seq,
          updatedSeq: seq,
          createdAt: eventTimeMs,
        });
        custody.push({ lotId: output.entry.epcClass, partyId: holderId, seq });
        for (const { lot, mg } of consumed) {
          links.push({ parentId: lot.id, childId: output.entry.epcClass, seq, consumedMg: mg });
        }
      });
    }
  }

  return {
    outcomes,
    events,
    identifiers,
    createdLots: [...changedLots.values()].filter((lot) => !snapshot.lots.has(lot.id)),
    updatedLots: [...changedLots.values()].filter((lot) => snapshot.lots.has(lot.id)),
    links: dedupeLinks(links),
    custody,
    trackPoints,
    parties: newParties,
    locations: newLocations,
    warnings,
  };
}

function dedupeLinks(links: readonly GenealogyLink[]): GenealogyLink[] {
  const byKey = new Map<string, GenealogyLink>();
  for (const link of links) {
    const key = `${link.parentId}\n${link.childId}`;
    const existing = byKey.get(key);
    byKey.set(
      key,
      existing === undefined ? link : { ...existing, consumedMg: existing.consumedMg + link.consumedMg },
    );
  }
  return [...byKey.values()];
}

function restrictOrigin(origin: LotOrigin, composition: Lot['composition']): LotOrigin {
  const out: LotOrigin = {};
  for (const key in origin) {
    const element = key as Element;
    if ((composition[element] ?? 0) > 0) out[element] = origin[element];
  }
  return out;
}

function massBalanceMessage(finding: MassBalanceFinding): string {
  const kg = (mg: number): string => (mg / 1e6).toFixed(6).replace(/\.?0+$/, '');
  const loss = finding.declaredLossMg > 0 ? ` plus a declared loss of ${kg(finding.declaredLossMg)} kg` : '';
  return `outputs hold ${kg(finding.outputMg)} kg of ${finding.element}${loss} but the inputs gave only ${kg(finding.inputMg)} kg (tolerance ${kg(finding.allowedMg)} kg)`;
}

function commissionedLot(
  declaration: LotDeclaration,
  massMg: number,
  where: Location,
  holderId: string,
  seq: number,
  eventTimeMs: number,
): Lot {
  let origin: LotOrigin;
  if (where.kind === 'mine') {
    origin = uniformOrigin(declaration.composition, where.country, notSeparated);
  } else if (declaration.origin?.kind === 'uniform') {
    origin = uniformOrigin(declaration.composition, declaration.origin.mining, declaration.origin.separation);
  } else if (declaration.origin?.kind === 'per-element') {
    origin = {};
    for (const [element, share] of Object.entries(declaration.composition) as [Element, number][]) {
      if (share <= 0) continue;
      const declared = declaration.origin.byElement[element];
      const mining = { [declared?.mining ?? unknownCountry]: 1 };
      const separation = { [declared?.separation ?? unknownCountry]: 1 };
      origin[element] = {
        miningByMass: mining,
        separationByMass: separation,
        miningByValue: mining,
        separationByValue: separation,
      };
    }
  } else {
    origin = uniformOrigin(declaration.composition, unknownCountry, unknownCountry);
  }
  const valueCents = declaration.valueCents ?? 0;
  return {
    id: declaration.epcClass,
    form: declaration.form,
    hsCode: declaration.hsCode,
    massMg,
    remainingMg: massMg,
    composition: declaration.composition,
    valueCents,
    elementValues: elementValuesByMass(declaration.composition, valueCents),
    origin,
    holderId,
    locationId: where.id,
    status: 'held',
    createdSeq: seq,
    updatedSeq: seq,
    createdAt: eventTimeMs,
  };
}
