/**
 * Mass balance at every stage and every step (flodym-style check): for each node, stock change equals inflows
 * minus outflows; conversions conserve each element; trade out equals trade in; and the whole system changes
 * only by what crosses its boundary (mining and recycling in, consumption out).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBaseline } from './baseline.js';
import { E, K, M, P, R } from './dims.js';
import { Kernel, type MonthFlows, type StockSnapshot } from './kernel.js';
import { compilePlan, type Plan, sampleTheta } from './plan.js';
import { parseScenario } from './scenario.js';

function check(plan: Plan, theta: Float64Array): { steps: number; checks: number; worst: number } {
  const kernel = new Kernel(plan);
  const out = new Float64Array(kernel.layout.nScalar);
  const series = new Float64Array(kernel.layout.nSeries);
  let steps = 0;
  let checks = 0;
  let worst = 0;
  const expectClose = (a: number, b: number, what: string, t: number): void => {
    const scale = Math.max(1, Math.abs(a), Math.abs(b));
    const err = Math.abs(a - b) / scale;
    worst = Math.max(worst, err);
    checks++;
    if (err > 1e-9) throw new Error(`mass balance broken at month ${t}: ${what}: ${a} vs ${b}`);
  };
  const comp = plan.comp;
  kernel.run(theta, out, series, (t: number, before: StockSnapshot, after: StockSnapshot, f: MonthFlows) => {
    steps++;
    const sysIn = new Float64Array(E);
    const sysOut = new Float64Array(E);
    const content = (s: StockSnapshot): Float64Array => {
      const c = new Float64Array(E);
      for (let r = 0; r < R; r++) {
        for (let e = 0; e < E; e++) c[e]! += s.conc[r * E + e]! + s.ox[r * E + e]! + s.met[r * E + e]!;
        for (let q = 0; q < P; q++) for (let e = 0; e < E; e++) c[e]! += s.mag[r * P + q]! * comp[q * E + e]!;
        for (let m = 0; m < M; m++) {
          let u = s.gov[r * M + m]!;
          for (let k = 0; k < K; k++) u += s.user[(r * K + k) * M + m]!;
          if (m < P) for (let e = 0; e < E; e++) c[e]! += u * comp[m * E + e]!;
          else c[m - P]! += u;
        }
      }
      return c;
    };
    for (let r = 0; r < R; r++) {
      for (let e = 0; e < E; e++) {
        const i = r * E + e;
        // Mining stage (concentrate).
        expectClose(
          after.conc[i]! - before.conc[i]!,
          f.mined[i]! + f.imp[(0 * R + r) * E + e]! - f.exp[(0 * R + r) * E + e]! - f.sepIn[i]!,
          `conc ${r}/${e}`,
          t,
        );
        // Separation stage (oxide): separation and recycling in, metal making and direct users out.
        expectClose(
          after.ox[i]! - before.ox[i]!,
          f.sepOut[i]! +
            f.recycled[i]! +
            f.imp[(1 * R + r) * E + e]! -
            f.exp[(1 * R + r) * E + e]! -
            f.metIn[i]! -
            f.delivered[r * M + P + e]!,
          `oxide ${r}/${e}`,
          t,
        );
        // Metal stage.
        expectClose(
          after.met[i]! - before.met[i]!,
          f.metOut[i]! + f.imp[(2 * R + r) * E + e]! - f.exp[(2 * R + r) * E + e]! - f.magIn[i]!,
          `metal ${r}/${e}`,
          t,
        );
        // Conversions conserve each element.
        expectClose(f.sepIn[i]!, f.sepOut[i]!, `separation ${r}/${e}`, t);
        expectClose(f.metIn[i]!, f.metOut[i]!, `metal making ${r}/${e}`, t);
        let made = 0;
        for (let q = 0; q < P; q++) made += f.magOut[r * P + q]! * comp[q * E + e]!;
        expectClose(f.magIn[i]!, made, `magnet making ${r}/${e}`, t);
        sysIn[e]! += f.mined[i]! + f.recycled[i]!;
      }
      // Magnet stage.
      for (let q = 0; q < P; q++) {
        const i = r * P + q;
        expectClose(
          after.mag[i]! - before.mag[i]!,
          f.magOut[i]! + f.imp[(3 * R + r) * E + q]! - f.exp[(3 * R + r) * E + q]! - f.delivered[r * M + q]!,
          `magnet ${r}/${q}`,
          t,
        );
      }
      // End use and government stockpiles, per material.
      for (let m = 0; m < M; m++) {
        let du = 0;
        let rel = 0;
        let used = 0;
        for (let k = 0; k < K; k++) {
          const i = (r * K + k) * M + m;
          du += after.user[i]! - before.user[i]!;
          rel += f.govReleased[i]!;
          used += f.consumed[i]!;
        }
        expectClose(du, f.delivered[r * M + m]! + rel - used, `end use ${r}/${m}`, t);
        expectClose(after.gov[r * M + m]! - before.gov[r * M + m]!, -rel, `stockpile ${r}/${m}`, t);
        if (m < P) for (let e = 0; e < E; e++) sysOut[e]! += used * comp[m * E + e]!;
        else sysOut[m - P]! += used;
      }
    }
    // Trade: what leaves one region arrives in another.
    for (let form = 0; form < 4; form++) {
      for (let j = 0; j < E; j++) {
        let ex = 0;
        let im = 0;
        for (let r = 0; r < R; r++) {
          ex += f.exp[(form * R + r) * E + j]!;
          im += f.imp[(form * R + r) * E + j]!;
        }
        expectClose(ex, im, `trade form ${form} material ${j}`, t);
      }
    }
    // No stock goes negative anywhere.
    for (const arr of [after.conc, after.ox, after.met, after.mag, after.user, after.gov]) {
      for (const v of arr) if (v < -1e-6) throw new Error(`negative stock ${v} at month ${t}`);
    }
    // The system as a whole, per element.
    const c0 = content(before);
    const c1 = content(after);
    for (let e = 0; e < E; e++)
      expectClose(c1[e]! - c0[e]!, sysIn[e]! - sysOut[e]!, `system element ${e}`, t);
  });
  return { steps, checks, worst };
}

describe('mass balance', () => {
  const baseline = loadBaseline();
  const cases = [
    'baseline.yaml',
    'licensing-2025.yaml',
    'magnet-ban-us-12m.yaml',
    'recycling-30-2030.yaml',
    'overseas-ramp-2030.yaml',
  ];
  it.each(cases)('holds at every stage and step: %s (three sampled draws)', (file) => {
    const s = parseScenario(readFileSync(new URL(`../../scenarios/${file}`, import.meta.url), 'utf8'), file);
    const plan = compilePlan(baseline, s);
    for (let draw = 0; draw < 3; draw++) {
      const { steps, checks, worst } = check(plan, sampleTheta(plan, 'mass-balance', draw));
      expect(steps).toBe(plan.T);
      expect(checks).toBeGreaterThan(plan.T * R * E * 5);
      expect(worst).toBeLessThan(1e-9);
    }
  });
});
