import { isProblem, Problem } from '../core/errors.js';
import { limits } from '../core/limits.js';
import { rebuildProblem, type ThreadError, threadError } from '../core/worker.js';
import type { Lot } from '../domain/lot.js';
import type { Location, Party } from '../domain/party.js';
import { documentEventPath, eventSpans, queryEventPath } from '../epcis/event-spans.js';
import { eventHash, parseCaptureBody, parseSingleEvent, validateDocument } from '../epcis/index.js';
import { textRef } from '../store/event-texts.js';
import { type NewEvent, type Store, type TileRecord, tileKey, type WriteSet } from '../store/store.js';
import type { CaptureGuard, GuardFinding, GuardOutcome, PendingCapture } from './capture-guard.js';
import {
  type Actor,
  type CaptureWarning,
  type Decision,
  decide,
  type EventInput,
  type EventOutcome,
} from './decide.js';
import { ExtensionKeys, parseMasterData } from './extension.js';
import { EventHashFilter } from './hash-filter.js';
import type { LeafInput, LogWriter } from './log-writer.js';
import type { PreparePool } from './prepare-pool.js';
import { SourceQueue } from './source-queue.js';
import { WriteBatch } from './write-batch.js';

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
  /** Threads that validate and hash the documents of a batch ahead of this one (bulk import). */
  readonly prepare?: PreparePool;
}

/** A capture document as received: its text, and whether it is a single event (POST /events). */
export interface DocumentSource {
  readonly body: string | Buffer;
  readonly single?: boolean;
}

/** The running state of a batch: the snapshot each document is decided against. */
interface RunningState {
  treeSize: number;
  readonly lots: Map<string, Lot>;
  readonly parties: Map<string, Party>;
  readonly locations: Map<string, Location>;
  readonly knownHashes: Map<string, number>;
  readonly tiles: Map<string, Uint8Array>;
}

/** The running state after a document: what it created and changed, its hashes, the log's new size. */
function advance(state: RunningState, decision: Decision): void {
  for (const lot of decision.createdLots) state.lots.set(lot.id, lot);
  for (const lot of decision.updatedLots) state.lots.set(lot.id, lot);
  for (const party of decision.parties) state.parties.set(party.id, party);
  for (const location of decision.locations) state.locations.set(location.id, location);
  for (const e of decision.events) state.knownHashes.set(e.hash, e.seq);
  state.treeSize += decision.events.length;
}

/** What the capture guard reviews: the decided events, the lots and master data as they will be after it. */
function pendingCapture(
  p: PreparedDocument,
  decision: Decision,
  state: RunningState,
  actor: Actor,
): PendingCapture {
  const lots = new Map<string, Lot>();
  for (const id of p.lotIds) {
    const lot = state.lots.get(id);
    if (lot !== undefined) lots.set(id, lot);
  }
  for (const lot of decision.createdLots) lots.set(lot.id, lot);
  for (const lot of decision.updatedLots) lots.set(lot.id, lot);
  const locations = new Map(state.locations);
  for (const location of decision.locations) locations.set(location.id, location);
  const parties = new Map(state.parties);
  for (const party of decision.parties) parties.set(party.id, party);
  // The parsed event of each recorded one (decision.events are the recorded events, in outcome order).
  const parsed: Record<string, unknown>[] = [];
  for (const outcome of decision.outcomes) {
    if (outcome.status === 'recorded') parsed.push((p.inputs[outcome.index] as EventInput).event);
  }
  return { events: decision.events, parsed, lots, locations, parties, actor, keys: p.keys };
}

/** An accepted document waiting for its transaction to commit. */
interface PendingResult {
  readonly index: number;
  readonly result: CaptureResult & { warnings: CaptureWarning[] };
  readonly guarded: GuardOutcome | undefined;
  readonly recordedEvents: readonly NewEvent[];
}

/** A document parsed, validated and hashed: everything capture needs before it reads the store. */
interface PreparedDocument {
  readonly keys: ExtensionKeys;
  readonly masterData: ReturnType<typeof parseMasterData>;
  readonly inputs: readonly EventInput[];
  readonly lotIds: readonly string[];
  readonly partyIds: readonly string[];
  readonly locationIds: readonly string[];
  readonly contextJson: string;
}

