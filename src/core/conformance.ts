import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the external conformance data lives. Tests read it from `../shared/conformance` relative to the
 * project root; RARETRACE_CONFORMANCE overrides the path.
 */
export function conformanceDir(): string {
  const fromEnv = process.env.RARETRACE_CONFORMANCE;
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/core or dist/core → project root is two levels up.
  const root = path.resolve(here, '..', '..');
  const candidate = path.resolve(root, '..', 'shared', 'conformance');
  if (!existsSync(candidate)) {
    throw new Error(`conformance data not found at ${candidate}; set RARETRACE_CONFORMANCE`);
  }
  return candidate;
}
