import { limits } from '../core/limits.js';
import { type Element, isRareEarth } from '../domain/elements.js';
import type { Lot, LotHeader } from '../domain/lot.js';
import type { CountryShares, ElementOrigin } from '../domain/origin.js';
import type { GenealogyLink, Store } from '../store/store.js';

/**
 * Read side of the lot genealogy: the whole trace of a lot upstream (where it came from) or downstream (where it
 * went), and its origin summary. A party that does not hold or has not held a lot sees it in a trace only as an
 * id, form and origin, not its commercial details (mass, value, holder).
 */
export type Direction = 'upstream' | 'downstream';

export interface TraceNode {
  readonly id: string;
  readonly depth: number;
  readonly form?: Lot['form'];
  readonly hsCode?: string;
  readonly status?: Lot['status'];
  readonly massMg?: number;
  readonly remainingMg?: number;
  readonly valueCents?: number;
  readonly holderId?: string;
  readonly locationId?: string;
  readonly redacted: boolean;
}

export interface Trace {
  readonly lot: string;
  readonly direction: Direction;
  readonly nodes: TraceNode[];
  readonly edges: { parent: string; child: string; seq: number; consumedMg?: number }[];
  /** True when the walk stopped at limits.maxTraceDepth or limits.maxTraceLots. */
  readonly truncated: boolean;
}

/**
 * Which of a trace's lots the caller sees with their commercial details, asked once for all of them (a query a
 * lot would be a round trip a lot on PostgreSQL: 128 lots took a party's trace to p99 36 ms). Only headers are
 * needed.
 */
export type Visibility = (lots: readonly LotHeader[]) => Promise<ReadonlySet<string>>;

/** The regulator, auditors and the operator see every lot. */
export const everyLot: Visibility = async (lots) => new Set(lots.map((lot) => lot.id));

/** A party sees the lots it holds, and those it has held (its custody records). */
export function lotsHeldBy(store: Store, partyId: string): Visibility {
  return async (lots) => {
    const visible = new Set<string>();
    const others: string[] = [];
    for (const lot of lots) {
      if (lot.holderId === partyId) visible.add(lot.id);
      else others.push(lot.id);
    }
    for (const id of await store.heldAmong(partyId, others)) visible.add(id);
    return visible;
  };
}

/**
 * How a trace reads links a level at a time: from the store per level, or, where the store can give every
 * link within the trace's depth at once (`Store.reachableLinks`), from memory, in the order `Store.links`
 * gives them (by the given lot, then by the lot at the other end), so that both walks agree.
 */
async function linkSource(
  store: Store,
  root: string,
  direction: Direction,
): Promise<(ids: readonly string[]) => Promise<GenealogyLink[]>> {
  if (store.reachableLinks === undefined) return (ids) => store.links(ids, direction);
  // Lots at depth maxTraceDepth - 1 are the last whose links the walk reads.
  const all = await store.reachableLinks(root, direction, limits.maxTraceDepth - 1);
  const byLot = new Map<string, GenealogyLink[]>();
  const from = (l: GenealogyLink): string => (direction === 'upstream' ? l.childId : l.parentId);
  const to = (l: GenealogyLink): string => (direction === 'upstream' ? l.parentId : l.childId);
  for (const link of all) {
    const list = byLot.get(from(link));
    if (list === undefined) byLot.set(from(link), [link]);
    else list.push(link);
  }
  for (const list of byLot.values()) list.sort((a, b) => (to(a) < to(b) ? -1 : to(a) > to(b) ? 1 : 0));
  return async (ids) => ids.flatMap((id) => byLot.get(id) ?? []);
}

