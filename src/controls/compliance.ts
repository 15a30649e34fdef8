import { Problem } from '../core/errors.js';
import { type Element, elements, isRareEarth } from '../domain/elements.js';
import { type MaterialForm, materialForms, processes } from '../domain/forms.js';
import type { Lot } from '../domain/lot.js';
import { type DataFile, Reader } from './data.js';
import type { IsoDate } from './dates.js';
import type { ControlsLedger, Genealogy, GenealogyStep, StepKind } from './ports.js';

/**
 * Importer compliance: DFARS 252.225-7052 (US defence procurement) and the EU CRMA 65 % single-third-country
 * benchmark, both evaluated on the ledger's genealogy and traced origin, as of a date.
 */

export type DfarsStage = 'mining' | 'refining' | 'separation' | 'melting' | 'production' | 'manufacture';
const dfarsStages: readonly DfarsStage[] = [
  'mining',
  'refining',
  'separation',
  'melting',
  'production',
  'manufacture',
];

export interface DfarsVersion {
  readonly effective: IsoDate;
  readonly clause: string;
  readonly tag: string;
  readonly stages: readonly DfarsStage[];
  readonly cotsException: 'tungsten-50' | 'covered-material-50';
  readonly cotsClause: string;
}

export interface DfarsRules {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  readonly coveredCountries: readonly string[];
  readonly coveredForms: readonly MaterialForm[];
  readonly stageSteps: Readonly<Partial<Record<DfarsStage, readonly StepKind[]>>>;
  readonly versions: readonly DfarsVersion[];
}

export interface CrmaStage {
  readonly id: string;
  readonly from?: 'mining-origin' | 'separation-origin';
  readonly steps?: readonly StepKind[];
}

export interface CrmaRules {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  readonly effective: IsoDate;
  readonly singleThirdCountryMax: number;
  readonly strategicElements: readonly Element[];
  readonly euMembers: readonly string[];
  readonly stages: readonly CrmaStage[];
}

export interface ImporterComplianceRules {
  readonly dfars: DfarsRules;
  readonly crma: CrmaRules;
}

const stepKinds: readonly string[] = [...processes, 'mining', 'commissioning'];

