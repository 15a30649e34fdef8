/**
 * Turns per-draw outputs into the result object: P10/P50/P90 of every output over the draws, and of the paired
 * differences against the baseline (same draw, same sampled inputs where the scenario does not change them).
 * Numbers are rounded to six significant figures so that the JSON is stable and readable.
 */
import { ELEMENTS, formatMonth, K, R, REGIONS, SECTORS, STAGES, Z, ZONES } from './dims.js';
import { N_STAGE_OUT } from './kernel.js';
import type { MonteCarloOutput } from './montecarlo.js';
import { PRICE_BINS, PRICE_LOG_MAX, PRICE_LOG_MIN, SHARE_BINS } from './montecarlo.js';
import type { Plan } from './plan.js';
import type { Scenario } from './scenario.js';

export interface Bands {
  readonly p10: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
}

export const DEMAND_REGIONS = ['CN', 'US', 'EU', 'JP', 'KR', 'RoW'] as const;

export function round(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  return Number(v.toPrecision(6));
}

/** Percentiles are nearest-rank (defined for infinities, unlike interpolation). */
/** k-th smallest (0-based) by quickselect, in place: O(n) per percentile instead of a full sort per column. */
function select(a: Float64Array, k: number, from: number, to: number): number {
  let lo = from;
  let hi = to;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Scratch for the selections (bandsOf runs once per output: one buffer, not one allocation each). */
let scratch = new Float64Array(0);

function bandsOf(values: Float64Array): Bands {
  const n = values.length;
  const f = (v: number): number | null => (Number.isFinite(v) ? round(v) : null);
  // A third of the outputs are the same in every draw (a region that never runs short): no selection needed.
  const first = values[0]!;
  let same = 1;
  while (same < n && values[same] === first) same++;
  if (n > 0 && same === n) return { p10: f(first), p50: f(first), p90: f(first) };
  if (scratch.length < n) scratch = new Float64Array(n);
  const s = scratch.subarray(0, n);
  s.set(values);
  const rank = (q: number): number => Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  // The median first: it leaves smaller values below its rank and larger above, so P10 and P90 are then
  // selected in one half each (the same order statistics, about half the work).
  const k50 = rank(0.5);
  const p50 = select(s, k50, 0, n - 1);
  const p10 = select(s, rank(0.1), 0, k50);
  const p90 = select(s, rank(0.9), k50, n - 1);
  return { p10: f(p10), p50: f(p50), p90: f(p90) };
}

function histPercentile(
  hist: Int32Array,
  offset: number,
  bins: number,
  q: number,
  toValue: (bin: number, frac: number) => number,
): number {
  let total = 0;
  for (let b = 0; b < bins; b++) total += hist[offset + b]!;
  const target = q * total;
  let acc = 0;
  for (let b = 0; b < bins; b++) {
    const c = hist[offset + b]!;
    if (c > 0 && acc + c >= target) return toValue(b, c > 0 ? (target - acc) / c : 0);
    acc += c;
  }
  return toValue(bins - 1, 1);
}

export interface SimulationResult {
  readonly schema: 'raretrace.simulation/1';
  readonly scenario: {
    readonly name: string;
    readonly title: string;
    readonly description: string;
    readonly start: string;
    readonly horizonMonths: number;
    readonly allocation: string;
    readonly assumptions: readonly { lever: string; source: string; line: number }[];
  };
  readonly baselineData: { readonly version: string; readonly asOf: string };
  readonly run: { readonly draws: number; readonly seed: string; readonly comparedToBaseline: boolean };
  readonly notes: readonly string[];
  readonly regionSector: readonly unknown[];
  readonly unmetByElement: readonly unknown[];
  readonly products: readonly unknown[];
  readonly prices: readonly unknown[];
  readonly concentration: readonly unknown[];
  readonly supply: unknown;
  readonly stocksAtEnd: unknown;
  readonly substitutionAtEnd: readonly unknown[];
  readonly bindingElementExChina: unknown;
  readonly series: unknown;
  readonly parameters: readonly unknown[];
}

export function buildResult(
  mc: MonteCarloOutput,
  plan: Plan,
  scenario: Scenario,
  meta: { seed: string; baselineVersion: string; baselineAsOf: number },
): SimulationResult {
  const L = mc.layout;
  const n = mc.draws;
  // Scalars arrive output by output (MonteCarloOutput.scalars): each output's draws are one contiguous view.
  const byCol = mc.scalars;
  /** A view of one output over all draws (read only: bandsOf copies before selecting). */
  const col = (off: number): Float64Array => byCol.subarray(off * n, (off + 1) * n);
  const diff = (off: number, transform?: (v: number) => number): Bands | null => {
    if (!mc.baseScalars) return null;
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let a = mc.scalars[off * n + i]!;
      let b = mc.baseScalars[off * n + i]!;
      if (transform) {
        a = transform(a);
        b = transform(b);
      }
      v[i] = a - b;
    }
    return bandsOf(v);
  };
  const infShare = (off: number): number => {
    let c = 0;
    const v = col(off);
    for (let i = 0; i < n; i++) if (Number.isFinite(v[i]!)) c++;
    return round(c / n);
  };
  // Stock-out months beyond the horizon are compared at the horizon, so differences stay finite.
  const capH = (v: number): number => (Number.isFinite(v) ? v : L.T);

  const regionSector = [];
  for (const regionName of DEMAND_REGIONS) {
    const r = REGIONS.indexOf(regionName);
    for (let k = 0; k < K; k++) {
      const i = r * K + k;
      const stockout = bandsOf(col(L.stockout + i));
      const share = new Float64Array(n);
      const demand = col(L.demandTot + i);
      const unmet = col(L.unmet + i);
      for (let j = 0; j < n; j++) share[j] = demand[j]! > 0 ? unmet[j]! / demand[j]! : 0;
      regionSector.push({
        region: regionName,
        sector: SECTORS[k],
        monthsOfCoverAtStart: bandsOf(col(L.cover0 + i)),
        stockOutMonthIndex: stockout,
        stockOutMonth: {
          p10: stockout.p10 === null ? null : formatMonth(plan.start + stockout.p10),
          p50: stockout.p50 === null ? null : formatMonth(plan.start + stockout.p50),
          p90: stockout.p90 === null ? null : formatMonth(plan.start + stockout.p90),
        },
        shareOfDrawsWithStockOut: infShare(L.stockout + i),
        unmetDemandTonnesREO: bandsOf(unmet),
        unmetShareOfDemand: bandsOf(share),
        vsBaseline: mc.baseScalars
          ? { unmetDemandTonnesREO: diff(L.unmet + i), stockOutMonthIndex: diff(L.stockout + i, capH) }
          : null,
      });
    }
  }

  const unmetByElement = DEMAND_REGIONS.map((regionName) => {
    const r = REGIONS.indexOf(regionName);
    return {
      region: regionName,
      tonnesREO: Object.fromEntries(
        ELEMENTS.map((el, e) => [el, bandsOf(col(L.unmetEl + r * ELEMENTS.length + e))]),
      ),
    };
  });

  const products = plan.prodNames.map((name, j) => ({
    name,
    region: REGIONS[plan.prodRegion[j]!],
    sector: SECTORS[plan.prodSector[j]!],
    shareOfSectorSupply: plan.prodShare[j],
    caveat: plan.prodCaveats[j] || undefined,
    source: plan.prodSources[j],
    unitsFirst12Months: bandsOf(col(L.units12 + j)),
    unitsOverHorizon: bandsOf(col(L.unitsH + j)),
    vsBaseline: mc.baseScalars
      ? { unitsFirst12Months: diff(L.units12 + j), unitsOverHorizon: diff(L.unitsH + j) }
      : null,
  }));

  const prices = [];
  for (let z = 0; z < Z; z++) {
    for (let e = 0; e < ELEMENTS.length; e++) {
      const zi = z * ELEMENTS.length + e;
      const peakMonth = bandsOf(col(L.pricePeakMonth + zi));
      prices.push({
        zone: ZONES[z],
        element: ELEMENTS[e],
        peakIndex: bandsOf(col(L.pricePeak + zi)),
        peakMonthIndex: peakMonth,
        peakMonth: peakMonth.p50 === null ? null : formatMonth(plan.start + peakMonth.p50),
        endIndex: bandsOf(col(L.priceEnd + zi)),
        geometricMeanIndex: bandsOf(col(L.priceMean + zi)),
        vsBaseline: mc.baseScalars
          ? { peakIndex: diff(L.pricePeak + zi), geometricMeanIndex: diff(L.priceMean + zi) }
          : null,
      });
    }
  }

  const concentration = [];
  const firstYear = Math.floor(plan.start / 12);
  for (let s = 0; s < N_STAGE_OUT; s++) {
    for (let y = 0; y < L.Y; y++) {
      const whoCol = col(L.top1Who + s * L.Y + y);
      const euWhoCol = col(L.euTopWho + s * L.Y + y);
      const mode = (v: Float64Array): number => {
        // Region and country indices (-1 for none): counted in an array; the smallest most frequent wins.
        let lo = Number.POSITIVE_INFINITY;
        let hi = Number.NEGATIVE_INFINITY;
        let ints = true;
        for (let i = 0; i < v.length; i++) {
          const x = v[i]!;
          if (!Number.isInteger(x)) ints = false;
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
        if (ints && hi - lo < 4096) {
          const c = new Int32Array(hi - lo + 1);
          for (let i = 0; i < v.length; i++) c[v[i]! - lo]! += 1;
          let at = 0;
          for (let x = 1; x < c.length; x++) if (c[x]! > c[at]!) at = x;
          return lo + at;
        }
        const counts = new Map<number, number>();
        for (const x of v) counts.set(x, (counts.get(x) ?? 0) + 1);
        let best = -1;
        let bestC = -1;
        for (const [x, c] of [...counts].sort((a, b) => a[0] - b[0])) {
          if (c > bestC) {
            best = x;
            bestC = c;
          }
        }
        return best;
      };
      const who = mode(whoCol);
      const euWho = mode(euWhoCol);
      const hhi = col(L.hhi + s * L.Y + y);
      concentration.push({
        stage: STAGES[s],
        year: firstYear + y,
        hhi: bandsOf(hhi),
        topSupplier: s === 0 ? (plan.countries[who] ?? null) : (REGIONS[who] ?? null),
        topSupplierShare: bandsOf(col(L.top1 + s * L.Y + y)),
        euCrma: {
          topThirdCountry: REGIONS[euWho] ?? null,
          share: bandsOf(col(L.euTop + s * L.Y + y)),
          benchmark: 0.65,
        },
        vsBaseline: mc.baseScalars ? { hhi: diff(L.hhi + s * L.Y + y) } : null,
      });
    }
  }

  const supply = {
    exChinaMineShareByYear: Array.from({ length: L.Y }, (_, y) => ({
      year: firstYear + y,
      share: bandsOf(col(L.exCnMineShare + y)),
    })),
    responseCapacityAddedTonnesPerYear: bandsOf(col(L.respAdded)),
  };

  const stocksAtEnd = Object.fromEntries(
    ['concentrate', 'oxide', 'metal', 'magnet', 'end-use'].map((name, i) => [
      name,
      bandsOf(col(L.stockEnd + i)),
    ]),
  );

  const substitutionAtEnd = [];
  for (let z = 0; z < Z; z++) {
    for (let k = 0; k < K; k++)
      substitutionAtEnd.push({
        zone: ZONES[z],
        sector: SECTORS[k],
        share: bandsOf(col(L.subEnd + z * K + k)),
      });
  }

  const binding = Object.fromEntries(
    ELEMENTS.map((el, e) => [el, bandsOf(col(L.binding + e))]).filter(([, b]) => (b as Bands).p90 !== 0),
  );

  // Monthly series from the histograms.
  const months = Array.from({ length: L.T }, (_, t) => formatMonth(plan.start + t));
  const priceVal = (b: number, frac: number): number =>
    round(10 ** (PRICE_LOG_MIN + ((b + frac) * (PRICE_LOG_MAX - PRICE_LOG_MIN)) / PRICE_BINS));
  const shareVal = (b: number, frac: number): number => round((b + frac) / SHARE_BINS);
  const seriesPrice = [];
  for (let z = 0; z < Z; z++) {
    for (let e = 0; e < ELEMENTS.length; e++) {
      const zi = z * ELEMENTS.length + e;
      const band = (q: number): number[] =>
        Array.from({ length: L.T }, (_, t) =>
          histPercentile(mc.hist, (zi * L.T + t) * PRICE_BINS, PRICE_BINS, q, priceVal),
        );
      seriesPrice.push({
        zone: ZONES[z],
        element: ELEMENTS[e],
        p10: band(0.1),
        p50: band(0.5),
        p90: band(0.9),
      });
    }
  }
  const off = L.seriesUnmet * PRICE_BINS;
  const seriesUnmet = DEMAND_REGIONS.map((regionName) => {
    const r = REGIONS.indexOf(regionName);
    const band = (q: number): number[] =>
      Array.from({ length: L.T }, (_, t) =>
        histPercentile(mc.hist, off + (r * L.T + t) * SHARE_BINS, SHARE_BINS, q, shareVal),
      );
    return { region: regionName, p10: band(0.1), p50: band(0.5), p90: band(0.9) };
  });

  void R;
  return {
    schema: 'raretrace.simulation/1',
    scenario: {
      name: scenario.name,
      title: scenario.title,
      description: scenario.description,
      start: formatMonth(scenario.start),
      horizonMonths: scenario.horizonMonths,
      allocation:
        scenario.allocation.rule === 'priority'
          ? `priority: ${scenario.allocation.order.map((k) => SECTORS[k]).join(' > ')}`
          : 'pro-rata',
      assumptions: scenario.assumptions,
    },
    baselineData: { version: meta.baselineVersion, asOf: formatMonth(meta.baselineAsOf) },
    run: { draws: n, seed: meta.seed, comparedToBaseline: mc.baseScalars !== null },
    notes: [
      'Quantities in t REO-equivalent unless named otherwise; price indices are 1.0 at the start (no-lever balance).',
      'Bands are P10/P50/P90 over the Monte Carlo draws; vsBaseline bands are of paired per-draw differences.',
      'Stock-out: first month a region-sector receives less than 95% of its demand; null = not within the horizon in that percentile.',
      'Monthly series bands are read from fixed histograms (prices: 240 log bins over 0.1-100x; shares: 200 bins), resolution about 3% and 0.5%.',
      'EU CRMA: share of EU supply at each stage from the largest single third country; the Act sets 65% as the 2030 ceiling.',
    ],
    regionSector,
    unmetByElement,
    products,
    prices,
    concentration,
    supply,
    stocksAtEnd,
    substitutionAtEnd,
    bindingElementExChina: { monthsMagnetOutputLimitedByElement: binding },
    series: { months, priceIndex: seriesPrice, unmetShareOfDemand: seriesUnmet },
    parameters: plan.params.map((p) => ({ name: p.name, dist: p.dist })),
  };
}
