import type { Element } from './elements.js';
import { elements, isElement } from './elements.js';
import type { Composition } from './lot.js';

/**
 * Mass balance for a transformation (the ISO 22095 mass-balance model applied to one step; EPCIS itself
 * checks none of it). Per element, the outputs plus the loss declared for that element may not exceed what
 * the inputs gave, beyond the tolerance: no step creates neodymium.
 *
 * Total mass is not held to balance: chemistry adds and removes the elements we do not track (reagents bring
 * chlorine and carbonate, reduction removes oxygen, cracking discards gangue), so a total can rightly grow or
 * shrink. The total only feeds the undeclared-loss signal: inputs minus outputs minus the declared loss beyond
 * the tolerance, accepted and reported for surveillance.
 */
export interface BalanceSide {
  readonly composition: Composition;
  readonly massMg: number;
}

export interface MassBalanceFinding {
  /** The element, or `total` for the whole mass. */
  readonly element: Element | 'total';
  readonly inputMg: number;
  readonly outputMg: number;
  readonly declaredLossMg: number;
  /** Output + declared loss − input, mg; positive means mass was created. */
  readonly excessMg: number;
  /** The allowed difference: tolerance × input + 1 mg, mg. */
  readonly allowedMg: number;
}

export interface MassBalanceResult {
  /** Elements whose outputs (plus declared loss) exceed the inputs beyond the tolerance: refused. */
  readonly gains: readonly MassBalanceFinding[];
  /** Total mass missing beyond the declared loss and the tolerance (at most one finding, `total`). */
  readonly undeclaredLosses: readonly MassBalanceFinding[];
}

export interface DeclaredLoss {
  /** Total mass lost, mg (slag, gangue, off-cuts, oxygen removed). */
  readonly totalMg: number;
  /** Mass of particular elements lost, mg (e.g. Nd left in the tailings). */
  readonly elementsMg: Partial<Record<Element, number>>;
}

export const noDeclaredLoss: DeclaredLoss = { totalMg: 0, elementsMg: {} };

export function elementTotals(sides: readonly BalanceSide[]): Partial<Record<Element, number>> {
  const totals: Partial<Record<Element, number>> = {};
  for (const side of sides) {
    // Only the elements a composition names (a few of the 24 in most lots), not a keyed lookup of each.
    for (const key in side.composition) {
      if (!isElement(key)) continue;
      const share = side.composition[key];
      if (share !== undefined && share > 0) totals[key] = (totals[key] ?? 0) + share * side.massMg;
    }
  }
  return totals;
}

function allowance(inputMg: number, tolerancePpm: number): number {
  // Plus 1 mg, so that rounding of tiny quantities never refuses a balanced transformation.
  return (inputMg * tolerancePpm) / 1_000_000 + 1;
}

/** @param tolerancePpm allowed difference as parts per million of the input mass. */
export function checkMassBalance(
  inputs: readonly BalanceSide[],
  outputs: readonly BalanceSide[],
  loss: DeclaredLoss,
  tolerancePpm: number,
): MassBalanceResult {
  const inTotals = elementTotals(inputs);
  const outTotals = elementTotals(outputs);
  const gains: MassBalanceFinding[] = [];
  let elementLossSum = 0;
  for (const element of elements) {
    const inputMg = inTotals[element] ?? 0;
    const outputMg = outTotals[element] ?? 0;
    const declaredLossMg = loss.elementsMg[element] ?? 0;
    elementLossSum += declaredLossMg;
    if (outputMg === 0 && declaredLossMg === 0) continue;
    const allowedMg = allowance(inputMg, tolerancePpm);
    const excessMg = outputMg + declaredLossMg - inputMg;
    if (excessMg > allowedMg) gains.push({ element, inputMg, outputMg, declaredLossMg, excessMg, allowedMg });
  }
  const inputMg = inputs.reduce((sum, side) => sum + side.massMg, 0);
  const outputMg = outputs.reduce((sum, side) => sum + side.massMg, 0);
  const declaredLossMg = Math.max(loss.totalMg, elementLossSum);
  const allowedMg = allowance(inputMg, tolerancePpm);
  const excessMg = outputMg + declaredLossMg - inputMg;
  const undeclaredLosses =
    excessMg < -allowedMg
      ? [{ element: 'total' as const, inputMg, outputMg, declaredLossMg, excessMg, allowedMg }]
      : [];
  return { gains, undeclaredLosses };
}
