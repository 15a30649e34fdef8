import type { Element } from '../domain/elements.js';
import { elements } from '../domain/elements.js';
import type { MaterialForm } from '../domain/forms.js';
import { materialForms } from '../domain/forms.js';
import { type DataFile, Reader, readSuspensions, type Suspension } from './data.js';
import type { IsoDate } from './dates.js';

/**
 * Export-control rulesets as data (data/controls/export-controls.yaml). A ruleset is one legal instrument
 * (an announcement) with its effective date and suspensions; each rule in it encodes one clause.
 */

/** End uses a screening request may state. The rules name which of these they deny, review or exempt. */
export const endUses = [
  'civilian-industrial',
  'automotive',
  'wind-energy',
  'consumer-electronics',
  'medical-equipment',
  'research',
  'semiconductor-advanced-logic',
  'semiconductor-advanced-memory',
  'semiconductor-equipment',
  'ai-military-potential',
  'rare-earth-production-abroad',
  'military',
  'wmd',
  'terrorism',
  'humanitarian-medical',
  'humanitarian-public-health',
  'humanitarian-disaster-relief',
] as const;
export type EndUse = (typeof endUses)[number];

/** Technology categories (No. 62 1E902). */
export const technologies = [
  'mining',
  'separation',
  'metal-smelting',
  'magnet-manufacturing',
  'recycling',
  'production-line',
] as const;
export type Technology = (typeof technologies)[number];

export const listKinds = ['control', 'watch', 'military'] as const;
export type ListKind = (typeof listKinds)[number];

const formNames = Object.keys(materialForms) as MaterialForm[];

/** Where a rule comes from, as every decision reports it. */
export interface RuleCitation {
  readonly rulesetId: string;
  readonly ruleId: string;
  readonly clause: string;
  readonly source: string;
  readonly tag: string;
  readonly effective: IsoDate;
}

/** A pattern over items: element (any of), form (any of) or HS code (prefix). */
export interface ItemPattern {
  readonly elements: readonly Element[];
  readonly forms: readonly MaterialForm[];
  readonly hsCodes: readonly string[];
  /** Matches components/products that contain a Part 2 item (No. 61 Annex 1 Part 2, "parts ... containing"). */
  readonly containsPart2: boolean;
  readonly note?: string;
}

interface RuleBase {
  readonly id: string;
  readonly clause: string;
  readonly tag: string;
  readonly effective: IsoDate;
  readonly suspensions: readonly Suspension[];
}

export type ExportRule =
  | (RuleBase & { readonly type: 'export-item'; readonly controlCode: string; readonly pattern: ItemPattern })
  | (RuleBase & {
      readonly type: 'technology';
      readonly controlCode: string;
      readonly technologies: readonly Technology[];
    })
  | (RuleBase & {
      readonly type: 'catch-all-end-use';
      readonly controlCode: string;
      readonly endUses: readonly EndUse[];
    })
  | (RuleBase & { readonly type: 'extraterritorial-origin' })
  | (RuleBase & { readonly type: 'extraterritorial-de-minimis'; readonly valueShareThreshold: number })
  | (RuleBase & { readonly type: 'extraterritorial-technology' })
  | (RuleBase & {
      readonly type: 'deny-end-user';
      readonly lists: readonly ListKind[];
      readonly ownershipThreshold: number;
      readonly denyDeclaredMilitary: boolean;
    })
  | (RuleBase & { readonly type: 'deny-end-use'; readonly endUses: readonly EndUse[] })
  | (RuleBase & { readonly type: 'case-by-case-end-use'; readonly endUses: readonly EndUse[] })
  | (RuleBase & {
      readonly type: 'humanitarian-report';
      readonly endUses: readonly EndUse[];
      readonly reportWithinWorkingDays: number;
    });

export type ExportRuleType = ExportRule['type'];

export interface Ruleset {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  readonly tag: string;
  readonly effective: IsoDate;
  readonly suspensions: readonly Suspension[];
  readonly annex:
    | { readonly part1: readonly ItemPattern[]; readonly part2: readonly ItemPattern[] }
    | undefined;
  readonly rules: readonly ExportRule[];
}

export interface ExportControlData {
  readonly version: string;
  readonly files: readonly string[];
  readonly rulesets: readonly Ruleset[];
}

export interface ListedParty {
  readonly partyId: string;
  readonly name: string;
  readonly list: ListKind;
  readonly listedOn: IsoDate;
  readonly delistedOn?: IsoDate;
  readonly source: string;
}

const ruleTypes = [
  'export-item',
  'technology',
  'catch-all-end-use',
  'extraterritorial-origin',
  'extraterritorial-de-minimis',
  'extraterritorial-technology',
  'deny-end-user',
  'deny-end-use',
  'case-by-case-end-use',
  'humanitarian-report',
] as const;

function readPattern(reader: Reader, raw: unknown, at: string): ItemPattern {
  const p = reader.object(raw, at);
  const pattern: ItemPattern = {
    elements: reader.strings(p, 'elements', at, elements) as Element[],
    forms: reader.strings(p, 'forms', at, formNames) as MaterialForm[],
    hsCodes: reader.strings(p, 'hsCodes', at),
    containsPart2: p.containsPart2 === true,
    ...(typeof p.note === 'string' ? { note: p.note } : {}),
  };
  for (const hs of pattern.hsCodes)
    if (!/^\d{4,10}$/.test(hs)) reader.fail(`${at}/hsCodes`, `bad HS code ${hs}`);
  return pattern;
}

