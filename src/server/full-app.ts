import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Runtime } from '../runtime.js';
import { buildApp } from './app.js';
import { controlsRoutes } from './routes/controls.js';
import { logRoutes } from './routes/log.js';
import { simulationRoutes } from './routes/simulations.js';

/** The whole server: the core routes plus the log, controls and simulator. */
export async function buildServerApp(
  runtime: Runtime,
  options: { logger?: FastifyServerOptions['logger']; checkpointIntervalMs?: number } = {},
): Promise<FastifyInstance> {
  runtime.log.startPublishing(options.checkpointIntervalMs ?? 10_000);
  return buildApp({
    context: { store: runtime.store, ledger: runtime.ledger },
    logger: options.logger ?? false,
    plugins: [
      async (app) => {
        await app.register(logRoutes, { log: runtime.log });
      },
      async (app) => {
        await app.register(controlsRoutes, { ledger: runtime.controlsLedger });
      },
      async (app) => {
        await app.register(simulationRoutes);
      },
    ],
  });
}
