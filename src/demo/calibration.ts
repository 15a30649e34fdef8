import type { Element } from '../domain/elements.js';

/**
 * Calibration data for the demo world. Every figure sits next to its source. Tags follow
 * ../shared/reference/regulation.md: [C] confirmed against the primary text, [S] secondary source,
 * [U] unverified or our own assumption (typical published values we did not check against a primary source).
 */

export interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

/**
 * Mine production by country, t REO, 2024 estimates. The world draws the mine of each new ore lot with these
 * weights (lot sizes do not depend on the mine), so REO mined per country follows these shares.
 */
export const mineProduction2024: Readonly<Record<string, Sourced<number>>> = {
  CN: {
    value: 270_000,
    source: '[C] USGS MCS 2025 Rare Earths, world mine production 2024e (regulation.md §5.1)',
  },
  US: { value: 45_000, source: '[C] USGS MCS 2025 (regulation.md §5.1)' },
  MM: {
    value: 31_000,
    source: '[C] USGS MCS 2025, fn 12: estimated from China import data (regulation.md §5.1)',
  },
  AU: { value: 13_000, source: '[C] USGS MCS 2025 (regulation.md §5.1)' },
  NG: { value: 13_000, source: '[C] USGS MCS 2025, fn 12 (regulation.md §5.1)' },
  TH: { value: 13_000, source: '[C] USGS MCS 2025, fn 12 (regulation.md §5.1)' },
  IN: { value: 2_900, source: '[C] USGS MCS 2025 (regulation.md §5.1)' },
  RU: { value: 2_500, source: '[C] USGS MCS 2025 (regulation.md §5.1)' },
  MG: { value: 2_000, source: '[C] USGS MCS 2025, fn 12 (regulation.md §5.1)' },
  VN: { value: 300, source: '[C] USGS MCS 2025 (regulation.md §5.1)' },
  MY: { value: 130, source: '[C] USGS MCS 2025, fn 12 (regulation.md §5.1)' },
  BR: { value: 20, source: '[C] USGS MCS 2025 (regulation.md §5.1)' },
  LA: {
    value: 1_100,
    source:
      '[U] USGS MCS 2025 "Other" row (1,100 t), attributed here to Laos ionic-clay output (our assumption)',
  },
};

/**
 * China's mining quota split between rock-type (light) and ion-adsorption (medium/heavy) ore, t REO, 2023.
 * Within each type the split across our Chinese mines is an assumption (see `chinaMineSplit`).
 */
export const chinaQuotaByOreType2023: Readonly<Record<'rock' | 'ion', Sourced<number>>> = {
  rock: { value: 220_850, source: '[S] USGS MCS 2024 quoting the 2023 quota batches (regulation.md §5.2)' },
  ion: {
    value: 19_150,
    source: '[S] USGS MCS 2024; same 19,150 t in 2018–2022 quotas (regulation.md §5.2, §8)',
  },
};

/** Share of each Chinese mine within its ore type (rock or ion). Our assumption, not a published figure. */
export const chinaMineSplit: Readonly<Record<string, Sourced<number>>> = {
  'bayan-obo': { value: 0.8, source: '[U] assumption: Baotou/Bayan Obo holds most of the rock-type quota' },
  maoniuping: { value: 0.2, source: '[U] assumption: Sichuan (Mianning) bastnäsite holds the rest' },
  longnan: {
    value: 0.65,
    source: '[U] assumption: Jiangxi (Ganzhou) holds most of the ion-adsorption quota',
  },
  pingyuan: { value: 0.35, source: '[U] assumption: Guangdong holds the rest' },
};

/** Concentration along the chain: China's share per stage (what the routing tables below aim at). */
export const chinaStageShare: Readonly<Record<string, Sourced<number>>> = {
  mining: { value: 0.69, source: '[C] 270 of 390 kt, USGS MCS 2025 (regulation.md §6.1)' },
  separation: {
    value: 0.91,
    source: '[S] IEA commentary 23 Oct 2025 (regulation.md §6.1); 92% in 2023 per IEA GCMO 2024',
  },
  magnets: { value: 0.94, source: '[S] IEA, sintered NdFeB magnet production 2024 (regulation.md §6.1)' },
};

/**
 * Magnet makers' shares outside China's 94 %: Japan, Germany, the United States, Korea. The split of the
 * remaining 6 % is our assumption.
 */
