import { problemAt } from '../core/errors.js';
import { type Element, isElement } from '../domain/elements.js';
import {
  isMaterialForm,
  isProcess,
  type MaterialForm,
  materialForms,
  type Process,
} from '../domain/forms.js';
import type { Composition } from '../domain/lot.js';
import { compositionSumTolerance } from '../domain/lot.js';
import type { DeclaredLoss } from '../domain/mass-balance.js';
import {
  isCountryCode,
  isLocationKind,
  isPartyRole,
  type Location,
  type Party,
  type PartyRole,
} from '../domain/party.js';

/** Our namespace (see docs/extension.md). */
export const REE_NAMESPACE = 'https://raretrace.dev/ns/ree/v1#';

/** The JSON-LD context document for the namespace, served at /ns/ree/v1/context.jsonld. */
export const reeContextDocument = {
  '@context': {
    ree: REE_NAMESPACE,
    'ree:lots': { '@id': `${REE_NAMESPACE}lots`, '@container': '@list' },
    'ree:process': { '@id': `${REE_NAMESPACE}process` },
    'ree:declaredLoss': { '@id': `${REE_NAMESPACE}declaredLoss` },
    'ree:tolerancePpm': {
      '@id': `${REE_NAMESPACE}tolerancePpm`,
      '@type': 'http://www.w3.org/2001/XMLSchema#integer',
    },
  },
} as const;

/**
 * How this document spells our terms: the prefixes its @context binds to our namespace. Keys are looked up as
 * `<prefix>:<name>` for each such prefix and as the full IRI.
 */
export class ExtensionKeys {
  private readonly spellings = new Map<string, readonly string[]>();
  readonly prefixes: readonly string[];

  constructor(context: unknown) {
    const prefixes = new Set<string>();
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const item of node) visit(item);
        return;
      }
      if (node === null || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
        const iri =
          typeof value === 'string'
            ? value
            : value !== null && typeof value === 'object'
              ? (value as Record<string, unknown>)['@id']
              : undefined;
        if (iri === REE_NAMESPACE) prefixes.add(key);
      }
    };
    visit(context);
    this.prefixes = [...prefixes];
  }

  private keysFor(name: string): readonly string[] {
    let keys = this.spellings.get(name);
    if (keys === undefined) {
      keys = [...this.prefixes.map((p) => `${p}:${name}`), REE_NAMESPACE + name];
      this.spellings.set(name, keys);
    }
    return keys;
  }

  /** The value of our field `name` in `object`, and the key it was found under. */
  get(object: unknown, name: string): { key: string; value: unknown } | undefined {
    if (object === null || typeof object !== 'object') return undefined;
    const record = object as Record<string, unknown>;
    for (const key of this.keysFor(name)) {
      if (Object.hasOwn(record, key)) return { key, value: record[key] };
    }
    return undefined;
  }

  /** Whether an object carries any field of our namespace at its top level or in its ilmd. */
  touches(event: Record<string, unknown>): boolean {
    if (this.hasOurKey(event)) return true;
    const ilmd = event.ilmd;
    return ilmd !== null && typeof ilmd === 'object' && this.hasOurKey(ilmd as Record<string, unknown>);
  }

  // Runs on every captured event: for-in and a prefix comparison in place, no key array or substring per key.
  private hasOurKey(record: Record<string, unknown>): boolean {
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      if (key.startsWith(REE_NAMESPACE)) return true;
      const colon = key.indexOf(':');
      if (colon <= 0) continue;
      for (const prefix of this.prefixes) {
        if (prefix.length === colon && key.startsWith(prefix)) return true;
      }
    }
    return false;
  }
}

/** What `ilmd` → `ree:lots` says about one new lot. */
export interface LotDeclaration {
  readonly epcClass: string;
  readonly form: MaterialForm;
  readonly hsCode: string;
  readonly composition: Composition;
  /** US cents, when declared. */
  readonly valueCents: number | undefined;
  /** Declared origin for material entering the ledger from outside (not from a mine). */
  readonly origin: DeclaredOrigin | undefined;
}

