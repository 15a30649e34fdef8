#!/usr/bin/env node
// The CLI entry point: runs the compiled CLI from dist/ (built by `npm install` via the `prepare` script).
import { main } from '../dist/cli/main.js';

main(process.argv).catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
