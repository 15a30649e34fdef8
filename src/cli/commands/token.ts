import type { Command } from 'commander';
import { Problem } from '../../core/errors.js';
import { defaultDbPath } from '../../runtime.js';
import { createToken } from '../../server/auth.js';
import { openStore } from '../../store/open.js';
import type { TokenRole } from '../../store/store.js';
import { printJson } from '../output.js';

const roles: readonly TokenRole[] = ['party', 'regulator', 'auditor', 'operator'];

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('API tokens (stored hashed; shown once)');
  token
    .command('create')
    .description('Create an API token for a party, the regulator, an auditor or the operator')
    .requiredOption('--role <role>', `one of ${roles.join(', ')}`)
    .option('--party <id>', 'the party the token acts for (required for --role party)', '')
    .option('--label <text>', 'a note to recognise the token by', '')
    .option('--db <pathOrUrl>', 'SQLite file or postgres:// URL', defaultDbPath)
    .option('--json', 'print JSON')
    .action(async (options: { role: string; party: string; label: string; db: string; json?: boolean }) => {
      if (!roles.includes(options.role as TokenRole)) {
        throw new Problem('bad-request', `--role must be one of ${roles.join(', ')}`);
      }
      if (options.role === 'party' && options.party === '')
        throw new Problem('bad-request', '--party is required for --role party');
      const store = await openStore(options.db);
      try {
        const { token: secret, record } = await createToken(store, {
          role: options.role as TokenRole,
          partyId: options.party,
          label: options.label,
          nowMs: Date.now(),
        });
        if (options.json === true) printJson({ token: secret, role: record.role, partyId: record.partyId });
        else process.stdout.write(`${secret}\n`);
      } finally {
        await store.close();
      }
    });
}
