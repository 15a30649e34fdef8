/**
 * The simulation kernel: one draw, monthly steps, elements resolved, country by stage with stocks at every stage
 * and trade between regions. Pure: no clock, no randomness (theta carries the sampled inputs), no allocation in
 * the monthly loop (all scratch lives in the Kernel object and is reused across draws).
 *
 * Units: t REO-equivalent per element at the concentrate, oxide and metal stages; t of magnet at the magnet
 * stage (element content via the composition matrix); end-use inventories per material (magnets, oxides).
 */
import * as dims from './dims.js';
import { applyLedgerFlows, applyLedgerStocks, type LedgerStartingState } from './ledger.js';
import type { Plan } from './plan.js';

// Local copies: module-namespace bindings become getter calls under some loaders (tsx, vitest), which costs
// more than the arithmetic in the hot loops.
const E = dims.E;
const R = dims.R;
const K = dims.K;
const P = dims.P;
const M = dims.M;
const Z = dims.Z;
const CN = dims.CN;
const EU = dims.EU;
const METAL_ELEMENTS = Int32Array.from(dims.METAL_ELEMENTS);
const N_METAL = METAL_ELEMENTS.length;
const zoneOf = (region: number): number => (region === CN ? 0 : 1);
/** A plain loop: TypedArray#fill is a builtin call, which costs more than clearing a few dozen cells inline. */
function zero(a: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = 0;
}

export const N_STAGE_OUT = 4; // mining, separation, metal, magnet
const C = E + P + 1; // content keys for destination weights
const STOCKOUT_FULFILMENT = 0.95;
const SPINUP_MONTHS = 3;
const ORDER_ADJUST_MONTHS = 2;
const ORDER_ADJUST_INV = 1 / ORDER_ADJUST_MONTHS;
// Layout of Kernel.state: where each stock (and the price state) starts. The named views (conc, ox, ...) are cut
// at these offsets; hot loops that read several of them index state directly (one typed array instead of several).
const S_OX = R * E;
const S_MET = 2 * R * E;
const S_MAG = 3 * R * E;
const S_USER = S_MAG + R * P;
const S_GOV = S_USER + R * K * M;
const S_PRICE = S_GOV + R * M;
const S_SUB = S_PRICE + Z * E;
const S_LOGPRICE = S_SUB + Z * K;
const S_SIZE = S_LOGPRICE + Z * E;
// Layout of Kernel.monthly: sums that start every month at 0 (cleared together).
const MO_SUPSEP = 0;
const MO_NETIMP = MO_SUPSEP + Z * E;
const MO_DEMZM = MO_NETIMP + Z * E;
const MO_STKZM = MO_DEMZM + Z * M;
const MO_DEMRK = MO_STKZM + Z * M;
const MO_CONSRK = MO_DEMRK + R * K;
const MO_REC = MO_CONSRK + R * K;
const MO_SIZE = MO_REC + R * P + R * E;
// Fields of a zone-element entry in Kernel.bal (price balance).
const B_DEM = 0; // demand (t REO), this month
const B_SUP = 1; // supply: net imports plus separated output and recycling, this month
const B_STK = 2; // stocks, this month
const B_RATIO0 = 3; // reference log balance (spin-up), this draw
const B_EPS = 4; // supply elasticity minus demand elasticity, this draw
const B_STRIDE = 5;
// Fields of a group's entry in Kernel.grp and of a group member's entry in Kernel.mem.
const G_START = 0; // first member
const G_END = 1; // end of its members
const G_ZM = 2; // zone-material index
const G_RM = 3; // r * M + m
const G_HOLD = 4; // index in state of the stage stock that delivers to the group (mag or ox)
const G_NEED = 5; // index into need / rec (magnets first, then oxides)
const G_STRIDE = 6;
const J_CELL = 0; // (r * K + k) * M + m
const J_ZK = 1; // index into Z × K arrays (zone, sector)
const J_RK = 2; // index into R × K arrays (region, sector)
const J_REC = 3; // 1 when the recycling lever covers the member's region and sector
const J_K = 4; // sector
const J_STRIDE = 5;
// Fields of a group member's entry in Kernel.memF.
const F_DEM0 = 0; // baseline demand (plan constant)
const F_TAU = 1; // the sector's end-user target cover (this draw)
const F_DEM = 2; // demand after the price response (this month)
const F_ORD = 3; // orders (this month)
const F_CONS = 4; // consumption (this month)
const F_STRIDE = 5;
// Fields of a region's entry in Kernel.reg (trade scratch).
const T_TARGET = 0; // target stock
const T_SURPLUS = 1; // stock above target
const T_DEFICIT = 2; // stock below target
const T_TOTAL = 3; // concentrate: the region's stock summed over elements
const T_STRIDE = 4;

export interface Layout {
  readonly T: number;
  readonly Y: number;
  readonly nScalar: number;
  readonly cover0: number;
  readonly stockout: number;
  readonly unmet: number;
  readonly demandTot: number;
  readonly unmetEl: number;
  readonly pricePeak: number;
  readonly pricePeakMonth: number;
  readonly priceEnd: number;
  readonly priceMean: number;
  readonly units12: number;
  readonly unitsH: number;
  readonly hhi: number;
  readonly top1: number;
  readonly top1Who: number;
  readonly euTop: number;
  readonly euTopWho: number;
  readonly exCnMineShare: number;
  readonly stockEnd: number;
  readonly subEnd: number;
  readonly binding: number;
  readonly respAdded: number;
  readonly nSeries: number;
  readonly seriesPrice: number;
  readonly seriesUnmet: number;
}

export function layoutOf(plan: Plan): Layout {
  const T = plan.T;
  const Y = Math.ceil(T / 12);
  let o = 0;
  const take = (n: number): number => {
    const at = o;
    o += n;
    return at;
  };
  const cover0 = take(R * K);
  const stockout = take(R * K);
  const unmet = take(R * K);
  const demandTot = take(R * K);
  const unmetEl = take(R * E);
  const pricePeak = take(Z * E);
  const pricePeakMonth = take(Z * E);
  const priceEnd = take(Z * E);
  const priceMean = take(Z * E);
  const units12 = take(plan.nProd);
  const unitsH = take(plan.nProd);
  const hhi = take(N_STAGE_OUT * Y);
  const top1 = take(N_STAGE_OUT * Y);
  const top1Who = take(N_STAGE_OUT * Y);
  const euTop = take(N_STAGE_OUT * Y);
  const euTopWho = take(N_STAGE_OUT * Y);
  const exCnMineShare = take(Y);
  const stockEnd = take(5);
  const subEnd = take(Z * K);
  const binding = take(E);
  const respAdded = take(1);
  // One object literal (not a spread copy): every layout then has the same hidden class. Spread copies got a
  // new one per call, so the kernel's optimised code, specialised on the first Kernel's layout, was thrown away
  // (deoptimised, "wrong map") for every further Kernel in the same thread: a deopt loop that made the in-thread
  // run, with a Kernel per slice, and any reused worker markedly slower per draw.
  return {
    T,
    Y,
    nScalar: o,
    cover0,
    stockout,
    unmet,
    demandTot,
    unmetEl,
    pricePeak,
    pricePeakMonth,
    priceEnd,
    priceMean,
    units12,
    unitsH,
    hhi,
    top1,
    top1Who,
    euTop,
    euTopWho,
    exCnMineShare,
    stockEnd,
    subEnd,
    binding,
    respAdded,
    nSeries: Z * E * T + R * T,
    seriesPrice: 0,
    seriesUnmet: Z * E * T,
  };
}

/** Per-month flows recorded when a mass-balance hook is attached (tests); zeroed each month. */
export interface MonthFlows {
  readonly mined: Float64Array; // R*E into concentrate
  readonly imp: Float64Array; // 4 forms * R * (E or P)  (concentrate, oxide, metal by element; magnet by product)
  readonly exp: Float64Array;
  readonly sepIn: Float64Array; // R*E
  readonly sepOut: Float64Array;
  readonly recycled: Float64Array; // R*E into oxide
  readonly metIn: Float64Array;
  readonly metOut: Float64Array;
  readonly magIn: Float64Array; // R*E metal consumed by magnet making
  readonly magOut: Float64Array; // R*P magnets made
  readonly delivered: Float64Array; // R*M from stage stocks to end users
  readonly govReleased: Float64Array; // R*K*M
  readonly consumed: Float64Array; // R*K*M
}

export interface StockSnapshot {
  readonly conc: Float64Array;
  readonly ox: Float64Array;
  readonly met: Float64Array;
  readonly mag: Float64Array;
  readonly user: Float64Array;
  readonly gov: Float64Array;
}

export type StepHook = (t: number, before: StockSnapshot, after: StockSnapshot, flows: MonthFlows) => void;

