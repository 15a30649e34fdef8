import type { FastifyRequest } from 'fastify';
import { Problem } from '../core/errors.js';
import type { Ledger } from '../ledger/capture.js';
import type { Receipt } from '../ledger/log-service.js';
import type { Store } from '../store/store.js';
import { authenticate, type Principal } from './auth.js';

/** What every route can reach. */
export interface ServerContext {
  readonly store: Store;
  readonly ledger: Ledger;
  /** Receipts for recorded events (the log service), when the server runs the log. */
  readonly receipts?: (eventHashes: readonly string[]) => Promise<readonly Receipt[]>;
}

/** The caller, or a 401 problem: there is no unauthenticated write and no unauthenticated private read. */
export async function requirePrincipal(context: ServerContext, request: FastifyRequest): Promise<Principal> {
  const principal = await authenticate(context.store, request.headers.authorization);
  if (principal === undefined) throw new Problem('unauthenticated', 'send Authorization: Bearer <token>');
  return principal;
}
