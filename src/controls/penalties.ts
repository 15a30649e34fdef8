import { Problem, type ProblemIssue } from '../core/errors.js';
import { type DataFile, Reader } from './data.js';
import { type IsoDate, parseAsOf } from './dates.js';

/**
 * Penalty calculator: for a violation the regulations list, the range of fines and the other measures, with
 * how the range was computed and the clause it comes from (data/controls/penalties.yaml).
 */

export type PenaltyBasis = 'illegal-gains' | 'illegal-turnover' | 'none';
export type FineTarget = 'enterprise' | 'individual';

export interface FineRule {
  readonly on: FineTarget;
  /** Multiple of the basis, applied when the basis ≥ threshold. */
  readonly multiple?: readonly [number, number];
  readonly threshold?: number;
  /** Fixed range in RMB (below the threshold, with no basis, or the only rule). */
  readonly range: readonly [number, number];
}

export interface PenaltyRule {
  readonly id: string;
  readonly title: string;
  readonly clause: string;
  readonly source: string;
  readonly tag: string;
  readonly effective: IsoDate;
  readonly authority: string;
  readonly basis: PenaltyBasis;
  readonly fines: readonly FineRule[];
  readonly measures: readonly string[];
  readonly serious: readonly string[];
  readonly onRefusal?: { readonly fines: readonly FineRule[]; readonly measures: readonly string[] };
  readonly consequences: readonly {
    readonly text: string;
    readonly source: string;
    readonly effective: IsoDate;
  }[];
}

function readFines(reader: Reader, raw: unknown, at: string): FineRule[] {
  return reader.array(raw, at).map((f, i) => {
    const p = `${at}/${i}`;
    const o = reader.object(f, p);
    const pair = (key: string): [number, number] | undefined => {
      if (o[key] === undefined) return undefined;
      const list = reader.array(o[key], `${p}/${key}`);
      const [lo, hi] = list;
      if (list.length !== 2 || typeof lo !== 'number' || typeof hi !== 'number' || lo < 0 || hi < lo) {
        reader.fail(`${p}/${key}`, 'expected [low, high] with 0 ≤ low ≤ high');
      }
      return [lo, hi];
    };
    const range = pair('range');
    if (range === undefined) reader.fail(`${p}/range`, 'every fine has a fixed range');
    const multiple = pair('multiple');
    const threshold = reader.optNumber(o, 'threshold', p);
    if ((multiple === undefined) !== (threshold === undefined))
      reader.fail(p, 'multiple and threshold go together');
    return {
      on: reader.oneOf(o, 'on', p, ['enterprise', 'individual'] as const),
      range,
      ...(multiple === undefined ? {} : { multiple }),
      ...(threshold === undefined ? {} : { threshold }),
    };
  });
}

export function loadPenaltyRules(files: readonly DataFile[]): PenaltyRule[] {
  const out: PenaltyRule[] = [];
  for (const file of files) {
    if (file.kind !== 'penalties') continue;
    const reader = new Reader(file.file);
    for (const [i, raw] of reader.array(file.body.violations, '/violations').entries()) {
      const at = `/violations/${i}`;
      const v = reader.object(raw, at);
      const refusal = v.onRefusal === undefined ? undefined : reader.object(v.onRefusal, `${at}/onRefusal`);
      const rule: PenaltyRule = {
        id: reader.string(v, 'id', at),
        title: reader.string(v, 'title', at),
        clause: reader.string(v, 'clause', at),
        source: reader.string(v, 'source', at),
        tag: reader.optString(v, 'tag', at) ?? 'U',
        effective: reader.date(v, 'effective', at),
        authority: reader.string(v, 'authority', at),
        basis: reader.oneOf(v, 'basis', at, ['illegal-gains', 'illegal-turnover', 'none'] as const),
        fines: readFines(reader, v.fines, `${at}/fines`),
        measures: reader.strings(v, 'measures', at),
        serious: reader.strings(v, 'serious', at),
        ...(refusal === undefined
          ? {}
          : {
              onRefusal: {
                fines: readFines(reader, refusal.fines, `${at}/onRefusal/fines`),
                measures: reader.strings(refusal, 'measures', `${at}/onRefusal`),
              },
            }),
        consequences: reader.array(v.consequences ?? [], `${at}/consequences`).map((c, j) => {
          const p = `${at}/consequences/${j}`;
          const o = reader.object(c, p);
          return {
            text: reader.string(o, 'text', p),
            source: reader.string(o, 'source', p),
            effective: reader.date(o, 'effective', p),
          };
        }),
      };
      if (out.some((r) => r.id === rule.id)) reader.fail(at, `duplicate violation id ${rule.id}`);
      if (rule.basis !== 'none' && !rule.fines.some((f) => f.multiple !== undefined))
        reader.fail(at, 'a basis needs a multiple');
      out.push(rule);
    }
  }
  return out;
}

export interface PenaltyRequest {
  readonly violation: string;
  readonly asOf: IsoDate;
  /** Illegal gains (Arts 21–23) or illegal turnover (ECL Arts 34, 37), RMB; absent = none established. */
  readonly basisCny?: number;
  /** The party refused to correct after an order (Arts 25–26 second tier). */
  readonly refusedToCorrect?: boolean;
  /** The authority finds the case serious (adds the "serious cases" measures). */
  readonly serious?: boolean;
}

