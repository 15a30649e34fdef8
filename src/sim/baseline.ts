/**
 * Loads data/sim/baseline.yaml into typed arrays. The loader refuses any figure that has no source and date
 * (its own or its record's), so that nothing unsourced can enter a run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  E,
  ELEMENTS,
  elementIndex,
  K,
  P,
  PRODUCTS,
  parseMonth,
  R,
  REGIONS,
  regionIndex,
  SECTORS,
  sectorIndex,
} from './dims.js';
import { Issues, parseLocated, type YNode } from './ynode.js';

export interface Triangular {
  readonly min: number;
  readonly mode: number;
  readonly max: number;
}

export interface MineSource {
  readonly country: string;
  readonly region: number;
  readonly deposit: string;
  readonly tPerYear: number;
  readonly quotaGroup: 'cn-rock' | 'cn-ion' | null;
}

export interface AnnouncedProject {
  readonly id: string;
  readonly region: number;
  readonly stage: 'mining' | 'separation' | 'metal' | 'magnet';
  readonly product: number;
  readonly deposit: string;
  readonly tPerYear: number;
  readonly start: number;
  readonly rampMonths: number;
  readonly status: 'committed' | 'announced';
}

export interface GovernmentStockpile {
  readonly region: number;
  readonly holder: string;
  readonly monthsOfDemand: number;
  readonly fillMin: number;
  readonly fillMax: number;
  /** Bit k set when sector k may draw on it. */
  readonly sectorMask: number;
}

export interface Intensity {
  readonly name: string;
  readonly product: string;
  readonly kgPerUnit: Triangular;
  readonly caveat: string;
  readonly source: string;
}

/** The baseline in model units: t REO (or t magnet) per year, shares 0-1. Plain data: cloneable, editable. */
export interface Baseline {
  version: string;
  asOf: number;
  sources: Record<string, string>;
  mines: MineSource[];
  deposits: Record<string, number[]>;
  quota: {
    mining: number;
    ion: number;
    separation: number;
    miningGrowth: number;
    ionGrowth: number;
    separationGrowth: number;
    nonQuotaMiningGrowth: Triangular;
  };
  /** Per region, t/yr. The CN entry includes separation outside the quota (imported feed). */
  separationCap: number[];
  metalCap: number[];
  /** Trend growth of metal and magnet capacity (per year). */
  processingGrowth: { metal: Triangular; magnet: Triangular };
  /** [product][region], t magnet/yr. */
  magnetCap: number[][];
  /** [product][element] t metal per t magnet. */
  magnetMetalFractions: number[][];
  oxidePerMetal: number[];
  /** [product][sector] t magnet/yr. */
  magnetDemand: number[][];
  /** [sector][region]. */
  regionShares: number[][];
  othersOxideRegionShares: number[];
  othersOxideFractionOfSurplus: number;
  growth: { mean: number; sd: number }[];
  intensities: Intensity[];
  processorCover: { concentrate: Triangular; oxide: Triangular; metal: Triangular; magnet: Triangular };
  endUseCover: Triangular[];
  government: GovernmentStockpile[];
  governmentMaxMonthlyRelease: number;
  recyclingShare: number;
  announced: AnnouncedProject[];
  projectDelay: Triangular;
  basePrice: number[];
  elasticity: {
    light: Triangular;
    magnetLight: Triangular;
    heavy: Triangular;
    magnet: Triangular;
    supply: Triangular;
  };
  priceAdjust: Triangular;
  stockDrawMonths: number;
  priceFloor: number;
  priceCap: number;
  substitution: { ratePerYear: number; maxShare: number; trigger: number };
  supplyRamp: { sharePerYear: number; leadMonths: number; trigger: number; region: number; deposit: string };
  /** Reserves by country (t REO), context only. */
  reserves: Record<string, number>;
  /** Every figure's provenance, flattened: path -> "src, date, tag". */
  provenance: Record<string, string>;
}

export const DEFAULT_BASELINE_URL = new URL('../../data/sim/baseline.yaml', import.meta.url);

