import { limits } from '../core/limits.js';
import { toMilligramsNumber } from '../core/units.js';
import { type Element, elements } from '../domain/elements.js';
import { isProcess, type MaterialForm } from '../domain/forms.js';
import type { Lot } from '../domain/lot.js';
import type { Location, Party } from '../domain/party.js';
import { sourceDestParty } from '../epcis/index.js';
import { ExtensionKeys } from '../ledger/extension.js';
import type { Store, StoredEvent } from '../store/store.js';
import type {
  ControlsLedger,
  FactFilter,
  FactKind,
  Genealogy,
  GenealogyStep,
  LedgerFact,
  Ownership,
  StepKind,
} from './ports.js';

/**
 * The controls port on the ledger's store (src/store/store.ts): lots, genealogy links and stored events are
 * read and reduced to what controls need. A starting implementation for the ledger to keep or replace; it
 * reads only through the Store interface, so SQLite and PostgreSQL give the same answers.
 *
 * Readings (docs/extension.md): a commissioning at a `mine` location is mining; a TransformationEvent's
 * `ree:process` is its step kind (separation, metal-making, …); a shipping event is an export when the
 * receiving party is registered in another country than the shipping location; receiving is receiving.
 */
export interface StoreLedgerOptions {
  /** Ownership of parties (the store keeps none); default: none recorded. */
  readonly ownersOf?: (partyId: string) => readonly Ownership[] | Promise<readonly Ownership[]>;
  /** Events read per page when streaming facts. */
  readonly pageSize?: number;
  /**
   * How many creating steps and link lists to keep in memory. Both are immutable once written (an event and
   * the links of its transformation never change), so caching them is safe; lots are always read fresh.
   */
  readonly cacheSize?: number;
}

/** A map that forgets everything when full: simple, bounded, and enough for immutable facts. */
class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  set(key: K, value: V): void {
    if (this.map.size >= this.limit) this.map.clear();
    this.map.set(key, value);
  }
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const id = (value as Record<string, unknown>).id;
    return typeof id === 'string' ? id : undefined;
  }
  return undefined;
}

function quantities(event: Record<string, unknown>, key: string): { epcClass: string; massMg: number }[] {
  const list = event[key];
  if (!Array.isArray(list)) return [];
  const out: { epcClass: string; massMg: number }[] = [];
  for (const item of list) {
    if (item === null || typeof item !== 'object') continue;
    const q = item as Record<string, unknown>;
    if (
      typeof q.epcClass !== 'string' ||
      (typeof q.quantity !== 'number' && typeof q.quantity !== 'string') ||
      typeof q.uom !== 'string'
    )
      continue;
    try {
      out.push({ epcClass: q.epcClass, massMg: toMilligramsNumber(q.quantity, q.uom) });
    } catch {
      // Not a mass (e.g. a count): not a quantity controls can weigh.
    }
  }
  return out;
}

/**
 * Where `eventToFact` looks up what an event names. Each may answer synchronously (a capture guard answers
 * from the document it is reviewing and its caches) or asynchronously (the store).
 */
export interface FactLookups {
  location(id: string): Location | undefined | Promise<Location | undefined>;
  party(id: string): Party | undefined | Promise<Party | undefined>;
  lots(ids: readonly string[]): ReadonlyMap<string, Lot> | Promise<ReadonlyMap<string, Lot>>;
  /** How the event's document spells the `ree:` terms (its @context). */
  keys(event: Omit<StoredEvent, 'json'>): ExtensionKeys | Promise<ExtensionKeys>;
}

/**
 * One stored (or about-to-be-stored) event as a controls fact, or undefined when it is none (see the readings
 * above): its columns, and the event itself as parsed (`json`).
 */
