/**
 * Scenario files: parsing and validation. A scenario is a list of levers over the baseline; every lever must
 * say where its assumption comes from (`source`), and every fault is reported with its line and column.
 */
import {
  ELEMENTS,
  FORMS,
  GROUPED_ELEMENTS,
  K,
  P,
  PRODUCTS,
  parseMonth,
  R,
  REGIONS,
  SECTORS,
  sectorIndex,
} from './dims.js';
import { simLimits } from './limits.js';
import { child, Issues, parseLocated, type YNode } from './ynode.js';

export type Dist =
  | { readonly kind: 'fixed'; readonly v: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'triangular'; readonly min: number; readonly mode: number; readonly max: number }
  | { readonly kind: 'normal'; readonly mean: number; readonly sd: number };

export interface TradeRestriction {
  readonly id: string;
  readonly origin: number;
  /** Bit e set when element e is covered. */
  readonly elementMask: number;
  readonly formMask: number;
  /** Bit r set when destination r is covered. */
  readonly destinationMask: number;
  readonly sectorMask: number;
  readonly start: number;
  readonly end: number | null;
  readonly licensedShare: Dist;
  readonly approvalDelayMonths: number;
  readonly source: string;
  readonly line: number;
}

export interface CapacityLever {
  readonly id: string;
  readonly region: number;
  readonly stage: 'mining' | 'separation' | 'metal' | 'magnet';
  readonly product: number;
  readonly deposit: string;
  readonly tPerYear: number;
  readonly start: number;
  readonly rampMonths: number;
  readonly delayMonths: Dist;
  readonly source: string;
}

export interface CapacityShock {
  readonly id: string;
  readonly region: number;
  readonly stage: 'mining' | 'separation' | 'metal' | 'magnet';
  readonly factor: number;
  readonly start: number;
  readonly end: number | null;
  readonly source: string;
}

export interface ProductSpec {
  readonly name: string;
  readonly region: number;
  readonly sector: number;
  /** End-use material index: products first, then oxides by element. */
  readonly material: number;
  readonly kgPerUnit: Dist;
  readonly shareOfSector: number;
  readonly caveat: string;
  readonly source: string;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly start: number;
  readonly horizonMonths: number;
  readonly announcedCapacity: 'none' | 'committed' | 'all';
  readonly allocation: {
    readonly rule: 'pro-rata' | 'priority';
    readonly order: readonly number[];
    readonly source: string;
  };
  readonly tradeRestrictions: readonly TradeRestriction[];
  readonly quota: {
    readonly miningGrowthPerYear: Dist | null;
    readonly ionGrowthPerYear: Dist | null;
    readonly separationGrowthPerYear: Dist | null;
    readonly source: string;
  } | null;
  readonly demandGrowth: { readonly bySector: readonly (Dist | null)[]; readonly source: string } | null;
  readonly capacity: readonly CapacityLever[];
  readonly capacityShocks: readonly CapacityShock[];
  readonly recycling: {
    readonly targetShare: Dist;
    readonly from: number;
    readonly by: number;
    readonly regionMask: number;
    readonly sectorMask: number;
    readonly source: string;
  } | null;
  readonly substitution: {
    readonly ratePerYear: number;
    readonly maxShare: number;
    readonly trigger: number;
    readonly source: string;
  } | null;
  readonly supplyResponse: {
    readonly sharePerYear: number;
    readonly leadMonths: number;
    readonly trigger: number;
    readonly source: string;
  } | null;
  readonly stockpileRelease: boolean;
  readonly products: readonly ProductSpec[];
  /** Every assumption with its source, for the report. */
  readonly assumptions: readonly { readonly lever: string; readonly source: string; readonly line: number }[];
}

const TOP_KEYS = new Set([
  'source',
  'name',
  'title',
  'description',
  'start',
  'horizonMonths',
  'announcedCapacity',
  'allocation',
  'tradeRestrictions',
  'quota',
  'demand',
  'capacity',
  'capacityShocks',
  'recycling',
  'substitution',
  'supplyResponse',
  'stockpiles',
  'products',
]);

const CAPACITY_STAGES = ['mining', 'separation', 'metal', 'magnet'] as const;

