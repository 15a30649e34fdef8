import type { Command } from 'commander';
import { generateWorld } from '../../demo/index.js';
import { operatorActor } from '../../ledger/decide.js';
import { openRuntime } from '../../runtime.js';
import { createToken } from '../../server/auth.js';
import { Progress } from '../output.js';
import { listen } from './serve.js';

export const defaultDemoDb = 'raretrace-demo.db';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Generate a demo world (a seeded rare-earth supply chain) into the embedded store and serve it',
    )
    .option('--events <n>', 'number of EPCIS events to generate', '20000')
    .option('--seed <seed>', 'seed of the generated world', '1')
    .option('--db <path>', 'SQLite file for the demo', defaultDemoDb)
    .option('--port <n>', 'TCP port', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--no-serve', 'generate and exit')
    .action(
      async (options: {
        events: string;
        seed: string;
        db: string;
        port: string;
        host: string;
        serve: boolean;
      }) => {
        const runtime = await openRuntime(options.db);
        const target = Number(options.events);
        if ((await runtime.store.treeSize()) === 0) {
          const progress = new Progress('generating demo world', target);
          let recorded = 0;
          for (const document of generateWorld({ events: target, seed: options.seed })) {
            const result = await runtime.ledger.capture(JSON.stringify(document), operatorActor);
            recorded += result.recorded;
            progress.update(recorded);
          }
          progress.finish(recorded);
          await runtime.log.publishCheckpoint();
          await runtime.store.optimize();
          process.stderr.write(`demo world: ${recorded} events in ${options.db}\n`);
        } else {
          process.stderr.write(
            `using the existing demo world in ${options.db} (${await runtime.store.treeSize()} events)\n`,
          );
        }
        const regulator = await createToken(runtime.store, {
          role: 'regulator',
          partyId: '',
          label: 'demo regulator',
          nowMs: Date.now(),
        });
        const parties = await runtime.store.listParties();
        const magnetMaker = parties.find((p) => p.roles.includes('magnet-maker'));
        process.stdout.write(`regulator token: ${regulator.token}\n`);
        if (magnetMaker !== undefined) {
          const party = await createToken(runtime.store, {
            role: 'party',
            partyId: magnetMaker.id,
            label: 'demo party',
            nowMs: Date.now(),
          });
          process.stdout.write(`party token (${magnetMaker.name}): ${party.token}\n`);
        }
        if (!options.serve) {
          await runtime.close();
          return;
        }
        const address = await listen(runtime, Number(options.port), options.host);
        process.stdout.write(
          `serving at ${address}\n  try: curl -H "Authorization: Bearer ${regulator.token}" '${address}/events?perPage=2'\n  OpenAPI: ${address}/openapi.json   checkpoint: ${address}/checkpoint\n`,
        );
      },
    );
}
