import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformanceDir } from '../core/conformance.js';
import { Problem } from '../core/errors.js';
import {
  assertConsistentCheckpoints,
  type Checkpoint,
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  signNextCheckpoint,
} from './checkpoint.js';
import { emptyRoot } from './merkle.js';
import { parseSignerKey, parseVerifierKey } from './note.js';
import { MemoryTileStore } from './tiles.js';

const dir = path.join(conformanceDir(), 'tiled-log');
const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
const signerKey = /PRIVATE\+KEY\+\S+/.exec(readme)![0].replace(/`$/, '');
const verifierKey = /verifier key: `([^`]+)`/.exec(readme)![1]!;
const words = 'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'.split(
  ' ',
);

const kind = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof Problem) return e.kind;
    throw e;
  }
};

describe('conformance: tiled-log checkpoints', () => {
  const verifier = parseVerifierKey(verifierKey);
  const names = ['checkpoint', ...Array.from({ length: 16 }, (_, i) => `checkpoint.${i}`)];

  for (const name of names) {
    it(`${name} verifies with the README key`, () => {
      const note = readFileSync(path.join(dir, name), 'utf8');
      const { checkpoint } = openCheckpoint(note, [verifier], { origin: 'example.com/log/testdata' });
      if (name !== 'checkpoint') expect(checkpoint.size).toBe(Number(name.split('.')[1]));
      expect(formatCheckpoint(checkpoint)).toBe(note.slice(0, note.lastIndexOf('\n\n') + 1));
    });
  }

  it('our writer with the README key produces the same checkpoints', () => {
    const signer = parseSignerKey(signerKey);
    const store = new MemoryTileStore();
    let previous: Checkpoint | undefined;
    for (let n = 0; n <= 15; n++) {
      if (n > 0) store.appendEntries([Buffer.from(words[n - 1]!)]);
      const cp: Checkpoint = { origin: 'example.com/log/testdata', size: n, root: store.tree.root(n) };
      const proof = previous === undefined ? [] : store.tree.consistencyProof(previous.size, n);
      const note = signNextCheckpoint(previous, cp, proof, [signer]);
      const theirs = readFileSync(path.join(dir, `checkpoint.${n}`), 'utf8');
      // First three lines identical (README); Ed25519 is deterministic, so the signature is too.
      expect(note.split('\n').slice(0, 3)).toEqual(theirs.split('\n').slice(0, 3));
      expect(note).toBe(theirs);
      previous = cp;
    }
  });
});

describe('checkpoint format', () => {
  const root = new Uint8Array(32).fill(7);
  it('round-trips with extension lines', () => {
    const cp = { origin: 'raretrace.example/log', size: 12345, root, extensions: ['ext one'] };
    const text = formatCheckpoint(cp);
    expect(text).toBe(`raretrace.example/log\n12345\n${Buffer.from(root).toString('base64')}\next one\n`);
    expect(parseCheckpoint(text)).toEqual(cp);
  });

  it('refuses malformed bodies', () => {
    const r = Buffer.from(root).toString('base64');
    for (const bad of [
      `o\n01\n${r}\n`,
      `o\n-1\n${r}\n`,
      `o\n1\n${r}`,
      `o\n1\n`,
      `\n1\n${r}\n`,
      `o\n1\n${r.slice(0, -4)}\n`,
      `o\n1\n${r}\n\n`,
      `o\n99999999999999999999\n${r}\n`,
    ]) {
      expect(
        kind(() => parseCheckpoint(bad)),
        JSON.stringify(bad),
      ).toBe('tlog-malformed');
    }
  });

  it('openCheckpoint refuses another origin', () => {
    const note = readFileSync(path.join(dir, 'checkpoint'), 'utf8');
    expect(kind(() => openCheckpoint(note, [parseVerifierKey(verifierKey)], { origin: 'other' }))).toBe(
      'tlog-unknown-log',
    );
  });
});

describe('consistency guard', () => {
  const store = new MemoryTileStore();
  store.appendEntries(words.map((w) => Buffer.from(w)));
  const at = (n: number, origin = 'o'): Checkpoint => ({ origin, size: n, root: store.tree.root(n) });

  it('accepts consistent pairs', () => {
    expect(() => assertConsistentCheckpoints(at(0), at(15), [])).not.toThrow();
    expect(() => assertConsistentCheckpoints(at(7), at(7), [])).not.toThrow();
    expect(() =>
      assertConsistentCheckpoints(at(3), at(15), store.tree.consistencyProof(3, 15)),
    ).not.toThrow();
  });

  it('refuses forks, shrinking, wrong origin, bad empty roots', () => {
    const forked: Checkpoint = { origin: 'o', size: 15, root: at(14).root };
    expect(kind(() => assertConsistentCheckpoints(at(3), forked, store.tree.consistencyProof(3, 15)))).toBe(
      'tlog-fork',
    );
    expect(kind(() => assertConsistentCheckpoints(at(15), at(3), []))).toBe('tlog-fork');
    expect(
      kind(() => assertConsistentCheckpoints(at(3), at(15, 'p'), store.tree.consistencyProof(3, 15))),
    ).toBe('tlog-fork');
    expect(kind(() => assertConsistentCheckpoints(at(7), { ...at(7), root: at(8).root }, []))).toBe(
      'tlog-fork',
    );
    expect(
      kind(() => assertConsistentCheckpoints({ origin: 'o', size: 0, root: at(1).root }, at(1), [])),
    ).toBe('tlog-fork');
    expect(kind(() => assertConsistentCheckpoints(at(0), at(4), [emptyRoot()]))).toBe('tlog-fork');
    const signer = parseSignerKey(signerKey);
    expect(kind(() => signNextCheckpoint(at(3), forked, [], [signer]))).toBe('tlog-fork');
    expect(signCheckpoint(at(3), [signer])).toContain('\u2014 example.com/log/testdata ');
  });
});