class Reader {
  constructor(
    readonly issues: Issues,
    readonly assumptions: { lever: string; source: string; line: number }[],
  ) {}

  map(
    node: YNode | undefined,
    what: string,
    allowed?: readonly string[],
  ): (YNode & { kind: 'map' }) | undefined {
    if (!node) return undefined;
    if (node.kind !== 'map') {
      this.issues.add(node, 'type', `${what} must be a mapping`);
      return undefined;
    }
    if (allowed) {
      for (const [key, pos] of node.keyPos) {
        if (!allowed.includes(key)) {
          this.issues.add(
            { pos, path: `${node.path}/${key}` },
            'unknown-key',
            `unknown key "${key}" in ${what} (allowed: ${allowed.join(', ')})`,
          );
        }
      }
    }
    return node;
  }

  seq(node: YNode | undefined, what: string): readonly YNode[] {
    if (!node) return [];
    if (node.kind !== 'seq') {
      this.issues.add(node, 'type', `${what} must be a list`);
      return [];
    }
    return node.items;
  }

  str(node: YNode | undefined, what: string, required = true): string | undefined {
    if (node?.kind !== 'scalar' || node.value === null) {
      if (required)
        this.issues.add(node ?? { pos: { line: 1, col: 1 }, path: '' }, 'required', `${what} is required`);
      return undefined;
    }
    return String(node.value);
  }

  number(
    node: YNode | undefined,
    what: string,
    opts: { min?: number; max?: number; rule?: string } = {},
  ): number | undefined {
    if (!node) return undefined;
    if (node.kind !== 'scalar' || typeof node.value !== 'number' || !Number.isFinite(node.value)) {
      this.issues.add(node, 'type', `${what} must be a number`);
      return undefined;
    }
    const v = node.value;
    if (opts.min !== undefined && v < opts.min) {
      this.issues.add(node, opts.rule ?? 'range', `${what} is ${v}; it must be at least ${opts.min}`);
      return undefined;
    }
    if (opts.max !== undefined && v > opts.max) {
      this.issues.add(node, opts.rule ?? 'range', `${what} is ${v}; it must be at most ${opts.max}`);
      return undefined;
    }
    return v;
  }

  month(node: YNode | undefined, what: string, required = true): number | undefined {
    if (!node || (node.kind === 'scalar' && node.value === null)) {
      if (required)
        this.issues.add(
          node ?? { pos: { line: 1, col: 1 }, path: '' },
          'required',
          `${what} is required (YYYY-MM)`,
        );
      return undefined;
    }
    const text = node.kind === 'scalar' ? String(node.value) : '';
    const m = parseMonth(text);
    if (m === undefined)
      this.issues.add(
        node,
        'month',
        `${what} must be a month written YYYY-MM (quote it), got ${JSON.stringify(text)}`,
      );
    return m;
  }

  dist(node: YNode | undefined, what: string, min: number, max: number): Dist | undefined {
    if (!node) return undefined;
    if (node.kind === 'scalar') {
      const v = this.number(node, what, { min, max });
      return v === undefined ? undefined : { kind: 'fixed', v };
    }
    const m = this.map(node, what, ['dist', 'min', 'mode', 'max', 'mean', 'sd']);
    if (!m) return undefined;
    const kind = this.str(child(m, 'dist'), `${what}.dist`);
    const n = (key: string): number | undefined => this.number(child(m, key), `${what}.${key}`, { min, max });
    if (kind === 'uniform') {
      const a = n('min');
      const b = n('max');
      if (a === undefined || b === undefined) return undefined;
      if (a > b) this.issues.add(m, 'range', `${what}: min exceeds max`);
      return { kind: 'uniform', min: a, max: b };
    }
    if (kind === 'triangular') {
      const a = n('min');
      const c = n('mode');
      const b = n('max');
      if (a === undefined || b === undefined || c === undefined) return undefined;
      if (!(a <= c && c <= b)) this.issues.add(m, 'range', `${what}: need min <= mode <= max`);
      return { kind: 'triangular', min: a, mode: c, max: b };
    }
    if (kind === 'normal') {
      const mean = n('mean');
      const sd = this.number(child(m, 'sd'), `${what}.sd`, { min: 0 });
      if (mean === undefined || sd === undefined) return undefined;
      return { kind: 'normal', mean, sd };
    }
    if (kind !== undefined) this.issues.add(m, 'dist', `${what}.dist must be uniform, triangular or normal`);
    return undefined;
  }

