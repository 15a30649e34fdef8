import type { Element } from './elements.js';
import { elements } from './elements.js';
import type { Composition } from './lot.js';

/**
 * Mass balance for a transformation (the ISO 22095 mass-balance model applied to one step; EPCIS itself
 * checks none of it):
 * - per element, the outputs may not hold more than the inputs gave, beyond the tolerance;
 * - in total, outputs plus the declared loss may not exceed the inputs, beyond the tolerance.
 * A declared loss is a total mass (slag, gangue, oxygen removed in reduction, off-cuts): which elements it
 * holds cannot be known, so it enters only the total check. Outputs short of (inputs − declared loss) beyond
 * the tolerance are an undeclared loss: accepted, and reported as a surveillance signal.
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
  /** Where outputs exceed inputs beyond the tolerance: the transformation is refused. */
  readonly gains: readonly MassBalanceFinding[];
  /** Total mass missing beyond the declared loss and the tolerance (at most one finding, `total`). */
  readonly undeclaredLosses: readonly MassBalanceFinding[];
}

export function elementTotals(sides: readonly BalanceSide[]): Partial<Record<Element, number>> {
  const totals: Partial<Record<Element, number>> = {};
  for (const side of sides) {
    for (const element of elements) {
      const share = side.composition[element];
      if (share !== undefined && share > 0) totals[element] = (totals[element] ?? 0) + share * side.massMg;
    }
  }
  return totals;
}

function allowance(inputMg: number, tolerancePpm: number): number {
  // Plus 1 mg, so that rounding of tiny quantities never refuses a balanced transformation.
  return (inputMg * tolerancePpm) / 1_000_000 + 1;
}

/**
 * @param declaredLossMg total mass the transformation declares lost.
 * @param tolerancePpm allowed difference as parts per million of the input mass (per element, and in total).
 */
export function checkMassBalance(
  inputs: readonly BalanceSide[],
  outputs: readonly BalanceSide[],
  declaredLossMg: number,
  tolerancePpm: number,
): MassBalanceResult {
  const inTotals = elementTotals(inputs);
  const outTotals = elementTotals(outputs);
  const gains: MassBalanceFinding[] = [];
  for (const element of elements) {
    const inputMg = inTotals[element] ?? 0;
    const outputMg = outTotals[element] ?? 0;
    if (outputMg === 0) continue;
    const allowedMg = allowance(inputMg, tolerancePpm);
    const excessMg = outputMg - inputMg;
    if (excessMg > allowedMg)
      gains.push({ element, inputMg, outputMg, declaredLossMg: 0, excessMg, allowedMg });
  }
  const inputMg = inputs.reduce((sum, side) => sum + side.massMg, 0);
  const outputMg = outputs.reduce((sum, side) => sum + side.massMg, 0);
  const allowedMg = allowance(inputMg, tolerancePpm);
  const excessMg = outputMg + declaredLossMg - inputMg;
  const total = { element: 'total' as const, inputMg, outputMg, declaredLossMg, excessMg, allowedMg };
  if (excessMg > allowedMg) gains.push(total);
  return { gains, undeclaredLosses: excessMg < -allowedMg ? [total] : [] };
}