export function loadImporterCompliance(files: readonly DataFile[]): ImporterComplianceRules | undefined {
  const file = files.find((f) => f.kind === 'importer-compliance');
  if (file === undefined) return undefined;
  const r = new Reader(file.file);
  const d = r.object(file.body.dfars, '/dfars');
  const stageStepsRaw = r.object(d.stageSteps, '/dfars/stageSteps');
  const stageSteps: Partial<Record<DfarsStage, StepKind[]>> = {};
  for (const key of Object.keys(stageStepsRaw)) {
    if (!(dfarsStages as readonly string[]).includes(key))
      r.fail(`/dfars/stageSteps/${key}`, 'unknown stage');
    stageSteps[key as DfarsStage] = r.strings(
      stageStepsRaw,
      key,
      '/dfars/stageSteps',
      stepKinds,
    ) as StepKind[];
  }
  const versions = r.array(d.versions, '/dfars/versions').map((raw, i) => {
    const at = `/dfars/versions/${i}`;
    const v = r.object(raw, at);
    return {
      effective: r.date(v, 'effective', at),
      clause: r.string(v, 'clause', at),
      tag: r.optString(v, 'tag', at) ?? 'U',
      stages: r.strings(v, 'stages', at, dfarsStages) as DfarsStage[],
      cotsException: r.oneOf(v, 'cotsException', at, ['tungsten-50', 'covered-material-50'] as const),
      cotsClause: r.string(v, 'cotsClause', at),
    };
  });
  versions.sort((a, b) => (a.effective < b.effective ? -1 : 1));
  const c = r.object(file.body.crma, '/crma');
  const max = r.number(c, 'singleThirdCountryMax', '/crma');
  if (max <= 0 || max > 1) r.fail('/crma/singleThirdCountryMax', 'a share in (0, 1]');
  return {
    dfars: {
      id: r.string(d, 'id', '/dfars'),
      title: r.string(d, 'title', '/dfars'),
      source: r.string(d, 'source', '/dfars'),
      coveredCountries: r.strings(d, 'coveredCountries', '/dfars'),
      coveredForms: r.strings(d, 'coveredForms', '/dfars', Object.keys(materialForms)) as MaterialForm[],
      stageSteps,
      versions,
    },
    crma: {
      id: r.string(c, 'id', '/crma'),
      title: r.string(c, 'title', '/crma'),
      source: r.string(c, 'source', '/crma'),
      effective: r.date(c, 'effective', '/crma'),
      singleThirdCountryMax: max,
      strategicElements: r.strings(c, 'strategicElements', '/crma', elements) as Element[],
      euMembers: r.strings(c, 'euMembers', '/crma'),
      stages: r.array(c.stages, '/crma/stages').map((raw, i) => {
        const at = `/crma/stages/${i}`;
        const s = r.object(raw, at);
        const from =
          s.from === undefined
            ? undefined
            : r.oneOf(s, 'from', at, ['mining-origin', 'separation-origin'] as const);
        const steps =
          s.steps === undefined ? undefined : (r.strings(s, 'steps', at, stepKinds) as StepKind[]);
        if ((from === undefined) === (steps === undefined))
          r.fail(at, 'a stage is read from an origin or from steps');
        return {
          id: r.string(s, 'id', at),
          ...(from === undefined ? {} : { from }),
          ...(steps === undefined ? {} : { steps }),
        };
      }),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Genealogy helpers

function producers(genealogy: Genealogy): Map<string, GenealogyStep> {
  const map = new Map<string, GenealogyStep>();
  for (const step of genealogy.steps) for (const out of step.outputs) map.set(out.lotId, step);
  return map;
}

/** Lot ids upstream of (and including) `lotId`. */
function upstreamOf(lotId: string, producedBy: Map<string, GenealogyStep>): Set<string> {
  const seen = new Set<string>();
  const stack = [lotId];
  while (stack.length > 0) {
    const id = stack.pop();
    if (id === undefined || seen.has(id)) continue;
    seen.add(id);
    for (const input of producedBy.get(id)?.inputs ?? []) stack.push(input.lotId);
  }
  return seen;
}

/** Fraction of a lot's total mass that came from lots satisfying `hit` (pool model per transformation). */
function massShareFrom(
  genealogy: Genealogy,
  producedBy: Map<string, GenealogyStep>,
  hit: (lot: Lot) => boolean,
): number {
  const memo = new Map<string, number>();
  const visit = (id: string): number => {
    const cached = memo.get(id);
    if (cached !== undefined) return cached;
    memo.set(id, 0); // guards against a malformed cyclic genealogy
    const lot = genealogy.lots.get(id);
    let result = 0;
    if (lot !== undefined && hit(lot)) result = 1;
    else {
      const step = producedBy.get(id);
      let total = 0;
      let through = 0;
      for (const input of step?.inputs ?? []) {
        total += input.consumedMg;
        through += input.consumedMg * visit(input.lotId);
      }
      result = total > 0 ? through / total : 0;
    }
    memo.set(id, result);
    return result;
  };
  return visit(genealogy.root.id);
}

// ---------------------------------------------------------------------------------------------------------
// DFARS

export interface DfarsFinding {
  readonly stage: DfarsStage;
  readonly country: string;
  /** The covered-material lot the finding is about, and the step (log seq) or origin share that decides it. */
  readonly lotId: string;
  readonly stepSeq?: number;
  readonly share?: number;
  readonly element?: Element;
  readonly message: string;
}

export interface DfarsRequest {
  readonly lotId: string;
  readonly asOf: IsoDate;
  /** The deliverable is a commercially available off-the-shelf item. */
  readonly cots?: boolean;
}

export interface DfarsResult {
  readonly lotId: string;
  readonly asOf: IsoDate;
  readonly status: 'compliant' | 'non-compliant' | 'undetermined' | 'exempt' | 'not-applicable';
  readonly clause: string;
  readonly source: string;
  readonly stagesChecked: readonly DfarsStage[];
  /** Lots of covered material in the genealogy. */
  readonly coveredLots: readonly string[];
  /** Share of the deliverable's mass that is covered material (pool model). */
  readonly coveredMassShare: number;
  /** Steps in covered countries (non-compliance) and in unknown countries (undetermined). */
  readonly findings: readonly DfarsFinding[];
  readonly unknowns: readonly DfarsFinding[];
  readonly exemption?: string;
  readonly truncated: boolean;
}

function dfarsVersion(rules: DfarsRules, asOf: IsoDate): DfarsVersion | undefined {
  let current: DfarsVersion | undefined;
  for (const v of rules.versions) if (v.effective <= asOf) current = v;
  return current;
}

export function assessDfars(rules: DfarsRules, genealogy: Genealogy, request: DfarsRequest): DfarsResult {
  const version = dfarsVersion(rules, request.asOf);
  if (version === undefined) {
    throw new Problem('bad-request', `${rules.id} is not in force on ${request.asOf}`, [
      { field: '/asOf', message: 'before the clause' },
    ]);
  }
  const producedBy = producers(genealogy);
  const covered = (lot: Lot): boolean => rules.coveredForms.includes(lot.form);
  const coveredLots = [...genealogy.lots.values()]
    .filter(covered)
    .map((l) => l.id)
    .sort();
  const base = {
    lotId: request.lotId,
    asOf: request.asOf,
    clause: version.clause,
    source: rules.source,
    stagesChecked: version.stages,
    coveredLots,
    truncated: genealogy.truncated,
  };
  if (coveredLots.length === 0) {
    return { ...base, status: 'not-applicable', coveredMassShare: 0, findings: [], unknowns: [] };
  }
  const coveredMassShare = massShareFrom(genealogy, producedBy, covered);
  const isCovered = (country: string): boolean => rules.coveredCountries.includes(country);
  const findings: DfarsFinding[] = [];
  const unknowns: DfarsFinding[] = [];
  const magnetUpstream = new Set<string>();
  for (const id of coveredLots) {
    const up = upstreamOf(id, producedBy);
    for (const u of up) magnetUpstream.add(u);
    const magnet = genealogy.lots.get(id);
    if (magnet === undefined) continue;
    for (const stage of version.stages) {
      if (stage === 'mining' || stage === 'separation') {
        // Traced origin by mass per rare-earth element of the magnet (the ledger carries it through every step).
        for (const [element, origin] of Object.entries(magnet.origin) as [
          Element,
          Lot['origin'][Element],
        ][]) {
          if (origin === undefined || !isRareEarth(element)) continue;
          const shares = stage === 'mining' ? origin.miningByMass : origin.separationByMass;
          for (const [country, share] of Object.entries(shares)) {
            if (share <= 0) continue;
            const finding = { stage, country, lotId: id, share, element };
            if (isCovered(country)) {
              findings.push({
                ...finding,
                message: `${element} in ${id}: ${(share * 100).toFixed(2)} % ${stage === 'mining' ? 'mined' : 'separated'} in ${country}`,
              });
            } else if (country === 'XX') {
              unknowns.push({
                ...finding,
                message: `${element} in ${id}: ${(share * 100).toFixed(2)} % of unknown ${stage} origin`,
              });
            }
          }
        }
        continue;
      }
      if (stage === 'manufacture') continue;
      const kinds = rules.stageSteps[stage] ?? [];
      for (const step of genealogy.steps) {
        if (!kinds.includes(step.kind) || !step.outputs.some((o) => up.has(o.lotId))) continue;
        const finding = { stage, country: step.country, lotId: id, stepSeq: step.seq };
        if (isCovered(step.country))
          findings.push({
            ...finding,
            message: `${step.kind} for ${id} at seq ${step.seq} in ${step.country}`,
          });
        else if (step.country === 'XX')
          unknowns.push({
            ...finding,
            message: `${step.kind} for ${id} at seq ${step.seq} in an unknown country`,
          });
      }
    }
  }
  if (version.stages.includes('manufacture')) {
    // The end item: assembly steps downstream of covered material.
    const kinds = rules.stageSteps.manufacture ?? [];
    for (const step of genealogy.steps) {
      if (!kinds.includes(step.kind) || !step.inputs.some((i) => magnetUpstream.has(i.lotId))) continue;
      const finding = {
        stage: 'manufacture' as const,
        country: step.country,
        lotId: request.lotId,
        stepSeq: step.seq,
      };
      if (isCovered(step.country))
        findings.push({
          ...finding,
          message: `end item manufactured (${step.kind}, seq ${step.seq}) in ${step.country}`,
        });
      else if (step.country === 'XX')
        unknowns.push({
          ...finding,
          message: `end item manufactured (seq ${step.seq}) in an unknown country`,
        });
    }
  }
  if (request.cots === true) {
    const exempt =
      version.cotsException === 'tungsten-50' ||
      (version.cotsException === 'covered-material-50' && coveredMassShare < 0.5);
    if (exempt) {
      return {
        ...base,
        status: 'exempt',
        coveredMassShare,
        findings,
        unknowns,
        exemption: `${version.cotsClause}; covered material is ${(coveredMassShare * 100).toFixed(2)} % of the item by weight`,
      };
    }
  }
  const status = findings.length > 0 ? 'non-compliant' : unknowns.length > 0 ? 'undetermined' : 'compliant';
  return { ...base, status, coveredMassShare, findings, unknowns };
}

export async function checkDfars(
  ledger: ControlsLedger,
  rules: DfarsRules,
  request: DfarsRequest,
): Promise<DfarsResult> {
  const genealogy = await ledger.upstream(request.lotId);
  if (genealogy === undefined) {
    throw new Problem('unknown-lot', `unknown lot ${request.lotId}`, [
      { field: '/lotId', record: request.lotId, message: 'unknown lot' },
    ]);
  }
  return assessDfars(rules, genealogy, request);
}

// ---------------------------------------------------------------------------------------------------------
// EU CRMA

export interface CrmaStageResult {
  readonly stage: string;
  /** Strategic-element mass that passed through this stage, mg. */
  readonly massMg: number;
  readonly shares: Readonly<Record<string, number>>;
  readonly largestThirdCountry?: string;
  readonly largestThirdCountryShare: number;
  readonly unknownShare: number;
  readonly benchmark: number;
  readonly exceedsBenchmark: boolean;
}

export interface CrmaResult {
  readonly asOf: IsoDate;
  readonly lots: readonly string[];
  readonly source: string;
  readonly clause: string;
  readonly stages: readonly CrmaStageResult[];
}

/**
 * Country shares of element `element` of the root that last passed through a step of one of `kinds`
 * (nearest such step going upstream). Mass that never passed such a step is left out.
 */
function stepCountryShares(
  genealogy: Genealogy,
  producedBy: Map<string, GenealogyStep>,
  element: Element,
  kinds: readonly StepKind[],
): Map<string, number> {
  const memo = new Map<string, Map<string, number>>();
  const visit = (id: string): Map<string, number> => {
    const cached = memo.get(id);
    if (cached !== undefined) return cached;
    const out = new Map<string, number>();
    memo.set(id, out);
    const step = producedBy.get(id);
    if (step === undefined) return out;
    if (kinds.includes(step.kind)) {
      out.set(step.country, 1);
      return out;
    }
    let total = 0;
    for (const input of step.inputs)
      total += (genealogy.lots.get(input.lotId)?.composition[element] ?? 0) * input.consumedMg;
    if (total <= 0) return out;
    for (const input of step.inputs) {
      const w = ((genealogy.lots.get(input.lotId)?.composition[element] ?? 0) * input.consumedMg) / total;
      if (w <= 0) continue;
      for (const [country, share] of visit(input.lotId))
        out.set(country, (out.get(country) ?? 0) + w * share);
    }
    return out;
  };
  return visit(genealogy.root.id);
}

export function assessCrma(rules: CrmaRules, genealogies: readonly Genealogy[], asOf: IsoDate): CrmaResult {
  if (asOf < rules.effective) {
    throw new Problem('bad-request', `${rules.id} is not in force on ${asOf}`, [
      { field: '/asOf', message: 'before the act' },
    ]);
  }
  const eu = new Set(rules.euMembers);
  const stages: CrmaStageResult[] = rules.stages.map((stage) => {
    const mass = new Map<string, number>();
    let total = 0;
    for (const g of genealogies) {
      const lot = g.root;
      const producedBy = producers(g);
      for (const element of rules.strategicElements) {
        const elementMg = (lot.composition[element] ?? 0) * lot.massMg;
        if (elementMg <= 0) continue;
        let shares: Iterable<[string, number]>;
        if (stage.from !== undefined) {
          const origin = lot.origin[element];
          const raw = stage.from === 'mining-origin' ? origin?.miningByMass : origin?.separationByMass;
          shares = Object.entries(raw ?? { XX: 1 }).filter(([c]) => c !== 'none');
        } else shares = stepCountryShares(g, producedBy, element, stage.steps ?? []);
        for (const [country, share] of shares) {
          mass.set(country, (mass.get(country) ?? 0) + elementMg * share);
          total += elementMg * share;
        }
      }
    }
    const shares: Record<string, number> = {};
    for (const country of [...mass.keys()].sort())
      shares[country] = total > 0 ? (mass.get(country) ?? 0) / total : 0;
    let largest: string | undefined;
    let largestShare = 0;
    for (const [country, share] of Object.entries(shares)) {
      if (eu.has(country) || country === 'XX') continue;
      if (share > largestShare) {
        largest = country;
        largestShare = share;
      }
    }
    return {
      stage: stage.id,
      massMg: total,
      shares,
      ...(largest === undefined ? {} : { largestThirdCountry: largest }),
      largestThirdCountryShare: largestShare,
      unknownShare: shares.XX ?? 0,
      benchmark: rules.singleThirdCountryMax,
      exceedsBenchmark: largestShare > rules.singleThirdCountryMax,
    };
  });
  return {
    asOf,
    lots: genealogies.map((g) => g.root.id),
    source: rules.source,
    clause: `${rules.title}: no single third country > ${rules.singleThirdCountryMax * 100} % at any stage`,
    stages,
  };
}

/** A company's intake: the lots it received or imported in [fromMs, toMs), or the lots named. */
export async function checkCrma(
  ledger: ControlsLedger,
  rules: CrmaRules,
  request: { asOf: IsoDate; partyId?: string; fromMs?: number; toMs?: number; lotIds?: readonly string[] },
): Promise<CrmaResult> {
  const ids = new Set(request.lotIds ?? []);
  if (request.partyId !== undefined) {
    if ((await ledger.getParty(request.partyId)) === undefined) {
      throw new Problem('unknown-party', `unknown party ${request.partyId}`, [
        { field: '/partyId', message: 'not registered' },
      ]);
    }
    for await (const fact of ledger.facts({
      partyId: request.partyId,
      kinds: ['receiving', 'import'],
      ...(request.fromMs === undefined ? {} : { fromMs: request.fromMs }),
      ...(request.toMs === undefined ? {} : { toMs: request.toMs }),
    })) {
      for (const id of fact.lotIds) ids.add(id);
    }
  }
  const genealogies: Genealogy[] = [];
  for (const id of [...ids].sort()) {
    const g = await ledger.upstream(id);
    if (g === undefined)
      throw new Problem('unknown-lot', `unknown lot ${id}`, [{ record: id, message: 'unknown lot' }]);
    genealogies.push(g);
  }
  return assessCrma(rules, genealogies, request.asOf);
}
