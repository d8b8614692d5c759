// Domain Security (mutual TLS) between two real servers: fabrikam.com's Edge
// sends to contoso.com's Edge over a DomainSecureEnabled Send connector
// (TLSSendDomainSecureList contoso.com), presenting its certificate; contoso's
// DomainSecureEnabled Receive connector (TLSReceiveDomainSecureList
// fabrikam.com) asks for it, validates it against the imported certificate
// and the domain, and marks the mail domain-secured. Mail claiming to be from
// fabrikam.com without TLS, without a certificate, or with an untrusted one is
// refused with 454 4.7.5; other domains are not affected. Each server trusts
// the other's certificate by Import-ExchangeCertificate, as an admin does.
// Peers: dnsmasq (MX), swaks (with and without client certificates, made by
// openssl), Postfix's smtp-sink as contoso's next hop.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { exportSmtpCertificate } from './harness/server-certificate.js';
import { startService, type RunningService } from './harness/service.js';

const DNS = '127.34.20.53';
const FAB = '127.34.21.1';
const FAB_ORG = '127.34.21.2';
const CON = '127.34.22.1';
const SINK = '127.34.23.1';
const PLAIN_MX = '127.34.23.2';
const FAB_CLIENT = '127.34.24.1';
const STRANGER = '127.34.25.1';

