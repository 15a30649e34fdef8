import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ViolationFilter, ViolationRecord, ViolationRepository } from '../../controls/violations.js';
import { Problem, type ProblemIssue } from '../../core/errors.js';
import { limits } from '../../core/limits.js';
import { type Principal, readsEverything } from '../auth.js';
import { problemHandler } from '../problems.js';

export interface ViolationRoutesOptions {
  readonly violations: ViolationRepository;
  /** Writes what the last capture's guard still holds before listing (ControlsCaptureGuard.settle). */
  readonly settle?: () => Promise<void>;
  /**
   * Who is asking. Regulators, auditors and the operator see every violation; a party token sees only its own.
   * Absent = open (tests); present and answering undefined = 401.
   */
  readonly principal?: (request: FastifyRequest) => Promise<Principal | undefined>;
}

interface Query {
  party?: string;
  code?: string;
  from?: string;
  to?: string;
  after?: string;
  limit?: string;
}

function parseTime(value: string, field: string, issues: ProblemIssue[]): number | undefined {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    issues.push({ field, message: `not a date (YYYY-MM-DD) or an ISO 8601 time: ${JSON.stringify(value)}` });
    return undefined;
  }
  return ms;
}

function view(v: ViolationRecord): Record<string, unknown> {
  return {
    id: v.id,
    seq: v.seq,
    eventHash: v.eventHash,
    partyId: v.partyId,
    code: v.code,
    clause: v.clause,
    source: v.source,
    message: v.message,
    record: v.record,
    eventTime: new Date(v.eventTimeMs).toISOString(),
    recordTime: new Date(v.recordedMs).toISOString(),
  };
}

/**
 * GET /violations: control violations the ledger accepted and recorded (quotas.yaml `enforcement: violation`).
 * Filters: `party`, `code`, `from` (inclusive) and `to` (exclusive) on event time, `after` (id) and `limit`.
 */
export async function violationRoutes(app: FastifyInstance, options: ViolationRoutesOptions): Promise<void> {
  app.setErrorHandler(problemHandler);
  app.get<{ Querystring: Query }>('/violations', async (request) => {
    let party = request.query.party;
    if (options.principal !== undefined) {
      const principal = await options.principal(request);
      if (principal === undefined) throw new Problem('unauthenticated', 'send Authorization: Bearer <token>');
      if (!readsEverything(principal)) {
        if (party !== undefined && party !== principal.partyId) {
          throw new Problem(
            'forbidden',
            `a party token reads only its own violations (${principal.partyId})`,
            [{ field: 'party', record: party, message: 'not your party' }],
          );
        }
        party = principal.partyId;
      }
    }
    const issues: ProblemIssue[] = [];
    const q = request.query;
    const fromMs = q.from === undefined ? undefined : parseTime(q.from, 'from', issues);
    const toMs = q.to === undefined ? undefined : parseTime(q.to, 'to', issues);
    const count = (value: string | undefined, field: string, max: number): number | undefined => {
      if (value === undefined) return undefined;
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 0 || n > max) {
        issues.push({ field, message: `a whole number from 0 to ${max}` });
        return undefined;
      }
      return n;
    };
    const afterId = count(q.after, 'after', Number.MAX_SAFE_INTEGER);
    const limit = count(q.limit, 'limit', limits.maxPerPage);
    if (issues.length > 0)
      throw new Problem('bad-query', issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
    await options.settle?.();
    const filter: ViolationFilter = {
      ...(party === undefined || party === '' ? {} : { partyId: party }),
      ...(q.code === undefined || q.code === '' ? {} : { code: q.code }),
      ...(fromMs === undefined ? {} : { fromMs }),
      ...(toMs === undefined ? {} : { toMs }),
      ...(afterId === undefined ? {} : { afterId }),
      ...(limit === undefined || limit === 0 ? {} : { limit }),
    };
    const rows = await options.violations.list(filter);
    const pageSize = filter.limit ?? limits.maxPerPage;
    const last = rows.at(-1);
    return {
      violations: rows.map(view),
      ...(rows.length === pageSize && last !== undefined ? { next: last.id } : {}),
    };
  });
}
