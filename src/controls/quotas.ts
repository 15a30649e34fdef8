import { Problem } from '../core/errors.js';
import {
  type Element,
  elements,
  isRareEarth,
  type RareEarthElement,
  rareEarthElements,
} from '../domain/elements.js';
import { type DataFile, Reader } from './data.js';
import { addDays, dateOfMs, type IsoDate } from './dates.js';
import type { ExportControlData, ExportRule } from './export-rules.js';
import type { Licence } from './licence-types.js';
import type { ControlsLedger, LedgerFact } from './ports.js';

/**
 * Total-quantity control (Regulations Art. 10; Interim Measures, Order No. 71): yearly quotas per enterprise
 * for mining (rock-type and ion-adsorption separately) and separation, optional per-element quotas, and
 * capacity caps per plant. Use is derived from ledger facts: mining = commissioning at a mine, separation =
 * the outputs of a separation transformation, both converted to t REO (the quota unit).
 */

export type OreType = 'rock' | 'ion-adsorption';
export type Enforcement = 'reject' | 'violation';
export type ControlRuleName = 'overQuota' | 'overCapacity' | 'undesignated' | 'unlicensedExport';

export interface RuleRef {
  readonly clause: string;
  readonly source: string;
  readonly effective: IsoDate;
}

export interface Allocation {
  readonly partyId: string;
  readonly name: string;
  readonly year: number;
  readonly source: string;
  /** t REO. */
  readonly mining: { readonly rock: number; readonly ion: number };
  readonly separation: number;
  readonly elements: readonly {
    readonly element: RareEarthElement;
    readonly activity: 'mining' | 'separation';
    readonly limit: number;
  }[];
  readonly mines: readonly { readonly locationId: string; readonly oreType: OreType }[];
  readonly plants: readonly {
    readonly locationId: string;
    readonly capacity: number;
    readonly utilisationCap: number;
  }[];
}

export interface NationalQuota {
  readonly year: number;
  readonly mining: number;
  readonly rock?: number;
  readonly ion?: number;
  readonly separation: number;
  readonly tag: string;
  readonly source: string;
}

export interface QuotaConfig {
  readonly version: string;
  readonly enforcement: Readonly<Record<ControlRuleName, Enforcement>>;
  readonly rules: Readonly<Record<ControlRuleName, RuleRef>>;
  readonly allocations: readonly Allocation[];
  readonly oxideFactors: Readonly<Partial<Record<Element, number>>>;
  readonly national: readonly NationalQuota[];
}

const ruleNames: readonly ControlRuleName[] = [
  'overQuota',
  'overCapacity',
  'undesignated',
  'unlicensedExport',
];
const tonneMg = 1_000_000_000;

