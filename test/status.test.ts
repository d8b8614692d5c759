// Service conventions: `gatehouse status` says whether the transport service
// of a folder runs, where it listens, and what waits in its queues (exit 0
// running, 3 not running); a second `start` on a running folder is refused;
// a SIGKILLed service counts as stopped and can start again; the systemd unit
// passes systemd's own verifier.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, ROOT, scratchDir } from './harness/gatehouse.js';
import { until } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { haveTool } from './harness/tools.js';

const EDGE = '127.10.62.1';
const SMART_HOST = '127.10.63.1';
const METRICS = `${EDGE}:9427`;

describe('gatehouse status and the systemd unit', () => {
  const dir = scratchDir('status');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService | undefined;
  const status = () => gatehouse(['status', '--data', edge]);

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    const r = await gatehouse([
      'shell',
      '--data',
      edge,
      '-c',
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -TarpitInterval 00:00:00`,
        `New-SendConnector -Name "To Contoso" -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${SMART_HOST}`,
        'Set-TransportService EDGE01 -OutboundConnectionFailureRetryInterval 00:10:00 -TransientFailureRetryInterval 00:05:00',
      ].join('; '),
    ]);
    assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it('says not running (exit 3) before the service ever ran', async () => {
    const r = await status();
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /^EDGE01 \(EdgeTransport, edge01\.contoso\.net\): not running$/m);
    assert.match(r.stdout, /never run/);
  });

  it('shows the pid, the bound addresses and the metrics address of the running service', async () => {
    service = await startService(edge, ['--metrics', METRICS]);
    const r = await status();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`running, pid ${service.child.pid}, since `));
    assert.match(r.stdout, new RegExp(`listening: +${EDGE.replace(/\./g, '\\.')}:25 \\(EDGE01\\\\Default internal Receive connector EDGE01\\)`));
    assert.match(r.stdout, new RegExp(`metrics: +http://${METRICS.replace(/\./g, '\\.')}/metrics`));
    assert.match(r.stdout, /queues: +empty/);
    assert.equal(statSync(join(edge, 'service.json')).mode & 0o777, 0o600);
  });

  it('refuses a second service on the same folder, naming the running one', async () => {
    const r = await gatehouse(['start', '--data', edge], { timeoutMs: 15_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`already running from .*EDGE01 \\(pid ${service!.child.pid}, since `));
    assert.equal(service!.child.exitCode, null, 'the running service is untouched');
  });

  it('summarizes the queues: the smart-host queue in Retry with its count, age and LastError', async () => {
    for (const tag of ['one', 'two']) {
      const r = spawnSync('swaks', ['--server', `${EDGE}:25`, '--from', 'alice@fabrikam.com', '--to', 'bob@contoso.com', '--header', `Subject: ${tag}`, '--timeout', '15'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    }
    let text = '';
    await until(
      async () => {
        text = (await status()).stdout;
        return /EDGE01\\\d+ +SmartHostConnectorDelivery +Retry +2 +\d+s +\[127\.10\.63\.1\]/.test(text);
      },
      20_000,
      'a Retry row with 2 messages',
    ).catch((err) => {
      throw new Error(`${(err as Error).message}; the last status said:\n${text}`);
    });
    const row = text.split('\n').find((l) => /SmartHostConnectorDelivery/.test(l))!;
    assert.match(row, new RegExp(SMART_HOST.replace(/\./g, '\\.')));
    assert.match(text, /Identity +DeliveryType +Status +Messages +Oldest +NextHopDomain +LastError/);
  });

  it('follows a live binding change', async () => {
    const r = await gatehouse(['shell', '--data', edge, '-c', `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:2527`]);
    assert.equal(r.code, 0, r.stderr);
    await until(async () => (await status()).stdout.includes(`${EDGE}:2527 (`), 10_000, 'the new binding in gatehouse status');
  });

  it('counts a killed service as stopped, lets it start again, and a clean stop removes the status file', async () => {
    await service!.kill();
    const dead = await status();
    assert.equal(dead.code, 3, dead.stdout);
    assert.match(dead.stdout, /not running/);
    // A configuration change sends waiting mail back through routing, so the two
    // messages are in the smart-host queue or, for a moment, in Submission.
    const waiting = [...dead.stdout.matchAll(/^ +EDGE01\\\S+ +\S+ +\S+ +(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(waiting, 2, `the queue summary still reads queue.db:\n${dead.stdout}`);
    service = await startService(edge);
    assert.equal((await status()).code, 0);
    assert.equal(await service.stop(), 0);
    assert.equal(existsSync(join(edge, 'service.json')), false);
    assert.equal((await status()).code, 3);
  });

  it("runs the installed command with the young generation's limit of its first line", async () => {
    service = await startService(edge, [], undefined, undefined, true);
    const pid = service.child.pid!;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.includes('--max-semi-space-size=4'), `node runs with the young generation's limit: ${cmdline.join(' ')}`);
    assert.match((await status()).stdout, new RegExp(`running, pid ${pid}, `), 'env replaced itself with node: the pid is the service');
    assert.equal(await service.stop(), 0);
  });

  it('ships a systemd unit that systemd-analyze verifies without a warning', (t) => {
    if (!haveTool(t, 'systemd-analyze')) return;
    const unit = join(dir.path, 'gatehouse@.service');
    copyFileSync(join(ROOT, 'contrib', 'systemd', 'gatehouse@.service'), unit);
    const r = spawnSync('systemd-analyze', ['verify', join(dir.path, 'gatehouse@EDGE01.service')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', r.stderr);
    const text = readFileSync(unit, 'utf8');
    assert.match(text, /^ExecStart=\/usr\/bin\/env gatehouse start --data \/var\/lib\/gatehouse\/%i$/m);
    assert.match(text, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  });
});
