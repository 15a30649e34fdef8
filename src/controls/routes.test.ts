import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { controlsRoutes } from '../server/routes/controls.js';
import { generateKey } from '../tlog/note.js';
import { buildMagnetChain, FakeLedger } from './fake-ledger.js';
import { InMemoryLicenceRepository } from './licences.js';

const north = 'urn:epc:id:pgln:0614141.00000';

async function app() {
  const ledger = new FakeLedger();
  buildMagnetChain(ledger, 'cn', { mine: 'CN', separation: 'CN', metal: 'CN', magnet: 'JP', motor: 'DE' });
  ledger.addParty({ id: 'party:exporter', name: 'Exporter', country: 'CN', roles: ['trader'] });
  ledger.addParty({ id: 'party:jp', name: 'JP Motors', country: 'JP', roles: ['manufacturer'] });
  ledger.addParty({ id: north, name: 'Demo North', country: 'CN', roles: ['miner'] });
  ledger.addFact({
    eventTime: Date.UTC(2025, 2, 3),
    kind: 'mining',
    partyId: north,
    locationId: 'urn:epc:id:sgln:0614141.00001.0',
    lotIds: ['ore-1'],
    massMg: 1e12,
    elementMassesMg: { Nd: 1e9 },
  });
  const keys = generateKey('raretrace.test/log');
  const licences = new InMemoryLicenceRepository();
  const server = Fastify();
  await server.register(controlsRoutes, {
    ledger,
    licences,
    signerKey: keys.signerKey,
    issuer: 'raretrace.test/log',
  });
  return { server, licences, keys };
}

const screening = {
  asOf: '2025-06-01',
  exporter: { partyId: 'party:exporter', country: 'CN' },
  destination: 'JP',
  endUser: { partyId: 'party:jp' },
  endUse: 'automotive',
  items: [{ form: 'separated-oxide', composition: { Dy: 0.87 }, quantity: 100, uom: 'KGM' }],
};

