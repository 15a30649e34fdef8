import { createRandom, type Random } from '../core/prng.js';
import { type Element, isRareEarth } from '../domain/elements.js';
import type { MaterialForm, Process } from '../domain/forms.js';
import type { Composition } from '../domain/lot.js';
import {
  concentrateUsdPerKgReo,
  declaredValuesUsd,
  depositProfiles,
  deviceIntensity,
  elementInOxide,
  magnetChemistry,
  magnetScrapShare,
  oreValueFactor,
  smToMetalShare,
  stepRecovery,
} from './calibration.js';
import type { EpcisEventJson, JsonObject, JsonValue } from './types.js';
import {
  type ComponentKind,
  chinaPorts,
  componentPlants,
  crackers,
  type DemoLocation,
  type DemoParty,
  locationOf,
  type MetalGroup,
  type MineSpec,
  magnetRoutes,
  metalRoutes,
  mineSpecs,
  myanmarBorderCrossings,
  type OxideGroup,
  partyOf,
  productRoutes,
  type Route,
  separatorRoutes,
  traderRoutes,
} from './world.js';

/**
 * The simulation behind `generateWorld`: a discrete-event model of the chain in which each task (mine an
 * ore lot, crack what a plant holds, ship a lot, …) emits EPCIS events and schedules follow-up tasks.
 *
 * Memory stays bounded: the engine keeps only lots that still have a future (held in a plant's inventory,
 * in transit, or waiting for a task); finished lots (by-products sold, products delivered, scrap) are
 * forgotten, though they remain open in the ledger. Masses are integer grams here and in the output
 * (KGM when whole kilograms, else GRM), so every quantity is an exact number of milligrams.
 */

type Tag =
  | 'ore'
  | 'concentrate'
  | 'iron'
  | 'mixed'
  | 'oxide'
  | 'metal'
  | 'alloy'
  | 'magnet'
  | 'scrap'
  | 'component'
  | 'product'
  | 'feed';

interface LotState {
  readonly id: string;
  readonly form: MaterialForm;
  readonly tag: Tag;
  /** Oxide/metal group, magnet family (ndfeb/smco), component kind, feedstock key. */
  readonly group: string;
  /** Remaining mass, grams. */
  g: number;
  /** The composition as written in the event (rounded down), so that bookkeeping matches the ledger's. */
  readonly comp: Composition;
  holder: DemoParty;
  loc: DemoLocation | undefined;
  /** Mass of one unit (motor, vehicle …), grams; 0 for bulk material. */
  readonly unitG: number;
  /** For components: the magnet lots that went into them. */
  readonly magnets?: readonly string[];
  /** For components: set once the first unit has gone into a product. */
  traced?: boolean;
}

interface Task {
  readonly due: number;
  readonly seq: number;
  readonly run: () => void;
}

/** What the generator reports at the end (and what `magnetLotIds` reads). */
export interface GenerationSummary {
  readonly events: number;
  readonly eventsByType: Readonly<Record<string, number>>;
  readonly lotsByForm: Readonly<Record<string, number>>;
  readonly firstEventTime: string | undefined;
  readonly lastEventTime: string | undefined;
  /** Magnet lots whose motors (or generators, actuators) went into finished products within the stream. */
  readonly tracedMagnetLots: readonly string[];
  /** The first product lots made (at most 100). */
  readonly productLots: readonly string[];
  /** The first ore lots mined (at most 100). */
  readonly oreLots: readonly string[];
  /** Shipments that crossed a border. */
  readonly crossBorderShipments: number;
}

const oxideGroups: Readonly<Record<OxideGroup, readonly Element[]>> = {
  La: ['La'],
  Ce: ['Ce'],
  NdPr: ['Nd', 'Pr'],
  Sm: ['Sm'],
  SEG: ['Eu', 'Gd'],
  Tb: ['Tb'],
  Dy: ['Dy'],
  HY: ['Y', 'Ho', 'Er', 'Tm', 'Yb', 'Lu', 'Sc', 'Pm'],
};
const groupOfElement = new Map<Element, OxideGroup>();
for (const [group, members] of Object.entries(oxideGroups) as [OxideGroup, readonly Element[]][]) {
  for (const element of members) groupOfElement.set(element, group);
}
const metalGroups: ReadonlySet<string> = new Set<MetalGroup>(['NdPr', 'Sm', 'Tb', 'Dy']);

/** Other feedstock the plants commission as they need it: composition and USD per kg ([U] assumptions). */
const feedstocks: Readonly<
  Record<string, { readonly comp: Composition; readonly usdPerKg: number; readonly label: string }>
> = {
  iron: { comp: { Fe: 0.995 }, usdPerKg: 0.6, label: 'IRON' },
  ferroboron: { comp: { B: 0.18, Fe: 0.81 }, usdPerKg: 3, label: 'FEB' },
  cobalt: { comp: { Co: 0.998 }, usdPerKg: 33, label: 'CO' },
  'smco-additives': { comp: { Fe: 0.64, Cu: 0.24, Zr: 0.12 }, usdPerKg: 5, label: 'SMCOADD' },
  'motor-parts': { comp: { Fe: 0.8, Cu: 0.15, Al: 0.03 }, usdPerKg: 8, label: 'MOTPART' },
  'generator-parts': { comp: { Fe: 0.85, Cu: 0.1 }, usdPerKg: 6, label: 'GENPART' },
  'actuator-parts': { comp: { Fe: 0.5, Al: 0.3, Cu: 0.1 }, usdPerKg: 40, label: 'ACTPART' },
  'vehicle-parts': { comp: { Fe: 0.55, Al: 0.15, Cu: 0.04 }, usdPerKg: 15, label: 'VEHPART' },
  'turbine-parts': { comp: { Fe: 0.85, Cu: 0.01, Al: 0.01 }, usdPerKg: 4, label: 'TURBPART' },
  'airframe-parts': { comp: { Al: 0.4, Fe: 0.1, Cu: 0.01 }, usdPerKg: 300, label: 'AIRPART' },
};

/** Item references (indicator digit + 5 digits) per kind of material, for LGTINs. */
const itemRefs: Readonly<Record<string, string>> = {
  ore: '000010',
  concentrate: '000020',
  iron: '000021',
  mixed: '000030',
  'oxide:La': '000041',
  'oxide:Ce': '000042',
  'oxide:NdPr': '000043',
  'oxide:Sm': '000044',
  'oxide:SEG': '000045',
  'oxide:Tb': '000046',
  'oxide:Dy': '000047',
  'oxide:HY': '000048',
  'metal:NdPr': '000053',
  'metal:Sm': '000054',
  'metal:Tb': '000056',
  'metal:Dy': '000057',
  'alloy:ndfeb': '000060',
  'alloy:smco': '000061',
  'magnet:ndfeb': '000070',
  'magnet:smco': '000071',
  scrap: '000075',
  'component:ev-motor': '000080',
  'component:wind-generator': '000081',
  'component:actuator': '000082',
  'product:ev': '000090',
  'product:wind-turbine': '000091',
  'product:aircraft': '000092',
  feed: '000100',
};

