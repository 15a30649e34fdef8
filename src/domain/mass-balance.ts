import type { Element } from './elements.js';
import { elements } from './elements.js';
import type { Composition } from './lot.js';

/**
 * Mass balance per element for a transformation: the outputs may not hold more of an element than the inputs
 * gave, less the declared loss, beyond a stated tolerance. This is the ISO 22095 mass-balance model applied to
 * one transformation; EPCIS itself checks none of it (GS1 EPCIS 2.0 §7.4.6 leaves quantities unconstrained).
 */
export interface BalanceSide {
  readonly composition: Composition;
  readonly massMg: number;
}

export interface MassBalanceFinding {
  readonly element: Element;
  readonly inputMg: number;
  readonly outputMg: number;
  readonly declaredLossMg: number;
  /** Output beyond (input − declared loss), mg; positive means mass was created. */
  readonly excessMg: number;
  /** The allowed excess: tolerance × input, mg. */
  readonly allowedMg: number;
}

export interface MassBalanceResult {
  /** Elements whose outputs exceed inputs beyond the tolerance: the transformation is refused. */
  readonly gains: readonly MassBalanceFinding[];
  /** Elements whose outputs fall short of (inputs − declared loss) beyond the tolerance: undeclared loss. */
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

/**
 * @param declaredLossMg total mass the transformation declares lost (slag, off-cuts, oxygen removed in
 *   reduction …); it is attributed to elements in proportion to the inputs' element masses.
 * @param tolerancePpm allowed difference as parts per million of each element's input mass (plus 1 mg, so
 *   that rounding of tiny quantities never refuses a balanced transformation).
 */
export function checkMassBalance(
  inputs: readonly BalanceSide[],
  outputs: readonly BalanceSide[],
  declaredLossMg: number,
  tolerancePpm: number,
): MassBalanceResult {
  const inTotals = elementTotals(inputs);
  const outTotals = elementTotals(outputs);
  let inputAll = 0;
  for (const value of Object.values(inTotals)) inputAll += value;
  const gains: MassBalanceFinding[] = [];
  const undeclaredLosses: MassBalanceFinding[] = [];
  for (const element of elements) {
    const inputMg = inTotals[element] ?? 0;
    const outputMg = outTotals[element] ?? 0;
    if (inputMg === 0 && outputMg === 0) continue;
    const declaredLossMg_ = inputAll > 0 ? (declaredLossMg * inputMg) / inputAll : 0;
    const allowedMg = (inputMg * tolerancePpm) / 1_000_000 + 1;
    const excessMg = outputMg - (inputMg - declaredLossMg_);
    const finding = { element, inputMg, outputMg, declaredLossMg: declaredLossMg_, excessMg, allowedMg };
    if (excessMg > allowedMg) gains.push(finding);
    else if (excessMg < -allowedMg) undeclaredLosses.push(finding);
  }
  return { gains, undeclaredLosses };
}