export type DeclaredOrigin =
  | { readonly kind: 'uniform'; readonly mining: string; readonly separation: string }
  | {
      readonly kind: 'per-element';
      readonly byElement: Readonly<Record<string, { mining: string; separation: string }>>;
    };

export interface TransformationExtension {
  readonly process: Process;
  readonly declaredLoss: DeclaredLoss;
  readonly tolerancePpm: number | undefined;
}

type At = { eventIndex: number; pointer: string };

function fail(message: string, at: At, field: string, rule: string): never {
  throw problemAt('extension-invalid', message, {
    eventIndex: at.eventIndex,
    field: at.pointer + field,
    rule,
  });
}

/** Parses a decimal money amount into integer cents, exactly. */
export function parseCents(amount: unknown, at: At, field: string): number {
  const text = typeof amount === 'number' ? String(amount) : typeof amount === 'string' ? amount.trim() : '';
  const match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text);
  if (match === null)
    fail(
      `value amount ${JSON.stringify(amount)} is not a decimal with at most 2 places`,
      at,
      field,
      'ree:value',
    );
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

function parseComposition(raw: unknown, at: At, field: string): Composition {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail('composition must be an object of element symbol to mass fraction', at, field, 'ree:composition');
  }
  const out: Composition = {};
  let sum = 0;
  for (const [element, share] of Object.entries(raw as Record<string, unknown>)) {
    if (!isElement(element))
      fail(`unknown element ${JSON.stringify(element)}`, at, `${field}/${element}`, 'ree:composition');
    const value = typeof share === 'string' ? Number(share) : share;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      fail(
        `mass fraction of ${element} must be a number between 0 and 1`,
        at,
        `${field}/${element}`,
        'ree:composition',
      );
    }
    if (value > 0) out[element] = value;
    sum += value;
  }
  if (sum > 1 + compositionSumTolerance) {
    fail(`composition fractions sum to ${sum}, more than 1`, at, field, 'ree:composition');
  }
  return out;
}

function parseDeclaredOrigin(raw: unknown, at: At, field: string): DeclaredOrigin | undefined {
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== 'object') fail('origin must be an object', at, field, 'ree:origin');
  const record = raw as Record<string, unknown>;
  const pair = (value: unknown, where: string): { mining: string; separation: string } => {
    const r = (value ?? {}) as Record<string, unknown>;
    const mining = r.mining;
    const separation = r.separation ?? 'XX';
    if (typeof mining !== 'string' || !isCountryCode(mining)) {
      fail('origin.mining must be an ISO 3166-1 alpha-2 code', at, `${where}/mining`, 'ree:origin');
    }
    if (typeof separation !== 'string' || !(isCountryCode(separation) || separation === 'none')) {
      fail(
        'origin.separation must be an ISO 3166-1 alpha-2 code or "none"',
        at,
        `${where}/separation`,
        'ree:origin',
      );
    }
    return { mining, separation };
  };
  if ('mining' in record) return { kind: 'uniform', ...pair(record, field) };
  const byElement: Record<string, { mining: string; separation: string }> = {};
  for (const [element, value] of Object.entries(record)) {
    if (!isElement(element))
      fail(`unknown element ${JSON.stringify(element)}`, at, `${field}/${element}`, 'ree:origin');
    byElement[element] = pair(value, `${field}/${element}`);
  }
  return { kind: 'per-element', byElement };
}