const lotLabels: Readonly<Record<string, string>> = {
  ore: 'ORE',
  concentrate: 'CONC',
  iron: 'FECONC',
  mixed: 'MIX',
  oxide: 'OX',
  metal: 'MET',
  alloy: 'ALLOY',
  magnet: 'MAG',
  scrap: 'SCRAP',
  component: 'CMP',
  product: 'PRD',
  feed: 'FEED',
};

const componentSpecs: Readonly<
  Record<
    ComponentKind,
    {
      readonly magnetG: number;
      readonly unitG: number;
      readonly parts: string;
      readonly maxUnits: number;
      readonly product: 'ev' | 'wind-turbine' | 'aircraft';
      readonly perProduct: number;
      readonly productG: number;
      readonly productParts: string;
      readonly maxProducts: number;
    }
  >
> = {
  'ev-motor': {
    magnetG: deviceIntensity.evMotorMagnetKg.value * 1000,
    unitG: deviceIntensity.evMotorMassKg.value * 1000,
    parts: 'motor-parts',
    maxUnits: 3000,
    product: 'ev',
    perProduct: deviceIntensity.evMotorsPerVehicle.value,
    productG: deviceIntensity.evMassKg.value * 1000,
    productParts: 'vehicle-parts',
    maxProducts: 400,
  },
  'wind-generator': {
    magnetG: Math.round(
      deviceIntensity.windMagnetTonnesPerMw.value * deviceIntensity.windTurbineMw.value * 1_000_000,
    ),
    unitG: deviceIntensity.windGeneratorMassKg.value * 1000,
    parts: 'generator-parts',
    maxUnits: 3,
    product: 'wind-turbine',
    perProduct: 1,
    productG: (deviceIntensity.windGeneratorMassKg.value + deviceIntensity.windNacelleOtherKg.value) * 1000,
    productParts: 'turbine-parts',
    maxProducts: 2,
  },
  actuator: {
    magnetG: deviceIntensity.actuatorMagnetKg.value * 1000,
    unitG: deviceIntensity.actuatorMassKg.value * 1000,
    parts: 'actuator-parts',
    maxUnits: 2000,
    product: 'aircraft',
    perProduct: deviceIntensity.aircraftActuators.value,
    productG: deviceIntensity.aircraftMassKg.value * 1000,
    productParts: 'airframe-parts',
    maxProducts: 20,
  },
};

/** Rounds a mass fraction down to 6 significant digits: outputs never claim more than the inputs gave. */
export function floorFraction(x: number): number {
  if (!(x > 1e-12)) return 0;
  const exponent = Math.floor(Math.log10(x));
  const scale = 10 ** (5 - exponent);
  return Math.floor(x * scale) / scale;
}

function compositionOf(masses: ReadonlyMap<Element, number>, g: number): Composition {
  const comp: Composition = {};
  for (const [element, mass] of masses) {
    const fraction = floorFraction(mass / g);
    if (fraction > 0) comp[element] = fraction;
  }
  return comp;
}

/** Element masses (grams) of consumed inputs. */
function elementMasses(inputs: readonly { lot: LotState; g: number }[]): Map<Element, number> {
  const out = new Map<Element, number>();
  for (const { lot, g } of inputs) {
    const comp = lot.comp;
    for (const key in comp) {
      const element = key as Element;
      out.set(element, (out.get(element) ?? 0) + (comp[element] as number) * g);
    }
  }
  return out;
}

function scaled(
  masses: ReadonlyMap<Element, number>,
  factor: number,
  only?: readonly Element[],
): Map<Element, number> {
  const out = new Map<Element, number>();
  for (const [element, mass] of masses) {
    if (only === undefined || only.includes(element)) out.set(element, mass * factor);
  }
  return out;
}

function sum(masses: ReadonlyMap<Element, number>): number {
  let total = 0;
  for (const mass of masses.values()) total += mass;
  return total;
}

/** Oxide-equivalent mass (REO) of rare-earth element masses. */
function reo(masses: ReadonlyMap<Element, number>): number {
  let total = 0;
  for (const [element, mass] of masses) {
    const factor = elementInOxide[element];
    if (factor !== undefined) total += mass / factor;
  }
  return total;
}

export function quantity(g: number): { quantity: number; uom: string } {
  return g % 1000 === 0 ? { quantity: g / 1000, uom: 'KGM' } : { quantity: g, uom: 'GRM' };
}

