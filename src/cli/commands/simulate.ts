/**
 * `raretrace simulate SCENARIO.yaml [--draws N] [--seed S] [--json] [--workers N]`
 * Prints a table (or with --json the same object POST /simulations returns). The progress bar goes to stderr,
 * and only when stderr is a terminal, so that pipes and CI logs stay clean.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isProblem } from '../../core/errors.js';
import { simulate } from '../../sim/index.js';
import { simLimits } from '../../sim/limits.js';
import { defaultWorkers } from '../../sim/montecarlo.js';
import type { Bands, SimulationResult } from '../../sim/results.js';

export interface SimulateIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
}

const defaultIo: SimulateIo = { stdout: process.stdout, stderr: process.stderr };

function intOption(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

const fmt = (v: number | null, digits = 1): string => (v === null ? '—' : v.toFixed(digits));
const band = (b: Bands, digits = 1): string =>
  `${fmt(b.p50, digits)} [${fmt(b.p10, digits)}–${fmt(b.p90, digits)}]`;

/** The human-readable summary: the questions the simulator answers, one block each. */
export function renderTable(r: SimulationResult): string {
  const lines: string[] = [];
  lines.push(
    `${r.scenario.title} (${r.scenario.name}), from ${r.scenario.start} for ${r.scenario.horizonMonths} months`,
  );
  lines.push(
    `${r.run.draws} draws, seed ${r.run.seed}; baseline data ${r.baselineData.version}; allocation ${r.scenario.allocation}`,
  );
  lines.push('Values are P50 [P10–P90].');
  lines.push('');
  lines.push(
    'Who runs short first: region × sector (months of cover at start; stock-out month; unmet share of demand)',
  );
  type RS = {
    region: string;
    sector: string;
    monthsOfCoverAtStart: Bands;
    stockOutMonth: { p10: string | null; p50: string | null; p90: string | null };
    shareOfDrawsWithStockOut: number;
    unmetShareOfDemand: Bands;
  };
  const rows = (r.regionSector as RS[])
    .slice()
    .sort((a, b) => (a.stockOutMonth.p50 ?? '9999').localeCompare(b.stockOutMonth.p50 ?? '9999'));
  lines.push(
    `  ${'region'.padEnd(6)} ${'sector'.padEnd(21)} ${'cover (mo)'.padEnd(18)} ${'stock-out P50'.padEnd(14)} ${'P(stock-out)'.padEnd(12)} unmet %`,
  );
  for (const row of rows) {
    const unmet = row.unmetShareOfDemand;
    lines.push(
      `  ${row.region.padEnd(6)} ${row.sector.padEnd(21)} ${band(row.monthsOfCoverAtStart).padEnd(18)} ${(row.stockOutMonth.p50 ?? 'none').padEnd(14)} ${String(row.shareOfDrawsWithStockOut).padEnd(12)} ${fmt(unmet.p50 === null ? null : unmet.p50 * 100)} [${fmt(unmet.p10 === null ? null : unmet.p10 * 100)}–${fmt(unmet.p90 === null ? null : unmet.p90 * 100)}]`,
    );
  }
  lines.push('');
  lines.push('How much can still be built');
  for (const p of r.products as {
    name: string;
    unitsFirst12Months: Bands;
    unitsOverHorizon: Bands;
    vsBaseline: { unitsFirst12Months: Bands } | null;
    caveat?: string;
  }[]) {
    const delta = p.vsBaseline ? `; vs baseline ${band(p.vsBaseline.unitsFirst12Months, 0)}` : '';
    lines.push(
      `  ${p.name}: first 12 months ${band(p.unitsFirst12Months, 0)}${delta}; horizon ${band(p.unitsOverHorizon, 0)}`,
    );
    if (p.caveat) lines.push(`    caveat: ${p.caveat}`);
  }
  lines.push('');
  lines.push('Price index outside China (1.0 = start): peak, month of peak (P50), end');
  for (const p of r.prices as {
    zone: string;
    element: string;
    peakIndex: Bands;
    peakMonth: string | null;
    endIndex: Bands;
  }[]) {
    if (p.zone !== 'exCN') continue;
    lines.push(
      `  ${p.element.padEnd(6)} peak ${band(p.peakIndex, 2).padEnd(24)} at ${(p.peakMonth ?? '—').padEnd(8)} end ${band(p.endIndex, 2)}`,
    );
  }
  lines.push('');
  lines.push(
    'Concentration (first and last year): HHI, top supplier share, EU CRMA largest third-country share (65% ceiling)',
  );
  const conc = r.concentration as {
    stage: string;
    year: number;
    hhi: Bands;
    topSupplier: string | null;
    topSupplierShare: Bands;
    euCrma: { topThirdCountry: string | null; share: Bands };
  }[];
  const years = conc.map((c) => c.year);
  const first = Math.min(...years);
  const last = Math.max(...years);
  for (const c of conc) {
    if (c.year !== first && c.year !== last) continue;
    lines.push(
      `  ${c.stage.padEnd(11)} ${c.year} HHI ${fmt(c.hhi.p50, 0).padEnd(6)} top ${String(c.topSupplier).padEnd(12)} ${fmt(c.topSupplierShare.p50 === null ? null : c.topSupplierShare.p50 * 100)}%  EU: ${String(c.euCrma.topThirdCountry)} ${fmt(c.euCrma.share.p50 === null ? null : c.euCrma.share.p50 * 100)}%`,
    );
  }
  if (r.scenario.assumptions.length > 0) {
    lines.push('');
    lines.push('Assumptions (scenario line: source)');
    for (const a of r.scenario.assumptions)
      lines.push(`  ${a.lever} (line ${a.line}): ${a.source.replace(/\s+/g, ' ').trim()}`);
  }
  return `${lines.join('\n')}\n`;
}

