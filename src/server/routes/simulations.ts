/**
 * POST /simulations: run the supply-disruption simulator. Returns the same object as
 * `raretrace simulate SCENARIO.yaml --json`.
 *
 * Bodies:
 *  - application/json: { "scenario": "<YAML text>" | { ...scenario as JSON... }, "draws"?, "seed"?, "compare"?, "ledger"? }
 *  - application/yaml (or text/yaml, application/x-yaml, text/plain): the scenario text itself; draws, seed and
 *    compare go in the query string.
 * Scenario errors are 400 problem details (`scenario-invalid`) naming the line (and the JSON pointer); a scenario
 * sent as a JSON object is checked as pretty-printed JSON (two-space indent), so lines refer to that text.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Problem } from '../../core/errors.js';
import { simulate } from '../../sim/index.js';
import type { LedgerStartingState } from '../../sim/ledger.js';
import { simLimits } from '../../sim/limits.js';
import { defaultWorkers } from '../../sim/montecarlo.js';
import { problemHandler } from '../problems.js';

export interface SimulationRoutesOptions {
  /** Called before the route with the action name `simulate`; throw a Problem to refuse. Absent = open. */
  readonly authorize?: (request: FastifyRequest, action: string) => Promise<void>;
  /** Most draws per request (default simLimits.maxDrawsHttp). */
  readonly maxDraws?: number;
  /** Worker threads per request (default: available cores, at most 8). */
  readonly workers?: number;
  /** The ledger's current stocks and flows, used as the starting state when the request asks for it. */
  readonly ledgerState?: () => Promise<LedgerStartingState | undefined>;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'];

function intParam(
  value: unknown,
  name: string,
  min: number,
  max: number,
  limitName: string,
): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Problem('bad-request', `${name} must be an integer from ${min} to ${max}`, [
      { field: `/${name}`, rule: `simLimits.${limitName}`, message: `${name} out of range` },
    ]);
  }
  return n;
}

export const simulationRoutes: FastifyPluginAsync<SimulationRoutesOptions> = async (
  app: FastifyInstance,
  opts,
) => {
  app.setErrorHandler(problemHandler);
  app.addContentTypeParser(
    YAML_TYPES,
    { parseAs: 'string', bodyLimit: simLimits.maxScenarioBytes },
    (_req, body, done) => {
      done(null, body);
    },
  );
  const maxDraws = opts.maxDraws ?? simLimits.maxDrawsHttp;

  app.post('/simulations', async (request, reply) => {
    if (opts.authorize) await opts.authorize(request, 'simulate');
    const query = (request.query ?? {}) as Record<string, unknown>;
    let text: string;
    let params: Record<string, unknown> = query;
    if (typeof request.body === 'string') text = request.body;
    else if (request.body && typeof request.body === 'object' && !Array.isArray(request.body)) {
      const b = request.body as Record<string, unknown>;
      params = { ...query, ...b };
      if (typeof b.scenario === 'string') text = b.scenario;
      else if (b.scenario && typeof b.scenario === 'object') text = JSON.stringify(b.scenario, null, 2);
      else
        throw new Problem('bad-request', 'send the scenario as YAML text or a JSON object in "scenario"', [
          { field: '/scenario', message: 'missing' },
        ]);
    } else
      throw new Problem(
        'bad-request',
        'send a scenario (application/yaml) or {"scenario": ...} (application/json)',
      );
    if (Buffer.byteLength(text) > simLimits.maxScenarioBytes) {
      throw new Problem('document-too-large', `the scenario exceeds ${simLimits.maxScenarioBytes} bytes`, [
        { rule: 'simLimits.maxScenarioBytes', message: 'scenario too large' },
      ]);
    }
    const draws =
      intParam(params.draws, 'draws', 1, maxDraws, 'maxDrawsHttp') ??
      Math.min(simLimits.defaultDraws, maxDraws);
    const seed = params.seed === undefined ? '1' : String(params.seed);
    const compare =
      params.compare === undefined ? undefined : params.compare === true || params.compare === 'true';
    const useLedger = params.fromLedger === true || params.fromLedger === 'true';
    let ledger = params.ledger as LedgerStartingState | undefined;
    if (useLedger && opts.ledgerState) ledger = await opts.ledgerState();
    const result = await simulate(text, {
      draws,
      seed,
      workers: opts.workers ?? defaultWorkers(),
      maxDraws,
      label: 'scenario',
      ...(compare === undefined ? {} : { compare }),
      ...(ledger ? { ledger } : {}),
    });
    return reply.status(200).type('application/json').send(result);
  });
};
