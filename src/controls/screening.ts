import { Problem, type ProblemIssue } from '../core/errors.js';
import { toMilligramsNumber } from '../core/units.js';
import { type Element, isElement } from '../domain/elements.js';
import { isMaterialForm, type MaterialForm, materialForms } from '../domain/forms.js';
import type { Composition, Lot } from '../domain/lot.js';
import { isCountryCode } from '../domain/party.js';
import { type RuleStanding, standingOn } from './data.js';
import { type IsoDate, parseAsOf } from './dates.js';
import {
  type EndUse,
  type ExportControlData,
  type ExportRule,
  endUses,
  type ItemPattern,
  type ListedParty,
  type ListKind,
  type RuleCitation,
  type Ruleset,
  type Technology,
  technologies,
} from './export-rules.js';
import type { Licence } from './licence-types.js';
import type { ControlsLedger, Genealogy, GenealogyStep } from './ports.js';

/**
 * Export-control screening: given a proposed export and an "as of" date, which rules control it, and is it
 * not controlled, licensable (licence required or covered by a held licence), denied, or report-only?
 * Every reason cites the rule and its source. The decision is pure (`decideScreening`); reading the ledger
 * happens before it (`resolveScreening`), so the same decision can be replayed from the same inputs.
 */

export const screeningOutcomes = [
  'not-controlled',
  'report-only',
  'licensed',
  'licence-required',
  'denied',
] as const;
export type ScreeningOutcome = (typeof screeningOutcomes)[number];
const severity: Record<ScreeningOutcome, number> = {
  'not-controlled': 0,
  'report-only': 1,
  licensed: 2,
  'licence-required': 3,
  denied: 4,
};

/** The People's Republic of China, whose rulesets these are. */
export const controllingCountry = 'CN';

// ---------------------------------------------------------------------------------------------------------
// Requests

export interface BomLine {
  readonly description?: string;
  readonly element?: Element;
  readonly form: MaterialForm;
  /** Country where this input was made (for Part 1 items: where the metal, alloy or oxide was produced). */
  readonly originCountry: string;
  readonly valueCents: number;
}

export interface ScreeningItemRequest {
  /** A ledger lot; its form, HS code, composition, value and traced origin come from the ledger. */
  readonly lotId?: string;
  readonly description?: string;
  readonly form?: MaterialForm;
  readonly hsCode?: string;
  readonly composition?: Composition;
  /** Mass shipped, mg (from `quantity` + `uom`). */
  readonly massMg: number;
  /** Value of the item, US cents (needed for the by-value rule with a BOM). */
  readonly valueCents?: number;
  /** Country where the item was made; from the ledger when a lot is named. */
  readonly madeIn?: string;
  /** Made abroad with Chinese-origin rare-earth technology (No. 61 §1(2)). */
  readonly madeWithChineseTechnology?: boolean;
  /** For a technology export (No. 62). */
  readonly technology?: Technology;
  /** A bill of materials the user supplies instead of the ledger's traced origin. */
  readonly bom?: readonly BomLine[];
}

export interface ScreeningRequest {
  readonly asOf: IsoDate;
  /** The exporter and the country the goods leave from. */
  readonly exporter: { readonly partyId?: string; readonly country: string };
  readonly destination: string;
  readonly endUser: {
    readonly partyId?: string;
    readonly name?: string;
    readonly country?: string;
    /** Declared military end user. */
    readonly military?: boolean;
  };
  readonly endUse: EndUse;
  readonly items: readonly ScreeningItemRequest[];
  /** Licences the exporter holds and wants applied; resolved by the caller. */
  readonly licenceIds?: readonly string[];
  /** How the by-value rule treats origin the ledger cannot know (`XX`): count it as Chinese, or not. */
  readonly unknownOrigin?: 'count-as-chinese' | 'ignore';
}

/** Limits on a request, so that a screening is bounded work. */
export const screeningLimits = { maxItems: 1000, maxBomLines: 10_000 } as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a screening request from the wire (JSON). Collects every fault and throws one `bad-request`
 * problem naming each field, so a caller fixes everything in one round.
 */
