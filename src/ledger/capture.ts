import { isProblem } from '../core/errors.js';
import type { Lot } from '../domain/lot.js';
import type { JsonLdContext } from '../epcis/index.js';
import { eventHash, parseCaptureBody, parseSingleEvent, validateDocument } from '../epcis/index.js';
import type { Store, TileRecord, WriteSet } from '../store/store.js';
import type { CaptureGuard, GuardFinding, GuardOutcome } from './capture-guard.js';
import { type Actor, type CaptureWarning, decide, type EventInput, type EventOutcome } from './decide.js';
import { ExtensionKeys, parseMasterData } from './extension.js';
import type { LogWriter } from './log-writer.js';

/**
 * Capture: the write path. Parse and validate a document, hash its events, load the state they touch, decide,
 * and append everything (events, lot changes, Merkle tiles) in one transaction. A rejected document throws a
 * Problem before anything is written; an accepted one is wholly written (EPCIS rollback mode).
 */
export interface CaptureResult {
  readonly documentId: number | undefined;
  readonly eventCount: number;
  readonly recorded: number;
  readonly duplicates: number;
  readonly outcomes: readonly EventOutcome[];
  readonly warnings: readonly CaptureWarning[];
  /** Control rules that fired and were recorded as violations (the capture was accepted). */
  readonly violations: readonly GuardFinding[];
  /** Tree size after this capture. */
  readonly treeSize: number;
}

export interface LedgerOptions {
  /** The Merkle log writer, or undefined to run without the log (for measuring its overhead only). */
  readonly log: LogWriter | undefined;
  /** The record-time clock (ms since epoch); passed in so that tests can replay. */
  readonly clock: () => number;
  /** Control rules applied to every capture after the decider and before the append (quotas, licences). */
  readonly guard?: CaptureGuard;
}

/** How many times a document is decided again after another writer moved the log. */
const maxConflictRetries = 10;

/** Lots kept in memory between captures (the write path's working set). */
const lotCacheLimit = 200_000;

export class Ledger {
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Lots as this ledger last wrote them, valid only while the log is at `cachedAtSize`: any other writer
   * appends events and moves the tree size, and then the cache is dropped. Lots change only with events, so
   * an unchanged tree size means unchanged lots.
   */
  private readonly lotCache = new Map<string, Lot>();
  private cachedAtSize: number | undefined;

  constructor(
    readonly store: Store,
    readonly options: LedgerOptions,
  ) {}

  /** Runs one write at a time: the log has a single writer per process, and the store's CAS covers the rest. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private remember(lots: readonly Lot[], size: number): void {
    for (const lot of lots) {
      this.lotCache.delete(lot.id);
      this.lotCache.set(lot.id, lot);
    }
    // Evict the least recently written lots beyond the limit (Map keeps insertion order).
    for (const id of this.lotCache.keys()) {
      if (this.lotCache.size <= lotCacheLimit) break;
      this.lotCache.delete(id);
    }
    this.cachedAtSize = size;
  }

  /** Captures an EPCIS document (POST /capture) or a single event (POST /events). */
  async capture(
    body: string | Buffer,
    actor: Actor,
    options: { single?: boolean } = {},
  ): Promise<CaptureResult> {
    const parsed = options.single === true ? parseSingleEvent(body) : parseCaptureBody(body);
    validateDocument(parsed.document);
    return this.captureParsed(
      parsed.document as Record<string, unknown>,
      parsed.context,
      parsed.events,
      parsed.eventPointer,
      actor,
    );
  }

