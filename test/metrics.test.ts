// The Prometheus endpoint of a running Edge, read by a real Prometheus text
// parser (Python's prometheus_client, from Debian): counters move as mail
// flows, queue gauges show a waiting queue, /health answers; the Node.js
// process metrics carry prom-client's standard names; refusals are counted
// by connector and reason; the Grafana dashboard in contrib/grafana/ is valid
// JSON and queries only metrics this service exports.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, ROOT, scratchDir } from './harness/gatehouse.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';
import { until } from './harness/peers.js';

const EDGE = '127.10.70.1';
const DOWN = '127.10.70.9';
const METRICS = '127.10.70.1:9225';
/** A connector for anonymous clients with small limits, and one that requires TLS. */
const LIMITED = '127.40.2.1';
const TLS_ONLY = '127.40.2.2';

function fetch(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(`http://${METRICS}${path}`, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (d: string) => {
          body += d;
        })
        .on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Samples parsed by prometheus_client: [name, labels, value]. */
function parse(text: string): [string, Record<string, string>, number | null][] {
  const r = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      `
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        v = s.value
        out.append([s.name, s.labels, v if v == v and abs(v) != float('inf') else None])
print(json.dumps(out))`,
    ],
    { input: text, encoding: 'utf8', timeout: 30_000 },
  );
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
    const c = await gatehouse([
      'shell',
      '--data',
      data,
      '-c',
      [
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers -RemoteIPRanges 127.0.0.0/8`,
        `New-SendConnector "To Nowhere" -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts ${DOWN}`,
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `New-ReceiveConnector -Name Limited -Usage Custom -AuthMechanism BasicAuth -PermissionGroups AnonymousUsers -Bindings ${LIMITED}:25 -RemoteIPRanges 127.0.0.0/8 -TarpitInterval 00:00:00 -AuthTarpitInterval 00:00:00 -MaxMessageSize 64KB -MessageRateLimit 1`,
        `New-ReceiveConnector -Name "TLS Only" -Usage Custom -AuthMechanism Tls -RequireTLS $true -PermissionGroups AnonymousUsers -Bindings ${TLS_ONLY}:25 -RemoteIPRanges 127.0.0.0/8 -TarpitInterval 00:00:00`,
      ].join('; '),
    ]);
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

  it("keeps prom-client's standard names for the Node.js process metrics, without the service's prefix", async () => {
    const samples = parse((await fetch('/metrics')).body);
    const names = new Set(samples.map(([n]) => n));
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.ok(names.has(name), `${name} among ${[...names].join(', ')}`);
    }
    assert.deepEqual(
      [...names].filter((n) => n.startsWith('gatehouse_process_') || n.startsWith('gatehouse_nodejs_')),
      [],
    );
    assert.ok(value(samples, 'process_start_time_seconds') > 1.7e9);
  });

  it('counts refusals by connector and reason: relay, size, rate limit, TLS required, failed AUTH', async () => {
    const limited = 'EDGE01\\Limited';
    const d = await SmtpDialog.open(LIMITED, 25);
    assert.equal((await d.reply())?.code, 220);
    await d.command('EHLO client.fabrikam.com');
    assert.equal((await d.command(`AUTH PLAIN ${Buffer.from('\0nobody\0wrong').toString('base64')}`))?.code, 535);
    assert.equal((await d.command('MAIL FROM:<kim@fabrikam.com> SIZE=1000000'))?.code, 552);
    assert.equal((await d.command('MAIL FROM:<kim@fabrikam.com>'))?.code, 250);
    assert.equal((await d.command('RCPT TO:<lee@tailspintoys.com>'))?.code, 550);
    await d.command('RSET');
    assert.equal((await d.command('MAIL FROM:<kim@fabrikam.com>'))?.code, 421, 'MessageRateLimit 1: the second message of the minute');
    d.close();
    const t = await SmtpDialog.open(TLS_ONLY, 25);
    assert.equal((await t.reply())?.code, 220);
    await t.command('EHLO client.fabrikam.com');
    assert.equal((await t.command('MAIL FROM:<kim@fabrikam.com>'))?.code, 451);
    await t.command('QUIT');
    t.close();

    const samples = parse((await fetch('/metrics')).body);
    const refused = samples
      .filter(([n]) => n === 'gatehouse_smtp_refused_total')
      .map(([, l, v]) => `${l.connector} ${l.reason} ${v}`)
      .sort();
    assert.deepEqual(refused, [`${limited} auth_failed 1`, `${limited} message_size 1`, `${limited} rate_limit 1`, `${limited} relay_denied 1`, 'EDGE01\\TLS Only tls_required 1']);
  });

  it('has a Grafana dashboard that is valid JSON and queries only metrics this service exports', async () => {
    const text = readFileSync(join(ROOT, 'contrib', 'grafana', 'gatehouse.json'), 'utf8');
    const dashboard = JSON.parse(text) as { title: string; panels: { title: string; targets?: { expr: string }[] }[] };
    assert.ok(dashboard.title);
    // Every series the endpoint can give: each family named in a # TYPE line, with a histogram's _bucket/_sum/_count.
    const body = (await fetch('/metrics')).body;
    const exported = new Set<string>();
    for (const m of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exported.add(m[1]);
      if (m[2] === 'histogram' || m[2] === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(m[1] + suffix);
    }
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    assert.ok(exprs.length >= 8, `${exprs.length} queries`);
    const PROMQL = new Set([
      'sum',
      'rate',
      'irate',
      'increase',
      'by',
      'without',
      'on',
      'ignoring',
      'histogram_quantile',
      'max',
      'min',
      'avg',
      'count',
      'topk',
      'time',
      'le',
      'job',
      'instance',
      'connector',
      'reason',
      'delivery_type',
      'outcome',
      'queue',
      'status',
      'kind',
      'result',
      'server',
      'role',
      'monitoring_group',
      'hub_transport',
      'clamp_min',
      'deriv',
      'changes',
      'resets',
      'label_replace',
      'vector',
      'scalar',
      'abs',
    ]);
    const named = new Set<string>();
    for (const { panel, expr } of exprs) {
      // Metric names: identifiers that are not PromQL functions, keywords, label names or inside quotes, nor range durations.
      const bare = expr.replace(/"[^"]*"/g, '""').replace(/\[[^\]]*\]/g, '');
      const names = [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL.has(w));
      assert.ok(names.length > 0, `${panel}: ${expr} names no metric`);
      for (const n of names) {
        assert.ok(exported.has(n), `the panel "${panel}" queries ${n}, which the service does not export (${expr})`);
        named.add(n);
      }
    }
    for (const n of ['gatehouse_smtp_refused_total', 'gatehouse_queue_messages', 'gatehouse_recipients_total', 'process_resident_memory_bytes']) assert.ok(named.has(n), `the dashboard shows ${n}`);
  });
});

describe('refusals on a Mailbox server', () => {
  const dir = scratchDir('metrics-mailbox');
  const data = join(dir.path, 'MBX01');
  const MBX = '127.40.2.3';
  const endpoint = `${MBX}:9226`;
  let service: RunningService | undefined;

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbxserver01.contoso.com', '--data', data])).code, 0);
    const c = await gatehouse([
      'shell',
      '--data',
      data,
      '-c',
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        'New-MailboxDatabase DB1 -Server MBX01',
        'New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (ConvertTo-SecureString "Alice-Pass-1234" -AsPlainText -Force)',
        `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX}:25 -PermissionGroups AnonymousUsers,ExchangeUsers,ExchangeServers -TarpitInterval 00:00:00`,
        `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX}:587`,
      ].join('; '),
    ]);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    service = await startService(data, ['--metrics', endpoint]);
  });
  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it('counts an unknown recipient of an accepted domain', async () => {
    const d = await SmtpDialog.open(MBX, 25);
    assert.equal((await d.reply())?.code, 220);
    await d.command('EHLO mail.fabrikam.com');
    assert.equal((await d.command('MAIL FROM:<kim@fabrikam.com>'))?.code, 250);
    assert.equal((await d.command('RCPT TO:<alice@contoso.com>'))?.code, 250);
    const unknown = await d.command('RCPT TO:<nobody@contoso.com>');
    assert.equal(unknown?.code, 550);
    assert.match(unknown!.lines.join(' '), /^5\.1\.1 User unknown$/);
    await d.command('QUIT');
    d.close();
    const body = await new Promise<string>((resolve, reject) => {
      get(`http://${endpoint}/metrics`, (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (x: string) => {
            text += x;
          })
          .on('end', () => resolve(text));
      }).on('error', reject);
    });
    const refused = parse(body)
      .filter(([n]) => n === 'gatehouse_smtp_refused_total')
      .map(([, l, v]) => `${l.connector} ${l.reason} ${v}`);
    assert.deepEqual(refused, ['MBX01\\Default MBX01 unknown_recipient 1']);
  });
});