describe('controls routes', () => {
  it('POST /screenings decides and cites sources', async () => {
    const { server } = await app();
    const res = await server.inject({ method: 'POST', url: '/screenings', payload: screening });
    expect(res.statusCode).toBe(200);
    expect(res.json().outcome).toBe('licence-required');
    expect(res.json().reasons[0].rule.source).toMatch(/No\. 18/);
  });

  it.each([
    [
      'unknown element',
      { ...screening, items: [{ form: 'metal', elements: ['Zz'], quantity: 1, uom: 'KGM' }] },
      400,
      'bad-request',
    ],
    ['missing end use', { ...screening, endUse: undefined }, 400, 'bad-request'],
    [
      'negative quantity',
      { ...screening, items: [{ form: 'metal', elements: ['Dy'], quantity: -3, uom: 'KGM' }] },
      400,
      'bad-request',
    ],
    ['date out of range', { ...screening, asOf: '2200-01-01' }, 400, 'bad-request'],
    ['unknown party', { ...screening, endUser: { partyId: 'party:ghost' } }, 422, 'unknown-party'],
  ])('POST /screenings: %s → problem details', async (_name, payload, status, kind) => {
    const { server } = await app();
    const res = await server.inject({ method: 'POST', url: '/screenings', payload });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().type).toBe(`https://raretrace.dev/problems/${kind}`);
  });

  it('licence lifecycle, screening with the licence, certificate issue and verify', async () => {
    const { server, licences, keys } = await app();
    const applied = await server.inject({
      method: 'POST',
      url: '/licences',
      payload: {
        type: 'general',
        holderId: 'party:exporter',
        appliedOn: '2025-05-01',
        requestedFrom: '2025-05-15',
        requestedUntil: '2026-05-14',
        limits: {
          elements: ['Dy'],
          destinations: ['JP'],
          endUserIds: ['party:jp'],
          endUses: ['automotive'],
          quantity: 500,
          uom: 'KGM',
        },
      },
    });
    expect(applied.statusCode).toBe(201);
    const id = applied.json().id as string;
    expect(applied.json().decisionDueBy).toBe('2025-07-03');
    // An approval before review is refused and changes nothing.
    const early = await server.inject({
      method: 'POST',
      url: `/licences/${id}/approve`,
      payload: { at: '2025-05-02', by: 'mofcom' },
    });
    expect(early.statusCode).toBe(409);
    expect((await licences.get(id))?.status).toBe('applied');
    await server.inject({
      method: 'POST',
      url: `/licences/${id}/review`,
      payload: { at: '2025-05-02', by: 'mofcom' },
    });
    const ok = await server.inject({
      method: 'POST',
      url: `/licences/${id}/approve`,
      payload: { at: '2025-05-10', by: 'mofcom' },
    });
    expect(ok.json().status).toBe('approved');
    const screened = await server.inject({
      method: 'POST',
      url: '/screenings',
      payload: { ...screening, licenceIds: [id] },
    });
    expect(screened.json().outcome).toBe('licensed');
    const tooMuch = await server.inject({
      method: 'POST',
      url: `/licences/${id}/draw-downs`,
      payload: { at: '2025-06-02', by: 'x', massMg: 600e6, destination: 'JP', endUserId: 'party:jp' },
    });
    expect(tooMuch.statusCode).toBe(422);
    expect((await licences.get(id))?.usedMg).toBe(0);
    const drawn = await server.inject({
      method: 'POST',
      url: `/licences/${id}/draw-downs`,
      payload: {
        at: '2025-06-02',
        by: 'x',
        massMg: 100e6,
        destination: 'JP',
        endUserId: 'party:jp',
        elements: ['Dy'],
      },
    });
    expect(drawn.json().usedMg).toBe(100e6);
    const cert = await server.inject({
      method: 'POST',
      url: '/certificates',
      payload: {
        id: 'EUC-1',
        licenceId: id,
        issuedOn: '2025-06-02',
        endUserId: 'party:jp',
        destination: 'JP',
        endUse: 'automotive',
        lots: [{ lotId: 'cn:dy-oxide', massMg: 100e6 }],
        receipts: [{ seq: 5, eventHash: 'ni:///sha-256;x' }],
      },
    });
    expect(cert.statusCode).toBe(201);
    const verified = await server.inject({
      method: 'POST',
      url: '/certificates/verify',
      payload: { note: cert.json().note, keys: [keys.verifierKey] },
    });
    expect(verified.json().certificate.lots[0].form).toBe('separated-oxide');
  });

  it('monthly report as JSON and CSV; national quotas', async () => {
    const { server } = await app();
    const json = await server.inject({ url: `/quotas/${encodeURIComponent(north)}/reports/2025-03` });
    expect(json.json().dueBy).toBe('2025-04-10');
    const csv = await server.inject({
      url: `/quotas/${encodeURIComponent(north)}/reports/2025-03?format=csv`,
    });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body.split('\n')[1]).toContain('mining');
    const national = await server.inject({ url: '/quotas/national' });
    expect(national.json().years).toHaveLength(7);
    const bad = await server.inject({ url: `/quotas/${encodeURIComponent(north)}/reports/2025-13` });
    expect(bad.statusCode).toBe(400);
  });

  it('penalties and DFARS over HTTP', async () => {
    const { server } = await app();
    const p = await server.inject({
      method: 'POST',
      url: '/penalties',
      payload: { violation: 'traceability-failure', asOf: '2025-01-01', refusedToCorrect: true },
    });
    expect(p.json().enterpriseTotal).toEqual({ minCny: 250_000, maxCny: 1_200_000 });
    const d = await server.inject({
      method: 'POST',
      url: '/compliance/dfars',
      payload: { lotId: 'cn:motor', asOf: '2027-01-01' },
    });
    expect(d.json().status).toBe('non-compliant');
    const unknown = await server.inject({
      method: 'POST',
      url: '/compliance/dfars',
      payload: { lotId: 'nope', asOf: '2027-01-01' },
    });
    expect(unknown.statusCode).toBe(422);
  });
});
