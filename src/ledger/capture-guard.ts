import type { Lot } from '../domain/lot.js';
import type { Location, Party } from '../domain/party.js';
import type { NewEvent, Store } from '../store/store.js';
import type { Actor } from './decide.js';
import type { ExtensionKeys } from './extension.js';

/**
 * The seam where control rules (quotas, export licences) look at a capture after the decider accepted it and
 * before it is appended. A guard refuses the whole document by throwing a Problem (nothing is written), or
 * lets it through with findings. `afterAppend` runs once the append has committed, to record what the guard
 * keeps (violations, usage, licence draw-downs) in its own storage; `abandon` if the append failed.
 */
export interface PendingCapture {
  /** The events about to be recorded, with their log sequence numbers. */
  readonly events: readonly NewEvent[];
  /**
   * Each of those events as parsed from the document (`parsed[i]` is `events[i]`): a guard reads fields from
   * here, since an event's text may already be on its way to the store's writer thread.
   */
  readonly parsed: readonly Record<string, unknown>[];
  /** Every lot the document touched or created, in its state after the document. */
  readonly lots: ReadonlyMap<string, Lot>;
  /** Locations known to the decision (registered ones the document named, and any it registered). */
  readonly locations: ReadonlyMap<string, Location>;
  /** Parties the decision knows that the store may not have yet (registered earlier in the batch, or now). */
  readonly parties?: ReadonlyMap<string, Party>;
  readonly actor: Actor;
  /** How the document spells our extension's terms (its @context), for reading `ree:` fields. */
  readonly keys: ExtensionKeys;
}

export interface GuardFinding {
  /** A stable code, e.g. `over-capacity`. */
  readonly code: string;
  readonly message: string;
  /** Index of the event in the document. */
  readonly eventIndex?: number;
  readonly record?: string;
  readonly clause?: string;
  readonly source?: string;
}

export interface GuardOutcome {
  /** Rules that fired but, as configured, only record a violation. */
  readonly violations: readonly GuardFinding[];
  afterAppend(): Promise<void>;
  /**
   * What `afterAppend` will write, as the guard's own text: the ledger commits it in the append's transaction
   * (an outbox entry under the document's last seq), and `afterAppend` clears it once written. Absent when
   * there is nothing to write.
   */
  readonly outbox?: string;
  /** The append failed: the guard forgets what it assumed about this capture (and any after it). */
  abandon?(): void;
}

export interface CaptureGuard {
  review(pending: PendingCapture, store: Store): Promise<GuardOutcome>;
  /**
   * True when `review` may run before earlier outcomes are appended (a bulk import commits many documents in
   * one transaction): the guard then keeps what accepted captures change in memory until `afterAppend` or
   * `abandon`, and reads master data and lots from the pending capture before the store. Otherwise the ledger
   * commits each document before reviewing the next.
   */
  readonly batchAware?: boolean;
  /**
   * Writes what outbox entries left in the store hold (the process stopped between an append and its
   * `afterAppend`), then clears them, and says how many it found. Idempotent; the runtime calls it on start,
   * and a serving process sweeps with it now and then.
   */
  recover?(store: Store): Promise<number>;
}
