/**
 * Micro-benchmark for tile-based inclusion proofs. Not a test: timings depend on the machine, so no test
 * asserts them. Run: `npx tsx -e "import('./src/tlog/bench.ts').then(m => console.log(m.benchInclusionProofs(1e6)))"`.
 */
import { createRandom } from '../core/prng.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { inclusionProof, MemoryTileStore, TileCache, tileKey, tilesForInclusion } from './tiles.js';

export interface ProofBench {
  /**
   * Median and 99th percentile time of one inclusion proof, in microseconds, through `TiledTree` with its default
   * `TileCache` (1,024 full tiles, filled while appending): what a long-running log server sees.
   */
  p50_us: number;
  p99_us: number;
  /** No cache at all: every proof rehashes its tiles (the worst case, e.g. the first proof after a restart). */
  cold_p50_us: number;
  cold_p99_us: number;
  /** The two-phase path an async store uses (tilesForInclusion, fetch into a Map, inclusionProof) with a cache. */
  twoPhase_p50_us: number;
  twoPhase_p99_us: number;
  samples: number;
  /** Time to build the tiles for n leaves with appendLeaves, in milliseconds. */
  build_ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/**
 * Builds a tile tree of n leaves in memory, then times `samples` inclusion proofs at random indexes against the
 * full tree size (seeded, so runs are comparable). Every 100th proof is verified, to keep the benchmark honest.
 */
export function benchInclusionProofs(n: number, samples = 2_000, seed = 'bench'): ProofBench {
  const store = new MemoryTileStore();
  const t0 = performance.now();
  const batch: Uint8Array[] = [];
  const counter = new Uint8Array(8);
  const view = new DataView(counter.buffer);
  for (let i = 0; i < n; i++) {
    view.setFloat64(0, i);
    batch.push(leafHash(counter));
    if (batch.length === 65_536 || i === n - 1) {
      store.appendLeaves(batch);
      batch.length = 0;
    }
  }
  const build_ms = performance.now() - t0;
  const root = store.tree.root(n);
  const random = createRandom(seed);
  const direct: number[] = [];
  const cold: number[] = [];
  const twoPhase: number[] = [];
  const cache = new TileCache();
  // Warm up the JIT before measuring.
  for (let i = 0; i < 200; i++) store.tree.inclusionProof(random.int(0, n - 1), n);
  for (let s = 0; s < samples; s++) {
    const index = random.int(0, n - 1);
    let t = process.hrtime.bigint();
    const proof = store.tree.inclusionProof(index, n);
    direct.push(Number(process.hrtime.bigint() - t) / 1_000);
    t = process.hrtime.bigint();
    inclusionProof(index, n, store.readTile);
    cold.push(Number(process.hrtime.bigint() - t) / 1_000);
    t = process.hrtime.bigint();
    const fetched = new Map<string, Uint8Array>();
    for (const ref of tilesForInclusion(index, n)) {
      const key = tileKey(ref.level, ref.index);
      fetched.set(key, store.tiles.get(key) as Uint8Array);
    }
    inclusionProof(index, n, fetched, cache);
    twoPhase.push(Number(process.hrtime.bigint() - t) / 1_000);
    if (s % 100 === 0) {
      view.setFloat64(0, index);
      if (!verifyInclusion(index, n, leafHash(counter), proof, root)) {
        throw new Error(`benchmark proof for ${index} does not verify`);
      }
    }
  }
  for (const list of [direct, cold, twoPhase]) list.sort((a, b) => a - b);
  return {
    p50_us: percentile(direct, 0.5),
    p99_us: percentile(direct, 0.99),
    cold_p50_us: percentile(cold, 0.5),
    cold_p99_us: percentile(cold, 0.99),
    twoPhase_p50_us: percentile(twoPhase, 0.5),
    twoPhase_p99_us: percentile(twoPhase, 0.99),
    samples,
    build_ms,
  };
}
