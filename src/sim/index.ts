/**
 * The simulator's public entry: scenario text in, result object out. The CLI and the HTTP route both call
 * `simulate`, so `raretrace simulate --json` and `POST /simulations` return the same object.
 */
import { Problem } from '../core/errors.js';
import { type Baseline, loadBaseline } from './baseline.js';
import type { LedgerStartingState } from './ledger.js';
import { validateLedgerState } from './ledger.js';
import { simLimits } from './limits.js';
import { defaultWorkers, runMonteCarlo } from './montecarlo.js';
import { compilePlan } from './plan.js';
import { buildResult, type SimulationResult } from './results.js';
import { baselineScenarioOf, parseScenario, type Scenario } from './scenario.js';

export interface SimulateOptions {
  readonly draws?: number;
  readonly seed?: string | number;
  readonly workers?: number;
  /** Run the baseline with the same draws and report differences (default true unless the scenario is the baseline). */
  readonly compare?: boolean;
  readonly baseline?: Baseline;
  readonly ledger?: LedgerStartingState;
  readonly label?: string;
  readonly onProgress?: (done: number, total: number) => void;
  /** Cap on draws (the HTTP route passes its lower limit). */
  readonly maxDraws?: number;
  /** Compiled worker entry (see MonteCarloInput.workerEntry). */
  readonly workerEntry?: URL;
}

export function isBaselineScenario(s: Scenario): boolean {
  return (
    s.tradeRestrictions.length === 0 &&
    s.quota === null &&
    s.demandGrowth === null &&
    s.capacity.length === 0 &&
    s.capacityShocks.length === 0 &&
    s.recycling === null &&
    s.substitution === null &&
    s.supplyResponse === null &&
    s.announcedCapacity === 'committed'
  );
}

export async function simulateScenario(
  scenario: Scenario,
  opts: SimulateOptions = {},
): Promise<SimulationResult> {
  const draws = opts.draws ?? simLimits.defaultDraws;
  const maxDraws = opts.maxDraws ?? simLimits.maxDraws;
  if (!Number.isInteger(draws) || draws < 1 || draws > maxDraws) {
    throw new Problem(
      'bad-request',
      `draws must be an integer from 1 to ${maxDraws} (limit ${opts.maxDraws ? 'maxDrawsHttp' : 'maxDraws'})`,
    );
  }
  const workers = opts.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 1 || workers > simLimits.maxWorkers) {
    throw new Problem(
      'bad-request',
      `workers must be an integer from 1 to ${simLimits.maxWorkers} (limit maxWorkers)`,
    );
  }
  if (opts.ledger) validateLedgerState(opts.ledger);
  const baseline = opts.baseline ?? loadBaseline();
  const seed = String(opts.seed ?? 1);
  const plan = compilePlan(baseline, scenario);
  const compare = opts.compare ?? !isBaselineScenario(scenario);
  const basePlan = compare ? compilePlan(baseline, baselineScenarioOf(scenario)) : null;
  const mc = await runMonteCarlo({
    plan,
    basePlan,
    seed,
    draws,
    workers,
    ledger: opts.ledger,
    onProgress: opts.onProgress,
    // (Was not passed on before: the bench's single-worker line ran in its own thread, not in a worker.)
    workerEntry: opts.workerEntry,
  });
  return buildResult(mc, plan, scenario, {
    seed,
    baselineVersion: baseline.version,
    baselineAsOf: baseline.asOf,
  });
}

export async function simulate(text: string, opts: SimulateOptions = {}): Promise<SimulationResult> {
  return simulateScenario(parseScenario(text, opts.label ?? 'scenario'), opts);
}

export { loadBaseline, parseBaseline } from './baseline.js';
export type { LedgerFlow, LedgerStartingState, LedgerStock } from './ledger.js';
export { simLimits } from './limits.js';
export { compilePlan } from './plan.js';
export type { SimulationResult } from './results.js';
export { parseScenario } from './scenario.js';
