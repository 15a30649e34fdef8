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

/**
 * The version a store records, as a number. Called only where the store has its `meta` table: a missing row or a
 * value that is not a positive whole number is refused (`notAStore`), never read as "no store yet", which would
 * let migrate write into a database it does not understand. A version too large to count exactly is still
 * larger than any this code knows, so it is refused as newer.
 */
export function recordedSchemaVersion(value: string | undefined, where: string): number {
  if (value === undefined || !/^[1-9]\d*$/.test(value)) {
    const shown = value === undefined ? 'none' : JSON.stringify(value.slice(0, 40));
    throw notAStore(where, `its meta table records schema version ${shown}, which is not a version number`);
  }
  return Number(value);
}

/** The refusal of a database that is not a raretrace store (or whose version record is damaged). */
export function notAStore(where: string, why: string): Problem {
  return new Problem(
    'store-unrecognised',
    `${where} is not a raretrace store this release can read: ${why}. None of raretrace's tables or rows were written to it.`,
    [{ message: why, field: 'meta/schema_version', rule: 'store:schema-version', record: where }],
  );
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
