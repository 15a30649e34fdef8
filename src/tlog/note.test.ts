import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformanceDir } from '../core/conformance.js';
import { Problem } from '../core/errors.js';
import {
  addSignatures,
  computeKeyId,
  decodeVerifierKey,
  formatKeyId,
  generateKey,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from './note.js';

interface Vectors {
  sign: Array<{ privateKey: string; verifierKey: string; text: string; signatureLine: string }>;
  verify: Array<{ verifierKey: string; note: string; valid: boolean; source: string }>;
}

const vectors = JSON.parse(
  readFileSync(path.join(conformanceDir(), 'signed-note', 'vectors.json'), 'utf8'),
) as Vectors;

const kind = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof Problem) return e.kind;
    throw e;
  }
};

describe('conformance: signed-note/vectors.json', () => {
  for (const [i, v] of vectors.sign.entries()) {
    it(`sign case ${i} reproduced byte for byte`, () => {
      const signer = parseSignerKey(v.privateKey);
      const note = signNote(v.text, [signer]);
      expect(note).toBe(`${v.text}\n${v.signatureLine}\n`);
      expect(openNote(note, [parseVerifierKey(v.verifierKey)]).verified).toHaveLength(1);
    });
  }
  for (const [i, v] of vectors.verify.entries()) {
    it(`verify case ${i}: ${v.source} (${v.valid ? 'valid' : 'invalid'})`, () => {
      const verifier = parseVerifierKey(v.verifierKey);
      if (v.valid) expect(openNote(v.note, [verifier]).verified).toHaveLength(1);
      else expect(kind(() => openNote(v.note, [verifier]))).toBe('tlog-bad-signature');
    });
  }
});

describe('signed-note rules', () => {
  const peter = vectors.sign[0]!;
  const peterSigner = parseSignerKey(peter.privateKey);
  const peterVerifier = parseVerifierKey(peter.verifierKey);
  const enoch = vectors.verify.find((v) => v.verifierKey.startsWith('EnochRoot'))!;
  const enochVerifier = parseVerifierKey(enoch.verifierKey);

  it('key ids: SHA-256(name || \\n || type || key)[:4]', () => {
    const k = decodeVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
    expect(formatKeyId(computeKeyId(k.name, k.type, k.publicKey))).toBe('530d903a');
    // base64 with '+' inside: only the first two '+' separate fields.
    expect(
      decodeVerifierKey('sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8').name,
    ).toBe('sum.golang.org');
  });

  it('mangled keys are refused', () => {
    for (const bad of [
      'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // wrong id
      'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T', // bad base64
      'PeterNeumann+c74f20a3', // missing key
      'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // space in name
      '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // empty name
    ]) {
      expect(
        kind(() => parseVerifierKey(bad)),
        bad,
      ).toBe('tlog-malformed');
    }
    expect(kind(() => parseSignerKey(peter.privateKey.replace('c74f20a3', 'c74f20a4')))).toBe(
      'tlog-malformed',
    );
  });

  it('unknown signers are ignored; a known signer with a bad signature rejects; no known signer rejects', () => {
    const both = addSignatures(enoch.note, parseNote(signNote(peter.text, [peterSigner])).signatures);
    expect(openNote(both, [peterVerifier]).unverified.map((s) => s.name)).toEqual(['EnochRoot']);
    expect(openNote(both, [peterVerifier, enochVerifier]).verified).toHaveLength(2);
    // Corrupt Enoch's signature: fine for a Peter-only verifier, fatal for one who knows Enoch.
    const lines = both.split('\n');
    const enochLine = lines.findIndex((l) => l.startsWith('\u2014 EnochRoot'));
    const sig = Buffer.from(lines[enochLine]!.split(' ')[2]!, 'base64');
    sig[10] = (sig[10] as number) ^ 1;
    lines[enochLine] = `\u2014 EnochRoot ${sig.toString('base64')}`;
    const corrupted = lines.join('\n');
    expect(openNote(corrupted, [peterVerifier]).verified).toHaveLength(1);
    expect(kind(() => openNote(corrupted, [peterVerifier, enochVerifier]))).toBe('tlog-bad-signature');
    expect(kind(() => openNote(enoch.note, [peterVerifier]))).toBe('tlog-bad-signature');
  });

  it('a same-name key with another id is unknown, not a failure', () => {
    const other = generateKey('PeterNeumann');
    const note = signNote(peter.text, [parseSignerKey(other.signerKey)]);
    expect(kind(() => openNote(note, [peterVerifier]))).toBe('tlog-bad-signature');
    expect(
      openNote(addSignatures(note, parseNote(signNote(peter.text, [peterSigner])).signatures), [
        peterVerifier,
      ]),
    ).toMatchObject({ verified: [{ name: 'PeterNeumann' }], unverified: [{ name: 'PeterNeumann' }] });
  });

  it('malformed notes are refused (golang.org/x/mod note_test.go style)', () => {
    const good = signNote(peter.text, [peterSigner]);
    const sigLine = good.slice(good.lastIndexOf('\n\n') + 2);
    const cases: Record<string, string> = {
      'no blank line': `${peter.text}${sigLine}`,
      'no signatures': `${peter.text}\n`,
      'no final newline': good.slice(0, -1),
      'control character': `a\tb\n\n${sigLine}`,
      'bad prefix': `${peter.text}\n- PeterNeumann AAAA\n`,
      'short signature': `${peter.text}\n\u2014 PeterNeumann AAAAAA==\n`,
      'bad base64': `${peter.text}\n\u2014 PeterNeumann !!!!\n`,
      'plus in name': `${peter.text}\n\u2014 Peter+Neumann AAAAAAA=\n`,
      '101 signatures': `${peter.text}\n${sigLine.repeat(101)}`,
    };
    for (const [name, note] of Object.entries(cases)) {
      expect(
        kind(() => openNote(note, [peterVerifier])),
        name,
      ).toBe('tlog-malformed');
    }
    // 16 signatures must be accepted (signed-note: at least 16), duplicates from one key included.
    expect(openNote(`${peter.text}\n${sigLine.repeat(16)}`, [peterVerifier]).verified).toHaveLength(16);
    // The text may contain blank lines: the LAST blank line separates the signatures.
    const withBlank = signNote('a\n\nb\n', [peterSigner]);
    expect(openNote(withBlank, [peterVerifier]).text).toBe('a\n\nb\n');
    expect(kind(() => signNote('no newline', [peterSigner]))).toBe('tlog-malformed');
  });

  it('generated keys sign and verify, and ambiguous verifiers are refused', () => {
    const k = generateKey('example.com/log');
    expect(k.signerKey).toMatch(/^PRIVATE\+KEY\+example\.com\/log\+[0-9a-f]{8}\+/);
    const v = parseVerifierKey(k.verifierKey);
    const note = signNote('hello\n', [parseSignerKey(k.signerKey)]);
    expect(openNote(note, [v]).verified[0]?.keyId).toBe(v.keyId);
    expect(kind(() => openNote(note, [v, v]))).toBe('tlog-malformed');
  });
});
