import { type ImporterComplianceRules, loadImporterCompliance } from './compliance.js';
import { type DataFile, defaultControlsDataDir, readDataFiles } from './data.js';
import {
  type ExportControlData,
  type ListedParty,
  loadExportControlData,
  loadPartyLists,
} from './export-rules.js';
import { type LicensingRules, loadLicensingRules } from './licences.js';
import { loadPenaltyRules, type PenaltyRule } from './penalties.js';
import { loadQuotaConfig, type QuotaConfig } from './quotas.js';

/** Every control-rule data set, loaded and validated together. */
export interface ControlRules {
  readonly files: readonly { readonly file: string; readonly kind: string; readonly version: string }[];
  readonly exportControls: ExportControlData;
  readonly listedParties: readonly ListedParty[];
  readonly penalties: readonly PenaltyRule[];
  readonly importer: ImporterComplianceRules | undefined;
  readonly quotas: QuotaConfig | undefined;
  readonly licensing: LicensingRules | undefined;
}

export function buildControlRules(files: readonly DataFile[]): ControlRules {
  return {
    files: files.map(({ file, kind, version }) => ({ file, kind, version })),
    exportControls: loadExportControlData(files),
    listedParties: loadPartyLists(files),
    penalties: loadPenaltyRules(files),
    importer: loadImporterCompliance(files),
    quotas: loadQuotaConfig(files),
    licensing: loadLicensingRules(files),
  };
}

/** Loads data/controls (or `dir`): every file is validated; a fault anywhere refuses the whole set. */
export function loadControlRules(dir: string = defaultControlsDataDir()): ControlRules {
  return buildControlRules(readDataFiles(dir));
}