function swaks(server: string, args: string[]) {
  return spawnSync('swaks', ['--server', `${server}:25`, '--local-interface', STRANGER, '--ehlo', 'client.example', '--timeout', '15', ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('Domain Security between two servers', () => {
  const dir = scratchDir('domain-security');
  const fab = join(dir.path, 'FAB01');
  const con = join(dir.path, 'EDGE01');
  const peers: Peer[] = [];
  let sink: Peer & { messages(): SinkMessage[] };
  let plainMx: Peer & { messages(): SinkMessage[] };
  let fabService: RunningService;
  let conService: RunningService;

  const sh = async (data: string, script: string) => {
    const r = await gatehouse(['shell', '--data', data, '-c', script], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const dnsSettings = (server: string) => `Set-TransportService ${server} -InternalDNSServers ${DNS} -InternalDNSAdapterEnabled $false -ExternalDNSServers ${DNS} -ExternalDNSAdapterEnabled $false -MessageRetryInterval 00:00:01`;

  before(async () => {
    peers.push(
      await startDnsmasq(
        DNS,
        53,
        ['contoso.com', 'fabrikam.com', 'tailspintoys.com'],
        [
          '--mx-host=contoso.com,mx.contoso.com,10',
          `--host-record=mx.contoso.com,${CON}`,
          '--mx-host=fabrikam.com,mail.fabrikam.com,10',
          `--host-record=mail.fabrikam.com,${FAB}`,
          '--mx-host=tailspintoys.com,mx.tailspintoys.com,10',
          `--host-record=mx.tailspintoys.com,${PLAIN_MX}`,
        ],
      ),
    );
    sink = await startSink(SINK, join(dir.path, 'sink'));
    plainMx = await startSink(PLAIN_MX, join(dir.path, 'plain-mx'));
    peers.push(sink, plainMx);
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'FAB01', '--fqdn', 'mail.fabrikam.com', '--data', fab])).code, 0);
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', con])).code, 0);
    // Each Edge's certificate carries its domain: Domain Security matches the certificate against it.
    await sh(fab, 'New-ExchangeCertificate -DomainName mail.fabrikam.com,fabrikam.com -Services SMTP -Force | Out-Null');
    await sh(con, 'New-ExchangeCertificate -DomainName edge01.contoso.net,mx.contoso.com,contoso.com -Services SMTP -Force | Out-Null');
    const importOnCon = exportSmtpCertificate(fab, join(dir.path, 'fabrikam.cer'), 'Fabrikam Edge');
    const importOnFab = exportSmtpCertificate(con, join(dir.path, 'contoso.cer'), 'Contoso Edge');

    await sh(
      fab,
      [
        'New-AcceptedDomain Fabrikam -DomainName fabrikam.com',
        `Set-ReceiveConnector "Default internal Receive connector FAB01" -Bindings ${FAB}:25`,
        `New-ReceiveConnector "From Fabrikam" -Usage Custom -Bindings ${FAB_ORG}:25 -RemoteIPRanges ${FAB_CLIENT} -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers`,
        'New-SendConnector -Name "To Internet" -AddressSpaces * -DNSRoutingEnabled $true -DomainSecureEnabled $true -UseExternalDNSServersEnabled $true',
        'Set-TransportConfig -TLSSendDomainSecureList contoso.com,tailspintoys.com',
        importOnFab,
        dnsSettings('FAB01'),
      ].join('; '),
    );
    await sh(
      con,
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${CON}:25 -DomainSecureEnabled $true -TarpitInterval 00:00:00`,
        `New-SendConnector -Name "To Contoso" -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${SINK}`,
        'Set-TransportConfig -TLSReceiveDomainSecureList fabrikam.com',
        importOnCon,
        dnsSettings('EDGE01'),
      ].join('; '),
    );
    fabService = await startService(fab);
    conService = await startService(con);
  });

  after(async () => {
    await fabService?.stop();
    await conService?.stop();
    for (const p of peers) await p.stop();
    dir.remove();
  });

  it('refuses a connector setting Exchange does not allow', async () => {
    const r = await gatehouse(['shell', '--data', fab, '-c', 'New-SendConnector -Name "Partner hosts" -AddressSpaces tailspintoys.com -DNSRoutingEnabled $false -SmartHosts 127.34.26.1 -DomainSecureEnabled $true']);
    assert.match(r.stdout + r.stderr, /DomainSecureEnabled \$true works only with DNSRoutingEnabled \$true and IgnoreSTARTTLS \$false/);
    const c = await gatehouse([
      'shell',
      '--data',
      con,
      '-c',
      `New-ReceiveConnector "Partners" -Usage Custom -Bindings ${CON}:2525 -RemoteIPRanges 127.34.26.1 -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers -DomainSecureEnabled $true`,
    ]);
    assert.match(c.stdout + c.stderr, /DomainSecureEnabled \$true requires Tls in AuthMechanism and cannot be combined with ExternalAuthoritative/);
  });

  it("carries fabrikam.com's mail to contoso.com over mutual TLS, marked domain-secured", async () => {
    const r = spawnSync(
      'swaks',
      ['--server', `${FAB_ORG}:25`, '--local-interface', FAB_CLIENT, '--ehlo', 'pc.fabrikam.com', '--from', 'kim@fabrikam.com', '--to', 'bob@contoso.com', '--header', 'Subject: domain secured', '--timeout', '15'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const secured = await conService.waitFor((l) => l.event === 'smtp.in.mail.domain-secured', 30_000, "contoso's Edge marking the mail domain-secured");
    assert.equal(secured.domain, 'fabrikam.com');
    assert.equal(secured.certificate, 'mail.fabrikam.com');
    await until(() => sink.messages().some((m) => m.text.includes('Subject: domain secured')), 20_000, "the message at contoso's next hop");
    // The sending side validated contoso's certificate (the domain-secure connection), as its connectivity log says.
    const folder = join(fab, 'Logs', 'Connectivity');
    const log = readdirSync(folder)
      .map((f) => readFileSync(join(folder, f), 'utf8'))
      .join('');
    assert.match(log, /TLS TLSv1\.3 \S+ with mx\.contoso\.com, certificate validated/);
  });

  it('refuses fabrikam.com mail without TLS, without a client certificate, or with an untrusted one; other domains pass', () => {
    const plain = swaks(CON, ['--from', 'kim@fabrikam.com', '--to', 'bob@contoso.com']);
    assert.match(plain.stdout, /<\*\* 454 4\.7\.5 Domain security failure: mail from fabrikam\.com requires mutual TLS/);
    const noCert = swaks(CON, ['--tls', '--from', 'kim@fabrikam.com', '--to', 'bob@contoso.com']);
    assert.match(noCert.stdout, /<~\* 454 4\.7\.5 Domain security failure: mail from fabrikam\.com requires a client certificate/);

    const key = join(dir.path, 'forged.key');
    const cert = join(dir.path, 'forged.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=fabrikam.com', '-addext', 'subjectAltName=DNS:fabrikam.com'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const forged = swaks(CON, ['--tls', '--tls-cert', cert, '--tls-key', key, '--from', 'kim@fabrikam.com', '--to', 'bob@contoso.com']);
    assert.match(forged.stdout, /<~\* 454 4\.7\.5 Domain security failure: the client certificate for fabrikam\.com could not be validated/);

    const other = swaks(CON, ['--from', 'lee@tailspintoys.com', '--to', 'bob@contoso.com', '--header', 'Subject: not on the list']);
    assert.equal(other.status, 0, other.stdout + other.stderr);
  });

  it('keeps mail for a domain-secured domain in the queue when its server offers no TLS', async () => {
    const r = spawnSync(
      'swaks',
      ['--server', `${FAB_ORG}:25`, '--local-interface', FAB_CLIENT, '--ehlo', 'pc.fabrikam.com', '--from', 'kim@fabrikam.com', '--to', 'lee@tailspintoys.com', '--header', 'Subject: must be secured', '--timeout', '15'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    let queue: Record<string, string> | undefined;
    await until(
      async () => {
        queue = formatListRecords(await sh(fab, 'Get-Queue -Filter "NextHopDomain -eq \'tailspintoys.com\'" | Format-List Status,MessageCount,LastError'), ' ')[0];
        return queue?.Status === 'Retry';
      },
      30_000,
      'the tailspintoys.com queue in Retry',
    );
    assert.equal(queue!.MessageCount, '1');
    assert.match(queue!.LastError, /STARTTLS/);
    assert.equal(plainMx.messages().length, 0, 'nothing went to tailspintoys.com in clear');
  });
});