export async function eventToFact(
  event: Omit<StoredEvent, 'json'>,
  lookups: FactLookups,
  json: Record<string, unknown>,
): Promise<LedgerFact | undefined> {
  const locationId = event.bizLocation ?? idOf(json.bizLocation);
  const loc = locationId === undefined ? undefined : await lookups.location(locationId);
  // Stored events carry the bizStep already as the bare CBV word when it is a standard one.
  const bizStep = event.bizStep ?? '';
  const keys = await lookups.keys(event);
  let kind: FactKind | undefined;
  let items: { epcClass: string; massMg: number }[] = [];
  let counterpartyId: string | undefined;
  let destinationCountry: string | undefined;
  if (event.type === 'TransformationEvent') {
    const process = keys.get(json, 'process')?.value;
    kind =
      process === 'separation' ||
      process === 'metal-making' ||
      process === 'alloying' ||
      process === 'magnet-making' ||
      process === 'recycling'
        ? process
        : 'transformation';
    items = quantities(json, 'outputQuantityList');
  } else if (event.type === 'ObjectEvent') {
    items = quantities(json, 'quantityList');
    if (event.action === 'ADD' && bizStep === 'commissioning')
      kind = loc?.kind === 'mine' ? 'mining' : undefined;
    else if (bizStep === 'shipping') {
      counterpartyId = sourceDestParty(json, 'destinationList');
      const receiver = counterpartyId === undefined ? undefined : await lookups.party(counterpartyId);
      destinationCountry = receiver?.country;
      kind =
        receiver !== undefined && loc !== undefined && receiver.country !== loc.country
          ? 'export'
          : 'shipping';
    } else if (bizStep === 'receiving') kind = 'receiving';
  }
  if (kind === undefined || items.length === 0) return undefined;
  const lotsById = await lookups.lots(items.map((i) => i.epcClass));
  const elementMassesMg: Partial<Record<Element, number>> = {};
  const forms = new Set<MaterialForm>();
  let massMg = 0;
  for (const item of items) {
    massMg += item.massMg;
    const lot = lotsById.get(item.epcClass);
    if (lot !== undefined) forms.add(lot.form);
    const composition = lot?.composition ?? {};
    for (const element of elements) {
      const share = composition[element];
      if (share !== undefined && share > 0)
        elementMassesMg[element] = (elementMassesMg[element] ?? 0) + share * item.massMg;
    }
  }
  const licence = keys.get(json, 'licence')?.value;
  // The acting enterprise: the shipping party named in the source list, else the location's operator, else
  // whoever captured the event.
  const sender = kind === 'export' || kind === 'shipping' ? sourceDestParty(json, 'sourceList') : undefined;
  return {
    seq: event.seq,
    eventTime: event.eventTimeMs,
    kind,
    partyId: sender ?? loc?.partyId ?? event.capturedBy,
    locationId: loc?.id ?? locationId ?? '',
    lotIds: items.map((i) => i.epcClass),
    massMg,
    elementMassesMg,
    ...(forms.size === 0 ? {} : { forms: [...forms] }),
    ...(counterpartyId === undefined ? {} : { counterpartyId }),
    ...(destinationCountry === undefined ? {} : { destinationCountry }),
    ...(typeof licence === 'string' ? { licenceId: licence } : {}),
  };
}

