// `start` and `status` tell the truth: a service whose Receive connectors
// cannot bind at all does not start (exit 1, with each address and why); one
// that binds some runs degraded (status exits 4, --json says why); under a
// notify unit it sends READY=1 once it listens, WATCHDOG=1 when WATCHDOG_USEC
// asks, and STOPPING=1 at stop, as datagrams on NOTIFY_SOCKET (received here
// by a real unix datagram socket in Python). The shipped unit is hardened
// (systemd-analyze security 4.0 or lower) and verifies.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, ROOT, scratchDir } from './harness/gatehouse.js';
import { startService, type RunningService } from './harness/service.js';
import { haveTool } from './harness/tools.js';

const A = '127.39.1.1';
const B = '127.39.1.2';

/** A Python receiver on a unix datagram socket: prints each datagram as one JSON line. */
class NotifyReceiver {
  readonly messages: string[] = [];
  private buffer = '';
  private waiters: { match: () => boolean; resolve: () => void }[] = [];
  private constructor(
    readonly path: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.buffer += d;
      let nl;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line !== 'bound') this.messages.push(JSON.parse(line) as string);
        this.waiters = this.waiters.filter((w) => (w.match() ? (w.resolve(), false) : true));
      }
    });
  }

  static async start(path: string): Promise<NotifyReceiver> {
    // "@name" is a socket in the abstract namespace, as NOTIFY_SOCKET may name one.
    const address = path.startsWith('@') ? `"\\0" + ${JSON.stringify(path.slice(1))}` : JSON.stringify(path);
    const code = ['import json, socket, sys', 's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)', `s.bind(${address})`, 'print("bound", flush=True)', 'while True:', '    print(json.dumps(s.recv(4096).decode()), flush=True)'].join('\n');
    const child = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const r = new NotifyReceiver(path, child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the Python receiver did not bind')), 10_000);
      child.stdout!.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return r;
  }

  /** Resolves once `count` datagrams containing `field` have arrived; fails after timeoutMs. */
  waitFor(field: string, count = 1, timeoutMs = 20_000): Promise<void> {
    const match = () => this.messages.filter((m) => m.split('\n').includes(field)).length >= count;
    if (match()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${count} x ${field} on the notify socket; received: ${JSON.stringify(this.messages)}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

function occupy(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen({ host, port }, () => resolve(s));
  });
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(5000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
    s.connect(port, host, () => {
      s.destroy();
      resolve(true);
    });
  });
}

