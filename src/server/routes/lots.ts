import type { FastifyInstance } from 'fastify';
import { Problem } from '../../core/errors.js';
import type { Lot } from '../../domain/lot.js';
import { type Direction, everyLot, lotsHeldBy, originSummary, traceLot } from '../../ledger/genealogy.js';
import { type Principal, readsEverything } from '../auth.js';
import { requirePrincipal, type ServerContext } from '../context.js';

/**
 * Lots: state, genealogy, origin and track. A party sees a lot it holds or has held; in a trace, other
 * parties' lots appear with id, form and HS code only.
 */
export async function lotRoutes(app: FastifyInstance, options: { context: ServerContext }): Promise<void> {
  const { context } = options;
  const { store } = context;

  async function visibleLot(principal: Principal, id: string): Promise<Lot> {
    const lot = await store.getLot(id);
    if (
      lot === undefined ||
      !(readsEverything(principal) || (await store.heldAmong(principal.partyId, [id])).has(id))
    ) {
      // The same answer for "absent" and "not yours", so that ids cannot be probed.
      throw new Problem('not-found', `no lot ${id} visible to this token`, [
        { record: id, message: 'not found' },
      ]);
    }
    return lot;
  }

  app.get<{ Params: { id: string } }>('/lots/:id', async (request) => {
    const principal = await requirePrincipal(context, request);
    const lot = await visibleLot(principal, request.params.id);
    return { ...lot, custody: await store.custodyOf(lot.id) };
  });

  app.get<{ Params: { id: string }; Querystring: { direction?: string } }>(
    '/lots/:id/trace',
    async (request) => {
      const principal = await requirePrincipal(context, request);
      const direction = request.query.direction ?? 'upstream';
      if (direction !== 'upstream' && direction !== 'downstream') {
        throw new Problem('bad-query', 'direction must be upstream or downstream', [
          { field: 'direction', rule: 'query:direction', message: `got ${direction}` },
        ]);
      }
      const lot = await visibleLot(principal, request.params.id);
      const visible = readsEverything(principal) ? everyLot : lotsHeldBy(store, principal.partyId);
      return traceLot(store, lot, direction as Direction, visible);
    },
  );

  app.get<{ Params: { id: string } }>('/lots/:id/origin', async (request) => {
    const principal = await requirePrincipal(context, request);
    return originSummary(await visibleLot(principal, request.params.id));
  });

  app.get<{ Params: { id: string } }>('/lots/:id/track', async (request) => {
    const principal = await requirePrincipal(context, request);
    const lot = await visibleLot(principal, request.params.id);
    return { lot: lot.id, points: await store.track(lot.id) };
  });

  app.get('/parties', async (request) => {
    await requirePrincipal(context, request);
    return { parties: await store.listParties() };
  });

  app.get('/locations', async (request) => {
    await requirePrincipal(context, request);
    return { locations: await store.listLocations() };
  });
}
