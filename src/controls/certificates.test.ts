import { describe, expect, it } from 'vitest';
import { generateKey } from '../tlog/note.js';
import {
  buildCertificate,
  type CertificateRequest,
  renderCertificateHtml,
  signCertificateWithKey,
  verifyCertificate,
} from './certificates.js';
import type { Licence } from './licence-types.js';

const licence: Licence = {
  id: 'LIC-9',
  type: 'general',
  status: 'approved',
  holderId: 'party:exporter',
  appliedOn: '2025-05-01',
  validFrom: '2025-06-01',
  validUntil: '2026-05-31',
  limits: {
    controlCodes: ['1C905'],
    elements: ['Dy'],
    forms: [],
    destinations: ['JP'],
    endUserIds: ['party:jp'],
    endUses: ['automotive'],
    quantityMg: 1e9,
  },
  usedMg: 0,
  exportsDrawn: 0,
  version: 3,
  history: [],
};

const request: CertificateRequest = {
  id: 'EUC-2025-0001',
  issuedOn: '2025-07-01',
  issuer: 'raretrace.example/log',
  exporter: 'party:exporter',
  endUser: { partyId: 'party:jp', name: 'Motor <Works> & Co', country: 'JP' },
  destination: 'JP',
  endUse: 'automotive',
  lots: [
    {
      lotId: 'urn:epc:class:lgtin:4012345.012345.DY1',
      massMg: 250_000_000,
      form: 'separated-oxide',
      hsCode: '2846901993',
    },
    { lotId: 'urn:epc:class:lgtin:4012345.012345.DY2', massMg: 100_000_000 },
  ],
  receipts: [
    {
      seq: 42,
      eventHash: 'ni:///sha-256;abc?ver=CBV2.0',
      leafIndex: 41,
      checkpoint: 'raretrace.example/log 43 root',
    },
  ],
};

describe('end-use certificates', () => {
  const { signerKey, verifierKey } = generateKey('raretrace.example/log');
  const other = generateKey('raretrace.example/log');

  it('signs and verifies offline with the verifier key', () => {
    const cert = buildCertificate(request, licence);
    expect(cert.totalMassMg).toBe(350_000_000);
    const note = signCertificateWithKey(cert, signerKey);
    const verified = verifyCertificate(note, [verifierKey]);
    expect(verified.certificate).toEqual(cert);
    expect(verified.signedBy).toEqual(['raretrace.example/log']);
    expect(verified.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a tampered certificate, a wrong key and garbage', () => {
    const note = signCertificateWithKey(buildCertificate(request, licence), signerKey);
    expect(() => verifyCertificate(note.replace('250000000', '950000000'), [verifierKey])).toThrow(
      expect.objectContaining({ kind: 'certificate-invalid' }),
    );
    expect(() => verifyCertificate(note, [other.verifierKey])).toThrow(
      expect.objectContaining({ kind: 'certificate-invalid' }),
    );
    expect(() => verifyCertificate('hello', [verifierKey])).toThrow(
      expect.objectContaining({ kind: 'certificate-invalid' }),
    );
  });

  const refusals: [string, Partial<CertificateRequest>, Partial<Licence>][] = [
    ['licence not yet valid', { issuedOn: '2025-05-31' }, {}],
    ['licence expired', { issuedOn: '2026-06-01' }, {}],
    ['licence denied', {}, { status: 'denied' }],
    ['destination not licensed', { destination: 'US' }, {}],
    ['end user not licensed', { endUser: { partyId: 'party:other', country: 'JP' } }, {}],
    ['end use not licensed', { endUse: 'military' }, {}],
    ['negative quantity', { lots: [{ lotId: 'x', massMg: -1 }] }, {}],
    ['no lots', { lots: [] }, {}],
  ];
  it.each(refusals)('refuses to certify: %s', (_name, over, lic) => {
    expect(() => buildCertificate({ ...request, ...over }, { ...licence, ...lic })).toThrow(
      expect.objectContaining({ kind: 'rule-violation' }),
    );
  });

  it('renders escaped HTML for a person', () => {
    const cert = buildCertificate(request, licence);
    const html = renderCertificateHtml(cert, { signedBy: ['raretrace.example/log'], digest: 'd' });
    expect(html).toContain('Motor &lt;Works&gt; &amp; Co');
    expect(html).not.toContain('<Works>');
    expect(html).toContain('Signature verified');
    expect(html).toContain('350');
  });
});
