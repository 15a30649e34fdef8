import type { Lot } from '../domain/lot.js';
import type { Location, Party } from '../domain/party.js';
import type {
  CaptureDocumentRecord,
  CustodyRecord,
  EventIdentifier,
  GenealogyLink,
  GuardOutboxEntry,
  NewEvent,
  TileRecord,
  TrackPoint,
  WriteSet,
} from '../store/store.js';
import type { Decision } from './decide.js';

/**
 * The decisions of several documents gathered into one write set, so that a bulk import commits many
 * documents in one transaction (group commit). A commit costs about the same whatever it holds: it writes every
 * B-tree page the transaction dirtied, and the event-hash and identifier indexes take keys in random order, so
 * ten documents a transaction write far fewer pages per event than one (docs/ARCHITECTURE.md, "Group commit").
 *
 * Each document was decided against the state the earlier ones left, so the merged set is exactly what
 * appending them one by one would write: a lot created and then changed in the batch is inserted once in its
 * last state, a lot changed twice is updated once, and master data registered twice keeps the later record.
 */
export class WriteBatch {
  private readonly documents: CaptureDocumentRecord[] = [];
  private readonly events: NewEvent[] = [];
  private readonly identifiers: EventIdentifier[] = [];
  private readonly links: GenealogyLink[] = [];
  private readonly custody: CustodyRecord[] = [];
  private readonly trackPoints: TrackPoint[] = [];
  private readonly createdLots = new Map<string, Lot>();
  private readonly updatedLots = new Map<string, Lot>();
  private readonly parties = new Map<string, Party>();
  private readonly locations = new Map<string, Location>();
  private readonly guardOutbox: GuardOutboxEntry[] = [];

  /** Lots written by this batch, in their last state. */
  lots(): Lot[] {
    return [...this.createdLots.values(), ...this.updatedLots.values()];
  }

  get eventCount(): number {
    return this.events.length;
  }

  get isEmpty(): boolean {
    return this.events.length === 0 && this.parties.size === 0 && this.locations.size === 0;
  }

  add(decision: Decision, document: CaptureDocumentRecord | undefined): void {
    if (document !== undefined) this.documents.push(document);
    for (const e of decision.events) this.events.push(e);
    for (const i of decision.identifiers) this.identifiers.push(i);
    for (const l of decision.links) this.links.push(l);
    for (const c of decision.custody) this.custody.push(c);
    for (const p of decision.trackPoints) this.trackPoints.push(p);
    for (const lot of decision.createdLots) this.createdLots.set(lot.id, lot);
    for (const lot of decision.updatedLots) {
      // Created earlier in this batch: not in the store yet, so it is inserted in its latest state.
      if (this.createdLots.has(lot.id)) this.createdLots.set(lot.id, lot);
      else this.updatedLots.set(lot.id, lot);
    }
    for (const party of decision.parties) {
      this.parties.delete(party.id);
      this.parties.set(party.id, party);
    }
    for (const location of decision.locations) {
      this.locations.delete(location.id);
      this.locations.set(location.id, location);
    }
  }

  /** A guard's record of what it writes after the append, committed with the document (WriteSet.guardOutbox). */
  addGuardOutbox(entry: GuardOutboxEntry): void {
    this.guardOutbox.push(entry);
  }

  writeSet(expectedSize: number, tiles: readonly TileRecord[]): WriteSet {
    return {
      expectedSize,
      documents: this.documents,
      events: this.events,
      identifiers: this.identifiers,
      createdLots: [...this.createdLots.values()],
      updatedLots: [...this.updatedLots.values()],
      links: this.links,
      custody: this.custody,
      trackPoints: this.trackPoints,
      parties: [...this.parties.values()],
      locations: [...this.locations.values()],
      tiles,
      ...(this.guardOutbox.length === 0 ? {} : { guardOutbox: this.guardOutbox }),
    };
  }
}