/** Reads `ilmd` → `ree:lots`, keyed by EPC class. */
export function parseLotDeclarations(
  keys: ExtensionKeys,
  event: Record<string, unknown>,
  at: At,
): Map<string, LotDeclaration> {
  const out = new Map<string, LotDeclaration>();
  const found = keys.get(event.ilmd, 'lots');
  if (found === undefined) return out;
  const base = `/ilmd/${escapePointer(found.key)}`;
  if (!Array.isArray(found.value)) fail('ree:lots must be a list', at, base, 'ree:lots');
  found.value.forEach((entry: unknown, i: number) => {
    const field = `${base}/${i}`;
    if (entry === null || typeof entry !== 'object')
      fail('each ree:lots entry must be an object', at, field, 'ree:lots');
    const record = entry as Record<string, unknown>;
    const epcClass = record.epcClass;
    if (typeof epcClass !== 'string' || epcClass.length === 0)
      fail('epcClass is required', at, `${field}/epcClass`, 'ree:lots');
    const form = record.form;
    if (typeof form !== 'string' || !isMaterialForm(form)) {
      fail(`form must be one of ${Object.keys(materialForms).join(', ')}`, at, `${field}/form`, 'ree:lots');
    }
    const hsCode = record.hsCode ?? materialForms[form].hsCode;
    if (typeof hsCode !== 'string' || !/^\d{6,10}$/.test(hsCode)) {
      fail('hsCode must be 6 to 10 digits', at, `${field}/hsCode`, 'ree:lots');
    }
    let valueCents: number | undefined;
    if (record.value !== undefined) {
      const value = record.value as Record<string, unknown> | null;
      if (value === null || typeof value !== 'object')
        fail('value must be {amount, currency}', at, `${field}/value`, 'ree:value');
      if (value.currency !== 'USD')
        fail('value currency must be USD', at, `${field}/value/currency`, 'ree:value');
      valueCents = parseCents(value.amount, at, `${field}/value/amount`);
    }
    if (out.has(epcClass)) fail(`lot ${epcClass} is declared twice`, at, `${field}/epcClass`, 'ree:lots');
    out.set(epcClass, {
      epcClass,
      form,
      hsCode,
      composition: parseComposition(record.composition, at, `${field}/composition`),
      valueCents,
      origin: parseDeclaredOrigin(record.origin, at, `${field}/origin`),
    });
  });
  return out;
}