describe('start and status tell the truth; systemd readiness', () => {
  const dir = scratchDir('readiness');
  const edge = join(dir.path, 'EDGE01');
  const connector = '"Default internal Receive connector EDGE01"';
  let blocker: Server | undefined;
  let service: RunningService | undefined;
  let receiver: NotifyReceiver | undefined;

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
  });

  after(async () => {
    await service?.stop();
    receiver?.stop();
    blocker?.close();
    dir.remove();
  });

  it('start exits 1 naming each address and why when no Receive connector can bind', async () => {
    const r = await gatehouse(['shell', '--data', edge, '-c', `Set-ReceiveConnector ${connector} -Bindings ${A}:2525`]);
    assert.equal(r.code, 0, r.stderr);
    blocker = await occupy(A, 2525);
    const s = await gatehouse(['start', '--data', edge], { timeoutMs: 30_000 });
    assert.equal(s.code, 1, s.stdout + s.stderr);
    const failed = s.stdout
      .split('\n')
      .filter((l) => l.includes('"service.start.failed"'))
      .map((l) => JSON.parse(l) as { error: string; action: string });
    assert.equal(failed.length, 1, s.stdout);
    assert.match(failed[0].error, /none of the enabled Receive connectors could listen: 127\.39\.1\.1:2525 \(EDGE01\\Default internal Receive connector EDGE01\): the port is taken by another program/);
    assert.match(failed[0].action, /Set-ReceiveConnector/);
    assert.doesNotMatch(s.stdout, /"service\.ready"/);
    assert.equal((await gatehouse(['status', '--data', edge])).code, 3, 'nothing left running');
  });

  it('runs degraded when some bindings cannot listen: status exits 4, in text and in JSON', async () => {
    const r = await gatehouse(['shell', '--data', edge, '-c', `Set-ReceiveConnector ${connector} -Bindings ${A}:2525,${B}:2525`]);
    assert.equal(r.code, 0, r.stderr);
    service = await startService(edge);
    assert.ok(await connects(B, 2525), 'the free binding listens');
    const text = await gatehouse(['status', '--data', edge]);
    assert.equal(text.code, 4, text.stdout + text.stderr);
    assert.match(text.stdout, new RegExp(`: degraded, pid ${service.child.pid}, since `));
    assert.match(text.stdout, /not listening: 127\.39\.1\.1:2525 \(EDGE01\\Default internal Receive connector EDGE01\): the port is taken by another program/);
    const json = await gatehouse(['status', '--data', edge, '--json']);
    assert.equal(json.code, 4);
    const doc = JSON.parse(json.stdout) as { state: string; pid: number; listening: string[]; failed: string[] };
    assert.equal(doc.state, 'degraded');
    assert.equal(doc.pid, service.child.pid);
    assert.deepEqual(doc.listening, ['127.39.1.2:2525 (EDGE01\\Default internal Receive connector EDGE01)']);
    assert.equal(doc.failed.length, 1);
  });

  it('is running again (exit 0) once the taken address is freed and the configuration reapplied', async () => {
    await new Promise<void>((resolve) => blocker!.close(() => resolve()));
    blocker = undefined;
    const r = await gatehouse(['shell', '--data', edge, '-c', `Set-ReceiveConnector ${connector} -Bindings ${A}:2525,${B}:2525 -Banner "220 ready"`]);
    assert.equal(r.code, 0, r.stderr);
    let last = '';
    for (let i = 0; i < 100; i++) {
      const s = await gatehouse(['status', '--data', edge, '--json']);
      last = s.stdout;
      if (s.code === 0) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const doc = JSON.parse(last) as { state: string; failed: string[]; listening: string[] };
    assert.equal(doc.state, 'running', last);
    assert.deepEqual(doc.failed, []);
    assert.equal(doc.listening.length, 2);
    assert.equal(await service!.stop(), 0);
    service = undefined;
    const stopped = await gatehouse(['status', '--data', edge, '--json']);
    assert.equal(stopped.code, 3);
    assert.equal((JSON.parse(stopped.stdout) as { state: string }).state, 'stopped');
  });

  it('says READY=1 on NOTIFY_SOCKET once it listens, pings WATCHDOG=1, and STOPPING=1 at stop', async () => {
    receiver = await NotifyReceiver.start(join(dir.path, 'notify.sock'));
    service = await startService(edge, [], { NOTIFY_SOCKET: receiver.path, WATCHDOG_USEC: '400000' });
    await receiver.waitFor('READY=1');
    const ready = receiver.messages.find((m) => m.split('\n').includes('READY=1'))!;
    assert.match(ready, new RegExp(`^MAINPID=${service.child.pid}$`, 'm'));
    assert.match(ready, /^STATUS=listening on 2 addresses$/m);
    assert.ok((await connects(A, 2525)) && (await connects(B, 2525)), 'READY=1 came after the listeners were bound');
    await receiver.waitFor('WATCHDOG=1', 3);
    const stopping = receiver.waitFor('STOPPING=1');
    assert.equal(await service.stop(), 0);
    service = undefined;
    await stopping;
  });

  it('reaches a notify socket in the abstract namespace ("@name")', async () => {
    receiver?.stop();
    receiver = await NotifyReceiver.start(`@gatehouse-readiness-${process.pid}`);
    service = await startService(edge, [], { NOTIFY_SOCKET: receiver.path });
    await receiver.waitFor('READY=1');
    const stopping = receiver.waitFor('STOPPING=1');
    assert.equal(await service.stop(), 0);
    service = undefined;
    await stopping;
    assert.deepEqual(
      receiver.messages.filter((m) => m.includes('WATCHDOG=1')),
      [],
      'no watchdog pings over the whole run without WATCHDOG_USEC',
    );
  });

  it('the unit is Type=notify, hardened to an exposure of 4.0 or lower, and verifies', (t) => {
    if (!haveTool(t, 'systemd-analyze')) return;
    const unit = join(dir.path, 'gatehouse@.service');
    copyFileSync(join(ROOT, 'contrib', 'systemd', 'gatehouse@.service'), unit);
    const text = readFileSync(unit, 'utf8');
    for (const line of ['Type=notify', 'NotifyAccess=all', 'SystemCallFilter=@system-service', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX']) {
      assert.match(text, new RegExp(`^${line}$`, 'm'));
    }
    const verify = spawnSync('systemd-analyze', ['verify', join(dir.path, 'gatehouse@EDGE01.service')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '');
    const security = spawnSync('systemd-analyze', ['security', '--offline=true', join(dir.path, 'gatehouse@EDGE01.service')], { encoding: 'utf8', timeout: 30_000 });
    const m = /Overall exposure level for gatehouse@EDGE01\.service: (\d+\.\d)/.exec(security.stdout);
    assert.ok(m, security.stdout + security.stderr);
    assert.ok(Number(m[1]) <= 4.0, `exposure ${m[1]}:\n${security.stdout}`);
  });
});
