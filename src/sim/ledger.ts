/**
 * The ledger's view of the world as a starting state. The ledger knows real stocks by holder and real shipments;
 * where it reports a node, its figure replaces the baseline's (the ledger is authoritative where it has data),
 * and the rest of the baseline stays. Trade flows it reports become the "prior volumes" that licence caps apply to.
 */
import { Problem, type ProblemIssue } from '../core/errors.js';
import {
  E,
  ELEMENTS,
  type Element,
  FORMS,
  type Form,
  K,
  M,
  P,
  PRODUCTS,
  type Product,
  R,
  REGIONS,
  type Region,
  SECTORS,
  type Sector,
} from './dims.js';
import type { StockSnapshot } from './kernel.js';

export type LedgerStage = 'mining' | 'separation' | 'metal' | 'magnet' | 'end-use' | 'government';

/** One stock the ledger holds, in t REO-equivalent (elements) or t of magnet (products). */
export interface LedgerStock {
  readonly region: Region;
  /** mining = concentrate at the mine or in transit; separation = oxides; metal; magnet; end-use; government. */
  readonly stage: LedgerStage;
  readonly element?: Element;
  readonly product?: Product;
  /** Required for end-use stocks. */
  readonly sector?: Sector;
  readonly tonnes: number;
}

/** A monthly trade flow the ledger observed (e.g. the average of the last twelve months). */
export interface LedgerFlow {
  readonly form: Form;
  readonly from: Region;
  readonly to: Region;
  readonly element?: Element;
  readonly product?: Product;
  readonly tonnesPerMonth: number;
}

export interface LedgerStartingState {
  /** The month the stocks describe (YYYY-MM). */
  readonly asOf: string;
  /** Where the figures come from (ledger instance, query, checkpoint). */
  readonly source: string;
  readonly stocks: readonly LedgerStock[];
  readonly flows?: readonly LedgerFlow[];
}

const idx = (list: readonly string[], v: string | undefined): number =>
  v === undefined ? -1 : list.indexOf(v);

/** Checks names and signs; a bad entry is a 400 naming its index. */
export function validateLedgerState(state: LedgerStartingState): void {
  const issues: ProblemIssue[] = [];
  state.stocks.forEach((s, i) => {
    const at = `/stocks/${i}`;
    if (idx(REGIONS, s.region) < 0)
      issues.push({ field: `${at}/region`, message: `unknown region ${s.region}` });
    if (!Number.isFinite(s.tonnes) || s.tonnes < 0)
      issues.push({ field: `${at}/tonnes`, message: 'tonnes must be a non-negative number' });
    const needsProduct = s.stage === 'magnet';
    if (needsProduct && idx(PRODUCTS, s.product) < 0)
      issues.push({ field: `${at}/product`, message: 'magnet stocks need a product (NdFeB or SmCo)' });
    if (!needsProduct && s.stage !== 'end-use' && s.stage !== 'government' && idx(ELEMENTS, s.element) < 0) {
      issues.push({ field: `${at}/element`, message: `unknown element ${String(s.element)}` });
    }
    if (s.stage === 'end-use' && idx(SECTORS, s.sector) < 0)
      issues.push({ field: `${at}/sector`, message: `end-use stocks need a known sector` });
    if (
      (s.stage === 'end-use' || s.stage === 'government') &&
      idx(PRODUCTS, s.product) < 0 &&
      idx(ELEMENTS, s.element) < 0
    ) {
      issues.push({ field: at, message: 'end-use and government stocks need a product or an element' });
    }
  });
  (state.flows ?? []).forEach((f, i) => {
    const at = `/flows/${i}`;
    if (idx(FORMS, f.form) < 0) issues.push({ field: `${at}/form`, message: `unknown form ${f.form}` });
    if (idx(REGIONS, f.from) < 0 || idx(REGIONS, f.to) < 0)
      issues.push({ field: at, message: 'unknown region' });
    if (!Number.isFinite(f.tonnesPerMonth) || f.tonnesPerMonth < 0)
      issues.push({ field: `${at}/tonnesPerMonth`, message: 'must be non-negative' });
    if (
      f.form === 'magnet'
        ? idx(PRODUCTS, f.product) < 0
        : f.form !== 'concentrate' && idx(ELEMENTS, f.element) < 0
    ) {
      issues.push({
        field: at,
        message: f.form === 'magnet' ? 'magnet flows need a product' : 'flows need an element',
      });
    }
  });
  if (issues.length > 0)
    throw new Problem('bad-request', `ledger starting state: ${issues[0]!.message}`, issues);
}

/** Overwrites the baseline's stocks at every node the ledger reports. Nodes it reports several times are summed. */
export function applyLedgerStocks(stocks: StockSnapshot, state: LedgerStartingState): void {
  const seen = new Set<string>();
  for (const s of state.stocks) {
    const r = idx(REGIONS, s.region);
    const e = idx(ELEMENTS, s.element);
    const p = idx(PRODUCTS, s.product);
    let arr: Float64Array;
    let i: number;
    switch (s.stage) {
      case 'mining':
        arr = stocks.conc;
        i = r * E + e;
        break;
      case 'separation':
        arr = stocks.ox;
        i = r * E + e;
        break;
      case 'metal':
        arr = stocks.met;
        i = r * E + e;
        break;
      case 'magnet':
        arr = stocks.mag;
        i = r * P + p;
        break;
      case 'end-use': {
        const k = idx(SECTORS, s.sector);
        arr = stocks.user;
        i = (r * K + k) * M + (p >= 0 ? p : P + e);
        break;
      }
      default:
        arr = stocks.gov;
        i = r * M + (p >= 0 ? p : P + e);
    }
    const key = `${s.stage}:${i}`;
    if (!seen.has(key)) {
      arr[i] = 0;
      seen.add(key);
    }
    arr[i] = (arr[i] ?? 0) + s.tonnes;
  }
}

/** Sets the prior volumes (per form, material, origin, destination) the licence caps are fractions of. */
export function applyLedgerFlows(refFlow: Float64Array, state: LedgerStartingState): void {
  for (const f of state.flows ?? []) {
    const form = idx(FORMS, f.form);
    const mat = form === 3 ? idx(PRODUCTS, f.product) : form === 0 ? 0 : idx(ELEMENTS, f.element);
    const o = idx(REGIONS, f.from);
    const d = idx(REGIONS, f.to);
    refFlow[((form * E + mat) * R + o) * R + d] = f.tonnesPerMonth;
  }
}
