import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  commission,
  document,
  lot,
  party,
  place,
  resetClock,
  ship,
  transform,
} from '../../test/helpers/scenario.js';
import {
  freshPostgres,
  freshPostgresUrl,
  freshSqlite,
  postgresAvailable,
} from '../../test/helpers/stores.js';
import { openRuntime, operatorActor, type Runtime } from '../runtime.js';
import { createToken } from '../server/auth.js';
import { buildServerApp } from '../server/full-app.js';
import type { PostgresStore } from '../store/postgres/postgres-store.js';
import { applyForLicence, parseLicenceApplication } from './licences.js';
import { PostgresViolationRepository } from './postgres-repositories.js';
import { loadControlRules } from './rules.js';
import {
  InMemoryViolationRepository,
  type NewViolation,
  SqliteViolationRepository,
  type ViolationRepository,
} from './violations.js';

/**
 * The server as `raretrace serve` runs it: the runtime's ledger enforces data/controls, whose shipped
 * configuration records an unlicensed Dy export from China as a violation; GET /violations lists it.
 */
describe('GET /violations (full server)', () => {
  let runtime: Runtime;
  let app: Awaited<ReturnType<typeof buildServerApp>>;
  let dispose: () => Promise<void>;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    const handle = await freshSqlite();
    await handle.store.close();
    dispose = handle.dispose;
    runtime = await openRuntime(handle.path, { keysDir: path.join(handle.dir, 'keys') });
    app = await buildServerApp(runtime, { checkpointIntervalMs: 60_000 });
    await app.ready();
    resetClock();
    const docs = [
      document([commission(lot('DYCONC'), 1_000, { Dy: 0.05, Y: 0.1, Fe: 0.2 })], { masterData: true }),
      document([
        transform(
          [{ id: lot('DYCONC'), kg: 1_000 }],
          [{ id: lot('DYOX'), kg: 50, form: 'separated-oxide', composition: { Dy: 0.87 } }],
          { lossKg: 950 },
        ),
      ]),
      document([
        {
          ...ship(lot('DYOX'), party.separator, party.magnetMaker, 50),
          eventTime: '2025-06-02T00:00:00Z',
          bizLocation: { id: place.separation },
        },
      ]),
    ];
    for (const doc of docs) {
      const result = await runtime.ledger.capture(JSON.stringify(doc), operatorActor);
      expect(result.recorded).toBe(1);
    }
    const token = async (role: 'regulator' | 'party', partyId: string) =>
      (await createToken(runtime.store, { role, partyId, label: 't', nowMs: 0 })).token;
    tokens.regulator = await token('regulator', '');
    tokens.separator = await token('party', party.separator);
    tokens.magnets = await token('party', party.magnetMaker);
  });
  afterAll(async () => {
    await app.close();
    await runtime.close();
    await dispose().catch(() => undefined);
  });

  const get = (url: string, who?: string) =>
    app.inject({
      method: 'GET',
      url,
      headers: who === undefined ? {} : { authorization: `Bearer ${tokens[who]}` },
    });

  it('lists the recorded violation to the regulator, with filters', async () => {
    const res = await get('/violations', 'regulator');
    expect(res.statusCode).toBe(200);
    expect(res.json().violations).toMatchObject([
      {
        seq: 2,
        partyId: party.separator,
        code: 'unlicensed-export',
        record: lot('DYOX'),
        eventTime: '2025-06-02T00:00:00.000Z',
        clause: expect.stringMatching(/Export Control Law Art\. 34/),
      },
    ]);
    expect((await get('/violations?code=over-quota', 'regulator')).json().violations).toEqual([]);
    expect((await get('/violations?from=2025-06-03', 'regulator')).json().violations).toEqual([]);
    expect(
      (await get('/violations?from=2025-06-01&to=2025-06-03', 'regulator')).json().violations,
    ).toHaveLength(1);
  });

  it('shows a party only its own violations', async () => {
    expect((await get('/violations', 'separator')).json().violations).toHaveLength(1);
    expect((await get('/violations', 'magnets')).json().violations).toEqual([]);
    const other = await get(`/violations?party=${encodeURIComponent(party.separator)}`, 'magnets');
    expect(other.statusCode).toBe(403);
    expect(other.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('answers bad queries and missing tokens with problem details', async () => {
    const bad = await get('/violations?from=yesterday', 'regulator');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ type: 'https://raretrace.dev/problems/bad-query' });
    expect(bad.json().errors[0]).toMatchObject({ field: 'from' });
    expect((await get('/violations')).statusCode).toBe(401);
  });
});

const pgUp = await postgresAvailable();

/** A violation of the contract's fixtures: seq n, for a party, with a code, at an event time (ms). */
function violation(n: number, partyId: string, code: string, eventTimeMs: number): NewViolation {
  return {
    seq: n,
    eventHash: `ni:///sha-256;${n.toString(16).padStart(64, '0')}?ver=CBV2.0`,
    partyId,
    code,
    clause: `clause ${n}`,
    source: 'source',
    message: `violation ${n}`,
    record: `lot-${n}`,
    eventTimeMs,
    recordedMs: 1_760_000_000_000 + n,
  };
}

