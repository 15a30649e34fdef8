/**
 * Monte Carlo over draws, in this thread or across worker threads. Each draw's inputs come from streams keyed
 * by (seed, draw, parameter), its scalar outputs land at its own index, and the monthly series are binned into
 * integer histograms that are summed: so the result is bit-identical on one worker or many.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Kernel, type Layout, layoutOf } from './kernel.js';
import type { LedgerStartingState } from './ledger.js';
import { type Plan, sampleTheta } from './plan.js';

/** Series histograms: prices on a log scale, unmet shares on a linear one. */
export const PRICE_BINS = 240;
export const PRICE_LOG_MIN = -1; // 0.1x
export const PRICE_LOG_MAX = 2; // 100x
export const SHARE_BINS = 200;

export interface DrawBatch {
  readonly from: number;
  readonly to: number;
  readonly scalars: Float64Array;
  readonly baseScalars: Float64Array | null;
  readonly hist: Int32Array;
}

export interface MonteCarloInput {
  readonly plan: Plan;
  readonly basePlan: Plan | null;
  readonly seed: string;
  readonly draws: number;
  readonly workers: number;
  readonly ledger?: LedgerStartingState | undefined;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  /** A compiled worker entry to use instead of the one next to this module (the bench passes dist/ when fresh). */
  readonly workerEntry?: URL | undefined;
}

export interface MonteCarloOutput {
  readonly layout: Layout;
  readonly draws: number;
  readonly scalars: Float64Array;
  readonly baseScalars: Float64Array | null;
  readonly hist: Int32Array;
}

export function histSize(layout: Layout): number {
  return (
    (layout.seriesUnmet / layout.T) * layout.T * PRICE_BINS +
    (layout.nSeries - layout.seriesUnmet) * SHARE_BINS
  );
}

function binSeries(layout: Layout, series: Float64Array, hist: Int32Array): void {
  const nPrice = layout.seriesUnmet;
  // Price series arrive as natural logs of the index.
  const scale = PRICE_BINS / (PRICE_LOG_MAX - PRICE_LOG_MIN);
  const perLn = scale / Math.LN10;
  const shift = PRICE_LOG_MIN * scale;
  for (let i = 0; i < nPrice; i++) {
    let b = Math.floor(series[i]! * perLn - shift);
    if (b < 0) b = 0;
    else if (b >= PRICE_BINS) b = PRICE_BINS - 1;
    hist[i * PRICE_BINS + b]! += 1;
  }
  const off = nPrice * PRICE_BINS;
  for (let i = nPrice; i < layout.nSeries; i++) {
    let b = Math.floor(series[i]! * SHARE_BINS);
    if (b < 0) b = 0;
    else if (b >= SHARE_BINS) b = SHARE_BINS - 1;
    hist[off + (i - nPrice) * SHARE_BINS + b]! += 1;
  }
}

/** Runs draws [from, to) in this thread. */
export function runDraws(
  plan: Plan,
  basePlan: Plan | null,
  seed: string,
  from: number,
  to: number,
  ledger?: LedgerStartingState,
  onProgress?: (done: number) => void,
  /** Histograms to add this batch's series into (the in-thread run passes its totals: no per-slice copy). */
  into?: Int32Array,
): DrawBatch {
  const kernel = new Kernel(plan);
  const baseKernel = basePlan ? new Kernel(basePlan) : null;
  const L = kernel.layout;
  const n = to - from;
  const scalars = new Float64Array(n * L.nScalar);
  const baseScalars = baseKernel ? new Float64Array(n * L.nScalar) : null;
  const hist = into ?? new Int32Array(histSize(L));
  const series = new Float64Array(L.nSeries);
  const baseSeries = new Float64Array(L.nSeries);
  const theta = new Float64Array(plan.params.length);
  const baseTheta = basePlan ? new Float64Array(basePlan.params.length) : theta;
  for (let i = 0; i < n; i++) {
    const draw = from + i;
    sampleTheta(plan, seed, draw, theta);
    series.fill(0);
    kernel.run(theta, scalars.subarray(i * L.nScalar, (i + 1) * L.nScalar), series, undefined, ledger);
    binSeries(L, series, hist);
    if (baseKernel && basePlan && baseScalars) {
      sampleTheta(basePlan, seed, draw, baseTheta);
      baseKernel.run(
        baseTheta,
        baseScalars.subarray(i * L.nScalar, (i + 1) * L.nScalar),
        baseSeries,
        undefined,
        ledger,
      );
    }
    if (onProgress && (i + 1) % 50 === 0) onProgress(i + 1);
  }
  if (onProgress) onProgress(n);
  return { from, to, scalars, baseScalars, hist };
}

