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

function addWeighted(
  target: Record<string, number>,
  shares: CountryShares | undefined,
  weight: number,
): void {
  if (shares === undefined || weight <= 0) return;
  for (const [country, share] of Object.entries(shares)) {
    target[country] = (target[country] ?? 0) + share * weight;
  }
}

function normalise(weights: Record<string, number>): CountryShares {
  let total = 0;
  for (const value of Object.values(weights)) total += value;
  if (total <= 0) return {};
  const out: Record<string, number> = {};
  for (const country of Object.keys(weights).sort()) {
    const share = (weights[country] ?? 0) / total;
    if (share > 0) out[country] = share;
  }
  return out;
}

/**
 * The origin of a transformation's outputs: the mass-weighted (and, separately, value-weighted) blend of its
 * inputs, per element. A separation step replaces the separation country with the country where it happens.
 * Every output of one transformation gets the same per-element origin: the inputs are treated as one pool
 * (the ISO 22095 mass-balance model within a single transformation).
 */
export function blendOrigin(
  inputs: readonly OriginContribution[],
  separatedIn: string | undefined,
): LotOrigin {
  const out: LotOrigin = {};
  for (const element of elements) {
    const miningByMass: Record<string, number> = {};
    const separationByMass: Record<string, number> = {};
    const miningByValue: Record<string, number> = {};
    const separationByValue: Record<string, number> = {};
    let seen = false;
    for (const input of inputs) {
      const mass = (input.composition[element] ?? 0) * input.consumedMg;
      if (mass <= 0) continue;
      seen = true;
      const origin = input.origin[element];
      const value = input.consumedElementValues[element] ?? 0;
      addWeighted(miningByMass, origin?.miningByMass ?? { [unknownCountry]: 1 }, mass);
      addWeighted(separationByMass, origin?.separationByMass ?? { [unknownCountry]: 1 }, mass);
      addWeighted(miningByValue, origin?.miningByValue ?? { [unknownCountry]: 1 }, value);
      addWeighted(separationByValue, origin?.separationByValue ?? { [unknownCountry]: 1 }, value);
    }
    if (!seen) continue;
    const separation = separatedIn === undefined ? undefined : { [separatedIn]: 1 };
    const byValueMining = normalise(miningByValue);
    out[element] = {
      miningByMass: normalise(miningByMass),
      separationByMass: separation ?? normalise(separationByMass),
      // With no declared values upstream, value shares fall back to mass shares rather than vanish.
      miningByValue: Object.keys(byValueMining).length > 0 ? byValueMining : normalise(miningByMass),
      separationByValue:
        separation ??
        (Object.keys(byValueMining).length > 0 ? normalise(separationByValue) : normalise(separationByMass)),
    };
  }
  return out;
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
  for (const [element, value] of Object.entries(values) as [Element, number][])
    out[element] = value * fraction;
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
    for (const [element, value] of Object.entries(values) as [Element, number][]) {
      totals[element] = (totals[element] ?? 0) + value;
    }
  }
  const result: ElementValues[] = outputs.map(() => ({}));
  for (const [element, total] of Object.entries(totals) as [Element, number][]) {
    let outMass = 0;
    for (const output of outputs) outMass += (output.composition[element] ?? 0) * output.massMg;
    if (outMass <= 0) continue;
    outputs.forEach((output, i) => {
      const mass = (output.composition[element] ?? 0) * output.massMg;
      if (mass > 0) (result[i] as Record<string, number>)[element] = (total * mass) / outMass;
    });
  }
  return result;
}
