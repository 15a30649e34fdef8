import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  freshPostgres,
  postgresAvailable,
  repositoryKinds,
  repositoryPerTest,
} from '../../test/helpers/stores.js';
import { Problem } from '../core/errors.js';
import type { PostgresStore } from '../store/postgres/postgres-store.js';
import {
  applyCaptureDrawdowns,
  applyForLicence,
  approveLicence,
  decisionDueBy,
  denyLicence,
  drawDownLicence,
  InMemoryLicenceRepository,
  type Licence,
  type LicenceFilter,
  type LicenceRepository,
  parseLicenceApplication,
  reviewLicence,
  revokeLicence,
  SqliteLicenceRepository,
  statusOn,
  updateLicence,
} from './licences.js';
import type { LedgerFact } from './ports.js';
import { PostgresLicenceRepository } from './postgres-repositories.js';
import { loadControlRules } from './rules.js';

const rules = loadControlRules().licensing!;
const kg = 1_000_000;

const application = (over: Record<string, unknown> = {}, limits: Record<string, unknown> = {}) => ({
  type: 'general',
  holderId: 'party:exporter',
  appliedOn: '2025-05-01',
  requestedFrom: '2025-06-01',
  requestedUntil: '2028-05-31',
  limits: {
    elements: ['Dy'],
    destinations: ['JP'],
    endUserIds: ['party:jp'],
    endUses: ['automotive'],
    quantity: 1000,
    uom: 'KGM',
    ...limits,
  },
  ...over,
});

function approved(over: Record<string, unknown> = {}, limits: Record<string, unknown> = {}): Licence {
  const app = parseLicenceApplication(application(over, limits), rules);
  return approveLicence(
    reviewLicence(applyForLicence('L1', app, 'exporter'), '2025-05-02', 'mofcom'),
    rules,
    { at: '2025-05-20', by: 'mofcom' },
  );
}

describe('licence applications (Dual-Use Regulations Art. 15)', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>, string | undefined][] = [
    ['Art. 15: general licence of exactly 3 years is accepted', {}, {}, undefined],
    [
      'Art. 15: general licence over 3 years is refused',
      { requestedUntil: '2028-06-01' },
      {},
      '/requestedUntil',
    ],
    [
      'Art. 15: single licence of 1 year is accepted',
      { type: 'single', requestedUntil: '2026-05-31' },
      {},
      undefined,
    ],
    [
      'Art. 15: single licence over 1 year is refused',
      { type: 'single', requestedUntil: '2026-06-01' },
      {},
      '/requestedUntil',
    ],
    [
      'Art. 15: single licence names one end user',
      { type: 'single', requestedUntil: '2026-01-01' },
      { endUserIds: ['a', 'b'] },
      '/limits/endUserIds',
    ],
    ['negative quantity', {}, { quantity: -5 }, '/limits/quantity'],
    ['unknown element', {}, { elements: ['Qq'] }, '/limits/elements/0'],
    ['missing end use', {}, { endUses: [] }, '/limits/endUses'],
    ['date out of range', { appliedOn: '2100-01-01' }, {}, '/appliedOn'],
  ];
  it.each(cases)('%s', (_name, over, limits, field) => {
    if (field === undefined) {
      expect(parseLicenceApplication(application(over, limits), rules).limits.quantityMg).toBe(1000 * kg);
    } else {
      try {
        parseLicenceApplication(application(over, limits), rules);
        expect.unreachable();
      } catch (error) {
        expect((error as Problem).kind).toBe('bad-request');
        expect((error as Problem).issues.map((i) => i.field)).toContain(field);
      }
    }
  });

  it('Art. 17: the decision is due 45 working days after application', () => {
    const app = parseLicenceApplication(application(), rules);
    expect(decisionDueBy(applyForLicence('L1', app, 'x'), rules)).toBe('2025-07-03');
  });
});