  source(node: YNode & { kind: 'map' }, lever: string): string {
    const s = child(node, 'source');
    if (s?.kind !== 'scalar' || typeof s.value !== 'string' || s.value.trim() === '') {
      this.issues.add(
        node,
        'missing-source',
        `${lever} has no source: every assumption must say where it comes from`,
      );
      return '';
    }
    this.assumptions.push({ lever, source: s.value, line: node.pos.line });
    return s.value;
  }

  /** A list of names as a bit mask; "all" selects everything. */
  mask(
    node: YNode | undefined,
    what: string,
    names: readonly string[],
    rule: string,
    aliases: readonly string[] = [],
    aliasBit = -1,
  ): number {
    if (!node) return (1 << names.length) - 1;
    const items = node.kind === 'seq' ? node.items : [node];
    let mask = 0;
    for (const item of items) {
      const name = item.kind === 'scalar' ? String(item.value) : '';
      if (name === 'all') {
        mask = (1 << names.length) - 1;
        continue;
      }
      const i = names.indexOf(name);
      if (i >= 0) mask |= 1 << i;
      else if (aliases.includes(name) && aliasBit >= 0) mask |= 1 << aliasBit;
      else
        this.issues.add(
          item,
          rule,
          `unknown ${what} "${name}" (known: ${names.join(', ')}${aliases.length ? `, ${aliases.join(', ')}` : ''}, all)`,
        );
    }
    return mask;
  }

  region(node: YNode | undefined, what: string): number {
    const name = this.str(node, what);
    if (name === undefined) return -1;
    const r = (REGIONS as readonly string[]).indexOf(name);
    if (r < 0 && node)
      this.issues.add(node, 'unknown-region', `unknown region "${name}" (known: ${REGIONS.join(', ')})`);
    return r;
  }
}

function distKey(d: Dist): string {
  return JSON.stringify(d);
}

function overlaps(aStart: number, aEnd: number | null, bStart: number, bEnd: number | null): boolean {
  const ae = aEnd ?? Number.POSITIVE_INFINITY;
  const be = bEnd ?? Number.POSITIVE_INFINITY;
  return aStart <= be && bStart <= ae;
}

