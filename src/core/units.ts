import { Problem } from './errors.js';
import { limits } from './limits.js';

/**
 * Mass inside raretrace is an integer number of milligrams. EPCIS quantities arrive as decimal numbers with a
 * UN/ECE Recommendation 20 unit code; they are converted here, exactly, or refused.
 *
 * Source: UN/ECE Recommendation No. 20, Codes for Units of Measure Used in International Trade (rev. 17, 2021).
 */
export const massUnitsInMg: Readonly<Record<string, bigint>> = {
  MGM: 1n, // milligram
  GRM: 1_000n, // gram
  KGM: 1_000_000n, // kilogram
  TNE: 1_000_000_000n, // tonne (metric ton)
  KTN: 1_000_000_000_000n, // kilotonne
};

/** Units whose size in mg is not an integer: numerator/denominator in mg. */
const fractionalUnits: Readonly<Record<string, readonly [bigint, bigint]>> = {
  LBR: [45_359_237n, 100n], // 1 lb = 453,592.37 mg
  ONZ: [28_349_523_125n, 1_000_000n], // 1 oz = 28,349.523125 mg
};

export function isMassUnit(uom: string): boolean {
  return Object.hasOwn(massUnitsInMg, uom) || Object.hasOwn(fractionalUnits, uom);
}

/**
 * Converts a decimal quantity in a mass unit to integer milligrams. The conversion is exact: a quantity that
 * is not a whole number of milligrams (e.g. 0.0001 GRM) is refused rather than rounded, so that no mass is
 * created or lost at the edge.
 */
export function toMilligrams(quantity: number | string, uom: string): bigint {
  const text = typeof quantity === 'number' ? numberToPlainDecimal(quantity) : quantity.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) {
    throw new Problem('quantity-out-of-range', `quantity ${text} is not a non-negative decimal number`);
  }
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  const scaled = BigInt(whole + fraction);
  const scale = 10n ** BigInt(fraction.length);
  // Own keys only: a unit named like an Object.prototype member (`__proto__`, `toString`) is no unit.
  const fractional = Object.hasOwn(fractionalUnits, uom) ? fractionalUnits[uom] : undefined;
  const perUnit = Object.hasOwn(massUnitsInMg, uom) ? massUnitsInMg[uom] : undefined;
  const [num, den] = fractional ?? [perUnit ?? 0n, 1n];
  if (num === 0n) throw new Problem('unit-not-supported', `unit ${uom} is not a mass unit raretrace accepts`);
  const numerator = scaled * num;
  const denominator = scale * den;
  if (numerator % denominator !== 0n) {
    throw new Problem(
      'quantity-out-of-range',
      `${text} ${uom} is not a whole number of milligrams; state it in a smaller unit`,
    );
  }
  const mg = numerator / denominator;
  if (mg > BigInt(limits.maxMassMg)) {
    throw new Problem('quantity-out-of-range', `${text} ${uom} exceeds the largest mass a lot can hold`);
  }
  return mg;
}

/** The whole-milligram units as numbers, for the fast path of `toMilligramsNumber`. */
const integerUnitsMg: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(massUnitsInMg).map(([unit, mg]) => [unit, Number(mg)]),
);

/** Milligrams as a JS number; safe because toMilligrams bounds it to Number.MAX_SAFE_INTEGER. */
export function toMilligramsNumber(quantity: number | string, uom: string): number {
  // A whole number in a whole-milligram unit (nearly every quantity) multiplies exactly in floating point: the
  // true product is an integer, and any product up to maxMassMg (at most 2^53 - 1) is representable, so the
  // result is exact; a larger one cannot round down into range. Everything else takes the decimal path.
  if (typeof quantity === 'number' && Number.isSafeInteger(quantity) && quantity >= 0) {
    const unit = Object.hasOwn(integerUnitsMg, uom) ? integerUnitsMg[uom] : undefined;
    if (unit !== undefined) {
      const mg = quantity * unit;
      if (mg <= limits.maxMassMg) return mg === 0 ? 0 : mg;
    }
  }
  return Number(toMilligrams(quantity, uom));
}

/** Writes a JS number without exponent notation (1e-7 → "0.0000001"), for exact parsing. */
export function numberToPlainDecimal(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const text = String(value);
  if (!/e/i.test(text)) return text;
  const [mantissa = '0', exponentText = '0'] = text.toLowerCase().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const unsigned = mantissa.replace('-', '');
  const dot = unsigned.indexOf('.');
  const pointAt = (dot === -1 ? unsigned.length : dot) + exponent;
  let out: string;
  if (pointAt <= 0) out = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) out = digits + '0'.repeat(pointAt - digits.length);
  else out = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return negative ? `-${out}` : out;
}

/** Formats milligrams as kilograms with up to six decimals (for humans and for KGM quantities). */
export function formatKg(mg: number): string {
  const whole = Math.trunc(mg / 1_000_000);
  const rest = Math.abs(mg % 1_000_000);
  return rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(6, '0').replace(/0+$/, '')}`;
}
