import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type NdjsonLine, ndjsonLines } from './ndjson-lines.js';

const dir = mkdtempSync(path.join(tmpdir(), 'raretrace-ndjson-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function read(content: string | Buffer, max = 1 << 20, chunk = 1 << 20): Promise<NdjsonLine[]> {
  const file = path.join(dir, `f${files++}.ndjson`);
  writeFileSync(file, content);
  const out: NdjsonLine[] = [];
  for await (const line of ndjsonLines(file, max, chunk)) out.push(line);
  return out;
}

describe('NDJSON lines', () => {
  it('splits at LF, drops the CR of CRLF, keeps a last line without a break, and counts bytes', async () => {
    const lines = await read('{"a":1}\r\n\n{"b":"é"}\n{"c":3}');
    expect(lines).toEqual([
      { text: '{"a":1}', number: 1, bytesDone: 9 },
      { text: '', number: 2, bytesDone: 10 },
      { text: '{"b":"é"}', number: 3, bytesDone: 21 },
      { text: '{"c":3}', number: 4, bytesDone: 28 },
    ]);
  });

  it('reads any text back line for line, whatever the chunk size (characters split across chunks)', async () => {
    const lineText = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''));
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineText, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 17 }),
        async (texts, crlf, trailing, chunk) => {
          const content = texts.join(crlf ? '\r\n' : '\n') + (trailing ? '\n' : '');
          const lines = await read(content, 1 << 20, chunk);
          // A trailing break ends the last line; it does not start an empty one.
          const expected = trailing || texts.at(-1) !== '' ? texts : texts.slice(0, -1);
          expect(lines.map((l) => ('text' in l ? l.text : undefined))).toEqual(expected);
          expect(lines.at(-1)?.bytesDone ?? 0).toBe(Buffer.byteLength(content));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('skips a line longer than the limit unread, names it, and goes on with the next', async () => {
    const long = 'x'.repeat(100);
    const lines = await read(`{"a":1}\n${long}\n{"b":2}\n${long}`, 50, 7);
    expect(lines).toEqual([
      { text: '{"a":1}', number: 1, bytesDone: 8 },
      { tooLarge: 100, number: 2, bytesDone: 109 },
      { text: '{"b":2}', number: 3, bytesDone: 117 },
      { tooLarge: 100, number: 4, bytesDone: 217 },
    ]);
  });
});
