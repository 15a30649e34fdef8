import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { freshSqlite } from '../../test/helpers/stores.js';
import { openRuntime, operatorActor, type Runtime } from '../runtime.js';
import { createToken } from '../server/auth.js';
import { buildServerApp } from '../server/full-app.js';

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