export function parseScreeningRequest(body: unknown): ScreeningRequest {
  const issues: ProblemIssue[] = [];
  const bad = (field: string, message: string): undefined => {
    issues.push({ field, message });
    return undefined;
  };
  if (!isObject(body)) throw new Problem('bad-request', 'a screening request is a JSON object');
  let asOf: IsoDate = '';
  try {
    asOf = parseAsOf(body.asOf);
  } catch (error) {
    if (error instanceof Problem) issues.push(...error.issues);
    else throw error;
  }
  const country = (value: unknown, field: string): string | undefined =>
    typeof value === 'string' && isCountryCode(value)
      ? value
      : bad(field, 'expected an ISO 3166-1 alpha-2 code');
  const orEmpty = (value: unknown, field: string, message: string): Record<string, unknown> => {
    if (isObject(value)) return value;
    bad(field, message);
    return {};
  };
  const exporter = orEmpty(body.exporter, '/exporter', 'missing exporter');
  const exporterCountry = country(exporter.country, '/exporter/country');
  const destination = country(body.destination, '/destination');
  const endUser = orEmpty(body.endUser, '/endUser', 'missing end user');
  if (endUser.partyId === undefined && endUser.name === undefined) {
    bad('/endUser', 'name the end user by partyId or name');
  }
  if (endUser.partyId !== undefined && typeof endUser.partyId !== 'string')
    bad('/endUser/partyId', 'expected a string');
  if (endUser.country !== undefined) country(endUser.country, '/endUser/country');
  let endUse: EndUse | undefined;
  if (body.endUse === undefined) bad('/endUse', 'missing end use: state one of ' + endUses.join(', '));
  else if (typeof body.endUse !== 'string' || !(endUses as readonly string[]).includes(body.endUse)) {
    bad('/endUse', `unknown end use ${JSON.stringify(body.endUse)}; expected one of ${endUses.join(', ')}`);
  } else endUse = body.endUse as EndUse;
  const items: ScreeningItemRequest[] = [];
  if (!Array.isArray(body.items) || body.items.length === 0) bad('/items', 'at least one item');
  else if (body.items.length > screeningLimits.maxItems)
    bad('/items', `at most ${screeningLimits.maxItems} items`);
  else {
    for (const [i, raw] of body.items.entries()) {
      const at = `/items/${i}`;
      if (!isObject(raw)) {
        bad(at, 'expected an object');
        continue;
      }
      const item = parseItem(raw, at, bad);
      if (item !== undefined) items.push(item);
    }
  }
  let licenceIds: string[] | undefined;
  if (body.licenceIds !== undefined) {
    if (!Array.isArray(body.licenceIds) || body.licenceIds.some((id) => typeof id !== 'string')) {
      bad('/licenceIds', 'expected a list of licence ids');
    } else licenceIds = body.licenceIds as string[];
  }
  const unknownOrigin = body.unknownOrigin;
  if (unknownOrigin !== undefined && unknownOrigin !== 'count-as-chinese' && unknownOrigin !== 'ignore') {
    bad('/unknownOrigin', 'expected count-as-chinese or ignore');
  }
  if (
    issues.length > 0 ||
    exporterCountry === undefined ||
    destination === undefined ||
    endUse === undefined
  ) {
    throw new Problem(
      'bad-request',
      `the screening request is invalid: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return {
    asOf,
    exporter: {
      country: exporterCountry,
      ...(typeof exporter.partyId === 'string' ? { partyId: exporter.partyId } : {}),
    },
    destination,
    endUser: {
      ...(typeof endUser.partyId === 'string' ? { partyId: endUser.partyId } : {}),
      ...(typeof endUser.name === 'string' ? { name: endUser.name } : {}),
      ...(typeof endUser.country === 'string' ? { country: endUser.country } : {}),
      ...(endUser.military === true ? { military: true } : {}),
    },
    endUse,
    items,
    ...(licenceIds === undefined ? {} : { licenceIds }),
    ...(unknownOrigin === 'ignore' || unknownOrigin === 'count-as-chinese' ? { unknownOrigin } : {}),
  };
}

function parseComposition(
  raw: unknown,
  at: string,
  bad: (f: string, m: string) => undefined,
): Composition | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) return bad(at, 'expected an object of element mass fractions');
  const out: Composition = {};
  let sum = 0;
  for (const [key, value] of Object.entries(raw)) {
    if (!isElement(key)) return bad(`${at}/${key}`, `unknown element ${key}`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      return bad(`${at}/${key}`, 'a mass fraction is a number in [0, 1]');
    }
    out[key] = value;
    sum += value;
  }
  if (sum > 1 + 1e-9) return bad(at, `fractions sum to ${sum} > 1`);
  return out;
}

function parseMoney(raw: unknown, at: string, bad: (f: string, m: string) => undefined): number | undefined {
  if (raw === undefined) return undefined;
  const amount = isObject(raw) ? raw.amount : raw;
  if (isObject(raw) && raw.currency !== undefined && raw.currency !== 'USD')
    return bad(`${at}/currency`, 'only USD');
  const text = typeof amount === 'number' ? String(amount) : amount;
  if (typeof text !== 'string' || !/^\d+(\.\d{1,2})?$/.test(text)) {
    return bad(at, 'a value is a non-negative decimal amount with at most 2 decimals');
  }
  const [whole = '0', frac = ''] = text.split('.');
  const cents = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  if (!Number.isSafeInteger(cents)) return bad(at, 'value too large');
  return cents;
}

function parseItem(
  raw: Record<string, unknown>,
  at: string,
  bad: (f: string, m: string) => undefined,
): ScreeningItemRequest | undefined {
  const before = { ok: true };
  const fail = (f: string, m: string): undefined => {
    before.ok = false;
    return bad(f, m);
  };
  const lotId = raw.lotId;
  if (lotId !== undefined && (typeof lotId !== 'string' || lotId === ''))
    fail(`${at}/lotId`, 'expected a lot id');
  const form = raw.form;
  if (form !== undefined && (typeof form !== 'string' || !isMaterialForm(form))) {
    fail(
      `${at}/form`,
      `unknown form ${JSON.stringify(form)}; expected one of ${Object.keys(materialForms).join(', ')}`,
    );
  }
  const technology = raw.technology;
  if (technology !== undefined && !(technologies as readonly unknown[]).includes(technology)) {
    fail(`${at}/technology`, `unknown technology; expected one of ${technologies.join(', ')}`);
  }
  if (lotId === undefined && form === undefined && technology === undefined) {
    fail(at, 'an item names a lotId, a form or a technology');
  }
  const hsCode = raw.hsCode;
  if (hsCode !== undefined && (typeof hsCode !== 'string' || !/^\d{4,10}$/.test(hsCode))) {
    fail(`${at}/hsCode`, 'an HS code is 4 to 10 digits');
  }
  let composition = parseComposition(raw.composition, `${at}/composition`, fail);
  if (raw.elements !== undefined) {
    // A bare list of elements present, when the exact fractions are not known.
    if (!Array.isArray(raw.elements)) fail(`${at}/elements`, 'expected a list of element symbols');
    else {
      composition = { ...(composition ?? {}) };
      for (const [j, e] of raw.elements.entries()) {
        if (typeof e !== 'string' || !isElement(e))
          fail(`${at}/elements/${j}`, `unknown element ${JSON.stringify(e)}`);
        else if (composition[e] === undefined) composition[e] = Number.MIN_VALUE;
      }
    }
  }
  let massMg = 0;
  if (raw.quantity !== undefined || raw.uom !== undefined) {
    const q = raw.quantity;
    if (typeof q === 'number' && q < 0) fail(`${at}/quantity`, 'a quantity may not be negative');
    else if (typeof q === 'string' && q.trim().startsWith('-'))
      fail(`${at}/quantity`, 'a quantity may not be negative');
    else if (typeof q !== 'number' && typeof q !== 'string') fail(`${at}/quantity`, 'expected a number');
    else if (typeof raw.uom !== 'string') fail(`${at}/uom`, 'expected a UN/ECE mass unit code (KGM, TNE, …)');
    else {
      try {
        massMg = toMilligramsNumber(q, raw.uom);
      } catch (error) {
        if (error instanceof Problem) fail(`${at}/quantity`, error.message);
        else throw error;
      }
    }
  } else if (technology === undefined && lotId === undefined)
    fail(`${at}/quantity`, 'missing quantity and uom');
  const valueCents = parseMoney(raw.value, `${at}/value`, fail);
  const madeIn = raw.madeIn;
  if (madeIn !== undefined && (typeof madeIn !== 'string' || !isCountryCode(madeIn))) {
    fail(`${at}/madeIn`, 'expected an ISO 3166-1 alpha-2 code');
  }
  let bom: BomLine[] | undefined;
  if (raw.bom !== undefined) {
    if (!Array.isArray(raw.bom) || raw.bom.length > screeningLimits.maxBomLines) {
      fail(`${at}/bom`, `expected a list of at most ${screeningLimits.maxBomLines} lines`);
    } else {
      bom = [];
      for (const [j, line] of raw.bom.entries()) {
        const lat = `${at}/bom/${j}`;
        if (!isObject(line)) {
          fail(lat, 'expected an object');
          continue;
        }
        const el = line.element;
        if (el !== undefined && (typeof el !== 'string' || !isElement(el))) {
          fail(`${lat}/element`, `unknown element ${JSON.stringify(el)}`);
          continue;
        }
        if (typeof line.form !== 'string' || !isMaterialForm(line.form)) {
          fail(`${lat}/form`, 'unknown form');
          continue;
        }
        if (typeof line.originCountry !== 'string' || !isCountryCode(line.originCountry)) {
          fail(`${lat}/originCountry`, 'expected an ISO 3166-1 alpha-2 code');
          continue;
        }
        const v = parseMoney(line.value, `${lat}/value`, fail);
        if (v === undefined) {
          fail(`${lat}/value`, 'missing value');
          continue;
        }
        bom.push({
          ...(typeof line.description === 'string' ? { description: line.description } : {}),
          ...(el === undefined ? {} : { element: el as Element }),
          form: line.form,
          originCountry: line.originCountry,
          valueCents: v,
        });
      }
      if (valueCents === undefined) fail(`${at}/value`, 'the by-value rule with a BOM needs the item value');
    }
  }
  if (!before.ok) return undefined;
  return {
    ...(typeof lotId === 'string' ? { lotId } : {}),
    ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
    ...(typeof form === 'string' && isMaterialForm(form) ? { form } : {}),
    ...(typeof hsCode === 'string' ? { hsCode } : {}),
    ...(composition === undefined ? {} : { composition }),
    massMg,
    ...(valueCents === undefined ? {} : { valueCents }),
    ...(typeof madeIn === 'string' ? { madeIn } : {}),
    ...(raw.madeWithChineseTechnology === true ? { madeWithChineseTechnology: true } : {}),
    ...(typeof technology === 'string' ? { technology: technology as Technology } : {}),
    ...(bom === undefined ? {} : { bom }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Resolution: reading the ledger

/** An item with everything the pure decision needs. */
export interface ResolvedItem {
  readonly index: number;
  readonly request: ScreeningItemRequest;
  readonly form: MaterialForm | undefined;
  readonly hsCode: string | undefined;
  readonly composition: Composition;
  readonly massMg: number;
  readonly madeIn: string;
  readonly lot?: Lot;
  readonly genealogy?: Genealogy;
}

export interface EndUserListing {
  readonly entry: ListedParty;
  /** The ownership chain from the listed party down to the end user (empty if the end user itself is listed). */
  readonly via: readonly { readonly partyId: string; readonly share: number }[];
}

export interface ResolvedScreening {
  readonly request: ScreeningRequest;
  readonly items: readonly ResolvedItem[];
  readonly endUserListings: readonly EndUserListing[];
  readonly licences: readonly Licence[];
}

/** Case-, spacing- and punctuation-insensitive form of a party name, for list matching. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Longest ownership chain followed when extending listings to subsidiaries. */
export const maxOwnershipDepth = 8;

/**
 * Reads what the decision needs: lots and genealogies, the end user's registration and its owners (for
 * listings that reach subsidiaries), and the licences named. Unknown lots, parties or licences are refused.
 */
export async function resolveScreening(
  ledger: ControlsLedger,
  request: ScreeningRequest,
  listed: readonly ListedParty[],
  getLicence: (id: string) => Promise<Licence | undefined> = async () => undefined,
): Promise<ResolvedScreening> {
  const issues: ProblemIssue[] = [];
  const items: ResolvedItem[] = [];
  for (const [index, item] of request.items.entries()) {
    if (item.lotId === undefined) {
      items.push({
        index,
        request: item,
        form: item.form,
        hsCode: item.hsCode ?? (item.form === undefined ? undefined : materialForms[item.form].hsCode),
        composition: item.composition ?? {},
        massMg: item.massMg,
        madeIn: item.madeIn ?? request.exporter.country,
      });
      continue;
    }
    const genealogy = await ledger.upstream(item.lotId);
    if (genealogy === undefined) {
      issues.push({
        field: `/items/${index}/lotId`,
        record: item.lotId,
        message: `unknown lot ${item.lotId}`,
      });
      continue;
    }
    const lot = genealogy.root;
    const made = genealogy.steps.find((step) => step.outputs.some((o) => o.lotId === lot.id));
    let madeIn = item.madeIn ?? made?.country;
    if (madeIn === undefined && lot.locationId !== undefined)
      madeIn = (await ledger.getLocation(lot.locationId))?.country;
    items.push({
      index,
      request: item,
      form: item.form ?? lot.form,
      hsCode: item.hsCode ?? lot.hsCode,
      composition: item.composition ?? lot.composition,
      massMg: item.massMg > 0 ? item.massMg : lot.remainingMg,
      madeIn: madeIn ?? 'XX',
      lot,
      genealogy,
    });
  }
  if (issues.length > 0) throw new Problem('unknown-lot', issues.map((i) => i.message).join('; '), issues);
  for (const [field, id] of [
    ['/endUser/partyId', request.endUser.partyId],
    ['/exporter/partyId', request.exporter.partyId],
  ] as const) {
    if (id !== undefined && (await ledger.getParty(id)) === undefined) {
      throw new Problem('unknown-party', `unknown party ${id}`, [
        { field, record: id, message: 'not registered' },
      ]);
    }
  }
  const endUserListings: EndUserListing[] = [];
  const byParty = new Map<string, ListedParty[]>();
  for (const entry of listed) byParty.set(entry.partyId, [...(byParty.get(entry.partyId) ?? []), entry]);
  const endUserId = request.endUser.partyId;
  if (endUserId !== undefined) {
    // Walk owners upward; a listing reaches the end user when every link in the chain is owned at or above
    // the rule's threshold (checked in the decision, since thresholds are data). A party is revisited only
    // along a chain whose weakest link is stronger than any seen before, so the strongest chain is found.
    const queue: { partyId: string; via: { partyId: string; share: number }[]; weakest: number }[] = [
      { partyId: endUserId, via: [], weakest: 1 },
    ];
    const best = new Map<string, number>();
    while (queue.length > 0) {
      const next = queue.shift();
      if (next === undefined || (best.get(next.partyId) ?? -1) >= next.weakest) continue;
      const firstVisit = !best.has(next.partyId);
      best.set(next.partyId, next.weakest);
      for (const entry of byParty.get(next.partyId) ?? []) {
        if (firstVisit || next.via.length > 0) endUserListings.push({ entry, via: next.via });
      }
      if (next.via.length >= maxOwnershipDepth) continue;
      for (const owner of await ledger.ownersOf(next.partyId)) {
        queue.push({
          partyId: owner.ownerId,
          via: [{ partyId: next.partyId, share: owner.share }, ...next.via],
          weakest: Math.min(next.weakest, owner.share),
        });
      }
    }
  }
  const endUserName = request.endUser.name;
  if (endUserName !== undefined) {
    // Listed parties are also matched by name (case, spacing and punctuation ignored): an end user named
    // but not registered must not slip past the list.
    const wanted = normaliseName(endUserName);
    for (const entry of listed) {
      if (normaliseName(entry.name) === wanted && !endUserListings.some((l) => l.entry === entry)) {
        endUserListings.push({ entry, via: [] });
      }
    }
  }
  const licences: Licence[] = [];
  for (const [i, id] of (request.licenceIds ?? []).entries()) {
    const licence = await getLicence(id);
    if (licence === undefined) {
      throw new Problem('not-found', `unknown licence ${id}`, [
        { field: `/licenceIds/${i}`, record: id, message: 'no such licence' },
      ]);
    }
    licences.push(licence);
  }
  return { request, items, endUserListings, licences };
}

// ---------------------------------------------------------------------------------------------------------
// Decision

export interface ScreeningReason {
  /** What this reason pushes the outcome to; `info` reasons explain rules that did not apply. */
  readonly effect: ScreeningOutcome | 'info';
  /** Item index, or undefined for request-level reasons (end user, end use). */
  readonly item?: number;
  readonly message: string;
  readonly rule: RuleCitation;
  /** How the rule stood on the date asked. */
  readonly standing: RuleStanding;
  readonly controlCode?: string;
  readonly evidence?: Readonly<Record<string, unknown>>;
}

export interface ItemDecision {
  readonly index: number;
  readonly outcome: ScreeningOutcome;
  readonly controlCodes: readonly string[];
  /** No. 61 §1(1): the Chinese-origin Part 1 value share, when computed. */
  readonly chineseValueShare?: ValueShare;
  readonly licenceId?: string;
}

export interface ScreeningDecision {
  readonly asOf: IsoDate;
  readonly outcome: ScreeningOutcome;
  readonly items: readonly ItemDecision[];
  readonly reasons: readonly ScreeningReason[];
  /** Duty that follows (humanitarian report deadline). */
  readonly obligations: readonly string[];
  readonly dataVersion: string;
}

export interface ValueShare {
  readonly method: 'ledger' | 'bom';
  /** Chinese-origin Part 1 value / item value. */
  readonly share: number;
  /** Value share whose origin the ledger cannot tell (`XX`); counted in `share` under count-as-chinese. */
  readonly unknownShare: number;
  readonly chineseValueCents: number;
  readonly itemValueCents: number;
  /** The lots (ledger) or BOM lines that contribute Chinese-origin Part 1 value. */
  readonly contributors: readonly string[];
}

function cite(set: Ruleset, rule: ExportRule): RuleCitation {
  return {
    rulesetId: set.id,
    ruleId: rule.id,
    clause: rule.clause,
    source: set.source,
    tag: rule.tag,
    effective: rule.effective,
  };
}

function standing(set: Ruleset, rule: ExportRule, asOf: IsoDate): { standing: RuleStanding; note: string } {
  const own = standingOn(asOf, rule.effective, [...set.suspensions, ...rule.suspensions]);
  if (own.standing === 'suspended' && own.suspension !== undefined) {
    return {
      standing: 'suspended',
      note: `suspended ${own.suspension.from}..${own.suspension.until} by ${own.suspension.source}`,
    };
  }
  if (own.standing === 'not-yet-effective')
    return { standing: own.standing, note: `takes effect ${rule.effective}` };
  return { standing: own.standing, note: '' };
}

function hasElement(composition: Composition, list: readonly Element[]): Element[] {
  return list.filter((e) => (composition[e] ?? 0) > 0);
}

/** Does an item (form, HS code, composition) match a pattern? Returns how, or undefined. */
function matchPattern(
  pattern: ItemPattern,
  form: MaterialForm | undefined,
  hsCode: string | undefined,
  composition: Composition,
  containsPart2: boolean,
): string | undefined {
  const els = pattern.elements.length === 0 ? [] : hasElement(composition, pattern.elements);
  if (pattern.elements.length > 0 && els.length === 0) return undefined;
  if (pattern.containsPart2) {
    if (!containsPart2 || form === undefined || !pattern.forms.includes(form)) return undefined;
    return `form ${form} containing an Annex 1 Part 2 item`;
  }
  const byForm = form !== undefined && pattern.forms.includes(form);
  const hs = hsCode === undefined ? undefined : pattern.hsCodes.find((code) => hsCode.startsWith(code));
  if (pattern.forms.length + pattern.hsCodes.length > 0 && !byForm && hs === undefined) return undefined;
  const parts = [
    els.length > 0 ? `element ${els.join(', ')}` : undefined,
    byForm ? `form ${form}` : undefined,
    hs !== undefined ? `HS ${hs}` : undefined,
  ].filter((p) => p !== undefined);
  return parts.join(' and ');
}

const magnetForms: readonly MaterialForm[] = ['magnet-sintered-ndfeb', 'magnet-bonded-ndfeb', 'magnet-smco'];

/** Which step made each lot of a genealogy. */
function producers(genealogy: Genealogy): Map<string, GenealogyStep> {
  const map = new Map<string, GenealogyStep>();
  for (const step of genealogy.steps) for (const out of step.outputs) map.set(out.lotId, step);
  return map;
}

/** Part 2 items among the lot's genealogy or BOM (for "parts ... containing them"). */
function containsPart2Item(item: ResolvedItem, part2: readonly ItemPattern[]): boolean {
  const direct = part2.filter((p) => !p.containsPart2);
  const matches = (form: MaterialForm, composition: Composition, hs: string | undefined): boolean =>
    direct.some((p) => matchPattern(p, form, hs, composition, false) !== undefined);
  if (item.genealogy !== undefined) {
    for (const lot of item.genealogy.lots.values()) {
      if (lot.id !== item.lot?.id && matches(lot.form, lot.composition, lot.hsCode)) return true;
    }
  }
  for (const line of item.request.bom ?? []) {
    const composition: Composition = line.element === undefined ? {} : { [line.element]: 1 };
    if (magnetForms.includes(line.form) && matches(line.form, composition, undefined)) return true;
  }
  return false;
}

/**
 * The fraction of a lot's element mass that passed through a lot satisfying `hit`, walking the genealogy
 * with the pool model the ledger uses for origin (each transformation's inputs form one pool). Commissioned
 * lots that do not satisfy `hit` contribute `leaf(lot)`.
 */
function throughShare(
  genealogy: Genealogy,
  producedBy: ReadonlyMap<string, GenealogyStep>,
  element: Element,
  hit: (lot: Lot) => boolean,
  leaf: (lot: Lot) => number,
): number {
  const memo = new Map<string, number>();
  const visit = (lotId: string, depth: number): number => {
    const cached = memo.get(lotId);
    if (cached !== undefined) return cached;
    const lot = genealogy.lots.get(lotId);
    let result = 0;
    if (lot !== undefined && hit(lot)) result = 1;
    else {
      const step = producedBy.get(lotId);
      if (lot !== undefined && (step === undefined || step.inputs.length === 0 || depth > 256))
        result = leaf(lot);
      else if (step !== undefined) {
        let total = 0;
        let through = 0;
        for (const input of step.inputs) {
          const inputLot = genealogy.lots.get(input.lotId);
          const mass = (inputLot?.composition[element] ?? 0) * input.consumedMg;
          if (mass <= 0) continue;
          total += mass;
          through += mass * visit(input.lotId, depth + 1);
        }
        result = total > 0 ? through / total : 0;
      }
    }
    memo.set(lotId, result);
    return result;
  };
  return visit(genealogy.root.id, 0);
}

/**
 * No. 61 §1(1): the value of Chinese-origin Annex 1 Part 1 content as a share of the item's value, from the
 * ledger's traced origin by value or from a supplied BOM (the BOM wins when both are given: it is the user's
 * explicit declaration).
 */
export function chineseValueShare(
  item: ResolvedItem,
  part1: readonly ItemPattern[],
  unknownOrigin: 'count-as-chinese' | 'ignore',
): ValueShare | undefined {
  const bom = item.request.bom;
  if (bom !== undefined && item.request.valueCents !== undefined && item.request.valueCents > 0) {
    let chinese = 0;
    const contributors: string[] = [];
    for (const [j, line] of bom.entries()) {
      const composition: Composition = line.element === undefined ? {} : { [line.element]: 1 };
      const isPart1 = part1.some(
        (p) => matchPattern(p, line.form, undefined, composition, false) !== undefined,
      );
      if (isPart1 && line.originCountry === controllingCountry) {
        chinese += line.valueCents;
        contributors.push(`bom/${j}${line.description === undefined ? '' : ` ${line.description}`}`);
      }
    }
    const value = item.request.valueCents;
    return {
      method: 'bom',
      share: chinese / value,
      unknownShare: 0,
      chineseValueCents: chinese,
      itemValueCents: value,
      contributors,
    };
  }
  const lot = item.lot;
  const genealogy = item.genealogy;
  if (lot === undefined || genealogy === undefined || lot.valueCents <= 0) return undefined;
  const part1Elements = new Set<Element>(part1.flatMap((p) => p.elements));
  let chinese = 0;
  let unknown = 0;
  const contributors = new Set<string>();
  const producedBy = producers(genealogy);
  for (const element of part1Elements) {
    const elementValue = lot.elementValues[element] ?? 0;
    if (elementValue <= 0) continue;
    const isPart1Lot = (l: Lot): boolean =>
      part1.some((p) => matchPattern(p, l.form, l.hsCode, l.composition, false) !== undefined) &&
      (l.composition[element] ?? 0) > 0;
    const madeInChina = (l: Lot): boolean => {
      const country = producedBy.get(l.id)?.country;
      // A Part 1 lot that entered the ledger already made: its separation origin by value is the best record.
      if (country === undefined || country === 'XX')
        return (l.origin[element]?.separationByValue[controllingCountry] ?? 0) >= 0.5;
      return country === controllingCountry;
    };
    const cn = throughShare(
      genealogy,
      producedBy,
      element,
      (l) => {
        const hit = isPart1Lot(l) && madeInChina(l);
        if (hit) contributors.add(l.id);
        return hit;
      },
      () => 0,
    );
    // Value of the element the ledger cannot place: material commissioned outside a mine with no declared
    // origin (it may hide Chinese Part 1 content). A lot already counted as Chinese stops the walk.
    const xx = throughShare(
      genealogy,
      producedBy,
      element,
      () => false,
      (l) => (isPart1Lot(l) && madeInChina(l) ? 0 : (l.origin[element]?.separationByValue.XX ?? 0)),
    );
    chinese += elementValue * cn;
    unknown += elementValue * xx;
  }
  const counted = unknownOrigin === 'count-as-chinese' ? chinese + unknown : chinese;
  return {
    method: 'ledger',
    share: counted / lot.valueCents,
    unknownShare: unknown / lot.valueCents,
    chineseValueCents: Math.round(counted),
    itemValueCents: lot.valueCents,
    contributors: [...contributors].sort(),
  };
}

function licenceCovers(
  licence: Licence,
  request: ScreeningRequest,
  item: ResolvedItem,
  controlCodes: readonly string[],
  asOf: IsoDate,
): string | undefined {
  if (licence.status !== 'approved') return `licence ${licence.id} is ${licence.status}`;
  if (licence.validFrom === undefined || licence.validUntil === undefined)
    return `licence ${licence.id} has no validity`;
  if (asOf < licence.validFrom || asOf > licence.validUntil) {
    return `licence ${licence.id} is valid ${licence.validFrom}..${licence.validUntil}, not on ${asOf}`;
  }
  // A licence covers only its holder's exports: an exporter that does not name itself cannot borrow one.
  if (licence.holderId !== request.exporter.partyId) {
    return `licence ${licence.id} is held by ${licence.holderId}, not ${request.exporter.partyId ?? 'an unnamed exporter'}`;
  }
  const limits = licence.limits;
  if (limits.controlCodes.length > 0 && !controlCodes.some((code) => limits.controlCodes.includes(code))) {
    return `licence ${licence.id} does not cover ${controlCodes.join(', ')}`;
  }
  if (limits.elements.length > 0 && hasElement(item.composition, limits.elements).length === 0) {
    return `licence ${licence.id} does not cover the item's elements`;
  }
  if (limits.forms.length > 0 && (item.form === undefined || !limits.forms.includes(item.form))) {
    return `licence ${licence.id} does not cover form ${item.form ?? '(none)'}`;
  }
  if (!limits.destinations.includes(request.destination))
    return `licence ${licence.id} does not cover ${request.destination}`;
  if (request.endUser.partyId === undefined || !limits.endUserIds.includes(request.endUser.partyId)) {
    return `licence ${licence.id} does not name this end user`;
  }
  if (limits.endUses.length > 0 && !limits.endUses.includes(request.endUse))
    return `licence ${licence.id} does not cover end use ${request.endUse}`;
  if (licence.type === 'single' && licence.exportsDrawn > 0)
    return `single licence ${licence.id} is already used`;
  if (licence.usedMg + item.massMg > limits.quantityMg) {
    return `licence ${licence.id} has ${limits.quantityMg - licence.usedMg} mg left, the item needs ${item.massMg}`;
  }
  return undefined;
}

/** The pure decision. */
export function decideScreening(resolved: ResolvedScreening, data: ExportControlData): ScreeningDecision {
  const { request } = resolved;
  const asOf = request.asOf;
  const reasons: ScreeningReason[] = [];
  const obligations: string[] = [];
  const fromChina = request.exporter.country === controllingCountry;
  const unknownOrigin = request.unknownOrigin ?? 'count-as-chinese';
  const itemDecisions: ItemDecision[] = [];
  const endUseRules: { set: Ruleset; rule: ExportRule }[] = [];
  for (const set of data.rulesets) {
    for (const rule of set.rules) {
      if (
        rule.type === 'deny-end-user' ||
        rule.type === 'deny-end-use' ||
        rule.type === 'case-by-case-end-use' ||
        rule.type === 'humanitarian-report'
      ) {
        endUseRules.push({ set, rule });
      }
    }
  }

  for (const item of resolved.items) {
    // Whether the item contains a Part 2 item, computed at most once per item and annex.
    const part2Memo = new Map<readonly ItemPattern[], boolean>();
    const containsPart2 = (part2: readonly ItemPattern[]): boolean => {
      let v = part2Memo.get(part2);
      if (v === undefined) {
        v = containsPart2Item(item, part2);
        part2Memo.set(part2, v);
      }
      return v;
    };
    const controls: { code: string; set: Ruleset; rule: ExportRule; how: string }[] = [];
    let share: ValueShare | undefined;
    const consider = (
      set: Ruleset,
      rule: ExportRule,
      code: string,
      how: string,
      evidence?: Record<string, unknown>,
    ): void => {
      const st = standing(set, rule, asOf);
      if (st.standing === 'in-force') {
        controls.push({ code, set, rule, how });
        reasons.push({
          effect: 'licence-required',
          item: item.index,
          message: `item ${item.index} is controlled (${code}): ${how}`,
          rule: cite(set, rule),
          standing: st.standing,
          controlCode: code,
          ...(evidence === undefined ? {} : { evidence }),
        });
      } else {
        reasons.push({
          effect: 'info',
          item: item.index,
          message: `item ${item.index} would be controlled (${code}: ${how}) but the rule is ${st.standing}${st.note === '' ? '' : `: ${st.note}`}`,
          rule: cite(set, rule),
          standing: st.standing,
          controlCode: code,
          ...(evidence === undefined ? {} : { evidence }),
        });
      }
    };
    for (const set of data.rulesets) {
      const annex = set.annex;
      for (const rule of set.rules) {
        switch (rule.type) {
          case 'export-item': {
            if (!fromChina) break;
            const how = matchPattern(rule.pattern, item.form, item.hsCode, item.composition, false);
            if (how !== undefined) consider(set, rule, rule.controlCode, how);
            break;
          }
          case 'technology': {
            if (!fromChina || item.request.technology === undefined) break;
            if (rule.technologies.includes(item.request.technology)) {
              consider(set, rule, rule.controlCode, `${item.request.technology} technology`);
            }
            break;
          }
          case 'catch-all-end-use': {
            if (fromChina && rule.endUses.includes(request.endUse))
              consider(set, rule, rule.controlCode, `end use ${request.endUse}`);
            break;
          }
          case 'extraterritorial-origin': {
            if (fromChina || annex === undefined || item.madeIn !== controllingCountry) break;
            const how = [...annex.part1, ...annex.part2]
              .map((p) =>
                matchPattern(p, item.form, item.hsCode, item.composition, containsPart2(annex.part2)),
              )
              .find((h) => h !== undefined);
            if (how !== undefined)
              consider(
                set,
                rule,
                'No.61-origin',
                `Chinese-origin Annex 1 item re-exported from ${request.exporter.country} (${how})`,
              );
            break;
          }
          case 'extraterritorial-technology': {
            if (
              fromChina ||
              annex === undefined ||
              item.madeIn === controllingCountry ||
              item.request.madeWithChineseTechnology !== true
            )
              break;
            const how = [...annex.part1, ...annex.part2]
              .map((p) =>
                matchPattern(p, item.form, item.hsCode, item.composition, containsPart2(annex.part2)),
              )
              .find((h) => h !== undefined);
            if (how !== undefined)
              consider(
                set,
                rule,
                'No.61-technology',
                `Annex 1 item made in ${item.madeIn} with Chinese-origin technology (${how})`,
              );
            break;
          }
          case 'extraterritorial-de-minimis': {
            if (fromChina || annex === undefined || item.madeIn === controllingCountry) break;
            const contains = containsPart2(annex.part2);
            const how = annex.part2
              .map((p) => matchPattern(p, item.form, item.hsCode, item.composition, contains))
              .find((h) => h !== undefined);
            if (how === undefined) break;
            share = chineseValueShare(item, annex.part1, unknownOrigin);
            if (share === undefined) {
              // Without a traced value or a BOM the share cannot be shown to be under the threshold.
              consider(
                set,
                rule,
                'No.61-de-minimis',
                `Part 2 item (${how}) with no value trace or BOM: the share below ${rule.valueShareThreshold * 100} % cannot be shown`,
              );
            } else if (share.share >= rule.valueShareThreshold) {
              consider(
                set,
                rule,
                'No.61-de-minimis',
                `Part 2 item (${how}) with Chinese-origin Part 1 content of ${(share.share * 100).toFixed(4)} % of value ≥ ${rule.valueShareThreshold * 100} % (${share.method})`,
                { ...share },
              );
            } else {
              reasons.push({
                effect: 'info',
                item: item.index,
                message: `item ${item.index}: Chinese-origin Part 1 content ${(share.share * 100).toFixed(4)} % of value is below ${rule.valueShareThreshold * 100} % (${share.method})`,
                rule: cite(set, rule),
                standing: standing(set, rule, asOf).standing,
                evidence: { ...share },
              });
            }
            break;
          }
          default:
            break;
        }
      }
    }
    let outcome: ScreeningOutcome = controls.length === 0 ? 'not-controlled' : 'licence-required';
    const codes = [...new Set(controls.map((c) => c.code))];
    let licenceId: string | undefined;
    if (controls.length > 0) {
      // End-user and end-use screening applies to every licensable item (the dual track).
      for (const { set, rule } of endUseRules) {
        const st = standing(set, rule, asOf);
        const decided = applyEndUseRule(set, rule, resolved, item.index, st);
        if (decided === undefined) continue;
        reasons.push(decided.reason);
        if (st.standing !== 'in-force') continue;
        if (decided.outcome === 'denied') outcome = 'denied';
        else if (decided.outcome === 'report-only' && outcome === 'licence-required') {
          outcome = 'report-only';
          obligations.push(decided.obligation ?? '');
        } else if (decided.outcome === 'licence-required' && outcome === 'report-only')
          outcome = 'licence-required';
      }
      if (outcome === 'licence-required') {
        const refusals: string[] = [];
        for (const licence of resolved.licences) {
          const why = licenceCovers(licence, request, item, codes, asOf);
          if (why === undefined) {
            outcome = 'licensed';
            licenceId = licence.id;
            reasons.push({
              effect: 'licensed',
              item: item.index,
              message: `item ${item.index} is covered by ${licence.type} licence ${licence.id} (valid ${licence.validFrom}..${licence.validUntil})`,
              rule: {
                rulesetId: 'licences',
                ruleId: 'licence-coverage',
                clause: 'Dual-Use Regulations Art. 15 (single ≤ 1 year, one end user; general ≤ 3 years)',
                source: 'Regulations on Export Control of Dual-Use Items, effective 2024-12-01 (reg.md §3.1)',
                tag: 'C',
                effective: '2024-12-01',
              },
              standing: 'in-force',
            });
            break;
          }
          refusals.push(why);
        }
        if (outcome === 'licence-required' && refusals.length > 0) {
          reasons.push({
            effect: 'info',
            item: item.index,
            message: `no held licence covers item ${item.index}: ${refusals.join('; ')}`,
            rule: {
              rulesetId: 'licences',
              ruleId: 'licence-coverage',
              clause: 'Dual-Use Regulations Arts 15, 18',
              source: 'Regulations on Export Control of Dual-Use Items, effective 2024-12-01 (reg.md §3.1)',
              tag: 'C',
              effective: '2024-12-01',
            },
            standing: 'in-force',
          });
        }
      }
    }
    itemDecisions.push({
      index: item.index,
      outcome,
      controlCodes: codes,
      ...(share === undefined ? {} : { chineseValueShare: share }),
      ...(licenceId === undefined ? {} : { licenceId }),
    });
  }
  let overall: ScreeningOutcome = 'not-controlled';
  for (const d of itemDecisions) if (severity[d.outcome] > severity[overall]) overall = d.outcome;
  // Request-level reasons (end user/end use) are repeated per item; keep the first of each.
  const seen = new Set<string>();
  const unique = reasons.filter((r) => {
    const key =
      r.item === undefined ? `${r.rule.ruleId}|${r.message}` : `${r.item}|${r.rule.ruleId}|${r.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    asOf,
    outcome: overall,
    items: itemDecisions,
    reasons: unique,
    obligations: [...new Set(obligations)].filter((o) => o !== ''),
    dataVersion: data.version,
  };
}

function applyEndUseRule(
  set: Ruleset,
  rule: ExportRule,
  resolved: ResolvedScreening,
  _item: number,
  st: { standing: RuleStanding; note: string },
): { outcome: ScreeningOutcome; reason: ScreeningReason; obligation?: string } | undefined {
  const { request } = resolved;
  const suffix =
    st.standing === 'in-force'
      ? ''
      : ` — not applied: rule is ${st.standing}${st.note === '' ? '' : ` (${st.note})`}`;
  const make = (outcome: ScreeningOutcome, message: string, evidence?: Record<string, unknown>) => ({
    outcome,
    reason: {
      effect: st.standing === 'in-force' ? outcome : ('info' as const),
      message: message + suffix,
      rule: cite(set, rule),
      standing: st.standing,
      ...(evidence === undefined ? {} : { evidence }),
    },
  });
  switch (rule.type) {
    case 'deny-end-user': {
      if (rule.denyDeclaredMilitary && request.endUser.military === true) {
        return make(
          'denied',
          `end user ${request.endUser.partyId ?? request.endUser.name ?? ''} is declared a military end user`,
        );
      }
      for (const listing of resolved.endUserListings) {
        if (!rule.lists.includes(listing.entry.list as ListKind)) continue;
        if (request.asOf < listing.entry.listedOn) continue;
        if (listing.entry.delistedOn !== undefined && request.asOf >= listing.entry.delistedOn) continue;
        if (listing.via.some((link) => link.share < rule.ownershipThreshold)) continue;
        const chain = listing.via.map((l) => `${l.partyId} (${(l.share * 100).toFixed(1)} %)`).join(' → ');
        return make(
          'denied',
          listing.via.length === 0
            ? `end user ${listing.entry.partyId} (${listing.entry.name}) is on the ${listing.entry.list} list since ${listing.entry.listedOn}`
            : `end user is owned ≥ ${rule.ownershipThreshold * 100} % by ${listing.entry.partyId} (${listing.entry.name}, ${listing.entry.list} list) via ${chain}`,
          { listing: listing.entry, via: listing.via },
        );
      }
      return undefined;
    }
    case 'deny-end-use':
      return rule.endUses.includes(request.endUse)
        ? make('denied', `end use ${request.endUse} is denied in principle`)
        : undefined;
    case 'case-by-case-end-use':
      return rule.endUses.includes(request.endUse)
        ? make(
            'licence-required',
            `end use ${request.endUse} is reviewed case by case: a licence is required`,
          )
        : undefined;
    case 'humanitarian-report': {
      if (!rule.endUses.includes(request.endUse)) return undefined;
      const obligation = `report the export to MOFCOM by e-mail within ${rule.reportWithinWorkingDays} working days after export (${rule.clause})`;
      return {
        ...make('report-only', `end use ${request.endUse} needs no licence, only a report`),
        obligation,
      };
    }
    default:
      return undefined;
  }
}

/** Resolve and decide in one call. */
export async function screen(
  ledger: ControlsLedger,
  request: ScreeningRequest,
  data: ExportControlData,
  listed: readonly ListedParty[],
  getLicence?: (id: string) => Promise<Licence | undefined>,
): Promise<ScreeningDecision> {
  return decideScreening(await resolveScreening(ledger, request, listed, getLicence), data);
}
