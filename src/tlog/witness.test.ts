import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Problem } from '../core/errors.js';
import { type Checkpoint, signCheckpoint } from './checkpoint.js';
import { parseCosignatureVerifierKey, verifyCosignatures } from './cosignature.js';
import { emptyRoot, leafHash } from './merkle.js';
import {
  addSignatures,
  generateKey,
  parseSignatureLines,
  parseSignerKey,
  SIG_TYPE_COSIGNATURE_V1,
} from './note.js';
import { MemoryTileStore } from './tiles.js';
import {
  type AddCheckpointRequest,
  formatAddCheckpointBody,
  parseAddCheckpointBody,
  Witness,
  type WitnessOptions,
  witnessHttpHandler,
} from './witness.js';

const ORIGIN = 'raretrace.example/log';
const logKey = generateKey(ORIGIN);
const logSigner = parseSignerKey(logKey.signerKey);
const witnessKey = generateKey('witness.example/w1', SIG_TYPE_COSIGNATURE_V1);
const witnessVerifier = parseCosignatureVerifierKey(witnessKey.verifierKey);

const store = new MemoryTileStore();
store.appendLeaves(Array.from({ length: 100 }, (_, i) => leafHash(Buffer.from(`e${i}`))));
const checkpointAt = (n: number, origin = ORIGIN): string =>
  signCheckpoint({ origin, size: n, root: store.tree.root(n) } satisfies Checkpoint, [logSigner]);
const request = (oldSize: number, n: number): AddCheckpointRequest => ({
  oldSize,
  consistencyProof: store.tree.consistencyProof(oldSize, n),
  checkpointNote: checkpointAt(n),
});

const dirs: string[] = [];
function options(extra: Partial<WitnessOptions> = {}): WitnessOptions {
  const dir = mkdtempSync(path.join(tmpdir(), 'raretrace-witness-'));
  dirs.push(dir);
  return {
    statePath: path.join(dir, 'state.json'),
    cosigner: witnessKey.signerKey,
    logs: [{ origin: ORIGIN, verifierKeys: [logKey.verifierKey] }],
    now: () => 1_750_000_000,
    ...extra,
  };
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function problemOf(p: Promise<unknown>): Promise<Problem> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Problem) return e;
    throw e;
  }
  throw new Error('expected a Problem');
}