/**
 * Starts a worker on the entry next to this file: compiled JS under dist/, or, when this module is the TypeScript
 * source (tsx, vitest), a small bootstrap that registers tsx's loader inside the worker and then imports the .ts
 * entry (`--import` is not honoured in a worker's execArgv).
 */
function startWorker(compiled?: URL): Worker {
  if (compiled) return new Worker(compiled);
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here));
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', here).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true });
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

export async function runMonteCarlo(input: MonteCarloInput): Promise<MonteCarloOutput> {
  const { plan, basePlan, seed, draws } = input;
  const layout = layoutOf(plan);
  const workers = Math.max(1, Math.min(input.workers, draws));
  const scalars = new Float64Array(draws * layout.nScalar);
  const baseScalars = basePlan ? new Float64Array(draws * layout.nScalar) : null;
  const hist = new Int32Array(histSize(layout));
  const merge = (b: DrawBatch): void => {
    scalars.set(b.scalars, b.from * layout.nScalar);
    if (baseScalars && b.baseScalars) baseScalars.set(b.baseScalars, b.from * layout.nScalar);
    for (let i = 0; i < hist.length; i++) hist[i]! += b.hist[i]!;
  };
  // One worker runs in this thread, unless a compiled worker entry was given (so that 1 and N are comparable).
  if (workers === 1 && !input.workerEntry) {
    // In-thread, in slices, yielding between them so that a progress bar can redraw.
    const slice = Math.max(50, Math.ceil(draws / 100));
    for (let from = 0; from < draws; from += slice) {
      const to = Math.min(draws, from + slice);
      const b = runDraws(plan, basePlan, seed, from, to, input.ledger, undefined, hist);
      scalars.set(b.scalars, b.from * layout.nScalar);
      if (baseScalars && b.baseScalars) baseScalars.set(b.baseScalars, b.from * layout.nScalar);
      input.onProgress?.(to, draws);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { layout, draws, scalars, baseScalars, hist };
  }
  const done = new Array<number>(workers).fill(0);
  const per = Math.ceil(draws / workers);
  const jobs: Promise<void>[] = [];
  for (let w = 0; w < workers; w++) {
    const from = w * per;
    const to = Math.min(draws, from + per);
    if (from >= to) continue;
    jobs.push(
      new Promise<void>((resolve, reject) => {
        const worker = startWorker(input.workerEntry);
        worker.on(
          'message',
          (
            msg:
              | { type: 'progress'; done: number }
              | { type: 'done'; batch: DrawBatch }
              | { type: 'error'; message: string },
          ) => {
            if (msg.type === 'progress') {
              done[w] = msg.done;
              input.onProgress?.(
                done.reduce((a, b) => a + b, 0),
                draws,
              );
            } else if (msg.type === 'done') {
              merge(msg.batch);
              void worker.terminate();
              resolve();
            } else {
              void worker.terminate();
              reject(new Error(msg.message));
            }
          },
        );
        worker.on('error', reject);
        worker.postMessage({ plan, basePlan, seed, from, to, ledger: input.ledger });
      }),
    );
  }
  await Promise.all(jobs);
  return { layout, draws, scalars, baseScalars, hist };
}
