// The Prometheus endpoint of a running Edge, read by a real Prometheus text
// parser (Python's prometheus_client, from Debian): counters move as mail
// flows, queue gauges show a waiting queue, /health answers.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';
import { until } from './harness/peers.js';

const EDGE = '127.10.70.1';
const DOWN = '127.10.70.9';
const METRICS = '127.10.70.1:9225';

function fetch(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(`http://${METRICS}${path}`, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Samples parsed by prometheus_client: [name, labels, value]. */
function parse(text: string): [string, Record<string, string>, number | null][] {
  const r = spawnSync('/usr/bin/python3', ['-c', `
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        v = s.value
        out.append([s.name, s.labels, v if v == v and abs(v) != float('inf') else None])
print(json.dumps(out))`], { input: text, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as [string, Record<string, string>, number | null][];
}

const value = (samples: [string, Record<string, string>, number | null][], name: string, labels: Record<string, string> = {}) =>
  samples.filter(([n, l]) => n === name && Object.entries(labels).every(([k, v]) => l[k] === v)).reduce((sum, [, , v]) => sum + (v ?? 0), 0);

describe('metrics and health', () => {
  const dir = scratchDir('metrics');
  const data = join(dir.path, 'EDGE01');
  let service: RunningService;

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const c = await gatehouse(['shell', '--data', data, '-c', [
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers -RemoteIPRanges 127.0.0.0/8`,
      `New-SendConnector "To Nowhere" -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts ${DOWN}`,
    ].join('; ')]);
    assert.equal(c.code, 0, c.stderr);
    service = await startService(data, ['--metrics', METRICS]);
  });
  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it('counts sessions and received messages, shows the waiting queue, and answers /health', async () => {
    const before = parse((await fetch('/metrics')).body);
    const connector = 'EDGE01\\Default internal Receive connector EDGE01';
    assert.equal(value(before, 'gatehouse_messages_received_total', { connector }), 0);
    for (let i = 0; i < 2; i++) {
      const d = await SmtpDialog.open(EDGE, 25);
      await d.reply();
      await d.command('EHLO mbx.contoso.com');
      await d.command('MAIL FROM:<a@contoso.com>');
      await d.command('RCPT TO:<b@fabrikam.com>');
      await d.command('DATA');
      assert.equal((await d.command(`Subject: ${i}\r\n\r\nx\r\n.`))?.code, 250);
      await d.command('QUIT');
      d.close();
    }
    await until(async () => value(parse((await fetch('/metrics')).body), 'gatehouse_queue_messages', { delivery_type: 'SmartHostConnectorDelivery', status: 'Retry' }) === 2, 10_000, 'the queue gauge');
    const after = parse((await fetch('/metrics')).body);
    assert.equal(value(after, 'gatehouse_messages_received_total', { connector }), 2);
    assert.ok(value(after, 'gatehouse_smtp_sessions_total', { connector }) >= 2);
    assert.equal(value(after, 'gatehouse_queue_messages', { queue: `EDGE01\\[${DOWN}]`, status: 'Retry' }), 2);
    assert.ok(value(after, 'gatehouse_dns_lookup_seconds_count', { kind: 'smarthost' }) >= 1);
    const health = await fetch('/health');
    assert.equal(health.status, 200);
    assert.match(health.body, /"status":"ok"/);
    assert.match(health.body, new RegExp(`${EDGE.replace(/\./g, '\\.')}:25`));
  });
});
