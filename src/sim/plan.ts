/**
 * Compiles a baseline plus a scenario into a Plan: flat numbers and typed arrays the kernel can run many times
 * without allocation, and that can be posted to a worker as is. Uncertain inputs become named parameters that
 * are sampled per draw, each from its own stream keyed by (seed, draw, name): the same name gets the same value
 * in a scenario and in its baseline (common random numbers), whatever the worker or the order of sampling.
 */
import type { Baseline, Triangular } from './baseline.js';
import {
  CN,
  E,
  ELEMENTS,
  elementIndex,
  K,
  M,
  METAL_ELEMENTS,
  P,
  R,
  REGIONS,
  SECTORS,
  Z,
  zoneOf,
} from './dims.js';
import { DEFAULT_PRODUCTS } from './products.js';
import type { Dist, Scenario } from './scenario.js';

export interface Param {
  readonly name: string;
  readonly dist: Dist;
}

export const STAGE_CODE = { mining: 0, separation: 1, metal: 2, magnet: 3 } as const;

export interface Plan {
  readonly T: number;
  readonly start: number;
  readonly scenarioName: string;
  readonly params: Param[];
  // Mines (one per country and deposit type).
  readonly nMine: number;
  readonly mineRegion: Int32Array;
  readonly mineCountry: Int32Array;
  readonly countries: string[];
  readonly mineComp: Float64Array;
  readonly mineCap: Float64Array;
  /** 0 none, 1 China rock quota, 2 China ion quota. */
  readonly mineQuota: Int8Array;
  readonly sepCap: Float64Array;
  readonly sepQuotaCN: number;
  readonly metalCap: Float64Array;
  readonly magCap: Float64Array;
  /** [p*E+e] t REO-equivalent per t magnet. */
  readonly comp: Float64Array;
  readonly reoPerMaterial: Float64Array;
  /** [ (r*K+k)*M + m ] t per month at the start. */
  readonly demand0: Float64Array;
  // Projects (announced + scenario capacity).
  readonly nProj: number;
  readonly projStage: Int8Array;
  readonly projRegion: Int32Array;
  readonly projProduct: Int32Array;
  readonly projCountry: Int32Array;
  readonly projComp: Float64Array;
  readonly projCap: Float64Array;
  readonly projStart: Int32Array;
  readonly projRamp: Int32Array;
  readonly projDelayParam: Int32Array;
  readonly projIds: string[];
  // Capacity shocks.
  readonly nShock: number;
  readonly shockStage: Int8Array;
  readonly shockRegion: Int32Array;
  readonly shockFactor: Float64Array;
  readonly shockStart: Int32Array;
  readonly shockEnd: Int32Array;
  // Trade restrictions.
  readonly nRes: number;
  readonly resOrigin: Int32Array;
  readonly resElemMask: Int32Array;
  readonly resFormMask: Int32Array;
  readonly resDestMask: Int32Array;
  readonly resSectorMask: Int32Array;
  readonly resStart: Int32Array;
  readonly resEnd: Int32Array;
  readonly resDelay: Int32Array;
  readonly resShareParam: Int32Array;
  readonly resIds: string[];
  /** Destination sector weights: [ (d*(E+P+1) + c)*K + k ]; c = element e, E+p magnet p, E+P total. */
  readonly wDest: Float64Array;
  // Recycling.
  readonly recBase: number;
  readonly recTargetParam: number;
  readonly recFrom: number;
  readonly recBy: number;
  readonly recRegionMask: number;
  readonly recSectorMask: number;
  // Responses.
  readonly subRate: number;
  readonly subMax: number;
  readonly subTrigger: number;
  readonly respShare: number;
  readonly respLead: number;
  readonly respTrigger: number;
  readonly respRegion: number;
  readonly respCountry: number;
  readonly respComp: Float64Array;
  /** World mine output at the start, t/month (the base for the "share of market per year" ramp). */
  readonly worldMine0: number;
  // Parameters by index into theta.
  readonly pQuotaRock: number;
  readonly pQuotaIon: number;
  readonly pQuotaSep: number;
  readonly pMineGrowth: number;
  readonly pMetalGrowth: number;
  readonly pMagnetGrowth: number;
  readonly pGrowth: Int32Array;
  readonly pTauConc: number;
  readonly pTauOx: number;
  readonly pTauMet: number;
  readonly pTauMag: number;
  readonly pTauU: Int32Array;
  readonly pEps: Int32Array;
  readonly pEpsMag: number;
  readonly pEpsSupply: number;
  readonly pAdjust: number;
  // Government stockpiles.
  readonly nGov: number;
  readonly govRegion: Int32Array;
  readonly govMonths: Float64Array;
  readonly govFillParam: Int32Array;
  readonly govMask: Int32Array;
  readonly govRelease: number;
  readonly stockpileRelease: boolean;
  // Prices.
  readonly valueWeights: Float64Array;
  readonly stockDrawMonths: number;
  readonly priceFloor: number;
  readonly priceCap: number;
  // Allocation.
  readonly priority: boolean;
  readonly order: Int32Array;
  // Products.
  readonly nProd: number;
  readonly prodNames: string[];
  readonly prodCaveats: string[];
  readonly prodSources: string[];
  readonly prodRegion: Int32Array;
  readonly prodSector: Int32Array;
  readonly prodMaterial: Int32Array;
  readonly prodKgParam: Int32Array;
  readonly prodShare: Float64Array;
}

