import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultDbPath } from '../../runtime.js';
import { connectStore, isPostgresTarget, storeName } from '../../store/open.js';
import { type SchemaStatus, schemaStatusOf } from '../../store/schema-version.js';
import { printJson } from '../output.js';

/** What `raretrace migrate` found and did. */
interface MigrateSummary extends SchemaStatus {
  /** The version the store records now (found, unless it was migrated). */
  readonly now: number;
  readonly migrated: boolean;
}

function describe(summary: MigrateSummary, target: string): string {
  if (!summary.migrated) {
    if (summary.state === 'current') return `${target}: schema version ${summary.found}, current`;
    if (summary.state === 'missing')
      return `${target}: no store yet (this release creates version ${summary.current})`;
    return `${target}: schema version ${summary.found}, this release writes ${summary.current}: run raretrace migrate`;
  }
  return summary.state === 'missing'
    ? `${target}: created at schema version ${summary.now}`
    : `${target}: schema version ${summary.found} → ${summary.now}`;
}

/**
 * `raretrace migrate`: brings a store up to this release's schema version ahead of time, with progress on
 * stderr, rather than on the first start of a server (where a long step, such as PostgreSQL's lot-header
 * backfill on a large store, delays it). `--check` changes nothing and says, by exit status, whether it is needed:
 * for deployment scripts.
 */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description(
      "Bring a store up to this release's schema version (opening a store does it too; this does it ahead, with progress). A store written by a newer release is refused",
    )
    .option('--db <pathOrUrl>', 'SQLite file or postgres:// URL', defaultDbPath)
    .option(
      '--check',
      'change nothing: exit 0 if the store is at the current version, 1 if it is behind, missing or newer',
    )
    .option('--json', 'print {found, current, state, now, migrated}')
    .action(async (options: { db: string; check?: boolean; json?: boolean }) => {
      const print = (summary: MigrateSummary): void => {
        if (options.json === true) printJson(summary);
        else process.stdout.write(`${describe(summary, storeName(options.db))}\n`);
      };
      // Checking a SQLite path must not create the file.
      if (options.check === true && !isPostgresTarget(options.db) && !existsSync(options.db)) {
        print({ ...schemaStatusOf(0), now: 0, migrated: false });
        process.exitCode = 1;
        return;
      }
      const store = connectStore(options.db);
      try {
        const before = await store.schemaStatus();
        if (options.check === true) {
          print({ ...before, now: before.found, migrated: false });
          if (before.state !== 'current') process.exitCode = 1;
          return;
        }
        // Behind, missing, or newer (which migrate refuses before writing anything).
        if (before.state !== 'current') {
          await store.migrate((message) => process.stderr.write(`raretrace: ${message}\n`));
        }
        const after = await store.schemaStatus();
        print({ ...before, now: after.found, migrated: before.state !== 'current' });
      } finally {
        await store.close();
      }
    });
}
