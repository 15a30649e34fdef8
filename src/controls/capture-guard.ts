import { Problem, type ProblemIssue } from '../core/errors.js';
import type { Lot } from '../domain/lot.js';
import type { Location, Party } from '../domain/party.js';
import type { CaptureGuard, GuardFinding, GuardOutcome, PendingCapture } from '../ledger/capture-guard.js';
import type { NewEvent, Store } from '../store/store.js';
import { dateOfMs } from './dates.js';
import type { ExportControlData } from './export-rules.js';
import type { Licence } from './licence-types.js';
import { applyCaptureDrawdowns, type LicenceRepository } from './licences.js';
import type { LedgerFact } from './ports.js';
import {
  type ControlViolation,
  checkCaptureControls,
  deriveUsage,
  type QuotaConfig,
  yearOfMs,
} from './quotas.js';
import type { ControlRules } from './rules.js';
import { eventToFact, type FactLookups, storeControlsLedger } from './store-ledger.js';
import type { NewViolation, ViolationRepository } from './violations.js';

/** How often a serving process sweeps the guard's outbox (`ControlsCaptureGuard.sweep`), ms. */
export const guardOutboxSweepMs = 30_000;

/**
 * The controls' capture guard (src/ledger/capture-guard.ts): total-quantity control and export licences,
 * checked on every capture after the decider accepted it and before the append.
 *
 * - The document's events become controls facts (`eventToFact`, the same reading `storeControlsLedger` uses),
 *   looked up in the document first (its lots and locations are not written yet), then in caches, then in the
 *   store. Only mining (a commissioning at a mine) and separation in China, and exports from China, are
 *   checked; a document with none of them costs a scan of its events and nothing else.
 * - Year-to-date usage is derived from the ledger once per enterprise and year (`deriveUsage`), then kept in
 *   memory and advanced by each accepted capture's `usageDelta`. When the log's size is not what this guard
 *   last saw after its own capture, another writer moved it, and the caches are dropped.
 * - `checkCaptureControls` runs as of each event's date. A `reject` throws a Problem (`rule-violation`, 422)
 *   naming the event, the rule and the record, and nothing is written. Otherwise the usage is advanced and the
 *   licence draw-downs are held as pending at once (in memory), the violations are returned as findings, and
 *   `afterAppend` records them and writes the draw-downs; `abandon` (the append failed) forgets everything
 *   unwritten and the caches. So a bulk import may review many documents before their batch is appended.
 *
 * The append and `afterAppend` are two steps, so what `afterAppend` writes also travels as an outbox entry in
 * the append's transaction: `recover` writes what a crash left there, and every write is idempotent
 * (docs/controls.md, "The outbox").
 */
export interface ControlsCaptureGuardOptions {
  readonly quotas: QuotaConfig;
  /** Export rules, to decide which exports need a licence; omit to skip the licence check. */
  readonly exportControls?: ExportControlData;
  readonly licences: LicenceRepository;
  readonly violations: ViolationRepository;
  /** The country whose total-quantity control and export licensing the guard enforces; default CN. */
  readonly country?: string;
}

/**
 * What one accepted capture's `afterAppend` writes, as plain data: the ledger commits it as an outbox entry in
 * the append's transaction, so that `recover` can write it after a crash.
 */
interface OutboxRecord {
  readonly violations: readonly NewViolation[];
  readonly drawdowns: readonly {
    readonly licenceId: string;
    readonly massMg: number;
    readonly fact: LedgerFact;
    /** The export event's hash. */
    readonly hash: string;
  }[];
  /** When the ledger recorded the capture, ms since epoch. */
  readonly recordedMs: number;
}

/** An accepted capture's records, kept until they are written (by `afterAppend`, or by `settle`). */
interface Unsettled {
  readonly lastSeq: number;
  readonly lastHash: string;
  done: boolean;
  readonly apply: () => Promise<void>;
}

const nothing: GuardOutcome = { violations: [], afterAppend: async () => undefined };

