/**
 * Monte Carlo over draws, in this thread or across worker threads. Each draw's inputs come from streams keyed
 * by (seed, draw, parameter), its scalar outputs land at its own index, and the monthly series are binned into
 * integer histograms that are summed: so the result is bit-identical on one worker or many.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../core/worker.js';
import { Kernel, type Layout, layoutOf } from './kernel.js';
import type { LedgerStartingState } from './ledger.js';
import { type Plan, sampleTheta } from './plan.js';

/** Series histograms: prices on a log scale, unmet shares on a linear one. */
export const PRICE_BINS = 240;
export const PRICE_LOG_MIN = -1; // 0.1x
export const PRICE_LOG_MAX = 2; // 100x
export const SHARE_BINS = 200;

/** A worker's job: draws [from, to), written into buffers the main thread shares with it. */
export interface DrawJob {
  readonly plan: Plan;
  readonly basePlan: Plan | null;
  readonly seed: string;
  readonly from: number;
  readonly to: number;
  readonly ledger?: LedgerStartingState | undefined;
  /** The whole run's scalars (draw-major, nScalar per draw) and the baseline's; this job writes its own rows. */
  readonly scalars: SharedArrayBuffer;
  readonly baseScalars: SharedArrayBuffer | null;
  /** This job's series histograms (one buffer per job; the main thread sums them). */
  readonly hist: SharedArrayBuffer;
  /**
   * The run's next unclaimed draw (one Int32, shared by all workers): a worker claims `chunk` draws at a time
   * from [from, to) until none are left, so that a worker slowed by the draws it got (or by another job on
   * its core) does not hold the run up. Which worker runs a draw changes nothing in the results: scalars go
   * to the draw's own row and histogram counts add up the same.
   */
  readonly next: SharedArrayBuffer;
  readonly chunk: number;
}

/**
 * Draws a worker claims at a time: small, so that the workers finish within a few milliseconds of each other;
 * a claim costs one atomic add and a message.
 */
const CHUNK_DRAWS = 25;

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
  /**
   * Output by output (column-major: output `o` of draw `i` at `o * draws + i`), as the results read them. The
   * workers transpose their chunks as they finish them, in parallel, so the main thread has nothing to
   * transpose after the run.
   */
  readonly scalars: Float64Array;
  readonly baseScalars: Float64Array | null;
  readonly hist: Int32Array;
}