export function loadQuotaConfig(files: readonly DataFile[]): QuotaConfig | undefined {
  const file = files.find((f) => f.kind === 'quotas');
  if (file === undefined) return undefined;
  const r = new Reader(file.file);
  const b = file.body;
  const enf = r.object(b.enforcement, '/enforcement');
  const rulesRaw = r.object(b.rules, '/rules');
  const enforcement = {} as Record<ControlRuleName, Enforcement>;
  const rules = {} as Record<ControlRuleName, RuleRef>;
  for (const name of ruleNames) {
    enforcement[name] = r.oneOf(enf, name, '/enforcement', ['reject', 'violation'] as const);
    const o = r.object(rulesRaw[name], `/rules/${name}`);
    rules[name] = {
      clause: r.string(o, 'clause', `/rules/${name}`),
      source: r.string(o, 'source', `/rules/${name}`),
      effective: r.date(o, 'effective', `/rules/${name}`),
    };
  }
  const nonNegative = (o: Record<string, unknown>, key: string, at: string): number => {
    const n = r.number(o, key, at);
    if (n < 0) r.fail(`${at}/${key}`, 'may not be negative');
    return n;
  };
  const allocations = r.array(b.allocations, '/allocations').map((raw, i): Allocation => {
    const at = `/allocations/${i}`;
    const a = r.object(raw, at);
    const mining = r.object(a.mining, `${at}/mining`);
    const year = r.number(a, 'year', at);
    if (!Number.isInteger(year) || year < 2000 || year > 2099) r.fail(`${at}/year`, 'a year 2000–2099');
    return {
      partyId: r.string(a, 'partyId', at),
      name: r.string(a, 'name', at),
      year,
      source: r.string(a, 'source', at),
      mining: {
        rock: nonNegative(mining, 'rock', `${at}/mining`),
        ion: nonNegative(mining, 'ion', `${at}/mining`),
      },
      separation: nonNegative(a, 'separation', at),
      elements: r.array(a.elements ?? [], `${at}/elements`).map((e, j) => {
        const p = `${at}/elements/${j}`;
        const o = r.object(e, p);
        return {
          element: r.oneOf(o, 'element', p, rareEarthElements),
          activity: r.oneOf(o, 'activity', p, ['mining', 'separation'] as const),
          limit: nonNegative(o, 'limit', p),
        };
      }),
      mines: r.array(a.mines ?? [], `${at}/mines`).map((m, j) => {
        const p = `${at}/mines/${j}`;
        const o = r.object(m, p);
        return {
          locationId: r.string(o, 'locationId', p),
          oreType: r.oneOf(o, 'oreType', p, ['rock', 'ion-adsorption'] as const),
        };
      }),
      plants: r.array(a.plants ?? [], `${at}/plants`).map((m, j) => {
        const p = `${at}/plants/${j}`;
        const o = r.object(m, p);
        const cap = r.optNumber(o, 'utilisationCap', p) ?? 1;
        if (cap <= 0 || cap > 1.5) r.fail(`${p}/utilisationCap`, 'a fraction in (0, 1.5]');
        return {
          locationId: r.string(o, 'locationId', p),
          capacity: nonNegative(o, 'capacity', p),
          utilisationCap: cap,
        };
      }),
    };
  });
  const seen = new Set<string>();
  for (const a of allocations) {
    const key = `${a.partyId}|${a.year}`;
    if (seen.has(key)) r.fail('/allocations', `two allocations for ${key}`);
    seen.add(key);
  }
  const factorsRaw = r.object(b.oxideFactors, '/oxideFactors');
  const oxideFactors: Partial<Record<Element, number>> = {};
  for (const [key, value] of Object.entries(factorsRaw)) {
    if (!isRareEarth(key)) r.fail(`/oxideFactors/${key}`, 'not a rare earth');
    if (typeof value !== 'number' || value < 1 || value > 2)
      r.fail(`/oxideFactors/${key}`, 'a factor in [1, 2]');
    oxideFactors[key as Element] = value as number;
  }
  for (const e of rareEarthElements)
    if (oxideFactors[e] === undefined) r.fail('/oxideFactors', `missing ${e}`);
  const national: NationalQuota[] = [];
  const nf = files.find((f) => f.kind === 'national-quotas');
  if (nf !== undefined) {
    const nr = new Reader(nf.file);
    for (const [i, raw] of nr.array(nf.body.years, '/years').entries()) {
      const at = `/years/${i}`;
      const y = nr.object(raw, at);
      const rock = nr.optNumber(y, 'rock', at);
      const ion = nr.optNumber(y, 'ion', at);
      const mining = nr.number(y, 'mining', at);
      if (rock !== undefined && ion !== undefined && rock + ion !== mining)
        nr.fail(at, 'rock + ion ≠ mining');
      national.push({
        year: nr.number(y, 'year', at),
        mining,
        ...(rock === undefined ? {} : { rock }),
        ...(ion === undefined ? {} : { ion }),
        separation: nr.number(y, 'separation', at),
        tag: nr.string(y, 'tag', at),
        source: nr.string(y, 'source', at),
      });
    }
  }
  return { version: file.version, enforcement, rules, allocations, oxideFactors, national };
}

// ---------------------------------------------------------------------------------------------------------
// Usage

/** Usage so far, REO mg, by quota key (see `quotaKey`). */
export type QuotaUsage = Map<string, number>;

export type QuotaLineKind = 'mining-rock' | 'mining-ion' | 'separation' | 'element' | 'plant';

export function quotaKey(partyId: string, year: number, kind: QuotaLineKind, detail = ''): string {
  return `${partyId}|${year}|${kind}|${detail}`;
}

export interface QuotaLine {
  readonly key: string;
  readonly kind: QuotaLineKind;
  readonly label: string;
  /** REO mg. */
  readonly limitMg: number;
}

