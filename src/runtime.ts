import type { ControlsLedger } from './controls/ports.js';
import { storeControlsLedger } from './controls/store-ledger.js';
import { Ledger } from './ledger/capture.js';
import { operatorActor } from './ledger/decide.js';
import { createLogService, type LogService } from './ledger/log-service.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';

/** The default embedded store, used when --db is not given. */
export const defaultDbPath = 'raretrace.db';

export interface Runtime {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly log: LogService;
  /** The controls' read port over the same store. */
  readonly controlsLedger: ControlsLedger;
  close(): Promise<void>;
}

/** Opens a store, its log (keys from --keys or RARETRACE_KEYS) and a ledger over both. */
export async function openRuntime(
  db: string,
  options: { keysDir?: string; log?: boolean } = {},
): Promise<Runtime> {
  const store = await openStore(db);
  const log = await createLogService(store, { keysDir: options.keysDir, dbPath: db });
  const ledger = new Ledger(store, {
    log: options.log === false ? undefined : log.writer,
    clock: () => Date.now(),
  });
  return {
    store,
    ledger,
    log,
    controlsLedger: storeControlsLedger(store),
    close: async () => {
      await log.close();
      await store.close();
    },
  };
}

export { operatorActor };
