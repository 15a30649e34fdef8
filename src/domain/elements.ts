/**
 * The elements a lot's composition can name: the 17 rare earths (15 lanthanides plus Sc and Y) and the other
 * elements that matter for permanent magnets (Fe, B, Co; Cu, Al, Ga, Zr appear in NdFeB grades).
 *
 * The light/medium/heavy grouping follows MOFCOM practice: Announcement No. 18 of 2025 (effective 2025-04-04)
 * controls Sm, Gd, Tb, Dy, Lu, Sc, Y; No. 57 of 2025 (effective 2025-11-08, suspended by No. 70 until
 * 2026-11-10) adds Ho, Er, Tm, Eu, Yb. Source: ../shared/reference/regulation.md §3.2–3.4.
 */
export const rareEarthElements = [
  'La',
  'Ce',
  'Pr',
  'Nd',
  'Pm',
  'Sm',
  'Eu',
  'Gd',
  'Tb',
  'Dy',
  'Ho',
  'Er',
  'Tm',
  'Yb',
  'Lu',
  'Sc',
  'Y',
] as const;

export const magnetAlloyElements = ['Fe', 'B', 'Co', 'Cu', 'Al', 'Ga', 'Zr'] as const;

export const elements = [...rareEarthElements, ...magnetAlloyElements] as const;

export type RareEarthElement = (typeof rareEarthElements)[number];
export type Element = (typeof elements)[number];

const elementSet: ReadonlySet<string> = new Set(elements);
const rareEarthSet: ReadonlySet<string> = new Set(rareEarthElements);

export function isElement(value: string): value is Element {
  return elementSet.has(value);
}

export function isRareEarth(value: string): value is RareEarthElement {
  return rareEarthSet.has(value);
}

/**
 * Light rare earths (La–Nd, with Pm and Eu in some Chinese quota practice) versus medium/heavy ones.
 * Source: Interim Measures for total quantity control, quotas split "rock-type (light)" vs "ion-adsorption
 * (medium/heavy)", ../shared/reference/regulation.md §2.2.
 */
export const lightRareEarths: ReadonlySet<RareEarthElement> = new Set(['La', 'Ce', 'Pr', 'Nd', 'Pm']);
