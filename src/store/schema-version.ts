import { Problem } from '../core/errors.js';

/**
 * The store's schema version: which tables, columns and derived data a store holds, recorded in its `meta`
 * table under `schema_version`. One number for both kinds of store, raised whenever either changes, so that a
 * version names one release's layout everywhere. A store is brought up to this version when it is opened
 * (`Store.migrate`, or ahead of time with `raretrace migrate`); a store of a later version is refused, since
 * this code would not know what the newer tables mean and could write rows that break their rules.
 *
 * History:
 * - 1: the first layout (both stores).
 * - 2 (2026-12-06): PostgreSQL `lots.header`, a lot's header facts as JSON, filled for older lots once
 *   (`backfillLotHeaders`). SQLite is unchanged; its stores record 2 all the same.
 */
export const storeSchemaVersion = 2;

/** What `Store.schemaStatus` finds, without changing anything. */
export interface SchemaStatus {
  /** The version the store records: 0 where there is no store yet (no tables). */
  readonly found: number;
  /** The version this code writes (storeSchemaVersion). */
  readonly current: number;
  /** `missing`: no store yet; `behind`: migrate brings it up; `current`; `ahead`: written by a newer release. */
  readonly state: 'missing' | 'behind' | 'current' | 'ahead';
}

export function schemaStatusOf(found: number): SchemaStatus {
  const current = storeSchemaVersion;
  const state =
    found === 0 ? 'missing' : found < current ? 'behind' : found === current ? 'current' : 'ahead';
  return { found, current, state };
}

/** A recorded version as a number: a value that is not a positive whole number reads as 0 (none). */
export function parseSchemaVersion(value: string | undefined): number {
  if (value === undefined || !/^[1-9]\d{0,8}$/.test(value)) return 0;
  return Number(value);
}

/** The refusal of a store written by a newer release, before anything is written to it. */
export function storeTooNew(status: SchemaStatus, where: string): Problem {
  return new Problem(
    'store-version',
    `The store ${where} is at schema version ${status.found}; this raretrace knows versions up to ${status.current}. Use the release that wrote it, or a later one.`,
    [
      {
        message: `schema version ${status.found} is newer than ${status.current}`,
        field: 'meta/schema_version',
        rule: 'store:schema-version',
        record: where,
      },
    ],
    { found: status.found, current: status.current },
  );
}
