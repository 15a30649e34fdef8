import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../src/ledger/capture.js';
import { loadLogKeys } from '../src/ledger/keys.js';
import { LogService } from '../src/ledger/log-service.js';
import { buildApp } from '../src/server/app.js';
import { createToken } from '../src/server/auth.js';
import { openApiDocument } from '../src/server/openapi.js';
import { logRoutes } from '../src/server/routes/log.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { leafHash } from '../src/tlog/index.js';
import { decodeLeaf } from '../src/tlog/leaf.js';
import { parseTlogProof, verifyTlogProof } from '../src/tlog/proof-bundle.js';
import { document, lot, party, place, ship, standardChain, transform } from './helpers/scenario.js';

/** The HTTP API end to end: tokens, capture, problem details, EPCIS query paging, lots and access control. */
describe('HTTP API', () => {
  let app: FastifyInstance;
  let dir: string;
  let store: SqliteStore;
  let log: LogService;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'raretrace-http-'));
    store = new SqliteStore(path.join(dir, 'db.sqlite'));
    await store.migrate();
    log = new LogService(store, loadLogKeys(path.join(dir, 'keys')));
    const ledger = new Ledger(store, { log: log.writer, clock: () => Date.now() });
    app = await buildApp({
      context: { store, ledger, receipts: (hashes) => log.receipts(hashes) },
      plugins: [async (a) => void (await a.register(logRoutes, { log }))],
    });
    const now = Date.now();
    tokens.operator = (
      await createToken(store, { role: 'operator', partyId: '', label: 't', nowMs: now })
    ).token;
    tokens.regulator = (
      await createToken(store, { role: 'regulator', partyId: '', label: 't', nowMs: now })
    ).token;
    tokens.auditor = (
      await createToken(store, { role: 'auditor', partyId: '', label: 't', nowMs: now })
    ).token;
    const [first, ...rest] = standardChain();
    const post = (body: object, token: string) =>
      app.inject({
        method: 'POST',
        url: '/capture',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/ld+json' },
        payload: JSON.stringify(body),
      });
    expect((await post(first!, tokens.operator)).statusCode).toBe(202);
    tokens.miner = (
      await createToken(store, { role: 'party', partyId: party.miner, label: 't', nowMs: now })
    ).token;
    tokens.separator = (
      await createToken(store, { role: 'party', partyId: party.separator, label: 't', nowMs: now })
    ).token;
    tokens.magnets = (
      await createToken(store, { role: 'party', partyId: party.magnetMaker, label: 't', nowMs: now })
    ).token;
    expect((await post(rest[0]!, tokens.operator)).statusCode).toBe(202);
    expect((await post(rest[1]!, tokens.separator)).statusCode).toBe(202);
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const auth = (name: string) => ({ authorization: `Bearer ${tokens[name]}` });

  it('has no unauthenticated write and refuses bad tokens', async () => {
    const body = JSON.stringify(document([ship(lot('NDPR-1'), party.separator, party.magnetMaker)]));
    const none = await app.inject({
      method: 'POST',
      url: '/capture',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    const bad = await app.inject({
      method: 'POST',
      url: '/capture',
      headers: { authorization: 'Bearer rt_nope', 'content-type': 'application/json' },
      payload: body,
    });
    expect(bad.statusCode).toBe(401);
    const auditor = await app.inject({
      method: 'POST',
      url: '/capture',
      headers: { ...auth('auditor'), 'content-type': 'application/json' },
      payload: body,
    });
    expect(auditor.statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/events' })).statusCode).toBe(401);
  });

  it('answers malformed JSON, schema faults and rule violations with problem details naming event and field', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/capture',
      headers: { ...auth('operator'), 'content-type': 'application/json' },
      payload: '{"type": "EPCISDocument", ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({
      type: 'https://raretrace.dev/problems/malformed-json',
      status: 400,
    });
    const wrongType = document([
      { ...ship(lot('NDPR-1'), party.separator, party.magnetMaker), eventTime: 42 },
    ]);
    const schema = await app.inject({
      method: 'POST',
      url: '/capture',
      headers: { ...auth('separator'), 'content-type': 'application/json' },
      payload: JSON.stringify(wrongType),
    });
    expect(schema.statusCode).toBe(400);
    expect(schema.json().errors[0]).toMatchObject({
      eventIndex: 0,
      field: '/epcisBody/eventList/0/eventTime',
    });
    const gain = document([
      transform(
        [{ id: lot('NDPR-1'), kg: 100 }],
        [{ id: lot('METAL-X'), kg: 200, form: 'metal', composition: { Nd: 0.75, Pr: 0.25 } }],
        { process: 'metal-making' },
      ),
    ]);
    const balance = await app.inject({
      method: 'POST',
      url: '/capture',
      headers: { ...auth('separator'), 'content-type': 'application/json' },
      payload: JSON.stringify(gain),
    });
    expect(balance.statusCode).toBe(422);
    expect(balance.json().errors.map((e: { rule: string }) => e.rule)).toEqual([
      'mass-balance:Pr',
      'mass-balance:Nd',
    ]);
    const notYours = await app.inject({
      method: 'POST',
      url: '/capture',
      headers: { ...auth('magnets'), 'content-type': 'application/json' },
      payload: JSON.stringify(document([ship(lot('NDPR-1'), party.separator, party.magnetMaker)])),
    });
    expect(notYours.statusCode).toBe(403);
    expect(notYours.json().errors[0]).toMatchObject({ rule: 'access:holder', record: lot('NDPR-1') });
  });

  it('pages GET /events with perPage, nextPageToken and a Link header', async () => {
    const first = await app.inject({ method: 'GET', url: '/events?perPage=2', headers: auth('regulator') });
    expect(first.statusCode).toBe(200);
    const events = first.json().epcisBody.queryResults.resultsBody.eventList as object[];
    expect(events).toHaveLength(2);
    const link = first.headers.link as string;
    expect(link).toMatch(/rel="next"/);
    const next = link.slice(1, link.indexOf('>'));
    const second = await app.inject({ method: 'GET', url: next, headers: auth('regulator') });
    expect(second.json().epcisBody.queryResults.resultsBody.eventList).toHaveLength(2);
    expect(second.headers.link).toBeUndefined();
    const filtered = await app.inject({
      method: 'GET',
      url: `/events?eventType=TransformationEvent&MATCH_inputEPCClass=${encodeURIComponent(lot('CONC-1'))}`,
      headers: auth('regulator'),
    });
    expect(filtered.json().epcisBody.queryResults.resultsBody.eventList).toHaveLength(1);
    const bad = await app.inject({ method: 'GET', url: '/events?EQ_nonsense=1', headers: auth('regulator') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('EQ_nonsense');
  });

  it('lets a party read only its own records; the regulator reads all', async () => {
    const minerView = await app.inject({ method: 'GET', url: '/events', headers: auth('miner') });
    expect(minerView.json().epcisBody.queryResults.resultsBody.eventList).toHaveLength(0);
    const separatorView = await app.inject({ method: 'GET', url: '/events', headers: auth('separator') });
    expect(separatorView.json().epcisBody.queryResults.resultsBody.eventList).toHaveLength(1);
    const hidden = await app.inject({
      method: 'GET',
      url: `/lots/${encodeURIComponent(lot('NDPR-1'))}`,
      headers: auth('magnets'),
    });
    expect(hidden.statusCode).toBe(404);
    const own = await app.inject({
      method: 'GET',
      url: `/lots/${encodeURIComponent(lot('NDPR-1'))}`,
      headers: auth('separator'),
    });
    expect(own.json()).toMatchObject({
      id: lot('NDPR-1'),
      holderId: party.separator,
      locationId: place.separation,
    });
    const origin = await app.inject({
      method: 'GET',
      url: `/lots/${encodeURIComponent(lot('NDPR-1'))}/origin`,
      headers: auth('regulator'),
    });
    expect(origin.json().rareEarths.miningByMass).toEqual({ CN: 1 });
    // The miner held the concentrate, not the oxide: in the oxide's downstream it sees ids and forms only.
    const trace = await app.inject({
      method: 'GET',
      url: `/lots/${encodeURIComponent(lot('CONC-1'))}/trace?direction=downstream`,
      headers: auth('miner'),
    });
    const nodes = trace.json().nodes as { id: string; redacted: boolean; massMg?: number }[];
    expect(nodes.find((n) => n.id === lot('CONC-1'))?.redacted).toBe(false);
    expect(nodes.find((n) => n.id === lot('NDPR-1'))).toMatchObject({ redacted: true });
    expect(nodes.find((n) => n.id === lot('NDPR-1'))?.massMg).toBeUndefined();
  });

  it('serves a signed checkpoint, tiles and receipts without a token', async () => {
    const checkpoint = await app.inject({ method: 'GET', url: '/checkpoint' });
    expect(checkpoint.statusCode).toBe(200);
    expect(checkpoint.body.split('\n')[1]).toBe('4');
    const tile = await app.inject({ method: 'GET', url: '/tile/0/000.p/4' });
    expect(tile.statusCode).toBe(200);
    expect(tile.rawPayload.length).toBe(4 * 32);
    expect(tile.headers['cache-control']).toContain('immutable');
    const events = await app.inject({ method: 'GET', url: '/events?perPage=1', headers: auth('regulator') });
    const hash = (await store.scanEvents(0, 1))[0]!.hash;
    expect(events.statusCode).toBe(200);
    const receipt = await app.inject({ method: 'GET', url: `/receipts/${encodeURIComponent(hash)}` });
    expect(receipt.body.startsWith('c2sp.org/tlog-proof@v1\n')).toBe(true);
  });

  it('returns verifiable receipts with a capture when asked', async () => {
    const body = JSON.stringify(document([ship(lot('NDPR-1'), party.separator, party.magnetMaker)]));
    const response = await app.inject({
      method: 'POST',
      url: '/capture?receipts=true',
      headers: { ...auth('separator'), 'content-type': 'application/ld+json' },
      payload: body,
    });
    expect(response.statusCode).toBe(202);
    const { receipts, outcomes } = response.json() as {
      receipts: { proof: string; eventHash: string }[];
      outcomes: { hash: string }[];
    };
    expect(receipts.map((r) => r.eventHash)).toEqual(outcomes.map((o) => o.hash));
    for (const receipt of receipts) {
      const parsed = parseTlogProof(receipt.proof);
      const verified = verifyTlogProof(receipt.proof, log.keys.verifierKey, leafHash(parsed.extra!));
      expect(decodeLeaf(parsed.extra!).eventHash).toBe(receipt.eventHash);
      expect(verified.checkpoint.size).toBeGreaterThan(parsed.index);
    }
  });

  it('describes every registered route in the OpenAPI document', async () => {
    const paths = Object.keys(openApiDocument.paths);
    for (const route of [
      '/capture',
      '/events',
      '/events/{hash}',
      '/lots/{id}',
      '/lots/{id}/trace',
      '/lots/{id}/origin',
      '/lots/{id}/track',
    ]) {
      expect(paths).toContain(route);
    }
    const served = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(served.json().openapi).toBe('3.1.0');
  });
});

/** What Node's HTTP parser refuses before any route runs: still a problem detail, on a real socket. */
describe('HTTP API over a socket: requests the parser refuses', () => {
  let app: FastifyInstance;
  let dir: string;
  let port: number;
  let store: SqliteStore;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'raretrace-http-raw-'));
    store = new SqliteStore(path.join(dir, 'db.sqlite'));
    await store.migrate();
    app = await buildApp({
      context: { store, ledger: new Ledger(store, { log: undefined, clock: () => Date.now() }) },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const raw = (request: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(request));
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString();
      });
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });

  it('answers a URL over the header limit with 431 and a problem detail', async () => {
    const answer = await raw(`GET /lots/${'a'.repeat(20_000)}/trace HTTP/1.1\r\nHost: x\r\n\r\n`);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(body ?? '')).toMatchObject({
      type: 'https://raretrace.dev/problems/request-too-large',
      status: 431,
      errors: [{ rule: 'http:max-header-size' }],
    });
  });

  it('answers a malformed request line with 400 and a problem detail', async () => {
    const answer = await raw('NOT A REQUEST\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.split('\r\n\r\n')[1] ?? '')).toMatchObject({
      type: 'https://raretrace.dev/problems/bad-request',
      status: 400,
    });
  });
});
