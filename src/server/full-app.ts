import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import { guardOutboxSweepMs } from '../controls/capture-guard.js';
import { Problem } from '../core/errors.js';
import type { Runtime } from '../runtime.js';
import { buildApp } from './app.js';
import { authenticate } from './auth.js';
import { controlsRoutes } from './routes/controls.js';
import { logRoutes } from './routes/log.js';
import { simulationRoutes } from './routes/simulations.js';
import { violationRoutes } from './routes/violations.js';

/** Licence decisions are the regulator's; everything else in controls needs any valid token. */
const regulatorActions = new Set([
  'licence:review',
  'licence:approve',
  'licence:deny',
  'licence:revoke',
  'certificate:issue',
]);

/**
 * The whole server: the core EPCIS and lot routes, the log, controls and the simulator. Controls and the
 * simulator take parsed JSON bodies (and YAML for scenarios), so they live in their own encapsulated scope
 * with their own body parsers; capture keeps raw bodies to enforce its own limits.
 */
export async function buildServerApp(
  runtime: Runtime,
  options: {
    logger?: FastifyServerOptions['logger'];
    checkpointIntervalMs?: number;
    /** How often the capture guard's outbox is swept (default guardOutboxSweepMs). */
    outboxSweepMs?: number;
    onRoute?: (route: { method: string | string[]; url: string }) => void;
  } = {},
): Promise<FastifyInstance> {
  runtime.log.startPublishing(options.checkpointIntervalMs ?? 10_000);
  // The licences the capture guard draws down are the ones the licence routes manage.
  const { licences } = runtime;
  const authorize = async (request: FastifyRequest, action: string): Promise<void> => {
    const principal = await authenticate(runtime.store, request.headers.authorization);
    if (principal === undefined) throw new Problem('unauthenticated', 'send Authorization: Bearer <token>');
    if (regulatorActions.has(action) && principal.role !== 'regulator' && principal.role !== 'operator') {
      throw new Problem('forbidden', `${action} is the regulator's decision`);
    }
  };
  return buildApp({
    context: {
      store: runtime.store,
      ledger: runtime.ledger,
      receipts: (hashes) => runtime.log.receipts(hashes),
    },
    logger: options.logger ?? false,
    ...(options.onRoute === undefined ? {} : { onRoute: options.onRoute }),
    plugins: [
      async (app) => {
        await app.register(logRoutes, { log: runtime.log });
      },
      async (app) => {
        const { guard } = runtime;
        if (guard === undefined) return;
        const timer = setInterval(() => {
          guard.sweep(runtime.store).then(
            (found) => {
              if (found > 0) app.log.info({ entries: found }, 'guard outbox: entries written by the sweep');
            },
            (error: unknown) => app.log.warn({ err: error }, 'guard outbox sweep failed; next sweep retries'),
          );
        }, options.outboxSweepMs ?? guardOutboxSweepMs);
        timer.unref();
        app.addHook('onClose', async () => clearInterval(timer));
      },
      async (app) => {
        await app.register(async (scope) => {
          scope.removeContentTypeParser(['application/json', 'application/ld+json', 'text/plain']);
          scope.addContentTypeParser(
            ['application/json', 'application/ld+json'],
            { parseAs: 'string', bodyLimit: 16 * 1024 * 1024 },
            (_request, body, done) => {
              try {
                done(null, body === '' ? undefined : JSON.parse(body as string));
              } catch (error) {
                done(
                  new Problem('malformed-json', `the body is not valid JSON: ${(error as Error).message}`),
                  undefined,
                );
              }
            },
          );
          await scope.register(controlsRoutes, {
            ledger: runtime.controlsLedger,
            licences,
            signerKey: runtime.log.keys.signerKeyText,
            issuer: runtime.log.origin,
            authorize,
          });
          await scope.register(simulationRoutes, { authorize });
          await scope.register(violationRoutes, {
            violations: runtime.violations,
            ...(runtime.guard === undefined
              ? {}
              : { settle: () => runtime.guard?.settle(runtime.store) ?? Promise.resolve() }),
            principal: (request) => authenticate(runtime.store, request.headers.authorization),
          });
        });
      },
    ],
  });
}
