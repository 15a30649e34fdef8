/**
 * Worker entry: claims chunks of draws from a counter shared by the run's workers, writing their scalars and
 * series histograms into buffers the main thread shares with it, and says when none are left. Workers are kept and reused across runs (montecarlo.ts).
 * The same file runs compiled (dist/) and from source under tsx or vitest.
 */
import { parentPort } from 'node:worker_threads';
import { Kernel, layoutOf } from './kernel.js';
import { type DrawJob, runDraws, scatterColumns } from './montecarlo.js';

const port = parentPort;
if (port) {
  port.on('message', (job: DrawJob) => {
    try {
      // Results go straight into the run's shared buffers: nothing is transferred back (a transfer detaches the
      // buffers, which slows every later typed-array access in this thread; see montecarlo.ts).
      const nScalar = layoutOf(job.plan).nScalar;
      const hist = new Int32Array(job.hist);
      const next = new Int32Array(job.next);
      let done = 0;
      const kernels = {
        kernel: new Kernel(job.plan),
        baseKernel: job.basePlan ? new Kernel(job.basePlan) : null,
      };
      // Claim chunks of draws until the run has none left (see DrawJob.next).
      for (;;) {
        const from = job.from + Atomics.add(next, 0, job.chunk);
        if (from >= job.to) break;
        const to = Math.min(job.to, from + job.chunk);
        // The chunk is run into rows here, then written into the run's columns (MonteCarloOutput.scalars).
        const b = runDraws(
          job.plan,
          job.basePlan,
          job.seed,
          from,
          to,
          job.ledger,
          undefined,
          hist,
          undefined,
          undefined,
          kernels,
        );
        const total = job.to;
        scatterColumns(b.scalars, nScalar, from, to - from, new Float64Array(job.scalars), total);
        if (job.baseScalars && b.baseScalars) {
          scatterColumns(b.baseScalars, nScalar, from, to - from, new Float64Array(job.baseScalars), total);
        }
        done += to - from;
        port.postMessage({ type: 'progress', done });
      }
      port.postMessage({ type: 'done' });
    } catch (error) {
      port.postMessage({
        type: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  });
}
