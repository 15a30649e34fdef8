/**
 * Monte Carlo throughput: 10,000 draws of a ten-year monthly run (120 months) on 2 workers, against the bar of
 * 5 s on 2 cores, with the single-worker figure beside it. The kernel run is the April 2025 licensing scenario
 * without the paired baseline (one kernel run per draw); a last line times the paired run for reference.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { simulate } from '../src/sim/index.js';

const SCENARIO = new URL('../scenarios/licensing-2025.yaml', import.meta.url);
const BAR_SECONDS = 5;

/**
 * Workers run the compiled kernel from dist/ when it is at least as new as every source file of the simulator
 * (`npm run build`); otherwise they run the TypeScript through tsx, which is about a fifth slower. The output
 * says which.
 */
function compiledWorker(): URL | undefined {
  const entry = new URL('../dist/sim/worker.js', import.meta.url);
  if (!existsSync(entry)) return undefined;
  const srcDir = new URL('../src/sim/', import.meta.url);
  const built =
    statSync(new URL('../dist/sim/kernel.js', import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  for (const f of readdirSync(srcDir)) {
    if (f.endsWith('.ts') && statSync(new URL(f, srcDir)).mtimeMs > built) return undefined;
  }
  return entry;
}

async function timeRun(
  text: string,
  draws: number,
  workers: number,
  compare: boolean,
  workerEntry?: URL,
): Promise<{ seconds: number; cpuSeconds: number }> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await simulate(text, { draws, workers, seed: 'bench', compare, ...(workerEntry ? { workerEntry } : {}) });
  const cpu = process.cpuUsage(cpu0);
  // CPU time covers all threads of this process: wall ~ cpu / workers means the cores were ours.
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

export async function benchSim(): Promise<object[]> {
  const text = readFileSync(SCENARIO, 'utf8');
  const draws = Number(process.env.RARETRACE_BENCH_SIM_DRAWS ?? 10_000);
  // Warm-up: compile the kernel and start a worker once, so the timed runs measure throughput.
  const entry = compiledWorker();
  const workerCode = entry ? 'dist (compiled)' : 'src via tsx';
  await timeRun(text, 200, 2, false, entry);
  const two = await timeRun(text, draws, 2, false, entry);
  const one = await timeRun(text, draws, 1, false, entry);
  const paired = await timeRun(text, Math.min(draws, 2_000), 2, true, entry);
  const line = (
    name: string,
    workers: number,
    n: number,
    t: { seconds: number; cpuSeconds: number },
    extra: object = {},
  ) => ({
    bench: name,
    draws: n,
    months: 120,
    workers,
    seconds: Number(t.seconds.toFixed(3)),
    drawsPerSecond: Math.round(n / t.seconds),
    cpuSeconds: Number(t.cpuSeconds.toFixed(3)),
    cores: availableParallelism(),
    loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
    workerCode: workers === 1 && !entry ? 'in-thread (src via tsx)' : workerCode,
    ...extra,
  });
  return [
    line('sim.montecarlo', 2, draws, two, {
      bar: `<= ${BAR_SECONDS} s for 10,000 draws on 2 cores`,
      pass: draws === 10_000 ? two.seconds <= BAR_SECONDS : null,
    }),
    line('sim.montecarlo.single-worker', 1, draws, one, {
      speedupWith2: Number((one.seconds / two.seconds).toFixed(2)),
    }),
    line('sim.montecarlo.with-baseline', 2, Math.min(draws, 2_000), paired, {
      note: 'each draw runs the scenario and its baseline (paired differences)',
    }),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const l of await benchSim()) process.stdout.write(`${JSON.stringify(l)}\n`);
}
