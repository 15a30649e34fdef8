import type { FastifyInstance, FastifyReply } from 'fastify';
import { Problem } from '../../core/errors.js';
import type { LogService } from '../../ledger/log-service.js';
import { encodeBase64, encodeEntryBundle, parseTilePath, TILE_WIDTH } from '../../tlog/index.js';
import { encodeLeaf } from '../../tlog/leaf.js';

/**
 * The log's public read API: C2SP tlog-tiles (`/checkpoint`, `/tile/<L>/<N>[.p/<W>]`, `/tile/entries/<N>`),
 * plus our proof endpoints and receipts. None of it needs a token: the log holds hashes, not business data.
 * Tiles (full or partial) never change once served, so they are cacheable forever; the checkpoint is not.
 */
const immutable = 'public, max-age=31536000, immutable';

export async function logRoutes(app: FastifyInstance, options: { log: LogService }): Promise<void> {
  const { log } = options;
  const store = log.store;

  const sendBytes = (reply: FastifyReply, data: Uint8Array): FastifyReply =>
    reply.header('Cache-Control', immutable).type('application/octet-stream').send(Buffer.from(data));

  app.get('/checkpoint', async (_request, reply) => {
    const checkpoint = await log.latestCheckpoint();
    return reply.header('Cache-Control', 'no-cache').type('text/plain; charset=utf-8').send(checkpoint.note);
  });

  app.get('/checkpoints', async () => ({
    origin: log.origin,
    verifierKey: log.keys.verifierKey,
    checkpoints: (await store.listCheckpoints()).map((c) => ({
      size: c.size,
      root: c.root,
      publishedAt: new Date(c.publishedMs).toISOString(),
    })),
  }));

  app.get<{ Params: { size: string } }>('/checkpoints/:size', async (request, reply) => {
    const size = integer('size', request.params.size);
    const checkpoint = (await store.listCheckpoints()).find((c) => c.size === size);
    if (checkpoint === undefined)
      throw new Problem('not-found', `the log signed no checkpoint at size ${size}`);
    // Not immutable: witnesses may add cosignatures to a stored checkpoint later.
    return reply
      .header('Cache-Control', 'public, max-age=60')
      .type('text/plain; charset=utf-8')
      .send(checkpoint.note);
  });

  app.get('/log/key', async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(`${log.keys.verifierKey}\n`),
  );

  app.get('/tile/*', async (request, reply) => {
    const path = `tile/${(request.params as { '*': string })['*']}`;
    const parsed = (() => {
      try {
        return parseTilePath(path);
      } catch {
        throw new Problem('not-found', `no tile ${path}`);
      }
    })();
    const size = await store.treeSize();
    if (parsed.kind === 'entries') {
      const first = parsed.index * TILE_WIDTH;
      if (first + parsed.width > size) throw new Problem('not-found', `the log has ${size} entries`);
      const events = await store.scanEvents(first, parsed.width);
      const bundle = encodeEntryBundle(
        events.map((e) => encodeLeaf({ seq: e.seq, recordTime: e.recordTimeMs, eventHash: e.hash })),
      );
      return sendBytes(reply, bundle);
    }
    const tile = await store.getTile(parsed.level, parsed.index);
    if (tile === undefined || tile.width < parsed.width)
      throw new Problem('not-found', `no tile ${path} yet`);
    return sendBytes(reply, tile.data.subarray(0, parsed.width * 32));
  });

  app.get<{ Params: { hash: string } }>('/receipts/:hash', async (request, reply) => {
    const receipt = await log.receipt(request.params.hash);
    if ((request.headers.accept ?? '').includes('application/json')) return reply.send(receipt);
    return reply.type('text/plain; charset=utf-8').send(receipt.proof);
  });

  app.get<{ Querystring: { index?: string; size?: string; hash?: string } }>(
    '/proof/inclusion',
    async (request) => {
      const size =
        request.query.size === undefined
          ? (await log.latestCheckpoint()).size
          : integer('size', request.query.size);
      let index: number;
      if (request.query.hash !== undefined) {
        const event = await store.getEventByHash(request.query.hash);
        if (event === undefined) throw new Problem('not-found', `no event ${request.query.hash}`);
        index = event.seq;
      } else index = integer('index', request.query.index);
      const proof = await log.inclusionProof(index, size);
      return { index, size, proof: proof.map(encodeBase64) };
    },
  );

  app.get<{ Querystring: { old?: string; new?: string } }>('/proof/consistency', async (request) => {
    const m = integer('old', request.query.old);
    const n =
      request.query.new === undefined
        ? (await log.latestCheckpoint()).size
        : integer('new', request.query.new);
    const proof = await log.consistencyProof(m, n);
    return { old: m, new: n, proof: proof.map(encodeBase64) };
  });

  /** Witnesses send back the checkpoint with their tlog-cosignature/v1 line added. */
  app.post('/cosignatures', async (request) => {
    const body = request.body as Buffer | undefined;
    if (body === undefined)
      throw new Problem('bad-request', 'send the cosigned checkpoint note as text/plain');
    const record = await log.addCosignature(body.toString('utf8'));
    return { size: record.size, note: record.note };
  });
}

function integer(name: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new Problem('bad-query', `${name} must be a non-negative integer`, [
      { field: name, rule: 'query:integer', message: `got ${value}` },
    ]);
  }
  return n;
}
