import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../src/runtime.js';
import { createToken } from '../src/server/auth.js';
import { buildServerApp } from '../src/server/full-app.js';
import { openApiDocument } from '../src/server/openapi.js';
import { freshSqlite } from './helpers/stores.js';

/** The whole server as `raretrace serve` runs it: every route is described in OpenAPI and answers. */
describe('the full server', () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let dispose: () => Promise<void>;
  let token: string;
  const routes: string[] = [];

  beforeAll(async () => {
    const handle = await freshSqlite();
    await handle.store.close();
    dispose = handle.dispose;
    runtime = await openRuntime(handle.path, { keysDir: path.join(handle.dir, 'keys') });
    app = await buildServerApp(runtime, {
      checkpointIntervalMs: 60_000,
      onRoute: (route) => routes.push(route.url),
    });
    await app.ready();
    token = (await createToken(runtime.store, { role: 'regulator', partyId: '', label: 't', nowMs: 0 }))
      .token;
  });
  afterAll(async () => {
    await app.close();
    await runtime.close();
    await dispose().catch(() => undefined);
  });

  it('describes every route it serves in the OpenAPI document', () => {
    const described = new Set(Object.keys(openApiDocument.paths));
    const served = new Set(
      routes.map((url) => url.replace(/:(\w+)/g, '{$1}').replace('/tile/*', '/tile/{path}')),
    );
    expect(served.size).toBeGreaterThan(20);
    const missing = [...served].filter((route) => !described.has(route));
    expect(missing).toEqual([]);
  });

  it('answers screening and simulation requests with problem details for bad input', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/screenings',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: '{"items": 3',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const unauth = await app.inject({
      method: 'POST',
      url: '/simulations',
      headers: { 'content-type': 'application/yaml' },
      payload: 'name: x',
    });
    expect(unauth.statusCode).toBe(401);
  });
});