/** Every quota line of an enterprise in a year. */
export function quotaLines(config: QuotaConfig, partyId: string, year: number): QuotaLine[] {
  const a = config.allocations.find((x) => x.partyId === partyId && x.year === year);
  if (a === undefined) return [];
  const lines: QuotaLine[] = [
    {
      key: quotaKey(partyId, year, 'mining-rock'),
      kind: 'mining-rock',
      label: 'mining, rock-type (light)',
      limitMg: a.mining.rock * tonneMg,
    },
    {
      key: quotaKey(partyId, year, 'mining-ion'),
      kind: 'mining-ion',
      label: 'mining, ion-adsorption (medium/heavy)',
      limitMg: a.mining.ion * tonneMg,
    },
    {
      key: quotaKey(partyId, year, 'separation'),
      kind: 'separation',
      label: 'smelting/separation',
      limitMg: a.separation * tonneMg,
    },
  ];
  for (const e of a.elements) {
    lines.push({
      key: quotaKey(partyId, year, 'element', `${e.activity}:${e.element}`),
      kind: 'element',
      label: `${e.activity}, ${e.element} oxide`,
      limitMg: e.limit * tonneMg,
    });
  }
  for (const p of a.plants) {
    lines.push({
      key: quotaKey(partyId, year, 'plant', p.locationId),
      kind: 'plant',
      label: `capacity of plant ${p.locationId} × ${p.utilisationCap}`,
      limitMg: p.capacity * p.utilisationCap * tonneMg,
    });
  }
  return lines;
}

/** REO mass (mg) of the rare earths in element masses. */
export function reoMg(config: QuotaConfig, masses: Partial<Record<Element, number>>): number {
  let total = 0;
  for (const e of rareEarthElements) {
    const m = masses[e];
    if (m !== undefined && m > 0) total += m * (config.oxideFactors[e] ?? 1);
  }
  return total;
}

export function yearOfMs(ms: number): number {
  return new Date(ms).getUTCFullYear();
}

export interface Contribution {
  readonly key: string;
  readonly kind: QuotaLineKind;
  readonly mg: number;
}

/** What a fact adds to quota lines, or why it is not allowed at all (an undesignated producer or site). */
export function contributions(
  config: QuotaConfig,
  fact: LedgerFact,
): { adds: Contribution[]; undesignated?: string } {
  if (fact.kind !== 'mining' && fact.kind !== 'separation') return { adds: [] };
  const year = yearOfMs(fact.eventTime);
  const a = config.allocations.find((x) => x.partyId === fact.partyId && x.year === year);
  if (a === undefined)
    return { adds: [], undesignated: `${fact.partyId} holds no ${fact.kind} quota for ${year}` };
  const adds: Contribution[] = [];
  const reo = reoMg(config, fact.elementMassesMg);
  if (fact.kind === 'mining') {
    const mine = a.mines.find((m) => m.locationId === fact.locationId);
    if (mine === undefined)
      return {
        adds: [],
        undesignated: `mine ${fact.locationId} is not a designated mine of ${fact.partyId}`,
      };
    const kind = mine.oreType === 'rock' ? 'mining-rock' : 'mining-ion';
    adds.push({ key: quotaKey(fact.partyId, year, kind), kind, mg: reo });
  } else {
    const plant = a.plants.find((p) => p.locationId === fact.locationId);
    if (plant === undefined)
      return {
        adds: [],
        undesignated: `plant ${fact.locationId} is not a designated separation plant of ${fact.partyId}`,
      };
    adds.push({ key: quotaKey(fact.partyId, year, 'separation'), kind: 'separation', mg: reo });
    adds.push({ key: quotaKey(fact.partyId, year, 'plant', plant.locationId), kind: 'plant', mg: reo });
  }
  for (const e of a.elements) {
    if (e.activity !== fact.kind) continue;
    const m = fact.elementMassesMg[e.element] ?? 0;
    if (m > 0)
      adds.push({
        key: quotaKey(fact.partyId, year, 'element', `${e.activity}:${e.element}`),
        kind: 'element',
        mg: m * (config.oxideFactors[e.element] ?? 1),
      });
  }
  return { adds };
}

/** Folds facts into usage (the ledger can keep this running, adding each accepted capture's facts). */
export function addUsage(config: QuotaConfig, usage: QuotaUsage, facts: Iterable<LedgerFact>): QuotaUsage {
  for (const fact of facts) {
    for (const c of contributions(config, fact).adds) usage.set(c.key, (usage.get(c.key) ?? 0) + c.mg);
  }
  return usage;
}