function progressBar(io: SimulateIo): ((done: number, total: number) => void) | undefined {
  if (!io.stderr.isTTY) return undefined;
  let last = -1;
  return (done, total) => {
    const pct = Math.floor((100 * done) / total);
    if (pct === last) return;
    last = pct;
    const width = 30;
    const filled = Math.round((width * done) / total);
    io.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${total} draws`,
    );
    if (done >= total) io.stderr.write('\n');
  };
}

export async function runSimulateCommand(
  file: string,
  options: { draws?: string; seed?: string; json?: boolean; workers?: string; compare?: boolean },
  io: SimulateIo = defaultIo,
): Promise<number> {
  try {
    const text = readFileSync(file, 'utf8');
    const draws = options.draws
      ? intOption(options.draws, 'draws', 1, simLimits.maxDraws)
      : simLimits.defaultDraws;
    const workers = options.workers
      ? intOption(options.workers, 'workers', 1, simLimits.maxWorkers)
      : defaultWorkers();
    const started = performance.now();
    const result = await simulate(text, {
      draws,
      seed: options.seed ?? '1',
      workers,
      label: file,
      onProgress: progressBar(io),
      ...(options.compare === false ? { compare: false } : {}),
    });
    const seconds = (performance.now() - started) / 1000;
    if (options.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      io.stdout.write(renderTable(result));
      io.stderr.write(`${draws} draws on ${workers} worker(s) in ${seconds.toFixed(2)} s\n`);
    }
    return 0;
  } catch (error) {
    if (isProblem(error)) {
      if (options.json) io.stdout.write(`${JSON.stringify(error.toJSON())}\n`);
      io.stderr.write(`error: ${error.message}\n`);
      for (const issue of error.issues.slice(1)) io.stderr.write(`  ${issue.message}\n`);
      return 2;
    }
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'Run the supply-disruption simulator on a scenario file (Monte Carlo, P10/P50/P90, vs baseline)',
    )
    .argument('<scenario>', 'scenario YAML file (see scenarios/)')
    .option('--draws <n>', `Monte Carlo draws (1-${simLimits.maxDraws})`, String(simLimits.defaultDraws))
    .option('--seed <s>', 'random seed (same scenario + seed = same numbers)', '1')
    .option('--workers <n>', 'worker threads (default: available cores, at most 8)')
    .option('--json', 'print the result object as JSON (the same as POST /simulations)')
    .option('--no-compare', 'skip the paired baseline run')
    .action(
      async (
        file: string,
        options: { draws?: string; seed?: string; json?: boolean; workers?: string; compare?: boolean },
      ) => {
        const code = await runSimulateCommand(file, options);
        if (code !== 0) process.exitCode = code;
      },
    );
}
