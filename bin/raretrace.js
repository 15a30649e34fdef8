#!/usr/bin/env -S node --max-semi-space-size=64 --v8-pool-size=1
// The CLI entry point: runs the compiled CLI from dist/ (built by `npm install` via the `prepare` script).
// A 64 MiB young generation: capture parses megabyte documents, and the default 16 MiB made the garbage
// collector a tenth of its CPU time (measured with `npm run bench`). One V8 background thread instead of four:
// a bulk import already runs three busy threads of its own, and on 2 cores V8's garbage-collection helpers
// cost 18–25 µs of CPU an event with four and 11–15 with one, and the import ran 3–8 % faster (300,000 and
// 1,000,000-event imports, measured; docs/ARCHITECTURE.md, "Where the write path spends its time").
import '../dist/cli/run.js';
