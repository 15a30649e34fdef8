import type { Command } from 'commander';
import { Problem } from '../../core/errors.js';
import { formatKg } from '../../core/units.js';
import { type Direction, everyLot, originSummary, traceLot } from '../../ledger/genealogy.js';
import { defaultDbPath } from '../../runtime.js';
import { openStore } from '../../store/open.js';
import { printJson } from '../output.js';

function shares(map: Readonly<Record<string, number>>): string {
  return Object.entries(map)
    .sort((a, b) => b[1] - a[1])
    .map(([country, share]) => `${country} ${(share * 100).toFixed(1)}%`)
    .join(', ');
}

/** trace and origin: the CLI acts as the operator of a local store, so it sees every lot. */
export function registerLotCommands(program: Command): void {
  program
    .command('trace')
    .description('The whole genealogy of a lot, upstream (where it came from) or downstream (where it went)')
    .argument('<lot>', 'lot id (its EPC class)')
    .option('--db <pathOrUrl>', 'SQLite file or postgres:// URL', defaultDbPath)
    .option('--direction <direction>', 'upstream or downstream', 'upstream')
    .option('--json', 'print JSON')
    .action(async (lotId: string, options: { db: string; direction: string; json?: boolean }) => {
      if (options.direction !== 'upstream' && options.direction !== 'downstream') {
        throw new Problem('bad-query', '--direction must be upstream or downstream');
      }
      const store = await openStore(options.db);
      try {
        const lot = await store.getLot(lotId);
        if (lot === undefined)
          throw new Problem('not-found', `no lot ${lotId}`, [{ record: lotId, message: 'not found' }]);
        const trace = await traceLot(store, lot, options.direction as Direction, everyLot);
        if (options.json === true) printJson(trace);
        else {
          for (const node of trace.nodes) {
            process.stdout.write(
              `${'  '.repeat(node.depth)}${node.id}  ${node.form ?? ''}  ${node.massMg === undefined ? '' : `${formatKg(node.massMg)} kg`}\n`,
            );
          }
        }
      } finally {
        await store.close();
      }
    });

  program
    .command('origin')
    .description('Per element: shares by country of mining and of separation, by mass and by value')
    .argument('<lot>', 'lot id (its EPC class)')
    .option('--db <pathOrUrl>', 'SQLite file or postgres:// URL', defaultDbPath)
    .option('--json', 'print JSON')
    .action(async (lotId: string, options: { db: string; json?: boolean }) => {
      const store = await openStore(options.db);
      try {
        const lot = await store.getLot(lotId);
        if (lot === undefined)
          throw new Problem('not-found', `no lot ${lotId}`, [{ record: lotId, message: 'not found' }]);
        const summary = originSummary(lot);
        if (options.json === true) printJson(summary);
        else {
          process.stdout.write(`${lot.id} (${lot.form}, ${formatKg(lot.massMg)} kg)\n`);
          for (const element of summary.elements) {
            process.stdout.write(
              `  ${element.element.padEnd(3)} ${formatKg(element.massMg).padStart(14)} kg  mined: ${shares(element.miningByMass)}; separated: ${shares(element.separationByMass)}\n`,
            );
          }
        }
      } finally {
        await store.close();
      }
    });
}