function violationRecord(v: ControlViolation, fact: LedgerFact): string {
  return v.code === 'unlicensed-export' || v.code === 'licence-not-valid'
    ? (fact.lotIds[0] ?? fact.partyId)
    : fact.partyId;
}

export class ControlsCaptureGuard implements CaptureGuard {
  private readonly country: string;
  /** Usage (REO mg by quota key) for the enterprise-years in `loaded`, as of `expectedSize`. */
  private readonly usage = new Map<string, number>();
  private readonly loaded = new Set<string>();
  private readonly locations = new Map<string, Location>();
  private readonly parties = new Map<string, Party>();
  /** The tree size after the last capture this guard let through (appended or still pending); undefined before any. */
  private expectedSize: number | undefined;
  /** Accepted captures whose records are not written yet, oldest first (several while a batch is in flight). */
  private unsettled: Unsettled[] = [];
  /** A sweep is running (`sweep` starts no second one). */
  private sweeping = false;
  /** Licence draw-downs of accepted captures not yet written to the licence repository, by licence. */
  private readonly pendingDrawn = new Map<string, { mg: number; exports: number }>();
  /**
   * Reviews may run before earlier outcomes are appended (a bulk import's batch): what an accepted capture
   * changes in memory (usage, pending draw-downs, the expected tree size) is applied at review, what it writes
   * (violations, draw-downs) at `afterAppend`, and `abandon` forgets it all if the append failed.
   */
  readonly batchAware = true;

  constructor(private readonly options: ControlsCaptureGuardOptions) {
    this.country = options.country ?? 'CN';
  }

  /** A guard for the loaded control rules, or undefined when there is no quotas.yaml. */
  static fromRules(
    rules: ControlRules,
    repositories: { licences: LicenceRepository; violations: ViolationRepository },
  ): ControlsCaptureGuard | undefined {
    if (rules.quotas === undefined) return undefined;
    return new ControlsCaptureGuard({
      quotas: rules.quotas,
      exportControls: rules.exportControls,
      ...repositories,
    });
  }

  get licences(): LicenceRepository {
    return this.options.licences;
  }

  get violations(): ViolationRepository {
    return this.options.violations;
  }

  private dropCaches(): void {
    this.usage.clear();
    this.loaded.clear();
    this.locations.clear();
    this.parties.clear();
  }

  /**
   * Writes the records of accepted captures that reached the store and whose `afterAppend` has not run (a caller
   * that lists violations calls this first). Idempotent.
   */
  async settle(store: Store): Promise<void> {
    for (const u of [...this.unsettled]) {
      if (u.done) continue;
      const found = await store.getEventByHash(u.lastHash);
      if (found !== undefined && found.seq === u.lastSeq) await u.apply();
    }
  }

  /** The ledger could not append what was reviewed: forget every unwritten capture and every cache. */
  private abandonAll(): void {
    for (const u of this.unsettled) u.done = true;
    this.unsettled = [];
    this.pendingDrawn.clear();
    this.expectedSize = undefined;
    this.dropCaches();
  }

  /** Before a review: drop the caches if another writer moved the log since this guard's last capture. */
  private begin(firstSeq: number): void {
    this.unsettled = this.unsettled.filter((u) => !u.done);
    if (firstSeq !== this.expectedSize) {
      // Captures still unwritten cannot be reconciled with a log that moved under them.
      if (this.unsettled.length > 0) this.abandonAll();
      this.dropCaches();
    }
  }

  private async location(id: string, pending: PendingCapture, store: Store): Promise<Location | undefined> {
    const known = pending.locations.get(id) ?? this.locations.get(id);
    if (known !== undefined) return known;
    const loaded = await store.getLocation(id);
    if (loaded !== undefined) this.locations.set(id, loaded);
    return loaded;
  }