export async function traceLot(
  store: Store,
  root: LotHeader,
  direction: Direction,
  visible: Visibility,
): Promise<Trace> {
  const depthOf = new Map<string, number>([[root.id, 0]]);
  const edges: GenealogyLink[] = [];
  let frontier = [root.id];
  let truncated = false;
  const linksOf = await linkSource(store, root.id, direction);
  for (let depth = 1; frontier.length > 0; depth++) {
    if (depth > limits.maxTraceDepth) {
      truncated = true;
      break;
    }
    const links = await linksOf(frontier);
    const next: string[] = [];
    for (const link of links) {
      edges.push(link);
      const other = direction === 'upstream' ? link.parentId : link.childId;
      if (!depthOf.has(other)) {
        if (depthOf.size >= limits.maxTraceLots) {
          truncated = true;
          continue;
        }
        depthOf.set(other, depth);
        next.push(other);
      }
    }
    frontier = next;
  }
  const lots = await store.lotHeaders([...depthOf.keys()]);
  const shown = await visible([...lots.values()]);
  const nodes: TraceNode[] = [];
  for (const [id, depth] of depthOf) {
    const lot = lots.get(id);
    if (lot === undefined) {
      nodes.push({ id, depth, redacted: true });
      continue;
    }
    nodes.push(
      shown.has(id)
        ? {
            id,
            depth,
            form: lot.form,
            hsCode: lot.hsCode,
            status: lot.status,
            massMg: lot.massMg,
            remainingMg: lot.remainingMg,
            valueCents: lot.valueCents,
            holderId: lot.holderId,
            ...(lot.locationId === undefined ? {} : { locationId: lot.locationId }),
            redacted: false,
          }
        : { id, depth, form: lot.form, hsCode: lot.hsCode, redacted: true },
    );
  }
  nodes.sort((a, b) => a.depth - b.depth || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const visibleIds = new Set(nodes.filter((n) => !n.redacted).map((n) => n.id));
  return {
    lot: root.id,
    direction,
    nodes,
    edges: edges.map((e) => ({
      parent: e.parentId,
      child: e.childId,
      seq: e.seq,
      ...(visibleIds.has(e.parentId) ? { consumedMg: e.consumedMg } : {}),
    })),
    truncated,
  };
}

export interface ElementOriginSummary extends ElementOrigin {
  readonly element: Element;
  readonly massMg: number;
}

export interface OriginSummary {
  readonly lot: string;
  readonly form: Lot['form'];
  readonly massMg: number;
  /** Per element, the shares by country of mining and of separation, by mass and by value. */
  readonly elements: ElementOriginSummary[];
  /** Over all rare-earth elements of the lot: mass-weighted shares. */
  readonly rareEarths: {
    readonly massMg: number;
    readonly miningByMass: CountryShares;
    readonly separationByMass: CountryShares;
    readonly miningByValue: CountryShares;
    readonly separationByValue: CountryShares;
  };
}

function accumulate(target: Record<string, number>, shares: CountryShares, weight: number): void {
  for (const [country, share] of Object.entries(shares))
    target[country] = (target[country] ?? 0) + share * weight;
}

function normalised(weights: Record<string, number>): CountryShares {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const out: Record<string, number> = {};
  if (total <= 0) return out;
  for (const key of Object.keys(weights).sort()) out[key] = (weights[key] ?? 0) / total;
  return out;
}

export function originSummary(lot: Lot): OriginSummary {
  const elements: ElementOriginSummary[] = [];
  const miningByMass: Record<string, number> = {};
  const separationByMass: Record<string, number> = {};
  const miningByValue: Record<string, number> = {};
  const separationByValue: Record<string, number> = {};
  let reMass = 0;
  for (const [element, origin] of Object.entries(lot.origin) as [Element, ElementOrigin][]) {
    const massMg = Math.round((lot.composition[element] ?? 0) * lot.massMg);
    elements.push({ element, massMg, ...origin });
    if (!isRareEarth(element)) continue;
    reMass += massMg;
    accumulate(miningByMass, origin.miningByMass, massMg);
    accumulate(separationByMass, origin.separationByMass, massMg);
    const value = lot.elementValues[element] ?? 0;
    accumulate(miningByValue, origin.miningByValue, value);
    accumulate(separationByValue, origin.separationByValue, value);
  }
  return {
    lot: lot.id,
    form: lot.form,
    massMg: lot.massMg,
    elements,
    rareEarths: {
      massMg: reMass,
      miningByMass: normalised(miningByMass),
      separationByMass: normalised(separationByMass),
      miningByValue: normalised(miningByValue),
      separationByValue: normalised(separationByValue),
    },
  };
}
