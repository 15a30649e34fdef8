import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
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

// The official GS1 schema is "use for testing only": here it serves as an independent second opinion on the
// same conformance documents, compiled with the tooling GS1's own validate.sh uses (ajv + ajv-formats).
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

describe('agreement with the official GS1 EPCIS 2.0 JSON schema', () => {
  const official = new Ajv({ strict: false, allErrors: false });
  addFormats(official);
  const schema: unknown = JSON.parse(
    readFileSync(path.join(root, 'epcis-valid', 'EPCIS-JSON-Schema.json'), 'utf8'),
  );
  const gs1 = official.compile(schema as Record<string, unknown>);

  it('accepts every valid document and rejects every invalid one, as we do', () => {
    for (const file of validDocs) expect(gs1(JSON.parse(readFileSync(file, 'utf8'))), file).toBe(true);
    for (const file of invalidDocs) expect(gs1(JSON.parse(readFileSync(file, 'utf8'))), file).toBe(false);
  });
});