  private async captureParsed(
    document: Record<string, unknown>,
    context: JsonLdContext,
    events: readonly object[],
    eventPointer: (index: number) => string,
    actor: Actor,
  ): Promise<CaptureResult> {
    const keys = new ExtensionKeys(context);
    const masterData = parseMasterData(keys, document);
    const inputs: EventInput[] = events.map((event, index) => ({
      index,
      pointer: eventPointer(index),
      event: event as Record<string, unknown>,
      hash: eventHash(event as Parameters<typeof eventHash>[0], context),
    }));
    const lotIds = new Set<string>();
    const locationIds = new Set<string>();
    for (const { event } of inputs) {
      for (const list of ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']) {
        const entries = event[list];
        if (!Array.isArray(entries)) continue;
        for (const entry of entries) {
          const epcClass = (entry as { epcClass?: unknown } | null)?.epcClass;
          if (typeof epcClass === 'string') lotIds.add(epcClass);
        }
      }
      const bizLocation = (event.bizLocation as { id?: unknown } | undefined)?.id;
      if (typeof bizLocation === 'string') locationIds.add(bizLocation);
    }
    const partyIds = new Set(masterData.locations.map((l) => l.partyId));
    const contextJson = JSON.stringify(context ?? null);

    // Another process writing the same store (several servers on one PostgreSQL) makes the append's
    // compare-and-swap fail; the document is then decided again against the new state, a few times.
    const attempt = (): Promise<CaptureResult> =>
      this.exclusive(async () => {
        const size = await this.store.treeSize();
        if (size !== this.cachedAtSize) this.lotCache.clear();
        const cached = new Map<string, Lot>();
        const missing: string[] = [];
        for (const id of lotIds) {
          const lot = this.lotCache.get(id);
          if (lot === undefined) missing.push(id);
          else cached.set(id, lot);
        }
        const loaded = await this.store.loadState({
          lotIds: missing,
          partyIds: [...partyIds],
          locationIds: [...locationIds],
          eventHashes: inputs.map((i) => i.hash),
          tiles: this.options.log?.tilesNeeded(size) ?? [],
        });
        if (loaded.treeSize !== size) this.lotCache.clear();
        const snapshot =
          cached.size === 0 || loaded.treeSize !== size
            ? loaded
            : { ...loaded, lots: new Map([...loaded.lots, ...cached]) };
        const documentId = await this.store.nextDocumentId();
        const recordTimeMs = this.options.clock();
        const decision = decide({
          events: inputs,
          keys,
          masterData,
          actor,
          snapshot,
          recordTimeMs,
          documentId,
        });
        const nothingNew =
          decision.events.length === 0 && decision.parties.length === 0 && decision.locations.length === 0;
        let guarded: GuardOutcome | undefined;
        const warnings: CaptureWarning[] = [...decision.warnings];
        if (this.options.guard !== undefined && decision.events.length > 0) {
          const lots = new Map(snapshot.lots);
          for (const lot of [...decision.createdLots, ...decision.updatedLots]) lots.set(lot.id, lot);
          const locations = new Map(snapshot.locations);
          for (const location of decision.locations) locations.set(location.id, location);
          // Throws a Problem to refuse the document: nothing has been written yet.
          guarded = await this.options.guard.review(
            { events: decision.events, lots, locations, actor, keys },
            this.store,
          );
        }
        if (!nothingNew) {
          let tiles: TileRecord[] = [];
          if (this.options.log !== undefined && decision.events.length > 0) {
            tiles = this.options.log.append(
              snapshot.treeSize,
              decision.events.map((e) => ({ seq: e.seq, recordTimeMs: e.recordTimeMs, eventHash: e.hash })),
              snapshot.tiles,
            );
          }
          const writes: WriteSet = {
            expectedSize: snapshot.treeSize,
            document:
              decision.events.length > 0
                ? {
                    id: documentId,
                    receivedMs: recordTimeMs,
                    capturedBy: actor.partyId,
                    contextJson,
                    eventCount: decision.events.length,
                  }
                : undefined,
            events: decision.events,
            identifiers: decision.identifiers,
            createdLots: decision.createdLots,
            updatedLots: decision.updatedLots,
            links: decision.links,
            custody: decision.custody,
            trackPoints: decision.trackPoints,
            parties: decision.parties,
            locations: decision.locations,
            tiles,
          };
          try {
            await this.store.append(writes);
          } catch (error) {
            this.lotCache.clear();
            this.cachedAtSize = undefined;
            throw error;
          }
          this.remember(
            [...decision.createdLots, ...decision.updatedLots],
            snapshot.treeSize + decision.events.length,
          );
          // What the guard keeps (violations, usage, licence draw-downs) is recorded once the append committed.
          // The events are recorded whatever happens here, so a failure is reported, not thrown.
          try {
            await guarded?.afterAppend();
          } catch (error) {
            warnings.push({
              eventIndex: 0,
              rule: 'controls:record',
              record: String(documentId),
              message: `the events are recorded, but recording the control findings failed: ${error instanceof Error ? error.message : String(error)}`,
            });
          }
        }
        return {
          documentId: decision.events.length > 0 ? documentId : undefined,
          eventCount: inputs.length,
          recorded: decision.events.length,
          duplicates: decision.outcomes.filter((o) => o.status === 'duplicate').length,
          outcomes: decision.outcomes,
          warnings,
          violations: guarded?.violations ?? [],
          treeSize: snapshot.treeSize + decision.events.length,
        };
      });
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(isProblem(error) && error.kind === 'log-conflict') || tries >= maxConflictRetries) throw error;
        // Back off a little, with jitter, so that two writers in lock step stop colliding.
        await new Promise((resolve) => setTimeout(resolve, tries * (1 + Math.random() * 4)));
      }
    }
  }
}