export const magnetMakerShares: Readonly<Record<string, Sourced<number>>> = {
  CN: { value: 0.94, source: '[S] IEA 2024 (regulation.md §6.1)' },
  JP: { value: 0.04, source: '[U] assumption: most of the non-Chinese remainder is Japanese' },
  DE: { value: 0.01, source: '[U] assumption' },
  US: { value: 0.006, source: '[U] assumption; MP Materials magnet plant ramping (regulation.md §6.3)' },
  KR: { value: 0.004, source: '[U] assumption' },
};

/** Prices, USD per kg of oxide, 2024 annual averages, for declared values of commissioned lots. */
export const oxidePriceUsdPerKg2024: Readonly<Partial<Record<Element, Sourced<number>>>> = {
  Nd: { value: 56, source: '[C] USGS MCS 2025, Nd oxide 99.5% (regulation.md §5.1)' },
  Pr: { value: 54, source: '[S] Fastmarkets NdPr oxide $53–55/kg, 18 Apr 2024 (regulation.md §5.3)' },
  Dy: { value: 260, source: '[C] USGS MCS 2025, Dy oxide 99.5% (regulation.md §5.1)' },
  Tb: { value: 810, source: '[C] USGS MCS 2025, Tb oxide 99.99% (regulation.md §5.1)' },
  Eu: { value: 27, source: '[C] USGS MCS 2025 (regulation.md §5.1)' },
  Ce: { value: 1, source: '[C] USGS MCS 2025 (regulation.md §5.1)' },
  La: { value: 1, source: '[C] USGS MCS 2025 (regulation.md §5.1)' },
  Sm: { value: 2, source: '[U] assumption (no USGS series)' },
  Gd: { value: 25, source: '[U] assumption (no USGS series)' },
  Y: { value: 7, source: '[U] assumption (no USGS series)' },
};

/**
 * What mined material is worth before separation: Mountain Pass concentrate, 45,000 t REO valued at
 * $260 million in 2024, i.e. about $5.78 per kg REO. Ore is valued at half of that per kg REO ([U]).
 */
export const concentrateUsdPerKgReo: Sourced<number> = {
  value: 260_000_000 / 45_000_000,
  source:
    '[C] USGS MCS 2025: 2024 US concentrate output ~45,000 t REO valued at $260 million (regulation.md §5.1)',
};
export const oreValueFactor: Sourced<number> = {
  value: 0.5,
  source: '[U] assumption: ore worth half of concentrate per kg REO',
};

/** Device intensities used to size components and products. */
export const deviceIntensity = {
  evMotorMagnetKg: {
    value: 1.5,
    source: '[S] 1–2 kg NdFeB per EV drive motor, thevoltbridge.com (regulation.md §6.2)',
  },
  evMotorMassKg: { value: 40, source: '[U] assumption: a traction motor weighs ~40 kg' },
  evMotorsPerVehicle: { value: 1, source: '[U] assumption: one drive motor per vehicle' },
  evMassKg: { value: 1_900, source: '[U] assumption: a mid-size EV weighs ~1.9 t' },
  windMagnetTonnesPerMw: {
    value: 0.65,
    source: '[S] 0.625–0.85 t NdFeB/MW direct drive, Moss et al. 2013 (regulation.md §6.2)',
  },
  windTurbineMw: { value: 6, source: '[U] assumption: a 6 MW direct-drive turbine' },
  windGeneratorMassKg: { value: 120_000, source: '[U] assumption: direct-drive generator ~120 t' },
  windNacelleOtherKg: {
    value: 250_000,
    source: '[U] assumption: the rest of nacelle, hub and blades ~250 t',
  },
  actuatorMagnetKg: { value: 0.8, source: '[U] assumption: SmCo magnet mass per aerospace actuator' },
  actuatorMassKg: { value: 6, source: '[U] assumption' },
  aircraftActuators: { value: 40, source: '[U] assumption' },
  aircraftMassKg: { value: 13_000, source: '[U] assumption (F-35A empty weight ~13 t, public)' },
} as const satisfies Record<string, Sourced<number>>;

