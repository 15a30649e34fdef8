import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Command } from 'commander';
import { submitToWitness } from '../../ledger/witness-client.js';
import { defaultDbPath, openRuntime } from '../../runtime.js';
import { decodeVerifierKey, generateKey, SIG_TYPE_COSIGNATURE_V1 } from '../../tlog/index.js';
import { Witness, witnessHttpHandler } from '../../tlog/witness.js';
import { keyArgument } from '../output.js';

export function registerWitnessCommands(program: Command): void {
  const witness = program
    .command('witness')
    .description(
      'A minimal C2SP tlog-witness: cosigns checkpoints after checking consistency with the last one it saw',
    );

  witness
    .command('keygen')
    .description('Create a witness cosigner key (tlog-cosignature/v1, Ed25519)')
    .requiredOption('--name <name>', 'the witness name, e.g. witness.example.org')
    .requiredOption('--out <dir>', 'directory for witness.key (0600) and witness.pub')
    .action((options: { name: string; out: string }) => {
      mkdirSync(options.out, { recursive: true });
      const { signerKey, verifierKey } = generateKey(options.name, SIG_TYPE_COSIGNATURE_V1);
      const keyFile = path.join(options.out, 'witness.key');
      writeFileSync(keyFile, `${signerKey}\n`, { mode: 0o600 });
      chmodSync(keyFile, 0o600);
      writeFileSync(path.join(options.out, 'witness.pub'), `${verifierKey}\n`);
      process.stdout.write(`${verifierKey}\n`);
    });

  witness
    .command('serve')
    .description('Serve POST /add-checkpoint; the state is saved durably before each cosignature is returned')
    .requiredOption('--key <file>', 'the witness cosigner key (file or text)')
    .requiredOption('--state <file>', 'the state file (last checkpoint cosigned per log)')
    .requiredOption('--log <vkey...>', "the logs' verifier keys (file or text); the origin is the key name")
    .option('--port <n>', 'TCP port', '8090')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (options: { key: string; state: string; log: string[]; port: string; host: string }) => {
      const logs = options.log.map((value) => {
        const vkey = keyArgument(value);
        return { origin: decodeVerifierKey(vkey).name, verifierKeys: [vkey] };
      });
      const instance = await Witness.open({
        statePath: options.state,
        cosigner: keyArgument(options.key),
        logs,
      });
      const server = http.createServer(witnessHttpHandler(instance));
      await new Promise<void>((resolve) => server.listen(Number(options.port), options.host, resolve));
      process.stderr.write(
        `witness serving on http://${options.host}:${options.port}/add-checkpoint for ${logs.map((l) => l.origin).join(', ')}\n`,
      );
      const stop = (): void => {
        server.close(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  witness
    .command('submit')
    .description(
      "Send the log's latest checkpoint to a witness and keep its cosignature (add its key with keys add-witness first)",
    )
    .requiredOption('--url <url>', 'the witness base URL (…/add-checkpoint is appended)')
    .option(
      '--old-size <n>',
      'the size the witness last cosigned, if known (a 409 answer tells it otherwise)',
      '0',
    )
    .option('--db <pathOrUrl>', 'SQLite file or postgres:// URL', defaultDbPath)
    .option('--keys <dir>', 'directory of the log keys (default: beside the database)')
    .action(async (options: { url: string; oldSize: string; db: string; keys?: string }) => {
      const runtime = await openRuntime(options.db, { keysDir: options.keys });
      try {
        const result = await submitToWitness(runtime.log, options.url, { oldSize: Number(options.oldSize) });
        process.stdout.write(`cosigned at size ${result.size}: ${result.cosignature}\n`);
      } finally {
        await runtime.close();
      }
    });
}
