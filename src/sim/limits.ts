/**
 * Named limits for the simulator, checked at the edge (CLI and HTTP), so a request cannot ask for unbounded
 * work and a refusal can name the bound it hit.
 */
export const simLimits = {
  /** Most Monte Carlo draws in one request. */
  maxDraws: 100_000,
  /** Most draws over HTTP (a request holds a connection while it runs). */
  maxDrawsHttp: 20_000,
  /** Longest horizon, months (30 years). */
  maxHorizonMonths: 360,
  /** Largest scenario text, bytes. */
  maxScenarioBytes: 256 * 1024,
  /** Most worker threads. */
  maxWorkers: 32,
  /** Default draws when none are asked for. */
  defaultDraws: 1_000,
} as const;
