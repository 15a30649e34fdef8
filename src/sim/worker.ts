/**
 * Worker entry: runs a contiguous range of draws, writing its scalars and series histograms into buffers the
 * main thread shares with it, and says when it is done. Workers are kept and reused across runs (montecarlo.ts).
 * The same file runs compiled (dist/) and from source under tsx or vitest.
 */
import { parentPort } from 'node:worker_threads';
import { layoutOf } from './kernel.js';
import { type DrawJob, runDraws } from './montecarlo.js';

const port = parentPort;
if (port) {
  port.on('message', (job: DrawJob) => {
    try {
      // Results go straight into the run's shared buffers: nothing is transferred back (a transfer detaches the
      // buffers, which slows every later typed-array access in this thread; see montecarlo.ts).
      const nScalar = layoutOf(job.plan).nScalar;
      const n = job.to - job.from;
      const rows = (buf: SharedArrayBuffer): Float64Array =>
        new Float64Array(buf, job.from * nScalar * 8, n * nScalar);
      runDraws(
        job.plan,
        job.basePlan,
        job.seed,
        job.from,
        job.to,
        job.ledger,
        (done) => port.postMessage({ type: 'progress', done }),
        new Int32Array(job.hist),
        rows(job.scalars),
        job.baseScalars ? rows(job.baseScalars) : undefined,
      );
      port.postMessage({ type: 'done' });
    } catch (error) {
      port.postMessage({
        type: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  });
}