export interface FineRange {
  readonly on: FineTarget;
  readonly minCny: number;
  readonly maxCny: number;
  /** How the range was computed, in words. */
  readonly computation: string;
}

export interface PenaltyAssessment {
  readonly violation: string;
  readonly title: string;
  readonly asOf: IsoDate;
  readonly clause: string;
  readonly source: string;
  readonly tag: string;
  readonly authority: string;
  readonly fines: readonly FineRange[];
  /** Sum of the enterprise ranges (the figure a risk model wants). */
  readonly enterpriseTotal: { readonly minCny: number; readonly maxCny: number };
  readonly measures: readonly string[];
  readonly consequences: readonly { readonly text: string; readonly source: string }[];
  readonly notes: readonly string[];
}

const fmt = (n: number): string => `RMB ${n.toLocaleString('en-US')}`;

function assessFine(rule: PenaltyRule, fine: FineRule, basis: number | undefined): FineRange {
  if (
    fine.multiple !== undefined &&
    fine.threshold !== undefined &&
    basis !== undefined &&
    basis >= fine.threshold
  ) {
    const [lo, hi] = fine.multiple;
    return {
      on: fine.on,
      minCny: Math.round(basis * lo),
      maxCny: Math.round(basis * hi),
      computation: `${lo}–${hi} × ${rule.basis} ${fmt(basis)} (basis ≥ ${fmt(fine.threshold)})`,
    };
  }
  const why =
    fine.multiple === undefined
      ? 'fixed range'
      : basis === undefined || basis === 0
        ? `no ${rule.basis} established: fixed range`
        : `${rule.basis} ${fmt(basis)} < ${fmt(fine.threshold ?? 0)}: fixed range`;
  return {
    on: fine.on,
    minCny: fine.range[0],
    maxCny: fine.range[1],
    computation: `${why} ${fmt(fine.range[0])}–${fmt(fine.range[1])}`,
  };
}

/** Validates a penalty request from the wire. */
export function parsePenaltyRequest(body: unknown): PenaltyRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Problem('bad-request', 'a penalty request is a JSON object');
  }
  const o = body as Record<string, unknown>;
  const issues: ProblemIssue[] = [];
  if (typeof o.violation !== 'string' || o.violation === '')
    issues.push({ field: '/violation', message: 'missing violation id' });
  let asOf = '';
  try {
    asOf = parseAsOf(o.asOf);
  } catch (error) {
    if (error instanceof Problem) issues.push(...error.issues);
    else throw error;
  }
  const basis = o.basisCny;
  if (
    basis !== undefined &&
    (typeof basis !== 'number' || !Number.isFinite(basis) || basis < 0 || basis > 1e15)
  ) {
    issues.push({ field: '/basisCny', message: 'a non-negative amount in RMB' });
  }
  if (issues.length > 0) {
    throw new Problem('bad-request', issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
  }
  return {
    violation: o.violation as string,
    asOf,
    ...(typeof basis === 'number' ? { basisCny: basis } : {}),
    ...(o.refusedToCorrect === true ? { refusedToCorrect: true } : {}),
    ...(o.serious === true ? { serious: true } : {}),
  };
}

export function assessPenalty(rules: readonly PenaltyRule[], request: PenaltyRequest): PenaltyAssessment {
  const rule = rules.find((r) => r.id === request.violation);
  if (rule === undefined) {
    throw new Problem(
      'bad-request',
      `unknown violation ${request.violation}; known: ${rules.map((r) => r.id).join(', ')}`,
      [{ field: '/violation', message: 'unknown violation' }],
    );
  }
  if (request.asOf < rule.effective) {
    throw new Problem(
      'bad-request',
      `${rule.clause} is not in force on ${request.asOf} (effective ${rule.effective})`,
      [{ field: '/asOf', message: 'before the rule took effect', rule: rule.id }],
    );
  }
  const notes: string[] = [];
  const basis = request.basisCny;
  if (rule.basis === 'none' && basis !== undefined)
    notes.push(`${rule.clause} fines do not depend on gains; basis ignored`);
  const fines: FineRange[] = rule.fines.map((f) =>
    assessFine(rule, f, rule.basis === 'none' ? undefined : basis),
  );
  const measures = [...rule.measures];
  if (request.refusedToCorrect === true) {
    if (rule.onRefusal === undefined) notes.push(`${rule.clause} has no separate refusal tier`);
    else {
      fines.push(
        ...rule.onRefusal.fines.map((f) => {
          const r = assessFine(rule, f, undefined);
          return { ...r, computation: `refused to correct: ${r.computation}` };
        }),
      );
      measures.push(...rule.onRefusal.measures);
    }
  }
  if (request.serious === true) measures.push(...rule.serious);
  let min = 0;
  let max = 0;
  for (const fine of fines) {
    if (fine.on !== 'enterprise') continue;
    min += fine.minCny;
    max += fine.maxCny;
  }
  return {
    violation: rule.id,
    title: rule.title,
    asOf: request.asOf,
    clause: rule.clause,
    source: rule.source,
    tag: rule.tag,
    authority: rule.authority,
    fines,
    enterpriseTotal: { minCny: min, maxCny: max },
    measures,
    consequences: rule.consequences
      .filter((c) => c.effective <= request.asOf)
      .map(({ text, source }) => ({ text, source })),
    notes,
  };
}
