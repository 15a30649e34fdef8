import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conformanceDir } from '../core/conformance.js';
import {
  consistencyProofFromLeafHashes,
  emptyRoot,
  inclusionPathFromLeafHashes,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsonFiles(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

/** JSON.parse loses precision on 2^64−1: quote every integer of the size/index fields before parsing. */
function parseExact(text: string): Record<string, unknown> {
  return JSON.parse(text.replace(/"(leafIdx|treeSize|size1|size2)"\s*:\s*(\d+)/g, '"$1":"$2"')) as Record<
    string,
    unknown
  >;
}

const proofOf = (v: unknown): Uint8Array[] | null => (v === null ? null : (v as string[]).map(b64));

describe('RFC 6962 hasher (transparency-dev/merkle rfc6962_test.go vectors)', () => {
  it('empty root, empty leaf, HashLeaf, HashChildren', () => {
    expect(hex(emptyRoot())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(leafHash(new Uint8Array(0)))).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(hex(leafHash(Buffer.from('L123456')))).toBe(
      '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
    );
    expect(hex(nodeHash(Buffer.from('N123'), Buffer.from('N456')))).toBe(
      'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    );
  });

  it('roots of the testonly 8-leaf tree (constants.go)', () => {
    const inputs = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ];
    const leaves = inputs.map((h) => leafHash(Buffer.from(h, 'hex')));
    expect(hex(rootFromLeafHashes(leaves))).toBe(
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    );
    expect(hex(rootFromLeafHashes(leaves.slice(0, 3)))).toMatch(/^aeb6bcfe.*6e77$/);
  });
});

describe('conformance: merkle/inclusion', () => {
  const files = jsonFiles(path.join(conformanceDir(), 'merkle', 'inclusion'));
  it('has the 98 cases', () => expect(files.length).toBe(98));
  for (const file of files) {
    const c = parseExact(readFileSync(file, 'utf8'));
    const name = path.relative(conformanceDir(), file);
    it(`${name} (${c.wantErr ? 'refused' : 'verifies'})`, () => {
      const ok = verifyInclusion(
        BigInt(c.leafIdx as string),
        BigInt(c.treeSize as string),
        b64(c.leafHash as string),
        proofOf(c.proof),
        b64(c.root as string),
      );
      expect(ok).toBe(!c.wantErr);
    });
  }
});

describe('conformance: merkle/consistency', () => {
  const files = jsonFiles(path.join(conformanceDir(), 'merkle', 'consistency'));
  it('has the 98 cases', () => expect(files.length).toBe(98));
  for (const file of files) {
    const c = parseExact(readFileSync(file, 'utf8'));
    const name = path.relative(conformanceDir(), file);
    it(`${name} (${c.wantErr ? 'refused' : 'verifies'})`, () => {
      const ok = verifyConsistency(
        BigInt(c.size1 as string),
        BigInt(c.size2 as string),
        proofOf(c.proof),
        b64(c.root1 as string),
        b64(c.root2 as string),
      );
      expect(ok).toBe(!c.wantErr);
    });
  }
});

describe('reference proofs', () => {
  const leaves = (n: number): Uint8Array[] =>
    Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));

  it('RFC 6962 §2.1.3 worked example shapes (7 leaves)', () => {
    const d = leaves(7);
    expect(inclusionPathFromLeafHashes(0, d)).toHaveLength(3);
    expect(inclusionPathFromLeafHashes(6, d)).toHaveLength(2);
    expect(consistencyProofFromLeafHashes(3, d)).toHaveLength(4);
    expect(consistencyProofFromLeafHashes(4, d)).toHaveLength(1);
    expect(consistencyProofFromLeafHashes(6, d)).toHaveLength(3);
  });

  it('exhaustive generate-then-verify for all m ≤ n ≤ 40, numbers and bigints', () => {
    const all = leaves(40);
    for (let n = 1; n <= 40; n++) {
      const d = all.slice(0, n);
      const root = rootFromLeafHashes(d);
      for (let i = 0; i < n; i++) {
        const p = inclusionPathFromLeafHashes(i, d);
        expect(verifyInclusion(i, n, d[i] as Uint8Array, p, root)).toBe(true);
        expect(verifyInclusion(BigInt(i), BigInt(n), d[i] as Uint8Array, p, root)).toBe(true);
        if (n > 1) expect(verifyInclusion(i, n, d[(i + 1) % n] as Uint8Array, p, root)).toBe(false);
      }
      for (let m = 1; m <= n; m++) {
        const p = consistencyProofFromLeafHashes(m, d);
        const r1 = rootFromLeafHashes(d.slice(0, m));
        expect(verifyConsistency(m, n, p, r1, root)).toBe(true);
        if (m < n) expect(verifyConsistency(m, n, p, root, r1)).toBe(false);
      }
    }
  });

  it('property: mutating any proof byte or length is refused', () => {
    const all = leaves(300);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
        const d = all.slice(0, n);
        const root = rootFromLeafHashes(d);
        const i = a % n;
        const p = inclusionPathFromLeafHashes(i, d);
        const bad = p.map((h) => new Uint8Array(h));
        const which = b % bad.length;
        const target = bad[which] as Uint8Array;
        target[b % 32] = (target[b % 32] as number) ^ (1 << (b % 8));
        expect(verifyInclusion(i, n, d[i] as Uint8Array, bad, root)).toBe(false);
        expect(verifyInclusion(i, n, d[i] as Uint8Array, p.slice(1), root)).toBe(false);
        expect(verifyInclusion(i, n, d[i] as Uint8Array, [...p, root], root)).toBe(false);
        const m = 1 + (b % (n - 1));
        const cp = consistencyProofFromLeafHashes(m, d);
        const r1 = rootFromLeafHashes(d.slice(0, m));
        expect(verifyConsistency(m, n, cp, r1, root)).toBe(true);
        expect(verifyConsistency(m, n, cp.slice(0, -1), r1, root)).toBe(false);
        expect(verifyConsistency(m, n, [...cp, root], r1, root)).toBe(false);
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it('malformed inputs are refused, not thrown', () => {
    const h = leafHash(new Uint8Array(0));
    expect(verifyInclusion(-1, 1, h, [], h)).toBe(false);
    expect(verifyInclusion(0.5, 1, h, [], h)).toBe(false);
    expect(verifyInclusion(0, 1, h, null, h)).toBe(true);
    expect(verifyInclusion(0, 2n ** 64n, h, null, h)).toBe(false);
    expect(verifyConsistency(0, 0, [], emptyRoot(), emptyRoot())).toBe(false);
  });
});
