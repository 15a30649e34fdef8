import { createHash } from 'node:crypto';
import { isProblem, Problem } from '../core/errors.js';
import { type NoteSigner, openNote, parseSignerKey, parseVerifierKey, signNote } from '../tlog/note.js';
import type { IsoDate } from './dates.js';
import { type EndUse, endUses } from './export-rules.js';
import type { Licence } from './licence-types.js';
import { statusOn } from './licences.js';

/**
 * End-use certificates (Dual-Use Regulations Arts 24–26: end users certify the end use and may not change it
 * or re-transfer without approval). raretrace issues one for an approved export: it binds the lots and
 * quantities, the end user and end use, the licence and the ledger receipts, and is a C2SP signed note
 * signed with the log's Ed25519 key format (src/tlog/note.ts), so anyone can verify it offline with the
 * issuer's verifier key. The note text is a header line and the certificate as canonical JSON on one line.
 */

export const certificateHeader = 'raretrace.dev/end-use-certificate/v1';

export interface CertificateLot {
  readonly lotId: string;
  readonly massMg: number;
  readonly form?: string;
  readonly hsCode?: string;
}

/** A ledger receipt for an event the export rests on (as issued by the log: seq, event hash, checkpoint). */
export interface CertificateReceipt {
  readonly seq: number;
  readonly eventHash: string;
  /** Leaf index and the checkpoint's origin/size/root, when the receipt carries them. */
  readonly leafIndex?: number;
  readonly checkpoint?: string;
}

export interface EndUseCertificate {
  readonly id: string;
  readonly issuedOn: IsoDate;
  readonly issuer: string;
  readonly exporter: string;
  readonly endUser: { readonly partyId: string; readonly name?: string; readonly country: string };
  readonly destination: string;
  readonly endUse: EndUse;
  readonly licence: {
    readonly id: string;
    readonly type: string;
    readonly validFrom: IsoDate;
    readonly validUntil: IsoDate;
  };
  readonly lots: readonly CertificateLot[];
  readonly totalMassMg: number;
  readonly receipts: readonly CertificateReceipt[];
  /** The end user's undertakings (Arts 24–26). */
  readonly undertakings: readonly string[];
  readonly basis: string;
}

export const defaultUndertakings = [
  'The items will be used only for the stated end use by the stated end user.',
  'The items will not be re-exported or transferred to a third party without the approval of the licensing authority.',
  'The items will not be used for weapons of mass destruction, their delivery systems, terrorism or military purposes.',
] as const;

/** JSON with object keys sorted, no whitespace: the bytes signed do not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export interface CertificateRequest {
  readonly id: string;
  readonly issuedOn: IsoDate;
  readonly issuer: string;
  readonly exporter: string;
  readonly endUser: { readonly partyId: string; readonly name?: string; readonly country: string };
  readonly destination: string;
  readonly endUse: EndUse;
  readonly lots: readonly CertificateLot[];
  readonly receipts: readonly CertificateReceipt[];
}

/**
 * Builds a certificate for an export the licence covers. Refused unless the licence is approved (or was just
 * exhausted by this very export) and valid on the day, names the exporter, destination, end user and end use,
 * and the lots are non-empty with positive masses.
 */
export function buildCertificate(request: CertificateRequest, licence: Licence): EndUseCertificate {
  const problems: string[] = [];
  const status = statusOn(licence, request.issuedOn);
  if (status !== 'approved' && status !== 'exhausted')
    problems.push(`licence ${licence.id} is ${status} on ${request.issuedOn}`);
  if (licence.holderId !== request.exporter) problems.push(`licence is held by ${licence.holderId}`);
  if (!licence.limits.destinations.includes(request.destination))
    problems.push(`destination ${request.destination} not licensed`);
  if (!licence.limits.endUserIds.includes(request.endUser.partyId))
    problems.push(`end user ${request.endUser.partyId} not licensed`);
  if (licence.limits.endUses.length > 0 && !licence.limits.endUses.includes(request.endUse))
    problems.push(`end use ${request.endUse} not licensed`);
  if (!(endUses as readonly string[]).includes(request.endUse))
    problems.push(`unknown end use ${request.endUse}`);
  if (request.lots.length === 0) problems.push('no lots');
  let total = 0;
  for (const lot of request.lots) {
    if (!Number.isSafeInteger(lot.massMg) || lot.massMg <= 0)
      problems.push(`lot ${lot.lotId}: mass must be a positive whole number of mg`);
    total += lot.massMg;
  }
  if (problems.length > 0) {
    throw new Problem(
      'rule-violation',
      `cannot certify: ${problems.join('; ')}`,
      problems.map((message) => ({ record: request.id, message })),
    );
  }
  return {
    id: request.id,
    issuedOn: request.issuedOn,
    issuer: request.issuer,
    exporter: request.exporter,
    endUser: request.endUser,
    destination: request.destination,
    endUse: request.endUse,
    licence: {
      id: licence.id,
      type: licence.type,
      validFrom: licence.validFrom ?? '',
      validUntil: licence.validUntil ?? '',
    },
    lots: request.lots,
    totalMassMg: total,
    receipts: request.receipts,
    undertakings: [...defaultUndertakings],
    basis: 'Regulations on Export Control of Dual-Use Items Arts 15, 24–26 (reg.md §3.1)',
  };
}

export function certificateText(certificate: EndUseCertificate): string {
  return `${certificateHeader}\n${canonicalJson(certificate)}\n`;
}

/** SHA-256 of the signed text: a stable reference to the certificate. */
export function certificateDigest(certificate: EndUseCertificate): string {
  return createHash('sha256').update(certificateText(certificate)).digest('hex');
}

