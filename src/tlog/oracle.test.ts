/**
 * Cross-check against an implementation nobody on this project wrote: golang.org/x/mod/sumdb/tlog and note
 * (testdata/go-oracle/main.go). Skipped unless `go` and golang.org/x/mod (GOPATH mode, Debian packages
 * golang-go + golang-golang-x-mod-dev) are installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { signCheckpoint } from './checkpoint.js';
import { generateKey, parseSignerKey } from './note.js';
import { MemoryTileStore, tileKey, tilePath } from './tiles.js';

const GOPATH_SYSTEM = '/usr/share/gocode';
const haveGo =
  spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0 &&
  existsSync(path.join(GOPATH_SYSTEM, 'src/golang.org/x/mod/sumdb/tlog'));

describe.skipIf(!haveGo)('Go oracle (golang.org/x/mod/sumdb)', () => {
  it('re-derives every tile, opens every checkpoint, checks and regenerates every proof', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'raretrace-oracle-'));
    try {
      const out = path.join(work, 'log');
      const N = 70_123; // three tile levels, partial tiles on each
      const store = new MemoryTileStore();
      const entries = Array.from({ length: N }, (_, i) => Buffer.from(`entry ${i} ${'x'.repeat(i % 50)}`));
      for (let i = 0; i < N; i += 3_000) store.appendEntries(entries.slice(i, i + 3_000));
      for (const key of store.tiles.keys()) {
        const [l, n] = key.split('/').map(Number) as [number, number];
        const data = store.tiles.get(tileKey(l, n)) as Uint8Array;
        const p = path.join(out, tilePath(l, n, data.length / 32));
        mkdirSync(path.dirname(p), { recursive: true });
        writeFileSync(p, data);
      }
      writeFileSync(path.join(out, 'entries.json'), JSON.stringify(entries.map((e) => e.toString('base64'))));
      const key = generateKey('raretrace.example/oracle');
      const signer = parseSignerKey(key.signerKey);
      const sizes = [1, 2, 255, 256, 257, 1000, 65535, 65536, 65537, 70000, N];
      const b64 = (hs: Uint8Array[]): string[] => hs.map((h) => Buffer.from(h).toString('base64'));
      const origin = 'raretrace.example/oracle';
      const data = {
        vkey: key.verifierKey,
        N,
        tiles: store.tiles.size,
        checkpoints: sizes.map((n) => ({
          size: n,
          note: signCheckpoint({ origin, size: n, root: store.tree.root(n) }, [signer]),
        })),
        incl: sizes.flatMap((n) =>
          [0, Math.floor(n / 3), n - 1].map((i) => ({
            index: i,
            size: n,
            proof: b64(store.tree.inclusionProof(i, n)),
          })),
        ),
        cons: sizes.flatMap((m) =>
          sizes.filter((n) => m < n).map((n) => ({ m, n, proof: b64(store.tree.consistencyProof(m, n)) })),
        ),
      };
      writeFileSync(path.join(out, 'data.json'), JSON.stringify(data));
      const src = path.join(work, 'go', 'src', 'oracle');
      mkdirSync(src, { recursive: true });
      const here = path.dirname(fileURLToPath(import.meta.url));
      copyFileSync(path.join(here, 'testdata', 'go-oracle', 'main.go'), path.join(src, 'main.go'));
      const output = execFileSync('go', ['run', 'oracle', out], {
        cwd: path.join(work, 'go'),
        env: {
          ...process.env,
          GO111MODULE: 'off',
          GOPATH: `${path.join(work, 'go')}:${GOPATH_SYSTEM}`,
          GOCACHE: path.join(work, 'gocache'),
        },
        encoding: 'utf8',
      });
      expect(output).toContain(`tiles compared: ${store.tiles.size} (ours: ${store.tiles.size})`);
      expect(output).toContain(`checkpoints 11, inclusion 33, consistency 55, failures 0`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
