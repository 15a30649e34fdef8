/**
 * The baseline data against the reference numbers (shared/reference/simulation.md §5.7) and its provenance rule.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isProblem } from '../core/errors.js';
import { loadBaseline, parseBaseline } from './baseline.js';
import { E, elementIndex, K, M, P, R } from './dims.js';
import { simulate } from './index.js';
import { compilePlan } from './plan.js';
import { parseScenario } from './scenario.js';

const baselineText = readFileSync(new URL('../../data/sim/baseline.yaml', import.meta.url), 'utf8');
const scenarioText = readFileSync(new URL('../../scenarios/baseline.yaml', import.meta.url), 'utf8');

describe('baseline data', () => {
  it('refuses a figure without a source and date, naming the line', () => {
    const broken = baselineText.replace(
      '  - { country: US, region: US, deposit: mountain-pass, v: 45000, src: MCS2025, date: "2024", tag: C }',
      '  - { country: US, region: US, deposit: mountain-pass, v: 45000 }',
    );
    expect(broken).not.toBe(baselineText);
    try {
      parseBaseline(broken);
      expect.unreachable();
    } catch (error) {
      expect(isProblem(error)).toBe(true);
      if (isProblem(error))
        expect(error.message).toMatch(/line \d+, column \d+: figure 45000 .* has no src and date/);
    }
  });

  it('world mine output 2024 is ~390 kt with China ~69% (USGS MCS 2025 rounds the world total; the country rows sum to 394 kt; tolerance 1.5%)', () => {
    const b = loadBaseline();
    const total = b.mines.reduce((a, m) => a + m.tPerYear, 0);
    const cn = b.mines.filter((m) => m.country === 'CN').reduce((a, m) => a + m.tPerYear, 0);
    expect(Math.abs(total - 390_000) / 390_000).toBeLessThan(0.015);
    expect(cn).toBe(270_000);
  });

  it('starting magnet-REE demand (Nd, Pr, Dy, Tb) is near IEA 93 kt (2023) grown a year; tolerance 85-110 kt', () => {
    const plan = compilePlan(loadBaseline(), parseScenario(scenarioText));
    let magnetRee = 0;
    for (let r = 0; r < R; r++) {
      for (let k = 0; k < K; k++) {
        for (let m = 0; m < M; m++) {
          const d = plan.demand0[(r * K + k) * M + m]! * 12;
          for (const el of ['Nd', 'Pr', 'Dy', 'Tb']) {
            const e = elementIndex(el);
            magnetRee += m < P ? d * plan.comp[m * E + e]! : m - P === e ? d : 0;
          }
        }
      }
    }
    expect(magnetRee).toBeGreaterThan(85_000);
    expect(magnetRee).toBeLessThan(110_000);
  });

  it('concentration in the first year: mining HHI ~5,000 (4,900-5,120), separation ~8,500 (8,300-8,600), China 94% of magnets (IEA; +/-2 points)', async () => {
    const r = await simulate(scenarioText, { draws: 4, workers: 1, compare: false });
    type C = {
      stage: string;
      year: number;
      hhi: { p50: number };
      topSupplier: string;
      topSupplierShare: { p50: number };
    };
    const c = (stage: string) => (r.concentration as C[]).find((x) => x.stage === stage && x.year === 2025)!;
    expect(c('mining').hhi.p50).toBeGreaterThan(4_900);
    expect(c('mining').hhi.p50).toBeLessThan(5_120);
    expect(c('separation').hhi.p50).toBeGreaterThan(8_300);
    expect(c('separation').hhi.p50).toBeLessThan(8_600);
    expect(c('magnet').topSupplier).toBe('CN');
    expect(Math.abs(c('magnet').topSupplierShare.p50 - 0.94)).toBeLessThan(0.02);
  });
});
