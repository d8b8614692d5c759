#!/usr/bin/env node
// The slow suites under load: runs the crash-safety, fault-injection and
// anti-spam suites while another process keeps one core busy (stress-ng
// --cpu 1, or a spinning node process where stress-ng is not installed), as a
// busy CI machine would. A suite that passes only on a quiet machine asserts
// on timing or on a transient state; this check is how such a test is found.
//
//   node scripts/busy-check.mjs [--runs N] [file.test.js ...]
//
// Runs the files N times in a row (default 3) through scripts/run-tests.mjs,
// stops at the first failing run, and ends with one line:
//   busy check: N of N runs passed
// Each run is bounded by the runner's per-file timeout; the busy process is
// stopped by its PID when the runs end, however they end.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

const SLOW_SUITES = ['dist/test/crash-torture.test.js', 'dist/test/durability.test.js', 'dist/test/delivery-crash.test.js', 'dist/test/fault-injection.test.js', 'dist/test/queue-remove-race.test.js', 'dist/test/edge-agents.test.js'];

const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '3' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
if (values.help) {
  console.log('usage: node scripts/busy-check.mjs [--runs N] [file.test.js ...]\n\nRuns the slow suites N times in a row (default 3) while one core is kept busy.');
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
  console.error(`busy-check: --runs must be a whole number from 1 to 20, not "${values.runs}"`);
  process.exit(2);
}
const files = positionals.length > 0 ? positionals : SLOW_SUITES;
const missing = files.filter((f) => !existsSync(f));
if (missing.length > 0) {
  console.error(`busy-check: no such compiled test: ${missing.join(', ')} (run npm run build first)`);
  process.exit(2);
}

const busy = startBusyCore();
const stopBusy = () => {
  try {
    process.kill(busy.pid, 'SIGTERM');
  } catch {
    // already gone
  }
};
process.on('SIGINT', () => {
  stopBusy();
  process.exit(130);
});
let passed = 0;
try {
  for (let run = 1; run <= runs; run++) {
    console.log(`# busy check: run ${run} of ${runs} (${busy.what} keeps one core busy)`);
    const code = await new Promise((resolve) => {
      spawn(process.execPath, ['scripts/run-tests.mjs', ...files], { stdio: 'inherit' }).on('close', (c) => resolve(c ?? 1));
    });
    if (code !== 0) {
      console.log(`# busy check: run ${run} failed (exit ${code}); replay it alone with: node scripts/run-tests.mjs ${files.join(' ')}`);
      break;
    }
    passed++;
  }
} finally {
  stopBusy();
}
console.log(`busy check: ${passed} of ${runs} runs passed`);
process.exit(passed === runs ? 0 : 1);

/** One core kept busy until stopped: stress-ng when installed, otherwise a node process spinning. */
function startBusyCore() {
  const haveStress = spawnSync('sh', ['-c', 'command -v stress-ng'], { stdio: 'ignore' }).status === 0;
  // Both stop by themselves after an hour even if this process is killed without cleanup.
  const child = haveStress ? spawn('stress-ng', ['--cpu', '1', '--timeout', '3600s', '--quiet'], { stdio: 'ignore' }) : spawn(process.execPath, ['-e', 'const end = Date.now() + 3600_000; while (Date.now() < end) {}'], { stdio: 'ignore' });
  return { pid: child.pid, what: haveStress ? 'stress-ng --cpu 1' : 'a spinning node process' };
}
