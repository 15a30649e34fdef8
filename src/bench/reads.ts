import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Fastify from 'fastify';
import { createRandom } from '../core/prng.js';
import { magnetLotIds } from '../demo/index.js';
import { everyLot, lotsHeldBy, traceLot } from '../ledger/genealogy.js';
import { loadLogKeys } from '../ledger/keys.js';
import { LogService } from '../ledger/log-service.js';
import { logRoutes } from '../server/routes/log.js';
import type { Store } from '../store/store.js';
import { formatTileIndex } from '../tlog/index.js';

/** Read-side figures on a store the capture benchmark filled: trace latency, proofs, tile serving. */
function percentiles(samples: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: Number(at(0.5).toFixed(3)), p99: Number(at(0.99).toFixed(3)), max: Number(at(1).toFixed(3)) };
}

/**
 * Trace rounds over the magnet lots: 50 rounds of 20 lots give 1,000 samples, so p99 is the tenth slowest, not
 * the second slowest of 200 (one stall of the machine then decided it). One untimed round first warms the
 * code and the page cache, as a served store is warm. Each trace is read twice over: as the regulator, who sees
 * every lot, and as the magnet's holder, who sees only the lots it holds or has held (its custody records are
 * asked as well).
 */
const traceRounds = 50;

export async function benchTrace(
  store: Store,
  storeName: string,
  events: number,
  seed: string,
): Promise<object[]> {
  const ids = magnetLotIds({ events, seed, count: 20 });
  const out: object[] = [];
  for (const viewer of ['regulator', 'holder'] as const) {
    for (const direction of ['upstream', 'downstream'] as const) {
      const samples: number[] = [];
      let nodes = 0;
      let largest = 0;
      for (let round = -1; round < traceRounds; round++) {
        for (const id of ids) {
          const started = performance.now();
          const lot = await store.getLot(id);
          if (lot === undefined) continue;
          const visible = viewer === 'regulator' ? everyLot : lotsHeldBy(store, lot.holderId);
          const trace = await traceLot(store, lot, direction, visible);
          if (round < 0) continue;
          samples.push(performance.now() - started);
          nodes += trace.nodes.length;
          largest = Math.max(largest, trace.nodes.length);
        }
      }
      out.push({
        bench: 'trace',
        store: storeName,
        direction,
        viewer,
        events,
        magnetLots: ids.length,
        samples: samples.length,
        meanLotsPerTrace: Math.round(nodes / Math.max(1, samples.length)),
        maxLotsPerTrace: largest,
        latencyMs: percentiles(samples),
        target: { p99Ms: 20 },
      });
    }
  }
  return out;
}

export async function benchProofsAndTiles(
  store: Store,
  storeName: string,
  keysDir: string,
): Promise<object[]> {
  const log = new LogService(store, loadLogKeys(path.join(keysDir, 'bench-keys')));
  const size = await store.treeSize();
  const random = createRandom('proofs');
  const samples: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const index = random.int(0, size - 1);
    const started = performance.now();
    await log.inclusionProof(index, size);
    samples.push((performance.now() - started) * 1000);
  }
  const proof = percentiles(samples.slice(100));
  const lines: object[] = [
    { bench: 'inclusion-proof', store: storeName, leaves: size, latencyUs: proof, target: { p99Us: 1000 } },
  ];

  const app = Fastify();
  app.removeAllContentTypeParsers();
  await app.register(logRoutes, { log });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const fullTiles = Math.floor(size / 256);
  const durationMs = 3_000;
  const deadline = performance.now() + durationMs;
  let requests = 0;
  let failures = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const index = random.int(0, Math.max(0, fullTiles - 1));
      const response = await fetch(`http://127.0.0.1:${port}/tile/0/${formatTileIndex(index)}`);
      await response.arrayBuffer();
      if (response.status === 200) requests += 1;
      else failures += 1;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await app.close();
  lines.push({
    bench: 'tile-serving',
    store: storeName,
    leaves: size,
    concurrency: 16,
    requestsPerSecond: Math.round(requests / (durationMs / 1000)),
    failures,
    note: 'level-0 full tiles over loopback HTTP; the client runs in the same process',
  });
  return lines;
}
