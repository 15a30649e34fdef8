import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformanceDir } from '../core/conformance.js';
import { isProblem, type Problem } from '../core/errors.js';
import { parseCaptureBody } from './parse.js';
import { validateDocument } from './validate.js';

function listJson(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listJson(full));
    else if (name.endsWith('.json') || name.endsWith('.jsonld')) out.push(full);
  }
  return out.sort();
}

/** The JSON-schema files shipped beside the examples are not EPCIS documents. */
function isSchemaFile(file: string): boolean {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  return typeof parsed === 'object' && parsed !== null && '$schema' in parsed;
}

function rejection(run: () => void): Problem | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    if (isProblem(err)) return err;
    throw err;
  }
}

const root = conformanceDir();
const validDocs = listJson(path.join(root, 'epcis-valid')).filter((f) => !isSchemaFile(f));
const invalidDocs = listJson(path.join(root, 'epcis-invalid'));

describe('conformance: every document in epcis-valid/ is accepted', () => {
  it('has documents', () => expect(validDocs.length).toBeGreaterThan(0));
  for (const file of validDocs) {
    it(path.relative(root, file), () => {
      const input = parseCaptureBody(readFileSync(file));
      const problem = rejection(() => validateDocument(input.document));
      expect(problem?.issues ?? []).toEqual([]);
    });
  }
});

describe('conformance: every document in epcis-invalid/ is rejected, naming event and field', () => {
  it('has documents', () => expect(invalidDocs.length).toBeGreaterThan(0));
  for (const file of invalidDocs) {
    it(path.relative(root, file), () => {
      const input = parseCaptureBody(readFileSync(file));
      const problem = rejection(() => validateDocument(input.document));
      expect(problem).toBeDefined();
      expect(['schema-violation', 'vocabulary-violation']).toContain(problem?.kind);
      const located = (problem?.issues ?? []).filter(
        (i) => i.eventIndex !== undefined && i.field?.startsWith(input.eventPointer(i.eventIndex)),
      );
      expect(located.length).toBeGreaterThan(0);
    });
  }
});