describe('licence state machine', () => {
  it('applied → under-review → approved → drawn down → exhausted', () => {
    let l = approved();
    expect(l.status).toBe('approved');
    l = drawDownLicence(l, {
      at: '2025-07-01',
      massMg: 400 * kg,
      destination: 'JP',
      endUserId: 'party:jp',
      elements: ['Dy'],
      by: 'exporter',
      seq: 17,
    });
    expect([l.status, l.usedMg, l.exportsDrawn]).toEqual(['approved', 400 * kg, 1]);
    l = drawDownLicence(l, {
      at: '2025-08-01',
      massMg: 600 * kg,
      destination: 'JP',
      endUserId: 'party:jp',
      by: 'exporter',
    });
    expect(l.status).toBe('exhausted');
    expect(l.history.map((h) => h.action)).toEqual([
      'apply',
      'review',
      'approve',
      'draw-down',
      'draw-down',
      'exhaust',
    ]);
  });

  it('a single licence lapses after one export (Art. 15)', () => {
    const l = approved({ type: 'single', requestedUntil: '2026-05-31' });
    const after = drawDownLicence(l, {
      at: '2025-07-01',
      massMg: kg,
      destination: 'JP',
      endUserId: 'party:jp',
      by: 'x',
    });
    expect(after.status).toBe('exhausted');
  });

  const refusals: [string, Partial<Parameters<typeof drawDownLicence>[1]>, string][] = [
    ['over quantity', { massMg: 1001 * kg }, 'quantity'],
    ['other destination', { destination: 'US' }, 'destination'],
    ['other end user', { endUserId: 'party:other' }, 'end-user'],
    ['element not covered', { elements: ['Tb'] }, 'item'],
    ['before validity', { at: '2025-05-25' }, 'validity'],
    ['after validity (expired)', { at: '2028-06-01' }, 'validity'],
    ['zero quantity', { massMg: 0 }, 'quantity'],
  ];
  it.each(refusals)('draw-down refused: %s', (_name, over, rule) => {
    const l = approved();
    try {
      drawDownLicence(l, {
        at: '2025-07-01',
        massMg: kg,
        destination: 'JP',
        endUserId: 'party:jp',
        by: 'x',
        ...over,
      });
      expect.unreachable();
    } catch (error) {
      expect((error as Problem).kind).toBe('rule-violation');
      expect((error as Problem).issues.map((i) => i.rule)).toContain(rule);
    }
  });

  it('illegal transitions are refused with licence-state', () => {
    const app = parseLicenceApplication(application(), rules);
    const applied = applyForLicence('L1', app, 'x');
    expect(() => approveLicence(applied, rules, { at: '2025-05-02', by: 'm' })).toThrow(/cannot approve/);
    const denied = denyLicence(applied, '2025-05-03', 'm', 'military end use suspected');
    expect(() => reviewLicence(denied, '2025-05-04', 'm')).toThrow(Problem);
    expect(() =>
      drawDownLicence(denied, {
        at: '2025-07-01',
        massMg: 1,
        destination: 'JP',
        endUserId: 'party:jp',
        by: 'x',
      }),
    ).toThrow(/cannot draw-down/);
    const revoked = revokeLicence(approved(), '2025-09-01', 'm', 'end-use breach');
    expect(revoked.status).toBe('revoked');
    expect(() => reviewLicence(applied, '2025-04-01', 'm')).toThrow(/before the licence/);
  });

  it('an approval may narrow but not widen the quantity, and respects the maximum validity', () => {
    const under = reviewLicence(
      applyForLicence('L1', parseLicenceApplication(application(), rules), 'x'),
      '2025-05-02',
      'm',
    );
    expect(
      approveLicence(under, rules, { at: '2025-05-03', by: 'm', quantityMg: 10 * kg }).limits.quantityMg,
    ).toBe(10 * kg);
    expect(() => approveLicence(under, rules, { at: '2025-05-03', by: 'm', quantityMg: 2000 * kg })).toThrow(
      /at most/,
    );
    expect(() =>
      approveLicence(under, rules, {
        at: '2025-05-03',
        by: 'm',
        validFrom: '2025-06-01',
        validUntil: '2028-06-01',
      }),
    ).toThrow(/at most 3/);
  });

  it('status as of a date', () => {
    const l = approved();
    expect(statusOn(l, '2025-05-31')).toBe('not-yet-valid');
    expect(statusOn(l, '2028-05-31')).toBe('approved');
    expect(statusOn(l, '2028-06-01')).toBe('expired');
  });
});

const pgUp = await postgresAvailable();
const licenceRepositoryKinds = await repositoryKinds<LicenceRepository>({
  memory: () => new InMemoryLicenceRepository(),
  sqlite: (db) => new SqliteLicenceRepository(db),
  postgres: (pool) => PostgresLicenceRepository.open(pool),
});