export class Kernel {
  readonly layout: Layout;
  // State, one buffer so that a spin-up can be undone with one copy.
  private readonly state: Float64Array;
  private readonly saved: Float64Array;
  private readonly conc: Float64Array;
  private readonly ox: Float64Array;
  private readonly met: Float64Array;
  private readonly mag: Float64Array;
  private readonly user: Float64Array;
  private readonly gov: Float64Array;
  private readonly price: Float64Array;
  private readonly sub: Float64Array;
  private readonly logPrice: Float64Array;
  private readonly compList: Int32Array[];
  /** Price balance by zone and element, B_STRIDE numbers (B_DEM ...). */
  private readonly bal = new Float64Array(Z * E * B_STRIDE);
  /** Log price floor and cap (plan constants). */
  private readonly logFloor: number;
  private readonly logCap: number;
  // Scratch.
  private readonly mineCapT: Float64Array;
  /** Mine capacities the sums below were taken at (NaN: not yet this draw). */
  private readonly mineSeen: Float64Array;
  private readonly mineAdd = new Float64Array(R * E);
  private readonly mineByCountry: Float64Array;
  /** Regions and countries with a mine (ascending). */
  private readonly mineRegions: Int32Array;
  private readonly mineCountries: Int32Array;
  private mineWorld = 0;
  private mineExCn = 0;
  private readonly sepCapT = new Float64Array(R);
  private readonly metCapT = new Float64Array(R);
  private readonly magCapT = new Float64Array(P * R);
  /** Orders by region and magnet product, then by region and oxide (one buffer: a group indexes it directly). */
  private readonly need = new Float64Array(R * P + R * E);
  private readonly needMag = this.need.subarray(0, R * P);
  private readonly needOxU = this.need.subarray(R * P);
  private readonly planMag = new Float64Array(R * P);
  private readonly planMet = new Float64Array(R * E);
  /** Trade scratch by region, T_STRIDE numbers (T_TARGET ...): one typed array, so that the trade loops check and
   * load the header of one array where they used four. */
  private readonly reg = new Float64Array(R * T_STRIDE);
  /** Zeros, the second term of a trade target that has only one. */
  private readonly zeroRE = new Float64Array(R * E);
  /** Regions below their target in the current trade (ascending), so exporters visit only them. */
  private readonly dList = new Int32Array(R);
  /** Open deficits on an exporter's unrestricted edges (second pass), by entry of dList. */
  private readonly dDef = new Float64Array(R);
  /** Concentrate shipped this month by element (pooled trade). */
  private readonly concPool = new Float64Array(E);
  /** Monthly sums, cleared together at the start of each month (one fill instead of seven loops), cut into: */
  private readonly monthly = new Float64Array(MO_SIZE);
  /** Recycling by region and magnet product (summed per group), then by region and element (as oxide). */
  private readonly rec = this.monthly.subarray(MO_REC, MO_SIZE);
  private readonly recyc = this.rec.subarray(R * P);
  /** Separated output plus recycling by price zone and element, this month. */
  private readonly supSep = this.monthly.subarray(MO_SUPSEP, MO_NETIMP);
  /** Net imports into each price zone by element, this month. */
  private readonly zoneNetImp = this.monthly.subarray(MO_NETIMP, MO_DEMZM);
  /** Demand before the price response and end-user stocks by zone and material, this month. */
  private readonly demZM = this.monthly.subarray(MO_DEMZM, MO_STKZM);
  private readonly stkZM = this.monthly.subarray(MO_STKZM, MO_DEMRK);
  /** Demand and consumption in t REO by region and sector, this month. */
  private readonly demandRK = this.monthly.subarray(MO_DEMRK, MO_CONSRK);
  private readonly consumedRK = this.monthly.subarray(MO_CONSRK, MO_REC);
  private readonly refFlow: Float64Array; // 4 forms * E * R * R
  /** Per edge, 2 numbers: the destination weight free of the restriction, and the weight capped at the licensed
   * share (its sectors' tightest shares), read together (one typed array). */
  private readonly edgeWC: Float64Array;
  private readonly restricted: Uint8Array;
  /** Per (form, material): 1 when some edge of it is restricted this month (else trade takes the pooled path). */
  private readonly restrictedFM = new Uint8Array(4 * E);
  private readonly resShare: Float64Array;
  private readonly edgeShare: Float64Array;
  private readonly touchedEdges: number[] = [];
  private readonly yearProd: Float64Array; // stage 0 by country; stages 1-3 by region
  private readonly euSupply = new Float64Array(N_STAGE_OUT * R);
  private readonly stockoutAt = new Int32Array(R * K);
  private readonly allocTmp = new Float64Array(K);
  private readonly pfZ = new Float64Array(Z * M);
  private readonly growthNow = new Float64Array(K);
  private readonly growthMonthly = new Float64Array(K);
  private readonly tauU = new Float64Array(K);
  private readonly growthFactors = new Float64Array(6);
  private growthYear = -1;
  private readonly levelNeeded = new Uint8Array(E);
  private readonly recMag = this.rec.subarray(0, R * P);
  private readonly unmetMat = new Float64Array(R * M);
  /** Group member of each end-use product's cell, or -1 (no demand there, so it consumes nothing). */
  private readonly prodMem: Int32Array;
  /** Group of each (region, material), or -1. */
  private readonly grpOf: Int32Array;
  /** Per (region, material) group, G_STRIDE indices (G_START ...), plan constants. The demand and delivery loops
   * read a group's and a member's numbers from one typed array each: inside a loop V8 checks the map and reloads
   * the length and data pointer of every distinct typed array on each iteration, so fewer arrays cost less. */
  private readonly grp: Int32Array;
  /** Per group member (compact, in group order), J_STRIDE indices (J_CELL ...), plan constants. */
  private readonly mem: Int32Array;
  /** Per group member, F_STRIDE numbers (F_DEM0 ...). */
  private readonly memF: Float64Array;
  /** Demand growth net of substitution by zone and sector, this month. */
  private readonly gsZK = new Float64Array(Z * K);
  private readonly ordK = new Float64Array(K);
  /** Metal use per region and element implied by the month's magnet plan (plans pass, reused by metal trade). */
  private readonly metUse = new Float64Array(R * E);
  /** Zone-material pairs that some demand cell reads (price factors are computed only for those). */
  private readonly zmUsed: Uint8Array;
  private readonly grpR: Int32Array;
  /** Per group: the material's t REO per t. */
  private readonly grpReo: Float64Array;
  /** Sums of plan constants that the starting state of every draw uses, taken once in the same order as per draw:
   * demand by region and material (over sectors), world demand and magnet capacity by product, mine capacity by
   * region, the world's mine output by element, stockpile demand by stockpile and material. */
  private readonly dem0RM: Float64Array;
  private readonly dem0World: Float64Array;
  private readonly magCap0Sum: Float64Array;
  private readonly mine0R: Float64Array;
  private readonly mine0E: Float64Array;
  private readonly govDem0: Float64Array;
  /** Project start months this draw (start plus the sampled delay, rounded). */
  private readonly projStartAt: Float64Array;
  private readonly flows: MonthFlows;
  private readonly before: StockSnapshot;
  private nCountry: number;
  /** Key of the set of active restrictions in each month (plan constants): the edge tables are rebuilt only when it
   * changes, so the months in between skip the rebuild check entirely. */
  private readonly resKey: Float64Array;
  private activeKey = -1;
  private spinning = false;
  private tracking = false;
  private respCap = 0;
  private respMonths = 0;
  private respAddedTotal = 0;
  private mineMonth = 0;
  private exCnMineMonth = 0;

