import { benchInclusionProofs } from '../tlog/bench.js';
import { benchCapturePostgres, benchCaptureSqlite } from './capture.js';
import { benchControls } from './controls.js';
import { benchSim } from './sim.js';

/**
 * `npm run bench`: prints one JSON line per figure. Options: --events N (default 1,000,000), --seed S,
 * --only a,b (log, capture-sqlite [with trace, proofs, tiles], capture-postgres, controls, sim), --pg URL.
 */
function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const events = Number(option('events', '1000000'));
const seed = option('seed', 'bench');
const only = option('only', '')
  .split(',')
  .filter((s) => s.length > 0);
const pgUrl = option(
  'pg',
  process.env.RARETRACE_PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/raretrace_test',
);
const wanted = (name: string): boolean => only.length === 0 || only.includes(name);
const print = (lines: object[]): void => {
  for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
};

// The simulator, the controls and proof generation first (CPU only): after the capture runs, PostgreSQL and
// the page cache are still busy with what they left (the simulator measured 5.13 s after them against 4.99 s
// alone, same build).
if (wanted('sim')) print(await benchSim());
if (wanted('controls')) print(await benchControls());
if (wanted('log')) {
  // Proof generation alone, from tiles in memory (the service figure, with tiles read from SQLite, is in the
  // capture-sqlite lines).
  print([
    {
      bench: 'inclusion-proof-generation',
      leaves: 1_000_000,
      ...benchInclusionProofs(1_000_000),
      target: { p99Us: 1000 },
    },
  ]);
}
if (wanted('capture-sqlite')) print(await benchCaptureSqlite(events, seed));
if (wanted('capture-postgres')) print(await benchCapturePostgres(pgUrl, events, seed));
