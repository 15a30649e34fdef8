import { createHash, randomBytes } from 'node:crypto';
import { Problem } from '../core/errors.js';
import type { Actor } from '../ledger/decide.js';
import type { ApiTokenRecord, Store, TokenRole } from '../store/store.js';

/**
 * API tokens. A token is 32 random bytes shown once at creation; the store keeps only its SHA-256, so a copy of
 * the database does not give anyone the right to write.
 */
export const tokenPrefix = 'rt_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createToken(
  store: Store,
  options: { role: TokenRole; partyId: string; label: string; nowMs: number },
): Promise<{ token: string; record: ApiTokenRecord }> {
  if (options.role === 'party') {
    const party = await store.getParty(options.partyId);
    if (party === undefined) {
      throw new Problem('unknown-party', `party ${options.partyId} is not registered`, [
        { field: 'party', rule: 'token:party', record: options.partyId, message: 'unknown party' },
      ]);
    }
  }
  const token = tokenPrefix + randomBytes(32).toString('base64url');
  const record: ApiTokenRecord = {
    hash: hashToken(token),
    role: options.role,
    partyId: options.role === 'party' ? options.partyId : options.partyId || options.role,
    label: options.label,
    createdMs: options.nowMs,
  };
  await store.putToken(record);
  return { token, record };
}

export interface Principal extends Actor {
  readonly label: string;
}

/** Reads `Authorization: Bearer <token>`; undefined when absent. Throws when present but wrong. */
export async function authenticate(store: Store, header: string | undefined): Promise<Principal | undefined> {
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match === null)
    throw new Problem('unauthenticated', 'the Authorization header must be "Bearer <token>"');
  const record = await store.findToken(hashToken(match[1] as string));
  if (record === undefined) throw new Problem('unauthenticated', 'the API token is not valid');
  return { role: record.role, partyId: record.partyId, label: record.label };
}

/** Authorities read everything. */
export function readsEverything(principal: Principal): boolean {
  return principal.role === 'regulator' || principal.role === 'auditor' || principal.role === 'operator';
}