  constructor(readonly plan: Plan) {
    this.layout = layoutOf(plan);
    this.state = new Float64Array(S_SIZE);
    this.saved = new Float64Array(S_SIZE);
    const view = (from: number, to: number): Float64Array => this.state.subarray(from, to);
    this.conc = view(0, S_OX);
    this.ox = view(S_OX, S_MET);
    this.met = view(S_MET, S_MAG);
    this.mag = view(S_MAG, S_USER);
    this.user = view(S_USER, S_GOV);
    this.gov = view(S_GOV, S_PRICE);
    this.price = view(S_PRICE, S_SUB);
    this.sub = view(S_SUB, S_LOGPRICE);
    this.logPrice = view(S_LOGPRICE, S_SIZE);
    this.logFloor = Math.log(plan.priceFloor);
    this.logCap = Math.log(plan.priceCap);
    this.compList = Array.from({ length: P }, (_, q) =>
      Int32Array.from(Array.from({ length: E }, (_, e) => e).filter((e) => plan.comp[q * E + e]! > 0)),
    );
    this.mineCapT = new Float64Array(plan.nMine);
    this.mineSeen = new Float64Array(plan.nMine);
    this.mineByCountry = new Float64Array(Math.max(R, plan.countries.length));
    this.mineRegions = Int32Array.from(new Set(plan.mineRegion)).sort();
    this.mineCountries = Int32Array.from(new Set(plan.mineCountry)).sort();
    for (let e = 0; e < E; e++) {
      for (let q = 0; q < P; q++) if (plan.valueWeights[q * E + e]! > 0) this.levelNeeded[e] = 1;
    }
    // Cells with demand grouped by (region, material), sectors ascending within a group. Every accumulator that
    // the demand, delivery and consumption passes add into receives its terms in the same order as in a pass over
    // cells in (region, sector, material) order, so the sums are unchanged.
    const gR: number[] = [];
    const gM: number[] = [];
    const gS: number[] = [];
    const gK: number[] = [];
    for (let r = 0; r < R; r++) {
      for (let m = 0; m < M; m++) {
        const ks: number[] = [];
        for (let k = 0; k < K; k++) if (plan.demand0[(r * K + k) * M + m]! > 0) ks.push(k);
        if (ks.length === 0) continue;
        gR.push(r);
        gM.push(m);
        gS.push(gK.length);
        gK.push(...ks);
      }
    }
    gS.push(gK.length);
    this.grpR = Int32Array.from(gR);
    const nG = gR.length;
    const nJ = gK.length;
    this.grp = new Int32Array(nG * G_STRIDE);
    this.mem = new Int32Array(nJ * J_STRIDE);
    this.memF = new Float64Array(F_STRIDE * nJ);
    for (let g = 0; g < nG; g++) {
      const r = gR[g]!;
      const m = gM[g]!;
      const at = g * G_STRIDE;
      this.grp[at + G_START] = gS[g]!;
      this.grp[at + G_END] = gS[g + 1]!;
      this.grp[at + G_ZM] = zoneOf(r) * M + m;
      this.grp[at + G_RM] = r * M + m;
      this.grp[at + G_HOLD] = m < P ? S_MAG + r * P + m : S_OX + r * E + m - P;
      this.grp[at + G_NEED] = m < P ? r * P + m : R * P + r * E + m - P;
      for (let j = gS[g]!; j < gS[g + 1]!; j++) {
        const k = gK[j]!;
        const jt = j * J_STRIDE;
        const cell = (r * K + k) * M + m;
        this.mem[jt + J_CELL] = cell;
        this.mem[jt + J_ZK] = zoneOf(r) * K + k;
        this.mem[jt + J_RK] = r * K + k;
        this.mem[jt + J_REC] = (plan.recRegionMask >> r) & 1 && (plan.recSectorMask >> k) & 1 ? 1 : 0;
        this.mem[jt + J_K] = k;
        this.memF[j * F_STRIDE + F_DEM0] = plan.demand0[cell]!;
      }
    }
    this.grpReo = Float64Array.from(gM, (m) => plan.reoPerMaterial[m]!);
    this.grpOf = new Int32Array(R * M).fill(-1);
    for (let g = 0; g < gR.length; g++) this.grpOf[gR[g]! * M + gM[g]!] = g;
    this.prodMem = Int32Array.from(plan.prodRegion, (r, j) => {
      const k = plan.prodSector[j]!;
      const g = gR.findIndex((gr, gi) => gr === r && gM[gi] === plan.prodMaterial[j]);
      if (g < 0) return -1;
      for (let jm = gS[g]!; jm < gS[g + 1]!; jm++) if (gK[jm] === k) return jm;
      return -1;
    });
    this.zmUsed = new Uint8Array(Z * M);
    for (let g = 0; g < nG; g++) this.zmUsed[this.grp[g * G_STRIDE + G_ZM]!] = 1;
    this.refFlow = new Float64Array(4 * E * R * R);
    this.edgeWC = new Float64Array(2 * 4 * E * R * R);
    for (let idx = 0; idx < 4 * E * R * R; idx++) this.edgeWC[2 * idx] = 1;
    this.restricted = new Uint8Array(4 * E * R * R);
    this.resShare = new Float64Array(plan.nRes);
    this.edgeShare = new Float64Array(4 * E * R * R * K);
    this.dem0RM = new Float64Array(R * M);
    for (let r = 0; r < R; r++) {
      for (let m = 0; m < M; m++) {
        let dm = 0;
        for (let k = 0; k < K; k++) dm += plan.demand0[(r * K + k) * M + m]!;
        this.dem0RM[r * M + m] = dm;
      }
    }
    this.dem0World = new Float64Array(P);
    this.magCap0Sum = new Float64Array(P);
    for (let pr = 0; pr < P; pr++) {
      let capSum = 0;
      let world = 0;
      for (let r = 0; r < R; r++) capSum += plan.magCap[pr * R + r]!;
      for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) world += plan.demand0[(r * K + k) * M + pr]!;
      this.magCap0Sum[pr] = capSum;
      this.dem0World[pr] = world;
    }
    this.mine0R = new Float64Array(R);
    for (let r = 0; r < R; r++) {
      let tot = 0;
      for (let i = 0; i < plan.nMine; i++) if (plan.mineRegion[i] === r) tot += plan.mineCap[i]!;
      this.mine0R[r] = tot;
    }
    this.mine0E = new Float64Array(E);
    for (let e = 0; e < E; e++) {
      let wc = 0;
      for (let i = 0; i < plan.nMine; i++) wc += plan.mineCap[i]! * plan.mineComp[i * E + e]!;
      this.mine0E[e] = wc;
    }
    this.govDem0 = new Float64Array(plan.nGov * M);
    for (let g = 0; g < plan.nGov; g++) {
      const r = plan.govRegion[g]!;
      for (let m = 0; m < M; m++) {
        let dm = 0;
        for (let k = 0; k < K; k++) if ((plan.govMask[g]! >> k) & 1) dm += plan.demand0[(r * K + k) * M + m]!;
        this.govDem0[g * M + m] = dm;
      }
    }
    this.projStartAt = new Float64Array(plan.nProj);
    this.nCountry = plan.countries.length;
    this.resKey = new Float64Array(plan.T);
    for (let t = 0; t < plan.T; t++) {
      let key = 0;
      for (let i = 0; i < plan.nRes; i++) {
        const active = t >= plan.resStart[i]! && t <= plan.resEnd[i]!;
        const delayed = active && t < plan.resStart[i]! + plan.resDelay[i]!;
        key = key * 3 + (active ? (delayed ? 2 : 1) : 0);
        if (key > 1e12) key %= 1e12;
      }
      this.resKey[t] = key;
    }
    this.yearProd = new Float64Array(N_STAGE_OUT * Math.max(R, this.nCountry));
    const z = (n: number): Float64Array => new Float64Array(n);
    this.flows = {
      mined: z(R * E),
      imp: z(4 * R * E),
      exp: z(4 * R * E),
      sepIn: z(R * E),
      sepOut: z(R * E),
      recycled: z(R * E),
      metIn: z(R * E),
      metOut: z(R * E),
      magIn: z(R * E),
      magOut: z(R * P),
      delivered: z(R * M),
      govReleased: z(R * K * M),
      consumed: z(R * K * M),
    };
    this.before = {
      conc: z(R * E),
      ox: z(R * E),
      met: z(R * E),
      mag: z(R * P),
      user: z(R * K * M),
      gov: z(R * M),
    };
  }

  /** Initial stocks: every holder at its target cover of the starting flows. Exposed for the ledger overlay. */
  initialise(theta: Float64Array, ledger?: LedgerStartingState): void {
    const p = this.plan;
    this.state.fill(0);
    this.price.fill(1);
    this.logPrice.fill(0);
    this.respCap = 0;
    this.respMonths = 0;
    this.respAddedTotal = 0;
    const tauU = p.pTauU;
    for (let r = 0; r < R; r++) {
      for (let k = 0; k < K; k++) {
        const tu = theta[tauU[k]!]!;
        for (let m = 0; m < M; m++) {
          const i = (r * K + k) * M + m;
          this.user[i] = p.demand0[i]! * tu;
        }
      }
    }
    // Stage stocks sized from the starting flows through each stage, placed where the flows are.
    const tauMag = theta[p.pTauMag]!;
    const tauMet = theta[p.pTauMet]!;
    const tauOx = theta[p.pTauOx]!;
    const tauConc = theta[p.pTauConc]!;
    for (let r = 0; r < R; r++) {
      for (let m = 0; m < M; m++) {
        const dm = this.dem0RM[r * M + m]!;
        if (m < P) this.mag[r * P + m] = dm * tauMag;
        else this.ox[r * E + (m - P)]! += dm * tauOx;
      }
    }
    // Metal and the magnet-feeding oxide sit with the magnet makers in proportion to capacity.
    for (let pr = 0; pr < P; pr++) {
      const capSum = this.magCap0Sum[pr]!;
      const world = this.dem0World[pr]!;
      for (let r = 0; r < R; r++) {
        const share = capSum > 0 ? p.magCap[pr * R + r]! / capSum : 0;
        for (const e of METAL_ELEMENTS) {
          const use = world * share * p.comp[pr * E + e]!;
          this.met[r * E + e]! += use * tauMet;
          this.ox[r * E + e]! += use * tauOx;
        }
      }
    }
    for (let r = 0; r < R; r++) {
      const cap = p.sepCap[r]!;
      const tot = this.mine0R[r]!;
      const feed = Math.max(cap, tot) * tauConc;
      // Mixed feed at the world-average composition.
      for (let e = 0; e < E; e++) this.conc[r * E + e] = (feed * this.mine0E[e]!) / p.worldMine0;
    }
    for (let g = 0; g < p.nGov; g++) {
      const r = p.govRegion[g]!;
      const fill = theta[p.govFillParam[g]!]! * p.govMonths[g]!;
      for (let m = 0; m < M; m++) this.gov[r * M + m]! += this.govDem0[g * M + m]! * fill;
    }
    if (ledger) applyLedgerStocks(this.stocks(), ledger);
  }

  /** Direct access for the ledger overlay (src/sim/ledger.ts). */
  stocks(): StockSnapshot {
    return { conc: this.conc, ox: this.ox, met: this.met, mag: this.mag, user: this.user, gov: this.gov };
  }

  /**
   * Runs one draw. `out` receives the scalar outputs (layout offsets), `series` the monthly series.
   * `hook` (tests) is called after every month with the stocks before and after and the month's flows.
   */
  run(
    theta: Float64Array,
    out: Float64Array,
    series: Float64Array,
    hook?: StepHook,
    ledger?: LedgerStartingState,
  ): void {
    const p = this.plan;
    const L = this.layout;
    out.fill(0);
    this.initialise(theta, ledger);
    for (let r = 0; r < R; r++)
      for (let k = 0; k < K; k++) out[L.cover0 + r * K + k] = this.coverOf(r, k, theta);
    for (let i = 0; i < p.nRes; i++) this.resShare[i] = theta[p.resShareParam[i]!]!;
    for (let k = 0; k < K; k++) this.tauU[k] = theta[p.pTauU[k]!]!;
    for (let j = 0; j < p.nProj; j++)
      this.projStartAt[j] = p.projStart[j]! + Math.round(theta[p.projDelayParam[j]!]!);
    const nJ = this.memF.length / F_STRIDE;
    for (let j = 0; j < nJ; j++) this.memF[j * F_STRIDE + F_TAU] = this.tauU[this.mem[j * J_STRIDE + J_K]!]!;
    this.recMag.fill(0);
    // Spin-up with the levers off: the prior trade volumes (for licence caps) and the reference balance (for
    // prices) come from the model's own baseline month, then the state is put back.
    this.mineSeen.fill(Number.NaN);
    this.saved.set(this.state);
    this.refFlow.fill(0);
    const bal = this.bal;
    const epsS = theta[p.pEpsSupply]!;
    for (let zi = 0; zi < Z * E; zi++) {
      bal[zi * B_STRIDE + B_RATIO0] = 0;
      bal[zi * B_STRIDE + B_EPS] = epsS - theta[p.pEps[zi % E]!]!;
    }
    this.spinning = true;
    this.activeKey = -2;
    this.clearRestrictions();
    for (let s = 0; s < SPINUP_MONTHS; s++) this.step(0, theta, out, series, undefined);
    this.spinning = false;
    if (ledger) applyLedgerFlows(this.refFlow, ledger);
    this.state.set(this.saved);
    this.respCap = 0;
    this.respMonths = 0;
    this.respAddedTotal = 0;
    this.activeKey = -1;
    this.stockoutAt.fill(-1);
    out.fill(Number.NEGATIVE_INFINITY, L.pricePeak, L.pricePeak + Z * E);
    this.unmetMat.fill(0);
    this.yearProd.fill(0);
    this.euSupply.fill(0);
    this.tracking = hook !== undefined;
    for (let t = 0; t < p.T; t++) {
      if (hook) this.snapshot();
      this.step(t, theta, out, series, hook);
    }
    // Final scalars. Unmet demand by element from unmet by material (the composition is fixed).
    for (let r = 0; r < R; r++) {
      for (let m = 0; m < M; m++) {
        const miss = this.unmetMat[r * M + m]!;
        if (miss <= 0) continue;
        if (m < P) for (let e = 0; e < E; e++) out[L.unmetEl + r * E + e]! += miss * p.comp[m * E + e]!;
        else out[L.unmetEl + r * E + m - P]! += miss;
      }
    }
    for (let i = 0; i < R * K; i++)
      out[L.stockout + i] = this.stockoutAt[i]! < 0 ? Number.POSITIVE_INFINITY : this.stockoutAt[i]!;
    for (let z = 0; z < Z; z++) {
      for (let e = 0; e < E; e++) {
        const zi = z * E + e;
        out[L.priceEnd + zi] = Math.exp(this.logPrice[zi]!);
        out[L.pricePeak + zi] = Math.exp(out[L.pricePeak + zi]!);
        // Geometric mean of the monthly index (kept in logs during the run).
        out[L.priceMean + zi] = Math.exp(out[L.priceMean + zi]! / p.T);
      }
      for (let k = 0; k < K; k++) out[L.subEnd + z * K + k] = this.sub[z * K + k]!;
    }
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    for (let i = 0; i < R * E; i++) {
      s0 += this.conc[i]!;
      s1 += this.ox[i]!;
      s2 += this.met[i]!;
    }
    for (let r = 0; r < R; r++) for (let q = 0; q < P; q++) s3 += this.mag[r * P + q]! * p.reoPerMaterial[q]!;
    for (let i = 0; i < R * K * M; i++) s4 += this.user[i]! * p.reoPerMaterial[i % M]!;
    out[L.stockEnd] = s0;
    out[L.stockEnd + 1] = s1;
    out[L.stockEnd + 2] = s2;
    out[L.stockEnd + 3] = s3;
    out[L.stockEnd + 4] = s4;
    out[L.respAdded] = this.respAddedTotal * 12;
  }

  private coverOf(r: number, k: number, _theta: Float64Array): number {
    const p = this.plan;
    let stock = 0;
    let use = 0;
    for (let m = 0; m < M; m++) {
      const i = (r * K + k) * M + m;
      const dm = p.demand0[i]!;
      if (dm <= 0) continue;
      const total = this.dem0RM[r * M + m]!;
      const regional = m < P ? this.mag[r * P + m]! : this.ox[r * E + m - P]!;
      const reo = p.reoPerMaterial[m]!;
      stock += (this.user[i]! + (regional * dm) / total) * reo;
      use += dm * reo;
    }
    return use > 0 ? stock / use : 0;
  }

  private snapshot(): void {
    const b = this.before;
    b.conc.set(this.conc);
    b.ox.set(this.ox);
    b.met.set(this.met);
    b.mag.set(this.mag);
    b.user.set(this.user);
    b.gov.set(this.gov);
    const f = this.flows;
    for (const arr of Object.values(f) as Float64Array[]) arr.fill(0);
  }

  /** Resets only the edges the last rebuild touched (a full clear of the tables costs more than a month's trade). */
  private clearRestrictions(): void {
    for (const idx of this.touchedEdges) {
      this.edgeWC[2 * idx] = 1;
      this.edgeWC[2 * idx + 1] = 0;
      this.restricted[idx] = 0;
      this.restrictedFM[Math.floor(idx / (R * R))] = 0;
    }
    this.touchedEdges.length = 0;
  }

  /** Rebuilds the edge tables when the set of active restrictions changes (rarely: at start and end dates). */
  private updateRestrictions(t: number): void {
    const p = this.plan;
    const key = this.resKey[t]!;
    if (key === this.activeKey) return;
    this.activeKey = key;
    this.clearRestrictions();
    if (key === 0) return;
    // Only the edges an active restriction touches are visited: per edge, the tightest share by sector.
    const shareK = this.edgeShare;
    const touched = this.touchedEdges;
    for (let i = 0; i < p.nRes; i++) {
      if (!(t >= p.resStart[i]! && t <= p.resEnd[i]!)) continue;
      const o = p.resOrigin[i]!;
      const em = p.resElemMask[i]!;
      const share = t < p.resStart[i]! + p.resDelay[i]! ? 0 : this.resShare[i]!;
      for (let f = 0; f < 4; f++) {
        if (!((p.resFormMask[i]! >> f) & 1)) continue;
        const nMat = f === 3 ? P : f === 0 ? 1 : E;
        for (let mat = 0; mat < nMat; mat++) {
          let covers: boolean;
          if (f === 0) covers = em !== 0;
          else if (f === 3) {
            covers = false;
            for (let e = 0; e < E; e++) if ((em >> e) & 1 && p.comp[mat * E + e]! > 0) covers = true;
          } else covers = ((em >> mat) & 1) === 1;
          if (!covers) continue;
          for (let d = 0; d < R; d++) {
            if (d === o || !((p.resDestMask[i]! >> d) & 1)) continue;
            const idx = ((f * E + mat) * R + o) * R + d;
            if (this.restricted[idx] === 0) {
              this.restricted[idx] = 1;
              touched.push(idx);
              this.restrictedFM[f * E + mat] = 1;
              for (let k = 0; k < K; k++) shareK[idx * K + k] = 2;
            }
            for (let k = 0; k < K; k++) {
              if ((p.resSectorMask[i]! >> k) & 1 && share < shareK[idx * K + k]!) shareK[idx * K + k] = share;
            }
          }
        }
      }
    }
    for (const idx of touched) {
      const d = idx % R;
      const f = Math.floor(idx / (E * R * R));
      const mat = Math.floor(idx / (R * R)) % E;
      const c = f === 0 ? E + P : f === 3 ? E + mat : mat;
      let free = 0;
      let cap = 0;
      for (let k = 0; k < K; k++) {
        const w = p.wDest[(d * C + c) * K + k]!;
        if (shareK[idx * K + k]! > 1) free += w;
        else cap += w * shareK[idx * K + k]!;
      }
      this.edgeWC[2 * idx] = free;
      this.edgeWC[2 * idx + 1] = cap;
    }
  }

  /**
   * Pooled trade of one material at one form: regions above their target ship surplus pro rata to regions below
   * it; restricted edges carry at most their licensed share of the prior volume; what they cannot ship is offered
   * on unrestricted edges in a second pass. Moves stock; records EU sourcing, zone balances and (tests) flows.
   */
  private trade(
    f: number,
    mat: number,
    stock: Float64Array,
    stride: number,
    offset: number,
    contentE: number,
    /** Each region's target is (needA + needB) × factor, read at the stock's own index (stride, offset). */
    needA: Float64Array,
    needB: Float64Array,
    factor: number,
  ): void {
    const refFlow = this.refFlow;
    const restricted = this.restricted;
    const reg = this.reg;
    const edgeWC = this.edgeWC;
    const spinning = this.spinning;
    const tracking = this.tracking;
    const euSupply = this.euSupply;
    const dList = this.dList;
    const cnBefore = stock[CN * stride + offset]!;
    // When the world holds less than all regions' targets, each region's target is scaled to the same fraction
    // (a world market shares a shortage; an exporter does not keep its full buffer while importers run dry).
    // Surpluses and deficits are first taken at scale 1 (target × 1 is the target) in the same pass as the
    // totals, and taken again only when the targets must be scaled.
    let have = 0;
    let want = 0;
    let sumX = 0;
    let sumD = 0;
    let nD = 0;
    for (let r = 0; r < R; r++) {
      const at = r * stride + offset;
      const s = stock[at]!;
      const g = (needA[at]! + needB[at]!) * factor;
      const rt = r * T_STRIDE;
      reg[rt + T_TARGET] = g;
      have += s;
      want += g;
      const x = s > g ? s - g : 0;
      const dd = g > s ? g - s : 0;
      reg[rt + T_SURPLUS] = x;
      reg[rt + T_DEFICIT] = dd;
      sumX += x;
      sumD += dd;
      if (dd > 0) dList[nD++] = r;
    }
    if (want > have && want > 0) {
      const scale = have / want;
      sumX = 0;
      sumD = 0;
      nD = 0;
      for (let r = 0; r < R; r++) {
        const rt = r * T_STRIDE;
        const g = reg[rt + T_TARGET]! * scale;
        reg[rt + T_TARGET] = g;
        const s = stock[r * stride + offset]!;
        const x = s > g ? s - g : 0;
        const dd = g > s ? g - s : 0;
        reg[rt + T_SURPLUS] = x;
        reg[rt + T_DEFICIT] = dd;
        sumX += x;
        sumD += dd;
        if (dd > 0) dList[nD++] = r;
      }
    }
    if (sumX <= 1e-12 || sumD <= 1e-12) return;
    const shipShare = sumD < sumX ? sumD / sumX : 1;
    const perD = shipShare / sumD;
    const base = (f * E + mat) * R;
    let blocked = false;
    if (!spinning && this.restrictedFM[f * E + mat] === 0) {
      // No edge of this material is restricted: exporter o ships xo · shipShare in all and importer d receives
      // dd · perD · sumX, the sums of the edge flows xo · dd · perD. Taken as sums (O(regions) instead of
      // O(exporters × importers)); the totals equal the edge-by-edge ones up to rounding in the last bits.
      const inPerD = perD * sumX;
      const dEU = reg[EU * T_STRIDE + T_DEFICIT]!;
      for (let o = 0; o < R; o++) {
        const xo = reg[o * T_STRIDE + T_SURPLUS]!;
        if (xo <= 0) continue;
        const out = xo * shipShare;
        stock[o * stride + offset]! -= out;
        if (dEU > 0) euSupply[f * R + o]! += xo * dEU * perD;
        if (tracking) this.flows.exp[(f * R + o) * E + mat]! += out;
      }
      for (let j = 0; j < nD; j++) {
        const d = dList[j]!;
        const inflow = reg[d * T_STRIDE + T_DEFICIT]! * inPerD;
        stock[d * stride + offset]! += inflow;
        if (tracking) this.flows.imp[(f * R + d) * E + mat]! += inflow;
      }
    } else
      for (let o = 0; o < R; o++) {
        const xo = reg[o * T_STRIDE + T_SURPLUS]!;
        if (xo <= 0) continue;
        let out = 0;
        // Only regions below target receive (a region with a surplus has no deficit, so d !== o).
        for (let j = 0; j < nD; j++) {
          const d = dList[j]!;
          const dd = reg[d * T_STRIDE + T_DEFICIT]!;
          const idx = (base + o) * R + d;
          let flow = xo * dd * perD;
          if (spinning) refFlow[idx]! += flow / SPINUP_MONTHS;
          else if (restricted[idx] === 1) {
            const free = edgeWC[2 * idx]!;
            const allowed = flow * free + Math.min(flow * (1 - free), edgeWC[2 * idx + 1]! * refFlow[idx]!);
            if (allowed < flow) blocked = true;
            flow = allowed;
          }
          if (flow <= 0) continue;
          stock[d * stride + offset]! += flow;
          out += flow;
          if (d === EU && !spinning) euSupply[f * R + o]! += flow;
          if (tracking) {
            this.flows.exp[(f * R + o) * E + mat]! += flow;
            this.flows.imp[(f * R + d) * E + mat]! += flow;
          }
        }
        stock[o * stride + offset]! -= out;
      }
    if (blocked) this.secondPass(f, mat, stock, stride, offset, base);
    // Net imports into each price zone, from the change in China's stock (trade only moves stock between regions).
    const cnNet = stock[CN * stride + offset]! - cnBefore;
    if (cnNet !== 0) {
      const z = this.zoneNetImp;
      if (f === 3) {
        const list = this.compList[mat]!;
        for (let j = 0; j < list.length; j++) {
          const e = list[j]!;
          const c = cnNet * this.plan.comp[mat * E + e]!;
          z[e]! += c;
          z[E + e]! -= c;
        }
      } else if (f > 0) {
        z[contentE]! += cnNet;
        z[E + contentE]! -= cnNet;
      }
    }
  }

  /** Surplus that restricted edges could not carry goes to remaining deficits over unrestricted edges. */
  private secondPass(
    f: number,
    mat: number,
    stock: Float64Array,
    stride: number,
    offset: number,
    base: number,
  ): void {
    const reg = this.reg;
    const restricted = this.restricted;
    const spinning = this.spinning;
    const tracking = this.tracking;
    const euSupply = this.euSupply;
    // Per exporter, the open deficits on its unrestricted edges are listed once and the flows read them from the
    // list: the importers' stocks do not change between the two (each importer is visited once per exporter).
    const gapD = this.dList;
    const gap = this.dDef;
    for (let o = 0; o < R; o++) {
      const s = stock[o * stride + offset]!;
      const g = reg[o * T_STRIDE + T_TARGET]!;
      const xo = s > g ? s - g : 0;
      if (xo <= 1e-12) continue;
      let acc = 0;
      let n = 0;
      const row = (base + o) * R;
      for (let d = 0; d < R; d++) {
        if (d === o || restricted[row + d] === 1) continue;
        const sd = stock[d * stride + offset]!;
        const gd = reg[d * T_STRIDE + T_TARGET]!;
        if (gd > sd) {
          const x = gd - sd;
          acc += x;
          gapD[n] = d;
          gap[n++] = x;
        }
      }
      if (acc <= 1e-12) continue;
      const ship = Math.min(xo, acc);
      for (let j = 0; j < n; j++) {
        const d = gapD[j]!;
        const flow = (ship * gap[j]!) / acc;
        stock[o * stride + offset]! -= flow;
        stock[d * stride + offset]! += flow;
        if (d === EU && !spinning) euSupply[f * R + o]! += flow;
        if (tracking) {
          this.flows.exp[(f * R + o) * E + mat]! += flow;
          this.flows.imp[(f * R + d) * E + mat]! += flow;
        }
      }
    }
  }

  /** Concentrate is traded as a bundle: each exporter ships a slice of its whole element vector. */
  private tradeConcentrate(): void {
    let sumX = 0;
    let sumD = 0;
    let have = 0;
    let want = 0;
    const conc = this.conc;
    const reg = this.reg;
    const spinning = this.spinning;
    const tracking = this.tracking;
    const restricted = this.restricted;
    const refFlow = this.refFlow;
    const edgeWC = this.edgeWC;
    const euSupply = this.euSupply;
    const dList = this.dList;
    // One pass over the stocks: the world total (in the same order as before) and each region's total.
    for (let r = 0; r < R; r++) {
      let s = 0;
      for (let e = 0; e < E; e++) {
        const c = conc[r * E + e]!;
        have += c;
        s += c;
      }
      reg[r * T_STRIDE + T_TOTAL] = s;
      want += reg[r * T_STRIDE + T_TARGET]!;
    }
    if (want > have && want > 0) for (let r = 0; r < R; r++) reg[r * T_STRIDE + T_TARGET]! *= have / want;
    let nD = 0;
    for (let r = 0; r < R; r++) {
      const rt = r * T_STRIDE;
      const s = reg[rt + T_TOTAL]!;
      const g = reg[rt + T_TARGET]!;
      const x = s > g ? s - g : 0;
      const dd = g > s ? g - s : 0;
      reg[rt + T_SURPLUS] = x;
      reg[rt + T_DEFICIT] = dd;
      sumX += x;
      sumD += dd;
      if (dd > 0) dList[nD++] = r;
    }
    if (sumX <= 1e-12 || sumD <= 1e-12) return;
    const shipShare = sumD < sumX ? sumD / sumX : 1;
    if (!spinning && this.restrictedFM[0] === 0) {
      // No concentrate edge is restricted: exporter o ships the share xo · shipShare / (its total) of each element,
      // the pool of those slices goes to importers in proportion to their deficits (the sums of the edge flows,
      // up to rounding in the last bits; O((exporters + importers) × elements)).
      const pool = this.concPool;
      zero(pool);
      const dEU = reg[EU * T_STRIDE + T_DEFICIT]!;
      for (let o = 0; o < R; o++) {
        const xo = reg[o * T_STRIDE + T_SURPLUS]!;
        const tot = reg[o * T_STRIDE + T_TOTAL]!;
        if (xo <= 0 || tot <= 0) continue;
        const out = xo * shipShare;
        const frac = out / tot;
        for (let e = 0; e < E; e++) {
          const amt = conc[o * E + e]! * frac;
          conc[o * E + e]! -= amt;
          pool[e]! += amt;
          if (tracking) this.flows.exp[o * E + e]! += amt;
        }
        if (dEU > 0) euSupply[o]! += (out * dEU) / sumD;
      }
      for (let j = 0; j < nD; j++) {
        const d = dList[j]!;
        const share = reg[d * T_STRIDE + T_DEFICIT]! / sumD;
        for (let e = 0; e < E; e++) {
          const amt = pool[e]! * share;
          conc[d * E + e]! += amt;
          if (tracking) this.flows.imp[d * E + e]! += amt;
        }
      }
      return;
    }
    for (let o = 0; o < R; o++) {
      const xo = reg[o * T_STRIDE + T_SURPLUS]!;
      if (xo <= 0) continue;
      // An exporter has received nothing yet (it has no deficit), so its stock still sums to its total.
      let tot = reg[o * T_STRIDE + T_TOTAL]!;
      if (tot <= 0) continue;
      let shipped = 0;
      for (let j = 0; j < nD; j++) {
        const d = dList[j]!;
        const dd = reg[d * T_STRIDE + T_DEFICIT]!;
        const idx = o * R + d;
        let flow = (xo * shipShare * dd) / sumD;
        if (spinning) refFlow[idx]! += flow / SPINUP_MONTHS;
        else if (restricted[idx] === 1) {
          const free = edgeWC[2 * idx]!;
          flow = flow * free + Math.min(flow * (1 - free), edgeWC[2 * idx + 1]! * refFlow[idx]!);
        }
        if (flow <= 0) continue;
        const frac = flow / tot;
        for (let e = 0; e < E; e++) {
          const amt = conc[o * E + e]! * frac;
          conc[o * E + e]! -= amt;
          conc[d * E + e]! += amt;
          if (tracking) {
            this.flows.exp[(0 * R + o) * E + e]! += amt;
            this.flows.imp[(0 * R + d) * E + e]! += amt;
          }
        }
        tot -= flow;
        shipped += flow;
        if (!spinning && d === EU) euSupply[o]! += flow;
      }
      void shipped;
    }
  }

  /** Sums the month's mine output (capacities in mineCapT) by region and element, by country, world and ex-China. */
  private sumMines(): void {
    const p = this.plan;
    const add = this.mineAdd;
    const byCountry = this.mineByCountry;
    zero(add);
    zero(byCountry);
    let world = 0;
    let exCn = 0;
    for (let i = 0; i < p.nMine; i++) {
      const cap = this.mineCapT[i]!;
      const rE = p.mineRegion[i]! * E;
      for (let e = 0; e < E; e++) add[rE + e]! += cap * p.mineComp[i * E + e]!;
      byCountry[p.mineCountry[i]!]! += cap;
      world += cap;
      if (p.mineRegion[i] !== CN) exCn += cap;
    }
    this.mineWorld = world;
    this.mineExCn = exCn;
  }

  private step(
    t: number,
    theta: Float64Array,
    out: Float64Array,
    series: Float64Array,
    hook: StepHook | undefined,
  ): void {
    // The month in four methods rather than one: TurboFan compiles each of them to tighter code than one
    // function of ~800 lines (about 5 % less time per draw, measured).
    if (!this.spinning && this.resKey[t] !== this.activeKey) this.updateRestrictions(t);
    this.monthly.fill(0);
    this.partDemand(t, theta);
    this.partSupply(t, theta, out);
    this.partDeliver(t, theta, out, series);
    this.partPrices(t, theta, out, series);
    if (hook) hook(t, this.before, this.stocks(), this.flows);
  }
  /** Capacities, demand and orders, plans (top down). */
  private partDemand(t: number, theta: Float64Array): void {
    const p = this.plan;
    // Hot loops read locals: fewer loads and map checks than this.x / p.x.
    const s_recMag = this.recMag;
    const s_compList = this.compList;
    const s_growthMonthly = this.growthMonthly;
    const s_growthNow = this.growthNow;
    const s_grpR = this.grpR;
    const s_logPrice = this.logPrice;
    const s_mag = this.mag;
    const s_magCapT = this.magCapT;
    const s_met = this.met;
    const s_metCapT = this.metCapT;
    const s_mineCapT = this.mineCapT;
    const s_needMag = this.needMag;
    const s_pfZ = this.pfZ;
    const s_planMag = this.planMag;
    const s_planMet = this.planMet;
    const s_price = this.price;
    const s_recyc = this.recyc;
    const s_sepCapT = this.sepCapT;
    const s_sub = this.sub;
    const s_user = this.user;
    const p_comp = p.comp;
    const p_magCap = p.magCap;
    const p_metalCap = p.metalCap;
    const p_mineCap = p.mineCap;
    const p_mineQuota = p.mineQuota;
    const p_mineRegion = p.mineRegion;
    const p_nMine = p.nMine;
    const p_nProj = p.nProj;
    const p_nShock = p.nShock;
    const p_pEps = p.pEps;
    const p_pEpsMag = p.pEpsMag;
    const p_pGrowth = p.pGrowth;
    const p_pMineGrowth = p.pMineGrowth;
    const p_pQuotaIon = p.pQuotaIon;
    const p_pQuotaRock = p.pQuotaRock;
    const p_pQuotaSep = p.pQuotaSep;
    const p_pTauMag = p.pTauMag;
    const p_pTauMet = p.pTauMet;
    const p_projCap = p.projCap;
    const p_projProduct = p.projProduct;
    const p_projRamp = p.projRamp;
    const p_projRegion = p.projRegion;
    const p_projStage = p.projStage;
    const projStartAt = this.projStartAt;
    const p_recBase = p.recBase;
    const p_recBy = p.recBy;
    const p_recFrom = p.recFrom;
    const p_recTargetParam = p.recTargetParam;
    const p_respRegion = p.respRegion;
    const p_sepCap = p.sepCap;
    const p_sepQuotaCN = p.sepQuotaCN;
    const p_shockEnd = p.shockEnd;
    const p_shockFactor = p.shockFactor;
    const p_shockRegion = p.shockRegion;
    const p_shockStage = p.shockStage;
    const p_shockStart = p.shockStart;
    const p_start = p.start;
    const p_valueWeights = p.valueWeights;
    const abs = p_start + t;
    const years = Math.floor(abs / 12) - Math.floor(p_start / 12);
    const spinning = this.spinning;
    const needMag = s_needMag;
    const nG = s_grpR.length;
    const tauMag = theta[p_pTauMag]!;
    const tauMet = theta[p_pTauMet]!;
    // --- Capacities this month -------------------------------------------------------------------------
    // Growth factors change once a year; pow is costly, so they are recomputed only when the year changes.
    const gf = this.growthFactors;
    if (years !== this.growthYear || t === 0) {
      this.growthYear = years;
      gf[0] = (1 + theta[p_pQuotaRock]!) ** years;
      gf[1] = (1 + theta[p_pQuotaIon]!) ** years;
      gf[2] = (1 + theta[p_pQuotaSep]!) ** years;
      gf[3] = (1 + theta[p_pMineGrowth]!) ** years;
      gf[4] = (1 + theta[p.pMetalGrowth]!) ** years;
      gf[5] = (1 + theta[p.pMagnetGrowth]!) ** years;
    }
    const gRock = gf[0]!;
    const gIon = gf[1]!;
    const gSep = gf[2]!;
    const gOther = gf[3]!;
    const gMetal = gf[4]!;
    const gMagnet = gf[5]!;
    for (let i = 0; i < p_nMine; i++) {
      const q = p_mineQuota[i]!;
      s_mineCapT[i] = p_mineCap[i]! * (q === 1 ? gRock : q === 2 ? gIon : gOther);
    }
    for (let r = 0; r < R; r++) {
      s_sepCapT[r] = p_sepCap[r]!;
      s_metCapT[r] = p_metalCap[r]! * gMetal;
      for (let q = 0; q < P; q++) s_magCapT[q * R + r] = p_magCap[q * R + r]! * gMagnet;
    }
    s_sepCapT[CN] = p_sepQuotaCN * gSep + (p_sepCap[CN]! - p_sepQuotaCN);
    // Projects ramp linearly from their (delayed) start; mining projects add output in the mining block.
    for (let j = 0; j < p_nProj; j++) {
      const startAt = projStartAt[j]!;
      if (t < startAt) continue;
      const cap = p_projCap[j]! * Math.min(1, (t - startAt + 1) / p_projRamp[j]!);
      const r = p_projRegion[j]!;
      switch (p_projStage[j]) {
        case 0:
          break;
        case 1:
          s_sepCapT[r]! += cap;
          break;
        case 2:
          s_metCapT[r]! += cap;
          break;
        default:
          s_magCapT[p_projProduct[j]! * R + r]! += cap;
      }
    }
    // Price-induced supply response outside China adds mining and separation together.
    s_sepCapT[p_respRegion]! += this.respCap;
    for (let s = 0; s < p_nShock; s++) {
      if (t < p_shockStart[s]! || t > p_shockEnd[s]! || spinning) continue;
      const r = p_shockRegion[s]!;
      const f = p_shockFactor[s]!;
      switch (p_shockStage[s]) {
        case 0:
          for (let i = 0; i < p_nMine; i++) if (p_mineRegion[i] === r) s_mineCapT[i]! *= f;
          break;
        case 1:
          s_sepCapT[r]! *= f;
          break;
        case 2:
          s_metCapT[r]! *= f;
          break;
        default:
          for (let q = 0; q < P; q++) s_magCapT[q * R + r]! *= f;
      }
    }

    // --- Demand, substitution, price response, recycling, orders ----------------------------------------
    // needMag and needOxU are assigned below at every (region, material) with demand and stay 0 elsewhere.
    // Oxide groups assign their recyc cell below; the other cells (magnet recycling adds to them) start the
    // month at 0 (rec is part of the monthly sums).
    const recTarget = theta[p_recTargetParam]!;
    const recSpan = p_recBy - p_recFrom;
    const recProgress =
      recSpan <= 0 ? (t >= p_recFrom ? 1 : 0) : Math.min(1, Math.max(0, (t - p_recFrom) / recSpan));
    const epsMag = theta[p_pEpsMag]!;
    // Price response of demand, per zone and material (pow is costly: 2 x M per month, not per region-sector).
    const pfZ = s_pfZ;
    const zmUsed = this.zmUsed;
    for (let z = 0; z < Z; z++) {
      for (let m = 0; m < M; m++) {
        if (zmUsed[z * M + m] === 0) continue;
        if (m < P) {
          let pm = 0;
          for (let e = 0; e < E; e++) {
            const w = p_valueWeights[m * E + e]!;
            if (w > 0) pm += w * s_price[z * E + e]!;
          }
          pfZ[z * M + m] = Math.exp(epsMag * Math.log(pm));
        } else pfZ[z * M + m] = Math.exp(s_logPrice[z * E + m - P]! * theta[p_pEps[m - P]!]!);
      }
    }
    const growth = s_growthNow;
    if (t === 0 || spinning) {
      for (let k = 0; k < K; k++) {
        growth[k] = 1;
        s_growthMonthly[k] = (1 + theta[p_pGrowth[k]!]!) ** (1 / 12);
      }
    } else for (let k = 0; k < K; k++) growth[k]! *= s_growthMonthly[k]!;
    // Growth net of substitution per zone and sector, once a month rather than once per cell.
    const gsZK = this.gsZK;
    for (let z = 0; z < Z; z++)
      for (let k = 0; k < K; k++) gsZK[z * K + k] = growth[k]! * (1 - s_sub[z * K + k]!);
    // Only region-sector-material cells with demand are visited (about a sixth of the full grid), group by group.
    // The recycling share of covered cells is the same for every cell this month (same expression as per cell).
    const rcOn = p_recBase + (recTarget - p_recBase) * recProgress;
    // Demand before the price response by zone and material (for the price balance) and demand in t REO by
    // region and sector (for unmet shares and stock-outs) are summed here, in group order as before.
    const demZM = this.demZM;
    const demandRK = this.demandRK;
    const grp = this.grp;
    const mem = this.mem;
    const memF = this.memF;
    const grpReo = this.grpReo;
    const need = this.need;
    const rec = this.rec;
    for (let g = 0; g < nG; g++) {
      const gt = g * G_STRIDE;
      const zm = grp[gt + G_ZM]!;
      const pf = pfZ[zm]!;
      const reo = grpReo[g]!;
      let accNeed = 0;
      let accRec = 0;
      let dz = demZM[zm]!;
      const j1 = grp[gt + G_END]!;
      for (let j = grp[gt + G_START]!; j < j1; j++) {
        const jt = j * J_STRIDE;
        const jf = j * F_STRIDE;
        const pre = memF[jf + F_DEM0]! * gsZK[mem[jt + J_ZK]!]!;
        const dm = pre * pf;
        dz += pre;
        demandRK[mem[jt + J_RK]!]! += dm * reo;
        memF[jf + F_DEM] = dm;
        // (× 1/2 is exactly ÷ 2.)
        const o = dm + (memF[jf + F_TAU]! * dm - s_user[mem[jt + J_CELL]!]!) * ORDER_ADJUST_INV;
        let ord = o;
        if (!(ord > 0)) ord = 0;
        memF[jf + F_ORD] = ord;
        accNeed += ord;
        // Secondary feed from end-of-life and scrap, as oxide in the region of use.
        const rc = mem[jt + J_REC] === 1 ? rcOn : p_recBase;
        if (rc > 0) accRec += rc * dm;
      }
      demZM[zm] = dz;
      // Magnet groups fill needMag and recMag, oxide groups needOxU and recyc (views of need and rec).
      const ni = grp[gt + G_NEED]!;
      need[ni] = accNeed;
      rec[ni] = accRec;
    }
    // Recycled magnets enter as their element content (summed per region first: one element loop per product).
    for (let r = 0; r < R; r++) {
      for (let q = 0; q < P; q++) {
        const v = s_recMag[r * P + q]!;
        if (v <= 0) continue;
        s_recMag[r * P + q] = 0;
        const list = s_compList[q]!;
        for (let j = 0; j < list.length; j++) s_recyc[r * E + list[j]!]! += v * p_comp[q * E + list[j]!]!;
      }
    }

    // --- Plans, top down -----------------------------------------------------------------------------------
    // planMag is assigned at every (region, product) below; planMet is only ever set at the metal elements.
    for (let q = 0; q < P; q++) {
      let want = 0;
      let have = 0;
      let capSum = 0;
      for (let r = 0; r < R; r++) {
        want += needMag[r * P + q]! * (1 + tauMag);
        have += s_mag[r * P + q]!;
        capSum += s_magCapT[q * R + r]!;
      }
      const need = want > have ? want - have : 0;
      if (capSum <= 0) {
        for (let r = 0; r < R; r++) s_planMag[r * P + q] = 0;
        continue;
      }
      for (let r = 0; r < R; r++) {
        const cap = s_magCapT[q * R + r]!;
        s_planMag[r * P + q] = Math.min(cap, (need * cap) / capSum);
      }
    }
    const metUse = this.metUse;
    let metCapSum = 0;
    for (let r = 0; r < R; r++) metCapSum += s_metCapT[r]!;
    for (let me = 0; me < N_METAL; me++) {
      const e = METAL_ELEMENTS[me]!;
      let want = 0;
      let have = 0;
      for (let r = 0; r < R; r++) {
        let use = 0;
        for (let q = 0; q < P; q++) use += s_planMag[r * P + q]! * p_comp[q * E + e]!;
        metUse[r * E + e] = use;
        want += use * (1 + tauMet);
        have += s_met[r * E + e]!;
      }
      const need = want > have ? want - have : 0;
      if (metCapSum > 0)
        for (let r = 0; r < R; r++) s_planMet[r * E + e] = (need * s_metCapT[r]!) / metCapSum;
      else for (let r = 0; r < R; r++) s_planMet[r * E + e] = 0;
    }
    for (let r = 0; r < R; r++) {
      let s = 0;
      for (let me = 0; me < N_METAL; me++) s += s_planMet[r * E + METAL_ELEMENTS[me]!]!;
      const cap = s_metCapT[r]!;
      if (s > cap && s > 0)
        for (let me = 0; me < N_METAL; me++) s_planMet[r * E + METAL_ELEMENTS[me]!]! *= cap / s;
    }
  }

  /** Mining, concentrate trade, separation, oxide trade, metal making and trade, magnet making and trade. */
  private partSupply(t: number, theta: Float64Array, out: Float64Array): void {
    const p = this.plan;
    // Hot loops read locals: fewer loads and map checks than this.x / p.x.
    const s_conc = this.conc;
    const s_flows = this.flows;
    const s_mag = this.mag;
    const s_met = this.met;
    const s_mineCapT = this.mineCapT;
    const s_needMag = this.needMag;
    const s_needOxU = this.needOxU;
    const s_ox = this.ox;
    const s_planMag = this.planMag;
    const s_planMet = this.planMet;
    const s_recyc = this.recyc;
    const s_sepCapT = this.sepCapT;
    const s_reg = this.reg;
    const s_yearProd = this.yearProd;
    const p_comp = p.comp;
    const p_nMine = p.nMine;
    const p_nProj = p.nProj;
    const p_pTauConc = p.pTauConc;
    const p_pTauMag = p.pTauMag;
    const p_pTauMet = p.pTauMet;
    const p_pTauOx = p.pTauOx;
    const p_projCap = p.projCap;
    const p_projComp = p.projComp;
    const p_projCountry = p.projCountry;
    const p_projRamp = p.projRamp;
    const p_projRegion = p.projRegion;
    const p_projStage = p.projStage;
    const projStartAt = this.projStartAt;
    const p_respComp = p.respComp;
    const p_respCountry = p.respCountry;
    const p_respRegion = p.respRegion;
    const metUse = this.metUse;
    const L = this.layout;
    const tr = this.tracking;
    const spinning = this.spinning;
    const fl = s_flows;
    const needMag = s_needMag;
    const needOxU = s_needOxU;
    const tauMag = theta[p_pTauMag]!;
    const tauMet = theta[p_pTauMet]!;
    const tauOx = theta[p_pTauOx]!;
    const tauConc = theta[p_pTauConc]!;
    // --- Mining ---------------------------------------------------------------------------------------------
    const yp = s_yearProd;
    const nC = Math.max(R, this.nCountry);
    let exCnMine = 0;
    let worldMine = 0;
    this.mineMonth = 0;
    // Mine output changes only when a mine's capacity does (a new year's growth, a shock starting or ending):
    // the output by region and element and by country is summed again only then and added as such each month.
    const mineSeen = this.mineSeen;
    let minesChanged = false;
    for (let i = 0; i < p_nMine; i++) {
      const cap = s_mineCapT[i]!;
      if (cap !== mineSeen[i]) {
        mineSeen[i] = cap;
        minesChanged = true;
      }
    }
    if (minesChanged) this.sumMines();
    const mineAdd = this.mineAdd;
    const mineRegions = this.mineRegions;
    for (let j = 0; j < mineRegions.length; j++) {
      const rE = mineRegions[j]! * E;
      for (let e = 0; e < E; e++) {
        const a = mineAdd[rE + e]!;
        s_conc[rE + e]! += a;
        if (tr) fl.mined[rE + e]! += a;
      }
    }
    if (!spinning) {
      const mineCountries = this.mineCountries;
      const byCountry = this.mineByCountry;
      for (let j = 0; j < mineCountries.length; j++) {
        const c = mineCountries[j]!;
        yp[c]! += byCountry[c]!;
      }
    }
    worldMine += this.mineWorld;
    exCnMine += this.mineExCn;
    for (let j = 0; j < p_nProj; j++) {
      if (p_projStage[j] !== 0) continue;
      const startAt = projStartAt[j]!;
      if (t < startAt) continue;
      const cap = p_projCap[j]! * Math.min(1, (t - startAt + 1) / p_projRamp[j]!);
      const r = p_projRegion[j]!;
      for (let e = 0; e < E; e++) {
        const a = cap * p_projComp[j * E + e]!;
        s_conc[r * E + e]! += a;
        if (tr) fl.mined[r * E + e]! += a;
      }
      if (!spinning) yp[p_projCountry[j]!]! += cap;
      worldMine += cap;
      if (r !== CN) exCnMine += cap;
    }
    if (this.respCap > 0) {
      const r = p_respRegion;
      for (let e = 0; e < E; e++) {
        const a = this.respCap * p_respComp[e]!;
        s_conc[r * E + e]! += a;
        if (tr) fl.mined[r * E + e]! += a;
      }
      if (!spinning) yp[p_respCountry]! += this.respCap;
      worldMine += this.respCap;
      exCnMine += this.respCap;
    }

    this.mineMonth = worldMine;
    this.exCnMineMonth = exCnMine;

    // --- Concentrate trade and separation -------------------------------------------------------------------
    for (let r = 0; r < R; r++) s_reg[r * T_STRIDE + T_TARGET] = s_sepCapT[r]! * (1 + tauConc);
    this.tradeConcentrate();
    // Separated output and recycling are also summed by price zone here (the month's supply for the prices).
    const supSep = this.supSep;
    for (let r = 0; r < R; r++) {
      const rE = r * E;
      const zE = zoneOf(r) * E;
      let tot = 0;
      for (let e = 0; e < E; e++) tot += s_conc[rE + e]!;
      const cap = s_sepCapT[r]!;
      const thr = Math.min(tot, cap);
      const frac = tot > 0 ? thr / tot : 0;
      if (frac > 0) {
        for (let e = 0; e < E; e++) {
          const a = s_conc[rE + e]! * frac;
          s_conc[rE + e]! -= a;
          const add = a + s_recyc[rE + e]!;
          s_ox[rE + e]! += add;
          supSep[zE + e]! += add;
          if (tr) {
            fl.sepIn[rE + e]! += a;
            fl.sepOut[rE + e]! += a;
            fl.recycled[rE + e]! += s_recyc[rE + e]!;
          }
        }
      } else {
        // Nothing separated here (no capacity or no feed): only recycling enters the oxide stock.
        for (let e = 0; e < E; e++) {
          const rec = s_recyc[rE + e]!;
          s_ox[rE + e]! += rec;
          supSep[zE + e]! += rec;
          if (tr) fl.recycled[rE + e]! += rec;
        }
      }
      if (!spinning) yp[nC + r]! += thr;
    }

    // --- Oxide trade, metal making, metal trade -------------------------------------------------------------
    for (let e = 0; e < E; e++) {
      this.trade(1, e, s_ox, E, e, e, s_planMet, needOxU, 1 + tauOx);
    }
    for (let r = 0; r < R; r++) {
      let made = 0;
      for (let me = 0; me < N_METAL; me++) {
        const e = METAL_ELEMENTS[me]!;
        const want = s_planMet[r * E + e]!;
        if (want <= 0) continue;
        const avail = s_ox[r * E + e]!;
        const endUse = needOxU[r * E + e]!;
        // Short oxide is shared between metal makers and direct users in proportion to what each asks for.
        const prod = avail >= want + endUse ? want : (avail * want) / (want + endUse);
        s_ox[r * E + e]! -= prod;
        s_met[r * E + e]! += prod;
        made += prod;
        if (tr) {
          fl.metIn[r * E + e]! += prod;
          fl.metOut[r * E + e]! += prod;
        }
      }
      if (!spinning) yp[2 * nC + r]! += made;
    }
    for (let me = 0; me < N_METAL; me++) {
      const e = METAL_ELEMENTS[me]!;
      // Metal use of the magnet plan, as summed in the plans pass (the plan has not changed since).
      this.trade(2, e, s_met, E, e, e, metUse, this.zeroRE, 1 + tauMet);
    }

    // --- Magnet making (Leontief in the metals) and magnet trade -------------------------------------------
    for (let r = 0; r < R; r++) {
      let madeR = 0;
      for (let q = 0; q < P; q++) {
        const plan = s_planMag[r * P + q]!;
        if (plan <= 0) continue;
        let made = plan;
        let bind = -1;
        // Only the product's elements (ascending, as a skip of zero content would visit them).
        const list = this.compList[q]!;
        for (let j = 0; j < list.length; j++) {
          const e = list[j]!;
          const c = p_comp[q * E + e]!;
          const lim = s_met[r * E + e]! / c;
          if (lim < made) {
            made = lim;
            bind = e;
          }
        }
        if (made < 0) made = 0;
        for (let j = 0; j < list.length; j++) {
          const e = list[j]!;
          const c = p_comp[q * E + e]!;
          const use = made * c;
          s_met[r * E + e]! -= use;
          if (tr) fl.magIn[r * E + e]! += use;
        }
        s_mag[r * P + q]! += made;
        if (tr) fl.magOut[r * P + q]! += made;
        madeR += made;
        // (The comparison is evaluated unconditionally: inside the short-circuit it ran too rarely for type
        // feedback and deoptimised the method each time it did.)
        const belowPlan = made < plan * 0.98;
        if (belowPlan && bind >= 0 && r !== CN && q === 0 && !spinning) out[L.binding + bind]! += 1;
      }
      if (!spinning) yp[3 * nC + r]! += madeR;
    }
    for (let q = 0; q < P; q++) {
      this.trade(3, q, s_mag, P, q, 0, needMag, this.zeroRE, 1 + tauMag);
    }
  }

  /** Deliveries to end users, stockpile release, consumption. */
  private partDeliver(t: number, theta: Float64Array, out: Float64Array, series: Float64Array): void {
    const p = this.plan;
    // Hot loops read locals: fewer loads and map checks than this.x / p.x.
    const s_unmetMat = this.unmetMat;
    const s_stkZM = this.stkZM;
    const s_allocTmp = this.allocTmp;
    const s_consumedRK = this.consumedRK;
    const s_demandRK = this.demandRK;
    const s_flows = this.flows;
    const s_gov = this.gov;
    const s_grpR = this.grpR;
    const s_stockoutAt = this.stockoutAt;
    const s_user = this.user;
    const p_govMask = p.govMask;
    const p_govRegion = p.govRegion;
    const p_govRelease = p.govRelease;
    const p_nGov = p.nGov;
    const p_nProd = p.nProd;
    const p_order = p.order;
    const p_priority = p.priority;
    const p_prodKgParam = p.prodKgParam;
    const p_prodShare = p.prodShare;
    const p_stockpileRelease = p.stockpileRelease;
    const L = this.layout;
    const tr = this.tracking;
    const spinning = this.spinning;
    const fl = s_flows;
    const grp = this.grp;
    const mem = this.mem;
    const memF = this.memF;
    const nG = s_grpR.length;
    // --- Deliveries to end users (allocation rule), stockpile release, consumption -------------------------
    // One pass per (region, material) group: deliver, release from government stockpiles (only a group that fell
    // short can need it), consume. Groups touch disjoint cells and every sum receives its terms in group order,
    // so this gives the same numbers as three passes over all groups (delivery, release, consumption).
    const alloc = s_allocTmp;
    const release = p_stockpileRelease && !spinning;
    // The stage stock that delivers to a group (mag for magnets, ox for oxides) is read through state, of which
    // both are views; the group's orders through need (needMag, needOxU).
    const state = this.state;
    const need = this.need;
    const grpReo = this.grpReo;
    for (let g = 0; g < nG; g++) {
      const gt = g * G_STRIDE;
      const g0 = grp[gt + G_START]!;
      const g1 = grp[gt + G_END]!;
      const zm = grp[gt + G_ZM]!;
      const reo = grpReo[g]!;
      const rm = grp[gt + G_RM]!;
      const hs = grp[gt + G_HOLD]!;
      let avail = state[hs]!;
      if (avail < 0) avail = 0;
      // The group's orders summed in sector order: the demand pass left exactly that sum in needMag / needOxU.
      const sumO = need[grp[gt + G_NEED]!]!;
      // End-user stock by zone and material (for the price balance below) and unmet by material are summed
      // over the group's sectors in registers, in the same order as cell by cell (demand sums: demand pass).
      let sz = s_stkZM[zm]!;
      let un = s_unmetMat[rm]!;
      // Everyone gets what they ordered (the common case): the orders are delivered in the consumption loop.
      const filled = sumO > 0 && avail >= sumO;
      if (filled) {
        state[hs]! -= sumO;
        if (tr) fl.delivered[rm]! += sumO;
      }
      if (!filled && sumO > 0) {
        const r = s_grpR[g]!;
        let given = 0;
        if (!p_priority) {
          // Pro rata: each member gets its orders × avail / sumO, delivered as it is worked out.
          const f = avail / sumO;
          for (let j = g0; j < g1; j++) {
            const a = memF[j * F_STRIDE + F_ORD]! * f;
            s_user[mem[j * J_STRIDE + J_CELL]!]! += a;
            given += a;
          }
        } else {
          // Sectors without demand here order nothing.
          const ordK = this.ordK;
          zero(ordK);
          for (let j = g0; j < g1; j++) ordK[mem[j * J_STRIDE + J_K]!] = memF[j * F_STRIDE + F_ORD]!;
          let left = avail;
          for (let j = 0; j < K; j++) {
            const k = p_order[j]!;
            const o = ordK[k]!;
            const a = Math.min(o, left);
            alloc[k] = a;
            left -= a;
          }
          for (let j = g0; j < g1; j++) {
            const jt = j * J_STRIDE;
            const a = alloc[mem[jt + J_K]!]!;
            s_user[mem[jt + J_CELL]!]! += a;
            given += a;
          }
        }
        state[hs]! -= given;
        if (tr) fl.delivered[rm]! += given;
        if (release) {
          for (let gv = 0; gv < p_nGov; gv++) {
            if (p_govRegion[gv] !== r) continue;
            const gs = s_gov[rm]!;
            if (gs <= 0) continue;
            // Sectors without demand in this group have no gap (no demand, no negative stock): only members count.
            const mask = p_govMask[gv]!;
            let short = 0;
            for (let j = g0; j < g1; j++) {
              const jt = j * J_STRIDE;
              if (!((mask >> mem[jt + J_K]!) & 1)) continue;
              const gap = memF[j * F_STRIDE + F_DEM]! - s_user[mem[jt + J_CELL]!]!;
              if (gap > 0) short += gap;
            }
            if (short <= 0) continue;
            const rel = Math.min(short, gs * p_govRelease);
            for (let j = g0; j < g1; j++) {
              const jt = j * J_STRIDE;
              if (!((mask >> mem[jt + J_K]!) & 1)) continue;
              const i = mem[jt + J_CELL]!;
              const gap = memF[j * F_STRIDE + F_DEM]! - s_user[i]!;
              if (gap <= 0) continue;
              const a = (rel * gap) / short;
              s_user[i]! += a;
              if (tr) fl.govReleased[i]! += a;
            }
            s_gov[rm]! -= rel;
          }
        }
      }
      for (let j = g0; j < g1; j++) {
        const jt = j * J_STRIDE;
        const jf = j * F_STRIDE;
        const i = mem[jt + J_CELL]!;
        const dm = memF[jf + F_DEM]!;
        const u = filled ? s_user[i]! + memF[jf + F_ORD]! : s_user[i]!;
        let c = dm;
        if (u < dm) c = u;
        s_user[i] = u - c;
        memF[jf + F_CONS] = c;
        if (tr) fl.consumed[i]! += c;
        s_consumedRK[mem[jt + J_RK]!]! += c * reo;
        if (c < dm && !spinning) un += dm - c;
        sz += u - c;
      }
      s_stkZM[zm] = sz;
      s_unmetMat[rm] = un;
    }
    if (!spinning) {
      const prodMem = this.prodMem;
      for (let j = 0; j < p_nProd; j++) {
        const jm = prodMem[j]!;
        const c = jm < 0 ? 0 : memF[jm * F_STRIDE + F_CONS]!;
        const units = (c * p_prodShare[j]! * 1000) / theta[p_prodKgParam[j]!]!;
        out[L.unitsH + j]! += units;
        if (t < 12) out[L.units12 + j]! += units;
      }
      for (let r = 0; r < R; r++) {
        let dAll = 0;
        let uAll = 0;
        for (let k = 0; k < K; k++) {
          const dR = s_demandRK[r * K + k]!;
          if (dR <= 0) continue;
          const cR = s_consumedRK[r * K + k]!;
          out[L.unmet + r * K + k]! += dR - cR;
          out[L.demandTot + r * K + k]! += dR;
          if (cR < STOCKOUT_FULFILMENT * dR && s_stockoutAt[r * K + k]! < 0) s_stockoutAt[r * K + k] = t;
          dAll += dR;
          uAll += dR - cR;
        }
        series[L.seriesUnmet + r * L.T + t] = dAll > 0 ? uAll / dAll : 0;
      }
    }
  }

  /** Prices, responses and annual indicators. */
  private partPrices(t: number, theta: Float64Array, out: Float64Array, series: Float64Array): void {
    const p = this.plan;
    // Hot loops read locals: fewer loads and map checks than this.x / p.x.
    const s_levelNeeded = this.levelNeeded;
    const s_demZM = this.demZM;
    const s_stkZM = this.stkZM;
    const s_compList = this.compList;
    const s_mag = this.mag;
    const s_price = this.price;
    const s_sub = this.sub;
    const s_zoneNetImp = this.zoneNetImp;
    const p_T = p.T;
    const p_comp = p.comp;
    const p_pAdjust = p.pAdjust;
    const p_respLead = p.respLead;
    const p_respShare = p.respShare;
    const p_respTrigger = p.respTrigger;
    const p_stockDrawMonths = p.stockDrawMonths;
    const p_subMax = p.subMax;
    const p_subRate = p.subRate;
    const p_subTrigger = p.subTrigger;
    const p_valueWeights = p.valueWeights;
    const p_worldMine0 = p.worldMine0;
    const L = this.layout;
    const spinning = this.spinning;
    // --- Prices: partial adjustment toward the balance price with explicit elasticities -------------------
    // Balance price: demand D0 p^eps_d = supply S p^eps_s, so ln p* = (ln D - ln A - ln ratio0) / (eps_s - eps_d),
    // where A is the month's supply plus stocks spread over stockDrawMonths. Worked in logs (few exp/log calls).
    const adjust = theta[p_pAdjust]!;
    const bal = this.bal;
    const state = this.state;
    // Supply: net imports into the zone plus its separated output and recycling (summed in the supply pass).
    const supSep = this.supSep;
    for (let i = 0; i < Z * E; i++) bal[i * B_STRIDE + B_SUP] = s_zoneNetImp[i]! + supSep[i]!;
    // Demand and end-user stocks by zone and material first, then magnets to their element content.
    const dzm = s_demZM;
    const szm = s_stkZM;
    for (let r = 0; r < R; r++) {
      const zM = zoneOf(r) * M;
      for (let q = 0; q < P; q++) szm[zM + q]! += s_mag[r * P + q]!;
    }
    for (let z = 0; z < Z; z++) {
      for (let e = 0; e < E; e++) {
        const bt = (z * E + e) * B_STRIDE;
        bal[bt + B_DEM] = dzm[z * M + P + e]!;
        bal[bt + B_STK] = szm[z * M + P + e]!;
      }
      for (let q = 0; q < P; q++) {
        const list = s_compList[q]!;
        for (let j = 0; j < list.length; j++) {
          const e = list[j]!;
          const c = p_comp[q * E + e]!;
          const bt = (z * E + e) * B_STRIDE;
          bal[bt + B_DEM]! += dzm[z * M + q]! * c;
          bal[bt + B_STK]! += szm[z * M + q]! * c;
        }
      }
    }
    // Oxide and metal stocks, read from state (ox and met are views of it).
    for (let r = 0; r < R; r++) {
      const zE = zoneOf(r) * E;
      const rE = r * E;
      for (let e = 0; e < E; e++)
        bal[(zE + e) * B_STRIDE + B_STK]! += state[S_OX + rE + e]! + state[S_MET + rE + e]!;
    }
    const logFloor = this.logFloor;
    const logCap = this.logCap;
    const peakAt = L.pricePeak;
    const peakMonthAt = L.pricePeakMonth;
    const meanAt = L.priceMean;
    const seriesAt = L.seriesPrice + t;
    const T = L.T;
    // Log price and price level are read and written in state (logPrice and price are views of it).
    for (let zi = 0; zi < Z * E; zi++) {
      const e = zi % E;
      const bt = zi * B_STRIDE;
      const dz = bal[bt + B_DEM]!;
      if (dz > 1e-9) {
        const avail = Math.max(1e-9, bal[bt + B_SUP]!) + bal[bt + B_STK]! / p_stockDrawMonths;
        const logRatio = Math.log(dz / avail);
        if (spinning) {
          bal[bt + B_RATIO0]! += logRatio / SPINUP_MONTHS;
          continue;
        }
        let target = (logRatio - bal[bt + B_RATIO0]!) / bal[bt + B_EPS]!;
        if (target < logFloor) target = logFloor;
        if (target > logCap) target = logCap;
        state[S_LOGPRICE + zi]! += adjust * (target - state[S_LOGPRICE + zi]!);
        // Levels are needed only for the elements that price magnets; the rest stay in logs until the end.
        if (s_levelNeeded[e] === 1) state[S_PRICE + zi] = Math.exp(state[S_LOGPRICE + zi]!);
      }
      if (spinning) continue;
      // Peak, mean and series are kept in logs (exp once at the end of the run).
      const lp = state[S_LOGPRICE + zi]!;
      if (lp > out[peakAt + zi]!) {
        out[peakAt + zi] = lp;
        out[peakMonthAt + zi] = t;
      }
      out[meanAt + zi]! += lp;
      series[seriesAt + zi * T] = lp;
    }

    // --- Responses: substitution (capped rate) and non-Chinese supply ramp (after a lead time) -------------
    if (!spinning) {
      for (let z = 0; z < Z; z++) {
        let pm = 0;
        for (let e = 0; e < E; e++) pm += p_valueWeights[e]! * s_price[z * E + e]!;
        if (pm > p_subTrigger) {
          for (let k = 0; k < K; k++) {
            const s = s_sub[z * K + k]! + p_subRate / 12;
            s_sub[z * K + k] = Math.min(s, p_subMax);
          }
        }
      }
      let pmEx = 0;
      for (let e = 0; e < E; e++) pmEx += p_valueWeights[e]! * s_price[E + e]!;
      if (pmEx > p_respTrigger) this.respMonths++;
      else this.respMonths = 0;
      if (this.respMonths > p_respLead && p_respShare > 0) {
        const add = (p_respShare * p_worldMine0) / 12;
        this.respCap += add;
        this.respAddedTotal += add;
      }
    }

    // --- Annual indicators ------------------------------------------------------------------------------
    if (!spinning) {
      const y = Math.floor(t / 12);
      if (this.mineMonth > 0) out[L.exCnMineShare + y]! += this.exCnMineMonth / this.mineMonth / 12;
      // EU's own production at each stage counts as EU supply for the CRMA benchmark.
      if ((t + 1) % 12 === 0 || t === p_T - 1) this.closeYear(y, out);
    }
  }

  private closeYear(y: number, out: Float64Array): void {
    const L = this.layout;
    const nC = Math.max(R, this.nCountry);
    const yp = this.yearProd;
    for (let s = 0; s < N_STAGE_OUT; s++) {
      const n = s === 0 ? this.nCountry : R;
      let tot = 0;
      for (let i = 0; i < n; i++) tot += yp[s * nC + i]!;
      let hhi = 0;
      let top = 0;
      let who = -1;
      for (let i = 0; i < n; i++) {
        const sh = tot > 0 ? yp[s * nC + i]! / tot : 0;
        hhi += sh * sh;
        if (sh > top) {
          top = sh;
          who = i;
        }
      }
      out[L.hhi + s * L.Y + y] = hhi * 10000;
      out[L.top1 + s * L.Y + y] = top;
      out[L.top1Who + s * L.Y + y] = who;
      // EU sourcing at this stage: imports by origin plus own production.
      const own = s === 0 ? 0 : yp[s * nC + EU]!;
      let sum = own;
      let best = 0;
      let bestWho = -1;
      for (let o = 0; o < R; o++) {
        if (o === EU) continue;
        const v = this.euSupply[s * R + o]!;
        sum += v;
        if (v > best) {
          best = v;
          bestWho = o;
        }
      }
      out[L.euTop + s * L.Y + y] = sum > 0 ? best / sum : 0;
      out[L.euTopWho + s * L.Y + y] = bestWho;
    }
    yp.fill(0);
    this.euSupply.fill(0);
  }
}