/** Copies a chunk's rows (draw-major, `nScalar` a draw) into a run's columns (see MonteCarloOutput.scalars). */
export function scatterColumns(
  rows: Float64Array,
  nScalar: number,
  from: number,
  count: number,
  columns: Float64Array,
  draws: number,
): void {
  for (let o = 0; o < nScalar; o++) {
    const base = o * draws + from;
    for (let i = 0; i < count; i++) columns[base + i] = rows[i * nScalar + o]!;
  }
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
  /** Where to write the batch's scalars (and the baseline's), (to - from) × nScalar each: a worker passes views
   * of the run's shared buffers. */
  scalarsInto?: Float64Array,
  baseScalarsInto?: Float64Array,
  /** Kernels to reuse (a worker runs many chunks of one job with the same two). */
  kernels?: { readonly kernel: Kernel; readonly baseKernel: Kernel | null },
): DrawBatch {
  const kernel = kernels?.kernel ?? new Kernel(plan);
  const baseKernel = kernels ? kernels.baseKernel : basePlan ? new Kernel(basePlan) : null;
  const L = kernel.layout;
  const n = to - from;
  const scalars = scalarsInto ?? new Float64Array(n * L.nScalar);
  const baseScalars = baseKernel ? (baseScalarsInto ?? new Float64Array(n * L.nScalar)) : null;
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

/** Starts a worker: the compiled entry given, or the one next to this module (core/worker.ts: dist or tsx). */
function startWorker(compiled?: URL): Worker {
  return compiled ? new Worker(compiled) : startModuleWorker(import.meta.url, 'worker');
}

/** Which entry a run's workers load: the pool keeps idle workers per entry. */
function entryKey(compiled?: URL): string {
  if (compiled) return compiled.href;
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL('./worker.js', here).href;
  return `tsx:${new URL('./worker.ts', here).href}`;
}

/**
 * Workers kept between runs. A fresh worker spends ~0.35 s before it runs at full speed (~0.15 s loading modules,
 * ~0.2 s while its first ~50 draws run unoptimised), so a process that simulates more than once (the server, the
 * bench) hands later runs workers that are already loaded and optimised. Idle workers are unref'd, so they never
 * keep a process alive (the CLI exits as before); a worker is ref'd only while it runs a job. A worker that fails
 * is terminated and not kept. Results do not depend on which worker runs which draws.
 */
const idle = new Map<string, Worker[]>();
/** Idle workers kept per entry (beyond this, a finished worker is terminated). */
const MAX_IDLE = 8;
let started = 0;

function takeWorker(key: string, compiled?: URL): Worker {
  const w = idle.get(key)?.pop();
  if (w) {
    w.removeAllListeners('error');
    w.removeAllListeners('exit');
    w.ref();
    return w;
  }
  started++;
  return startWorker(compiled);
}

function giveBack(key: string, w: Worker): void {
  w.removeAllListeners('message');
  w.removeAllListeners('error');
  w.removeAllListeners('exit');
  let list = idle.get(key);
  if (!list) {
    list = [];
    idle.set(key, list);
  }
  if (list.length >= MAX_IDLE) {
    void w.terminate();
    return;
  }
  // An idle worker that dies (it should not) is dropped from the pool.
  w.once('error', () => dropIdle(key, w));
  w.once('exit', () => dropIdle(key, w));
  w.unref();
  list.push(w);
}

function dropIdle(key: string, w: Worker): void {
  const list = idle.get(key);
  const at = list ? list.indexOf(w) : -1;
  if (list && at >= 0) list.splice(at, 1);
}

/** Workers started so far by this process and workers idle in the pool now (the bench reports warm or cold). */
export function workerPoolStats(): { started: number; idle: number } {
  let n = 0;
  for (const list of idle.values()) n += list.length;
  return { started, idle: n };
}

/** Terminates the idle workers (the next run starts fresh ones). Not needed for a clean exit: idle workers are unref'd. */
export async function closeWorkerPool(): Promise<void> {
  const all = [...idle.values()].flat();
  idle.clear();
  await Promise.all(all.map((w) => w.terminate()));
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

export async function runMonteCarlo(input: MonteCarloInput): Promise<MonteCarloOutput> {
  const { plan, basePlan, seed, draws } = input;
  const layout = layoutOf(plan);
  const workers = Math.max(1, Math.min(input.workers, draws));
  const hist = new Int32Array(histSize(layout));
  // One worker runs in this thread, unless a compiled worker entry was given (so that 1 and N are comparable).
  if (workers === 1 && !input.workerEntry) {
    const scalars = new Float64Array(draws * layout.nScalar);
    const baseScalars = basePlan ? new Float64Array(draws * layout.nScalar) : null;
    // In-thread, in slices, yielding between them so that a progress bar can redraw.
    const slice = Math.max(50, Math.ceil(draws / 100));
    for (let from = 0; from < draws; from += slice) {
      const to = Math.min(draws, from + slice);
      const b = runDraws(plan, basePlan, seed, from, to, input.ledger, undefined, hist);
      scatterColumns(b.scalars, layout.nScalar, from, to - from, scalars, draws);
      if (baseScalars && b.baseScalars) {
        scatterColumns(b.baseScalars, layout.nScalar, from, to - from, baseScalars, draws);
      }
      input.onProgress?.(to, draws);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { layout, draws, scalars, baseScalars, hist };
  }
  // Workers write their scalars straight into shared buffers and bin into a shared histogram each, so nothing
  // is transferred back. (Transferring a worker's result buffers detaches them, and the first detached
  // ArrayBuffer in a thread switches V8 to checking every typed-array access for detachment from then on: a
  // reused worker then ran ~20 % slower per draw. That was the cause of the slow reused workers and of the
  // extra CPU of handing out draws in chunks.)
  const sharedScalars = new SharedArrayBuffer(draws * layout.nScalar * 8);
  const sharedBase = basePlan ? new SharedArrayBuffer(draws * layout.nScalar * 8) : null;
  const done = new Array<number>(workers).fill(0);
  const next = new SharedArrayBuffer(4);
  const jobs: Promise<void>[] = [];
  const hists: Int32Array[] = [];
  const key = entryKey(input.workerEntry);
  for (let w = 0; w < workers; w++) {
    const histBuf = new SharedArrayBuffer(histSize(layout) * 4);
    hists.push(new Int32Array(histBuf));
    const job: DrawJob = {
      plan,
      basePlan,
      seed,
      from: 0,
      to: draws,
      ledger: input.ledger,
      scalars: sharedScalars,
      baseScalars: sharedBase,
      hist: histBuf,
      next,
      chunk: CHUNK_DRAWS,
    };
    jobs.push(
      new Promise<void>((resolve, reject) => {
        const worker = takeWorker(key, input.workerEntry);
        const fail = (error: Error): void => {
          void worker.terminate();
          reject(error);
        };
        worker.on(
          'message',
          (
            msg: { type: 'progress'; done: number } | { type: 'done' } | { type: 'error'; message: string },
          ) => {
            if (msg.type === 'progress') {
              done[w] = msg.done;
              input.onProgress?.(
                done.reduce((a, b) => a + b, 0),
                draws,
              );
            } else if (msg.type === 'done') {
              giveBack(key, worker);
              resolve();
            } else fail(new Error(msg.message));
          },
        );
        worker.on('error', fail);
        worker.on('exit', (code) => reject(new Error(`simulation worker exited (code ${code})`)));
        worker.postMessage(job);
      }),
    );
  }
  await Promise.all(jobs);
  for (const h of hists) for (let i = 0; i < hist.length; i++) hist[i]! += h[i]!;
  const scalars = new Float64Array(sharedScalars);
  const baseScalars = sharedBase ? new Float64Array(sharedBase) : null;
  return { layout, draws, scalars, baseScalars, hist };
}
