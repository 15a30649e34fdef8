/**
 * The named dimensions of the simulator. Every array in the kernel is indexed by these, in this order, so that
 * the data files, the scenario files and the outputs can name things and the kernel can stay on typed arrays.
 */

/** Elements resolved by the model; the remaining lanthanides (Eu, Ho, Er, Tm, Yb, Lu) and Sc are grouped. */
export const ELEMENTS = ['La', 'Ce', 'Pr', 'Nd', 'Sm', 'Gd', 'Tb', 'Dy', 'Y', 'Other'] as const;
export type Element = (typeof ELEMENTS)[number];

/** Names accepted in scenarios that fall into the grouped "Other" bucket (so a ban on Lu is not rejected). */
export const GROUPED_ELEMENTS = ['Eu', 'Ho', 'Er', 'Tm', 'Yb', 'Lu', 'Sc'] as const;

/** Regions. Countries with a material role at some stage get their own; the rest are RoW. */
export const REGIONS = ['CN', 'US', 'EU', 'JP', 'KR', 'MM', 'AU', 'MY', 'RoW'] as const;
export type Region = (typeof REGIONS)[number];

/** Price zones: China's domestic market and the market outside China (FOB-China basis). */
export const ZONES = ['CN', 'exCN'] as const;

/** End-use sectors, as the issue names them. */
export const SECTORS = [
  'ev',
  'wind',
  'industrial-motors',
  'consumer-electronics',
  'defence',
  'others',
] as const;
export type Sector = (typeof SECTORS)[number];

/** Magnet products, traded as products (a ban on "magnets containing Dy" stops the whole magnet). */
export const PRODUCTS = ['NdFeB', 'SmCo'] as const;
export type Product = (typeof PRODUCTS)[number];

/** Chain stages. Trade and stocks exist at every one; "end-use" holds manufacturers' inventories. */
export const STAGES = ['mining', 'separation', 'metal', 'magnet', 'end-use'] as const;
export type Stage = (typeof STAGES)[number];

/** Forms of traded material, one per stage's output (what an export control names). */
export const FORMS = ['concentrate', 'oxide', 'metal', 'magnet'] as const;
export type Form = (typeof FORMS)[number];

export const E = ELEMENTS.length;
export const R = REGIONS.length;
export const K = SECTORS.length;
export const P = PRODUCTS.length;
/** End-use materials: the magnet products, then one oxide per element. */
export const M = P + E;
export const Z = ZONES.length;

export const elementIndex = (name: string): number => (ELEMENTS as readonly string[]).indexOf(name);
export const regionIndex = (name: string): number => (REGIONS as readonly string[]).indexOf(name);
export const sectorIndex = (name: string): number => (SECTORS as readonly string[]).indexOf(name);
export const productIndex = (name: string): number => (PRODUCTS as readonly string[]).indexOf(name);
export const formIndex = (name: string): number => (FORMS as readonly string[]).indexOf(name);
export const stageIndex = (name: string): number => (STAGES as readonly string[]).indexOf(name);

export const CN = regionIndex('CN');
export const EU = regionIndex('EU');
export const zoneOf = (region: number): number => (region === CN ? 0 : 1);

/** Elements that are reduced to metal for magnets (the rest are used as oxides or compounds). */
export const METAL_ELEMENTS: readonly number[] = ['Pr', 'Nd', 'Sm', 'Tb', 'Dy'].map(elementIndex);

/** Months as "YYYY-MM" <-> an absolute month count, so that dates in files compare as integers. */
export function parseMonth(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  if (month < 1 || month > 12) return undefined;
  return year * 12 + (month - 1);
}

export function formatMonth(absolute: number): string {
  const year = Math.floor(absolute / 12);
  const month = (absolute % 12) + 1;
  return `${year}-${String(month).padStart(2, '0')}`;
}