/** Walks the tree and reports any number not covered by a src + date on itself or an ancestor record. */
function checkProvenance(
  node: YNode,
  covered: string | null,
  issues: Issues,
  out: Record<string, string>,
): void {
  if (node.kind === 'map') {
    const src = node.entries.get('src');
    const date = node.entries.get('date');
    let here = covered;
    if (src && date && src.kind === 'scalar' && date.kind === 'scalar') {
      const tag = node.entries.get('tag');
      here = `${String(src.value)}, ${String(date.value)}${tag?.kind === 'scalar' ? `, ${String(tag.value)}` : ''}`;
    }
    for (const [key, value] of node.entries) {
      if (key === 'sources') continue;
      checkProvenance(value, here, issues, out);
    }
    return;
  }
  if (node.kind === 'seq') {
    for (const item of node.items) checkProvenance(item, covered, issues, out);
    return;
  }
  if (typeof node.value === 'number') {
    if (covered === null)
      issues.add(node, 'missing-source', `figure ${node.value} at ${node.path} has no src and date`);
    else out[node.path] = covered;
  }
}

type Plain = Record<string, unknown>;
const asRec = (v: unknown): Plain =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Plain) : {};
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`baseline: ${what} is not a number`);
  return v;
};
const tri = (v: unknown, what: string): Triangular => {
  const r = asRec(v);
  const mode = r.mode ?? r.v;
  return { min: num(r.min, `${what}.min`), mode: num(mode, `${what}.mode`), max: num(r.max, `${what}.max`) };
};
const byRegion = (v: unknown, what: string): number[] => {
  const out = new Array<number>(R).fill(0);
  for (const [key, value] of Object.entries(asRec(v))) {
    const r = regionIndex(key);
    if (r < 0) throw new Error(`baseline: unknown region ${key} in ${what}`);
    const rec = asRec(value);
    out[r] = typeof value === 'number' ? value : num(rec.v, `${what}.${key}`);
  }
  return out;
};