function readRule(
  reader: Reader,
  raw: unknown,
  at: string,
  set: { effective: IsoDate; tag: string },
): ExportRule {
  const r = reader.object(raw, at);
  const type = reader.oneOf(r, 'type', at, ruleTypes);
  const base: RuleBase = {
    id: reader.string(r, 'id', at),
    clause: reader.string(r, 'clause', at),
    tag: reader.optString(r, 'tag', at) ?? set.tag,
    effective: reader.optDate(r, 'effective', at) ?? set.effective,
    suspensions: readSuspensions(reader, r, at),
  };
  const uses = (): EndUse[] => reader.strings(r, 'endUses', at, endUses) as EndUse[];
  switch (type) {
    case 'export-item': {
      const pattern = readPattern(reader, r, at);
      if (pattern.elements.length === 0)
        reader.fail(`${at}/elements`, 'an export item names at least one element');
      return { ...base, type, controlCode: reader.string(r, 'controlCode', at), pattern };
    }
    case 'technology':
      return {
        ...base,
        type,
        controlCode: reader.string(r, 'controlCode', at),
        technologies: reader.strings(r, 'technologies', at, technologies) as Technology[],
      };
    case 'catch-all-end-use':
      return { ...base, type, controlCode: reader.string(r, 'controlCode', at), endUses: uses() };
    case 'extraterritorial-origin':
    case 'extraterritorial-technology':
      return { ...base, type };
    case 'extraterritorial-de-minimis': {
      const valueShareThreshold = reader.number(r, 'valueShareThreshold', at);
      if (valueShareThreshold <= 0 || valueShareThreshold > 1)
        reader.fail(`${at}/valueShareThreshold`, 'must be in (0, 1]');
      return { ...base, type, valueShareThreshold };
    }
    case 'deny-end-user':
      return {
        ...base,
        type,
        lists: reader.strings(r, 'lists', at, listKinds) as ListKind[],
        ownershipThreshold: reader.optNumber(r, 'ownershipThreshold', at) ?? 0.5,
        denyDeclaredMilitary: r.denyDeclaredMilitary === true,
      };
    case 'deny-end-use':
    case 'case-by-case-end-use':
      return { ...base, type, endUses: uses() };
    case 'humanitarian-report':
      return {
        ...base,
        type,
        endUses: uses(),
        reportWithinWorkingDays: reader.number(r, 'reportWithinWorkingDays', at),
      };
  }
}

/** Validates and collects every `kind: export-controls` file. Rule ids must be unique across files. */
export function loadExportControlData(files: readonly DataFile[]): ExportControlData {
  const rulesets: Ruleset[] = [];
  const seen = new Set<string>();
  const used: string[] = [];
  const versions: string[] = [];
  for (const file of files) {
    if (file.kind !== 'export-controls') continue;
    used.push(file.file);
    versions.push(file.version);
    const reader = new Reader(file.file);
    reader.array(file.body.rulesets, '/rulesets').forEach((raw, i) => {
      const at = `/rulesets/${i}`;
      const s = reader.object(raw, at);
      const effective = reader.date(s, 'effective', at);
      const tag = reader.optString(s, 'tag', at) ?? 'U';
      const annexRaw = s.annex === undefined ? undefined : reader.object(s.annex, `${at}/annex`);
      const ruleset: Ruleset = {
        id: reader.string(s, 'id', at),
        title: reader.string(s, 'title', at),
        source: reader.string(s, 'source', at),
        tag,
        effective,
        suspensions: readSuspensions(reader, s, at),
        annex:
          annexRaw === undefined
            ? undefined
            : {
                part1: reader
                  .array(annexRaw.part1, `${at}/annex/part1`)
                  .map((p, j) => readPattern(reader, p, `${at}/annex/part1/${j}`)),
                part2: reader
                  .array(annexRaw.part2, `${at}/annex/part2`)
                  .map((p, j) => readPattern(reader, p, `${at}/annex/part2/${j}`)),
              },
        rules: reader
          .array(s.rules, `${at}/rules`)
          .map((r, j) => readRule(reader, r, `${at}/rules/${j}`, { effective, tag })),
      };
      for (const rule of ruleset.rules) {
        if (seen.has(rule.id)) reader.fail(at, `duplicate rule id ${rule.id}`);
        seen.add(rule.id);
        if (rule.effective < ruleset.effective)
          reader.fail(at, `rule ${rule.id} takes effect before its ruleset`);
      }
      const needsAnnex = ruleset.rules.some(
        (rule) => rule.type === 'extraterritorial-de-minimis' || rule.type === 'extraterritorial-origin',
      );
      if (needsAnnex && ruleset.annex === undefined) reader.fail(at, 'extraterritorial rules need an annex');
      rulesets.push(ruleset);
    });
  }
  return { version: versions.join('+'), files: used, rulesets };
}

export function loadPartyLists(files: readonly DataFile[]): ListedParty[] {
  const out: ListedParty[] = [];
  for (const file of files) {
    if (file.kind !== 'party-lists') continue;
    const reader = new Reader(file.file);
    reader.array(file.body.entries, '/entries').forEach((raw, i) => {
      const at = `/entries/${i}`;
      const e = reader.object(raw, at);
      const delistedOn = reader.optDate(e, 'delistedOn', at);
      out.push({
        partyId: reader.string(e, 'partyId', at),
        name: reader.string(e, 'name', at),
        list: reader.oneOf(e, 'list', at, listKinds),
        listedOn: reader.date(e, 'listedOn', at),
        ...(delistedOn === undefined ? {} : { delistedOn }),
        source: reader.string(e, 'source', at),
      });
    });
  }
  return out;
}
