#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with Node's test runner,
// passes its TAP output through, and ends with one line:
//   tests: N passed, N failed, N skipped
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = process.argv.length > 2 ? process.argv.slice(2) : findTests('dist').sort();
if (files.length === 0) {
  console.error('no test files under dist/: run npm run build first');
  process.exit(1);
}
const child = spawn(process.execPath, ['--test', '--test-reporter=tap', '--test-concurrency=2', ...files], { stdio: ['ignore', 'pipe', 'inherit'] });
const counts = { pass: 0, fail: 0, skipped: 0, todo: 0 };
let buffer = '';
child.stdout.setEncoding('utf8').on('data', (chunk) => {
  process.stdout.write(chunk);
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    const m = /^# (pass|fail|skipped|todo) (\d+)$/.exec(line);
    if (m) counts[m[1]] = Number(m[2]);
  }
});
child.on('close', (code) => {
  console.log(`tests: ${counts.pass} passed, ${counts.fail} failed, ${counts.skipped + counts.todo} skipped`);
  process.exit(code === 0 && counts.fail === 0 ? 0 : 1);
});
