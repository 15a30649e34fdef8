import { ControlsCaptureGuard } from './controls/capture-guard.js';
import {
  InMemoryLicenceRepository,
  type LicenceRepository,
  SqliteLicenceRepository,
} from './controls/licences.js';
import type { ControlsLedger } from './controls/ports.js';
import { PostgresLicenceRepository, PostgresViolationRepository } from './controls/postgres-repositories.js';
import { loadControlRules } from './controls/rules.js';
import { storeControlsLedger } from './controls/store-ledger.js';
import {
  InMemoryViolationRepository,
  SqliteViolationRepository,
  type ViolationRepository,
} from './controls/violations.js';
import { Ledger } from './ledger/capture.js';
import { operatorActor } from './ledger/decide.js';
import { createLogService, type LogService } from './ledger/log-service.js';
import { PreparePool } from './ledger/prepare-pool.js';
import { openStore } from './store/open.js';
import { PostgresStore } from './store/postgres/postgres-store.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import type { Store } from './store/store.js';

/** The default embedded store, used when --db is not given. */
export const defaultDbPath = 'raretrace.db';

export interface Runtime {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly log: LogService;
  /** The controls' read port over the same store. */
  readonly controlsLedger: ControlsLedger;
  /** Export licences, in the store's own database (SQLite or PostgreSQL). */
  readonly licences: LicenceRepository;
  /** Control violations recorded at capture, in the store's own database. */
  readonly violations: ViolationRepository;
  /** The capture guard the ledger runs (quotas, export licences); undefined without quotas.yaml. */
  readonly guard: ControlsCaptureGuard | undefined;
  close(): Promise<void>;
}

/** Licences and violations in the store's own database, so that they live as long as the ledger does. */
async function controlsRepositories(
  store: Store,
): Promise<{ licences: LicenceRepository; violations: ViolationRepository }> {
  if (store instanceof SqliteStore) {
    return {
      licences: new SqliteLicenceRepository(store.db),
      violations: new SqliteViolationRepository(store.db),
    };
  }
  if (store instanceof PostgresStore) {
    return {
      licences: await PostgresLicenceRepository.open(store.pool),
      violations: await PostgresViolationRepository.open(store.pool),
    };
  }
  // A store of another kind (none ships): the controls keep their records in memory.
  return { licences: new InMemoryLicenceRepository(), violations: new InMemoryViolationRepository() };
}

/**
 * Opens a store, its log (keys from --keys or RARETRACE_KEYS) and a ledger over both. The ledger enforces the
 * control rules in data/controls (RARETRACE_CONTROLS_DATA) through the controls' capture guard.
 */
export async function openRuntime(
  db: string,
  options: { keysDir?: string; log?: boolean; bulk?: boolean } = {},
): Promise<Runtime> {
  // Bulk import: SQLite writes on a writer thread and documents are validated and hashed on a prepare thread,
  // so that the capture thread only parses and decides (Ledger.captureBatch).
  const store = await openStore(db, { writerThread: options.bulk === true });
  const prepare = options.bulk === true ? new PreparePool(1) : undefined;
  const log = await createLogService(store, { keysDir: options.keysDir, dbPath: db });
  const { licences, violations } = await controlsRepositories(store);
  const guard = ControlsCaptureGuard.fromRules(loadControlRules(), { licences, violations });
  // Records of captures appended before a crash but not yet written (the guard's outbox): written first.
  await guard?.recover(store);
  const ledger = new Ledger(store, {
    log: options.log === false ? undefined : log.writer,
    clock: () => Date.now(),
    ...(guard === undefined ? {} : { guard }),
    ...(prepare === undefined ? {} : { prepare }),
  });
  return {
    store,
    ledger,
    log,
    controlsLedger: storeControlsLedger(store),
    licences,
    violations,
    guard,
    close: async () => {
      await prepare?.close();
      await log.close();
      await store.close();
    },
  };
}

export { operatorActor };