describe.each([
  ['in-memory', async () => ({ repo: new InMemoryViolationRepository(), dispose: async () => {} }), true],
  [
    'sqlite',
    async () => ({ repo: new SqliteViolationRepository(new Database(':memory:')), dispose: async () => {} }),
    true,
  ],
  [
    'postgres',
    async () => {
      const handle = await freshPostgres();
      const repo = await PostgresViolationRepository.open((handle.store as PostgresStore).pool);
      return { repo, dispose: handle.dispose };
    },
    pgUp,
  ],
] as [string, () => Promise<{ repo: ViolationRepository; dispose(): Promise<void> }>, boolean][])(
  'violation repository contract: %s',
  (_name, open, available) => {
    let dispose: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await dispose?.();
      dispose = undefined;
    });
    const make = async (): Promise<ViolationRepository> => {
      const opened = await open();
      dispose = opened.dispose;
      return opened.repo;
    };
    const day = 86_400_000;
    const t0 = Date.parse('2025-06-01T00:00:00Z');

    it.skipIf(!available)('keeps what was added, in order, and filters by party, code and time', async () => {
      const repo = await make();
      await repo.add([]);
      await repo.add([
        violation(1, 'p:a', 'over-quota', t0),
        violation(2, 'p:b', 'unlicensed-export', t0 + day),
      ]);
      await repo.add([violation(3, 'p:a', 'unlicensed-export', t0 + 2 * day)]);
      const all = await repo.list();
      expect(all.map((v) => v.seq)).toEqual([1, 2, 3]);
      expect(all[0]).toEqual({ id: all[0]?.id, ...violation(1, 'p:a', 'over-quota', t0) });
      const ids = all.map((v) => v.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      expect(new Set(ids).size).toBe(3);
      const seqs = async (filter: Parameters<ViolationRepository['list']>[0]) =>
        (await repo.list(filter)).map((v) => v.seq);
      expect(await seqs({ partyId: 'p:a' })).toEqual([1, 3]);
      expect(await seqs({ code: 'unlicensed-export' })).toEqual([2, 3]);
      expect(await seqs({ fromMs: t0 + day })).toEqual([2, 3]);
      expect(await seqs({ toMs: t0 + day })).toEqual([1]);
      expect(
        await seqs({ partyId: 'p:a', code: 'unlicensed-export', fromMs: t0, toMs: t0 + 3 * day }),
      ).toEqual([3]);
    });

    it.skipIf(!available)('pages by id: each violation once, in order', async () => {
      const repo = await make();
      await repo.add(Array.from({ length: 25 }, (_, i) => violation(i + 1, 'p:a', 'over-quota', t0 + i)));
      const seen: number[] = [];
      let after: number | undefined;
      for (;;) {
        const page = await repo.list({ limit: 10, ...(after === undefined ? {} : { afterId: after }) });
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(10);
        seen.push(...page.map((v) => v.seq));
        after = page.at(-1)?.id;
      }
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    });
  },
);

/**
 * `raretrace serve` on PostgreSQL: a violation recorded at capture is still listed after the server restarts
 * (the repository is in the store's database, not in memory).
 */
describe.skipIf(!pgUp)('violations and licences on PostgreSQL survive a restart', () => {
  it('lists the violation and the licence after the runtime is opened again', async () => {
    const target = await freshPostgresUrl();
    try {
      let runtime = await openRuntime(target.url, { log: false });
      resetClock();
      const docs = [
        document([commission(lot('DYCONC'), 1_000, { Dy: 0.05, Y: 0.1, Fe: 0.2 })], { masterData: true }),
        document([
          transform(
            [{ id: lot('DYCONC'), kg: 1_000 }],
            [{ id: lot('DYOX'), kg: 50, form: 'separated-oxide', composition: { Dy: 0.87 } }],
            { lossKg: 950 },
          ),
        ]),
        document([
          {
            ...ship(lot('DYOX'), party.separator, party.magnetMaker, 50),
            eventTime: '2025-06-02T00:00:00Z',
            bizLocation: { id: place.separation },
          },
        ]),
      ];
      for (const doc of docs) await runtime.ledger.capture(JSON.stringify(doc), operatorActor);
      await runtime.guard?.settle(runtime.store);
      const before = await runtime.violations.list();
      expect(before.map((v) => v.code)).toEqual(['unlicensed-export']);
      const rules = loadControlRules().licensing;
      if (rules === undefined) throw new Error('data/controls has no licensing rules');
      const application = parseLicenceApplication(
        {
          type: 'general',
          holderId: party.separator,
          appliedOn: '2025-05-01',
          requestedFrom: '2025-06-01',
          requestedUntil: '2028-05-31',
          limits: {
            elements: ['Dy'],
            destinations: ['JP'],
            endUserIds: [party.magnetMaker],
            endUses: ['automotive'],
            quantity: 1000,
            uom: 'KGM',
          },
        },
        rules,
      );
      const licence = applyForLicence('LIC-RESTART', application, 'exporter');
      await runtime.licences.save(licence, 0);
      await runtime.close();

      runtime = await openRuntime(target.url, { log: false });
      try {
        expect(await runtime.violations.list()).toEqual(before);
        expect(await runtime.licences.get('LIC-RESTART')).toEqual(licence);
      } finally {
        await runtime.close();
      }
    } finally {
      await target.dispose();
    }
  });
});
