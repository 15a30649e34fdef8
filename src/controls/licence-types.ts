import type { Element } from '../domain/elements.js';
import type { MaterialForm } from '../domain/forms.js';
import type { IsoDate } from './dates.js';
import type { EndUse } from './export-rules.js';

/**
 * Licence states (Dual-Use Regulations Arts 15–18, reg.md §3.1): an application is reviewed and approved or
 * denied; an approved licence is drawn down by exports until it is exhausted, expires or is revoked. A single
 * licence lapses once its export is completed (Art. 15).
 */
export const licenceStatuses = [
  'applied',
  'under-review',
  'approved',
  'denied',
  'exhausted',
  'revoked',
] as const;
export type LicenceStatus = (typeof licenceStatuses)[number];

export type LicenceType = 'single' | 'general';

export interface LicenceLimits {
  /** Control codes covered (e.g. `1C905`); empty = any code the elements/forms match. */
  readonly controlCodes: readonly string[];
  /** Elements covered; empty = any. */
  readonly elements: readonly Element[];
  /** Forms covered; empty = any. */
  readonly forms: readonly MaterialForm[];
  /** Destination countries (ISO alpha-2); at least one. */
  readonly destinations: readonly string[];
  /** End-user party ids; a single licence names exactly one (Art. 15). */
  readonly endUserIds: readonly string[];
  /** End uses approved; empty = the ones stated in the application. */
  readonly endUses: readonly EndUse[];
  /** Total mass the licence allows, mg. */
  readonly quantityMg: number;
}

export interface LicenceEvent {
  readonly at: IsoDate;
  readonly action: 'apply' | 'review' | 'approve' | 'deny' | 'draw-down' | 'revoke' | 'exhaust';
  readonly by: string;
  readonly note?: string;
  /** For draw-down: mass drawn, mg, and the ledger event seq. */
  readonly massMg?: number;
  readonly seq?: number;
}

export interface Licence {
  readonly id: string;
  readonly type: LicenceType;
  readonly status: LicenceStatus;
  /** The exporter the licence is issued to. */
  readonly holderId: string;
  readonly appliedOn: IsoDate;
  /** Validity (inclusive), set on approval. */
  readonly validFrom?: IsoDate;
  readonly validUntil?: IsoDate;
  readonly limits: LicenceLimits;
  /** Mass drawn so far, mg. */
  readonly usedMg: number;
  /** Exports drawn so far. */
  readonly exportsDrawn: number;
  /** Optimistic-concurrency version; bumped on every change. */
  readonly version: number;
  readonly history: readonly LicenceEvent[];
}