export function parseTransformationExtension(
  keys: ExtensionKeys,
  event: Record<string, unknown>,
  at: At,
  toMg: (quantity: unknown, uom: unknown, field: string) => number,
): TransformationExtension {
  const process = keys.get(event, 'process');
  let processValue: Process = 'other';
  if (process !== undefined) {
    if (typeof process.value !== 'string' || !isProcess(process.value)) {
      fail('ree:process is not a known process', at, `/${escapePointer(process.key)}`, 'ree:process');
    }
    processValue = process.value;
  }
  const loss = keys.get(event, 'declaredLoss');
  let totalMg = 0;
  const elementsMg: Partial<Record<Element, number>> = {};
  if (loss !== undefined) {
    const base = `/${escapePointer(loss.key)}`;
    const value = loss.value as Record<string, unknown> | null;
    if (value === null || typeof value !== 'object') {
      fail(
        'ree:declaredLoss must be {quantity, uom} and/or {elements: {El: {quantity, uom}}}',
        at,
        base,
        'ree:declaredLoss',
      );
    }
    if (value.quantity !== undefined) totalMg = toMg(value.quantity, value.uom, base);
    if (value.elements !== undefined) {
      const perElement = value.elements as Record<string, unknown> | null;
      if (perElement === null || typeof perElement !== 'object') {
        fail(
          'ree:declaredLoss.elements must map element symbols to {quantity, uom}',
          at,
          `${base}/elements`,
          'ree:declaredLoss',
        );
      }
      for (const [element, entry] of Object.entries(perElement)) {
        if (!isElement(element))
          fail(
            `unknown element ${JSON.stringify(element)}`,
            at,
            `${base}/elements/${element}`,
            'ree:declaredLoss',
          );
        const e = (entry ?? {}) as Record<string, unknown>;
        elementsMg[element] = toMg(e.quantity, e.uom, `${base}/elements/${element}`);
      }
    }
  }
  const tolerance = keys.get(event, 'tolerancePpm');
  let tolerancePpm: number | undefined;
  if (tolerance !== undefined) {
    const value = tolerance.value;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100_000) {
      fail(
        'ree:tolerancePpm must be an integer from 0 to 100000',
        at,
        `/${escapePointer(tolerance.key)}`,
        'ree:tolerancePpm',
      );
    }
    tolerancePpm = value;
  }
  return { process: processValue, declaredLoss: { totalMg, elementsMg }, tolerancePpm };
}

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Master data from `epcisHeader.epcisMasterData.vocabularyList`: parties and locations. */
export function parseMasterData(
  keys: ExtensionKeys,
  document: Record<string, unknown>,
): { parties: Party[]; locations: Location[] } {
  const parties: Party[] = [];
  const locations: Location[] = [];
  const header = document.epcisHeader as Record<string, unknown> | undefined;
  const master = header?.epcisMasterData as Record<string, unknown> | undefined;
  const list = master?.vocabularyList;
  if (!Array.isArray(list)) return { parties, locations };
  list.forEach((vocabulary: unknown, v: number) => {
    const record = (vocabulary ?? {}) as Record<string, unknown>;
    const type = record.type;
    const elements = record.vocabularyElementList;
    if (!Array.isArray(elements)) return;
    const isLocation = type === 'urn:epcglobal:epcis:vtype:BusinessLocation';
    const isParty = type === 'urn:epcglobal:epcis:vtype:Party';
    if (!isLocation && !isParty) return;
    elements.forEach((element: unknown, e: number) => {
      const el = (element ?? {}) as Record<string, unknown>;
      const pointer = `/epcisHeader/epcisMasterData/vocabularyList/${v}/vocabularyElementList/${e}`;
      const id = el.id;
      const attributes = new Map<string, unknown>();
      if (Array.isArray(el.attributes)) {
        for (const attribute of el.attributes as Record<string, unknown>[]) {
          const attributeId = attribute?.id;
          if (typeof attributeId !== 'string') continue;
          for (const name of ['name', 'kind', 'country', 'party', 'lat', 'lon', 'roles']) {
            if (keys.get({ [attributeId]: true }, name) !== undefined)
              attributes.set(name, attribute.attribute);
          }
        }
      }
      if (attributes.size === 0) return; // not ours: plain master data, kept in the document only
      const bad = (field: string, message: string): never => {
        throw problemAt('extension-invalid', message, {
          field: `${pointer}${field}`,
          rule: 'ree:masterData',
          record: String(id),
        });
      };
      if (typeof id !== 'string' || id.length === 0) bad('/id', 'master data element needs an id');
      const name = attributes.get('name');
      const country = attributes.get('country');
      if (typeof name !== 'string' || name.length === 0) bad('/attributes', 'ree:name is required');
      if (typeof country !== 'string' || !isCountryCode(country))
        bad('/attributes', 'ree:country must be an ISO 3166-1 alpha-2 code');
      if (isParty) {
        const rolesRaw = attributes.get('roles');
        const roles =
          typeof rolesRaw === 'string' ? rolesRaw.split(/[\s,]+/).filter((r) => r.length > 0) : [];
        const valid: PartyRole[] = [];
        for (const role of roles) {
          if (isPartyRole(role)) valid.push(role);
          else bad('/attributes', `unknown party role ${JSON.stringify(role)}`);
        }
        parties.push({ id: id as string, name: name as string, country: country as string, roles: valid });
      } else {
        const kind = attributes.get('kind') ?? 'other';
        if (typeof kind !== 'string' || !isLocationKind(kind))
          bad('/attributes', 'ree:kind is not a location kind');
        const partyId = attributes.get('party');
        if (typeof partyId !== 'string' || partyId.length === 0)
          bad('/attributes', 'ree:party (the operator) is required');
        const lat = attributes.get('lat');
        const lon = attributes.get('lon');
        const location: Location = {
          id: id as string,
          name: name as string,
          kind: kind as Location['kind'],
          country: country as string,
          partyId: partyId as string,
          ...(typeof lat === 'number' && typeof lon === 'number' ? { lat, lon } : {}),
        };
        locations.push(location);
      }
    });
  });
  return { parties, locations };
}
