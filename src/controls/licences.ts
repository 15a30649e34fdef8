import type Database from 'better-sqlite3';
import { Problem, type ProblemIssue } from '../core/errors.js';
import { toMilligramsNumber } from '../core/units.js';
import { type Element, isElement } from '../domain/elements.js';
import { isMaterialForm, type MaterialForm } from '../domain/forms.js';
import { isCountryCode } from '../domain/party.js';
import { type DataFile, Reader } from './data.js';
import { addDays, addYears, type IsoDate, isIsoDate, parseAsOf } from './dates.js';
import { type EndUse, endUses } from './export-rules.js';
import type { Licence, LicenceEvent, LicenceLimits, LicenceStatus, LicenceType } from './licence-types.js';
import type { LedgerFact } from './ports.js';

export type { Licence, LicenceEvent, LicenceLimits, LicenceStatus, LicenceType } from './licence-types.js';

/**
 * Export licences: application, review, approval or denial, draw-down by exports, revocation; limits on
 * quantity, items, destinations and end users (Dual-Use Regulations Arts 15–18). Transitions are pure
 * functions from a licence to the next; a repository stores them with optimistic concurrency.
 */

export interface LicensingRules {
  readonly source: string;
  readonly effective: IsoDate;
  readonly single: { readonly maxYears: number; readonly maxEndUsers: number; readonly clause: string };
  readonly general: { readonly maxYears: number; readonly clause: string };
  readonly decisionWorkingDays: number;
  readonly decisionClause: string;
  readonly changeClause: string;
}

export function loadLicensingRules(files: readonly DataFile[]): LicensingRules | undefined {
  const file = files.find((f) => f.kind === 'licensing');
  if (file === undefined) return undefined;
  const r = new Reader(file.file);
  const b = file.body;
  const single = r.object(b.single, '/single');
  const general = r.object(b.general, '/general');
  return {
    source: r.string(b, 'source', ''),
    effective: r.date(b, 'effective', ''),
    single: {
      maxYears: r.number(single, 'maxYears', '/single'),
      maxEndUsers: r.number(single, 'maxEndUsers', '/single'),
      clause: r.string(single, 'clause', '/single'),
    },
    general: {
      maxYears: r.number(general, 'maxYears', '/general'),
      clause: r.string(general, 'clause', '/general'),
    },
    decisionWorkingDays: r.number(b, 'decisionWorkingDays', ''),
    decisionClause: r.string(b, 'decisionClause', ''),
    changeClause: r.string(b, 'changeClause', ''),
  };
}

