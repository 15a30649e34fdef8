import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceDir } from '../src/core/conformance.js';
import { storeSchemaVersion } from '../src/store/schema-version.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { document, lot, standardChain, transform } from './helpers/scenario.js';
import { freshSqlite } from './helpers/stores.js';

/** The CLI contract other checks depend on: names, flags, JSON output and exit statuses. */
const root = path.resolve(import.meta.dirname, '..');
// tsx by its path: the CLI runs in a temporary directory, from which a bare `--import tsx` does not resolve.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function cli(args: string[], cwd: string): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', tsx, path.join(root, 'src/cli/run.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, RARETRACE_KEYS: '' },
    timeout: 120_000,
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

describe('raretrace CLI', () => {
  let dir: string;
  let dispose: () => Promise<void>;
  const db = () => path.join(dir, 'cli.db');

  beforeAll(async () => {
    const handle = await freshSqlite();
    await handle.store.close();
    dir = handle.dir;
    dispose = async () => handle.dispose().catch(() => undefined);
  });
  afterAll(async () => dispose());

  it('generate writes NDJSON documents and import --json summarises them', () => {
    const out = path.join(dir, 'world.ndjson');
    expect(
      cli(['generate', '--events', '8000', '--seed', '7', '--format', 'ndjson', '--out', out], dir).status,
    ).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBe(8);
    const result = cli(['import', '--db', db(), '--json', out], dir);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ accepted: 8, rejected: 0, events: 8000 });
    // Importing again records nothing new.
    const again = cli(['import', '--db', db(), '--json', out], dir);
    expect(JSON.parse(again.stdout)).toMatchObject({ accepted: 8, rejected: 0, events: 0, duplicates: 8000 });
  });

  it('import exits non-zero and prints the problem on stderr when a document is rejected', () => {
    const chain = standardChain();
    const good = path.join(dir, 'good.json');
    const bad = path.join(dir, 'bad.json');
    writeFileSync(good, JSON.stringify(chain[0]));
    writeFileSync(
      bad,
      JSON.stringify(
        document([
          transform(
            [{ id: lot('NOT-THERE'), kg: 1 }],
            [{ id: lot('Y'), kg: 1, form: 'metal', composition: { Nd: 1 } }],
          ),
        ]),
      ),
    );
    const result = cli(['import', '--db', path.join(dir, 'second.db'), '--json', good, bad], dir);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ accepted: 1, rejected: 1, events: 1 });
    const problem = JSON.parse(result.stderr.trim().split('\n')[0] as string);
    expect(problem).toMatchObject({ type: 'https://raretrace.dev/problems/unknown-lot', instance: bad });
    expect(problem.errors[0]).toMatchObject({ eventIndex: 0, record: lot('NOT-THERE') });
  });

  it('hash prints one CBV 2.0 event hash per line in document order', () => {
    const vectors = path.join(conformanceDir(), 'epcis-hash');
    const result = cli(['hash', path.join(vectors, 'epcisDocWithVariousEventTypes.jsonld')], dir);
    expect(result.status).toBe(0);
    const expected = readFileSync(path.join(vectors, 'epcisDocWithVariousEventTypes.hashes'), 'utf8')
      .trim()
      .split('\n');
    expect(result.stdout.trim().split('\n')).toEqual(expected.map((l) => l.trim()));
  });

  it('trace and origin answer in JSON for a magnet lot', () => {
    const store = new SqliteStore(db(), { readonly: true });
    const row = store.db
      .prepare(`SELECT id FROM lots WHERE facts LIKE '%"form":"magnet-%' ORDER BY id LIMIT 1`)
      .get() as { id: string } | undefined;
    store.db.close();
    const magnet = row?.id;
    expect(magnet).toBeDefined();
    const up = cli(['trace', '--db', db(), magnet!, '--direction', 'upstream', '--json'], dir);
    expect(up.status, up.stderr).toBe(0);
    const trace = JSON.parse(up.stdout);
    expect(trace.nodes[0].id).toBe(magnet);
    expect(trace.nodes.some((n: { form?: string }) => n.form === 'ore')).toBe(true);
    const origin = cli(['origin', '--db', db(), magnet!, '--json'], dir);
    const summary = JSON.parse(origin.stdout);
    const shares = Object.values(summary.rareEarths.miningByMass as Record<string, number>);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    const missing = cli(['origin', '--db', db(), 'urn:epc:class:lgtin:0.0.NOPE', '--json'], dir);
    expect(missing.status).toBe(1);
    expect(JSON.parse(missing.stderr).type).toBe('https://raretrace.dev/problems/not-found');
  });

  it('checkpoint, receipt, verify-receipt and verify work on the imported log', () => {
    const checkpoint = cli(['checkpoint', '--db', db()], dir);
    expect(checkpoint.stdout.split('\n')[1]).toBe('8000');
    const hash = cli(['hash', path.join(dir, 'good.json')], dir).stdout.trim();
    const receiptFile = path.join(dir, 'receipt.tlog-proof');
    // The standard chain's first document is in second.db, not cli.db: ask for a receipt there.
    const receipt = cli(['receipt', '--db', path.join(dir, 'second.db'), hash], dir);
    expect(receipt.status, receipt.stderr).toBe(0);
    writeFileSync(receiptFile, receipt.stdout);
    const key = cli(['keys', 'show', '--db', path.join(dir, 'second.db')], dir).stdout.trim();
    const verified = cli(['verify-receipt', receiptFile, '--key', key, '--json'], dir);
    expect(verified.status, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, eventHash: hash, seq: 0 });
    const otherKey = cli(['keys', 'show', '--db', db()], dir).stdout.trim();
    expect(cli(['verify-receipt', receiptFile, '--key', otherKey], dir).status).toBe(1);
    const fsck = cli(['verify', '--db', db(), '--json'], dir);
    expect(fsck.status).toBe(0);
    expect(JSON.parse(fsck.stdout)).toMatchObject({ ok: true, treeSize: 8000 });
  });

  it('migrate checks and brings a store up, and every command refuses a store of a newer release', () => {
    const file = path.join(dir, 'migrate.db');
    // --check changes nothing, not even by creating the file.
    const missing = cli(['migrate', '--db', file, '--check', '--json'], dir);
    expect(missing.status).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ found: 0, state: 'missing', migrated: false });
    expect(existsSync(file)).toBe(false);
    const created = cli(['migrate', '--db', file, '--json'], dir);
    expect(created.status, created.stderr).toBe(0);
    const current = storeSchemaVersion;
    expect(JSON.parse(created.stdout)).toMatchObject({ state: 'missing', now: current, migrated: true });
    expect(cli(['migrate', '--db', file, '--check'], dir).status).toBe(0);
    // As a store of version 1.
    const setVersion = (version: string): void => {
      const raw = new Database(file);
      raw.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(version);
      raw.close();
    };
    setVersion('1');
    const behind = cli(['migrate', '--db', file, '--check'], dir);
    expect(behind.status).toBe(1);
    expect(behind.stdout).toContain(`schema version 1, this release writes ${current}`);
    const upgraded = cli(['migrate', '--db', file], dir);
    expect(upgraded.status, upgraded.stderr).toBe(0);
    expect(upgraded.stdout).toContain(`schema version 1 → ${current}`);
    // As a store a newer release wrote: refused by migrate and by a command that opens it.
    setVersion(String(current + 1));
    for (const args of [['migrate'], ['migrate', '--check'], ['trace', 'urn:test:lot']]) {
      const refused = cli([...args, '--db', file], dir);
      expect(refused.status, args.join(' ')).toBe(1);
      if (args.includes('--check')) expect(refused.stdout).toContain(`schema version ${current + 1}`);
      else
        expect(JSON.parse(refused.stderr)).toMatchObject({
          status: 409,
          type: expect.stringContaining('store-version'),
        });
    }
  });

  it('--help names every command of the contract', () => {
    const help = cli(['--help'], dir).stdout;
    for (const command of [
      'serve',
      'demo',
      'import',
      'hash',
      'trace',
      'origin',
      'generate',
      'verify',
      'verify-receipt',
      'checkpoint',
      'witness',
      'simulate',
      'screen',
      'migrate',
    ]) {
      expect(help).toContain(command);
    }
  });
});