/** Usage of one enterprise in one year, read from the ledger. */
export async function deriveUsage(
  ledger: ControlsLedger,
  config: QuotaConfig,
  partyId: string,
  year: number,
): Promise<QuotaUsage> {
  const usage: QuotaUsage = new Map();
  for await (const fact of ledger.facts({
    partyId,
    kinds: ['mining', 'separation'],
    fromMs: Date.UTC(year, 0, 1),
    toMs: Date.UTC(year + 1, 0, 1),
  })) {
    for (const c of contributions(config, fact).adds) usage.set(c.key, (usage.get(c.key) ?? 0) + c.mg);
  }
  return usage;
}

// ---------------------------------------------------------------------------------------------------------
// Capture-time check

export interface ControlViolation {
  readonly code: 'over-quota' | 'over-capacity' | 'undesignated' | 'unlicensed-export' | 'licence-not-valid';
  readonly enforcement: Enforcement;
  /** Index of the fact in the capture. */
  readonly fact: number;
  readonly partyId: string;
  readonly message: string;
  readonly clause: string;
  readonly source: string;
  readonly quotaKey?: string;
  readonly limitMg?: number;
  readonly usedMg?: number;
  readonly addedMg?: number;
  readonly licenceId?: string;
}

export interface CaptureControlInput {
  /** The date the capture is checked as of (its event date). */
  readonly asOf: IsoDate;
  /** What the capture would add, as facts (seq may be 0: not yet assigned). */
  readonly facts: readonly LedgerFact[];
  /** Usage before this capture, for the enterprises and years the facts touch. Not modified. */
  readonly usage: ReadonlyMap<string, number>;
  readonly quotas: QuotaConfig;
  /** Export rules, to decide which exports need a licence; omit to skip the licence check. */
  readonly exportControls?: ExportControlData;
  /** Licences by id (the export fact's `licenceId`). */
  readonly licences?: (id: string) => Licence | undefined;
  /** Country of a location (exports are controlled when they leave China). */
  readonly countryOf?: (locationId: string) => string | undefined;
}

export interface CaptureControlResult {
  readonly decision: 'accept' | 'accept-with-violations' | 'reject';
  readonly violations: readonly ControlViolation[];
  /** REO mg to add to usage if the capture is accepted. */
  readonly usageDelta: ReadonlyMap<string, number>;
  /** Licence draw-downs to record if accepted. */
  readonly drawdowns: readonly {
    readonly licenceId: string;
    readonly massMg: number;
    readonly fact: number;
  }[];
}

function elementRuleInForce(
  rule: ExportRule,
  setEffective: IsoDate,
  suspensions: readonly { from: IsoDate; until: IsoDate }[],
  asOf: IsoDate,
): boolean {
  if (rule.type !== 'export-item') return false;
  if (asOf < rule.effective || asOf < setEffective) return false;
  return ![...suspensions, ...rule.suspensions].some((s) => asOf >= s.from && asOf <= s.until);
}

/**
 * The pure capture-time control check the ledger calls before it appends: quotas (over quota, over plant
 * capacity, production by an undesignated enterprise or site) and export licences (an export of controlled
 * elements from China with no valid licence, or beyond it). Each violation is enforced as configured
 * (`reject` or `violation`); the capture is rejected if any violation is `reject`. Writes nothing.
 *
 * The licence check works at element level (a fact carries element masses, not forms): an export whose
 * elements fall under an export-item rule in force needs a licence. The full screening (forms, HS codes,
 * end users) is `screen()`.
 */