/** NdFeB and SmCo magnet chemistry (mass fractions). */
export const magnetChemistry = {
  ndfebRareEarth: {
    value: 0.31,
    source: '[S] magnet ~30% REE as metal, Moss et al. 2013 (regulation.md §6.2); 29–32% typical',
  },
  ndfebBoron: { value: 0.01, source: '[U] Nd2Fe14B stoichiometry gives 1.0% B' },
  ndfebDyHighGrade: { value: 0.04, source: '[S] Dy ~4%, Moss et al. 2013 (regulation.md §6.2)' },
  ndfebTbHighGrade: {
    value: 0.005,
    source: '[U] assumption: Tb additions for the highest coercivity grades',
  },
  smcoSm: { value: 0.25, source: '[U] Sm2Co17 grades: ~25% Sm, ~50% Co, ~16% Fe, ~6% Cu, ~3% Zr' },
  smcoCo: { value: 0.5, source: '[U] as above' },
} as const satisfies Record<string, Sourced<number>>;

/** Mass fraction of the element in its usual oxide (stoichiometry, IUPAC atomic weights). */
export const elementInOxide: Readonly<Partial<Record<Element, number>>> = {
  La: 0.8527, // La2O3
  Ce: 0.8141, // CeO2
  Pr: 0.8277, // Pr6O11
  Nd: 0.8574, // Nd2O3
  Sm: 0.8624, // Sm2O3
  Eu: 0.8636, // Eu2O3
  Gd: 0.8676, // Gd2O3
  Tb: 0.8502, // Tb4O7
  Dy: 0.8713, // Dy2O3
  Ho: 0.873, // Ho2O3
  Er: 0.8745, // Er2O3
  Tm: 0.8756, // Tm2O3
  Yb: 0.8782, // Yb2O3
  Lu: 0.8794, // Lu2O3
  Y: 0.7874, // Y2O3
  Sc: 0.652, // Sc2O3
};

export type DepositType =
  | 'bayan-obo'
  | 'bastnasite'
  | 'carbonatite-laterite'
  | 'ionic-heavy'
  | 'ionic-light'
  | 'monazite'
  | 'loparite';

/**
 * Rare-earth distribution of each deposit type (share of each element's oxide in total REO) and the ore
 * grade (REO in ore) and concentrate grade (REO in the mine's concentrate product). All [U]: typical values
 * from the deposit literature (e.g. Bayan Obo, Mountain Pass, Mount Weld CLD, Longnan ion-adsorption,
 * Lovozero loparite), rounded, not checked against a primary source here.
 */
// biome-ignore format: one row per deposit type reads as a table
export const depositProfiles: Readonly<
  Record<
    DepositType,
    {
      readonly reoShares: Readonly<Partial<Record<Element, number>>>;
      readonly oreGrade: number;
      readonly concentrateGrade: number;
      /** Iron in the ore, mass fraction (Bayan Obo is an iron mine first). */
      readonly iron: number;
      readonly source: string;
    }
  >
> = {
  'bayan-obo': {
    reoShares: { La: 0.25, Ce: 0.5, Pr: 0.051, Nd: 0.165, Sm: 0.012, Eu: 0.002, Gd: 0.006, Tb: 0.0005, Dy: 0.001, Y: 0.004 },
    oreGrade: 0.06,
    concentrateGrade: 0.5,
    iron: 0.33,
    source: '[U] typical Bayan Obo REO distribution; Fe 33% as in docs/extension.md example',
  },
  bastnasite: {
    reoShares: { La: 0.338, Ce: 0.496, Pr: 0.041, Nd: 0.112, Sm: 0.009, Eu: 0.001, Gd: 0.002, Tb: 0.0002, Dy: 0.0003, Y: 0.001 },
    oreGrade: 0.07,
    concentrateGrade: 0.6,
    iron: 0,
    source: '[U] typical Mountain Pass / Maoniuping bastnäsite distribution',
  },
  'carbonatite-laterite': {
    reoShares: { La: 0.255, Ce: 0.467, Pr: 0.053, Nd: 0.185, Sm: 0.023, Eu: 0.004, Gd: 0.01, Tb: 0.001, Dy: 0.002, Y: 0.003 },
    oreGrade: 0.1,
    concentrateGrade: 0.4,
    iron: 0,
    source: '[U] typical Mount Weld CLD distribution',
  },
  'ionic-heavy': {
    reoShares: {
      Y: 0.6, La: 0.02, Ce: 0.01, Pr: 0.012, Nd: 0.045, Sm: 0.028, Eu: 0.002, Gd: 0.069,
      Tb: 0.013, Dy: 0.067, Ho: 0.016, Er: 0.049, Tm: 0.007, Yb: 0.025, Lu: 0.004,
    },
    oreGrade: 0.001,
    concentrateGrade: 0.45,
    iron: 0,
    source: '[U] typical Longnan / Kachin ion-adsorption (heavy) distribution; concentrate = mixed carbonate',
  },
  'ionic-light': {
    reoShares: {
      La: 0.298, Ce: 0.072, Pr: 0.074, Nd: 0.302, Sm: 0.062, Eu: 0.005, Gd: 0.043, Tb: 0.006, Dy: 0.033, Y: 0.08,
      Ho: 0.007, Er: 0.01, Yb: 0.008,
    },
    oreGrade: 0.0012,
    concentrateGrade: 0.45,
    iron: 0,
    source: '[U] typical Xunwu / Guangdong ion-adsorption (light, Nd-rich) distribution',
  },
  monazite: {
    reoShares: { La: 0.2, Ce: 0.46, Pr: 0.055, Nd: 0.19, Sm: 0.035, Eu: 0.001, Gd: 0.02, Tb: 0.002, Dy: 0.01, Y: 0.02 },
    oreGrade: 0.03,
    concentrateGrade: 0.55,
    iron: 0,
    source: '[U] typical monazite (mineral sands, tin tailings) distribution',
  },
  loparite: {
    reoShares: { La: 0.25, Ce: 0.5, Pr: 0.05, Nd: 0.15, Sm: 0.007, Eu: 0.001, Gd: 0.002, Dy: 0.001, Y: 0.01 },
    oreGrade: 0.01,
    concentrateGrade: 0.3,
    iron: 0,
    source: '[U] typical Lovozero loparite distribution',
  },
};

