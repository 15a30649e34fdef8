/**
 * Identifier canonicalisation for the event hash (CBV 2.0 §8.9 rules 17-18): EPC URIs, EPC Class URIs and EPC
 * Pattern URIs (GS1 EPC TDS 2.0 §6-§8) become canonical GS1 Digital Link URIs (GS1 Digital Link URI Syntax
 * 1.2 §4.11) on `https://id.gs1.org`; Digital Link URIs on other domains are moved there, lose their query
 * string, and keep only the finest key level. Values that are none of these are left as they are.
 *
 * The same function lets queries such as MATCH_epc compare a URN with a Digital Link naming the same thing.
 */

const DL = 'https://id.gs1.org/';

// One character of an EPC URI component (EPC TDS 2.0 §5, "GS3A3" characters and their %-escapes).
const X = `(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]|[!')(*+,.0-9:;=A-Za-z_-])`;
// One character of a CPI component reference (EPC TDS 2.0 §6.3.12).
const CPX = '(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])';

/** GS1 General Specifications §7.9.1 mod-10 check digit over the digits given. */
export function gs1CheckDigit(digits: string): string {
  let sum = 0;
  const n = digits.length;
  for (let i = 0; i < n; i++) {
    const d = digits.charCodeAt(n - 1 - i) - 48;
    sum += i % 2 === 0 ? d * 3 : d;
  }
  return String((10 - (sum % 10)) % 10);
}

/**
 * Characters that GS1 Digital Link 1.2 Table 7-1 requires escaped and that EPC URIs leave bare.
 * (`%`-escapes already present in the EPC URI are kept as they are.)
 */
