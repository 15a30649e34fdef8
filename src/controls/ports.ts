import type { Element } from '../domain/elements.js';
import type { MaterialForm, Process } from '../domain/forms.js';
import type { Lot } from '../domain/lot.js';
import type { Location, Party } from '../domain/party.js';

/**
 * The narrow read interface controls need from the ledger. The ledger/store implements it; controls never
 * write through it. Every method is a read of accepted records only (a rejected capture leaves nothing here).
 * Methods are async so that both the SQLite and the PostgreSQL stores can serve them; the rule engines
 * themselves are pure and run on what these methods return.
 */
export interface ControlsLedger {
  /** The lot with this EPC class id, as the ledger holds it now, or undefined if unknown. */
  getLot(id: string): Promise<Lot | undefined>;

  /**
   * The genealogy of a lot: the lot itself and every lot upstream of it (inputs of the transformations that
   * made it, recursively, up to `maxDepth` transformations), with the steps that created each of them. Steps
   * are the transformations and the commissioning events (a commissioning at a mine is `kind: 'mining'`).
   * Undefined if the lot is unknown.
   */
  upstream(id: string, maxDepth?: number): Promise<Genealogy | undefined>;

  /** A registered party, or undefined. */
  getParty(id: string): Promise<Party | undefined>;

  /** A registered location, or undefined. */
  getLocation(id: string): Promise<Location | undefined>;

  /**
   * Who owns a party, directly: each owner with its share of equity (0..1). Used to extend listed-party
   * screening to subsidiaries owned 50 % or more (MOFCOM No. 61 §2). Empty when nothing is recorded.
   */
  ownersOf(partyId: string): Promise<readonly Ownership[]>;

  /**
   * The ledger's accepted events reduced to the facts quotas and the monthly flow report need, in log order
   * (ascending `seq`), filtered as asked. Implementations should stream (an enterprise may have millions).
   */
  facts(filter: FactFilter): AsyncIterable<LedgerFact>;
}

export interface Ownership {
  readonly ownerId: string;
  /** Share of equity, 0..1. */
  readonly share: number;
}

/** What a step in a genealogy did: a domain process, or bringing material into the ledger. */
export type StepKind = Process | 'mining' | 'commissioning';

export interface GenealogyStep {
  /** Log sequence number of the event. */
  readonly seq: number;
  /** Event time, ms since epoch. */
  readonly eventTime: number;
  readonly kind: StepKind;
  /** The party that captured the event. */
  readonly partyId: string;
  readonly locationId: string;
  /** ISO 3166-1 alpha-2 country of the location where the step happened (`XX` if unknown). */
  readonly country: string;
  /** Lots consumed and how much of each (empty for commissioning). */
  readonly inputs: readonly { readonly lotId: string; readonly consumedMg: number }[];
  /** Lots created and their masses. */
  readonly outputs: readonly { readonly lotId: string; readonly massMg: number }[];
}

export interface Genealogy {
  /** The lot asked for. */
  readonly root: Lot;
  /** Every lot in the genealogy, the root included, by id. */
  readonly lots: ReadonlyMap<string, Lot>;
  /** The steps that created the lots in `lots` (at most one per lot), in any order. */
  readonly steps: readonly GenealogyStep[];
  /** True when the walk stopped at maxDepth before reaching commissioning everywhere. */
  readonly truncated: boolean;
}

/**
 * What an accepted event means for quotas and flow reports.
 * - `mining`: a commissioning at a location of kind `mine` (Interim Measures Art. 2: mining into ore products).
 * - `separation`: the outputs of a `ree:process: separation` transformation (Art. 2: smelting/separation).
 * - `metal-making`, `alloying`, `magnet-making`, `recycling`, `transformation`: other transformations' outputs.
 * - `shipping` / `receiving`: custody moves; `export` / `import`: shipping out of / receiving into the
 *   country of the capturing party (as the ledger decides it, e.g. via a `border` location or destination).
 */
export type FactKind =
  | 'mining'
  | 'separation'
  | 'metal-making'
  | 'alloying'
  | 'magnet-making'
  | 'recycling'
  | 'transformation'
  | 'shipping'
  | 'receiving'
  | 'export'
  | 'import';

export const factKinds: readonly FactKind[] = [
  'mining',
  'separation',
  'metal-making',
  'alloying',
  'magnet-making',
  'recycling',
  'transformation',
  'shipping',
  'receiving',
  'export',
  'import',
];

export interface LedgerFact {
  readonly seq: number;
  /** Event time, ms since epoch. */
  readonly eventTime: number;
  readonly kind: FactKind;
  /** The capturing party (the quota holder for mining and separation). */
  readonly partyId: string;
  readonly locationId: string;
  /** Lots created (production kinds) or moved (custody kinds). */
  readonly lotIds: readonly string[];
  /** Total mass of those lots, mg. */
  readonly massMg: number;
  /** Mass of each element in those lots, mg (composition × mass). */
  readonly elementMassesMg: Partial<Record<Element, number>>;
  /**
   * Material forms of those lots, when known. The capture-time licence check uses them to read an export-item
   * rule's forms (an EV exported from China is not a controlled Dy item, though it holds Dy); absent = any form.
   */
  readonly forms?: readonly MaterialForm[];
  /** For shipping/export: the receiving party; for receiving/import: the sender, when known. */
  readonly counterpartyId?: string;
  /** For export: destination country. */
  readonly destinationCountry?: string;
  /** For export: the licence the event declares (`ree:licence`), when any. */
  readonly licenceId?: string;
}

export interface FactFilter {
  readonly partyId?: string;
  /** Inclusive lower bound on eventTime, ms. */
  readonly fromMs?: number;
  /** Exclusive upper bound on eventTime, ms. */
  readonly toMs?: number;
  readonly kinds?: readonly FactKind[];
}