export function checkCaptureControls(input: CaptureControlInput): CaptureControlResult {
  const { quotas } = input;
  const violations: ControlViolation[] = [];
  const delta = new Map<string, number>();
  const drawdowns: { licenceId: string; massMg: number; fact: number }[] = [];
  const lineCache = new Map<string, Map<string, QuotaLine>>();
  const linesOf = (partyId: string, year: number): Map<string, QuotaLine> => {
    const k = `${partyId}|${year}`;
    let lines = lineCache.get(k);
    if (lines === undefined) {
      lines = new Map(quotaLines(quotas, partyId, year).map((l) => [l.key, l]));
      lineCache.set(k, lines);
    }
    return lines;
  };
  const licenceUse = new Map<string, { mg: number; exports: number }>();
  // Each rule applies from its effective date (quotas.yaml `rules`), as of the capture's date.
  const inForce = (name: ControlRuleName): boolean => input.asOf >= quotas.rules[name].effective;
  for (const [index, fact] of input.facts.entries()) {
    const { adds, undesignated } = contributions(quotas, fact);
    if (undesignated !== undefined && inForce('undesignated')) {
      const rule = quotas.rules.undesignated;
      violations.push({
        code: 'undesignated',
        enforcement: quotas.enforcement.undesignated,
        fact: index,
        partyId: fact.partyId,
        message: undesignated,
        clause: rule.clause,
        source: rule.source,
      });
    }
    const lines = linesOf(fact.partyId, yearOfMs(fact.eventTime));
    for (const add of adds) {
      if (add.mg <= 0) continue;
      const before = (input.usage.get(add.key) ?? 0) + (delta.get(add.key) ?? 0);
      delta.set(add.key, (delta.get(add.key) ?? 0) + add.mg);
      const line = lines.get(add.key);
      if (line === undefined || before + add.mg <= line.limitMg) continue;
      const capacity = add.kind === 'plant';
      const ruleName: ControlRuleName = capacity ? 'overCapacity' : 'overQuota';
      if (!inForce(ruleName)) continue;
      const rule = quotas.rules[ruleName];
      violations.push({
        code: capacity ? 'over-capacity' : 'over-quota',
        enforcement: quotas.enforcement[ruleName],
        fact: index,
        partyId: fact.partyId,
        message: `${line.label}: ${((before + add.mg) / tonneMg).toFixed(3)} t REO would exceed ${(line.limitMg / tonneMg).toFixed(3)} t`,
        clause: rule.clause,
        source: rule.source,
        quotaKey: add.key,
        limitMg: line.limitMg,
        usedMg: before,
        addedMg: add.mg,
      });
    }
    if (fact.kind === 'export' && input.exportControls !== undefined) {
      const from = input.countryOf?.(fact.locationId);
      if (from !== undefined && from !== 'CN') continue;
      const controlled = new Set<Element>();
      for (const set of input.exportControls.rulesets) {
        for (const rule of set.rules) {
          if (
            rule.type !== 'export-item' ||
            !elementRuleInForce(rule, set.effective, set.suspensions, input.asOf)
          )
            continue;
          // Element level, narrowed by form when the fact knows its lots' forms (an EV is not a Dy item).
          const forms = fact.forms;
          if (
            forms !== undefined &&
            rule.pattern.forms.length > 0 &&
            !forms.some((f) => rule.pattern.forms.includes(f))
          )
            continue;
          for (const e of rule.pattern.elements) if ((fact.elementMassesMg[e] ?? 0) > 0) controlled.add(e);
        }
      }
      if (controlled.size === 0 || !inForce('unlicensedExport')) continue;
      const rule = quotas.rules.unlicensedExport;
      const base = {
        enforcement: quotas.enforcement.unlicensedExport,
        fact: index,
        partyId: fact.partyId,
        clause: rule.clause,
        source: rule.source,
      };
      const els = [...controlled].join(', ');
      if (fact.licenceId === undefined) {
        violations.push({
          ...base,
          code: 'unlicensed-export',
          message: `export of controlled ${els} with no licence`,
        });
        continue;
      }
      const licence = input.licences?.(fact.licenceId);
      const used = licenceUse.get(fact.licenceId) ?? { mg: 0, exports: 0 };
      const why = licenceProblem(licence, fact, input.asOf, used);
      if (why !== undefined) {
        violations.push({
          ...base,
          code: 'licence-not-valid',
          licenceId: fact.licenceId,
          message: `licence ${fact.licenceId}: ${why}`,
        });
        continue;
      }
      licenceUse.set(fact.licenceId, { mg: used.mg + fact.massMg, exports: used.exports + 1 });
      drawdowns.push({ licenceId: fact.licenceId, massMg: fact.massMg, fact: index });
    }
  }
  const rejected = violations.some((v) => v.enforcement === 'reject');
  return {
    decision: rejected ? 'reject' : violations.length > 0 ? 'accept-with-violations' : 'accept',
    violations,
    usageDelta: rejected ? new Map() : delta,
    drawdowns: rejected ? [] : drawdowns,
  };
}

