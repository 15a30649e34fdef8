/**
 * Worker entry: runs a contiguous range of draws and posts back its batch. The same file runs compiled (dist/)
 * and from source under tsx or vitest (the pool starts it with `--import tsx`).
 */
import { parentPort } from 'node:worker_threads';
import type { LedgerStartingState } from './ledger.js';
import { runDraws } from './montecarlo.js';
import type { Plan } from './plan.js';

interface Job {
  plan: Plan;
  basePlan: Plan | null;
  seed: string;
  from: number;
  to: number;
  ledger?: LedgerStartingState;
}

const port = parentPort;
if (port) {
  port.on('message', (job: Job) => {
    try {
      const batch = runDraws(job.plan, job.basePlan, job.seed, job.from, job.to, job.ledger, (done) =>
        port.postMessage({ type: 'progress', done }),
      );
      const transfer = [batch.scalars.buffer, batch.hist.buffer] as ArrayBuffer[];
      if (batch.baseScalars) transfer.push(batch.baseScalars.buffer as ArrayBuffer);
      port.postMessage({ type: 'done', batch }, transfer);
    } catch (error) {
      port.postMessage({
        type: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  });
}
