#!/usr/bin/env node
// The published entry point: plain JavaScript so that `node` runs it without a loader.
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`wxhub: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
