import type { FastifyInstance } from 'fastify';
import { Problem } from '../../core/errors.js';
import { encodePageToken, parseEventQuery, type QueryParams } from '../../ledger/event-query.js';
import { REE_NAMESPACE } from '../../ledger/extension.js';
import type { Receipt } from '../../ledger/log-service.js';
import type { StoredEvent } from '../../store/store.js';
import { readsEverything } from '../auth.js';
import { requirePrincipal, type ServerContext } from '../context.js';

const epcisContext = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

/**
 * EPCIS 2.0 REST bindings: capture (POST /capture, POST /events) and query (GET /events). Capture is decided
 * before the answer, so 202 means "recorded" here; GET /capture/{id} reports the same outcome afterwards.
 */
export async function epcisRoutes(app: FastifyInstance, options: { context: ServerContext }): Promise<void> {
  const { context } = options;

  app.post('/capture', async (request, reply) => {
    const principal = await requirePrincipal(context, request);
    if (principal.role === 'auditor') throw new Problem('forbidden', 'auditors read; they do not capture');
    const mode = (request.headers['gs1-capture-error-behaviour'] ?? 'rollback').toString();
    if (mode !== 'rollback') {
      throw new Problem(
        'bad-request',
        'only GS1-Capture-Error-Behaviour: rollback is supported (a document is accepted whole or not at all)',
      );
    }
    const result = await context.ledger.capture(request.body as Buffer, principal);
    void reply.header('GS1-EPCIS-Version', '2.0.0');
    if (result.documentId !== undefined) void reply.header('Location', `/capture/${result.documentId}`);
    return reply.status(202).send({
      captureID: result.documentId === undefined ? null : String(result.documentId),
      running: false,
      success: true,
      captureErrorBehaviour: 'rollback',
      ...result,
      ...(await receiptsFor(context, request.query, result.outcomes)),
    });
  });

  app.get<{ Params: { id: string } }>('/capture/:id', async (request) => {
    const principal = await requirePrincipal(context, request);
    const id = Number(request.params.id);
    const document = Number.isInteger(id) ? await context.store.getDocument(id) : undefined;
    if (
      document === undefined ||
      (!readsEverything(principal) && document.capturedBy !== principal.partyId)
    ) {
      throw new Problem('not-found', `no capture job ${request.params.id}`);
    }
    return {
      captureID: String(document.id),
      running: false,
      success: true,
      captureErrorBehaviour: 'rollback',
      errors: [],
      createdAt: new Date(document.receivedMs).toISOString(),
      eventCount: document.eventCount,
    };
  });

  app.post('/events', async (request, reply) => {
    const principal = await requirePrincipal(context, request);
    if (principal.role === 'auditor') throw new Problem('forbidden', 'auditors read; they do not capture');
    const result = await context.ledger.capture(request.body as Buffer, principal, { single: true });
    const outcome = result.outcomes[0];
    if (outcome !== undefined) void reply.header('Location', `/events/${encodeURIComponent(outcome.hash)}`);
    return reply
      .status(outcome?.status === 'duplicate' ? 200 : 201)
      .send({ ...result, ...(await receiptsFor(context, request.query, result.outcomes)) });
  });

  app.get('/events', async (request, reply) => {
    const principal = await requirePrincipal(context, request);
    const { query, perPage } = parseEventQuery(request.query as QueryParams);
    const scoped = readsEverything(principal) ? query : { ...query, capturedBy: principal.partyId };
    const rows = await context.store.queryEvents(scoped);
    const page = rows.slice(0, perPage);
    const last = page[page.length - 1];
    if (rows.length > perPage && last !== undefined) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(request.query as Record<string, string | string[]>)) {
        if (key === 'nextPageToken') continue;
        for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
      }
      params.set('nextPageToken', encodePageToken(last.seq));
      void reply.header('Link', `</events?${params.toString()}>; rel="next"`);
    }
    void reply.header('GS1-EPCIS-Version', '2.0.0');
    return reply.type('application/ld+json').send(await queryDocument(context, page));
  });

  app.get<{ Params: { hash: string } }>('/events/:hash', async (request) => {
    const principal = await requirePrincipal(context, request);
    const event = await context.store.getEventByHash(request.params.hash);
    if (event === undefined || (!readsEverything(principal) && event.capturedBy !== principal.partyId)) {
      throw new Problem('not-found', `no event ${request.params.hash}`);
    }
    return { ...(JSON.parse(event.json) as object), 'ree:eventHash': event.hash, 'ree:seq': event.seq };
  });
}

/**
 * With `?receipts=true` a capture answers with a receipt (c2sp.org/tlog-proof) for each of its events: the log
 * signs a checkpoint covering them first. Without it, receipts are fetched later from GET /receipts/{hash}.
 */
async function receiptsFor(
  context: ServerContext,
  query: unknown,
  outcomes: readonly { hash: string }[],
): Promise<{ receipts?: readonly Receipt[] }> {
  const wanted = (query as Record<string, unknown> | undefined)?.receipts;
  if (wanted !== 'true' && wanted !== '1') return {};
  if (context.receipts === undefined)
    throw new Problem('bad-request', 'this server runs no log: no receipts');
  return { receipts: await context.receipts(outcomes.map((o) => o.hash)) };
}

/** Events as an EPCISQueryDocument whose @context merges the contexts of the documents they came in. */
async function queryDocument(context: ServerContext, events: readonly StoredEvent[]): Promise<object> {
  const contexts = new Map<string, unknown>([[JSON.stringify(epcisContext), epcisContext]]);
  contexts.set(JSON.stringify({ ree: REE_NAMESPACE }), { ree: REE_NAMESPACE });
  const seenDocuments = new Set<number>();
  for (const event of events) {
    if (seenDocuments.has(event.documentId)) continue;
    seenDocuments.add(event.documentId);
    const document = await context.store.getDocument(event.documentId);
    if (document === undefined) continue;
    const parsed = JSON.parse(document.contextJson) as unknown;
    for (const entry of Array.isArray(parsed) ? parsed : [parsed]) {
      if (entry !== null) contexts.set(JSON.stringify(entry), entry);
    }
  }
  return {
    '@context': [...contexts.values()],
    type: 'EPCISQueryDocument',
    schemaVersion: '2.0',
    creationDate: new Date().toISOString(),
    epcisBody: {
      queryResults: {
        queryName: 'SimpleEventQuery',
        resultsBody: { eventList: events.map((e) => JSON.parse(e.json) as object) },
      },
    },
  };
}
