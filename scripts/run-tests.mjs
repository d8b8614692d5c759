#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with Node's test runner,
// passes its TAP output through, and ends with one line:
//   tests: N passed, N failed, N skipped
// where "failed" also counts cancelled tests: a test that never ran to the end
// because its suite's before hook threw, or its file timed out, is a failure.
//
// Each test file gets TEST_TIMEOUT_MS (default 10 minutes; the slowest file,
// the anti-spam agents', takes under 3 minutes on a busy CI machine): a hung
// file is cancelled and counted instead of holding the run forever.
//
// Only compiled tests whose TypeScript source still exists are run: a
// dist/**/x.test.js left behind by a deleted test/x.test.ts is refused
// (npm test builds into an emptied dist/, so this only bites a manual build).
//
// Tests send traffic to loopback only. A server asks the system's name
// servers (/etc/resolv.conf) for any name its own settings don't cover, such
// as its FQDN for the management endpoint's default URL, so when it can (root
// on Linux, with unshare) the runner gives the tests a private mount namespace
// whose resolv.conf names a loopback address nothing listens on: such a
// lookup fails at once instead of leaving the machine. The one name that
// still resolves there is the npm registry's (looked up now, written to the
// namespace's hosts file): the package test installs the packed tarball, and
// npm fetches what its cache lacks from the registry.
import { spawn, spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const REGISTRY = 'registry.npmjs.org';
const files = process.argv.length > 2 ? process.argv.slice(2) : findTests('dist').sort();
if (files.length === 0) {
  console.error('no test files under dist/: run npm run build first');
  process.exit(1);
}
const stale = files.filter((f) => sourceOf(f) !== null && !existsSync(sourceOf(f)));
if (stale.length > 0) {
  console.error(`compiled tests whose source no longer exists (run npm run clean && npm run build):\n  ${stale.join('\n  ')}`);
  process.exit(1);
}
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 600_000);
const command = [process.execPath, '--test', '--test-reporter=tap', '--test-concurrency=2', `--test-timeout=${timeoutMs}`, ...files];
const child = spawn(...(await withLoopbackResolver(command)), { stdio: ['ignore', 'pipe', 'inherit'] });
const counts = { pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
let buffer = '';
child.stdout.setEncoding('utf8').on('data', (chunk) => {
  process.stdout.write(chunk);
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    const m = /^# (pass|fail|cancelled|skipped|todo) (\d+)$/.exec(line);
    if (m) counts[m[1]] = Number(m[2]);
  }
});
child.on('close', (code) => {
  const failed = counts.fail + counts.cancelled;
  if (counts.cancelled > 0) console.log(`(${counts.cancelled} of the failed were cancelled: a before hook threw, or a file timed out after ${timeoutMs} ms)`);
  // Node exits non-zero when something failed that its counters do not show (a file that did not load): say so.
  const unexplained = code !== 0 && failed === 0 ? 1 : 0;
  if (unexplained) console.log(`(node --test exited with ${code} although no test failed: counted as one failure)`);
  console.log(`tests: ${counts.pass} passed, ${failed + unexplained} failed, ${counts.skipped + counts.todo} skipped`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});

/** The TypeScript source a compiled dist/<path>.js was built from, or null for a file outside dist/. */
function sourceOf(file) {
  const rel = relative(resolve('dist'), resolve(file));
  if (rel.startsWith('..')) return null;
  return resolve(rel.replace(/\.js$/, '.ts'));
}

/** The command run in a mount namespace where /etc/resolv.conf names only 127.255.255.53 (see the header), when possible. */
async function withLoopbackResolver([program, ...args]) {
  const canUnshare = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('unshare', ['--mount', '--', 'true'], { stdio: 'ignore' }).status === 0;
  if (!canUnshare) {
    console.error("note: the tests use the system's name servers for names their servers are not told about (run as root with unshare to keep those lookups on loopback)");
    return [program, args];
  }
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tests-'));
  const resolvConf = join(dir, 'resolv.conf');
  const hosts = join(dir, 'hosts');
  writeFileSync(resolvConf, 'nameserver 127.255.255.53\noptions timeout:1 attempts:1\n');
  writeFileSync(hosts, `${readFileSync('/etc/hosts', 'utf8').trimEnd()}\n${(await registryAddresses()).map((a) => `${a} ${REGISTRY}`).join('\n')}\n`);
  return ['unshare', ['--mount', '--', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && mount --bind "$1" /etc/hosts && shift && exec "$@"', resolvConf, hosts, program, ...args]];
}

/** The npm registry's addresses, or none when it cannot be looked up (within 10 s). */
async function registryAddresses() {
  const found = lookup(REGISTRY, { all: true }).then(
    (list) => list.map((a) => a.address),
    () => [],
  );
  const late = new Promise((resolve) => setTimeout(() => resolve([]), 10_000).unref());
  return Promise.race([found, late]);
}
