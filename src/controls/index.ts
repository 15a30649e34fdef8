/**
 * Controls: total-quantity quotas, export-control screening and licences, end-use certificates, importer
 * compliance and penalties. Rules are data (data/controls/*.yaml); the engines are pure and answer "as of"
 * a date; the ledger is read through the narrow `ControlsLedger` port (ports.ts).
 */
export * from './certificates.js';
export * from './compliance.js';
export * from './data.js';
export * from './dates.js';
export * from './export-rules.js';
export { buildMagnetChain, FakeLedger, type LedgerSnapshot } from './fake-ledger.js';
export * from './licences.js';
export * from './penalties.js';
export * from './ports.js';
export * from './quotas.js';
export * from './rules.js';
export * from './screening.js';
export { type StoreLedgerOptions, storeControlsLedger } from './store-ledger.js';