export function parseScenario(text: string, label = 'scenario'): Scenario {
  if (text.length > simLimits.maxScenarioBytes) {
    const issues = new Issues(label);
    issues.add(
      { pos: { line: 1, col: 1 }, path: '' },
      'limit',
      `scenario exceeds ${simLimits.maxScenarioBytes} bytes (limit maxScenarioBytes)`,
    );
    issues.throwIfAny();
  }
  const root = parseLocated(text, label);
  const issues = new Issues(label);
  const assumptions: { lever: string; source: string; line: number }[] = [];
  const rd = new Reader(issues, assumptions);
  const top = rd.map(root, 'the scenario', [...TOP_KEYS]);
  if (!top) {
    issues.add(root, 'type', 'a scenario must be a mapping');
    issues.throwIfAny();
    throw new Error('unreachable');
  }
  const name = rd.str(child(top, 'name'), 'name') ?? '';
  const start = rd.month(child(top, 'start'), 'start') ?? 0;
  const horizonMonths =
    rd.number(child(top, 'horizonMonths'), 'horizonMonths', {
      min: 1,
      max: simLimits.maxHorizonMonths,
      rule: 'limit',
    }) ?? 120;

  const ann = rd.str(child(top, 'announcedCapacity'), 'announcedCapacity', false) ?? 'committed';
  if (ann !== 'none' && ann !== 'committed' && ann !== 'all') {
    issues.add(child(top, 'announcedCapacity')!, 'enum', 'announcedCapacity must be none, committed or all');
  }

  // Allocation of shortages within a region.
  let allocation: Scenario['allocation'] = {
    rule: 'pro-rata',
    order: SECTORS.map((_, k) => k),
    source: 'default: pro rata',
  };
  const alloc = rd.map(child(top, 'allocation'), 'allocation', ['rule', 'order', 'source']);
  if (alloc) {
    const rule = rd.str(child(alloc, 'rule'), 'allocation.rule');
    if (rule !== 'pro-rata' && rule !== 'priority')
      issues.add(alloc, 'enum', 'allocation.rule must be pro-rata or priority');
    const order: number[] = [];
    for (const item of rd.seq(child(alloc, 'order'), 'allocation.order')) {
      const k = sectorIndex(item.kind === 'scalar' ? String(item.value) : '');
      if (k < 0)
        issues.add(
          item,
          'unknown-sector',
          `unknown sector ${JSON.stringify(item.kind === 'scalar' ? item.value : '')} (known: ${SECTORS.join(', ')})`,
        );
      else if (!order.includes(k)) order.push(k);
    }
    for (let k = 0; k < K; k++) if (!order.includes(k)) order.push(k);
    allocation = {
      rule: rule === 'priority' ? 'priority' : 'pro-rata',
      order,
      source: rd.source(alloc, 'allocation'),
    };
  }

  // Trade restrictions: export bans, licence caps, import bans (edge filters on the trade network).
  const tradeRestrictions: TradeRestriction[] = [];
  rd.seq(child(top, 'tradeRestrictions'), 'tradeRestrictions').forEach((node, i) => {
    const m = rd.map(node, `tradeRestrictions[${i}]`, [
      'id',
      'origin',
      'elements',
      'forms',
      'destinations',
      'endUses',
      'start',
      'end',
      'licensedShare',
      'approvalDelayMonths',
      'source',
      'note',
    ]);
    if (!m) return;
    const id = rd.str(child(m, 'id'), `tradeRestrictions[${i}].id`, false) ?? `restriction-${i + 1}`;
    const origin = rd.region(child(m, 'origin'), `tradeRestrictions[${i}].origin`);
    const elementMask = rd.mask(
      child(m, 'elements'),
      'element',
      ELEMENTS,
      'unknown-element',
      GROUPED_ELEMENTS,
      ELEMENTS.length - 1,
    );
    const formMask = rd.mask(child(m, 'forms'), 'form', FORMS, 'unknown-form');
    let destinationMask = rd.mask(child(m, 'destinations'), 'region', REGIONS, 'unknown-region');
    if (origin >= 0) destinationMask &= ~(1 << origin);
    const sectorMask = rd.mask(child(m, 'endUses'), 'end use', SECTORS, 'unknown-sector');
    const s = rd.month(child(m, 'start'), `tradeRestrictions[${i}].start`) ?? 0;
    const e = rd.month(child(m, 'end'), `tradeRestrictions[${i}].end`, false) ?? null;
    if (e !== null && e < s)
      issues.add(child(m, 'end')!, 'range', `tradeRestrictions[${i}] ends before it starts`);
    const share = rd.dist(child(m, 'licensedShare'), `tradeRestrictions[${i}].licensedShare`, 0, 1) ?? {
      kind: 'fixed',
      v: 0,
    };
    const delay = rd.number(child(m, 'approvalDelayMonths'), 'approvalDelayMonths', { min: 0, max: 24 }) ?? 0;
    const source = rd.source(m, `trade restriction ${id}`);
    tradeRestrictions.push({
      id,
      origin,
      elementMask,
      formMask,
      destinationMask,
      sectorMask,
      start: s,
      end: e,
      licensedShare: share,
      approvalDelayMonths: delay,
      source,
      line: m.pos.line,
    });
  });
  // Two rules that cover the same flow at the same time with different shares contradict each other.
  for (let b = 0; b < tradeRestrictions.length; b++) {
    for (let a = 0; a < b; a++) {
      const x = tradeRestrictions[a]!;
      const y = tradeRestrictions[b]!;
      const same =
        x.origin === y.origin &&
        (x.elementMask & y.elementMask) !== 0 &&
        (x.formMask & y.formMask) !== 0 &&
        (x.destinationMask & y.destinationMask) !== 0 &&
        (x.sectorMask & y.sectorMask) !== 0 &&
        overlaps(x.start, x.end, y.start, y.end);
      if (same && distKey(x.licensedShare) !== distKey(y.licensedShare)) {
        const node = rd.seq(child(top, 'tradeRestrictions'), '')[b]!;
        issues.add(
          node,
          'contradictory-restrictions',
          `trade restriction "${y.id}" overlaps "${x.id}" (line ${x.line}) on the same origin, elements, forms, destinations, end uses and months but sets a different licensed share`,
        );
      }
    }
  }

  // Quota growth.
  let quota: Scenario['quota'] = null;
  const q = rd.map(child(top, 'quota'), 'quota', [
    'miningGrowthPerYear',
    'ionGrowthPerYear',
    'separationGrowthPerYear',
    'source',
  ]);
  if (q) {
    quota = {
      miningGrowthPerYear:
        rd.dist(child(q, 'miningGrowthPerYear'), 'quota.miningGrowthPerYear', -0.5, 1) ?? null,
      ionGrowthPerYear: rd.dist(child(q, 'ionGrowthPerYear'), 'quota.ionGrowthPerYear', -0.5, 1) ?? null,
      separationGrowthPerYear:
        rd.dist(child(q, 'separationGrowthPerYear'), 'quota.separationGrowthPerYear', -0.5, 1) ?? null,
      source: rd.source(q, 'quota'),
    };
  }

  // Demand growth, all sectors or per sector.
  let demandGrowth: Scenario['demandGrowth'] = null;
  const dm = rd.map(child(top, 'demand'), 'demand', ['growthPerYear', 'source']);
  if (dm) {
    const g = child(dm, 'growthPerYear');
    const bySector: (Dist | null)[] = new Array<Dist | null>(K).fill(null);
    if (g && g.kind === 'map' && !g.entries.has('dist')) {
      for (const [key, value] of g.entries) {
        const k = sectorIndex(key);
        if (k < 0)
          issues.add(
            { pos: g.keyPos.get(key) ?? g.pos, path: `${g.path}/${key}` },
            'unknown-sector',
            `unknown sector "${key}"`,
          );
        else bySector[k] = rd.dist(value, `demand.growthPerYear.${key}`, -0.5, 1) ?? null;
      }
    } else {
      const d = rd.dist(g, 'demand.growthPerYear', -0.5, 1) ?? null;
      bySector.fill(d);
    }
    demandGrowth = { bySector, source: rd.source(dm, 'demand') };
  }

  // New capacity with lead times and ramp-up.
  const capacity: CapacityLever[] = [];
  rd.seq(child(top, 'capacity'), 'capacity').forEach((node, i) => {
    const m = rd.map(node, `capacity[${i}]`, [
      'id',
      'region',
      'stage',
      'product',
      'deposit',
      'tonnesPerYear',
      'start',
      'rampMonths',
      'delayMonths',
      'source',
      'note',
    ]);
    if (!m) return;
    const id = rd.str(child(m, 'id'), `capacity[${i}].id`, false) ?? `capacity-${i + 1}`;
    const region = rd.region(child(m, 'region'), `capacity[${i}].region`);
    const stage = rd.str(child(m, 'stage'), `capacity[${i}].stage`) ?? 'magnet';
    if (!(CAPACITY_STAGES as readonly string[]).includes(stage)) {
      issues.add(
        child(m, 'stage')!,
        'unknown-stage',
        `unknown stage "${stage}" (known: ${CAPACITY_STAGES.join(', ')})`,
      );
    }
    const productName = rd.str(child(m, 'product'), 'product', false) ?? 'NdFeB';
    const product = (PRODUCTS as readonly string[]).indexOf(productName);
    if (product < 0) issues.add(child(m, 'product')!, 'unknown-product', `unknown product "${productName}"`);
    const deposit = rd.str(child(m, 'deposit'), 'deposit', false) ?? 'monazite';
    const t = rd.number(child(m, 'tonnesPerYear'), `capacity[${i}].tonnesPerYear`, {
      min: 0,
      rule: 'negative-capacity',
    });
    if (!child(m, 'tonnesPerYear')) issues.add(m, 'required', `capacity[${i}].tonnesPerYear is required`);
    const startM = rd.month(child(m, 'start'), `capacity[${i}].start`) ?? 0;
    const ramp = rd.number(child(m, 'rampMonths'), 'rampMonths', { min: 0, max: 120 }) ?? 12;
    const delay = rd.dist(child(m, 'delayMonths'), 'delayMonths', 0, 120) ?? { kind: 'fixed', v: 0 };
    capacity.push({
      id,
      region,
      stage: stage as CapacityLever['stage'],
      product: Math.max(0, product),
      deposit,
      tPerYear: t ?? 0,
      start: startM,
      rampMonths: ramp,
      delayMonths: delay,
      source: rd.source(m, `capacity ${id}`),
    });
  });

  const capacityShocks: CapacityShock[] = [];
  rd.seq(child(top, 'capacityShocks'), 'capacityShocks').forEach((node, i) => {
    const m = rd.map(node, `capacityShocks[${i}]`, [
      'id',
      'region',
      'stage',
      'factor',
      'start',
      'end',
      'source',
      'note',
    ]);
    if (!m) return;
    const id = rd.str(child(m, 'id'), 'id', false) ?? `shock-${i + 1}`;
    const stage = rd.str(child(m, 'stage'), `capacityShocks[${i}].stage`) ?? 'mining';
    if (!(CAPACITY_STAGES as readonly string[]).includes(stage)) {
      issues.add(child(m, 'stage')!, 'unknown-stage', `unknown stage "${stage}"`);
    }
    capacityShocks.push({
      id,
      region: rd.region(child(m, 'region'), `capacityShocks[${i}].region`),
      stage: stage as CapacityShock['stage'],
      factor:
        rd.number(child(m, 'factor'), `capacityShocks[${i}].factor`, {
          min: 0,
          max: 10,
          rule: 'negative-capacity',
        }) ?? 1,
      start: rd.month(child(m, 'start'), 'start') ?? 0,
      end: rd.month(child(m, 'end'), 'end', false) ?? null,
      source: rd.source(m, `capacity shock ${id}`),
    });
  });

  let recycling: Scenario['recycling'] = null;
  const rc = rd.map(child(top, 'recycling'), 'recycling', [
    'targetShare',
    'from',
    'by',
    'regions',
    'sectors',
    'source',
    'note',
  ]);
  if (rc) {
    recycling = {
      targetShare: rd.dist(child(rc, 'targetShare'), 'recycling.targetShare', 0, 0.9) ?? {
        kind: 'fixed',
        v: 0,
      },
      from: rd.month(child(rc, 'from'), 'recycling.from') ?? start,
      by: rd.month(child(rc, 'by'), 'recycling.by') ?? start,
      regionMask: rd.mask(child(rc, 'regions'), 'region', REGIONS, 'unknown-region'),
      sectorMask: rd.mask(child(rc, 'sectors'), 'sector', SECTORS, 'unknown-sector'),
      source: rd.source(rc, 'recycling'),
    };
  }

  let substitution: Scenario['substitution'] = null;
  const sb = rd.map(child(top, 'substitution'), 'substitution', [
    'ratePerYear',
    'maxShare',
    'triggerPriceIndex',
    'source',
  ]);
  if (sb) {
    substitution = {
      ratePerYear: rd.number(child(sb, 'ratePerYear'), 'substitution.ratePerYear', { min: 0, max: 1 }) ?? 0.1,
      maxShare: rd.number(child(sb, 'maxShare'), 'substitution.maxShare', { min: 0, max: 1 }) ?? 0.3,
      trigger: rd.number(child(sb, 'triggerPriceIndex'), 'substitution.triggerPriceIndex', { min: 0 }) ?? 1.5,
      source: rd.source(sb, 'substitution'),
    };
  }

  let supplyResponse: Scenario['supplyResponse'] = null;
  const sr = rd.map(child(top, 'supplyResponse'), 'supplyResponse', [
    'sharePerYear',
    'leadMonths',
    'triggerPriceIndex',
    'source',
  ]);
  if (sr) {
    supplyResponse = {
      sharePerYear:
        rd.number(child(sr, 'sharePerYear'), 'supplyResponse.sharePerYear', { min: 0, max: 1 }) ?? 0.04,
      leadMonths: rd.number(child(sr, 'leadMonths'), 'supplyResponse.leadMonths', { min: 0, max: 120 }) ?? 12,
      trigger: rd.number(child(sr, 'triggerPriceIndex'), 'supplyResponse.triggerPriceIndex', { min: 0 }) ?? 2,
      source: rd.source(sr, 'supplyResponse'),
    };
  }

  let stockpileRelease = true;
  const sp = rd.map(child(top, 'stockpiles'), 'stockpiles', ['release', 'source']);
  if (sp) {
    const rel = child(sp, 'release');
    stockpileRelease = rel?.kind === 'scalar' ? rel.value !== false : true;
    rd.source(sp, 'stockpiles');
  }

  const products: ProductSpec[] = [];
  rd.seq(child(top, 'products'), 'products').forEach((node, i) => {
    const m = rd.map(node, `products[${i}]`, [
      'name',
      'region',
      'sector',
      'material',
      'kgPerUnit',
      'shareOfSector',
      'caveat',
      'source',
    ]);
    if (!m) return;
    const pname = rd.str(child(m, 'name'), `products[${i}].name`) ?? `product-${i + 1}`;
    const region = rd.region(child(m, 'region'), `products[${i}].region`);
    const sectorName = rd.str(child(m, 'sector'), `products[${i}].sector`) ?? '';
    const sector = sectorIndex(sectorName);
    if (sector < 0 && child(m, 'sector'))
      issues.add(child(m, 'sector')!, 'unknown-sector', `unknown sector "${sectorName}"`);
    const matName = rd.str(child(m, 'material'), `products[${i}].material`, false) ?? 'NdFeB';
    let material = (PRODUCTS as readonly string[]).indexOf(matName);
    if (material < 0) {
      const e = (ELEMENTS as readonly string[]).indexOf(matName);
      if (e >= 0) material = P + e;
      else issues.add(child(m, 'material')!, 'unknown-element', `unknown material or element "${matName}"`);
    }
    const kg = rd.dist(child(m, 'kgPerUnit'), `products[${i}].kgPerUnit`, 1e-6, 1e9);
    if (!kg) issues.add(m, 'required', `products[${i}].kgPerUnit is required`);
    products.push({
      name: pname,
      region,
      sector,
      material: Math.max(0, material),
      kgPerUnit: kg ?? { kind: 'fixed', v: 1 },
      shareOfSector: rd.number(child(m, 'shareOfSector'), 'shareOfSector', { min: 0, max: 1 }) ?? 1,
      caveat: rd.str(child(m, 'caveat'), 'caveat', false) ?? '',
      source: rd.source(m, `product ${pname}`),
    });
  });

  issues.throwIfAny();
  void R;
  return {
    name,
    title: rd.str(child(top, 'title'), 'title', false) ?? name,
    description: rd.str(child(top, 'description'), 'description', false) ?? '',
    start,
    horizonMonths,
    announcedCapacity: ann === 'none' || ann === 'all' ? ann : 'committed',
    allocation,
    tradeRestrictions,
    quota,
    demandGrowth,
    capacity,
    capacityShocks,
    recycling,
    substitution,
    supplyResponse,
    stockpileRelease,
    products,
    assumptions,
  };
}

/** The baseline scenario in code, for comparisons when the caller's scenario is not the baseline. */
export function baselineScenarioOf(s: Scenario): Scenario {
  return {
    ...s,
    name: 'baseline',
    title: 'Baseline (levers off)',
    description: 'Same start, horizon, allocation rule and products; no trade restrictions or other levers.',
    announcedCapacity: 'committed',
    tradeRestrictions: [],
    quota: null,
    demandGrowth: null,
    capacity: [],
    capacityShocks: [],
    recycling: null,
    substitution: null,
    supplyResponse: null,
    stockpileRelease: true,
    assumptions: [],
  };
}
