import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dyChain, dyLicence, exportDy, lot, party, resetClock } from '../../test/helpers/scenario.js';
import {
  freshPostgres,
  freshPostgresUrl,
  freshSqlite,
  postgresAvailable,
  repositoryKinds,
  repositoryPerTest,
} from '../../test/helpers/stores.js';
import { openRuntime, operatorActor, type Runtime } from '../runtime.js';
import { createToken } from '../server/auth.js';
import { buildServerApp } from '../server/full-app.js';
import type { PostgresStore } from '../store/postgres/postgres-store.js';
import { PostgresViolationRepository, violationsLockKey } from './postgres-repositories.js';
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
    const docs = [...dyChain(), exportDy()];
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

const violationRepositoryKinds = await repositoryKinds<ViolationRepository>({
  memory: () => new InMemoryViolationRepository(),
  sqlite: (db) => new SqliteViolationRepository(db),
  postgres: (pool) => PostgresViolationRepository.open(pool),
});

describe.each(violationRepositoryKinds)('violation repository contract: %s', (_name, open, available) => {
  const make = repositoryPerTest(open);
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
    expect(await seqs({ partyId: 'p:a', code: 'unlicensed-export', fromMs: t0, toMs: t0 + 3 * day })).toEqual(
      [3],
    );
  });

  it.skipIf(!available)(
    'adds a violation already recorded (same seq, code, record, message) only once',
    async () => {
      const repo = await make();
      const first = violation(1, 'p:a', 'over-quota', t0);
      await repo.add([first, violation(2, 'p:a', 'over-quota', t0)]);
      // Written again (a capture guard replaying its outbox), and one that differs only in its message.
      await repo.add([first, { ...first, message: 'another rule fired on the same event' }]);
      const listed = await repo.list({});
      expect(listed.map((v) => [v.seq, v.message])).toEqual([
        [1, 'violation 1'],
        [2, 'violation 2'],
        [1, 'another rule fired on the same event'],
      ]);
    },
  );

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
});

/**
 * Two writers on one PostgreSQL (two servers, or a capture's write and the outbox sweep): an id drawn first
 * must not become visible after a larger one, or a reader paging by id would pass it by.
 */
it.skipIf(!pgUp)('postgres: an add waits for another writer, so ids become visible in order', async () => {
  const handle = await freshPostgres();
  const pool = (handle.store as PostgresStore).pool;
  const other = await pool.connect();
  try {
    const repo = await PostgresViolationRepository.open(pool);
    // Another writer has drawn an id and not yet committed.
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock($1)', [violationsLockKey]);
    const v1 = violation(1, 'p:a', 'over-quota', 0);
    await other.query(
      `INSERT INTO controls_violations (seq, event_hash, party_id, code, clause, source, message, record,
         event_time_ms, recorded_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        v1.seq,
        v1.eventHash,
        v1.partyId,
        v1.code,
        v1.clause,
        v1.source,
        v1.message,
        v1.record,
        0,
        v1.recordedMs,
      ],
    );
    let done = false;
    const adding = repo.add([violation(2, 'p:a', 'over-quota', 0)]).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(done).toBe(false);
    expect(await repo.list()).toEqual([]);
    await other.query('COMMIT');
    await adding;
    const listed = await repo.list();
    expect(listed.map((v) => v.seq)).toEqual([1, 2]);
    expect(listed[0]!.id).toBeLessThan(listed[1]!.id);
  } finally {
    other.release();
    await handle.dispose();
  }
});

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
      const docs = [...dyChain(), exportDy()];
      for (const doc of docs) await runtime.ledger.capture(JSON.stringify(doc), operatorActor);
      await runtime.guard?.settle(runtime.store);
      const before = await runtime.violations.list();
      expect(before.map((v) => v.code)).toEqual(['unlicensed-export']);
      const licence = { ...dyLicence, id: 'LIC-RESTART' };
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

/**
 * `raretrace serve` or `import` stopped between an append and the writing of its violations: the violation
 * was committed with the capture (the guard's outbox), and the runtime writes it when it is opened again.
 */
describe('a violation whose writing failed after the append is written when the runtime opens again', () => {
  it('lists it once after the restart, and the outbox is empty', async () => {
    const handle = await freshSqlite();
    await handle.store.close();
    const keysDir = path.join(handle.dir, 'keys');
    try {
      let runtime = await openRuntime(handle.path, { keysDir, log: false });
      resetClock();
      for (const doc of dyChain()) await runtime.ledger.capture(JSON.stringify(doc), operatorActor);
      // The write after the append fails, as if the process had stopped there.
      runtime.violations.add = async () => {
        throw new Error('simulated stop after the append');
      };
      const result = await runtime.ledger.capture(JSON.stringify(exportDy()), operatorActor);
      expect(result.recorded).toBe(1);
      expect(result.warnings.map((w) => w.rule)).toContain('controls:record');
      expect((await runtime.store.guardOutbox()).length).toBe(1);
      await runtime.close();

      runtime = await openRuntime(handle.path, { keysDir, log: false });
      try {
        expect(await runtime.store.guardOutbox()).toEqual([]);
        expect(await runtime.violations.list()).toMatchObject([
          { code: 'unlicensed-export', seq: result.outcomes[0]?.seq, record: lot('DYOX') },
        ]);
      } finally {
        await runtime.close();
      }
    } finally {
      await handle.dispose();
    }
  });
});

/**
 * The write after an append failed while the server runs (the database refused it for a moment): the server's
 * sweep of the guard's outbox writes it, without a restart.
 */
describe('a violation whose writing failed after the append is written by the serving process', () => {
  it('appears once the sweep has run, and the outbox empties', async () => {
    const handle = await freshSqlite();
    await handle.store.close();
    const runtime = await openRuntime(handle.path, { keysDir: path.join(handle.dir, 'keys'), log: false });
    const app = await buildServerApp(runtime, { outboxSweepMs: 20 });
    try {
      resetClock();
      for (const doc of dyChain()) await runtime.ledger.capture(JSON.stringify(doc), operatorActor);
      const add = runtime.violations.add.bind(runtime.violations);
      let failures = 0;
      runtime.violations.add = async (violations) => {
        // The first write fails, and the sweep's first try as well: the next sweep retries.
        if (failures++ < 2) throw new Error('simulated database error');
        return add(violations);
      };
      const result = await runtime.ledger.capture(JSON.stringify(exportDy()), operatorActor);
      expect(result.warnings.map((w) => w.rule)).toContain('controls:record');
      const deadline = Date.now() + 10_000;
      while ((await runtime.store.guardOutbox()).length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(failures).toBeGreaterThanOrEqual(3);
      expect(await runtime.store.guardOutbox()).toEqual([]);
      expect(await runtime.violations.list()).toMatchObject([
        { code: 'unlicensed-export', seq: result.outcomes[0]?.seq, record: lot('DYOX') },
      ]);
    } finally {
      await app.close();
      await runtime.close();
      await handle.dispose();
    }
  });
});
