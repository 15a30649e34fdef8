import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerControlsCommands } from '../cli/commands/controls.js';
import { buildMagnetChain, FakeLedger } from './fake-ledger.js';

const examples = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'data',
  'controls',
  'examples',
);

async function run(args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    const program = new Command();
    program.exitOverride();
    registerControlsCommands(program);
    await program.parseAsync(['node', 'raretrace', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : undefined;
  process.exitCode = undefined;
  return { out, err, code };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('raretrace controls CLI', () => {
  it('screen FILE --as-of moves the answer across the No. 18 date', async () => {
    const file = path.join(examples, 'screen-dy-oxide.json');
    expect((await run(['screen', file, '--json'])).out).toContain('"outcome": "licence-required"');
    expect((await run(['screen', file, '--as-of', '2025-04-03', '--json'])).out).toContain(
      '"outcome": "not-controlled"',
    );
    expect((await run(['screen', file])).out).toMatch(/CN-2025-18\/1C905/);
  });

  it('screen with a BOM: 0.45 % Chinese Dy by value needs a licence after the suspension, not during it', async () => {
    const file = path.join(examples, 'screen-magnet-bom.json');
    expect((await run(['screen', file, '--json'])).out).toContain('"outcome": "licence-required"');
    expect((await run(['screen', file, '--as-of', '2026-11-10', '--json'])).out).toContain(
      '"outcome": "not-controlled"',
    );
  });

  it('bad input is a problem detail on stderr with a failing exit code', async () => {
    const r = await run(['screen', path.join(examples, 'screen-dy-oxide.json'), '--as-of', '2025-02-30']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.err).type).toBe('https://raretrace.dev/problems/bad-request');
  });

  it('penalty, compliance and quota-report on a snapshot', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'raretrace-controls-'));
    const ledger = new FakeLedger();
    buildMagnetChain(ledger, 'cn', { mine: 'CN', separation: 'CN', metal: 'CN', magnet: 'JP', motor: 'DE' });
    ledger.addFact({
      eventTime: Date.UTC(2025, 0, 5),
      kind: 'mining',
      partyId: 'party:CN',
      locationId: 'x',
      lotIds: ['cn:ore'],
      massMg: 1e9,
      elementMassesMg: { Nd: 1e7 },
    });
    const snapshot = path.join(dir, 'ledger.json');
    writeFileSync(snapshot, JSON.stringify(ledger.toSnapshot()));
    const p = await run(['penalty', 'over-quota', '--as-of', '2025-08-01', '--basis', '2000000']);
    expect(JSON.parse(p.out).enterpriseTotal).toEqual({ minCny: 10_000_000, maxCny: 20_000_000 });
    const d = await run(['compliance', 'dfars', snapshot, '--lot', 'cn:motor', '--as-of', '2027-01-01']);
    expect(JSON.parse(d.out).status).toBe('non-compliant');
    expect(d.code).toBe(3);
    const before = await run(['compliance', 'dfars', snapshot, '--lot', 'cn:motor', '--as-of', '2026-12-31']);
    expect(JSON.parse(before.out).status).toBe('compliant');
    const c = await run(['compliance', 'crma', snapshot, '--as-of', '2025-06-01', '--lot', 'cn:motor']);
    expect(JSON.parse(c.out).stages[0].largestThirdCountry).toBe('CN');
    const q = await run(['quota-report', snapshot, '--party', 'party:CN', '--month', '2025-01', '--csv']);
    expect(q.out.split('\n')[0]).toMatch(/^enterprise,month,seq/);
    expect(q.out).toContain('mining');
  });
});
