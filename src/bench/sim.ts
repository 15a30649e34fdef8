/**
 * Monte Carlo throughput: 10,000 draws of a ten-year monthly run (120 months) on 2 workers, against the bar of
 * 5 s on 2 cores, with the single-worker figure beside it. The kernel run is the April 2025 licensing scenario
 * without the paired baseline (one kernel run per draw); a line times the paired run for reference, and a last
 * line the kernel alone in this thread (CPU per draw, no workers, no aggregation).
 * simulate() keeps its worker threads for later runs in the same process (src/sim/montecarlo.ts), as a server
 * does: the first run below starts fresh workers (cold: module load and JIT warm-up included), the later runs
 * reuse them (warm). Each line says which.
 * Run alone with `node dist/bench/sim.js` (after `npm run build`) or `npx tsx src/bench/sim.ts`, or through
 * `npm run bench -- --only sim`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { compilePlan, loadBaseline, parseScenario, simulate } from '../sim/index.js';
import { Kernel } from '../sim/kernel.js';
import { closeWorkerPool, workerPoolStats } from '../sim/montecarlo.js';
import { sampleTheta } from '../sim/plan.js';

// The project root is two levels up from both src/bench/sim.ts and dist/bench/sim.js.
const ROOT = new URL('../../', import.meta.url);
const SCENARIO = new URL('scenarios/licensing-2025.yaml', ROOT);
const BAR_SECONDS = 5;

/**
 * Workers run the compiled kernel from dist/ when it is at least as new as every source file of the simulator
 * (`npm run build`); otherwise they run the TypeScript through tsx, which is about a fifth slower. The output
 * says which.
 */
function compiledWorker(): URL | undefined {
  const entry = new URL('dist/sim/worker.js', ROOT);
  if (!existsSync(entry)) return undefined;
  const srcDir = new URL('src/sim/', ROOT);
  const built = statSync(new URL('dist/sim/kernel.js', ROOT), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (existsSync(srcDir)) {
    for (const f of readdirSync(srcDir)) {
      if (f.endsWith('.ts') && statSync(new URL(f, srcDir)).mtimeMs > built) return undefined;
    }
  }
  return entry;
}

interface Timing {
  seconds: number;
  cpuSeconds: number;
  load1mBefore: number;
  /** Worker threads this run started (0: all its workers were warm, left by an earlier run in this process). */
  freshWorkers: number;
}

async function timeRun(
  text: string,
  draws: number,
  workers: number,
  compare: boolean,
  workerEntry?: URL,
): Promise<Timing> {
  const load1mBefore = loadavg()[0]!;
  const started0 = workerPoolStats().started;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await simulate(text, { draws, workers, seed: 'bench', compare, ...(workerEntry ? { workerEntry } : {}) });
  const cpu = process.cpuUsage(cpu0);
  // CPU time covers all threads of this process: wall ~ cpu / workers means the cores were ours.
  return {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    load1mBefore,
    freshWorkers: workerPoolStats().started - started0,
  };
}

/** The kernel alone, in this thread: CPU milliseconds per draw (inputs sampled beforehand). */
function timeKernel(text: string, draws: number): { msPerDraw: number; cpuMsPerDraw: number } {
  const plan = compilePlan(loadBaseline(), parseScenario(text, 'bench'));
  const kernel = new Kernel(plan);
  const L = kernel.layout;
  const out = new Float64Array(L.nScalar);
  const series = new Float64Array(L.nSeries);
  const thetas: Float64Array[] = [];
  for (let i = 0; i < 200; i++) {
    const theta = new Float64Array(plan.params.length);
    sampleTheta(plan, 'bench', i, theta);
    thetas.push(theta);
  }
  for (let i = 0; i < 300; i++) kernel.run(thetas[i % 200]!, out, series);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < draws; i++) kernel.run(thetas[i % 200]!, out, series);
  const cpu = process.cpuUsage(cpu0);
  return {
    msPerDraw: (performance.now() - started) / draws,
    cpuMsPerDraw: (cpu.user + cpu.system) / 1000 / draws,
  };
}

export async function benchSim(): Promise<object[]> {
  const text = readFileSync(SCENARIO, 'utf8');
  const draws = Number(process.env.RARETRACE_BENCH_SIM_DRAWS ?? 10_000);
  const entry = compiledWorker();
  const workerCode = entry ? 'dist (compiled)' : 'src via tsx';
  // Cold first: no worker of this process has run yet (fresh threads load the modules and run their first draws
  // unoptimised). The runs after it reuse those workers, as a long-running server would.
  await closeWorkerPool();
  const cold = await timeRun(text, draws, 2, false, entry);
  const two = await timeRun(text, draws, 2, false, entry);
  const one = await timeRun(text, draws, 1, false, entry);
  const paired = await timeRun(text, Math.min(draws, 2_000), 2, true, entry);
  const kernelLoad = loadavg()[0]!;
  const kernel = timeKernel(text, Math.min(draws, 3_000));
  const line = (name: string, workers: number, n: number, t: Timing, extra: object = {}) => ({
    bench: name,
    draws: n,
    months: 120,
    workers,
    seconds: Number(t.seconds.toFixed(3)),
    drawsPerSecond: Math.round(n / t.seconds),
    cpuSeconds: Number(t.cpuSeconds.toFixed(3)),
    cores: availableParallelism(),
    loadAverage1mBefore: Number(t.load1mBefore.toFixed(2)),
    loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
    workerCode: workers === 1 && !entry ? 'in-thread (src via tsx)' : workerCode,
    workerThreads:
      workers === 1 && !entry
        ? 'none (in-thread)'
        : t.freshWorkers === 0
          ? 'warm (started by an earlier run in this process)'
          : t.freshWorkers >= workers
            ? 'cold (started for this run)'
            : `${t.freshWorkers} of ${workers} started for this run`,
    ...extra,
  });
  const bar = `<= ${BAR_SECONDS} s for 10,000 draws on 2 cores`;
  const result = [
    line('sim.montecarlo', 2, draws, two, {
      bar,
      pass: draws === 10_000 ? two.seconds <= BAR_SECONDS : null,
    }),
    line('sim.montecarlo.cold', 2, draws, cold, {
      bar,
      pass: draws === 10_000 ? cold.seconds <= BAR_SECONDS : null,
      note: 'the first run in this process: worker start-up and JIT warm-up included',
    }),
    line('sim.montecarlo.single-worker', 1, draws, one, {
      speedupWith2: Number((one.seconds / two.seconds).toFixed(2)),
    }),
    line('sim.montecarlo.with-baseline', 2, Math.min(draws, 2_000), paired, {
      note: 'each draw runs the scenario and its baseline (paired differences)',
    }),
    {
      bench: 'sim.kernel',
      draws: Math.min(draws, 3_000),
      months: 120,
      msPerDraw: Number(kernel.msPerDraw.toFixed(4)),
      cpuMsPerDraw: Number(kernel.cpuMsPerDraw.toFixed(4)),
      loadAverage1m: Number(kernelLoad.toFixed(2)),
      note: 'Kernel.run alone in this thread (licensing scenario, inputs sampled beforehand)',
    },
  ];
  // Idle workers are unref'd and would not hold the process open; closed anyway so the next bench starts clean.
  await closeWorkerPool();
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const l of await benchSim()) process.stdout.write(`${JSON.stringify(l)}\n`);
}
