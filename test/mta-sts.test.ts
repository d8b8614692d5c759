// MTA-STS (RFC 8461) and TLS reporting (RFC 8460) on an Edge's "To Internet"
// connector. dnsmasq serves the MX, A, `_mta-sts` and `_smtp._tls` records;
// the policies come from a real HTTPS server (Node's https, in this test) with
// a certificate issued by a CA the Edge trusts (Import-ExchangeCertificate);
// the receiving MX hosts are aiosmtpd with STARTTLS (a valid certificate, or
// one for another name) and Postfix's smtp-sink without TLS. The TLS reports
// arrive at another smtp-sink and are read back as an admin's tools would:
// base64, gunzip, JSON, checked against RFC 8460's required fields.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { certificateAuthority } from './harness/openssl-certificates.js';
import { startAiosmtpd, startDnsmasq, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { needs } from './harness/tools.js';

const DNS = '127.50.0.53';
const DNS_PORT = 5365;
const EDGE = '127.50.1.1';
const CLIENT = '127.50.1.2';
const POLICY_HTTPS = '127.50.2.1';
const TLS_MX = '127.50.3.1';
const WRONG_NAME_MX = '127.50.3.2';
const PLAIN_MX = '127.50.4.1';
const REPORTS_MX = '127.50.4.2';

const POLICY_DOMAINS = ['good.example', 'notlisted.example', 'plain.example', 'mismatch.example', 'testing.example'];

function policy(mode: string, mx: string[]): string {
  return ['version: STSv1', `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), 'max_age: 86400', ''].join('\r\n');
}

const POLICIES: Record<string, string> = {
  'mta-sts.good.example': policy('enforce', ['mx.good.example']),
  'mta-sts.notlisted.example': policy('enforce', ['mx1.notlisted.example', '*.mail.notlisted.example']),
  'mta-sts.plain.example': policy('enforce', ['mx.plain.example']),
  'mta-sts.mismatch.example': policy('enforce', ['mx.mismatch.example']),
  'mta-sts.testing.example': policy('testing', ['mx.testing.example']),
};

const RUA = 'v=TLSRPTv1; rua=mailto:tlsrpt@reports.example';

function dnsRecords(goodId: string): string[] {
  return [
    '--mx-host=good.example,mx.good.example,10',
    `--host-record=mx.good.example,${TLS_MX}`,
    // The MX is a host the policy does not name (it has a valid certificate for its own name).
    '--mx-host=notlisted.example,mx.good.example,10',
    '--mx-host=plain.example,mx.plain.example,10',
    `--host-record=mx.plain.example,${PLAIN_MX}`,
    '--mx-host=mismatch.example,mx.mismatch.example,10',
    `--host-record=mx.mismatch.example,${WRONG_NAME_MX}`,
    '--mx-host=testing.example,mx.testing.example,10',
    `--host-record=mx.testing.example,${PLAIN_MX}`,
    '--mx-host=reports.example,mx.reports.example,10',
    `--host-record=mx.reports.example,${REPORTS_MX}`,
    `--txt-record=_mta-sts.good.example,v=STSv1; id=${goodId}`,
    '--txt-record=_mta-sts.notlisted.example,v=STSv1; id=20261207n',
    '--txt-record=_mta-sts.plain.example,v=STSv1; id=20261207p',
    '--txt-record=_mta-sts.mismatch.example,v=STSv1; id=20261207m',
    '--txt-record=_mta-sts.testing.example,v=STSv1; id=20261207t',
    ...POLICY_DOMAINS.map((d) => `--host-record=mta-sts.${d},${POLICY_HTTPS}`),
    `--txt-record=_smtp._tls.good.example,${RUA}`,
    `--txt-record=_smtp._tls.testing.example,${RUA}`,
  ];
}

function swaks(to: string, subject: string) {
  return spawnSync('swaks', ['--server', `${EDGE}:25`, '--local-interface', CLIENT, '--ehlo', 'pc.contoso.com', '--from', 'kim@contoso.com', '--to', to, '--header', `Subject: ${subject}`, '--timeout', '15'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('MTA-STS and TLS reporting', needs('aiosmtpd'), () => {
  const dir = scratchDir('mta-sts');
  const data = join(dir.path, 'EDGE01');
  const peers: Peer[] = [];
  let dns: Peer;
  let tlsMx: Peer & { output(): string };
  let plainMx: Peer & { messages(): SinkMessage[] };
  let reportsMx: Peer & { messages(): SinkMessage[] };
  let policyServer: https.Server;
  const fetches: Record<string, number> = {};
  let service: RunningService;

  const sh = async (script: string) => {
    const r = await gatehouse(['shell', '--data', data, '-c', script], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const queueError = async (domain: string): Promise<string> => {
    const records = formatListRecords(await sh('Get-Queue | Format-List NextHopDomain,Status,LastError'));
    return records.find((r) => r.NextHopDomain === domain)?.LastError ?? '';
  };
  const retried = (domain: string) => service.waitFor((l) => l.event === 'delivery.queue.retry' && l.queue === domain && /MTA-STS/.test(String(l.lastError)), 30_000, `the queue of ${domain} in Retry for MTA-STS`);

  before(async () => {
    const ca = certificateAuthority('Gatehouse Test CA');
    const goodCert = ca.issue('mx.good.example', ['mx.good.example']);
    const wrongCert = ca.issue('other.example', ['other.example']);
    const policyCert = ca.issue(
      'mta-sts',
      POLICY_DOMAINS.map((d) => `mta-sts.${d}`),
    );

    dns = await startDnsmasq(DNS, DNS_PORT, [...POLICY_DOMAINS, 'reports.example'], dnsRecords('20261207a'));
    policyServer = https.createServer({ cert: policyCert.certificatePem, key: policyCert.privateKeyPem }, (req, res) => {
      const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
      fetches[host] = (fetches[host] ?? 0) + 1;
      const body = req.url === '/.well-known/mta-sts.txt' ? POLICIES[host] : undefined;
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    });
    await new Promise<void>((resolve, reject) => policyServer.once('error', reject).listen(443, POLICY_HTTPS, () => resolve()));
    tlsMx = await startAiosmtpd({ dir: join(dir.path, 'tls-mx'), host: TLS_MX, port: 25, ...goodCert, user: 'unused', password: 'unused', requireStartTls: false });
    const wrongMx = await startAiosmtpd({ dir: join(dir.path, 'wrong-mx'), host: WRONG_NAME_MX, port: 25, ...wrongCert, user: 'unused', password: 'unused', requireStartTls: false });
    plainMx = await startSink(PLAIN_MX, join(dir.path, 'plain-mx'));
    reportsMx = await startSink(REPORTS_MX, join(dir.path, 'reports-mx'));
    peers.push(tlsMx, wrongMx, plainMx, reportsMx);

    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const caFile = join(dir.path, 'ca.cer');
    writeFileSync(caFile, ca.certificatePem);
    await sh(
      [
        `Import-ExchangeCertificate -FileName "${caFile}" -FriendlyName "Test CA" | Out-Null`,
        'New-AcceptedDomain Contoso -DomainName contoso.com | Out-Null',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:2525`,
        `New-ReceiveConnector "From Contoso" -Usage Custom -Bindings ${EDGE}:25 -RemoteIPRanges ${CLIENT} -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers | Out-Null`,
        'New-SendConnector -Name "To Internet" -Usage Internet -AddressSpaces * -DNSRoutingEnabled $true -UseExternalDNSServersEnabled $true | Out-Null',
        `Set-TransportService EDGE01 -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false -MessageRetryInterval 00:00:05`,
      ].join('; '),
    );
    service = await startService(data);
  });

  after(async () => {
    await service?.stop();
    await new Promise<void>((resolve) => (policyServer ? policyServer.close(() => resolve()) : resolve()));
    for (const p of peers) await p.stop();
    await dns?.stop();
    dir.remove();
  });

  it('is on by default for an Internet connector, and refuses a setting that cannot work', async () => {
    assert.match(await sh('Get-SendConnector "To Internet" | Format-List MtaStsEnabled'), /MtaStsEnabled\s*:\s*True/);
    const smart = await gatehouse(['shell', '--data', data, '-c', 'New-SendConnector -Name "Partner" -AddressSpaces partner.example -DNSRoutingEnabled $false -SmartHosts 127.50.9.9 -MtaStsEnabled $true']);
    assert.match(smart.stdout + smart.stderr, /MtaStsEnabled \$true works only with DNSRoutingEnabled \$true and IgnoreSTARTTLS \$false/);
    const bad = await gatehouse(['shell', '--data', data, '-c', 'Set-SendConnector "To Internet" -MtaStsEnabled maybe']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /MtaStsEnabled/);
    // A smart-host Internet connector gets it off, not refused.
    await sh('New-SendConnector -Name "Via relay" -Usage Internet -AddressSpaces relay.example -DNSRoutingEnabled $false -SmartHosts 127.50.9.9 | Out-Null');
    assert.match(await sh('Get-SendConnector "Via relay" | Format-List MtaStsEnabled'), /MtaStsEnabled\s*:\s*False/);
    assert.match(await sh('Get-Help Set-SendConnector -Parameter MtaStsEnabled'), /Gatehouse setting/);
  });

  it('enforce: delivers over validated TLS to an MX host the policy names', async () => {
    const r = swaks('bob@good.example', 'sts good');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await until(() => /MSG kim@contoso\.com \['bob@good\.example'\] tls=True/.test(tlsMx.output()), 30_000, 'the message at mx.good.example over TLS');
    assert.equal(fetches['mta-sts.good.example'], 1);
  });

  it('enforce: an MX host the policy does not name is not used, and the queue says why', async () => {
    const before = tlsMx.output().length;
    assert.equal(swaks('bob@notlisted.example', 'sts notlisted').status, 0);
    await retried('notlisted.example');
    const last = await queueError('notlisted.example');
    assert.match(
      last,
      /\{LED=451 4\.7\.5 MTA-STS policy of notlisted\.example \(mode enforce, id 20261207n\) refused delivery: none of the MX hosts \(mx\.good\.example\) is named by the policy \(mx: mx1\.notlisted\.example, \*\.mail\.notlisted\.example\)/,
    );
    assert.doesNotMatch(tlsMx.output().slice(before), /notlisted/);
  });

  it('enforce: an MX host without STARTTLS gets nothing', async () => {
    assert.equal(swaks('bob@plain.example', 'sts plain').status, 0);
    await retried('plain.example');
    assert.match(await queueError('plain.example'), /\{LED=451 4\.7\.5 MTA-STS policy of plain\.example \(mode enforce, id 20261207p\) refused delivery: mx\.plain\.example \[127\.50\.4\.1\] did not offer STARTTLS/);
    assert.ok(!plainMx.messages().some((m) => m.text.includes('Subject: sts plain')), 'nothing reached the plain MX');
  });

  it('enforce: an MX host whose certificate names another host gets nothing', async () => {
    assert.equal(swaks('bob@mismatch.example', 'sts mismatch').status, 0);
    await retried('mismatch.example');
    assert.match(
      await queueError('mismatch.example'),
      /\{LED=451 4\.7\.5 MTA-STS policy of mismatch\.example \(mode enforce, id 20261207m\) refused delivery: mx\.mismatch\.example \[127\.50\.3\.2\] presented a certificate that does not carry the name mx\.mismatch\.example \(it names other\.example\)/,
    );
  });

  it('testing: delivers anyway and records the failure', async () => {
    assert.equal(swaks('bob@testing.example', 'sts testing').status, 0);
    await until(() => plainMx.messages().some((m) => m.text.includes('Subject: sts testing')), 30_000, 'the message at the plain MX of testing.example');
    const noted = await service.waitFor((l) => l.event === 'mtasts.testing.failure' && l.domain === 'testing.example', 10_000, 'the testing failure in the log');
    assert.equal(noted.resultType, 'starttls-not-supported');
  });

  it('keeps the policy across a restart, and fetches it again when the TXT id changes', async () => {
    await service.stop();
    service = await startService(data);
    assert.equal(swaks('carol@good.example', 'sts after restart').status, 0);
    await until(() => /\['carol@good\.example'\] tls=True/.test(tlsMx.output()), 30_000, 'the message after the restart');
    assert.equal(fetches['mta-sts.good.example'], 1, 'the cached policy was used');
    await dns.stop();
    dns = await startDnsmasq(DNS, DNS_PORT, [...POLICY_DOMAINS, 'reports.example'], dnsRecords('20261207b'));
    assert.equal(swaks('dave@good.example', 'sts new id').status, 0);
    await until(() => /\['dave@good\.example'\] tls=True/.test(tlsMx.output()), 30_000, 'the message after the id changed');
    assert.equal(fetches['mta-sts.good.example'], 2, 'a new id means a new fetch');
  });

  it("Send-TlsReport mails RFC 8460 reports to the domains' rua addresses", async () => {
    const out = await sh('Send-TlsReport | Format-List PolicyDomain,Status,Recipients,SuccessfulSessions,FailedSessions');
    const rows = formatListRecords(out);
    const good = rows.find((r) => r.PolicyDomain === 'good.example');
    const testing = rows.find((r) => r.PolicyDomain === 'testing.example');
    assert.equal(good?.Status, 'Queued', out);
    assert.equal(testing?.Status, 'Queued', out);
    assert.equal(rows.find((r) => r.PolicyDomain === 'plain.example')?.Status, 'NoReportingAddress', out);
    const reports = () => reportsMx.messages().filter((m) => /^TLS-Report-Domain: /m.test(m.text));
    await until(() => reports().length >= 2, 30_000, 'two TLS reports at reports.example');
    const parsed = new Map<string, Record<string, unknown>>();
    for (const m of reports()) {
      assert.deepEqual(m.rcptTo, ['tlsrpt@reports.example']);
      assert.match(m.text, /^Content-Type: multipart\/report; report-type="tlsrpt"; boundary=/m);
      assert.match(m.text, /^Subject: Report Domain: \S+ Submitter: edge01\.contoso\.net Report-ID: <[^>]+>/m);
      const part = /Content-Type: application\/tlsrpt\+gzip\r?\nContent-Transfer-Encoding: base64\r?\nContent-Disposition: attachment; filename="edge01\.contoso\.net!([^!]+)!(\d+)!(\d+)\.json\.gz"\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)/.exec(
        m.text,
      );
      assert.ok(part, m.text);
      const json = JSON.parse(gunzipSync(Buffer.from(part[4].replace(/\s+/g, ''), 'base64')).toString('utf8')) as Record<string, unknown>;
      parsed.set(part[1], json);
    }
    for (const [domain, report] of parsed) {
      for (const field of ['organization-name', 'date-range', 'contact-info', 'report-id', 'policies']) assert.ok(field in report, `${domain}: ${field}`);
      const range = report['date-range'] as Record<string, string>;
      assert.match(range['start-datetime'], /^\d{4}-\d\d-\d\dT00:00:00Z$/);
      assert.match(range['end-datetime'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(report['contact-info'], 'postmaster@edge01.contoso.net');
      assert.equal(report['organization-name'], 'contoso.com');
      for (const p of report.policies as Record<string, Record<string, unknown>>[]) {
        for (const f of ['policy-type', 'policy-string', 'policy-domain', 'mx-host']) assert.ok(f in p.policy, `${domain}: policy.${f}`);
        assert.equal(p.policy['policy-domain'], domain);
        assert.equal(typeof p.summary['total-successful-session-count'], 'number');
        assert.equal(typeof p.summary['total-failure-session-count'], 'number');
        assert.ok(Array.isArray(p['failure-details']));
        for (const f of p['failure-details'] as unknown as Record<string, unknown>[]) {
          assert.equal(typeof f['result-type'], 'string');
          assert.equal(typeof f['failed-session-count'], 'number');
        }
      }
    }
    const goodPolicies = parsed.get('good.example')!.policies as Record<string, Record<string, unknown>>[];
    const sts = goodPolicies.filter((p) => p.policy['policy-type'] === 'sts');
    assert.ok(sts.length >= 1);
    assert.deepEqual(sts[0].policy['mx-host'], ['mx.good.example']);
    assert.ok((sts[0].policy['policy-string'] as string[]).includes('mode: enforce'));
    assert.equal(
      sts.reduce((n, p) => n + Number(p.summary['total-successful-session-count']), 0),
      3,
    );
    const testingPolicy = (parsed.get('testing.example')!.policies as Record<string, Record<string, unknown>>[])[0];
    assert.equal(testingPolicy.policy['policy-type'], 'sts');
    assert.ok(Number(testingPolicy.summary['total-failure-session-count']) >= 1);
    const details = testingPolicy['failure-details'] as unknown as Record<string, unknown>[];
    assert.ok(
      details.some((d) => d['result-type'] === 'starttls-not-supported' && d['receiving-mx-hostname'] === 'mx.testing.example' && d['receiving-ip'] === PLAIN_MX),
      JSON.stringify(details),
    );
    // Sent: nothing is left for the daily run.
    const again = formatListRecords(await sh('Send-TlsReport | Format-List PolicyDomain,Status'));
    assert.ok(!again.some((r) => r.PolicyDomain === 'good.example' || r.PolicyDomain === 'testing.example'), JSON.stringify(again));
  });
});
