import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { limits } from '../core/limits.js';
import { reeContextDocument } from '../ledger/extension.js';
import type { ServerContext } from './context.js';
import { openApiDocument } from './openapi.js';
import { clientErrorHandler, problemHandler } from './problems.js';
import { epcisRoutes } from './routes/epcis.js';
import { lotRoutes } from './routes/lots.js';

export interface BuildAppOptions {
  readonly context: ServerContext;
  readonly logger?: FastifyServerOptions['logger'];
  /** Called for every route as it is registered (tests check the OpenAPI document against these). */
  readonly onRoute?: (route: { method: string | string[]; url: string }) => void;
  /** Extra route plugins (the log, controls, simulator) registered beside the core ones. */
  readonly plugins?: readonly ((app: FastifyInstance) => Promise<void>)[];
}

/** Builds the HTTP app without listening, so that tests can inject requests. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // One byte over the document limit, so that the parser (not Fastify) names the limit in its problem.
    bodyLimit: limits.maxDocumentBytes + 1,
    routerOptions: { maxParamLength: 2048 },
    clientErrorHandler,
  });
  const onRoute = options.onRoute;
  if (onRoute !== undefined)
    app.addHook('onRoute', (route) => onRoute({ method: route.method, url: route.url }));
  // Bodies are kept raw: capture parses them itself, to enforce its limits and report JSON errors precisely.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/ld+json', 'text/plain'],
    { parseAs: 'buffer' },
    (_request, body, done) => done(null, body),
  );
  app.setErrorHandler(problemHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send({
        type: 'https://raretrace.dev/problems/not-found',
        title: 'Not found',
        status: 404,
        detail: `no route ${request.method} ${request.url}`,
        instance: request.url,
      });
  });

  app.get('/health', async () => ({
    status: 'ok',
    store: options.context.store.kind,
    treeSize: await options.context.store.treeSize(),
  }));
  app.get('/openapi.json', async () => openApiDocument);
  app.get('/ns/ree/v1/context.jsonld', async (_request, reply) =>
    reply.type('application/ld+json').send(reeContextDocument),
  );

  await app.register(epcisRoutes, { context: options.context });
  await app.register(lotRoutes, { context: options.context });
  for (const plugin of options.plugins ?? []) await plugin(app);
  return app;
}
