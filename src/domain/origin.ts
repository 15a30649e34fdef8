import type { Element } from './elements.js';
import { elements } from './elements.js';
import type { Composition, ElementValues } from './lot.js';

/**
 * Origin attribution. For each element of a lot, the shares of its material by country of mining and by
 * country of separation, weighted by mass and, separately, by value. Shares in a map sum to 1.
 *
 * Two sentinel keys: `XX` (ISO 3166 user-assigned code) for a country the ledger cannot know, `none` for
 * separation that has not happened yet (ore and concentrate).
 */
export type CountryShares = Readonly<Record<string, number>>;

export interface ElementOrigin {
  readonly miningByMass: CountryShares;
  readonly separationByMass: CountryShares;
  readonly miningByValue: CountryShares;
  readonly separationByValue: CountryShares;
}

export type LotOrigin = Partial<Record<Element, ElementOrigin>>;

export const unknownCountry = 'XX';
export const notSeparated = 'none';

/** Origin of freshly commissioned material: every element from one mining and one separation country. */
export function uniformOrigin(
  composition: Composition,
  miningCountry: string,
  separationCountry: string,
): LotOrigin {
  const out: LotOrigin = {};
  const mining = { [miningCountry]: 1 };
  const separation = { [separationCountry]: 1 };
  for (const element of elements) {
    if ((composition[element] ?? 0) > 0) {
      out[element] = {
        miningByMass: mining,
        separationByMass: separation,
        miningByValue: mining,
        separationByValue: separation,
      };
    }
  }
  return out;
}

/** One input's contribution to a transformation. */
export interface OriginContribution {
  readonly composition: Composition;
  readonly origin: LotOrigin;
  /** Mass of the input consumed, mg. */
  readonly consumedMg: number;
  /** The input's element values scaled to the consumed mass, cents. */
  readonly consumedElementValues: ElementValues;
}

function addWeighted(target: Record<string, number>, shares: CountryShares, weight: number): void {
  if (weight <= 0) return;
  for (const country in shares) target[country] = (target[country] ?? 0) + (shares[country] ?? 0) * weight;
}

function isEmpty(shares: CountryShares): boolean {
  for (const _ in shares) return false;
  return true;
}

/** Every `{country: 1}` map handed out, shared (share maps are never changed once made). */
const whole = new Map<string, CountryShares>();

function wholeFrom(country: string): CountryShares {
  let shares = whole.get(country);
  if (shares === undefined) {
    shares = Object.freeze({ [country]: 1 });
    whole.set(country, shares);
  }
  return shares;
}

/** The shares of an input whose origin of an element is not recorded: all of it from an unknown country. */
const unknownOnly: CountryShares = wholeFrom(unknownCountry);

function normalise(weights: Record<string, number>): CountryShares {
  let total = 0;
  let countries = 0;
  let only = '';
  for (const country in weights) {
    total += weights[country] ?? 0;
    countries++;
    only = country;
  }
  if (total <= 0) return {};
  // Most elements come from one country: a shared map, no key array to sort.
  if (countries === 1) return wholeFrom(only);
  const out: Record<string, number> = {};
  for (const country of Object.keys(weights).sort()) {
    const share = (weights[country] ?? 0) / total;
    if (share > 0) out[country] = share;
  }
  return out;
}

/** The weights of one element's origin, gathered over the inputs that hold it. */
interface OriginWeights {
  readonly miningByMass: Record<string, number>;
  readonly separationByMass: Record<string, number>;
  readonly miningByValue: Record<string, number>;
  readonly separationByValue: Record<string, number>;
}

/**
 * The origin of a transformation's outputs: the mass-weighted (and, separately, value-weighted) blend of its
 * inputs, per element. A separation step replaces the separation country with the country where it happens.
 * Every output of one transformation gets the same per-element origin: the inputs are treated as one pool
 * (the ISO 22095 mass-balance model within a single transformation).
 *
 * It runs for every transformation of an import, so it allocates only for the elements the inputs hold
 * (most lots hold a few of the 24), and outputs share the share maps that are the same.
 */
