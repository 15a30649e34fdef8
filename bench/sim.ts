/**
 * Monte Carlo throughput: 10,000 draws of a ten-year monthly run (120 months) on 2 workers, against the bar of
 * 5 s on 2 cores, with the single-worker figure beside it. The kernel run is the April 2025 licensing scenario
 * without the paired baseline (one kernel run per draw); a last line times the paired run for reference.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { simulate } from '../src/sim/index.js';

const SCENARIO = new URL('../scenarios/licensing-2025.yaml', import.meta.url);
const BAR_SECONDS = 5;

async function timeRun(text: string, draws: number, workers: number, compare: boolean): Promise<number> {
  const started = performance.now();
  await simulate(text, { draws, workers, seed: 'bench', compare });
  return (performance.now() - started) / 1000;
}

export async function benchSim(): Promise<object[]> {
  const text = readFileSync(SCENARIO, 'utf8');
  const draws = Number(process.env.RARETRACE_BENCH_SIM_DRAWS ?? 10_000);
  // Warm-up: compile the kernel and start a worker once, so the timed runs measure throughput.
  await timeRun(text, 200, 2, false);
  const two = await timeRun(text, draws, 2, false);
  const one = await timeRun(text, draws, 1, false);
  const paired = await timeRun(text, Math.min(draws, 2_000), 2, true);
  const line = (name: string, workers: number, n: number, seconds: number, extra: object = {}) => ({
    bench: name,
    draws: n,
    months: 120,
    workers,
    seconds: Number(seconds.toFixed(3)),
    drawsPerSecond: Math.round(n / seconds),
    cores: availableParallelism(),
    ...extra,
  });
  return [
    line('sim.montecarlo', 2, draws, two, {
      bar: `<= ${BAR_SECONDS} s for 10,000 draws on 2 cores`,
      pass: draws === 10_000 ? two <= BAR_SECONDS : null,
    }),
    line('sim.montecarlo.single-worker', 1, draws, one, { speedupWith2: Number((one / two).toFixed(2)) }),
    line('sim.montecarlo.with-baseline', 2, Math.min(draws, 2_000), paired, {
      note: 'each draw runs the scenario and its baseline (paired differences)',
    }),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const l of await benchSim()) process.stdout.write(`${JSON.stringify(l)}\n`);
}