function cents(usd: number): string {
  const c = Math.floor(usd * 100);
  return `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0').slice(-width);
}

function gs1CheckDigit(digits: string): number {
  let total = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    total += i % 2 === 0 ? d * 3 : d;
  }
  return (10 - (total % 10)) % 10;
}

function gln(party: DemoParty): string {
  const base = `${party.prefix}00000`;
  return base + String(gs1CheckDigit(base));
}

const toRad = Math.PI / 180;
/** A point a fraction `f` of the way along the great circle from a to b. */
function greatCircle(a: DemoLocation, b: DemoLocation, f: number): { lat: number; lon: number } {
  const lat1 = a.lat * toRad;
  const lon1 = a.lon * toRad;
  const lat2 = b.lat * toRad;
  const lon2 = b.lon * toRad;
  const x1 = Math.cos(lat1) * Math.cos(lon1);
  const y1 = Math.cos(lat1) * Math.sin(lon1);
  const z1 = Math.sin(lat1);
  const x2 = Math.cos(lat2) * Math.cos(lon2);
  const y2 = Math.cos(lat2) * Math.sin(lon2);
  const z2 = Math.sin(lat2);
  const dot = Math.min(1, Math.max(-1, x1 * x2 + y1 * y2 + z1 * z2));
  const omega = Math.acos(dot);
  if (omega < 1e-9) return { lat: a.lat, lon: a.lon };
  const s = Math.sin(omega);
  const k1 = Math.sin((1 - f) * omega) / s;
  const k2 = Math.sin(f * omega) / s;
  const x = k1 * x1 + k2 * x2;
  const y = k1 * y1 + k2 * y2;
  const z = k1 * z1 + k2 * z2;
  return { lat: Math.atan2(z, Math.hypot(x, y)) / toRad, lon: Math.atan2(y, x) / toRad };
}

const pad2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const pad3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

const round5 = (x: number): number => Math.round(x * 1e5) / 1e5;

function hashString(text: string): number {
  let h = 2166136261 >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

export interface EngineOptions {
  readonly seed: string | number;
  readonly startTimeMs: number;
  /** Mean gap between consecutive events, ms. */
  readonly meanGapMs: number;
}

/** How many tasks keep the world busy; below this a new ore lot is mined. More means more interleaving. */
const targetOpenTasks = 160;
/** At most this many lots wait in one inventory slot; older ones are sold off (forgotten). */
const inventoryCap = 40;

export class WorldEngine {
  private readonly rng: Random;
  private readonly buffer: EpcisEventJson[] = [];
  private head = 0;
  private readonly heap: Task[] = [];
  private taskSeq = 0;
  private tick = 0;
  private timeMs: number;
  private readonly meanGapMs: number;
  private readonly inventories = new Map<string, LotState[]>();
  private readonly scheduled = new Set<string>();
  private readonly feeds = new Map<string, LotState>();
  private readonly mineCumulative: number[];
  private readonly mineTotal: number;
  private readonly idPrefix: string;
  private lotSeq = 0;
  private isoDay = Number.NaN;
  private isoDayPrefix = '';
  private ssccSeq = 0;
  private orderSeq = 0;
  private eventSeq = 0;
  private emittedCount = 0;
  private firstTime: string | undefined;
  private lastTime: string | undefined;
  private readonly eventsByType: Record<string, number> = {};
  private readonly lotsByForm: Record<string, number> = {};
  /** Ids noted with the stream index of the event that completes them, so summaries can cut at any count. */
  private readonly tracedMagnets: { id: string; index: number }[] = [];
  private readonly tracedMagnetSet = new Set<string>();
  private tracedReady = 0;
  private readonly productLots: { id: string; index: number }[] = [];
  private readonly oreLots: { id: string; index: number }[] = [];
  private crossBorder = 0;

  constructor(options: EngineOptions) {
    this.rng = createRandom(options.seed);
    this.timeMs = options.startTimeMs;
    this.meanGapMs = options.meanGapMs;
    let total = 0;
    this.mineCumulative = mineSpecs.map((mine) => {
      total += mine.weight;
      return total;
    });
    this.mineTotal = total;
    const h = hashString(`raretrace-demo/${String(options.seed)}`);
    const h2 = hashString(`${h}/uuid`);
    // A per-world UUID prefix: event ids are unique within a world and differ between seeds.
    this.idPrefix = `${hex(h, 8)}-${hex(h2 >>> 16, 4)}-4${hex(h2 & 0xfff, 3)}-8${hex((h ^ h2) & 0xfff, 3)}-`;
  }

  /** The next event of the world (the stream never ends). */
  next(): EpcisEventJson {
    while (this.head >= this.buffer.length) {
      this.buffer.length = 0;
      this.head = 0;
      this.step();
    }
    const event = this.buffer[this.head] as EpcisEventJson;
    this.buffer[this.head] = {};
    this.head++;
    this.emittedCount++;
    const type = event.type as string;
    this.eventsByType[type] = (this.eventsByType[type] ?? 0) + 1;
    const time = event.eventTime as string;
    if (this.firstTime === undefined) this.firstTime = time;
    this.lastTime = time;
    return event;
  }

  summary(): GenerationSummary {
    return {
      events: this.emittedCount,
      eventsByType: { ...this.eventsByType },
      lotsByForm: { ...this.lotsByForm },
      firstEventTime: this.firstTime,
      lastEventTime: this.lastTime,
      tracedMagnetLots: this.tracedMagnetLots(),
      productLots: this.productLots.filter((p) => p.index < this.emittedCount).map((p) => p.id),
      oreLots: this.oreLots.filter((p) => p.index < this.emittedCount).map((p) => p.id),
      crossBorderShipments: this.crossBorder,
    };
  }

  /** Magnet lots traced into products by events already handed out. */
  tracedMagnetLots(): string[] {
    return this.tracedMagnets.slice(0, this.tracedMagnetCount()).map((m) => m.id);
  }

  /** How many traced magnets are complete within the events handed out (entries are in stream order). */
  tracedMagnetCount(): number {
    while (this.tracedReady < this.tracedMagnets.length) {
      const next = this.tracedMagnets[this.tracedReady] as { index: number };
      if (next.index >= this.emittedCount) break;
      this.tracedReady++;
    }
    return this.tracedReady;
  }

  /** Events handed out so far. */
  get handedOut(): number {
    return this.emittedCount;
  }

  // ---------------------------------------------------------------- scheduling

  private schedule(delay: number, run: () => void): void {
    const task: Task = { due: this.tick + delay, seq: this.taskSeq++, run };
    const heap = this.heap;
    heap.push(task);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Task;
      if (p.due < task.due || (p.due === task.due && p.seq < task.seq)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = task;
  }

  private pop(): Task | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      const lt = heap[l] as Task;
      if (r < n) {
        const rt = heap[r] as Task;
        if (rt.due < lt.due || (rt.due === lt.due && rt.seq < lt.seq)) c = r;
      }
      const child = heap[c] as Task;
      if (last.due < child.due || (last.due === child.due && last.seq < child.seq)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
    return top;
  }

  private step(): void {
    if (this.heap.length < targetOpenTasks) this.schedule(this.rng.int(1, 8), () => this.mine());
    const task = this.pop();
    if (task === undefined) return;
    if (task.due > this.tick) this.tick = task.due;
    task.run();
  }

  /** Schedules `run` for a location slot unless one is already pending (lots arriving meanwhile join it). */
  private scheduleSlot(loc: DemoLocation, slot: string, delay: number, run: () => void): void {
    const key = `${loc.key}|${slot}`;
    if (this.scheduled.has(key)) return;
    this.scheduled.add(key);
    this.schedule(delay, () => {
      this.scheduled.delete(key);
      run();
    });
  }

  private inventory(loc: DemoLocation, slot: string): LotState[] {
    const key = `${loc.key}|${slot}`;
    let list = this.inventories.get(key);
    if (list === undefined) {
      list = [];
      this.inventories.set(key, list);
    }
    return list;
  }

  private stock(loc: DemoLocation, slot: string, lot: LotState): void {
    const list = this.inventory(loc, slot);
    list.push(lot);
    // Bounded memory: beyond the cap the oldest lots are left in the ledger and forgotten here.
    if (list.length > inventoryCap) list.shift();
  }

  /** Takes up to `max` lots out of a slot. */
  private takeAll(loc: DemoLocation, slot: string, max: number): LotState[] {
    const list = this.inventory(loc, slot);
    return list.splice(0, Math.min(max, list.length));
  }

  /** Takes `grams` from a slot's lots in order, partially from the last; returns what was taken. */
  private takeGrams(loc: DemoLocation, slot: string, grams: number): { lot: LotState; g: number }[] {
    const list = this.inventory(loc, slot);
    const taken: { lot: LotState; g: number }[] = [];
    let need = grams;
    while (need > 0 && list.length > 0) {
      const lot = list[0] as LotState;
      const g = Math.min(lot.g, need);
      taken.push({ lot, g });
      need -= g;
      if (g === lot.g) list.shift();
    }
    return taken;
  }

  private available(loc: DemoLocation, slot: string): number {
    let total = 0;
    for (const lot of this.inventory(loc, slot)) total += lot.g;
    return total;
  }

  private pick(route: Route): DemoLocation {
    const now = this.timeMs;
    // Most routes have no dated destination: filter (and allocate) only when one does.
    let active: Route = route;
    if (route.some(([key]) => locationOf(key).activeFromMs !== undefined)) {
      active = route.filter(([key]) => (locationOf(key).activeFromMs ?? 0) <= now);
      if (active.length === 0) active = route;
    }
    let total = 0;
    for (const [, weight] of active) total += weight;
    let x = this.rng.next() * total;
    for (const [key, weight] of active) {
      x -= weight;
      if (x < 0) return locationOf(key);
    }
    return locationOf((active[active.length - 1] as readonly [string, number])[0]);
  }

  // ---------------------------------------------------------------- events

  private stamp(): string {
    this.timeMs += 1 + Math.floor(this.rng.next() * 2 * this.meanGapMs);
    // Date#toISOString per event is a measurable share of generation time: format the day once, then the clock.
    const ms = this.timeMs;
    const day = Math.floor(ms / 86_400_000);
    if (day !== this.isoDay) {
      this.isoDay = day;
      this.isoDayPrefix = new Date(day * 86_400_000).toISOString().slice(0, 11);
    }
    let rest = ms - day * 86_400_000;
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1000);
    rest -= seconds * 1000;
    return `${this.isoDayPrefix}${pad2[hours]}:${pad2[minutes]}:${pad2[seconds]}.${pad3[rest]}Z`;
  }

  private nextEventId(): string {
    return `urn:uuid:${this.idPrefix}${hex(this.eventSeq++, 12)}`;
  }

  private push(event: EpcisEventJson): void {
    this.buffer.push(event);
  }

  /** Stream index of the event most recently built. */
  private get lastIndex(): number {
    return this.eventSeq - 1;
  }

  private newLot(
    tag: Tag,
    group: string,
    form: MaterialForm,
    loc: DemoLocation,
    g: number,
    comp: Composition,
    unitG = 0,
    magnets?: readonly string[],
  ): LotState {
    const party = partyOf(loc.partyKey);
    const refKey =
      tag === 'oxide' || tag === 'metal' || tag === 'alloy' || tag === 'magnet' ? `${tag}:${group}` : tag;
    const itemKey = tag === 'component' || tag === 'product' ? `${tag}:${group}` : refKey;
    const item = itemRefs[itemKey] ?? itemRefs.feed ?? '000100';
    const label = tag === 'feed' ? (feedstocks[group]?.label ?? 'FEED') : (lotLabels[tag] ?? 'LOT');
    const suffix = tag === 'oxide' || tag === 'metal' ? `-${group.toUpperCase()}` : '';
    const id = `urn:epc:class:lgtin:${party.prefix}.${item}.${label}${suffix}-${++this.lotSeq}`;
    this.lotsByForm[form] = (this.lotsByForm[form] ?? 0) + 1;
    return {
      id,
      form,
      tag,
      group,
      g,
      comp,
      holder: party,
      loc,
      unitG,
      ...(magnets === undefined ? {} : { magnets }),
    };
  }

  private lotDeclaration(lot: LotState, valueUsd?: number): JsonObject {
    const composition: JsonObject = {};
    for (const [element, fraction] of Object.entries(lot.comp) as [Element, number][])
      composition[element] = fraction;
    const out: JsonObject = { epcClass: lot.id, form: lot.form, composition };
    if (valueUsd !== undefined && valueUsd > 0) out.value = { amount: cents(valueUsd), currency: 'USD' };
    return out;
  }

  private qty(lot: LotState, g = lot.g): JsonObject {
    return g % 1000 === 0
      ? { epcClass: lot.id, quantity: g / 1000, uom: 'KGM' }
      : { epcClass: lot.id, quantity: g, uom: 'GRM' };
  }

  private commission(loc: DemoLocation, lot: LotState, valueUsd: number): void {
    this.push({
      type: 'ObjectEvent',
      eventTime: this.stamp(),
      eventTimeZoneOffset: loc.tz,
      eventID: this.nextEventId(),
      action: 'ADD',
      bizStep: 'commissioning',
      disposition: 'active',
      readPoint: { id: loc.id },
      bizLocation: { id: loc.id },
      quantityList: [this.qty(lot)],
      ilmd: { 'ree:lots': [this.lotDeclaration(lot, valueUsd)] },
    });
  }

  /**
   * Emits a transformation with its declared loss (docs/extension.md): the total mass that left (gangue,
   * oxygen, off-cuts) and, per element, what the outputs do not hold. Element losses are rounded down to
   * whole grams, so outputs plus declared loss never exceed an element's input; they follow from the
   * compositions as written, which are themselves rounded down.
   */
  private transform(
    loc: DemoLocation,
    process: Process,
    inputs: readonly { lot: LotState; g: number }[],
    outputs: readonly LotState[],
    values?: readonly (number | undefined)[],
  ): void {
    const inMasses = elementMasses(inputs);
    let inG = 0;
    for (const { lot, g } of inputs) {
      lot.g -= g;
      inG += g;
    }
    let outG = 0;
    for (const lot of outputs) outG += lot.g;
    const outMasses = elementMasses(outputs.map((lot) => ({ lot, g: lot.g })));
    const elementLosses: JsonObject = {};
    let anyElementLoss = false;
    for (const [element, mass] of inMasses) {
      const lossG = Math.floor(mass - (outMasses.get(element) ?? 0));
      if (lossG >= 1) {
        elementLosses[element] = quantity(lossG);
        anyElementLoss = true;
      }
    }
    const event: EpcisEventJson = {
      type: 'TransformationEvent',
      eventTime: this.stamp(),
      eventTimeZoneOffset: loc.tz,
      eventID: this.nextEventId(),
      bizStep: 'commissioning',
      disposition: 'in_progress',
      readPoint: { id: loc.id },
      bizLocation: { id: loc.id },
      inputQuantityList: inputs.map(({ lot, g }) => this.qty(lot, g)),
      outputQuantityList: outputs.map((lot) => this.qty(lot)),
      'ree:process': process,
    };
    // Reagents can make the outputs heavier than the inputs (chlorides, carbonates): then no total is lost.
    const totalLoss: JsonObject = inG > outG ? quantity(inG - outG) : {};
    if (inG > outG || anyElementLoss) {
      event['ree:declaredLoss'] = anyElementLoss ? { ...totalLoss, elements: elementLosses } : totalLoss;
    }
    if (process === 'separation') event['ree:tolerancePpm'] = 1000;
    event.ilmd = { 'ree:lots': outputs.map((lot, i) => this.lotDeclaration(lot, values?.[i])) };
    this.push(event);
  }

  /** A feedstock lot at a plant with at least `g` grams left, commissioned when needed. */
  private feed(loc: DemoLocation, key: string, g: number): { lot: LotState; g: number } {
    const slot = `${loc.key}|feed:${key}`;
    let lot = this.feeds.get(slot);
    if (lot === undefined || lot.g < g) {
      const spec = feedstocks[key];
      if (spec === undefined) throw new Error(`demo world: unknown feedstock ${key}`);
      // Bought in bulk: enough for many batches, in whole kilograms.
      const kg = Math.ceil((g * (20 + this.rng.int(0, 20))) / 1000);
      lot = this.newLot('feed', key, 'feedstock-other', loc, kg * 1000, spec.comp);
      this.feeds.set(slot, lot);
      this.commission(loc, lot, kg * spec.usdPerKg);
    }
    return { lot, g };
  }

  // ---------------------------------------------------------------- the chain

  private mine(): void {
    const x = this.rng.next() * this.mineTotal;
    let index = this.mineCumulative.findIndex((c) => x < c);
    if (index < 0) index = mineSpecs.length - 1;
    const spec = mineSpecs[index] as MineSpec;
    const loc = locationOf(spec.key);
    const profile = depositProfiles[spec.deposit];
    const reoKg = 20_000 + this.rng.int(0, 80_000);
    const oreKg = Math.round(reoKg / profile.oreGrade);
    const comp: Composition = {};
    for (const [element, share] of Object.entries(profile.reoShares) as [Element, number][]) {
      comp[element] = floorFraction(share * profile.oreGrade * (elementInOxide[element] ?? 1));
    }
    if (profile.iron > 0) comp.Fe = profile.iron;
    const lot = this.newLot('ore', spec.deposit, 'ore', loc, oreKg * 1000, comp);
    this.commission(loc, lot, reoKg * concentrateUsdPerKgReo.value * oreValueFactor.value);
    if (this.oreLots.length < 100) this.oreLots.push({ id: lot.id, index: this.lastIndex });
    this.schedule(this.rng.int(5, 40), () => this.beneficiate(lot, spec));
  }

  private beneficiate(ore: LotState, spec: MineSpec): void {
    const loc = ore.loc as DemoLocation;
    const profile = depositProfiles[spec.deposit];
    const recovery = stepRecovery.beneficiation.value;
    const inputs = [{ lot: ore, g: ore.g }];
    const out = scaled(elementMasses(inputs), recovery);
    const rare = new Map([...out].filter(([element]) => isRareEarth(element)));
    const concG = Math.ceil(reo(rare) / profile.concentrateGrade);
    const conc = this.newLot(
      'concentrate',
      spec.deposit,
      'concentrate',
      loc,
      concG,
      compositionOf(rare, concG),
    );
    const outputs = [conc];
    const iron = out.get('Fe');
    if (iron !== undefined && iron > 0) {
      // Bayan Obo is an iron mine first: the iron concentrate is a co-product (sold to the steel works).
      const ironG = Math.ceil(iron / 0.62);
      outputs.push(
        this.newLot(
          'iron',
          'iron',
          'feedstock-other',
          loc,
          ironG,
          compositionOf(new Map([['Fe', iron]]), ironG),
        ),
      );
    }
    this.transform(loc, 'beneficiation', inputs, outputs);
    const route =
      spec.laterRoute !== undefined && this.timeMs >= spec.laterRoute.fromMs
        ? spec.laterRoute.route
        : spec.route;
    this.send(conc, this.pick(route));
  }

  private crack(loc: DemoLocation): void {
    const inputs = this.takeAll(loc, 'concentrate', 6).map((lot) => ({ lot, g: lot.g }));
    if (inputs.length === 0) return;
    const recovery = stepRecovery.cracking.value;
    const out = scaled(elementMasses(inputs), recovery);
    const g = Math.ceil(reo(out) / 0.45);
    const mixed = this.newLot('mixed', 'mixed', 'mixed-compound', loc, g, compositionOf(out, g));
    this.transform(loc, 'cracking', inputs, [mixed]);
    this.send(mixed, this.pick(crackers[loc.key] ?? [[loc.key, 1]]));
  }

  private separate(loc: DemoLocation): void {
    const inputs = this.takeAll(loc, 'mixed', 4).map((lot) => ({ lot, g: lot.g }));
    if (inputs.length === 0) return;
    const recovery = stepRecovery.separation.value;
    const out = scaled(elementMasses(inputs), recovery);
    const byGroup = new Map<OxideGroup, Map<Element, number>>();
    for (const [element, mass] of out) {
      const group = groupOfElement.get(element) ?? 'HY';
      let masses = byGroup.get(group);
      if (masses === undefined) {
        masses = new Map();
        byGroup.set(group, masses);
      }
      masses.set(element, mass);
    }
    const outputs: LotState[] = [];
    for (const group of Object.keys(oxideGroups) as OxideGroup[]) {
      const masses = byGroup.get(group);
      if (masses === undefined || sum(masses) <= 0) continue;
      const g = Math.max(1, Math.ceil(reo(masses)));
      outputs.push(this.newLot('oxide', group, 'separated-oxide', loc, g, compositionOf(masses, g)));
    }
    this.transform(loc, 'separation', inputs, outputs);
    const routes = separatorRoutes[loc.key];
    for (const oxide of outputs) {
      if (routes === undefined) continue;
      // Most samarium is sold as oxide: SmCo is a small niche next to NdFeB.
      const toMetal =
        metalGroups.has(oxide.group) && (oxide.group !== 'Sm' || this.rng.next() < smToMetalShare.value);
      const route = toMetal ? routes.oxide[oxide.group as MetalGroup] : routes.byProducts;
      this.send(oxide, this.pick(route));
    }
  }

  private makeMetal(loc: DemoLocation, group: MetalGroup): void {
    const inputs = this.takeAll(loc, `oxide:${group}`, 4).map((lot) => ({ lot, g: lot.g }));
    if (inputs.length === 0) return;
    const recovery = stepRecovery['metal-making'].value;
    const out = scaled(elementMasses(inputs), recovery);
    // Metal purity ~99.5%: the rest is unnamed (C, O, Fe traces).
    const total = Math.ceil(sum(out) / 0.995);
    const target = group === 'NdPr' ? 2_000_000 : group === 'Sm' ? 500_000 : 200_000;
    const parts = Math.max(1, Math.min(4, Math.round(total / target)));
    const comp = compositionOf(out, total);
    const outputs: LotState[] = [];
    let left = total;
    for (let i = 0; i < parts; i++) {
      const g = i === parts - 1 ? left : Math.floor(total / parts);
      left -= g;
      outputs.push(this.newLot('metal', group, 'metal', loc, g, comp));
    }
    this.transform(
      loc,
      'metal-making',
      inputs,
      outputs.filter((lot) => lot.g > 0),
    );
    const route = metalRoutes[loc.key]?.[group] ?? [[loc.key, 1]];
    for (const metal of outputs) if (metal.g > 0) this.send(metal, this.pick(route));
  }

  private alloyNdfeb(loc: DemoLocation): void {
    const ndpr = this.takeAll(loc, 'metal:NdPr', 3).map((lot) => ({ lot, g: lot.g }));
    if (ndpr.length === 0) return;
    let rare = 0;
    for (const [element, mass] of elementMasses(ndpr)) if (isRareEarth(element)) rare += mass;
    const dyAvailable = this.available(loc, 'metal:Dy') > 0;
    const tbAvailable = this.available(loc, 'metal:Tb') > 0;
    const dyTarget = dyAvailable ? magnetChemistry.ndfebDyHighGrade.value * (0.5 + this.rng.next() * 0.5) : 0;
    const tbTarget = tbAvailable ? magnetChemistry.ndfebTbHighGrade.value : 0;
    const alloyG = rare / (magnetChemistry.ndfebRareEarth.value - dyTarget - tbTarget);
    const heavy = (slot: string, element: Element, fraction: number): { lot: LotState; g: number }[] => {
      if (fraction <= 0) return [];
      const first = this.inventory(loc, slot)[0];
      const purity = first?.comp[element] ?? 0.99;
      return this.takeGrams(loc, slot, Math.ceil((fraction * alloyG) / purity));
    };
    const inputs = [...ndpr, ...heavy('metal:Dy', 'Dy', dyTarget), ...heavy('metal:Tb', 'Tb', tbTarget)];
    const boron = feedstocks.ferroboron?.comp.B ?? 0.18;
    const feb = this.feed(loc, 'ferroboron', Math.round((magnetChemistry.ndfebBoron.value * alloyG) / boron));
    inputs.push(feb);
    const named = sum(elementMasses(inputs));
    const ironNeed = Math.max(0, alloyG - named);
    if (ironNeed >= 1)
      inputs.push(this.feed(loc, 'iron', Math.round(ironNeed / (feedstocks.iron?.comp.Fe ?? 1))));
    const recovery = stepRecovery.alloying.value;
    const out = scaled(elementMasses(inputs), recovery);
    const g = Math.ceil(sum(out));
    const alloy = this.newLot('alloy', 'ndfeb', 'alloy', loc, g, compositionOf(out, g));
    this.transform(loc, 'alloying', inputs, [alloy]);
    this.schedule(this.rng.int(5, 40), () => this.makeMagnets(alloy, 'magnet-sintered-ndfeb', 'ndfeb'));
  }

  private alloySmco(loc: DemoLocation): void {
    const sm = this.takeAll(loc, 'metal:Sm', 3).map((lot) => ({ lot, g: lot.g }));
    if (sm.length === 0) return;
    let rare = 0;
    for (const [element, mass] of elementMasses(sm)) if (isRareEarth(element)) rare += mass;
    const alloyG = rare / magnetChemistry.smcoSm.value;
    const inputs = [
      ...sm,
      this.feed(loc, 'cobalt', Math.round((magnetChemistry.smcoCo.value * alloyG) / 0.998)),
    ];
    const rest = alloyG - sum(elementMasses(inputs));
    if (rest >= 1) inputs.push(this.feed(loc, 'smco-additives', Math.round(rest)));
    const recovery = stepRecovery.alloying.value;
    const out = scaled(elementMasses(inputs), recovery);
    const g = Math.ceil(sum(out));
    const alloy = this.newLot('alloy', 'smco', 'alloy', loc, g, compositionOf(out, g));
    this.transform(loc, 'alloying', inputs, [alloy]);
    this.schedule(this.rng.int(5, 40), () => this.makeMagnets(alloy, 'magnet-smco', 'smco'));
  }

  private makeMagnets(alloy: LotState, form: MaterialForm, family: string): void {
    const loc = alloy.loc as DemoLocation;
    const inputs = [{ lot: alloy, g: alloy.g }];
    const inMasses = elementMasses(inputs);
    const recovery = stepRecovery['magnet-making'].value;
    const scrapShare = magnetScrapShare.value;
    const magnetMasses = scaled(inMasses, recovery - scrapShare);
    const scrapMasses = scaled(inMasses, scrapShare);
    const total = Math.ceil(sum(magnetMasses));
    const batch = family === 'smco' ? 1_000_000 : 1_000_000 + this.rng.int(0, 2_000_000);
    const parts = Math.max(1, Math.min(12, Math.round(total / batch)));
    const comp = compositionOf(magnetMasses, total);
    const magnets: LotState[] = [];
    let left = total;
    for (let i = 0; i < parts; i++) {
      const g = i === parts - 1 ? left : Math.floor(total / parts);
      left -= g;
      if (g > 0) magnets.push(this.newLot('magnet', family, form, loc, g, comp));
    }
    const scrapG = Math.ceil(sum(scrapMasses));
    const outputs = [...magnets];
    if (scrapG > 0)
      outputs.push(this.newLot('scrap', family, 'scrap', loc, scrapG, compositionOf(scrapMasses, scrapG)));
    const perKg =
      family === 'smco' ? declaredValuesUsd.smcoMagnetPerKg.value : declaredValuesUsd.ndfebMagnetPerKg.value;
    this.transform(
      loc,
      'magnet-making',
      inputs,
      outputs,
      magnets.map((magnet) => (magnet.g / 1000) * perKg),
    );
    const route = magnetRoutes[loc.key];
    if (route === undefined) return;
    for (const magnet of magnets) this.send(magnet, this.pick(route));
  }

  private assemble(loc: DemoLocation): void {
    const plant = componentPlants[loc.key];
    if (plant === undefined) return;
    const spec = componentSpecs[plant.kind];
    const units = Math.min(spec.maxUnits, Math.floor(this.available(loc, 'magnet') / spec.magnetG));
    if (units < 1) return;
    const magnets = this.takeGrams(loc, 'magnet', units * spec.magnetG);
    const parts = this.feed(loc, spec.parts, units * (spec.unitG - spec.magnetG));
    const inputs = [...magnets, parts];
    const g = units * spec.unitG;
    const magnetIds = [...new Set(magnets.map(({ lot }) => lot.id))].slice(0, 16);
    const component = this.newLot(
      'component',
      plant.kind,
      'component',
      loc,
      g,
      compositionOf(elementMasses(inputs), g),
      spec.unitG,
      magnetIds,
    );
    this.transform(
      loc,
      'component-assembly',
      inputs,
      [component],
      [units * declaredValuesUsd[plant.kind].value],
    );
    this.send(component, this.pick(plant.route));
    if (this.available(loc, 'magnet') >= spec.magnetG)
      this.scheduleSlot(loc, 'magnet', this.rng.int(10, 60), () => this.assemble(loc));
  }

  private buildProducts(loc: DemoLocation, kind: ComponentKind): void {
    const spec = componentSpecs[kind];
    const slot = `component:${kind}`;
    const unitsAvailable = this.inventory(loc, slot).reduce((n, lot) => n + Math.floor(lot.g / lot.unitG), 0);
    const wanted = 1 + this.rng.int(0, spec.maxProducts - 1);
    const products = Math.min(wanted, Math.floor(unitsAvailable / spec.perProduct));
    if (products < 1) return;
    const taken = this.takeGrams(loc, slot, products * spec.perProduct * spec.unitG);
    let componentG = 0;
    for (const { g } of taken) componentG += g;
    const parts = this.feed(loc, spec.productParts, products * spec.productG - componentG);
    const inputs = [...taken, parts];
    const g = products * spec.productG;
    const product = this.newLot(
      'product',
      spec.product,
      'product',
      loc,
      g,
      compositionOf(elementMasses(inputs), g),
      spec.productG,
    );
    this.transform(
      loc,
      'product-assembly',
      inputs,
      [product],
      [products * declaredValuesUsd[spec.product].value],
    );
    const index = this.lastIndex;
    if (this.productLots.length < 100) this.productLots.push({ id: product.id, index });
    for (const { lot } of taken) {
      if (lot.traced === true) continue;
      lot.traced = true;
      for (const magnet of lot.magnets ?? []) {
        if (this.tracedMagnetSet.has(magnet) || this.tracedMagnets.length >= 1000) continue;
        this.tracedMagnetSet.add(magnet);
        this.tracedMagnets.push({ id: magnet, index });
      }
    }
    const exports = productRoutes[loc.key];
    if (exports !== undefined && this.rng.next() < exports.share)
      this.send(product, this.pick(exports.route));
    if (this.inventory(loc, slot).length > 0)
      this.scheduleSlot(loc, slot, this.rng.int(10, 60), () => this.buildProducts(loc, kind));
  }

  /** What happens to a lot that has arrived at (or stays at) a location. */
  private arrive(lot: LotState, loc: DemoLocation): void {
    const delay = this.rng.int(20, 150);
    switch (lot.tag) {
      case 'concentrate':
        if (crackers[loc.key] !== undefined) {
          this.stock(loc, 'concentrate', lot);
          this.scheduleSlot(loc, 'concentrate', delay, () => this.crack(loc));
        }
        return; // at a stockpile: stays there
      case 'mixed':
        if (separatorRoutes[loc.key] !== undefined) {
          this.stock(loc, 'mixed', lot);
          this.scheduleSlot(loc, 'mixed', delay, () => this.separate(loc));
        }
        return;
      case 'oxide': {
        if (!metalGroups.has(lot.group)) return; // by-products stay with the buyer
        const group = lot.group as MetalGroup;
        if (metalRoutes[loc.key] !== undefined) {
          this.stock(loc, `oxide:${group}`, lot);
          this.scheduleSlot(loc, `oxide:${group}`, delay, () => this.makeMetal(loc, group));
        } else {
          // Traders resell magnet-grade oxides; samarium they buy is by-product oxide and stays with them.
          const trader = traderRoutes[loc.key];
          if (trader !== undefined && group !== 'Sm') this.send(lot, this.pick(trader.oxide));
        }
        return;
      }
      case 'metal': {
        const trader = traderRoutes[loc.key];
        if (trader !== undefined) {
          this.send(lot, this.pick(trader.metal));
          return;
        }
        const magnetPlant = magnetRoutes[loc.key] !== undefined;
        if (!magnetPlant) return;
        const smco = loc.key.endsWith('smco');
        if (lot.group === 'NdPr' && !smco) {
          this.stock(loc, 'metal:NdPr', lot);
          this.scheduleSlot(loc, 'metal:NdPr', delay, () => this.alloyNdfeb(loc));
        } else if ((lot.group === 'Dy' || lot.group === 'Tb') && !smco) {
          this.stock(loc, `metal:${lot.group}`, lot);
        } else if (lot.group === 'Sm' && smco) {
          this.stock(loc, 'metal:Sm', lot);
          this.scheduleSlot(loc, 'metal:Sm', delay, () => this.alloySmco(loc));
        }
        return;
      }
      case 'magnet': {
        const trader = traderRoutes[loc.key];
        if (trader !== undefined) {
          if (lot.group === 'ndfeb') this.send(lot, this.pick(trader.magnet));
          return;
        }
        if (componentPlants[loc.key] === undefined) return;
        this.stock(loc, 'magnet', lot);
        this.scheduleSlot(loc, 'magnet', delay, () => this.assemble(loc));
        return;
      }
      case 'component': {
        const kind = lot.group as ComponentKind;
        this.stock(loc, `component:${kind}`, lot);
        this.scheduleSlot(loc, `component:${kind}`, delay, () => this.buildProducts(loc, kind));
        return;
      }
      default:
        return;
    }
  }

  /** Sends a lot on: ships it unless it is already where it must go. */
  private send(lot: LotState, to: DemoLocation): void {
    const from = lot.loc as DemoLocation;
    if (to.key === from.key) {
      this.schedule(this.rng.int(1, 10), () => this.arrive(lot, to));
      return;
    }
    this.schedule(this.rng.int(5, 40), () => this.ship(lot, from, to));
  }

  private ship(lot: LotState, from: DemoLocation, to: DemoLocation): void {
    const shipper = partyOf(from.partyKey);
    const receiver = partyOf(to.partyKey);
    const international = from.country !== to.country;
    if (international) this.crossBorder++;
    const sscc = `urn:epc:id:sscc:${shipper.prefix}.${String(++this.ssccSeq % 1e10).padStart(10, '0')}`;
    const order = `urn:epcglobal:cbv:bt:${gln(receiver)}:PO-${++this.orderSeq}`;
    const packed = lot.tag === 'magnet' || lot.tag === 'component' || lot.tag === 'product';
    if (packed) {
      // Finished goods travel on pallets: a plain-EPCIS packing aggregation and the purchase order.
      this.push({
        type: 'AggregationEvent',
        eventTime: this.stamp(),
        eventTimeZoneOffset: from.tz,
        eventID: this.nextEventId(),
        parentID: sscc,
        childQuantityList: [this.qty(lot)],
        action: 'ADD',
        bizStep: 'packing',
        disposition: 'in_progress',
        readPoint: { id: from.id },
        bizLocation: { id: from.id },
      });
    }
    if (shipper.key !== receiver.key && this.rng.next() < (packed ? 0.5 : 0.1)) {
      this.push({
        type: 'TransactionEvent',
        eventTime: this.stamp(),
        eventTimeZoneOffset: from.tz,
        eventID: this.nextEventId(),
        bizTransactionList: [{ type: 'po', bizTransaction: order }],
        epcList: [sscc],
        action: 'ADD',
        bizStep: 'staging_outbound',
        disposition: 'in_progress',
        readPoint: { id: from.id },
        bizLocation: { id: from.id },
      });
    }
    const tracker = international
      ? `urn:epc:id:giai:${shipper.prefix}.TRK${this.rng.int(1, 999)}`
      : undefined;
    if (tracker !== undefined) {
      // A GPS tracker is associated with the consignment for the trip (anti-smuggling tracking).
      this.push({
        type: 'AssociationEvent',
        eventTime: this.stamp(),
        eventTimeZoneOffset: from.tz,
        eventID: this.nextEventId(),
        parentID: tracker,
        childEPCs: [sscc],
        action: 'ADD',
        bizStep: 'installing',
        disposition: 'active',
        readPoint: { id: from.id },
        bizLocation: { id: from.id },
      });
    }
    const sourceList: JsonValue = [
      { type: 'owning_party', source: shipper.id },
      { type: 'location', source: from.id },
    ];
    const destinationList: JsonValue = [
      { type: 'owning_party', destination: receiver.id },
      { type: 'location', destination: to.id },
    ];
    this.push({
      type: 'ObjectEvent',
      eventTime: this.stamp(),
      eventTimeZoneOffset: from.tz,
      eventID: this.nextEventId(),
      epcList: [sscc],
      quantityList: [this.qty(lot)],
      action: 'OBSERVE',
      bizStep: 'shipping',
      disposition: 'in_transit',
      readPoint: { id: from.id },
      bizLocation: { id: from.id },
      bizTransactionList: [{ type: 'po', bizTransaction: order }],
      sourceList,
      destinationList,
    });
    lot.loc = undefined;

    // Waypoints: customs points where the route leaves or enters China, great-circle points otherwise.
    const waypoints: { lat: number; lon: number; at?: DemoLocation }[] = [];
    const legs = international ? this.rng.int(2, 4) : this.rng.int(1, 2);
    for (let i = 1; i <= legs; i++) waypoints.push(greatCircle(from, to, i / (legs + 1)));
    if (international && from.country === 'MM' && to.country === 'CN') {
      const border = locationOf(this.rng.pick(myanmarBorderCrossings));
      waypoints[0] = { lat: border.lat, lon: border.lon, at: border };
    } else if (international && from.country === 'CN') {
      const port = this.nearest(from);
      waypoints[0] = { lat: port.lat, lon: port.lon, at: port };
    } else if (international && to.country === 'CN') {
      const port = this.nearest(to);
      waypoints[waypoints.length - 1] = { lat: port.lat, lon: port.lon, at: port };
    }
    let delay = 0;
    for (const point of waypoints) {
      delay += international ? this.rng.int(20, 120) : this.rng.int(5, 40);
      this.schedule(delay, () => this.transit(lot, from, point, sscc));
    }
    delay += international ? this.rng.int(20, 120) : this.rng.int(5, 40);
    this.schedule(delay, () => this.receive(lot, from, to, sscc, order, tracker));
  }

  private nearest(loc: DemoLocation): DemoLocation {
    let best = locationOf(chinaPorts[0]);
    let bestD = Number.POSITIVE_INFINITY;
    for (const key of chinaPorts) {
      const port = locationOf(key);
      const d = (port.lat - loc.lat) ** 2 + (port.lon - loc.lon) ** 2;
      if (d < bestD) {
        bestD = d;
        best = port;
      }
    }
    return best;
  }

  private transit(
    lot: LotState,
    from: DemoLocation,
    point: { lat: number; lon: number; at?: DemoLocation },
    sscc: string,
  ): void {
    const lat = round5(point.lat);
    const lon = round5(point.lon);
    const eventTime = this.stamp();
    const event: EpcisEventJson = {
      type: 'ObjectEvent',
      eventTime,
      eventTimeZoneOffset: point.at?.tz ?? from.tz,
      eventID: this.nextEventId(),
      epcList: [sscc],
      quantityList: [this.qty(lot)],
      action: 'OBSERVE',
      bizStep: 'transporting',
      disposition: 'in_transit',
      readPoint: { id: point.at === undefined ? `geo:${lat},${lon}` : point.at.id },
    };
    if (point.at !== undefined || this.rng.next() < 0.5) {
      // Standard EPCIS 2.0 position reports (gs1:Angle with a latitude/longitude component), plus the position
      // as a geo: URI, which is what the ledger reads into the lot's track.
      event.sensorElementList = [
        {
          sensorMetadata: { time: eventTime, deviceID: `urn:epc:id:giai:${lot.holder.prefix}.GPS1` },
          sensorReport: [
            {
              type: 'gs1:Angle',
              component: 'latitude',
              value: lat,
              uom: 'DD',
              uriValue: `geo:${lat},${lon}`,
            },
            { type: 'gs1:Angle', component: 'longitude', value: lon, uom: 'DD' },
          ],
        },
      ];
    }
    this.push(event);
  }

  private receive(
    lot: LotState,
    from: DemoLocation,
    to: DemoLocation,
    sscc: string,
    order: string,
    tracker: string | undefined,
  ): void {
    const shipper = partyOf(from.partyKey);
    const receiver = partyOf(to.partyKey);
    this.push({
      type: 'ObjectEvent',
      eventTime: this.stamp(),
      eventTimeZoneOffset: to.tz,
      eventID: this.nextEventId(),
      epcList: [sscc],
      quantityList: [this.qty(lot)],
      action: 'OBSERVE',
      bizStep: 'receiving',
      disposition: 'in_progress',
      readPoint: { id: to.id },
      bizLocation: { id: to.id },
      bizTransactionList: [{ type: 'po', bizTransaction: order }],
      sourceList: [
        { type: 'owning_party', source: shipper.id },
        { type: 'location', source: from.id },
      ],
      destinationList: [
        { type: 'owning_party', destination: receiver.id },
        { type: 'location', destination: to.id },
      ],
    });
    lot.holder = receiver;
    lot.loc = to;
    if (tracker !== undefined) {
      this.push({
        type: 'AssociationEvent',
        eventTime: this.stamp(),
        eventTimeZoneOffset: to.tz,
        eventID: this.nextEventId(),
        parentID: tracker,
        childEPCs: [sscc],
        action: 'DELETE',
        bizStep: 'removing',
        disposition: 'inactive',
        readPoint: { id: to.id },
        bizLocation: { id: to.id },
      });
    }
    this.arrive(lot, to);
  }
}
