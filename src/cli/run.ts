/** Runs the CLI on this process's arguments (the entry point of bin/raretrace.js and of the CLI tests). */
import { main } from './main.js';

main(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
