import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isProblem } from '../core/errors.js';
import { loadBaseline } from './baseline.js';
import { simulate } from './index.js';
import { Kernel } from './kernel.js';
import type { LedgerStartingState } from './ledger.js';
import { centralTheta, compilePlan } from './plan.js';
import { parseScenario } from './scenario.js';

const text = readFileSync(new URL('../../scenarios/licensing-2025.yaml', import.meta.url), 'utf8');

/** A hand-made ledger snapshot: EU magnet users hold almost nothing, a Japanese stock of Dy metal, a US NdFeB lot. */
const state: LedgerStartingState = {
  asOf: '2025-01',
  source: 'hand-made test state',
  stocks: [
    { region: 'EU', stage: 'end-use', sector: 'ev', product: 'NdFeB', tonnes: 1 },
    { region: 'EU', stage: 'magnet', product: 'NdFeB', tonnes: 0 },
    { region: 'JP', stage: 'metal', element: 'Dy', tonnes: 123 },
    { region: 'US', stage: 'government', product: 'NdFeB', tonnes: 50 },
  ],
  flows: [{ form: 'magnet', from: 'CN', to: 'EU', product: 'NdFeB', tonnesPerMonth: 100 }],
};

describe('ledger starting state', () => {
  it('overlays reported nodes and keeps the baseline elsewhere', () => {
    const plan = compilePlan(loadBaseline(), parseScenario(text));
    const k = new Kernel(plan);
    const theta = centralTheta(plan);
    k.initialise(theta);
    const before = structuredClone({ ox: k.stocks().ox, user: k.stocks().user });
    k.initialise(theta, state);
    const s = k.stocks();
    // JP (index 3), Dy (index 7): 123 t; EU (index 2) ev (0) NdFeB (0) end-use: 1 t.
    expect(s.met[3 * 10 + 7]).toBe(123);
    expect(s.user[(2 * 6 + 0) * 12 + 0]).toBe(1);
    expect(s.ox).toEqual(before.ox);
    expect(s.user[(1 * 6 + 0) * 12 + 0]).toBe(before.user[(1 * 6 + 0) * 12 + 0]);
  });

  it('changes the answer: EU EV makers with empty shelves have less cover, stock out no later and, with a smaller prior flow, go shorter', async () => {
    type RS = {
      region: string;
      sector: string;
      stockOutMonthIndex: { p50: number | null };
      monthsOfCoverAtStart: { p50: number };
      unmetDemandTonnesREO: { p50: number };
    };
    const find = (r: { regionSector: readonly unknown[] }) =>
      (r.regionSector as RS[]).find((x) => x.region === 'EU' && x.sector === 'ev')!;
    const plain = await simulate(text, { draws: 20, seed: 'l', workers: 1, compare: false });
    const withLedger = await simulate(text, {
      draws: 20,
      seed: 'l',
      workers: 1,
      compare: false,
      ledger: state,
    });
    expect(find(withLedger).monthsOfCoverAtStart.p50).toBeLessThan(find(plain).monthsOfCoverAtStart.p50);
    expect(find(withLedger).stockOutMonthIndex.p50!).toBeLessThanOrEqual(find(plain).stockOutMonthIndex.p50!);
    // The ledger's CN->EU magnet flow (100 t/month) is the prior volume the licence caps apply to: less gets in.
    expect(find(withLedger).unmetDemandTonnesREO.p50).toBeGreaterThan(find(plain).unmetDemandTonnesREO.p50);
  });

  it('rejects a bad state naming the entry', async () => {
    const bad = {
      ...state,
      stocks: [{ region: 'XX', stage: 'metal', element: 'Dy', tonnes: -1 }],
    } as unknown as LedgerStartingState;
    try {
      await simulate(text, { draws: 1, workers: 1, ledger: bad });
      expect.unreachable();
    } catch (error) {
      expect(isProblem(error)).toBe(true);
      if (isProblem(error)) expect(error.issues.map((i) => i.field)).toContain('/stocks/0/region');
    }
  });
});