function licenceProblem(
  licence: Licence | undefined,
  fact: LedgerFact,
  asOf: IsoDate,
  pending: { mg: number; exports: number },
): string | undefined {
  if (licence === undefined) return 'unknown licence';
  if (licence.status !== 'approved') return `status ${licence.status}`;
  if (
    licence.validFrom === undefined ||
    licence.validUntil === undefined ||
    asOf < licence.validFrom ||
    asOf > licence.validUntil
  ) {
    return `not valid on ${asOf} (${licence.validFrom ?? '?'}..${licence.validUntil ?? '?'})`;
  }
  if (licence.holderId !== fact.partyId) return `held by ${licence.holderId}, not ${fact.partyId}`;
  // A licensed export must say where it goes and to whom, or the licence's limits cannot be checked.
  if (fact.destinationCountry === undefined) return 'the export names no destination country';
  if (fact.counterpartyId === undefined) return 'the export names no consignee';
  if (!licence.limits.destinations.includes(fact.destinationCountry)) {
    return `destination ${fact.destinationCountry} not covered`;
  }
  if (!licence.limits.endUserIds.includes(fact.counterpartyId)) {
    return `consignee ${fact.counterpartyId} not named`;
  }
  if (
    licence.limits.elements.length > 0 &&
    !licence.limits.elements.some((e) => (fact.elementMassesMg[e] ?? 0) > 0)
  ) {
    return 'elements not covered';
  }
  if (licence.type === 'single' && licence.exportsDrawn + pending.exports > 0)
    return 'single licence already used';
  if (licence.usedMg + pending.mg + fact.massMg > licence.limits.quantityMg) {
    return `quantity ${fact.massMg} mg exceeds the ${licence.limits.quantityMg - licence.usedMg - pending.mg} mg left`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Monthly flow report

export interface FlowLine {
  readonly seq: number;
  readonly date: IsoDate;
  readonly kind: LedgerFact['kind'];
  readonly locationId: string;
  readonly lotIds: readonly string[];
  readonly counterpartyId?: string;
  readonly destinationCountry?: string;
  readonly massMg: number;
  readonly reoMg: number;
  readonly elementMassesMg: Partial<Record<Element, number>>;
}

export interface MonthlyFlowReport {
  readonly enterprise: string;
  readonly name?: string;
  /** YYYY-MM. */
  readonly month: string;
  readonly from: IsoDate;
  readonly to: IsoDate;
  /** The report must be entered by this day (the 10th of the next month). */
  readonly dueBy: IsoDate;
  readonly basis: string;
  /** Totals for the month by fact kind: mass, REO and element masses, mg. */
  readonly totals: Readonly<
    Record<
      string,
      { massMg: number; reoMg: number; events: number; elementMassesMg: Partial<Record<Element, number>> }
    >
  >;
  /** Year-to-date use (through the end of the month) against each quota line. */
  readonly quotas: readonly {
    readonly label: string;
    readonly limitT: number;
    readonly usedT: number;
    readonly share: number;
  }[];
  readonly lines: readonly FlowLine[];
}

export const monthlyReportDueDay = 10;

export function parseMonth(month: unknown): { year: number; month: number } {
  if (typeof month !== 'string' || !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
    throw new Problem('bad-request', `month must be YYYY-MM, got ${JSON.stringify(month)}`, [
      { field: '/month', message: 'not YYYY-MM' },
    ]);
  }
  const year = Number(month.slice(0, 4));
  if (year < 2000 || year > 2099)
    throw new Problem('bad-request', `month ${month} is out of range`, [
      { field: '/month', message: 'date out of range' },
    ]);
  return { year, month: Number(month.slice(5, 7)) };
}

/**
 * The product-flow report a quota holder enters each month (Interim Measures: the previous month's flow data
 * before the 10th; Regulations Art. 14). Streams the enterprise's facts from 1 January to the end of the month.
 */
export async function monthlyFlowReport(
  ledger: ControlsLedger,
  config: QuotaConfig,
  request: { partyId: string; month: string },
): Promise<MonthlyFlowReport> {
  const { year, month } = parseMonth(request.month);
  const party = await ledger.getParty(request.partyId);
  if (party === undefined) {
    throw new Problem('unknown-party', `unknown party ${request.partyId}`, [
      { field: '/partyId', record: request.partyId, message: 'not registered' },
    ]);
  }
  const fromMs = Date.UTC(year, month - 1, 1);
  const toMs = Date.UTC(year, month, 1);
  const from = dateOfMs(fromMs);
  const to = addDays(dateOfMs(toMs), -1);
  const usage: QuotaUsage = new Map();
  const totals: Record<
    string,
    { massMg: number; reoMg: number; events: number; elementMassesMg: Partial<Record<Element, number>> }
  > = {};
  const lines: FlowLine[] = [];
  for await (const fact of ledger.facts({ partyId: request.partyId, fromMs: Date.UTC(year, 0, 1), toMs })) {
    for (const c of contributions(config, fact).adds) usage.set(c.key, (usage.get(c.key) ?? 0) + c.mg);
    if (fact.eventTime < fromMs) continue;
    const reo = reoMg(config, fact.elementMassesMg);
    let t = totals[fact.kind];
    if (t === undefined) {
      t = { massMg: 0, reoMg: 0, events: 0, elementMassesMg: {} };
      totals[fact.kind] = t;
    }
    t.massMg += fact.massMg;
    t.reoMg += reo;
    t.events += 1;
    for (const e in fact.elementMassesMg) {
      const m = fact.elementMassesMg[e as Element] ?? 0;
      t.elementMassesMg[e as Element] = (t.elementMassesMg[e as Element] ?? 0) + m;
    }
    lines.push({
      seq: fact.seq,
      date: dateOfMs(fact.eventTime),
      kind: fact.kind,
      locationId: fact.locationId,
      lotIds: fact.lotIds,
      ...(fact.counterpartyId === undefined ? {} : { counterpartyId: fact.counterpartyId }),
      ...(fact.destinationCountry === undefined ? {} : { destinationCountry: fact.destinationCountry }),
      massMg: fact.massMg,
      reoMg: reo,
      elementMassesMg: fact.elementMassesMg,
    });
  }
  const next = month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
  return {
    enterprise: request.partyId,
    name: party.name,
    month: request.month,
    from,
    to,
    dueBy: `${next}-${String(monthlyReportDueDay).padStart(2, '0')}`,
    basis:
      "Interim Measures (Order No. 71): previous month's flow data entered before the 10th; Regulations Art. 14 (reg.md §1.4, §2.2)",
    totals,
    quotas: quotaLines(config, request.partyId, year).map((line) => {
      const used = usage.get(line.key) ?? 0;
      return {
        label: line.label,
        limitT: line.limitMg / tonneMg,
        usedT: used / tonneMg,
        share: line.limitMg > 0 ? used / line.limitMg : used > 0 ? Number.POSITIVE_INFINITY : 0,
      };
    }),
    lines,
  };
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The report's lines as CSV (kg with 6 decimals, so milligrams survive), with a header row. */
export function monthlyReportCsv(report: MonthlyFlowReport): string {
  const present = elements.filter(
    (e) => isRareEarth(e) && report.lines.some((l) => (l.elementMassesMg[e] ?? 0) > 0),
  );
  const kg = (mg: number): string => (mg / 1_000_000).toFixed(6);
  const header = [
    'enterprise',
    'month',
    'seq',
    'date',
    'kind',
    'location',
    'lots',
    'counterparty',
    'destination',
    'mass_kg',
    'reo_kg',
    ...present.map((e) => `${e}_kg`),
  ];
  const rows = [header.join(',')];
  for (const l of report.lines) {
    rows.push(
      [
        csvField(report.enterprise),
        report.month,
        String(l.seq),
        l.date,
        l.kind,
        csvField(l.locationId),
        csvField(l.lotIds.join(' ')),
        csvField(l.counterpartyId ?? ''),
        l.destinationCountry ?? '',
        kg(l.massMg),
        kg(l.reoMg),
        ...present.map((e) => kg(l.elementMassesMg[e] ?? 0)),
      ].join(','),
    );
  }
  return `${rows.join('\n')}\n`;
}

/** The published national quota for a year (reference data), or undefined. */
export function nationalQuota(config: QuotaConfig, year: number): NationalQuota | undefined {
  return config.national.find((n) => n.year === year);
}
