// The npm package installs and runs on its own: `npm pack` gives a tarball
// with the compiled CLI, the native addon's sources and the systemd unit (and
// no tests); `npm install -g --prefix TMP` of that tarball builds the native
// addons (ours and better-sqlite3's, from source) and gives a `gatehouse`
// command that sets up a server and runs its transport service from the
// installed copy, with no reference to this checkout.
// The tarball is packed with --ignore-scripts: `npm test` has built dist/
// already, and prepack's build (asserted below) would rewrite it under the
// tests running in parallel. Installation uses npm's cache (--offline), and
// asks the registry for package metadata only when the cache has none.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT, scratchDir } from './harness/gatehouse.js';

const ADDRESS = '127.39.2.1';
const PORT = 2525;

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 << 20 });
}

function banner(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = new Socket();
    let text = '';
    s.setTimeout(10_000, () => {
      s.destroy();
      reject(new Error(`no banner from ${host}:${port}`));
    });
    s.once('error', reject);
    s.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      if (text.includes('\r\n')) {
        s.end('QUIT\r\n');
        s.destroy();
        resolve(text);
      }
    });
    s.connect(port, host);
  });
}

describe('the npm package', () => {
  const dir = scratchDir('package');
  const prefix = join(dir.path, 'prefix');
  const installed = join(prefix, 'lib', 'node_modules', 'gatehouse-mta');
  const command = join(prefix, 'bin', 'gatehouse');
  let tarball = '';

  after(() => dir.remove());

  it('is named gatehouse-mta, installs the gatehouse command, and builds on prepack', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string>; scripts: Record<string, string>; files: string[] };
    assert.equal(pkg.name, 'gatehouse-mta');
    assert.deepEqual(pkg.bin, { gatehouse: 'bin/gatehouse.js' });
    assert.equal(pkg.scripts.prepack, 'npm run build');
    assert.equal(pkg.scripts.install, 'node-gyp rebuild');
  });

  it('packs the compiled CLI, the native sources and the unit, without tests', () => {
    const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir.path], { cwd: ROOT });
    assert.equal(r.status, 0, r.stderr);
    const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(dir.path, info.filename);
    assert.match(info.filename, /^gatehouse-mta-\d+\.\d+\.\d+\.tgz$/);
    const files = info.files.map((f) => f.path);
    for (const f of [
      'bin/gatehouse.js',
      'dist/src/cli/main.js',
      'dist/src/roles/delivery-thread-main.js',
      'dist/src/queue/commit-worker.js',
      'binding.gyp',
      'src/native/allocator.c',
      'contrib/systemd/gatehouse@.service',
      'docs/log-events.md',
      'src/shell/testdata/seed-commands.ps1',
      'README.md',
      'package.json',
    ]) {
      assert.ok(files.includes(f), `${f} is in the package`);
    }
    assert.deepEqual(
      files.filter((f) => /\.test\.js$|^dist\/test\/|^test\/|^node_modules\/|\.ts$|^build\//.test(f)),
      [],
    );
  });

  it('installs into a fresh prefix, building both native addons', { timeout: 15 * 60_000 }, () => {
    assert.ok(tarball, 'the tarball was packed');
    // Native addons build from source (no prebuilt binary is downloaded): python3, make and g++, as the README says.
    const env = { npm_config_build_from_source: 'true', npm_config_update_notifier: 'false' };
    const args = ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--allow-scripts=gatehouse-mta,better-sqlite3', tarball];
    let r = run('npm', [...args, '--offline'], { cwd: dir.path, env, timeoutMs: 10 * 60_000 });
    if (r.status !== 0 && /ENOTCACHED/.test(r.stderr)) r = run('npm', [...args, '--prefer-offline'], { cwd: dir.path, env, timeoutMs: 10 * 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok(existsSync(command), `${command} exists`);
    assert.ok(existsSync(join(installed, 'build', 'Release', 'allocator.node')), 'our addon is built');
    assert.ok(existsSync(join(installed, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')), 'better-sqlite3 is built');
    assert.deepEqual(
      readdirSync(installed).filter((f) => f === 'test' || f === 'bench'),
      [],
    );
  });

  it('runs --version, setup and start from the installed copy', async () => {
    assert.ok(existsSync(command), 'installed');
    const own = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string };
    const version = run(command, ['--version'], { cwd: dir.path });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^gatehouse \d+\.\d+/);
    assert.ok(own.version);

    const edge = join(dir.path, 'EDGE01');
    const setup = run(command, ['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge], { cwd: dir.path });
    assert.equal(setup.status, 0, setup.stdout + setup.stderr);
    const shell = run(command, ['shell', '--data', edge, '-c', `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${ADDRESS}:${PORT}`], { cwd: dir.path });
    assert.equal(shell.status, 0, shell.stdout + shell.stderr);

    const child = spawn(command, ['start', '--data', edge], { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no service.ready within 60 s:\n${out}`)), 60_000);
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('"service.ready"')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`start exited ${code}:\n${out}`));
        });
      });
      // The running process is the installed copy, not this checkout.
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      assert.ok(
        cmdline.some((a) => a.startsWith(prefix) && realpathSync(a).startsWith(installed)),
        cmdline.join(' '),
      );
      assert.match(await banner(ADDRESS, PORT), /^220 edge01\.contoso\.net /);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, out);
  });
});