describe.each(licenceRepositoryKinds)('licence repository contract: %s', (_name, open, available) => {
  const make = repositoryPerTest(open);

  it.skipIf(!available)('creates, reads, lists and updates with compare-and-swap', async () => {
    const repo = await make();
    const l = approved();
    await repo.save(l, 0);
    await expect(repo.save(l, 0)).rejects.toMatchObject({ kind: 'licence-conflict' });
    expect(await repo.get('L1')).toEqual(l);
    expect((await repo.list({ holderId: 'party:exporter' })).map((x) => x.id)).toEqual(['L1']);
    expect(await repo.list({ status: 'denied' })).toEqual([]);
    const next = await updateLicence(repo, 'L1', (x) =>
      drawDownLicence(x, { at: '2025-07-01', massMg: kg, destination: 'JP', endUserId: 'party:jp', by: 'x' }),
    );
    expect((await repo.get('L1'))?.usedMg).toBe(kg);
    await expect(repo.save({ ...next, version: next.version + 1 }, l.version)).rejects.toMatchObject({
      kind: 'licence-conflict',
    });
    await expect(updateLicence(repo, 'nope', (x) => x)).rejects.toMatchObject({ kind: 'not-found' });
  });

  it.skipIf(!available)('a refused draw-down writes nothing', async () => {
    const repo = await make();
    await repo.save(approved(), 0);
    await expect(
      updateLicence(repo, 'L1', (x) =>
        drawDownLicence(x, {
          at: '2025-07-01',
          massMg: 5000 * kg,
          destination: 'JP',
          endUserId: 'party:jp',
          by: 'x',
        }),
      ),
    ).rejects.toMatchObject({ kind: 'rule-violation' });
    expect((await repo.get('L1'))?.usedMg).toBe(0);
  });

  it.skipIf(!available)(
    'draws concurrent draw-downs each once: one export twice, several exports all',
    async () => {
      const repo = await make();
      await repo.save(approved(), 0);
      const exportFact = (seq: number): LedgerFact => ({
        seq,
        eventTime: Date.parse('2025-07-01T00:00:00Z'),
        kind: 'export',
        partyId: 'party:exporter',
        locationId: 'urn:test:port',
        lotIds: ['urn:test:lot'],
        massMg: kg,
        elementMassesMg: {},
        destinationCountry: 'JP',
        counterpartyId: 'party:jp',
        licenceId: 'L1',
      });
      // As a guard's afterAppend and another process's outbox replay would, or two servers' captures.
      const draw = (seq: number) =>
        applyCaptureDrawdowns(
          repo,
          [exportFact(seq)],
          [{ licenceId: 'L1', massMg: kg, fact: 0 }],
          '2025-07-01',
        );
      await Promise.all([draw(7), draw(7), draw(7)]);
      expect((await repo.get('L1'))?.usedMg).toBe(kg);
      await Promise.all([draw(8), draw(9), draw(10), draw(8)]);
      const licence = await repo.get('L1');
      expect(licence?.usedMg).toBe(4 * kg);
      expect(
        licence?.history
          .filter((e) => e.action === 'draw-down')
          .map((e) => e.seq)
          .sort(),
      ).toEqual([10, 7, 8, 9]);
    },
  );

  it.skipIf(!available)('lists by holder and status, ids in code-point order', async () => {
    const repo = await make();
    for (const id of ['L2', 'L-b', 'L10', 'L-a', 'L-A']) await repo.save({ ...approved(), id }, 0);
    await repo.save({ ...approved(), id: 'M1', holderId: 'party:other' }, 0);
    const ids = async (filter: LicenceFilter) => (await repo.list(filter)).map((l) => l.id);
    expect(await ids({})).toEqual(['L-A', 'L-a', 'L-b', 'L10', 'L2', 'M1']);
    expect(await ids({ holderId: 'party:other' })).toEqual(['M1']);
    expect(await ids({ holderId: 'party:exporter', status: 'approved' })).toHaveLength(5);
    expect(await ids({ status: 'revoked' })).toEqual([]);
  });
});

it('sqlite keeps every version (Art. 27 records)', async () => {
  const repo = new SqliteLicenceRepository(new Database(':memory:'));
  const l = approved();
  await repo.save(l, 0);
  await updateLicence(repo, 'L1', (x) => revokeLicence(x, '2025-09-01', 'm', 'breach'));
  expect(repo.versions('L1').map((v) => v.status)).toEqual(['approved', 'revoked']);
});

it.skipIf(!pgUp)('postgres keeps every version (Art. 27 records), and a second open finds them', async () => {
  const handle = await freshPostgres();
  try {
    const pool = (handle.store as PostgresStore).pool;
    const repo = await PostgresLicenceRepository.open(pool);
    await repo.save(approved(), 0);
    await updateLicence(repo, 'L1', (x) => revokeLicence(x, '2025-09-01', 'm', 'breach'));
    const again = await PostgresLicenceRepository.open(pool);
    expect((await again.versions('L1')).map((v) => v.status)).toEqual(['approved', 'revoked']);
    expect((await again.get('L1'))?.status).toBe('revoked');
  } finally {
    await handle.dispose();
  }
});