/** Recovery of each step (the same for every element, so that the declared loss balances per element). */
export const stepRecovery = {
  beneficiation: { value: 0.75, source: '[U] assumption: flotation / leach recovery' },
  cracking: { value: 0.96, source: '[U] assumption' },
  separation: { value: 0.97, source: '[U] assumption' },
  'metal-making': { value: 0.97, source: '[U] assumption: molten-salt electrolysis yield' },
  alloying: { value: 0.995, source: '[U] assumption: strip casting' },
  'magnet-making': { value: 0.97, source: '[U] assumption; a further ~20% leaves as swarf (scrap output)' },
} as const satisfies Record<string, Sourced<number>>;

/** Share of magnet-making input that leaves as grinding swarf / off-cuts (recyclable scrap). */
export const magnetScrapShare: Sourced<number> = {
  value: 0.2,
  source: '[U] assumption: machining losses of sintered blocks are commonly quoted at 20–30%',
};

/** Dates that change routes in the world. */
export const routeDates = {
  mpSeparation: {
    value: '2025-04-10T00:00:00Z',
    source:
      '[U] MP Materials stopped shipping Mountain Pass concentrate to China in April 2025 after the tariff escalation ' +
      '(press reports); from then on it separates at Mountain Pass (separation started 2023) and stockpiles the rest',
  },
  mpMagnets: {
    value: '2025-01-01T00:00:00Z',
    source:
      '[U] MP Materials Independence (Fort Worth) magnet plant, first commercial output 2025 (regulation.md §6.3)',
  },
} as const satisfies Record<string, Sourced<string>>;

/** Values declared on manufactured lots (the ledger otherwise carries input values forward unchanged). */
export const declaredValuesUsd = {
  ndfebMagnetPerKg: { value: 60, source: '[U] assumption: sintered NdFeB blocks ~$50–80/kg ex-works' },
  smcoMagnetPerKg: { value: 150, source: '[U] assumption' },
  'ev-motor': { value: 600, source: '[U] assumption: per traction motor' },
  'wind-generator': { value: 1_500_000, source: '[U] assumption: per 6 MW direct-drive generator' },
  actuator: { value: 20_000, source: '[U] assumption: per aerospace actuator' },
  ev: { value: 35_000, source: '[U] assumption: per vehicle' },
  'wind-turbine': { value: 6_000_000, source: '[U] assumption: per 6 MW turbine nacelle' },
  aircraft: {
    value: 80_000_000,
    source: '[U] assumption: per aircraft (F-35A unit cost order of magnitude, public)',
  },
} as const satisfies Record<string, Sourced<number>>;

/** Share of separated Sm oxide reduced to metal for SmCo magnets; the rest is sold as oxide. */
export const smToMetalShare: Sourced<number> = {
  value: 0.03,
  source: '[U] assumption: SmCo is a few percent of permanent-magnet output; most Sm goes to other uses',
};
