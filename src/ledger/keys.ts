import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Problem } from '../core/errors.js';
import { parseCosignatureVerifierKey } from '../tlog/cosignature.js';
import {
  decodeVerifierKey,
  generateKey,
  type NoteSigner,
  type NoteVerifier,
  parseSignerKey,
  parseVerifierKey,
} from '../tlog/index.js';

/**
 * The log's keys live in a directory outside the database (a copy of the database must not carry the power to
 * sign): `log.key` (the C2SP signer key, mode 0600), `log.pub` (its verifier key), `retired/` (keys rotated
 * out, kept so old checkpoints still verify) and `witnesses.txt` (verifier keys of the witnesses whose
 * cosignatures the log accepts, one per line).
 */
export const defaultLogOrigin = 'raretrace.local/log';

export function keysDirFor(db: string, override?: string): string {
  if (override !== undefined && override !== '') return override;
  const fromEnv = process.env.RARETRACE_KEYS;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (/^postgres(ql)?:\/\//.test(db)) return 'raretrace-keys';
  return `${db === ':memory:' ? 'memory' : db}.keys`;
}

export interface LogKeys {
  readonly origin: string;
  readonly signer: NoteSigner;
  /** The signer key text (`PRIVATE+KEY+…`), for components that sign with the log's key (certificates). */
  readonly signerKeyText: string;
  readonly verifier: NoteVerifier;
  readonly verifierKey: string;
  /** Current and retired verifier keys, for checking stored checkpoints. */
  readonly allVerifiers: readonly NoteVerifier[];
  readonly witnesses: readonly NoteVerifier[];
  readonly witnessKeys: readonly string[];
}

function writeSecret(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  chmodSync(`${file}.tmp`, 0o600);
  renameSync(`${file}.tmp`, file);
}

/** Creates a key pair for `origin` in `dir`. Refuses to overwrite an existing key. */
export function createLogKey(dir: string, origin: string = defaultLogOrigin): string {
  mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'log.key');
  if (existsSync(keyFile)) throw new Problem('bad-request', `${keyFile} exists; use rotate to replace it`);
  const { signerKey, verifierKey } = generateKey(origin);
  writeSecret(keyFile, `${signerKey}\n`);
  writeFileSync(path.join(dir, 'log.pub'), `${verifierKey}\n`);
  return verifierKey;
}

/** Replaces the signing key; the old one moves to retired/ so that its checkpoints still verify. */
export function rotateLogKey(dir: string): { retired: string; current: string } {
  const keyFile = path.join(dir, 'log.key');
  const pubFile = path.join(dir, 'log.pub');
  if (!existsSync(keyFile)) throw new Problem('not-found', `no log key in ${dir}`);
  const oldPub = readFileSync(pubFile, 'utf8').trim();
  const { name } = decodeVerifierKey(oldPub);
  const retiredDir = path.join(dir, 'retired');
  mkdirSync(retiredDir, { recursive: true });
  const stamp = String(readdirSync(retiredDir).length).padStart(4, '0');
  renameSync(keyFile, path.join(retiredDir, `${stamp}.key`));
  renameSync(pubFile, path.join(retiredDir, `${stamp}.pub`));
  const current = createLogKey(dir, name);
  return { retired: oldPub, current };
}

export function loadLogKeys(dir: string, options: { create?: boolean; origin?: string } = {}): LogKeys {
  const keyFile = path.join(dir, 'log.key');
  if (!existsSync(keyFile)) {
    if (options.create === false)
      throw new Problem('not-found', `no log key in ${dir}; run raretrace keys create`);
    createLogKey(dir, options.origin ?? process.env.RARETRACE_LOG_ORIGIN ?? defaultLogOrigin);
  }
  const signerKeyText = readFileSync(keyFile, 'utf8').trim();
  const signer = parseSignerKey(signerKeyText);
  const verifierKey = readFileSync(path.join(dir, 'log.pub'), 'utf8').trim();
  const verifier = parseVerifierKey(verifierKey);
  const retiredDir = path.join(dir, 'retired');
  const retired = existsSync(retiredDir)
    ? readdirSync(retiredDir)
        .filter((f) => f.endsWith('.pub'))
        .sort()
        .map((f) => parseVerifierKey(readFileSync(path.join(retiredDir, f), 'utf8').trim()))
    : [];
  const witnessFile = path.join(dir, 'witnesses.txt');
  const witnessKeys = existsSync(witnessFile)
    ? readFileSync(witnessFile, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.length > 0 && !l.startsWith('#'))
    : [];
  return {
    origin: signer.name,
    signer,
    signerKeyText,
    verifier,
    verifierKey,
    allVerifiers: [verifier, ...retired],
    witnesses: witnessKeys.map((key) => parseCosignatureVerifierKey(key)),
    witnessKeys,
  };
}

/** Adds a witness verifier key to witnesses.txt. */
export function addWitnessKey(dir: string, verifierKey: string): void {
  parseCosignatureVerifierKey(verifierKey);
  const file = path.join(dir, 'witnesses.txt');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (existing.split('\n').some((l) => l.trim() === verifierKey)) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${existing}${existing.endsWith('\n') || existing === '' ? '' : '\n'}${verifierKey}\n`);
}
