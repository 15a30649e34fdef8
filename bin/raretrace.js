#!/usr/bin/env -S node --max-semi-space-size=64
// The CLI entry point: runs the compiled CLI from dist/ (built by `npm install` via the `prepare` script).
// A 64 MiB young generation: capture parses megabyte documents, and the default 16 MiB made the garbage
// collector a tenth of its CPU time (measured with `npm run bench`).
import '../dist/cli/run.js';
