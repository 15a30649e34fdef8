import { Command } from 'commander';
import { registerControlsCommands } from '../cli/commands/controls.js';

const program = new Command();
registerControlsCommands(program);
await program.parseAsync(process.argv);