  private lookups(pending: PendingCapture, store: Store): FactLookups {
    return {
      // Every pending event comes from the one document under review.
      keys: () => pending.keys,
      location: (id) => this.location(id, pending, store),
      party: async (id) => {
        const known = pending.parties?.get(id) ?? this.parties.get(id);
        if (known !== undefined) return known;
        const loaded = await store.getParty(id);
        if (loaded !== undefined) this.parties.set(id, loaded);
        return loaded;
      },
      lots: async (ids) => {
        const out = new Map<string, Lot>();
        const missing: string[] = [];
        for (const id of ids) {
          const lot = pending.lots.get(id);
          if (lot === undefined) missing.push(id);
          else out.set(id, lot);
        }
        if (missing.length > 0) for (const [id, lot] of await store.getLots(missing)) out.set(id, lot);
        return out;
      },
    };
  }

  /** The document's facts that controls check, with the index of each one's event. */
  private async factsOf(
    pending: PendingCapture,
    store: Store,
  ): Promise<{ facts: LedgerFact[]; eventOf: number[] }> {
    const facts: LedgerFact[] = [];
    const eventOf: number[] = [];
    let lookups: FactLookups | undefined;
    const { events, parsed } = pending;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as NewEvent;
      const json = parsed[i] as Record<string, unknown>;
      const locationId = event.bizLocation;
      if (locationId === null) continue;
      const step = event.bizStep ?? '';
      const transformation = event.type === 'TransformationEvent';
      const commissioning =
        event.type === 'ObjectEvent' && event.action === 'ADD' && step.endsWith('commissioning');
      const shipping = event.type === 'ObjectEvent' && step.endsWith('shipping');
      const separation = transformation && pending.keys.get(json, 'process')?.value === 'separation';
      if (!commissioning && !shipping && !separation) continue;
      const loc = await this.location(locationId, pending, store);
      if (loc === undefined || loc.country !== this.country) continue;
      if (commissioning && loc.kind !== 'mine') continue;
      lookups ??= this.lookups(pending, store);
      const fact = await eventToFact(event, lookups, json);
      if (fact === undefined) continue;
      if (fact.kind !== 'mining' && fact.kind !== 'separation' && fact.kind !== 'export') continue;
      facts.push(fact);
      eventOf.push(i);
    }
    return { facts, eventOf };
  }

  /** Loads year-to-date usage for the enterprise-years the facts touch that hold an allocation. */
  private async loadUsage(facts: readonly LedgerFact[], store: Store): Promise<void> {
    const { quotas } = this.options;
    for (const fact of facts) {
      if (fact.kind !== 'mining' && fact.kind !== 'separation') continue;
      const year = yearOfMs(fact.eventTime);
      const key = `${fact.partyId}|${year}`;
      if (this.loaded.has(key)) continue;
      if (!quotas.allocations.some((a) => a.partyId === fact.partyId && a.year === year)) continue;
      const derived = await deriveUsage(storeControlsLedger(store), quotas, fact.partyId, year);
      for (const [k, v] of derived) this.usage.set(k, v);
      this.loaded.add(key);
    }
  }

  async review(pending: PendingCapture, store: Store): Promise<GuardOutcome> {
    const events = pending.events;
    const first = events[0];
    const last = events.at(-1);
    if (first === undefined || last === undefined) return nothing;
    this.begin(first.seq);

    const { facts, eventOf } = await this.factsOf(pending, store);
    if (facts.length === 0) return this.outcome(store, last, new Map(), [], [], [], facts, []);
    await this.loadUsage(facts, store);

    const licences = new Map<string, Licence>();
    for (const fact of facts) {
      if (fact.licenceId === undefined || licences.has(fact.licenceId)) continue;
      const licence = await this.options.licences.get(fact.licenceId);
      if (licence !== undefined) licences.set(fact.licenceId, licence);
    }

    // Checked as of each event's date: runs of facts on one date, each seeing what the earlier runs added.
    const delta = new Map<string, number>();
    const drawn = new Map<string, { mg: number; exports: number }>();
    const violations: { v: ControlViolation; fact: number }[] = [];
    const drawdowns: { licenceId: string; massMg: number; fact: number }[] = [];
    let start = 0;
    while (start < facts.length) {
      const date = dateOfMs((facts[start] as LedgerFact).eventTime);
      let end = start + 1;
      while (end < facts.length && dateOfMs((facts[end] as LedgerFact).eventTime) === date) end++;
      const run = facts.slice(start, end);
      const usage = new Map(this.usage);
      for (const [k, v] of delta) usage.set(k, (usage.get(k) ?? 0) + v);
      const result = checkCaptureControls({
        asOf: date,
        facts: run,
        usage,
        quotas: this.options.quotas,
        ...(this.options.exportControls === undefined ? {} : { exportControls: this.options.exportControls }),
        licences: (id) => {
          const licence = licences.get(id);
          // Draw-downs of this document so far, and of accepted captures not yet written.
          const used = drawn.get(id);
          const pending = this.pendingDrawn.get(id);
          if (licence === undefined || (used === undefined && pending === undefined)) return licence;
          return {
            ...licence,
            usedMg: licence.usedMg + (used?.mg ?? 0) + (pending?.mg ?? 0),
            exportsDrawn: licence.exportsDrawn + (used?.exports ?? 0) + (pending?.exports ?? 0),
          };
        },
        countryOf: (id) => pending.locations.get(id)?.country ?? this.locations.get(id)?.country,
      });
      for (const v of result.violations) violations.push({ v, fact: start + v.fact });
      for (const [k, v] of result.usageDelta) delta.set(k, (delta.get(k) ?? 0) + v);
      for (const d of result.drawdowns) {
        drawdowns.push({ ...d, fact: start + d.fact });
        const used = drawn.get(d.licenceId) ?? { mg: 0, exports: 0 };
        drawn.set(d.licenceId, { mg: used.mg + d.massMg, exports: used.exports + 1 });
      }
      start = end;
    }

    const rejected = violations.filter(({ v }) => v.enforcement === 'reject');
    if (rejected.length > 0) {
      const issues: ProblemIssue[] = rejected.map(({ v, fact }) => ({
        eventIndex: eventOf[fact] as number,
        rule: `${v.code}: ${v.clause}`,
        record: violationRecord(v, facts[fact] as LedgerFact),
        message: `${v.message} (${v.source})`,
      }));
      const head = issues[0] as ProblemIssue;
      throw new Problem(
        'rule-violation',
        `control rules refuse this capture: event ${head.eventIndex}: ${head.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
        issues,
      );
    }
    const records: NewViolation[] = [];
    const findings: GuardFinding[] = [];
    for (const { v, fact } of violations) {
      const f = facts[fact] as LedgerFact;
      const index = eventOf[fact] as number;
      const event = events[index] as NewEvent;
      const record = violationRecord(v, f);
      findings.push({
        code: v.code,
        message: v.message,
        eventIndex: index,
        record,
        clause: v.clause,
        source: v.source,
      });
      records.push({
        seq: event.seq,
        eventHash: event.hash,
        partyId: v.partyId,
        code: v.code,
        clause: v.clause,
        source: v.source,
        message: v.message,
        record,
        eventTimeMs: event.eventTimeMs,
        recordedMs: event.recordTimeMs,
      });
    }
    const hashes = eventOf.map((i) => (events[i] as NewEvent).hash);
    return this.outcome(store, last, delta, records, findings, drawdowns, facts, hashes);
  }

  private outcome(
    store: Store,
    last: NewEvent,
    delta: ReadonlyMap<string, number>,
    records: readonly NewViolation[],
    findings: readonly GuardFinding[],
    drawdowns: readonly { licenceId: string; massMg: number; fact: number }[],
    facts: readonly LedgerFact[],
    hashes: readonly string[],
  ): GuardOutcome {
    // In memory now, so that the next review (perhaps before this capture is appended) sees it.
    this.expectedSize = last.seq + 1;
    for (const [k, v] of delta) this.usage.set(k, (this.usage.get(k) ?? 0) + v);
    for (const d of drawdowns) {
      const pending = this.pendingDrawn.get(d.licenceId) ?? { mg: 0, exports: 0 };
      this.pendingDrawn.set(d.licenceId, { mg: pending.mg + d.massMg, exports: pending.exports + 1 });
    }
    const record: OutboxRecord = {
      violations: records,
      drawdowns: drawdowns.map((d) => ({
        licenceId: d.licenceId,
        massMg: d.massMg,
        fact: facts[d.fact] as LedgerFact,
        hash: hashes[d.fact] ?? '',
      })),
      recordedMs: last.recordTimeMs,
    };
    const u: Unsettled = {
      lastSeq: last.seq,
      lastHash: last.hash,
      done: false,
      apply: async () => {
        if (u.done) return;
        u.done = true;
        for (const d of record.drawdowns) {
          const pending = this.pendingDrawn.get(d.licenceId);
          if (pending === undefined) continue;
          if (pending.exports <= 1) this.pendingDrawn.delete(d.licenceId);
          else
            this.pendingDrawn.set(d.licenceId, { mg: pending.mg - d.massMg, exports: pending.exports - 1 });
        }
        await this.write(store, last.seq, record);
      },
    };
    this.unsettled.push(u);
    const written = record.violations.length > 0 || record.drawdowns.length > 0;
    return {
      violations: findings,
      afterAppend: () => u.apply(),
      abandon: () => this.abandonAll(),
      ...(written ? { outbox: JSON.stringify(record) } : {}),
    };
  }

  /**
   * Writes one capture's records: its licence draw-downs, its violations, then clears its outbox entry. Each
   * step may run again after a crash between them: a draw-down already in the licence's history (same export
   * seq) is not drawn again (applyCaptureDrawdowns), a violation already recorded is not added again.
   */
  private async write(store: Store, seq: number, record: OutboxRecord): Promise<void> {
    const extra: NewViolation[] = [];
    for (const d of record.drawdowns) {
      try {
        await applyCaptureDrawdowns(
          this.options.licences,
          [d.fact],
          [{ licenceId: d.licenceId, massMg: d.massMg, fact: 0 }],
          dateOfMs(d.fact.eventTime),
        );
      } catch (error) {
        // The export is in the log already: a draw-down refused now (the licence changed since the check)
        // is recorded as a violation rather than lost.
        if (!(error instanceof Problem)) throw error;
        extra.push({
          seq: d.fact.seq,
          eventHash: d.hash,
          partyId: d.fact.partyId,
          code: 'licence-not-valid',
          clause: this.options.quotas.rules.unlicensedExport.clause,
          source: this.options.quotas.rules.unlicensedExport.source,
          message: `draw-down of licence ${d.licenceId} failed after the append: ${error.message}`,
          record: d.fact.lotIds[0] ?? d.fact.partyId,
          eventTimeMs: d.fact.eventTime,
          recordedMs: record.recordedMs,
        });
      }
    }
    await this.options.violations.add([...record.violations, ...extra]);
    await store.clearGuardOutbox([seq]);
  }

  /**
   * Writes what outbox entries the store still holds: captures whose append committed but whose records were
   * not written (the process stopped in between). Run on start, before captures (openRuntime); an entry of a
   * capture this guard still holds in memory is written as `afterAppend` would.
   */
  async recover(store: Store): Promise<number> {
    const entries = await store.guardOutbox();
    for (const entry of entries) {
      const held = this.unsettled.find((u) => u.lastSeq === entry.seq && !u.done);
      if (held !== undefined) await held.apply();
      else await this.write(store, entry.seq, JSON.parse(entry.record) as OutboxRecord);
    }
    return entries.length;
  }

  /**
   * `recover` while the process serves (every `guardOutboxSweepMs`): an entry whose write failed after its append
   * (the database refused or was out of reach for a moment) is written then, not at the next start. An entry
   * another process is writing at the same moment is written alike by both: every write is idempotent, and a
   * draw-down that meets the other's change reads the licence again (applyCaptureDrawdowns). Returns how many
   * entries it found; 0 when a sweep is still running.
   */
  async sweep(store: Store): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      return await this.recover(store);
    } finally {
      this.sweeping = false;
    }
  }
}