/** A capture body parsed as what it is: a document (POST /capture, import) or one event (POST /events). */
function parseSource({ body, single }: DocumentSource): ReturnType<typeof parseCaptureBody> {
  return single === true ? parseSingleEvent(body) : parseCaptureBody(body);
}

/**
 * Parses, validates and hashes one document; a Problem is returned (not thrown) so that a batch goes on.
 * With `checked` (what a prepare thread found for this very text: its event hashes), the document is only
 * parsed here: validation and hashing, the costly part, ran on the other thread.
 */
export function prepareDocument(source: DocumentSource, checked?: PrepareReply): PreparedDocument | Problem {
  if (checked !== undefined && 'error' in checked) return rebuildProblem(checked.error);
  try {
    const parsed = parseSource(source);
    if (checked === undefined) validateDocument(parsed.document);
    const { context, events, eventPointer } = parsed;
    // The stored texts: found by the prepare thread (or waiting on the writer thread, under a text key), or
    // found here when there is none.
    const textKey = checked !== undefined && 'textKey' in checked ? checked.textKey : undefined;
    const texts =
      checked === undefined ? storedTexts(source, parsed) : 'texts' in checked ? checked.texts : [];
    const keys = new ExtensionKeys(context);
    const masterData = parseMasterData(keys, parsed.document as Record<string, unknown>);
    const inputs: EventInput[] = events.map((event, index) => ({
      index,
      pointer: eventPointer(index),
      event: event as Record<string, unknown>,
      hash: checked?.hashes[index] ?? eventHash(event as Parameters<typeof eventHash>[0], context),
      json: textKey === undefined ? (texts[index] as string) : textRef(textKey, index),
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
    return {
      keys,
      masterData,
      inputs,
      lotIds: [...lotIds],
      partyIds: [...new Set(masterData.locations.map((l) => l.partyId))],
      locationIds: [...locationIds],
      contextJson: JSON.stringify(context ?? null),
    };
  } catch (error) {
    if (isProblem(error)) return error;
    throw error;
  }
}

/**
 * What a prepare thread found for one document (it parsed and validated it): its events' hashes and stored
 * texts (or, when it sent the texts to the store's writer thread, the key they went under: `textKey`), or the
 * Problem that refuses it.
 */
export type PrepareReply =
  | { readonly hashes: readonly string[]; readonly texts: readonly string[] }
  | { readonly hashes: readonly string[]; readonly textKey: number }
  | { readonly error: ThreadError };

/**
 * Each event's stored text: its own text in the document, as the capturer wrote it, where the scan finds it
 * (src/epcis/event-spans.ts; a single event is the whole body); else the event written again. Either parses
 * to the same event, so it hashes the same.
 */
function storedTexts(source: DocumentSource, parsed: ReturnType<typeof parseSource>): string[] {
  const { text, events } = parsed;
  // JSON.parse accepted the body, so only JSON whitespace surrounds a single event.
  if (source.single === true) return [text.trim()];
  const type = (parsed.document as { type?: unknown }).type;
  const path = type === 'EPCISQueryDocument' ? queryEventPath : documentEventPath;
  const spans = eventSpans(text, path, events.length);
  if (spans !== undefined) return events.map((_, i) => text.slice(spans[2 * i], spans[2 * i + 1]));
  return events.map((event) => JSON.stringify(event));
}

/** Validates and hashes a document: the prepare thread's work, and the same code as the inline path. */
export function checkDocument(source: DocumentSource): PrepareReply {
  try {
    const parsed = parseSource(source);
    validateDocument(parsed.document);
    return {
      hashes: parsed.events.map((event) =>
        eventHash(event as Parameters<typeof eventHash>[0], parsed.context),
      ),
      // The stored text of each event, found here rather than on the capture thread.
      texts: storedTexts(source, parsed),
    };
  } catch (error) {
    return { error: threadError(error) };
  }
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
  /**
   * Bulk import only (with prepare threads): a filter of every hash in the store and every hash this ledger
   * decided since, valid while the log is at `filterAtSize` (after this ledger's last append). It spares the
   * store the question "is this event recorded?" for hashes it certainly does not hold.
   */
  private hashFilter: EventHashFilter | undefined;
  private filterAtSize: number | undefined;

  constructor(
    readonly store: Store,
    readonly options: LedgerOptions,
  ) {
    // Event texts go from the prepare threads straight to the store's writer thread, when it has one.
    if (options.prepare !== undefined && store.textChannel !== undefined) {
      options.prepare.sendTextsTo(store, store.textChannel);
    }
  }

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

  /**
   * Drops the hash filter if another writer has moved the log (now at `size`) since this ledger's last append:
   * it lacks that writer's hashes. A full one is dropped too, to be built again larger.
   */
  private dropStaleFilter(size: number): void {
    if (this.filterAtSize !== size || this.hashFilter?.full === true) this.hashFilter = undefined;
  }

  /**
   * After how many events decided in a stream a filter is worth building for a store of `size` events. The
   * rule of renting skis before buying them: build once the store queries already paid for cost about what
   * building does. Building reads every stored hash (0.3–0.6 µs each, measured); a query costs the capture
   * thread 3–4 µs an imported event; so after an eighth of the store (at once on an empty store), and never
   * worse than about twice the better choice made in hindsight. Never when not importing in bulk, or when the
   * store cannot list its hashes.
   */
  private filterWorthAfter(size: number): number {
    if (this.options.prepare === undefined || this.store.eventHashPrefixes === undefined) {
      return Number.POSITIVE_INFINITY;
    }
    return Math.floor(size / 8);
  }

  /**
   * A filter of the store's hashes and `pending` ones (decided, perhaps not yet committed: the running state
   * keeps every hash until its batch has committed), with room to grow.
   */
  private async buildFilter(storeSize: number, pending: Iterable<string>): Promise<void> {
    // Room for four million hashes at least (5 MiB): an import of a million new events never rebuilds it.
    const filter = new EventHashFilter(Math.max(4_000_000, 2 * storeSize));
    for await (const chunk of this.store.eventHashPrefixes?.() ?? []) filter.addPrefixes(chunk);
    // Read after the store: a batch that commits meanwhile is still in the running state until evicted,
    // which happens only between documents, not during this.
    for (const hash of pending) filter.add(hash);
    this.hashFilter = filter;
    // Valid from this ledger's next append on (the flush sets the size it covers).
    this.filterAtSize = undefined;
  }

  /** Captures an EPCIS document (POST /capture) or a single event (POST /events). Throws the Problem if refused. */
  async capture(
    body: string | Buffer,
    actor: Actor,
    options: { single?: boolean } = {},
  ): Promise<CaptureResult> {
    const [outcome] = await this.captureBatch([{ body, single: options.single === true }], actor, 1);
    if (outcome === undefined) throw new Error('capture: no outcome');
    if (outcome instanceof Problem) throw outcome;
    return outcome;
  }

  /**
   * Captures several documents, each whole or not at all, committing up to `groupEvents` events in one
   * transaction (group commit, for bulk import). A refused document gets its Problem in its place and leaves
   * the others untouched; every accepted document is decided against the state the earlier ones left, so the
   * outcome is the same as capturing them one by one. A capture guard reviews each document; one that is not
   * `batchAware` (it reads only the store) has each document that records events committed on its own.
   */
  async captureBatch(
    documents: readonly DocumentSource[],
    actor: Actor,
    groupEvents: number = limits.groupCommitEvents,
  ): Promise<(CaptureResult | Problem)[]> {
    const results: (CaptureResult | Problem)[] = [];
    await this.commit(documents, actor, groupEvents, (index, result) => {
      results[index] = result;
    });
    for (let i = 0; i < documents.length; i++) {
      if (results[i] === undefined)
        throw new Error(`capture: document ${i} was neither recorded nor refused`);
    }
    return results;
  }

  /**
   * `captureBatch` over a stream of documents (an NDJSON file read line by line): documents are read ahead for
   * the prepare threads, decided while earlier batches are written, and each outcome is reported, in order,
   * once it is settled (its transaction committed, or the document refused). Resolves when all are settled.
   */
  async captureStream(
    documents: AsyncIterable<DocumentSource> | Iterable<DocumentSource>,
    actor: Actor,
    onResult: (index: number, result: CaptureResult | Problem) => void,
    groupEvents: number = limits.groupCommitEvents,
  ): Promise<void> {
    await this.commit(documents, actor, groupEvents, onResult);
  }

  private async commit(
    sources: AsyncIterable<DocumentSource> | Iterable<DocumentSource>,
    actor: Actor,
    groupEvents: number,
    onResult: (index: number, result: CaptureResult | Problem) => void,
  ): Promise<void> {
    /** Every document before this index is settled (a retry after a conflict starts here). */
    let settledUpTo = 0;
    // Validation and hashing run ahead on the prepare threads, when there are several documents.
    const queue = new SourceQueue(
      sources,
      Array.isArray(sources) && sources.length < 2 ? undefined : this.options.prepare,
    );
    const batchGuard = this.options.guard?.batchAware === true;
    /** Refusals wait here until the documents before them are settled, so that outcomes arrive in order. */
    const refusals = new Map<number, Problem>();

    // Another process writing the same store (several servers on one PostgreSQL) makes the append's
    // compare-and-swap fail; the documents not yet committed are then decided again, a few times.
    const attempt = (): Promise<void> =>
      this.exclusive(async () => {
        refusals.clear();
        // Guard outcomes reviewed and not yet recorded: abandoned if this attempt fails.
        const reviewed = new Set<GuardOutcome>();
        try {
          await attemptBody(reviewed);
        } catch (error) {
          for (const outcome of reviewed) outcome.abandon?.();
          throw error;
        }
      });
    const attemptBody = async (reviewed: Set<GuardOutcome>): Promise<void> => {
      const size = await this.store.treeSize();
      if (size !== this.cachedAtSize) this.lotCache.clear();
      this.dropStaleFilter(size);
      const filterAfter = this.hashFilter === undefined ? this.filterWorthAfter(size) : 0;
      let decidedHere = 0;
      // The log's right-edge tiles, unless the store computes the tiles itself (its writer thread reads them).
      const tiles = await this.store.loadState({
        lotIds: [],
        partyIds: [],
        locationIds: [],
        eventHashes: [],
        tiles: this.store.computesTiles === true ? [] : (this.options.log?.tilesNeeded(size) ?? []),
      });
      if (tiles.treeSize !== size) this.lotCache.clear();
      // The running state: each document is decided against what the earlier ones left. It holds what
      // the documents so far touched, read from the store (or the lot cache) the first time it is needed.
      const state: RunningState = {
        treeSize: tiles.treeSize,
        lots: new Map<string, Lot>(),
        parties: new Map<string, Party>(),
        locations: new Map<string, Location>(),
        knownHashes: new Map<string, number>(),
        tiles: new Map(tiles.tiles),
      };
      let committedSize = state.treeSize;
      /**
       * What committed batches wrote, to be dropped from the running state: the store (and the lot cache) hold
       * it now. Without this the state kept every lot and hash of an import in memory, a heap that grew with
       * the import and that the garbage collector kept marking. Dropped only between documents (evictCommitted),
       * never while a document is being loaded and decided, and only where the state still holds the very
       * version that was committed (a later batch in flight may have changed the lot since).
       */
      const committed: { lots: readonly Lot[]; events: readonly NewEvent[] }[] = [];
      const evictCommitted = (): void => {
        for (const { lots, events } of committed.splice(0)) {
          for (const lot of lots) if (state.lots.get(lot.id) === lot) state.lots.delete(lot.id);
          for (const e of events)
            if (state.knownHashes.get(e.hash) === e.seq) state.knownHashes.delete(e.hash);
        }
      };
      let documentId = await this.store.nextDocumentId();
      let batch = new WriteBatch();
      let pending: PendingResult[] = [];

      // Appends run one after another on a chain, so that the next documents are decided while the last
      // batch is written (the store may write on another thread, or PostgreSQL on its server). At most two
      // batches are in flight: a flush waits for the one before it.
      let inflight: Promise<void> = Promise.resolve();
      const flush = async (upTo: number, wait: boolean): Promise<void> => {
        const done = pending;
        const lotsWritten = batch.lots();
        let writeSet: WriteSet | undefined;
        if (!batch.isEmpty) {
          const events = batch.eventCount;
          let written: TileRecord[] = [];
          // A store that computes the tiles itself (on its writer thread) is told to log the events instead.
          const logHere = this.store.computesTiles !== true;
          if (this.options.log !== undefined && logHere && events > 0) {
            const leaves: LeafInput[] = [];
            for (const r of done) {
              for (const e of r.recordedEvents) {
                leaves.push({ seq: e.seq, recordTimeMs: e.recordTimeMs, eventHash: e.hash });
              }
            }
            written = this.options.log.append(committedSize, leaves, state.tiles);
          }
          writeSet = {
            ...batch.writeSet(committedSize, written),
            ...(this.options.log !== undefined && !logHere && events > 0 ? { logEvents: true } : {}),
          };
          for (const t of written) {
            if (t.level !== 'entries') state.tiles.set(tileKey(t.level, t.index), t.data);
          }
          committedSize += events;
        }
        const sizeAfter = committedSize;
        batch = new WriteBatch();
        pending = [];
        const previous = inflight;
        inflight = previous.then(async () => {
          if (writeSet !== undefined) {
            try {
              await this.store.append(writeSet);
            } catch (error) {
              this.lotCache.clear();
              this.cachedAtSize = undefined;
              throw error;
            }
            this.remember(lotsWritten, sizeAfter);
            if (this.hashFilter !== undefined) this.filterAtSize = sizeAfter;
            committed.push({ lots: lotsWritten, events: done.flatMap((d) => d.recordedEvents) });
          }
          for (const { result, guarded } of done) {
            // What the guard keeps (violations, usage, licence draw-downs) is recorded once the append
            // committed. The events are recorded whatever happens here, so a failure is reported, not thrown.
            try {
              if (guarded !== undefined) reviewed.delete(guarded);
              await guarded?.afterAppend();
            } catch (error) {
              result.warnings.push({
                eventIndex: 0,
                rule: 'controls:record',
                record: String(result.documentId),
                message: `the events are recorded, but recording the control findings failed: ${error instanceof Error ? error.message : String(error)}`,
              });
            }
          }
          // Reported in document order: the refusals among them are reported in their places.
          const accepted = new Map(done.map((d) => [d.index, d.result]));
          for (let i = settledUpTo; i < upTo; i++) {
            const outcome = accepted.get(i) ?? refusals.get(i);
            refusals.delete(i);
            if (outcome !== undefined) onResult(i, outcome);
          }
          settledUpTo = upTo;
          queue.release(upTo);
        });
        // Awaited below or at the end; this only keeps a failure from counting as unhandled meanwhile.
        inflight.catch(() => undefined);
        await (wait ? inflight : previous);
      };

      let index = settledUpTo;
      for (; ; index++) {
        const queued = await queue.get(index);
        if (queued === undefined) break;
        const p = prepareDocument(queued.source, await queued.check);
        if (p instanceof Problem) {
          refusals.set(index, p);
          continue;
        }
        evictCommitted();
        if (this.hashFilter === undefined && decidedHere >= filterAfter) {
          await this.buildFilter(committedSize, state.knownHashes.keys());
        }
        const unrecorded = await this.load(state, p, this.hashFilter);
        let decision: Decision;
        let guarded: GuardOutcome | undefined;
        const recordTimeMs = this.options.clock();
        try {
          decision = decide({
            events: p.inputs,
            keys: p.keys,
            masterData: p.masterData,
            actor,
            snapshot: state,
            recordTimeMs,
            documentId,
            unrecorded,
          });
        } catch (error) {
          if (!isProblem(error)) throw error;
          refusals.set(index, error);
          continue;
        }
        const guard = this.options.guard;
        if (guard !== undefined && decision.events.length > 0) {
          // A guard that reads only the store must see what this batch holds so far committed first.
          if (!batchGuard) await flush(index, true);
          try {
            // Throws a Problem to refuse the document: nothing of it has been written.
            guarded = await guard.review(pendingCapture(p, decision, state, actor), this.store);
          } catch (error) {
            if (!isProblem(error) || error.kind === 'log-conflict') throw error;
            refusals.set(index, error);
            continue;
          }
          reviewed.add(guarded);
        }
        const recorded = decision.events.length > 0;
        const lastEvent = decision.events.at(-1);
        if (guarded?.outbox !== undefined && lastEvent !== undefined) {
          batch.addGuardOutbox({ seq: lastEvent.seq, record: guarded.outbox });
        }
        batch.add(
          decision,
          recorded
            ? {
                id: documentId,
                receivedMs: recordTimeMs,
                capturedBy: actor.partyId,
                contextJson: p.contextJson,
                eventCount: decision.events.length,
              }
            : undefined,
        );
        advance(state, decision);
        decidedHere += decision.events.length;
        const filter = this.hashFilter;
        if (filter !== undefined) {
          for (const e of decision.events) filter.add(e.hash);
          // Past its capacity: rebuilt larger, from the store and what is decided but perhaps not committed.
          if (filter.full) await this.buildFilter(filter.size, state.knownHashes.keys());
        }
        pending.push({
          index,
          guarded,
          recordedEvents: decision.events,
          result: {
            documentId: recorded ? documentId : undefined,
            eventCount: p.inputs.length,
            recorded: decision.events.length,
            duplicates: decision.outcomes.filter((o) => o.status === 'duplicate').length,
            outcomes: decision.outcomes,
            warnings: [...decision.warnings],
            violations: guarded?.violations ?? [],
            treeSize: state.treeSize,
          },
        });
        if (recorded) documentId += 1;
        const commitNow = guarded !== undefined && !batchGuard;
        if (commitNow || batch.eventCount >= groupEvents) await flush(index + 1, commitNow);
      }
      await flush(index, true);
    };
    for (let tries = 1; ; tries++) {
      try {
        await attempt();
        break;
      } catch (error) {
        if (!(isProblem(error) && error.kind === 'log-conflict') || tries >= maxConflictRetries) throw error;
        // Back off a little, with jitter, so that two writers in lock step stop colliding.
        await new Promise((resolve) => setTimeout(resolve, tries * (1 + Math.random() * 4)));
      }
    }
  }

  /**
   * Brings into the running state what a document needs and the state does not hold yet: its lots (from the
   * lot cache or the store), parties, locations, and which of its hashes are recorded already. Returns, by
   * event index, which hashes the filter rules out (DecideInput.unrecorded).
   */
  private async load(
    state: RunningState,
    p: PreparedDocument,
    filter: EventHashFilter | undefined,
  ): Promise<boolean[]> {
    const lotIds: string[] = [];
    for (const id of p.lotIds) {
      if (state.lots.has(id)) continue;
      const cached = this.lotCache.get(id);
      if (cached !== undefined) state.lots.set(id, cached);
      else lotIds.push(id);
    }
    const partyIds = p.partyIds.filter((id) => !state.parties.has(id));
    const locationIds = p.locationIds.filter((id) => !state.locations.has(id));
    const eventHashes: string[] = [];
    const unrecorded: boolean[] = [];
    for (const input of p.inputs) {
      // Not in the filter: certainly not recorded, nor decided earlier in this batch (the filter holds both),
      // so neither the store nor the running state is asked. On an import of new events, nearly all.
      if (filter !== undefined && !filter.mayHold(input.hash)) {
        unrecorded[input.index] = true;
        continue;
      }
      unrecorded[input.index] = false;
      if (!state.knownHashes.has(input.hash)) eventHashes.push(input.hash);
    }
    if (lotIds.length + partyIds.length + locationIds.length + eventHashes.length === 0) return unrecorded;
    const loaded = await this.store.loadState({ lotIds, partyIds, locationIds, eventHashes, tiles: [] });
    for (const [id, lot] of loaded.lots) state.lots.set(id, lot);
    for (const [id, party] of loaded.parties) state.parties.set(id, party);
    for (const [id, location] of loaded.locations) state.locations.set(id, location);
    for (const [hash, seq] of loaded.knownHashes) state.knownHashes.set(hash, seq);
    return unrecorded;
  }
}
