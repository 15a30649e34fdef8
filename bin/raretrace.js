#!/usr/bin/env node
// The CLI entry point: runs the compiled CLI from dist/ (built by `npm install` via the `prepare` script).
import '../dist/cli/run.js';