export interface LicenceApplication {
  readonly type: LicenceType;
  readonly holderId: string;
  readonly appliedOn: IsoDate;
  readonly requestedFrom: IsoDate;
  readonly requestedUntil: IsoDate;
  readonly limits: LicenceLimits;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates an application from the wire; every fault named. */
export function parseLicenceApplication(body: unknown, rules: LicensingRules): LicenceApplication {
  if (!isObject(body)) throw new Problem('bad-request', 'a licence application is a JSON object');
  const issues: ProblemIssue[] = [];
  const bad = (field: string, message: string): void => {
    issues.push({ field, message });
  };
  const type = body.type;
  if (type !== 'single' && type !== 'general') bad('/type', 'single or general');
  if (typeof body.holderId !== 'string' || body.holderId === '') bad('/holderId', 'the exporter party id');
  const date = (key: string): IsoDate => {
    try {
      return parseAsOf(body[key], `/${key}`);
    } catch (error) {
      if (error instanceof Problem) issues.push(...error.issues);
      return '';
    }
  };
  const appliedOn = date('appliedOn');
  const requestedFrom = date('requestedFrom');
  const requestedUntil = date('requestedUntil');
  if (requestedFrom !== '' && requestedUntil !== '' && requestedUntil < requestedFrom)
    bad('/requestedUntil', 'ends before it starts');
  const limitsRaw = isObject(body.limits) ? body.limits : {};
  if (!isObject(body.limits)) bad('/limits', 'missing limits');
  const list = (key: string, check: (v: string) => boolean, what: string): string[] => {
    const raw = limitsRaw[key] ?? [];
    if (!Array.isArray(raw)) {
      bad(`/limits/${key}`, 'expected a list');
      return [];
    }
    const out: string[] = [];
    raw.forEach((v, i) => {
      if (typeof v !== 'string' || !check(v))
        bad(`/limits/${key}/${i}`, `unknown ${what} ${JSON.stringify(v)}`);
      else out.push(v);
    });
    return out;
  };
  const elements = list('elements', isElement, 'element') as Element[];
  const forms = list('forms', isMaterialForm, 'form') as MaterialForm[];
  const destinations = list('destinations', isCountryCode, 'country');
  const endUserIds = list('endUserIds', (v) => v !== '', 'end user');
  const uses = list('endUses', (v) => (endUses as readonly string[]).includes(v), 'end use') as EndUse[];
  const controlCodes = list('controlCodes', (v) => v !== '', 'control code');
  if (destinations.length === 0) bad('/limits/destinations', 'name at least one destination');
  if (endUserIds.length === 0) bad('/limits/endUserIds', 'name at least one end user');
  if (uses.length === 0) bad('/limits/endUses', 'missing end use');
  if (type === 'single' && endUserIds.length > rules.single.maxEndUsers)
    bad('/limits/endUserIds', `${rules.single.clause}`);
  let quantityMg = 0;
  const q = limitsRaw.quantity;
  if ((typeof q === 'number' && q <= 0) || (typeof q === 'string' && q.trim().startsWith('-'))) {
    bad('/limits/quantity', 'a quantity is positive');
  } else if ((typeof q !== 'number' && typeof q !== 'string') || typeof limitsRaw.uom !== 'string') {
    bad('/limits/quantity', 'quantity and uom (KGM, TNE, …) are required');
  } else {
    try {
      quantityMg = toMilligramsNumber(q, limitsRaw.uom);
      if (quantityMg <= 0) bad('/limits/quantity', 'a quantity is positive');
    } catch (error) {
      if (error instanceof Problem) bad('/limits/quantity', error.message);
      else throw error;
    }
  }
  if (type === 'single' || type === 'general') {
    const max = type === 'single' ? rules.single.maxYears : rules.general.maxYears;
    if (requestedFrom !== '' && requestedUntil !== '' && requestedUntil >= addYears(requestedFrom, max)) {
      bad(
        '/requestedUntil',
        `a ${type} licence is valid at most ${max} year(s) (${type === 'single' ? rules.single.clause : rules.general.clause})`,
      );
    }
  }
  if (issues.length > 0)
    throw new Problem('bad-request', issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
  return {
    type: type as LicenceType,
    holderId: body.holderId as string,
    appliedOn,
    requestedFrom,
    requestedUntil,
    limits: { controlCodes, elements, forms, destinations, endUserIds, endUses: uses, quantityMg },
  };
}

/** Working days after a date (Mon–Fri; public holidays are not modelled). */
export function addWorkingDays(date: IsoDate, days: number): IsoDate {
  let d = date;
  let left = days;
  while (left > 0) {
    d = addDays(d, 1);
    const weekday = new Date(`${d}T00:00:00Z`).getUTCDay();
    if (weekday !== 0 && weekday !== 6) left -= 1;
  }
  return d;
}

function transition(
  licence: Licence,
  allowed: readonly LicenceStatus[],
  action: LicenceEvent['action'],
): void {
  if (!allowed.includes(licence.status)) {
    throw new Problem('licence-state', `cannot ${action} licence ${licence.id} in status ${licence.status}`, [
      {
        record: licence.id,
        rule: `licence:${action}`,
        message: `status ${licence.status}; allowed from ${allowed.join(', ')}`,
      },
    ]);
  }
}

function checkAt(licence: Licence, at: IsoDate): void {
  if (!isIsoDate(at)) throw new Problem('bad-request', `bad date ${at}`);
  const last = licence.history.at(-1)?.at;
  if (last !== undefined && at < last) {
    throw new Problem('bad-request', `${at} is before the licence's last change on ${last}`, [
      { field: '/at', message: 'date out of range' },
    ]);
  }
}

export function applyForLicence(id: string, application: LicenceApplication, by: string): Licence {
  return {
    id,
    type: application.type,
    status: 'applied',
    holderId: application.holderId,
    appliedOn: application.appliedOn,
    validFrom: application.requestedFrom,
    validUntil: application.requestedUntil,
    limits: application.limits,
    usedMg: 0,
    exportsDrawn: 0,
    version: 1,
    history: [{ at: application.appliedOn, action: 'apply', by }],
  };
}

/** When MOFCOM must decide (Art. 17), counted from the application date. */
export function decisionDueBy(licence: Licence, rules: LicensingRules): IsoDate {
  return addWorkingDays(licence.appliedOn, rules.decisionWorkingDays);
}

export function reviewLicence(licence: Licence, at: IsoDate, by: string): Licence {
  transition(licence, ['applied'], 'review');
  checkAt(licence, at);
  return {
    ...licence,
    status: 'under-review',
    version: licence.version + 1,
    history: [...licence.history, { at, action: 'review', by }],
  };
}

export function approveLicence(
  licence: Licence,
  rules: LicensingRules,
  decision: {
    at: IsoDate;
    by: string;
    validFrom?: IsoDate;
    validUntil?: IsoDate;
    quantityMg?: number;
    note?: string;
  },
): Licence {
  transition(licence, ['under-review'], 'approve');
  checkAt(licence, decision.at);
  const validFrom = decision.validFrom ?? licence.validFrom ?? decision.at;
  const validUntil = decision.validUntil ?? licence.validUntil ?? decision.at;
  const max = licence.type === 'single' ? rules.single.maxYears : rules.general.maxYears;
  if (validUntil < validFrom || validUntil >= addYears(validFrom, max)) {
    throw new Problem('bad-request', `a ${licence.type} licence is valid at most ${max} year(s)`, [
      {
        field: '/validUntil',
        rule: licence.type === 'single' ? rules.single.clause : rules.general.clause,
        message: 'validity too long',
      },
    ]);
  }
  // An approval may narrow the quantity applied for, never widen it (a wider one is a new application, Art. 18).
  const quantityMg = decision.quantityMg ?? licence.limits.quantityMg;
  if (quantityMg <= 0 || quantityMg > licence.limits.quantityMg) {
    throw new Problem(
      'bad-request',
      `approved quantity must be positive and at most the ${licence.limits.quantityMg} mg applied for`,
      [{ field: '/quantity', rule: rules.changeClause, message: 'quantity out of range' }],
    );
  }
  return {
    ...licence,
    status: 'approved',
    validFrom,
    validUntil,
    limits: { ...licence.limits, quantityMg },
    version: licence.version + 1,
    history: [
      ...licence.history,
      {
        at: decision.at,
        action: 'approve',
        by: decision.by,
        ...(decision.note === undefined ? {} : { note: decision.note }),
      },
    ],
  };
}

export function denyLicence(licence: Licence, at: IsoDate, by: string, reason: string): Licence {
  transition(licence, ['applied', 'under-review'], 'deny');
  checkAt(licence, at);
  return {
    ...licence,
    status: 'denied',
    version: licence.version + 1,
    history: [...licence.history, { at, action: 'deny', by, note: reason }],
  };
}

export function revokeLicence(licence: Licence, at: IsoDate, by: string, reason: string): Licence {
  transition(licence, ['approved'], 'revoke');
  checkAt(licence, at);
  return {
    ...licence,
    status: 'revoked',
    version: licence.version + 1,
    history: [...licence.history, { at, action: 'revoke', by, note: reason }],
  };
}

/** The status as of a date: an approved licence past its validity has expired (not stored: it is a fact of time). */
export function statusOn(licence: Licence, asOf: IsoDate): LicenceStatus | 'expired' | 'not-yet-valid' {
  if (licence.status !== 'approved') return licence.status;
  if (licence.validUntil !== undefined && asOf > licence.validUntil) return 'expired';
  if (licence.validFrom !== undefined && asOf < licence.validFrom) return 'not-yet-valid';
  return 'approved';
}

export interface Drawdown {
  readonly at: IsoDate;
  readonly massMg: number;
  readonly destination: string;
  readonly endUserId: string;
  readonly elements?: readonly Element[];
  readonly form?: MaterialForm;
  readonly controlCode?: string;
  /** The ledger event that exported (log seq). */
  readonly seq?: number;
  readonly by: string;
}

/**
 * An export draws the licence down. Refused (nothing changes) unless the licence is approved and valid on the
 * date, and the export is within every limit. A single licence lapses after its export (Art. 15); a licence
 * whose quantity is used up is exhausted.
 */
export function drawDownLicence(licence: Licence, draw: Drawdown): Licence {
  transition(licence, ['approved'], 'draw-down');
  checkAt(licence, draw.at);
  const issues: ProblemIssue[] = [];
  const fail = (rule: string, message: string): void => {
    issues.push({ record: licence.id, rule, message });
  };
  if (!(draw.massMg > 0) || !Number.isSafeInteger(draw.massMg))
    fail('quantity', 'an export draws a positive whole number of mg');
  const status = statusOn(licence, draw.at);
  if (status !== 'approved')
    fail(
      'validity',
      `licence is ${status} on ${draw.at} (valid ${licence.validFrom}..${licence.validUntil})`,
    );
  const l = licence.limits;
  if (!l.destinations.includes(draw.destination))
    fail('destination', `destination ${draw.destination} not covered`);
  if (!l.endUserIds.includes(draw.endUserId)) fail('end-user', `end user ${draw.endUserId} not named`);
  if (
    l.elements.length > 0 &&
    draw.elements !== undefined &&
    !draw.elements.every((e) => l.elements.includes(e))
  ) {
    fail('item', `elements ${draw.elements.join(', ')} not all covered`);
  }
  if (l.forms.length > 0 && draw.form !== undefined && !l.forms.includes(draw.form))
    fail('item', `form ${draw.form} not covered`);
  if (
    l.controlCodes.length > 0 &&
    draw.controlCode !== undefined &&
    !l.controlCodes.includes(draw.controlCode)
  ) {
    fail('item', `control code ${draw.controlCode} not covered`);
  }
  if (licence.usedMg + draw.massMg > l.quantityMg)
    fail('quantity', `${draw.massMg} mg exceeds the ${l.quantityMg - licence.usedMg} mg left`);
  if (issues.length > 0) {
    throw new Problem(
      'rule-violation',
      `licence ${licence.id} does not cover this export: ${issues.map((i) => i.message).join('; ')}`,
      issues,
    );
  }
  const usedMg = licence.usedMg + draw.massMg;
  const exhausted = licence.type === 'single' || usedMg >= l.quantityMg;
  const event: LicenceEvent = {
    at: draw.at,
    action: 'draw-down',
    by: draw.by,
    massMg: draw.massMg,
    ...(draw.seq === undefined ? {} : { seq: draw.seq }),
  };
  return {
    ...licence,
    status: exhausted ? 'exhausted' : 'approved',
    usedMg,
    exportsDrawn: licence.exportsDrawn + 1,
    version: licence.version + 1,
    history: exhausted
      ? [...licence.history, event, { at: draw.at, action: 'exhaust', by: draw.by }]
      : [...licence.history, event],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Repositories

export interface LicenceFilter {
  readonly holderId?: string;
  readonly status?: LicenceStatus;
}

/** Where licences live. `save` is compare-and-swap on `version`: expectedVersion 0 creates. */
export interface LicenceRepository {
  get(id: string): Promise<Licence | undefined>;
  list(filter?: LicenceFilter): Promise<Licence[]>;
  save(licence: Licence, expectedVersion: number): Promise<void>;
}

/** The refusal of a save whose expected version is not the stored one (every repository answers with it). */
export function licenceConflict(id: string, expected: number, actual: number | undefined): Problem {
  return new Problem(
    'licence-conflict',
    `licence ${id} is at version ${actual ?? 'none'}, expected ${expected}`,
    [{ record: id, message: 'version mismatch' }],
  );
}

export class InMemoryLicenceRepository implements LicenceRepository {
  private readonly licences = new Map<string, Licence>();

  async get(id: string): Promise<Licence | undefined> {
    return this.licences.get(id);
  }

  async list(filter: LicenceFilter = {}): Promise<Licence[]> {
    return [...this.licences.values()]
      .filter(
        (l) =>
          (filter.holderId === undefined || l.holderId === filter.holderId) &&
          (filter.status === undefined || l.status === filter.status),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async save(licence: Licence, expectedVersion: number): Promise<void> {
    const current = this.licences.get(licence.id)?.version ?? 0;
    if (current !== expectedVersion)
      throw licenceConflict(licence.id, expectedVersion, current === 0 ? undefined : current);
    this.licences.set(licence.id, licence);
  }
}

/**
 * Licences in SQLite (better-sqlite3), in the controls' own tables. The licence is stored as JSON with its
 * queryable columns beside it; every version is kept in controls_licence_versions (records are kept ≥ 5 years,
 * Dual-Use Regulations Art. 27).
 */
export class SqliteLicenceRepository implements LicenceRepository {
  private readonly getStmt: Database.Statement<[string], { body: string }>;
  private readonly insertStmt: Database.Statement<[string, string, string, number, string]>;
  private readonly updateStmt: Database.Statement<[string, number, string, string, number]>;
  private readonly versionStmt: Database.Statement<[string, number, string]>;
  private readonly saveTx: (licence: Licence, expectedVersion: number) => void;

  constructor(private readonly db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS controls_licences (
        id TEXT PRIMARY KEY,
        holder_id TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS controls_licences_holder ON controls_licences (holder_id, status);
      CREATE TABLE IF NOT EXISTS controls_licence_versions (
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (id, version)
      );
    `);
    this.getStmt = db.prepare('SELECT body FROM controls_licences WHERE id = ?');
    this.insertStmt = db.prepare(
      'INSERT INTO controls_licences (id, holder_id, status, version, body) VALUES (?, ?, ?, ?, ?)',
    );
    this.updateStmt = db.prepare(
      'UPDATE controls_licences SET status = ?, version = ?, body = ? WHERE id = ? AND version = ?',
    );
    this.versionStmt = db.prepare(
      'INSERT INTO controls_licence_versions (id, version, body) VALUES (?, ?, ?)',
    );
    this.saveTx = db.transaction((licence: Licence, expectedVersion: number) => {
      const body = JSON.stringify(licence);
      if (expectedVersion === 0) {
        if (this.getStmt.get(licence.id) !== undefined)
          throw licenceConflict(licence.id, 0, this.readVersion(licence.id));
        this.insertStmt.run(licence.id, licence.holderId, licence.status, licence.version, body);
      } else {
        const changed = this.updateStmt.run(
          licence.status,
          licence.version,
          body,
          licence.id,
          expectedVersion,
        ).changes;
        if (changed !== 1) throw licenceConflict(licence.id, expectedVersion, this.readVersion(licence.id));
      }
      this.versionStmt.run(licence.id, licence.version, body);
    });
  }

  private readVersion(id: string): number | undefined {
    const row = this.getStmt.get(id);
    return row === undefined ? undefined : (JSON.parse(row.body) as Licence).version;
  }

  async get(id: string): Promise<Licence | undefined> {
    const row = this.getStmt.get(id);
    return row === undefined ? undefined : (JSON.parse(row.body) as Licence);
  }

  async list(filter: LicenceFilter = {}): Promise<Licence[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.holderId !== undefined) {
      where.push('holder_id = ?');
      params.push(filter.holderId);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      params.push(filter.status);
    }
    const sql = `SELECT body FROM controls_licences ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`;
    return (this.db.prepare(sql).all(...params) as { body: string }[]).map(
      (row) => JSON.parse(row.body) as Licence,
    );
  }

  async save(licence: Licence, expectedVersion: number): Promise<void> {
    this.saveTx(licence, expectedVersion);
  }

  /** Every stored version of a licence, oldest first (the audit trail). */
  versions(id: string): Licence[] {
    return (
      this.db.prepare('SELECT body FROM controls_licence_versions WHERE id = ? ORDER BY version').all(id) as {
        body: string;
      }[]
    ).map((row) => JSON.parse(row.body) as Licence);
  }
}

/** Reads, transforms and saves with compare-and-swap; a concurrent change is refused, not overwritten. */
export async function updateLicence(
  repo: LicenceRepository,
  id: string,
  change: (licence: Licence) => Licence,
): Promise<Licence> {
  const current = await repo.get(id);
  if (current === undefined)
    throw new Problem('not-found', `no licence ${id}`, [{ record: id, message: 'not found' }]);
  const next = change(current);
  await repo.save(next, current.version);
  return next;
}

/**
 * How often a draw-down is read and tried again when its licence changed between the read and the write: another
 * process (a second server on the same PostgreSQL, or one replaying the guard's outbox) drew on the licence in
 * between. Each try reads the licence afresh, so a draw-down the other process already made for the same export
 * is seen and not made twice.
 */
export const drawdownAttempts = 8;

/**
 * After the ledger accepts a capture, records the licence draw-downs `checkCaptureControls` returned. An export
 * the licence's history already shows drawn (a draw-down with the same log seq) is not drawn again, so the
 * capture guard may run this again after a crash (its outbox, src/controls/capture-guard.ts), and two processes
 * may run it at once: the compare-and-swap refuses the slower one's write, which then reads again (up to
 * `drawdownAttempts` times: each round one writer wins, so that many writers may draw on one licence at once)
 * instead of failing.
 */
export async function applyCaptureDrawdowns(
  repo: LicenceRepository,
  facts: readonly LedgerFact[],
  drawdowns: readonly { readonly licenceId: string; readonly massMg: number; readonly fact: number }[],
  at: IsoDate,
): Promise<Licence[]> {
  const out: Licence[] = [];
  for (const d of drawdowns) {
    const fact = facts[d.fact];
    if (fact === undefined)
      throw new Problem('internal', `draw-down names fact ${d.fact}, which the capture does not have`);
    out.push(await drawDownForExport(repo, d.licenceId, d.massMg, fact, at));
  }
  return out;
}

async function drawDownForExport(
  repo: LicenceRepository,
  licenceId: string,
  massMg: number,
  fact: LedgerFact,
  at: IsoDate,
): Promise<Licence> {
  for (let attempt = 1; ; attempt++) {
    const current = await repo.get(licenceId);
    if (current === undefined)
      throw new Problem('not-found', `no licence ${licenceId}`, [
        { record: licenceId, message: 'not found' },
      ]);
    if (current.history.some((e) => e.action === 'draw-down' && e.seq === fact.seq)) return current;
    const next = drawDownLicence(current, {
      at,
      massMg,
      destination: fact.destinationCountry ?? '',
      endUserId: fact.counterpartyId ?? '',
      seq: fact.seq,
      by: fact.partyId,
    });
    try {
      await repo.save(next, current.version);
      return next;
    } catch (error) {
      const conflict = error instanceof Problem && error.kind === 'licence-conflict';
      if (!conflict || attempt >= drawdownAttempts) throw error;
    }
  }
}
