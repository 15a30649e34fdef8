import { Command, CommanderError } from 'commander';
import { registerControlsCommands } from './commands/controls.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerGenerateCommand } from './commands/generate.js';
import { registerHashCommand } from './commands/hash.js';
import { registerImportCommand } from './commands/import.js';
import { registerLogCommands } from './commands/log.js';
import { registerLotCommands } from './commands/lots.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSimulateCommand } from './commands/simulate.js';
import { registerTokenCommands } from './commands/token.js';
import { registerWitnessCommands } from './commands/witness.js';
import { reportError } from './output.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('raretrace')
    .description(
      'Traceability ledger for the rare-earth supply chain: EPCIS 2.0 capture, mass balance, origin, a tamper-evident log, controls and a supply-disruption simulator',
    )
    .version('0.1.0')
    .showHelpAfterError();
  registerServeCommand(program);
  registerMigrateCommand(program);
  registerDemoCommand(program);
  registerImportCommand(program);
  registerHashCommand(program);
  registerLotCommands(program);
  registerGenerateCommand(program);
  registerTokenCommands(program);
  registerLogCommands(program);
  registerWitnessCommands(program);
  registerControlsCommands(program);
  registerSimulateCommand(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    reportError(error);
  }
}