function triDist(t: Triangular): Dist {
  return t.min === t.max
    ? { kind: 'fixed', v: t.mode }
    : { kind: 'triangular', min: t.min, mode: t.mode, max: t.max };
}

/** Inverse-CDF sampling with one uniform (two for the normal) so each parameter consumes a fixed amount. */
export function sampleDist(d: Dist, u: number, u2: number): number {
  switch (d.kind) {
    case 'fixed':
      return d.v;
    case 'uniform':
      return d.min + (d.max - d.min) * u;
    case 'triangular': {
      const { min: a, mode: c, max: b } = d;
      if (b === a) return a;
      const f = (c - a) / (b - a);
      return u < f ? a + Math.sqrt(u * (b - a) * (c - a)) : b - Math.sqrt((1 - u) * (b - a) * (b - c));
    }
    case 'normal': {
      const z = Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * u2);
      return d.mean + d.sd * z;
    }
  }
}

/** FNV-1a over a string, continuing from h (the hash createRandom applies to its seed string). */
function fnv1a(h: number, text: string): number {
  let x = h;
  for (let i = 0; i < text.length; i++) {
    x ^= text.charCodeAt(i);
    x = Math.imul(x, 16777619) >>> 0;
  }
  return x;
}

/**
 * The first two uniforms of `createRandom(prefix + name)` (src/core/prng.ts: sfc32 seeded by splitmix32 over the
 * FNV-1a hash of the string), given the hash of the prefix. The same numbers, without building the seed string,
 * the generator's closures and object for every parameter of every draw (~25 µs a draw, a few % of a draw).
 * determinism.test.ts checks it against createRandom.
 */
export function streamUniforms(prefixHash: number, name: string, out: Float64Array): void {
  let s = fnv1a(prefixHash, name);
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  let t = 0;
  for (let i = 0; i < 14; i++) {
    t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    // Outputs 13 and 14 (after the generator's 12 discarded ones) are the two uniforms.
    if (i >= 12) out[i - 12] = t / 4294967296;
  }
}

/** The hash createRandom would start from for strings beginning `${seed}/${draw}/`. */
export function drawPrefixHash(seed: string | number, draw: number): number {
  return fnv1a(2166136261 >>> 0, `${seed}/${draw}/`);
}

const uniforms = new Float64Array(2);

/** theta for one draw. Draw-keyed streams make the result independent of how draws are split across workers. */
export function sampleTheta(
  plan: Plan,
  seed: string | number,
  draw: number,
  out?: Float64Array,
): Float64Array {
  const theta = out ?? new Float64Array(plan.params.length);
  // Each parameter's stream is createRandom(`${seed}/${draw}/${name}`): the prefix is hashed once per draw.
  const prefix = drawPrefixHash(seed, draw);
  for (let i = 0; i < plan.params.length; i++) {
    const p = plan.params[i]!;
    if (p.dist.kind === 'fixed') {
      theta[i] = p.dist.v;
      continue;
    }
    streamUniforms(prefix, p.name, uniforms);
    theta[i] = sampleDist(p.dist, uniforms[0]!, uniforms[1]!);
  }
  return theta;
}