describe('witness add-checkpoint', () => {
  it('cosigns a growing log and saves its state before answering', async () => {
    const opts = options();
    const w = await Witness.open(opts);
    const lines = await w.addCheckpoint(request(0, 10));
    const cosigned = addSignatures(checkpointAt(10), parseSignatureLines(lines));
    expect(verifyCosignatures(cosigned, [witnessVerifier])).toEqual([
      { name: 'witness.example/w1', keyId: witnessVerifier.keyId, timestamp: 1_750_000_000 },
    ]);
    expect(JSON.parse(readFileSync(opts.statePath, 'utf8')).logs[ORIGIN].size).toBe(10);
    await w.addCheckpoint(request(10, 64));
    await w.addCheckpoint(request(64, 64)); // same checkpoint again: cosigned again
    await w.addCheckpoint(request(64, 100));
    expect(JSON.parse(readFileSync(opts.statePath, 'utf8')).logs[ORIGIN].size).toBe(100);
    // Reopening restores the state: the old size must now be 100.
    const again = await Witness.open(opts);
    expect(again.latest(ORIGIN)?.size).toBe(100);
    const p = await problemOf(again.addCheckpoint(request(64, 100)));
    expect([p.kind, p.status, p.extensions.size]).toEqual(['tlog-old-size-mismatch', 409, 100]);
  });

  it('answers with the spec statuses', async () => {
    const w = await Witness.open(options());
    await w.addCheckpoint(request(0, 20));
    const status = async (req: AddCheckpointRequest): Promise<number> =>
      (await problemOf(w.addCheckpoint(req))).status;
    // 404: unknown origin.
    expect(await status({ ...request(20, 30), checkpointNote: checkpointAt(30, 'other.example/log') })).toBe(
      404,
    );
    // 403: no trusted signature / a trusted key's bad signature.
    const stranger = parseSignerKey(generateKey(ORIGIN).signerKey);
    const foreign = signCheckpoint({ origin: ORIGIN, size: 30, root: store.tree.root(30) }, [stranger]);
    expect(await status({ ...request(20, 30), checkpointNote: foreign })).toBe(403);
    const badSig = checkpointAt(30).replace(/ (\S{10})(\S)(\S*)\n$/, (_, a: string, c: string, b: string) => {
      return ` ${a}${c === 'A' ? 'B' : 'A'}${b}\n`;
    });
    expect(await status({ ...request(20, 30), checkpointNote: badSig })).toBe(403);
    // 400: old size larger than the checkpoint.
    expect(await status({ ...request(20, 30), oldSize: 31 })).toBe(400);
    // 409: old size is not the stored one.
    expect(await status(request(10, 30))).toBe(409);
    // 422: bad proof, wrong root at the same size, non-empty proof from 0.
    const proof = store.tree.consistencyProof(20, 30).map((h) => new Uint8Array(h));
    proof[0]![0] = (proof[0]![0] as number) ^ 1;
    expect(await status({ ...request(20, 30), consistencyProof: proof })).toBe(422);
    const fork = signCheckpoint({ origin: ORIGIN, size: 20, root: store.tree.root(21) }, [logSigner]);
    expect(await status({ oldSize: 20, consistencyProof: [], checkpointNote: fork })).toBe(422);
    // Still at 20 after all the refusals.
    expect(w.latest(ORIGIN)?.size).toBe(20);
  });

  it('size 0: the empty-tree root is required and the proof from 0 must be empty', async () => {
    const w = await Witness.open(options());
    const wrongEmpty = signCheckpoint({ origin: ORIGIN, size: 0, root: store.tree.root(1) }, [logSigner]);
    expect(
      (await problemOf(w.addCheckpoint({ oldSize: 0, consistencyProof: [], checkpointNote: wrongEmpty })))
        .status,
    ).toBe(422);
    const empty = signCheckpoint({ origin: ORIGIN, size: 0, root: emptyRoot() }, [logSigner]);
    await w.addCheckpoint({ oldSize: 0, consistencyProof: [], checkpointNote: empty });
    const withProof = { oldSize: 0, consistencyProof: [emptyRoot()], checkpointNote: checkpointAt(5) };
    expect((await problemOf(w.addCheckpoint(withProof))).status).toBe(422);
  });

  it('serialises concurrent requests: two from the same old size, one wins, one gets 409', async () => {
    const w = await Witness.open(options());
    const results = await Promise.allSettled([
      w.addCheckpoint(request(0, 40)),
      w.addCheckpoint(request(0, 50)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(w.latest(ORIGIN)?.size).toBe(40);
  });

  it('a failed save answers 500, keeps the old state and refuses until reopened', async () => {
    let fail = false;
    const base = options();
    const { writeFileDurably } = await import('./witness.js');
    const w = await Witness.open({
      ...base,
      durableWrite: async (file, data) => {
        if (fail) throw new Error('disk full');
        await writeFileDurably(file, data);
      },
    });
    await w.addCheckpoint(request(0, 10));
    fail = true;
    const p = await problemOf(w.addCheckpoint(request(10, 20)));
    expect([p.kind, p.status]).toEqual(['internal', 500]);
    expect(w.latest(ORIGIN)?.size).toBe(10);
    fail = false;
    expect((await problemOf(w.addCheckpoint(request(10, 20)))).status).toBe(500);
    const reopened = await Witness.open(base);
    expect(reopened.latest(ORIGIN)?.size).toBe(10);
    await reopened.addCheckpoint(request(10, 20));
  });
});

describe('add-checkpoint wire format and HTTP', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const w = await Witness.open(options());
    const handler = witnessHttpHandler(w, { prefix: '/witness' });
    server = createServer((req, res) =>
      handler(req, res, () => {
        res.writeHead(418).end();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('formats and parses the body of the spec', () => {
    const req = request(10, 64);
    const body = formatAddCheckpointBody(req);
    expect(body.startsWith('old 10\n')).toBe(true);
    expect(parseAddCheckpointBody(body)).toEqual({
      ...req,
      consistencyProof: req.consistencyProof.map((h) => new Uint8Array(h)),
    });
    for (const bad of [
      'old 010\n\nx',
      'old 1\nnotbase64\n\nx',
      `old 1\n${'47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n'.repeat(64)}\nx`,
      'old 1',
    ]) {
      expect(() => parseAddCheckpointBody(bad)).toThrow(Problem);
    }
  });

  it('POST /witness/add-checkpoint: 200 with signature lines, 409 with text/x.tlog.size', async () => {
    const post = (body: string): Promise<Response> =>
      fetch(`${url}/witness/add-checkpoint`, { method: 'POST', body });
    const ok = await post(formatAddCheckpointBody(request(0, 30)));
    expect(ok.status).toBe(200);
    const lines = await ok.text();
    expect(lines).toMatch(/^\u2014 witness\.example\/w1 \S+\n$/);
    const conflict = await post(formatAddCheckpointBody(request(0, 40)));
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('content-type')).toBe('text/x.tlog.size');
    expect(await conflict.text()).toBe('30\n');
    expect((await post('old x\n\n')).status).toBe(400);
    expect((await fetch(`${url}/witness/add-checkpoint`)).status).toBe(405);
    expect((await fetch(`${url}/elsewhere`)).status).toBe(418);
  });
});
