#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
// Entry point installed as `gatehouse`; the compiled CLI lives in dist/.
// The first line sizes what a long-running service would otherwise keep after a burst, and can
// only be set before the process starts: V8's young generation of the main thread (by default it
// grows to 48 MB and stays there; 12 MB here) and glibc's per-thread malloc arenas (by default up
// to 8 per core, each holding freed pages). Measured with the bench: the same throughput, and
// 139 MB instead of 166 MB when started (docs/performance.md). `node bin/gatehouse.js` runs
// without them.
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