function dlEscape(s: string): string {
  return s.replace(/[!()*+,:]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A GTIN-14 from an EPC company prefix and item reference (indicator digit first, EPC TDS 2.0 §7.1). */
function gtin(cp: string, itemRef: string): string {
  const raw = itemRef.slice(0, 1) + cp + itemRef.slice(1);
  return raw + gs1CheckDigit(raw);
}

type UrnRule = readonly [RegExp, (m: RegExpExecArray) => string | undefined];

const re = (scheme: string, body: string): RegExp => new RegExp(`^urn:epc:${scheme}:${body}$`);
const sum = (a: string | undefined, b: string | undefined, n: number): boolean =>
  (a?.length ?? 0) + (b?.length ?? 0) === n;

// EPC URI → Digital Link, one rule per scheme (EPC TDS 2.0 §6.3 and §7).
const URN_RULES: readonly UrnRule[] = [
  [
    re('id:sgtin', `(\\d{6,12})\\.(\\d{1,7})\\.(${X}{1,20})`),
    (m) => (sum(m[1], m[2], 13) ? `${DL}01/${gtin(m[1]!, m[2]!)}/21/${dlEscape(m[3]!)}` : undefined),
  ],
  [
    re('id:sscc', '(\\d{6,12})\\.(\\d{5,11})'),
    (m) => {
      if (!sum(m[1], m[2], 17)) return undefined;
      const raw = m[2]!.slice(0, 1) + m[1]! + m[2]!.slice(1);
      return `${DL}00/${raw}${gs1CheckDigit(raw)}`;
    },
  ],
  [
    re('id:sgln', `(\\d{6,12})\\.(\\d{0,6})\\.(${X}{1,20})`),
    (m) => {
      if (!sum(m[1], m[2], 12)) return undefined;
      const gln = m[1]! + m[2]!;
      // Extension `0` means "no extension" (EPC TDS 2.0 §6.3.3).
      const ext = m[3] === '0' ? '' : `/254/${dlEscape(m[3]!)}`;
      return `${DL}414/${gln}${gs1CheckDigit(gln)}${ext}`;
    },
  ],
  [
    re('id:grai', `(\\d{6,12})\\.(\\d{0,6})\\.(${X}{1,16})`),
    (m) => {
      if (!sum(m[1], m[2], 12)) return undefined;
      const raw = `0${m[1]!}${m[2]!}`;
      return `${DL}8003/${raw}${gs1CheckDigit(raw)}${dlEscape(m[3]!)}`;
    },
  ],
  [
    re('id:giai', `(\\d{6,12})\\.(${X}{1,24})`),
    (m) => (m[1]!.length + m[2]!.length <= 30 ? `${DL}8004/${m[1]!}${dlEscape(m[2]!)}` : undefined),
  ],
  [
    re('id:gsrn', '(\\d{6,12})\\.(\\d{5,11})'),
    (m) => (sum(m[1], m[2], 17) ? `${DL}8018/${m[1]!}${m[2]!}${gs1CheckDigit(m[1]! + m[2]!)}` : undefined),
  ],
  [
    re('id:gsrnp', '(\\d{6,12})\\.(\\d{5,11})'),
    (m) => (sum(m[1], m[2], 17) ? `${DL}8017/${m[1]!}${m[2]!}${gs1CheckDigit(m[1]! + m[2]!)}` : undefined),
  ],
  [
    re('id:gdti', `(\\d{6,12})\\.(\\d{0,6})\\.(${X}{0,17})`),
    (m) =>
      sum(m[1], m[2], 12)
        ? `${DL}253/${m[1]!}${m[2]!}${gs1CheckDigit(m[1]! + m[2]!)}${dlEscape(m[3]!)}`
        : undefined,
  ],
  [
    re('id:cpi', `(\\d{6,12})\\.(${CPX}{1,24})\\.(\\d{1,12})`),
    (m) => `${DL}8010/${dlEscape(m[1]! + m[2]!)}/8011/${m[3]!}`,
  ],
  [
    re('id:sgcn', '(\\d{6,12})\\.(\\d{0,6})\\.(\\d{1,12})'),
    (m) =>
      sum(m[1], m[2], 12) ? `${DL}255/${m[1]!}${m[2]!}${gs1CheckDigit(m[1]! + m[2]!)}${m[3]!}` : undefined,
  ],
  [
    re('id:ginc', `(\\d{6,12})\\.(${X}{1,24})`),
    (m) => (m[1]!.length + m[2]!.length <= 30 ? `${DL}401/${m[1]!}${dlEscape(m[2]!)}` : undefined),
  ],
  [
    re('id:gsin', '(\\d{6,12})\\.(\\d{4,10})'),
    (m) => (sum(m[1], m[2], 16) ? `${DL}402/${m[1]!}${m[2]!}${gs1CheckDigit(m[1]! + m[2]!)}` : undefined),
  ],
  [
    re('id:itip', `(\\d{6,12})\\.(\\d{1,7})\\.(\\d{2})\\.(\\d{2})\\.(${X}{1,20})`),
    (m) =>
      sum(m[1], m[2], 13)
        ? `${DL}8006/${gtin(m[1]!, m[2]!)}${m[3]!}${m[4]!}/21/${dlEscape(m[5]!)}`
        : undefined,
  ],
  [
    re('id:upui', `(\\d{6,12})\\.(\\d{1,7})\\.(${X}{1,28})`),
    (m) => (sum(m[1], m[2], 13) ? `${DL}01/${gtin(m[1]!, m[2]!)}/235/${dlEscape(m[3]!)}` : undefined),
  ],
  [
    re('id:pgln', '(\\d{6,12})\\.(\\d{0,6})'),
    (m) => (sum(m[1], m[2], 12) ? `${DL}417/${m[1]!}${m[2]!}${gs1CheckDigit(m[1]! + m[2]!)}` : undefined),
  ],
  // EPC Class URI (EPC TDS 2.0 §8).
  [
    re('class:lgtin', `(\\d{6,12})\\.(\\d{1,7})\\.(${X}{1,20})`),
    (m) => (sum(m[1], m[2], 13) ? `${DL}01/${gtin(m[1]!, m[2]!)}/10/${dlEscape(m[3]!)}` : undefined),
  ],
  // EPC Pattern URIs (EPC TDS 2.0 §8): the class level of the key.
  [
    re('idpat:sgtin', '(\\d{6,12})\\.(\\d{1,7})\\.\\*'),
    (m) => (sum(m[1], m[2], 13) ? `${DL}01/${gtin(m[1]!, m[2]!)}` : undefined),
  ],
  [
    re('idpat:grai', '(\\d{6,12})\\.(\\d{0,6})\\.\\*'),
    (m) => {
      if (!sum(m[1], m[2], 12)) return undefined;
      const raw = `0${m[1]!}${m[2]!}`;
      return `${DL}8003/${raw}${gs1CheckDigit(raw)}`;
    },
  ],
  [
    re('idpat:gdti', '(\\d{6,12})\\.(\\d{0,6})\\.\\*'),
    (m) => (sum(m[1], m[2], 12) ? `${DL}253/${m[1]!}${m[2]!}${gs1CheckDigit(m[1]! + m[2]!)}` : undefined),
  ],
  [
    re('idpat:sgcn', '(\\d{6,12})\\.(\\d{0,6})\\.\\*'),
    (m) => (sum(m[1], m[2], 12) ? `${DL}255/${m[1]!}${m[2]!}${gs1CheckDigit(m[1]! + m[2]!)}` : undefined),
  ],
  [re('idpat:cpi', `(\\d{6,12})\\.(${CPX}{1,24})\\.\\*`), (m) => `${DL}8010/${dlEscape(m[1]! + m[2]!)}`],
  [
    re('idpat:itip', '(\\d{6,12})\\.(\\d{1,7})\\.(\\d{2})\\.(\\d{2})\\.\\*'),
    (m) => (sum(m[1], m[2], 13) ? `${DL}8006/${gtin(m[1]!, m[2]!)}${m[3]!}${m[4]!}` : undefined),
  ],
  [
    re('idpat:upui', '(\\d{6,12})\\.(\\d{1,7})\\.\\*'),
    (m) => (sum(m[1], m[2], 13) ? `${DL}01/${gtin(m[1]!, m[2]!)}` : undefined),
  ],
];

const PRIMARY_KEYS =
  '01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai';
/** A Digital Link URI on any domain: a primary key segment followed by a value (DL 1.2 §4.1). */
const DL_ANY = new RegExp(`^https?://[^/?#]*[^?#]*/(?:${PRIMARY_KEYS})/\\d{4}[^/]+`);
const DL_CANONICAL_PREFIX =
  /^https:\/\/id\.gs1\.org\/(?:01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)\/\d{4}[^/]+/;

/** Short names of keys and qualifiers (DL 1.2 §6.5) and their AIs. */
const SHORT_NAMES: readonly (readonly [string, string])[] = [
  ['/gtin/', '/01/'],
  ['/itip/', '/8006/'],
  ['/cpid/', '/8010/'],
  ['/gln/', '/414/'],
  ['/party/', '/417/'],
  ['/gsrnp/', '/8017/'],
  ['/gsrn/', '/8018/'],
  ['/gcn/', '/255/'],
  ['/sscc/', '/00/'],
  ['/gdti/', '/253/'],
  ['/ginc/', '/401/'],
  ['/gsin/', '/402/'],
  ['/grai/', '/8003/'],
  ['/giai/', '/8004/'],
  ['/cpv/', '/22/'],
  ['/lot/', '/10/'],
  ['/ser/', '/21/'],
];

/** Which primary key to re-root a custom-domain URI on, in the order the reference normaliser looks. */
const REROOT_ORDER = [
  '00',
  '01',
  '253',
  '255',
  '401',
  '402',
  '414',
  '417',
  '8003',
  '8004',
  '8006',
  '8010',
  '8017',
  '8018',
];

// Characters a canonical DL value may carry unescaped (DL 1.2 Table 7-1 minus what must be %-encoded).
const C = `["'\\-.0-9;-?A-Z_a-z]`;
/** The canonical forms we emit; anything else is not recognised as a GS1 identifier (DL 1.2 §4.11). */
const CANONICAL_FORMS: readonly RegExp[] = [
  /^00\/\d{18}$/,
  new RegExp(`^01/\\d{14}(?:/21/${C}{0,20}|/10/${C}{0,20}|/235/${C}{0,28})?$`),
  new RegExp(`^253/\\d{13}${C}{0,17}$`),
  /^255\/\d{13}\d{0,12}$/,
  new RegExp(`^401/${C}{0,30}$`),
  /^402\/\d{17}$/,
  new RegExp(`^414/\\d{13}(?:/254/${C}{0,20})?$`),
  /^417\/\d{13}$/,
  new RegExp(`^8003/\\d{14}${C}{0,16}$`),
  new RegExp(`^8004/${C}{0,30}$`),
  new RegExp(`^8006/\\d{18}(?:/21/${C}{0,20}|/10/${C}{0,20})?$`),
  /^8010\/[#\-/0-9A-Z]{0,30}\/8011\/\d{0,12}$/,
  /^8010\/[#\-/0-9A-Z]{0,30}$/,
  /^8017\/\d{18}$/,
  /^8018\/\d{18}$/,
];

function normaliseDigitalLink(uri: string): string | undefined {
  if (!DL_ANY.test(uri)) return undefined;
  let u = uri;
  const q = u.indexOf('?');
  if (q >= 0) u = u.slice(0, q);
  for (const [short, ai] of SHORT_NAMES) if (u.includes(short)) u = u.split(short).join(ai);
  if (!DL_CANONICAL_PREFIX.test(u)) {
    for (const key of REROOT_ORDER) {
      const at = u.indexOf(`/${key}/`);
      if (at >= 0) {
        u = `https://id.gs1.org${u.slice(at)}`;
        break;
      }
    }
  }
  if (!u.startsWith(DL)) return undefined;
  let path = u.slice(DL.length);
  // GTINs are always written with 14 digits (DL 1.2 §4.11).
  const g = /^01\/(\d+)(?=\/|$)/.exec(path);
  if (g !== null) {
    const digits = g[1]!;
    if (digits.length === 8 || digits.length === 12 || digits.length === 13) {
      path = `01/${digits.padStart(14, '0')}${path.slice(3 + digits.length)}`;
    }
  }
  // Consumer product variant (AI 22) is a data attribute, not part of the identity.
  path = path.replace(/^((?:01\/\d{14}|8006\/\d{18}))\/22\/[^/]*/, '$1');
  // Only the finest level: a serial makes the lot redundant (CBV 2.0 §8.9 rule 18 III).
  path = path.replace(/^((?:01\/\d{14}|8006\/\d{18}))\/10\/[^/]*(\/21\/[^/]*)$/, '$1$2');
  for (const form of CANONICAL_FORMS) if (form.test(path)) return DL + path;
  return undefined;
}

function normaliseUrn(uri: string): string | undefined {
  for (const [pattern, build] of URN_RULES) {
    const m = pattern.exec(uri);
    if (m !== null) return build(m);
  }
  return undefined;
}

/** The canonical GS1 Digital Link form of a GS1 identifier, or undefined when the value is not one. */
export function toCanonicalDigitalLink(value: string): string | undefined {
  if (value.startsWith('urn:epc:')) return normaliseUrn(value);
  if (value.startsWith('http')) return normaliseDigitalLink(value);
  return undefined;
}

/**
 * The canonical GS1 Digital Link form used by the event hash, so that an EPC URN and a Digital Link naming the
 * same object compare equal. Values that are not GS1 identifiers come back trimmed but otherwise unchanged.
 */
export function canonicalEpc(id: string): string {
  const v = id.trim();
  return toCanonicalDigitalLink(v) ?? v;
}
