import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateWorld } from '../src/demo/index.js';
import { Ledger } from '../src/ledger/capture.js';
import { operatorActor } from '../src/ledger/decide.js';
import { loadLogKeys } from '../src/ledger/keys.js';
import { LogService } from '../src/ledger/log-service.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { freshSqlite } from './helpers/stores.js';

/**
 * Tampering behind the log's back is caught: `verify` rebuilds the tree from the stored events and names the
 * first event that was altered, deleted, reordered or inserted.
 */
describe('verify (fsck) catches tampering', () => {
  let handle: Awaited<ReturnType<typeof freshSqlite>>;
  let log: LogService;
  let size: number;

  beforeEach(async () => {
    handle = await freshSqlite();
    log = new LogService(handle.store, loadLogKeys(path.join(handle.dir, 'keys')));
    let clock = 1_760_000_000_000;
    const ledger = new Ledger(handle.store, { log: log.writer, clock: () => clock++ });
    let documents = 0;
    for (const document of generateWorld({ events: 700, seed: 'verify', eventsPerDocument: 100 })) {
      await ledger.capture(JSON.stringify(document), operatorActor);
      documents += 1;
      if (documents % 3 === 0) await log.publishCheckpoint();
    }
    await log.publishCheckpoint();
    size = await handle.store.treeSize();
  });
  afterEach(async () => handle.dispose());

  const verify = () => verifyLedger(handle.store, log.keys.allVerifiers, log.origin);
  const db = () => handle.store.db;

  it('passes on an untouched ledger, checking every checkpoint', async () => {
    const report = await verify();
    expect(report).toMatchObject({ ok: true, treeSize: 700, eventsChecked: 700 });
    expect(report.checkpointsChecked).toBeGreaterThanOrEqual(3);
  });

  it('names an event with one byte changed', async () => {
    const target = 417;
    const row = db().prepare('SELECT json FROM events WHERE seq = ?').get(target) as { json: string };
    const at = row.json.indexOf('"eventTime":"') + '"eventTime":"'.length + 3;
    const changed = row.json.slice(0, at) + (row.json[at] === '5' ? '6' : '5') + row.json.slice(at + 1);
    db().prepare('UPDATE events SET json = ? WHERE seq = ?').run(changed, target);
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.findings[0]).toMatchObject({ kind: 'event-altered', seq: target });
  });

  it('names a deleted event', async () => {
    db().prepare('DELETE FROM events WHERE seq = ?').run(123);
    const report = await verify();
    expect(report.findings[0]).toMatchObject({ kind: 'event-deleted', seq: 123 });
  });

  it('names the first of two swapped events', async () => {
    const swap = db().transaction((a: number, b: number) => {
      db().prepare('UPDATE events SET seq = -1 WHERE seq = ?').run(a);
      db().prepare('UPDATE events SET seq = ? WHERE seq = ?').run(a, b);
      db().prepare('UPDATE events SET seq = ? WHERE seq = -1').run(b);
    });
    swap(250, 610);
    const report = await verify();
    expect(report.findings[0]).toMatchObject({ kind: 'leaf-mismatch', seq: 250 });
    expect(report.findings.map((f) => f.seq)).toContain(610);
  });

  it('names an event inserted in the middle (later ones shifted)', async () => {
    const shift = db().transaction(() => {
      db().prepare('UPDATE events SET seq = -seq - 1 WHERE seq >= 300').run();
      db().prepare('UPDATE events SET seq = -seq WHERE seq < 0').run();
      const copy = db().prepare('SELECT * FROM events WHERE seq = 10').get() as Record<string, unknown>;
      const digest = Buffer.alloc(32, 7);
      db()
        .prepare(
          'INSERT INTO events (seq, hash, type, event_time_ms, record_time_ms, action, biz_step, disposition, read_point, biz_location, captured_by, document_id, json) VALUES (300, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          digest,
          copy.type,
          copy.event_time_ms,
          copy.record_time_ms,
          copy.action,
          copy.biz_step,
          copy.disposition,
          copy.read_point,
          copy.biz_location,
          copy.captured_by,
          copy.document_id,
          copy.json,
        );
    });
    shift();
    const report = await verify();
    expect(report.ok).toBe(false);
    // The inserted row sits at 300: its content is not what the log recorded there.
    expect(report.findings[0]?.seq).toBe(300);
    expect(['event-altered', 'leaf-mismatch']).toContain(report.findings[0]?.kind);
  });

  it('names an event appended behind the log (beyond the tree size)', async () => {
    const copy = db().prepare('SELECT * FROM events WHERE seq = 5').get() as Record<string, unknown>;
    db()
      .prepare(
        'INSERT INTO events (seq, hash, type, event_time_ms, record_time_ms, action, biz_step, disposition, read_point, biz_location, captured_by, document_id, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        size,
        Buffer.alloc(32, 9),
        copy.type,
        copy.event_time_ms,
        copy.record_time_ms,
        copy.action,
        copy.biz_step,
        copy.disposition,
        copy.read_point,
        copy.biz_location,
        copy.captured_by,
        copy.document_id,
        copy.json,
      );
    const report = await verify();
    expect(report.findings[0]).toMatchObject({ kind: 'event-inserted', seq: size });
  });

  it('catches a record time rewritten in place', async () => {
    db().prepare('UPDATE events SET record_time_ms = record_time_ms + 1 WHERE seq = ?').run(42);
    const report = await verify();
    expect(report.findings[0]).toMatchObject({ kind: 'leaf-mismatch', seq: 42 });
  });

  it('catches a rewritten log: tiles and events changed together no longer match the signed checkpoints', async () => {
    db()
      .prepare('DELETE FROM events WHERE seq = ?')
      .run(size - 1);
    db()
      .prepare("UPDATE meta SET value = ? WHERE key = 'tree_size'")
      .run(String(size - 1));
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.findings.some((f) => f.kind === 'tree-size' || f.kind === 'event-deleted')).toBe(true);
  });
});