/** The central values (modes / means): the deterministic "point" run used by tests and calibration checks. */
export function centralTheta(plan: Plan): Float64Array {
  return Float64Array.from(plan.params, (p) => {
    const d = p.dist;
    return d.kind === 'fixed'
      ? d.v
      : d.kind === 'uniform'
        ? (d.min + d.max) / 2
        : d.kind === 'triangular'
          ? d.mode
          : d.mean;
  });
}

export function compilePlan(base: Baseline, sc: Scenario): Plan {
  const params: Param[] = [];
  const param = (name: string, dist: Dist): number => {
    const existing = params.findIndex((p) => p.name === name);
    if (existing >= 0) return existing;
    params.push({ name, dist });
    return params.length - 1;
  };
  const T = sc.horizonMonths;

  // Element content of each end-use material, t REO-eq per t of material.
  const comp = new Float64Array(P * E);
  for (let p = 0; p < P; p++) {
    for (let e = 0; e < E; e++)
      comp[p * E + e] = (base.magnetMetalFractions[p]?.[e] ?? 0) * (base.oxidePerMetal[e] ?? 1);
  }
  const reoPerMaterial = new Float64Array(M);
  for (let p = 0; p < P; p++) {
    let s = 0;
    for (let e = 0; e < E; e++) s += comp[p * E + e]!;
    reoPerMaterial[p] = s;
  }
  for (let e = 0; e < E; e++) reoPerMaterial[P + e] = 1;

  // Mines.
  const countries: string[] = [];
  const countryOf = (c: string): number => {
    let i = countries.indexOf(c);
    if (i < 0) {
      countries.push(c);
      i = countries.length - 1;
    }
    return i;
  };
  const nMine = base.mines.length;
  const mineRegion = Int32Array.from(base.mines, (m) => m.region);
  const mineCountry = Int32Array.from(base.mines, (m) => countryOf(m.country));
  const mineComp = new Float64Array(nMine * E);
  base.mines.forEach((m, i) => {
    mineComp.set(base.deposits[m.deposit]!, i * E);
  });
  const mineCap = Float64Array.from(base.mines, (m) => m.tPerYear / 12);
  const mineQuota = Int8Array.from(base.mines, (m) =>
    m.quotaGroup === 'cn-rock' ? 1 : m.quotaGroup === 'cn-ion' ? 2 : 0,
  );
  const worldMine0 = mineCap.reduce((a, b) => a + b, 0);

  // Separated supply by element at the start, for the derived non-magnet demand.
  const supply = new Float64Array(E);
  for (let i = 0; i < nMine; i++)
    for (let e = 0; e < E; e++) supply[e]! += mineCap[i]! * mineComp[i * E + e]!;

  // Demand at the start, t/month: magnets by sector and region; oxides for "others" as the residual.
  const demand0 = new Float64Array(R * K * M);
  const magnetUse = new Float64Array(E);
  for (let p = 0; p < P; p++) {
    for (let k = 0; k < K; k++) {
      const total = (base.magnetDemand[p]?.[k] ?? 0) / 12;
      for (let r = 0; r < R; r++) {
        const v = total * (base.regionShares[k]?.[r] ?? 0);
        demand0[(r * K + k) * M + p] = v;
        for (let e = 0; e < E; e++) magnetUse[e]! += v * comp[p * E + e]!;
      }
    }
  }
  const others = SECTORS.indexOf('others');
  for (let e = 0; e < E; e++) {
    const residual = Math.max(0, supply[e]! - magnetUse[e]!) * base.othersOxideFractionOfSurplus;
    for (let r = 0; r < R; r++)
      demand0[(r * K + others) * M + P + e] = residual * (base.othersOxideRegionShares[r] ?? 0);
  }

  // Destination sector weights by content.
  const C = E + P + 1;
  const wDest = new Float64Array(R * C * K);
  for (let d = 0; d < R; d++) {
    const acc = new Float64Array(C * K);
    for (let k = 0; k < K; k++) {
      for (let m = 0; m < M; m++) {
        const v = demand0[(d * K + k) * M + m]!;
        if (v === 0) continue;
        if (m < P) {
          acc[(E + m) * K + k]! += v;
          for (let e = 0; e < E; e++) acc[e * K + k]! += v * comp[m * E + e]!;
          acc[(E + P) * K + k]! += v * reoPerMaterial[m]!;
        } else {
          acc[(m - P) * K + k]! += v;
          acc[(E + P) * K + k]! += v;
        }
      }
    }
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += acc[c * K + k]!;
      for (let k = 0; k < K; k++) wDest[(d * C + c) * K + k] = s > 0 ? acc[c * K + k]! / s : 1 / K;
    }
  }

  // Projects: announced (by status) plus scenario capacity.
  type Proj = {
    id: string;
    stage: number;
    region: number;
    product: number;
    deposit: string;
    cap: number;
    start: number;
    ramp: number;
    delay: Dist;
  };
  const projects: Proj[] = [];
  const delayDist = triDist(base.projectDelay);
  for (const a of base.announced) {
    if (sc.announcedCapacity === 'none') continue;
    if (sc.announcedCapacity === 'committed' && a.status !== 'committed') continue;
    projects.push({
      id: a.id,
      stage: STAGE_CODE[a.stage],
      region: a.region,
      product: a.product,
      deposit: a.deposit,
      cap: a.tPerYear / 12,
      start: a.start,
      ramp: a.rampMonths,
      delay: delayDist,
    });
  }
  for (const c of sc.capacity) {
    projects.push({
      id: c.id,
      stage: STAGE_CODE[c.stage],
      region: c.region,
      product: c.product,
      deposit: c.deposit,
      cap: c.tPerYear / 12,
      start: c.start,
      ramp: c.rampMonths,
      delay: c.delayMonths,
    });
  }
  const nProj = projects.length;
  const projComp = new Float64Array(nProj * E);
  projects.forEach((p, i) => {
    projComp.set(base.deposits[p.deposit] ?? base.deposits.monazite!, i * E);
  });

  // Growth and quota parameters (scenario overrides keep the same parameter name, so baseline pairs are aligned
  // only where the scenario does not change them).
  const pGrowth = Int32Array.from(SECTORS, (s, k) => {
    const override = sc.demandGrowth?.bySector[k];
    const g = base.growth[k]!;
    return override
      ? param(`scenario.growth.${s}`, override)
      : param(`growth.${s}`, { kind: 'normal', mean: g.mean, sd: g.sd });
  });
  const q = sc.quota;
  const pQuotaRock = q?.miningGrowthPerYear
    ? param('scenario.quota.rock', q.miningGrowthPerYear)
    : param('quota.rock', { kind: 'fixed', v: base.quota.miningGrowth });
  const pQuotaIon = q?.ionGrowthPerYear
    ? param('scenario.quota.ion', q.ionGrowthPerYear)
    : param('quota.ion', { kind: 'fixed', v: base.quota.ionGrowth });
  const pQuotaSep = q?.separationGrowthPerYear
    ? param('scenario.quota.separation', q.separationGrowthPerYear)
    : param('quota.separation', { kind: 'fixed', v: base.quota.separationGrowth });

  const pMineGrowth = param('mining.nonQuotaGrowth', triDist(base.quota.nonQuotaMiningGrowth));
  const pMetalGrowth = param('capacity.metalGrowth', triDist(base.processingGrowth.metal));
  const pMagnetGrowth = param('capacity.magnetGrowth', triDist(base.processingGrowth.magnet));
  const pc = base.processorCover;
  const pTauConc = param('cover.concentrate', triDist(pc.concentrate));
  const pTauOx = param('cover.oxide', triDist(pc.oxide));
  const pTauMet = param('cover.metal', triDist(pc.metal));
  const pTauMag = param('cover.magnet', triDist(pc.magnet));
  const pTauU = Int32Array.from(SECTORS, (s, k) => param(`cover.endUse.${s}`, triDist(base.endUseCover[k]!)));

  const heavy = new Set(['Tb', 'Dy']);
  const magnetLight = new Set(['Pr', 'Nd']);
  const pEpsLight = param('elasticity.light', triDist(base.elasticity.light));
  const pEpsML = param('elasticity.magnetLight', triDist(base.elasticity.magnetLight));
  const pEpsHeavy = param('elasticity.heavy', triDist(base.elasticity.heavy));
  const pEps = Int32Array.from(ELEMENTS, (e) =>
    heavy.has(e) ? pEpsHeavy : magnetLight.has(e) ? pEpsML : pEpsLight,
  );
  const pEpsMag = param('elasticity.magnet', triDist(base.elasticity.magnet));
  const pEpsSupply = param('elasticity.supply', triDist(base.elasticity.supply));
  const pAdjust = param('price.adjustment', triDist(base.priceAdjust));

  const projDelayParam = Int32Array.from(projects, (p) => param(`delay.${p.id}`, p.delay));

  const resShareParam = Int32Array.from(sc.tradeRestrictions, (t) =>
    param(`restriction.${t.id}.share`, t.licensedShare),
  );

  const recTargetParam = sc.recycling
    ? param('scenario.recycling.target', sc.recycling.targetShare)
    : param('recycling.target', { kind: 'fixed', v: base.recyclingShare });

  const govFillParam = Int32Array.from(base.government, (g, i) =>
    param(`stockpile.${i}.fill`, { kind: 'uniform', min: g.fillMin, max: g.fillMax }),
  );

  // Products: the scenario's, or the defaults from the baseline intensities.
  const prods = sc.products.length
    ? sc.products.map((p) => ({
        name: p.name,
        region: p.region,
        sector: p.sector,
        material: p.material,
        kg: p.kgPerUnit,
        share: p.shareOfSector,
        caveat: p.caveat,
        source: p.source,
      }))
    : DEFAULT_PRODUCTS.map((d) => {
        const it = base.intensities.find((i) => i.name === d.intensity)!;
        return {
          name: d.name,
          region: REGIONS.indexOf(d.region as (typeof REGIONS)[number]),
          sector: SECTORS.indexOf(d.sector as (typeof SECTORS)[number]),
          material: it.product === 'SmCo' ? 1 : 0,
          kg: triDist(it.kgPerUnit),
          share: d.share,
          caveat: it.caveat,
          source: base.sources[it.source] ?? it.source,
        };
      });
  const prodKgParam = Int32Array.from(prods, (p, i) => param(`product.${i}.kg.${p.name}`, p.kg));

  // Magnet price index weights: value share of each element in the magnet at base prices.
  const valueWeights = new Float64Array(P * E);
  for (let p = 0; p < P; p++) {
    let s = 0;
    for (let e = 0; e < E; e++) s += comp[p * E + e]! * base.basePrice[e]!;
    for (let e = 0; e < E; e++)
      valueWeights[p * E + e] = s > 0 ? (comp[p * E + e]! * base.basePrice[e]!) / s : 0;
  }

  const sub = sc.substitution ?? {
    ratePerYear: base.substitution.ratePerYear,
    maxShare: base.substitution.maxShare,
    trigger: base.substitution.trigger,
  };
  const resp = sc.supplyResponse ?? base.supplyRamp;
  const respCountry = countryOf('new-entrants');
  const projCountry = Int32Array.from(projects, (p) => countryOf(REGIONS[p.region] ?? 'RoW'));

  const BIG = 2 ** 30;
  void METAL_ELEMENTS;
  void Z;
  void zoneOf;
  void elementIndex;
  return {
    T,
    start: sc.start,
    scenarioName: sc.name,
    params,
    nMine,
    mineRegion,
    mineCountry,
    countries,
    mineComp,
    mineCap,
    mineQuota,
    sepCap: Float64Array.from(base.separationCap, (v) => v / 12),
    sepQuotaCN: base.quota.separation / 12,
    metalCap: Float64Array.from(base.metalCap, (v) => v / 12),
    magCap: Float64Array.from(base.magnetCap.flatMap((row) => row.map((v) => v / 12))),
    comp,
    reoPerMaterial,
    demand0,
    nProj,
    projStage: Int8Array.from(projects, (p) => p.stage),
    projRegion: Int32Array.from(projects, (p) => p.region),
    projProduct: Int32Array.from(projects, (p) => p.product),
    projCountry,
    projComp,
    projCap: Float64Array.from(projects, (p) => p.cap),
    projStart: Int32Array.from(projects, (p) => p.start - sc.start),
    projRamp: Int32Array.from(projects, (p) => Math.max(1, p.ramp)),
    projDelayParam,
    projIds: projects.map((p) => p.id),
    nShock: sc.capacityShocks.length,
    shockStage: Int8Array.from(sc.capacityShocks, (s) => STAGE_CODE[s.stage]),
    shockRegion: Int32Array.from(sc.capacityShocks, (s) => s.region),
    shockFactor: Float64Array.from(sc.capacityShocks, (s) => s.factor),
    shockStart: Int32Array.from(sc.capacityShocks, (s) => s.start - sc.start),
    shockEnd: Int32Array.from(sc.capacityShocks, (s) => (s.end === null ? BIG : s.end - sc.start)),
    nRes: sc.tradeRestrictions.length,
    resOrigin: Int32Array.from(sc.tradeRestrictions, (t) => t.origin),
    resElemMask: Int32Array.from(sc.tradeRestrictions, (t) => t.elementMask),
    resFormMask: Int32Array.from(sc.tradeRestrictions, (t) => t.formMask),
    resDestMask: Int32Array.from(sc.tradeRestrictions, (t) => t.destinationMask),
    resSectorMask: Int32Array.from(sc.tradeRestrictions, (t) => t.sectorMask),
    resStart: Int32Array.from(sc.tradeRestrictions, (t) => t.start - sc.start),
    resEnd: Int32Array.from(sc.tradeRestrictions, (t) => (t.end === null ? BIG : t.end - sc.start)),
    resDelay: Int32Array.from(sc.tradeRestrictions, (t) => t.approvalDelayMonths),
    resShareParam,
    resIds: sc.tradeRestrictions.map((t) => t.id),
    wDest,
    recBase: base.recyclingShare,
    recTargetParam,
    recFrom: (sc.recycling?.from ?? sc.start) - sc.start,
    recBy: (sc.recycling?.by ?? sc.start) - sc.start,
    recRegionMask: sc.recycling?.regionMask ?? (1 << R) - 1,
    recSectorMask: sc.recycling?.sectorMask ?? (1 << K) - 1,
    subRate: sub.ratePerYear,
    subMax: sub.maxShare,
    subTrigger: sub.trigger,
    respShare: resp.sharePerYear,
    respLead: resp.leadMonths,
    respTrigger: resp.trigger,
    respRegion: base.supplyRamp.region,
    respCountry,
    respComp: Float64Array.from(base.deposits[base.supplyRamp.deposit] ?? base.deposits.monazite!),
    worldMine0,
    pQuotaRock,
    pQuotaIon,
    pQuotaSep,
    pMineGrowth,
    pMetalGrowth,
    pMagnetGrowth,
    pGrowth,
    pTauConc,
    pTauOx,
    pTauMet,
    pTauMag,
    pTauU,
    pEps,
    pEpsMag,
    pEpsSupply,
    pAdjust,
    nGov: base.government.length,
    govRegion: Int32Array.from(base.government, (g) => g.region),
    govMonths: Float64Array.from(base.government, (g) => g.monthsOfDemand),
    govFillParam,
    govMask: Int32Array.from(base.government, (g) => g.sectorMask),
    govRelease: base.governmentMaxMonthlyRelease,
    stockpileRelease: sc.stockpileRelease,
    valueWeights,
    stockDrawMonths: base.stockDrawMonths,
    priceFloor: base.priceFloor,
    priceCap: base.priceCap,
    priority: sc.allocation.rule === 'priority',
    order: Int32Array.from(sc.allocation.order),
    nProd: prods.length,
    prodNames: prods.map((p) => p.name),
    prodCaveats: prods.map((p) => p.caveat),
    prodSources: prods.map((p) => p.source),
    prodRegion: Int32Array.from(prods, (p) => p.region),
    prodSector: Int32Array.from(prods, (p) => p.sector),
    prodMaterial: Int32Array.from(prods, (p) => p.material),
    prodKgParam,
    prodShare: Float64Array.from(prods, (p) => p.share),
  };
}

export { CN };