export function blendOrigin(
  inputs: readonly OriginContribution[],
  separatedIn: string | undefined,
): LotOrigin {
  const out: LotOrigin = {};
  const separation: CountryShares | undefined = separatedIn === undefined ? undefined : { [separatedIn]: 1 };
  for (const element of elements) {
    const single = soleContributor(inputs, element);
    if (single !== undefined) {
      if (single !== none) out[element] = passedThrough(single, element, separation);
      continue;
    }
    let w: OriginWeights | undefined;
    for (const input of inputs) {
      const mass = (input.composition[element] ?? 0) * input.consumedMg;
      if (mass <= 0) continue;
      w ??= { miningByMass: {}, separationByMass: {}, miningByValue: {}, separationByValue: {} };
      const origin = input.origin[element];
      const value = input.consumedElementValues[element] ?? 0;
      addWeighted(w.miningByMass, origin?.miningByMass ?? unknownOnly, mass);
      addWeighted(w.separationByMass, origin?.separationByMass ?? unknownOnly, mass);
      addWeighted(w.miningByValue, origin?.miningByValue ?? unknownOnly, value);
      addWeighted(w.separationByValue, origin?.separationByValue ?? unknownOnly, value);
    }
    if (w === undefined) continue;
    const miningByMass = normalise(w.miningByMass);
    const byValueMining = normalise(w.miningByValue);
    // With no declared values upstream, value shares fall back to mass shares rather than vanish.
    const valued = !isEmpty(byValueMining);
    const separationByMass = separation ?? normalise(w.separationByMass);
    out[element] = {
      miningByMass,
      separationByMass,
      miningByValue: valued ? byValueMining : miningByMass,
      separationByValue: separation ?? (valued ? normalise(w.separationByValue) : separationByMass),
    };
  }
  return out;
}

/** No input holds the element (see soleContributor). */
const none: OriginContribution = {
  composition: {},
  origin: {},
  consumedMg: 0,
  consumedElementValues: {},
};

/** The one input that holds an element; `none` if no input does; undefined if several do. */
function soleContributor(
  inputs: readonly OriginContribution[],
  element: Element,
): OriginContribution | undefined {
  let found = none;
  for (const input of inputs) {
    if ((input.composition[element] ?? 0) * input.consumedMg <= 0) continue;
    if (found !== none) return undefined;
    found = input;
  }
  return found;
}

/**
 * An element that only one input holds keeps that input's shares as they are: the same maps, so the chain
 * from a magnet to its motor to its product shares them (and their JSON, src/store/codec.ts), and not weighted
 * and divided again, which could move a share by a rounding error. The same rules as a blend: a separation
 * replaces the separation country; without a declared value the value shares are the mass shares.
 */
function passedThrough(
  input: OriginContribution,
  element: Element,
  separation: CountryShares | undefined,
): ElementOrigin {
  const from = input.origin[element];
  const miningByMass = from?.miningByMass ?? unknownOnly;
  const separationByMass = separation ?? from?.separationByMass ?? unknownOnly;
  const byValueMining = from?.miningByValue ?? unknownOnly;
  const valued = (input.consumedElementValues[element] ?? 0) > 0 && !isEmpty(byValueMining);
  const miningByValue = valued ? byValueMining : miningByMass;
  const separationByValue =
    separation ?? (valued ? (from?.separationByValue ?? unknownOnly) : separationByMass);
  if (
    from !== undefined &&
    from.miningByMass === miningByMass &&
    from.separationByMass === separationByMass &&
    from.miningByValue === miningByValue &&
    from.separationByValue === separationByValue
  ) {
    return from;
  }
  return { miningByMass, separationByMass, miningByValue, separationByValue };
}

/** Splits a lot's value over its elements by mass (the default when no per-element value is declared). */
export function elementValuesByMass(composition: Composition, valueCents: number): ElementValues {
  const out: ElementValues = {};
  if (valueCents <= 0) return out;
  for (const element of elements) {
    const share = composition[element] ?? 0;
    if (share > 0) out[element] = valueCents * share;
  }
  return out;
}

/** Scales element values to a part of a lot. */
export function scaleElementValues(values: ElementValues, fraction: number): ElementValues {
  const out: ElementValues = {};
  // for-in, not Object.entries: no array per element, on a path every transformation input takes.
  for (const element in values) out[element as Element] = (values[element as Element] ?? 0) * fraction;
  return out;
}

/**
 * Distributes the consumed element values over the outputs in proportion to each output's mass of that
 * element, so that value, like mass, is neither created nor lost along the chain.
 */
export function distributeElementValues(
  consumed: readonly ElementValues[],
  outputs: readonly { composition: Composition; massMg: number }[],
): ElementValues[] {
  const totals: Partial<Record<Element, number>> = {};
  for (const values of consumed) {
    for (const key in values) {
      const element = key as Element;
      totals[element] = (totals[element] ?? 0) + (values[element] ?? 0);
    }
  }
  const result: ElementValues[] = outputs.map(() => ({}));
  for (const key in totals) {
    const element = key as Element;
    const total = totals[element] ?? 0;
    let outMass = 0;
    for (const output of outputs) outMass += (output.composition[element] ?? 0) * output.massMg;
    if (outMass <= 0) continue;
    for (let i = 0; i < outputs.length; i++) {
      const output = outputs[i] as (typeof outputs)[number];
      const mass = (output.composition[element] ?? 0) * output.massMg;
      if (mass > 0) (result[i] as Record<string, number>)[element] = (total * mass) / outMass;
    }
  }
  return result;
}