/** Signs a certificate with one or more signers (the issuer's key; a regulator may co-sign). */
export function signCertificate(certificate: EndUseCertificate, signers: readonly NoteSigner[]): string {
  return signNote(certificateText(certificate), signers);
}

/** Convenience: sign with a private key in the log's text format (`PRIVATE+KEY+name+id+…`). */
export function signCertificateWithKey(certificate: EndUseCertificate, signerKey: string): string {
  return signCertificate(certificate, [parseSignerKey(signerKey)]);
}

export interface CertificateVerification {
  readonly certificate: EndUseCertificate;
  readonly digest: string;
  readonly signedBy: readonly string[];
}

/**
 * Verifies a signed certificate offline with verifier keys (`name+id+base64`): the signature by a known key,
 * then the structure. Any failure is a `certificate-invalid` problem naming why.
 */
export function verifyCertificate(note: string, verifierKeys: readonly string[]): CertificateVerification {
  let opened: ReturnType<typeof openNote>;
  try {
    opened = openNote(note, verifierKeys.map(parseVerifierKey));
  } catch (error) {
    if (isProblem(error))
      throw new Problem('certificate-invalid', `signature: ${error.message}`, [
        { rule: error.kind, message: error.message },
      ]);
    throw error;
  }
  const lines = opened.text.split('\n');
  if (lines[0] !== certificateHeader || lines.length !== 3 || lines[2] !== '') {
    throw new Problem('certificate-invalid', `not a ${certificateHeader} note`);
  }
  let certificate: EndUseCertificate;
  try {
    certificate = JSON.parse(lines[1] ?? '') as EndUseCertificate;
  } catch {
    throw new Problem('certificate-invalid', 'the certificate body is not JSON');
  }
  // The signed bytes must be the canonical form, so that two texts cannot claim the same certificate.
  if (canonicalJson(certificate) !== lines[1])
    throw new Problem('certificate-invalid', 'the certificate body is not canonical JSON');
  const missing = ['id', 'issuedOn', 'exporter', 'endUser', 'endUse', 'licence', 'lots', 'receipts'].filter(
    (k) => (certificate as unknown as Record<string, unknown>)[k] === undefined,
  );
  if (missing.length > 0) throw new Problem('certificate-invalid', `missing ${missing.join(', ')}`);
  let total = 0;
  for (const lot of certificate.lots) total += lot.massMg;
  if (total !== certificate.totalMassMg)
    throw new Problem('certificate-invalid', 'lot masses do not add up to the total');
  return {
    certificate,
    digest: certificateDigest(certificate),
    signedBy: opened.verified.map((s) => s.name),
  };
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function kg(mg: number): string {
  return (mg / 1_000_000).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

/** A person-readable rendering (self-contained HTML, no scripts). Every value is escaped. */
export function renderCertificateHtml(
  certificate: EndUseCertificate,
  verification?: { signedBy: readonly string[]; digest: string },
): string {
  const e = escapeHtml;
  const rows = certificate.lots
    .map(
      (l) =>
        `<tr><td>${e(l.lotId)}</td><td>${e(l.form ?? '')}</td><td>${e(l.hsCode ?? '')}</td><td class="n">${e(kg(l.massMg))}</td></tr>`,
    )
    .join('\n');
  const receipts = certificate.receipts
    .map(
      (r) =>
        `<li>seq ${e(String(r.seq))}: <code>${e(r.eventHash)}</code>${r.checkpoint === undefined ? '' : ` (checkpoint ${e(r.checkpoint)})`}</li>`,
    )
    .join('\n');
  const status =
    verification === undefined
      ? '<p class="warn">Signature not checked in this rendering. Verify with <code>raretrace verify-certificate FILE --key KEY</code>.</p>'
      : `<p class="ok">Signature verified: ${e(verification.signedBy.join(', '))}. SHA-256 <code>${e(verification.digest)}</code></p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>End-use certificate ${e(certificate.id)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;line-height:1.4}table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3rem .5rem;text-align:left}.n{text-align:right}.ok{color:#064}.warn{color:#840}dt{font-weight:600}</style>
</head><body>
<h1>End-use certificate</h1>
${status}
<dl>
<dt>Certificate</dt><dd>${e(certificate.id)}, issued ${e(certificate.issuedOn)} by ${e(certificate.issuer)}</dd>
<dt>Exporter</dt><dd>${e(certificate.exporter)}</dd>
<dt>End user</dt><dd>${e(certificate.endUser.name ?? certificate.endUser.partyId)} (${e(certificate.endUser.partyId)}, ${e(certificate.endUser.country)})</dd>
<dt>Destination</dt><dd>${e(certificate.destination)}</dd>
<dt>End use</dt><dd>${e(certificate.endUse)}</dd>
<dt>Licence</dt><dd>${e(certificate.licence.type)} licence ${e(certificate.licence.id)}, valid ${e(certificate.licence.validFrom)} to ${e(certificate.licence.validUntil)}</dd>
</dl>
<h2>Lots</h2>
<table><thead><tr><th>Lot</th><th>Form</th><th>HS code</th><th class="n">kg</th></tr></thead><tbody>
${rows}
<tr><th colspan="3">Total</th><th class="n">${e(kg(certificate.totalMassMg))}</th></tr></tbody></table>
<h2>Ledger receipts</h2>
<ul>${receipts}</ul>
<h2>Undertakings</h2>
<ol>${certificate.undertakings.map((u) => `<li>${e(u)}</li>`).join('')}</ol>
<p><small>${e(certificate.basis)}</small></p>
</body></html>
`;
}
