import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Problem } from '../core/errors.js';
import { assessPenalty, parsePenaltyRequest } from './penalties.js';
import { loadControlRules } from './rules.js';

const { penalties } = loadControlRules();

interface Case {
  clause: string;
  request: Record<string, unknown>;
  enterprise: [number, number];
  individual?: [number, number];
  measure?: string;
}

const cases: Case[] = [
  {
    clause: 'Art. 21 over quota, gains ≥ 500k: 5–10×',
    request: { violation: 'over-quota', asOf: '2025-01-01', basisCny: 2_000_000 },
    enterprise: [10_000_000, 20_000_000],
  },
  {
    clause: 'Art. 21 gains exactly 500k: multiple applies',
    request: { violation: 'over-quota', asOf: '2025-01-01', basisCny: 500_000 },
    enterprise: [2_500_000, 5_000_000],
  },
  {
    clause: 'Art. 21 gains < 500k: RMB 1–5 M',
    request: { violation: 'over-quota', asOf: '2025-01-01', basisCny: 499_999 },
    enterprise: [1_000_000, 5_000_000],
  },
  {
    clause: 'Art. 21 no gains: RMB 1–5 M',
    request: { violation: 'over-quota', asOf: '2025-01-01' },
    enterprise: [1_000_000, 5_000_000],
  },
  {
    clause: 'Art. 21 serious: suspension',
    request: { violation: 'over-quota', asOf: '2025-01-01', serious: true },
    enterprise: [1_000_000, 5_000_000],
    measure: 'suspension of production',
  },
  {
    clause: 'Art. 22 non-designated separation: RMB 2–5 M',
    request: { violation: 'non-designated-separation', asOf: '2025-01-01', basisCny: 100 },
    enterprise: [2_000_000, 5_000_000],
  },
  {
    clause: 'Art. 23 illegal source: RMB 0.5–2 M',
    request: { violation: 'illegal-source-dealing', asOf: '2024-10-01' },
    enterprise: [500_000, 2_000_000],
  },
  {
    clause: 'Art. 23 illegal source with gains 1 M',
    request: { violation: 'illegal-source-dealing', asOf: '2024-10-01', basisCny: 1_000_000 },
    enterprise: [5_000_000, 10_000_000],
  },
  {
    clause: 'Art. 25 traceability: RMB 50–200 k',
    request: { violation: 'traceability-failure', asOf: '2025-01-01' },
    enterprise: [50_000, 200_000],
  },
  {
    clause: 'Art. 25 refused to correct: + 200 k–1 M, individuals 20–50 k, suspension',
    request: { violation: 'traceability-failure', asOf: '2025-01-01', refusedToCorrect: true },
    enterprise: [250_000, 1_200_000],
    individual: [20_000, 50_000],
    measure: 'suspension of production',
  },
  {
    clause: 'Art. 26 obstruction',
    request: { violation: 'obstructing-inspection', asOf: '2025-01-01' },
    enterprise: [20_000, 100_000],
  },
  {
    clause: 'ECL Art. 34 unlicensed export, turnover 10 M',
    request: { violation: 'unlicensed-export', asOf: '2025-06-01', basisCny: 10_000_000 },
    enterprise: [50_000_000, 100_000_000],
  },
  {
    clause: 'ECL Art. 34 smuggling small turnover',
    request: { violation: 'smuggling', asOf: '2025-06-01', basisCny: 10_000 },
    enterprise: [500_000, 5_000_000],
  },
  {
    clause: 'ECL Art. 37 control-list dealing 10–20×',
    request: { violation: 'control-list-dealing', asOf: '2025-06-01', basisCny: 1_000_000 },
    enterprise: [10_000_000, 20_000_000],
  },
];

describe('penalty calculator (table)', () => {
  it.each(cases)('$clause', ({ request, enterprise, individual, measure }) => {
    const a = assessPenalty(penalties, parsePenaltyRequest(request));
    expect([a.enterpriseTotal.minCny, a.enterpriseTotal.maxCny]).toEqual(enterprise);
    if (individual !== undefined) {
      const ind = a.fines.find((f) => f.on === 'individual');
      expect([ind?.minCny, ind?.maxCny]).toEqual(individual);
    }
    if (measure !== undefined) expect(a.measures).toContain(measure);
    expect(a.source).toMatch(/reg\.md/);
    for (const fine of a.fines) expect(fine.computation.length).toBeGreaterThan(0);
  });

  it('Order No. 71 quota cut appears only from 2025-07-28', () => {
    const before = assessPenalty(
      penalties,
      parsePenaltyRequest({ violation: 'over-quota', asOf: '2025-07-27' }),
    );
    const after = assessPenalty(
      penalties,
      parsePenaltyRequest({ violation: 'over-quota', asOf: '2025-07-28' }),
    );
    expect(before.consequences).toHaveLength(0);
    expect(after.consequences[0]?.text).toMatch(/quota reduced/);
  });

  it('refuses a date before the Regulations took effect (2024-10-01)', () => {
    expect(() =>
      assessPenalty(penalties, parsePenaltyRequest({ violation: 'over-quota', asOf: '2024-09-30' })),
    ).toThrow(/not in force/);
  });

  it('refuses unknown violations and negative bases', () => {
    expect(() =>
      assessPenalty(penalties, parsePenaltyRequest({ violation: 'jaywalking', asOf: '2025-01-01' })),
    ).toThrow(Problem);
    expect(() => parsePenaltyRequest({ violation: 'over-quota', asOf: '2025-01-01', basisCny: -1 })).toThrow(
      /non-negative/,
    );
  });

  it('property: the range is ordered and monotone in the basis', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 0, max: 1e12 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const x = assessPenalty(penalties, { violation: 'over-quota', asOf: '2025-01-01', basisCny: lo });
        const y = assessPenalty(penalties, { violation: 'over-quota', asOf: '2025-01-01', basisCny: hi });
        expect(x.enterpriseTotal.minCny).toBeLessThanOrEqual(x.enterpriseTotal.maxCny);
        if (lo >= 500_000) expect(y.enterpriseTotal.maxCny).toBeGreaterThanOrEqual(x.enterpriseTotal.maxCny);
      }),
    );
  });
});
