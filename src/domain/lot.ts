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

/** Mass of one element in a given mass of a lot, in (fractional) milligrams. */
export function elementMass(composition: Composition, element: Element, massMg: number): number {
  return (composition[element] ?? 0) * massMg;
}

/** Tolerance for a composition's fractions summing above 1 (floating input like 0.1 + 0.2). */
export const compositionSumTolerance = 1e-9;
