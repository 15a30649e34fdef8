import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Problem } from '../../core/errors.js';
import { addWitnessKey, createLogKey, keysDirFor, loadLogKeys, rotateLogKey } from '../../ledger/keys.js';
import { verifyLedger } from '../../ledger/verify.js';
import { defaultDbPath, openRuntime } from '../../runtime.js';
import { openStore } from '../../store/open.js';
import { leafHash } from '../../tlog/index.js';
import { decodeLeaf } from '../../tlog/leaf.js';
import { parseTlogProof, verifyTlogProof } from '../../tlog/proof-bundle.js';
import { keyArgument, printJson } from '../output.js';

export function registerLogCommands(program: Command): void {
  program
    .command('verify')
    .description(
      'fsck: recompute every event hash and leaf, rebuild the tree, check it against every signed checkpoint; name the first tampered event',
    )
    .option('--db <pathOrUrl>', 'SQLite file or postgres:// URL', defaultDbPath)
    .option('--keys <dir>', 'directory of the log keys (default: beside the database)')
    .option('--json', 'print the report as JSON')
    .action(async (options: { db: string; keys?: string; json?: boolean }) => {
      const keys = loadLogKeys(keysDirFor(options.db, options.keys), { create: false });
      const store = await openStore(options.db);
      try {
        const report = await verifyLedger(store, keys.allVerifiers, keys.origin);
        if (options.json === true) printJson(report);
        else if (report.ok) {
          process.stdout.write(
            `ok: ${report.eventsChecked} events, ${report.checkpointsChecked} checkpoints verified (tree size ${report.treeSize})\n`,
          );
        } else {
          for (const finding of report.findings)
            process.stdout.write(`${finding.kind}: ${finding.message}\n`);
        }
        if (!report.ok) process.exitCode = 1;
      } finally {
        await store.close();
      }
    });

  program
    .command('checkpoint')
    .description('Print the latest signed checkpoint (C2SP signed note), publishing one if the log grew')
    .option('--db <pathOrUrl>', 'SQLite file or postgres:// URL', defaultDbPath)
    .option('--keys <dir>', 'directory of the log keys (default: beside the database)')
    .action(async (options: { db: string; keys?: string }) => {
      const runtime = await openRuntime(options.db, { keysDir: options.keys });
      try {
        await runtime.log.publishCheckpoint();
        process.stdout.write((await runtime.log.latestCheckpoint()).note);
      } finally {
        await runtime.close();
      }
    });

  program
    .command('receipt')
    .description('Print the receipt (c2sp.org/tlog-proof) of a recorded event, given its event hash')
    .argument('<eventHash>', 'ni:///sha-256;…?ver=CBV2.0')
    .option('--db <pathOrUrl>', 'SQLite file or postgres:// URL', defaultDbPath)
    .option('--keys <dir>', 'directory of the log keys (default: beside the database)')
    .action(async (eventHash: string, options: { db: string; keys?: string }) => {
      const runtime = await openRuntime(options.db, { keysDir: options.keys });
      try {
        process.stdout.write((await runtime.log.receipt(eventHash)).proof);
      } finally {
        await runtime.close();
      }
    });

  program
    .command('verify-receipt')
    .description(
      'Check a receipt (c2sp.org/tlog-proof) offline: log signature, witness cosignatures, inclusion proof',
    )
    .argument('<file>', 'the receipt (.tlog-proof)')
    .requiredOption('--key <vkey>', "the log's verifier key, or a file holding it")
    .option('--witness <vkey...>', 'witness cosigner keys (or files) to check')
    .option('--quorum <n>', 'how many witness cosignatures are required', '0')
    .option('--json', 'print JSON')
    .action((file: string, options: { key: string; witness?: string[]; quorum: string; json?: boolean }) => {
      const text = readFileSync(file, 'utf8');
      const parsed = parseTlogProof(text);
      if (parsed.extra === undefined)
        throw new Problem('bad-request', 'the receipt carries no leaf (extra line)');
      const leaf = decodeLeaf(parsed.extra);
      if (leaf.seq !== parsed.index) {
        throw new Problem(
          'bad-request',
          `the receipt's leaf is for index ${leaf.seq} but it proves index ${parsed.index}`,
        );
      }
      const verified = verifyTlogProof(text, keyArgument(options.key), leafHash(parsed.extra), {
        witnesses: (options.witness ?? []).map(keyArgument),
        quorum: Number(options.quorum),
      });
      const result = {
        ok: true,
        eventHash: leaf.eventHash,
        seq: leaf.seq,
        recordTime: new Date(leaf.recordTime).toISOString(),
        origin: verified.checkpoint.origin,
        checkpointSize: verified.checkpoint.size,
        cosignatures: verified.cosignatures.length,
      };
      if (options.json === true) printJson(result);
      else
        process.stdout.write(
          `ok: event ${leaf.eventHash} is entry ${leaf.seq} of ${verified.checkpoint.origin} (checkpoint size ${verified.checkpoint.size}, ${verified.cosignatures.length} cosignatures)\n`,
        );
    });

  const keys = program.command('keys').description("The log's signing keys (kept outside the database)");
  keys
    .command('create')
    .description('Create the log signing key')
    .option(
      '--db <pathOrUrl>',
      'the store the key signs for (decides the default key directory)',
      defaultDbPath,
    )
    .option('--keys <dir>', 'key directory')
    .option('--origin <origin>', 'the log origin (checkpoint first line and key name)', 'raretrace.local/log')
    .action((options: { db: string; keys?: string; origin: string }) => {
      process.stdout.write(`${createLogKey(keysDirFor(options.db, options.keys), options.origin)}\n`);
    });
  keys
    .command('rotate')
    .description('Replace the signing key; the old one is retired but still verifies old checkpoints')
    .option('--db <pathOrUrl>', 'the store (decides the default key directory)', defaultDbPath)
    .option('--keys <dir>', 'key directory')
    .action((options: { db: string; keys?: string }) => {
      const { current } = rotateLogKey(keysDirFor(options.db, options.keys));
      process.stdout.write(`${current}\n`);
    });
  keys
    .command('show')
    .description("Print the log's verifier key")
    .option('--db <pathOrUrl>', 'the store (decides the default key directory)', defaultDbPath)
    .option('--keys <dir>', 'key directory')
    .action((options: { db: string; keys?: string }) => {
      process.stdout.write(
        `${loadLogKeys(keysDirFor(options.db, options.keys), { create: false }).verifierKey}\n`,
      );
    });
  keys
    .command('add-witness')
    .description('Accept cosignatures from a witness (its tlog-cosignature/v1 verifier key)')
    .argument('<vkey>', 'verifier key text or file')
    .option('--db <pathOrUrl>', 'the store (decides the default key directory)', defaultDbPath)
    .option('--keys <dir>', 'key directory')
    .action((vkey: string, options: { db: string; keys?: string }) => {
      addWitnessKey(keysDirFor(options.db, options.keys), keyArgument(vkey));
    });
}