export function storeControlsLedger(store: Store, options: StoreLedgerOptions = {}): ControlsLedger {
  const locations = new Map<string, Location | undefined>();
  const location = async (id: string | undefined): Promise<Location | undefined> => {
    if (id === undefined) return undefined;
    if (!locations.has(id)) locations.set(id, await store.getLocation(id));
    return locations.get(id);
  };
  const parse = (event: StoredEvent): Record<string, unknown> =>
    JSON.parse(event.json) as Record<string, unknown>;
  // Each document's @context decides how its events spell the ree: terms.
  const keysByDocument = new BoundedCache<number, ExtensionKeys>(options.cacheSize ?? 100_000);
  const keysOf = async (event: StoredEvent): Promise<ExtensionKeys> => {
    let keys = keysByDocument.get(event.documentId);
    if (keys === undefined) {
      const document = await store.getDocument(event.documentId);
      keys = new ExtensionKeys(document === undefined ? null : (JSON.parse(document.contextJson) as unknown));
      keysByDocument.set(event.documentId, keys);
    }
    return keys;
  };
  const lookups: FactLookups = {
    location,
    party: (id) => store.getParty(id),
    lots: (ids) => store.getLots(ids),
    keys: keysOf,
  };
  const toFact = (event: StoredEvent): Promise<LedgerFact | undefined> =>
    eventToFact(event, lookups, JSON.parse(event.json) as Record<string, unknown>);
  const cacheSize = options.cacheSize ?? 100_000;
  const stepCache = new BoundedCache<number, Omit<GenealogyStep, 'inputs' | 'outputs'> | null>(cacheSize);
  const linkCache = new BoundedCache<string, { lotId: string; consumedMg: number }[]>(cacheSize);

  async function stepAt(seq: number): Promise<Omit<GenealogyStep, 'inputs' | 'outputs'> | undefined> {
    const cached = stepCache.get(seq);
    if (cached !== undefined) return cached ?? undefined;
    const event = await store.getEvent(seq);
    const step = event === undefined ? undefined : await stepFor(event);
    stepCache.set(seq, step ?? null);
    return step;
  }

  async function stepFor(event: StoredEvent): Promise<Omit<GenealogyStep, 'inputs' | 'outputs'>> {
    const json = parse(event);
    const loc = await location(event.bizLocation ?? undefined);
    let kind: StepKind;
    if (event.type === 'TransformationEvent') {
      const process = (await keysOf(event)).get(json, 'process')?.value;
      kind = typeof process === 'string' && isProcess(process) ? process : 'other';
    } else kind = loc?.kind === 'mine' ? 'mining' : 'commissioning';
    return {
      seq: event.seq,
      eventTime: event.eventTimeMs,
      kind,
      partyId: loc?.partyId ?? event.capturedBy,
      locationId: event.bizLocation ?? '',
      country: loc?.country ?? 'XX',
    };
  }

  async function upstream(
    id: string,
    maxDepth: number = limits.maxTraceDepth,
  ): Promise<Genealogy | undefined> {
    const root = await store.getLot(id);
    if (root === undefined) return undefined;
    const lots = new Map<string, Lot>([[id, root]]);
    const steps = new Map<number, GenealogyStep>();
    let truncated = false;
    let frontier: string[] = [id];
    for (let depth = 0; frontier.length > 0; depth++) {
      const byChild = new Map<string, { lotId: string; consumedMg: number }[]>();
      const missing: string[] = [];
      for (const childId of frontier) {
        const cached = linkCache.get(childId);
        if (cached === undefined) missing.push(childId);
        else byChild.set(childId, cached);
      }
      if (missing.length > 0) {
        for (const childId of missing) byChild.set(childId, []);
        for (const link of await store.links(missing, 'upstream')) {
          byChild.get(link.childId)?.push({ lotId: link.parentId, consumedMg: link.consumedMg });
        }
        for (const childId of missing) linkCache.set(childId, byChild.get(childId) ?? []);
      }
      const parents = new Set<string>();
      for (const childId of frontier) {
        const lot = lots.get(childId);
        if (lot === undefined) continue;
        const existing = steps.get(lot.createdSeq);
        if (existing !== undefined) {
          if (!existing.outputs.some((o) => o.lotId === lot.id)) {
            steps.set(lot.createdSeq, {
              ...existing,
              outputs: [...existing.outputs, { lotId: lot.id, massMg: lot.massMg }],
            });
          }
          continue;
        }
        const header = await stepAt(lot.createdSeq);
        if (header === undefined) continue;
        const inputs = byChild.get(childId) ?? [];
        steps.set(lot.createdSeq, {
          ...header,
          inputs,
          outputs: [{ lotId: lot.id, massMg: lot.massMg }],
        });
        for (const input of inputs) if (!lots.has(input.lotId)) parents.add(input.lotId);
      }
      if (parents.size === 0) break;
      if (depth + 1 >= maxDepth) {
        truncated = true;
        break;
      }
      const found = await store.getLots([...parents]);
      for (const [lotId, lot] of found) lots.set(lotId, lot);
      frontier = [...found.keys()];
    }
    return { root, lots, steps: [...steps.values()], truncated };
  }

  async function* facts(filter: FactFilter): AsyncIterable<LedgerFact> {
    const pageSize = options.pageSize ?? limits.maxPerPage;
    let afterSeq = -1;
    for (;;) {
      const page = await store.queryEvents({
        limit: pageSize,
        afterSeq,
        ...(filter.fromMs === undefined ? {} : { geEventTimeMs: filter.fromMs }),
        ...(filter.toMs === undefined ? {} : { ltEventTimeMs: filter.toMs }),
      });
      if (page.length === 0) return;
      for (const event of page) {
        afterSeq = Math.max(afterSeq, event.seq);
        const fact = await toFact(event);
        if (fact === undefined) continue;
        if (filter.partyId !== undefined && fact.partyId !== filter.partyId) continue;
        if (filter.kinds !== undefined && !filter.kinds.includes(fact.kind)) continue;
        yield fact;
      }
      if (page.length < pageSize) return;
    }
  }

  return {
    getLot: (id) => store.getLot(id),
    upstream,
    getParty: (id) => store.getParty(id),
    getLocation: (id) => store.getLocation(id),
    ownersOf: async (partyId) => (options.ownersOf === undefined ? [] : await options.ownersOf(partyId)),
    facts,
  };
}
