/**
 * Named limits, checked at the edge. Every bound the system enforces is here, so that docs/ARCHITECTURE.md can
 * list them and a rejection can name the one it hit.
 */
export const limits = {
  /** Largest capture document accepted, in bytes (EPCIS REST bindings let a server choose; 64 MiB). */
  maxDocumentBytes: 64 * 1024 * 1024,
  /** Most events in one capture document. */
  maxEventsPerDocument: 100_000,
  /**
   * Events committed in one transaction by a bulk import (group commit). Measured on 200,000 demo events,
   * replaying the rows alone: one 1,000-event document a transaction 39,000 events/s, ten 66,000/s, twenty
   * 71,000/s; beyond that little changes, while a larger transaction holds more in memory.
   */
  groupCommitEvents: 20_000,
  /** Largest single event, in bytes of its JSON text (a tlog-tiles entry is at most 64 KiB; we log hashes only). */
  maxEventBytes: 1024 * 1024,
  /** Default and largest page size for GET /events (EPCIS default perPage is 30). */
  defaultPerPage: 30,
  maxPerPage: 1000,
  /** Deepest genealogy walked by /lots/{id}/trace. */
  maxTraceDepth: 64,
  /** Most lots returned by one trace. */
  maxTraceLots: 100_000,
  /** Largest mass a lot can hold, in milligrams: the largest exact integer of a JS number (≈ 9 million t). */
  maxMassMg: Number.MAX_SAFE_INTEGER,
  /** Most GPS readings kept per event. */
  maxTrackPointsPerEvent: 10_000,
  /** Default mass-balance tolerance when a transformation states none, in parts per million of input mass. */
  defaultMassBalanceTolerancePpm: 1_000,
} as const;

export type LimitName = keyof typeof limits;
