import type { Element } from './elements.js';
import type { MaterialForm } from './forms.js';
import type { LotOrigin } from './origin.js';

/** Mass fractions by element (0..1); what is not named is "other" (oxygen in oxides, carbon, …). */
export type Composition = Partial<Record<Element, number>>;

/** Value of each element's material in a lot, in US cents, traced from upstream (see origin.ts). */
export type ElementValues = Partial<Record<Element, number>>;

export type LotStatus = 'held' | 'in-transit' | 'consumed';

/**
 * A lot: a quantity of one material, identified by its EPC class (an LGTIN, as URN or GS1 Digital Link).
 * Masses are integer milligrams.
 */
export interface Lot {
  readonly id: string;
  readonly form: MaterialForm;
  readonly hsCode: string;
  /** Mass when the lot was created. */
  readonly massMg: number;
  /** Mass not yet consumed by transformations. */
  readonly remainingMg: number;
  readonly composition: Composition;
  /** Declared value of the whole lot in US cents, or 0 when none was declared. */
  readonly valueCents: number;
  readonly elementValues: ElementValues;
  readonly origin: LotOrigin;
  /** The party that owns the lot now (custody). */
  readonly holderId: string;
  /** Where the lot is now; undefined while in transit. */
  readonly locationId: string | undefined;
  readonly status: LotStatus;
  /** While in transit: the party it was shipped to. */
  readonly inTransitTo?: string;
  /** Log sequence number of the event that created the lot. */
  readonly createdSeq: number;
  /** Log sequence number of the last event that changed the lot. */
  readonly updatedSeq: number;
  /** Event time (ms since epoch) of the creating event. */
  readonly createdAt: number;
}

/**
 * A lot without its composition, element values and origin: what a trace shows of each lot and what its
 * visibility depends on. Reading it skips decoding the origin, most of a lot's stored text (about 1.4 KB a lot
 * on the demo world) and most of the cost of reading a lot.
 */
export type LotHeader = Omit<Lot, 'composition' | 'elementValues' | 'origin'>;

/** Mass of one element in a given mass of a lot, in (fractional) milligrams. */
export function elementMass(composition: Composition, element: Element, massMg: number): number {
  return (composition[element] ?? 0) * massMg;
}

/** Tolerance for a composition's fractions summing above 1 (floating input like 0.1 + 0.2). */
export const compositionSumTolerance = 1e-9;

/** What changes in a lot after it is created: custody, place, status, remaining mass. */
export interface LotState {
  readonly holderId: string;
  readonly locationId: string | undefined;
  readonly status: LotStatus;
  readonly remainingMg: number;
  /** Kept on the lot only while it is not undefined. */
  readonly inTransitTo: string | undefined;
  readonly updatedSeq: number;
}

/**
 * The lot in a new state: its facts unchanged, the state as given. Every lot it makes has one shape, where the
 * spreads it replaces (`{ ...lot, status }`, and `...rest` to drop a field) each made an object by copying and
 * cost about a microsecond an event on the bulk import (measured).
 */
export function lotInState(lot: Lot, state: LotState): Lot {
  const next: { -readonly [K in keyof Lot]: Lot[K] } = {
    id: lot.id,
    form: lot.form,
    hsCode: lot.hsCode,
    massMg: lot.massMg,
    remainingMg: state.remainingMg,
    composition: lot.composition,
    valueCents: lot.valueCents,
    elementValues: lot.elementValues,
    origin: lot.origin,
    holderId: state.holderId,
    locationId: state.locationId,
    status: state.status,
    createdSeq: lot.createdSeq,
    updatedSeq: state.updatedSeq,
    createdAt: lot.createdAt,
  };
  if (state.inTransitTo !== undefined) next.inTransitTo = state.inTransitTo;
  return next;
}

/** A lot's state as it is. */
export function stateOf(lot: Lot): LotState {
  return {
    holderId: lot.holderId,
    locationId: lot.locationId,
    status: lot.status,
    remainingMg: lot.remainingMg,
    inTransitTo: lot.inTransitTo,
    updatedSeq: lot.updatedSeq,
  };
}