export function parseBaseline(text: string, label = 'data/sim/baseline.yaml'): Baseline {
  const root = parseLocated(text, label);
  const issues = new Issues(label);
  const provenance: Record<string, string> = {};
  checkProvenance(root, null, issues, provenance);
  issues.throwIfAny();
  const { plain } = { plain: (n: YNode): unknown => toPlain(n) };
  const d = asRec(plain(root));

  const mines: MineSource[] = (d.mining as unknown[]).map((m, i) => {
    const r = asRec(m);
    const region = regionIndex(String(r.region));
    if (region < 0) throw new Error(`baseline: mining[${i}] unknown region ${String(r.region)}`);
    const q = r.quotaGroup;
    return {
      country: String(r.country),
      region,
      deposit: String(r.deposit),
      tPerYear: num(r.v, `mining[${i}]`),
      quotaGroup: q === 'cn-rock' || q === 'cn-ion' ? q : null,
    };
  });

  const deposits: Record<string, number[]> = {};
  for (const [name, rec] of Object.entries(asRec(d.deposits))) {
    const shares = asRec(asRec(rec).shares);
    const vec = ELEMENTS.map((el) => (typeof shares[el] === 'number' ? (shares[el] as number) : 0));
    const total = vec.reduce((a, b) => a + b, 0);
    deposits[name] = vec.map((x) => x / total);
  }
  for (const mine of mines) {
    if (!deposits[mine.deposit])
      throw new Error(`baseline: mine ${mine.country} names unknown deposit ${mine.deposit}`);
  }

  const q = asRec(d.quotas);
  const cap = asRec(d.capacity);
  const magCap = asRec(cap.magnet);
  const comp = asRec(d.magnetComposition);
  const ox = asRec(asRec(d.oxidePerMetal).values);
  const dem = asRec(d.demand);
  const shares = asRec(dem.regionShares);
  const growth = asRec(dem.growthPerYear);
  const stocks = asRec(d.stocks);
  const proc = asRec(stocks.processors);
  const endUse = asRec(stocks.endUse);
  const prices = asRec(d.prices);
  const el = asRec(prices.demandElasticity);
  const resp = asRec(d.responses);
  const sub = asRec(resp.substitution);
  const ramp = asRec(resp.supplyRamp);
  const ann = asRec(d.announced);

  const baseline: Baseline = {
    version: String(d.version),
    asOf: parseMonth(String(d.asOf)) ?? 0,
    sources: Object.fromEntries(Object.entries(asRec(d.sources)).map(([k, v]) => [k, String(v)])),
    mines,
    deposits,
    quota: {
      mining: num(asRec(q.mining).v, 'quotas.mining'),
      ion: num(asRec(q.ion).v, 'quotas.ion'),
      separation: num(asRec(q.separation).v, 'quotas.separation'),
      miningGrowth: num(asRec(q.miningGrowthPerYear).v, 'quotas.miningGrowthPerYear'),
      ionGrowth: num(asRec(q.ionGrowthPerYear).v, 'quotas.ionGrowthPerYear'),
      separationGrowth: num(asRec(q.separationGrowthPerYear).v, 'quotas.separationGrowthPerYear'),
      nonQuotaMiningGrowth: tri(q.nonQuotaMiningGrowthPerYear, 'quotas.nonQuotaMiningGrowthPerYear'),
    },
    separationCap: byRegion(cap.separation, 'capacity.separation'),
    metalCap: byRegion(cap.metal, 'capacity.metal'),
    processingGrowth: {
      metal: tri(asRec(cap.growthPerYear).metal, 'capacity.growthPerYear.metal'),
      magnet: tri(asRec(cap.growthPerYear).magnet, 'capacity.growthPerYear.magnet'),
    },
    magnetCap: PRODUCTS.map((p) => byRegion(magCap[p], `capacity.magnet.${p}`)),
    magnetMetalFractions: PRODUCTS.map((p) => {
      const f = asRec(asRec(comp[p]).fractions);
      return ELEMENTS.map((e) => (typeof f[e] === 'number' ? (f[e] as number) : 0));
    }),
    oxidePerMetal: ELEMENTS.map((e) => num(ox[e], `oxidePerMetal.${e}`)),
    magnetDemand: PRODUCTS.map((p) => {
      const rec = asRec(dem[p]);
      return SECTORS.map((s) => (rec[s] === undefined ? 0 : num(asRec(rec[s]).v, `demand.${p}.${s}`)));
    }),
    regionShares: SECTORS.map((s) => byRegion(shares[s], `demand.regionShares.${s}`)),
    othersOxideRegionShares: byRegion(asRec(dem.othersOxideRegionShares).values, 'othersOxideRegionShares'),
    othersOxideFractionOfSurplus: num(
      asRec(dem.othersOxideFractionOfSurplus).v,
      'othersOxideFractionOfSurplus',
    ),
    growth: SECTORS.map((s) => {
      const g = asRec(growth[s]);
      return { mean: num(g.v, `growth.${s}`), sd: num(g.sd, `growth.${s}.sd`) };
    }),
    intensities: Object.entries(asRec(d.intensities)).map(([name, v]) => {
      const r = asRec(v);
      return {
        name,
        product: String(r.product),
        kgPerUnit: { min: num(r.min, name), mode: num(r.kgPerUnit, name), max: num(r.max, name) },
        caveat: typeof r.note === 'string' ? r.note : '',
        source: String(r.src),
      };
    }),
    processorCover: {
      concentrate: tri(proc.concentrate, 'stocks.processors.concentrate'),
      oxide: tri(proc.oxide, 'stocks.processors.oxide'),
      metal: tri(proc.metal, 'stocks.processors.metal'),
      magnet: tri(proc.magnet, 'stocks.processors.magnet'),
    },
    endUseCover: SECTORS.map((s) => tri(endUse[s], `stocks.endUse.${s}`)),
    government: (stocks.government as unknown[]).map((g, i) => {
      const r = asRec(g);
      const sectors = (r.sectors as unknown[]).map(String);
      let mask = 0;
      for (const s of sectors) {
        if (s === 'all') mask = (1 << K) - 1;
        else {
          const k = sectorIndex(s);
          if (k < 0) throw new Error(`baseline: government[${i}] unknown sector ${s}`);
          mask |= 1 << k;
        }
      }
      return {
        region: regionIndex(String(r.region)),
        holder: String(r.holder),
        monthsOfDemand: num(r.monthsOfDemand, `government[${i}]`),
        fillMin: num(r.fillMin, `government[${i}].fillMin`),
        fillMax: num(r.fillMax, `government[${i}].fillMax`),
        sectorMask: mask,
      };
    }),
    governmentMaxMonthlyRelease: num(
      asRec(stocks.governmentMaxMonthlyRelease).v,
      'governmentMaxMonthlyRelease',
    ),
    recyclingShare: num(asRec(asRec(d.recycling).share).v, 'recycling.share'),
    announced: (ann.projects as unknown[]).map((p, i) => {
      const r = asRec(p);
      const stage = String(r.stage);
      if (stage !== 'mining' && stage !== 'separation' && stage !== 'metal' && stage !== 'magnet') {
        throw new Error(`baseline: announced[${i}] unknown stage ${stage}`);
      }
      const start = parseMonth(String(r.start));
      if (start === undefined) throw new Error(`baseline: announced[${i}] bad start ${String(r.start)}`);
      return {
        id: String(r.id),
        region: regionIndex(String(r.region)),
        stage,
        product:
          r.product === undefined ? 0 : PRODUCTS.indexOf(String(r.product) as (typeof PRODUCTS)[number]),
        deposit: r.deposit === undefined ? 'monazite' : String(r.deposit),
        tPerYear: num(r.v, `announced[${i}]`),
        start,
        rampMonths: num(r.rampMonths, `announced[${i}].rampMonths`),
        status: r.status === 'committed' ? 'committed' : 'announced',
      };
    }),
    projectDelay: tri(ann.delayMonths, 'announced.delayMonths'),
    basePrice: ELEMENTS.map((e) => num(asRec(asRec(prices.basePriceUsdPerKg).values)[e], `basePrice.${e}`)),
    elasticity: {
      light: tri(el.light, 'elasticity.light'),
      magnetLight: tri(el.magnetLight, 'elasticity.magnetLight'),
      heavy: tri(el.heavy, 'elasticity.heavy'),
      magnet: tri(el.magnet, 'elasticity.magnet'),
      supply: tri(prices.supplyElasticity, 'supplyElasticity'),
    },
    priceAdjust: tri(prices.adjustmentPerMonth, 'adjustmentPerMonth'),
    stockDrawMonths: num(asRec(prices.stockDrawMonths).v, 'stockDrawMonths'),
    priceFloor: num(asRec(prices.floor).v, 'prices.floor'),
    priceCap: num(asRec(prices.cap).v, 'prices.cap'),
    substitution: {
      ratePerYear: num(sub.ratePerYear, 'substitution.ratePerYear'),
      maxShare: num(sub.maxShare, 'substitution.maxShare'),
      trigger: num(sub.triggerPriceIndex, 'substitution.triggerPriceIndex'),
    },
    supplyRamp: {
      sharePerYear: num(ramp.sharePerYear, 'supplyRamp.sharePerYear'),
      leadMonths: num(ramp.leadMonths, 'supplyRamp.leadMonths'),
      trigger: num(ramp.triggerPriceIndex, 'supplyRamp.triggerPriceIndex'),
      region: regionIndex(String(ramp.region)),
      deposit: String(ramp.deposit),
    },
    reserves: Object.fromEntries(
      Object.entries(asRec(asRec(d.reserves).values)).map(([k, v]) => [k, num(v, `reserves.${k}`)]),
    ),
    provenance,
  };
  if (
    baseline.magnetDemand.length !== P ||
    baseline.regionShares.length !== K ||
    baseline.basePrice.length !== E
  ) {
    throw new Error('baseline: dimension mismatch');
  }
  return baseline;
}

function toPlain(node: YNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const [k, v] of node.entries) out[k] = toPlain(v);
  return out;
}

let cached: Baseline | undefined;

/** The shipped baseline, parsed once per process (workers parse their own copy only if asked). */
export function loadBaseline(path?: string): Baseline {
  if (path === undefined && cached) return structuredClone(cached);
  const file = path ?? fileURLToPath(DEFAULT_BASELINE_URL);
  const parsed = parseBaseline(readFileSync(file, 'utf8'), path ?? 'data/sim/baseline.yaml');
  if (path === undefined) cached = parsed;
  return structuredClone(parsed);
}

export { elementIndex, REGIONS };
