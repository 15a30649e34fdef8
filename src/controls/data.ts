import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { Problem } from '../core/errors.js';
import { type IsoDate, isIsoDate } from './dates.js';

/**
 * Reading control-rule data files. Rules are data (ARCHITECTURE.md, "Rules are data"): versioned YAML or JSON
 * files in data/controls/, each with a `kind`, a `version` and entries that carry a source and an effective
 * date. A malformed file is refused as a whole, naming the field, so that a bad edit never half-applies.
 */

/** Where the shipped data lives: data/controls at the project root (from src/controls or dist/src/controls). */
export function defaultControlsDataDir(): string {
  const fromEnv = process.env.RARETRACE_CONTROLS_DATA;
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'data', 'controls');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Problem('internal', 'data/controls not found; set RARETRACE_CONTROLS_DATA');
}

export interface DataFile {
  readonly file: string;
  readonly kind: string;
  readonly version: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/** Reads every .yaml/.yml/.json file in a directory, sorted by name. */
export function readDataFiles(dir: string): DataFile[] {
  const names = readdirSync(dir)
    .filter((name) => /\.(ya?ml|json)$/.test(name))
    .sort();
  return names.map((name) => parseDataFile(path.join(dir, name), readFileSync(path.join(dir, name), 'utf8')));
}

export function parseDataFile(file: string, text: string): DataFile {
  let body: unknown;
  try {
    body = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Problem('internal', `control data ${file}: not parseable: ${(error as Error).message}`);
  }
  const reader = new Reader(file);
  const object = reader.object(body, '');
  return {
    file,
    kind: reader.string(object, 'kind', ''),
    version: reader.string(object, 'version', ''),
    body: object,
  };
}

/** Field-by-field validation that names the file and JSON pointer of the first fault. */
export class Reader {
  constructor(private readonly file: string) {}

  fail(pointer: string, message: string): never {
    throw new Problem('internal', `control data ${this.file}${pointer}: ${message}`, [
      { field: pointer, message, record: this.file, rule: 'controls-data' },
    ]);
  }

  object(value: unknown, pointer: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(pointer, 'expected an object');
    return value as Record<string, unknown>;
  }

  array(value: unknown, pointer: string): unknown[] {
    if (!Array.isArray(value)) this.fail(pointer, 'expected a list');
    return value;
  }

  string(object: Record<string, unknown>, key: string, pointer: string): string {
    const value = object[key];
    if (typeof value !== 'string' || value === '')
      this.fail(`${pointer}/${key}`, 'expected a non-empty string');
    return value;
  }

  optString(object: Record<string, unknown>, key: string, pointer: string): string | undefined {
    return object[key] === undefined ? undefined : this.string(object, key, pointer);
  }

  number(object: Record<string, unknown>, key: string, pointer: string): number {
    const value = object[key];
    if (typeof value !== 'number' || !Number.isFinite(value))
      this.fail(`${pointer}/${key}`, 'expected a number');
    return value;
  }

  optNumber(object: Record<string, unknown>, key: string, pointer: string): number | undefined {
    return object[key] === undefined ? undefined : this.number(object, key, pointer);
  }

  date(object: Record<string, unknown>, key: string, pointer: string): IsoDate {
    const value = object[key];
    if (!isIsoDate(value)) this.fail(`${pointer}/${key}`, 'expected a YYYY-MM-DD date (quote it in YAML)');
    return value;
  }

  optDate(object: Record<string, unknown>, key: string, pointer: string): IsoDate | undefined {
    return object[key] === undefined ? undefined : this.date(object, key, pointer);
  }

  strings(
    object: Record<string, unknown>,
    key: string,
    pointer: string,
    allowed?: readonly string[],
  ): string[] {
    const list = this.array(object[key] ?? [], `${pointer}/${key}`);
    return list.map((item, i) => {
      if (typeof item !== 'string') this.fail(`${pointer}/${key}/${i}`, 'expected a string');
      if (allowed !== undefined && !allowed.includes(item)) {
        this.fail(`${pointer}/${key}/${i}`, `unknown value ${item}`);
      }
      return item;
    });
  }

  oneOf<T extends string>(
    object: Record<string, unknown>,
    key: string,
    pointer: string,
    allowed: readonly T[],
  ): T {
    const value = this.string(object, key, pointer);
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(`${pointer}/${key}`, `expected one of ${allowed.join(', ')}`);
    }
    return value as T;
  }
}

/** A window during which a rule that is in force does not apply (both ends inclusive). */
export interface Suspension {
  readonly from: IsoDate;
  readonly until: IsoDate;
  readonly source: string;
}

export function readSuspensions(
  reader: Reader,
  object: Record<string, unknown>,
  pointer: string,
): Suspension[] {
  return reader.array(object.suspensions ?? [], `${pointer}/suspensions`).map((raw, i) => {
    const at = `${pointer}/suspensions/${i}`;
    const s = reader.object(raw, at);
    const from = reader.date(s, 'from', at);
    const until = reader.date(s, 'until', at);
    if (until < from) reader.fail(at, 'suspension ends before it starts');
    return { from, until, source: reader.string(s, 'source', at) };
  });
}

/** How a dated rule stands on a day. */
export type RuleStanding = 'not-yet-effective' | 'in-force' | 'suspended' | 'expired';

export function standingOn(
  asOf: IsoDate,
  effective: IsoDate,
  suspensions: readonly Suspension[],
  expires?: IsoDate,
): { standing: RuleStanding; suspension?: Suspension } {
  if (asOf < effective) return { standing: 'not-yet-effective' };
  if (expires !== undefined && asOf > expires) return { standing: 'expired' };
  for (const suspension of suspensions) {
    if (asOf >= suspension.from && asOf <= suspension.until) return { standing: 'suspended', suspension };
  }
  return { standing: 'in-force' };
}
