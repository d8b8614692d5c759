#!/usr/bin/env -S node --max-semi-space-size=4
// Entry point installed as `gatehouse`; the compiled CLI lives in dist/.
// The first line sizes the main thread's young generation, which V8 otherwise grows to 48 MB and
// keeps after a burst (12 MB here; it can only be set before the process starts). Measured with
// the bench: the same throughput, 140 MB instead of 155 MB started, and less under load
// (docs/performance.md). `node bin/gatehouse.js` runs without it.

import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`gatehouse: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
