// Trace-MailFlow against the seed's Edge, deliberately broken three ways:
// - its SMTP certificate names wrong.example, not edge01.contoso.net;
// - the first Mailbox smart host (Postfix's smtp-sink) offers no STARTTLS
//   while "To Internal Org" demands it (BasicAuthRequireTLS), and the second
//   (Python's aiosmtpd) presents a certificate for the wrong name, that nobody
//   imported: the credential is withheld from it;
// - "From Internal Org" does not list the sending server's address.
// The explainer must name each fault and say how to fix it; the fixes it
// prints are then applied and the faults disappear, and a real client (swaks)
// confirms what the explainer predicted about the connection being refused.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSelfSignedCertificate } from '../src/tls/self-signed.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startAiosmtpd, startDnsmasq, startSink, type Peer } from './harness/peers.js';
import { seedCommands } from './harness/seed.js';
import { startService, type RunningService } from './harness/service.js';
import { needs } from './harness/tools.js';

const DNS = '127.10.74.53';
const DNS_PORT = 5353;
const EDGE_EXT = '127.10.74.1';
const EDGE_INT = '127.10.74.2';
const MBX1 = '127.168.74.10';
const MBX2 = '127.168.74.20';
const STRANGER = '127.168.74.30';
const MX = '127.10.75.1';
const PASSWORD = 'Explain-Pa55!';

function mapIps(line: string): string {
  return line
    .replace(/10\.1\.1\.1\b/g, EDGE_EXT)
    .replace(/10\.1\.1\.2\b/g, EDGE_INT)
    .replace(/192\.168\.5\.10\b/g, MBX1)
    .replace(/192\.168\.5\.20\b/g, MBX2);
}

interface Step {
  Step: string;
  Result: string;
  Detail: string;
  Fix: string;
}

/** Trace-MailFlow's Format-List output as records (wrapped lines joined). */
function steps(text: string): Step[] {
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> | null = null;
  let key = '';
  for (const line of text.split(/\r?\n/)) {
    const m = /^(Step|Result|Detail|Fix)\s*: ?(.*)$/.exec(line);
    if (m) {
      if (m[1] === 'Step') {
        cur = {};
        out.push(cur);
      }
      if (cur) {
        cur[m[1]] = m[2].trimEnd();
        key = m[1];
      }
    } else if (cur && /^\s{3,}\S/.test(line)) {
      cur[key] += ' ' + line.trim();
    }
  }
  return out as unknown as Step[];
}

function only(list: Step[], name: string): Step[] {
  return list.filter((s) => s.Step === name);
}

describe('Trace-MailFlow names the faults of a broken Edge', needs('aiosmtpd'), () => {
  const dir = scratchDir('explain');
  const edge = join(dir.path, 'EDGE01');
  const peers: Peer[] = [];
  let service: RunningService | undefined;

  const sh = async (script: string) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', script], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr, '', script);
    return r.stdout;
  };
  const explain = async (args: string) => steps(await sh(`Trace-MailFlow ${args}`));

  before(async () => {
    peers.push(
      await startDnsmasq(
        DNS,
        DNS_PORT,
        ['contoso.com', 'fabrikam.com'],
        [`--host-record=mbxserver01.contoso.com,${MBX1}`, `--host-record=mbxserver02.contoso.com,${MBX2}`, '--mx-host=fabrikam.com,mx.fabrikam.com,10', `--host-record=mx.fabrikam.com,${MX}`],
      ),
    );
    peers.push(await startSink(MBX1, join(dir.path, 'sink-mbx1')));
    peers.push(await startSink(MX, join(dir.path, 'sink-mx')));
    const wrong = await generateSelfSignedCertificate({ subject: 'CN=wrong.example', domains: ['wrong.example'] });
    peers.push(await startAiosmtpd({ dir: join(dir.path, 'mbx2'), host: MBX2, port: 25, certificatePem: wrong.certificatePem, privateKeyPem: wrong.privateKeyPem, user: 'CONTOSO\\edgeauth', password: PASSWORD }));

    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    const script = [
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      ...seedCommands()
        .edge.filter((l) => !l.startsWith('Get-'))
        .map(mapIps),
      `Set-TransportService EDGE01 -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false`,
      `New-LocalUser -Name mbxrelay -Password (ConvertTo-SecureString "${PASSWORD}" -AsPlainText -Force)`,
      'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay',
      // Faults: "From Internal Org" presents a certificate for another name; "From Internet" names
      // an Fqdn no certificate carries.
      'New-ExchangeCertificate -SubjectName "CN=wrong.example" -DomainName wrong.example -Services SMTP | Out-Null',
      'Set-ReceiveConnector "From Internal Org" -TlsCertificateName "<I>CN=wrong.example<S>CN=wrong.example"',
      'Set-ReceiveConnector "From Internet" -Fqdn mail.contoso.net',
    ];
    const r = await gatehouse(['shell', '--data', edge], { input: script.flatMap((l) => (l.endsWith('Get-Credential') ? [l, 'CONTOSO\\edgeauth', PASSWORD] : [l])).join('\n') + '\n' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    for (const p of peers) await p.stop();
    dir.remove();
  });

  it('a sender outside RemoteIPRanges: names the connector and its ranges, and swaks is indeed refused', async () => {
    const s = await explain(`kim@fabrikam.com -Sender alice@contoso.com -ClientIPAddress ${STRANGER} -ReceiveBinding ${EDGE_INT}:25 -AuthenticatedAs mbxrelay`);
    const [rc] = only(s, 'ReceiveConnector');
    assert.equal(rc.Result, 'Failure', JSON.stringify(s));
    assert.match(rc.Detail, /EDGE01\\From Internal Org listens there, but its RemoteIPRanges \(127\.168\.74\.10, 127\.168\.74\.20\) do not include 127\.168\.74\.30/);
    assert.match(rc.Fix, /Set-ReceiveConnector "EDGE01\\From Internal Org" -RemoteIPRanges @\{Add="127\.168\.74\.30"\}/);
    assert.equal(only(s, 'Routing').length, 0, 'the walk stops where the session would');

    const swaks = spawnSync('swaks', ['--server', `${EDGE_INT}:25`, '--local-interface', STRANGER, '--quit-after', 'BANNER', '--timeout', '10'], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(swaks.status, 0, 'the Edge must refuse the connection as the explainer says');
    assert.doesNotMatch(swaks.stdout, /<- {2}220 /);
  });

  it('the Edge presents a certificate for the wrong name, or none carries the Fqdn', async () => {
    const internal = await explain(`kim@fabrikam.com -Sender alice@contoso.com -ClientIPAddress ${MBX1} -ReceiveBinding ${EDGE_INT}:25 -AuthenticatedAs mbxrelay`);
    assert.equal(only(internal, 'ReceiveConnector')[0].Result, 'Success', JSON.stringify(internal));
    const [cert] = only(internal, 'ReceiveCertificate');
    assert.equal(cert.Result, 'Warning');
    assert.match(cert.Detail, /names wrong\.example\), chosen by TlsCertificateName, but it does not carry the connector's Fqdn edge01\.contoso\.net/);
    assert.match(cert.Fix, /-TlsCertificateName \$null/);
    assert.equal(only(internal, 'Authentication')[0].Result, 'Success');

    const external = await explain(`bob@contoso.com -Sender kim@fabrikam.com -ClientIPAddress 203.0.113.9 -ReceiveBinding ${EDGE_EXT}:25 -SkipConnection`);
    const [none] = only(external, 'ReceiveCertificate');
    assert.equal(none.Result, 'Warning');
    assert.match(none.Detail, /cannot offer STARTTLS: no certificate of EDGE01 enabled for SMTP carries its Fqdn mail\.contoso\.net\. The SMTP certificates here name: .*-> edge01, edge01\.contoso\.net; .*-> wrong\.example/);
    assert.match(none.Fix, /New-ExchangeCertificate -DomainName mail\.contoso\.net -Services SMTP/);
  });

  it('smart hosts: one without STARTTLS, one with a certificate for the wrong name', async () => {
    const s = await explain(`bob@contoso.com -Sender kim@fabrikam.com -ClientIPAddress 203.0.113.9 -ReceiveBinding ${EDGE_EXT}:25`);
    const byName = (n: string) => only(s, n);
    assert.equal(byName('ReceiveConnector')[0].Result, 'Success');
    assert.match(byName('ReceiveConnector')[0].Detail, /EDGE01\\From Internet/);
    assert.equal(byName('ReceiveCertificate')[0].Result, 'Warning', 'Internet mail still arrives, unencrypted');
    assert.equal(byName('Recipient')[0].Result, 'Success');
    assert.match(byName('Routing')[0].Detail, /Send connector "To Internal Org" \(SmartHostConnectorDelivery/);
    assert.match(byName('NextHop')[0].Detail, /mbxserver01\.contoso\.com -> 127\.168\.74\.10; mbxserver02\.contoso\.com -> 127\.168\.74\.20/);

    const [noTls] = byName('STARTTLS').filter((x) => x.Result === 'Failure');
    assert.ok(noTls, JSON.stringify(s));
    assert.match(noTls.Detail, /mbxserver01\.contoso\.com \[127\.168\.74\.10:25\] does not offer STARTTLS, and Send connector "To Internal Org" requires TLS \(SmartHostAuthMechanism BasicAuthRequireTLS\)/);
    assert.match(noTls.Fix, /Enable STARTTLS on mbxserver01\.contoso\.com/);

    const connect = byName('Connect').find((x) => x.Result === 'Success');
    assert.match(connect?.Detail ?? '', /Connected to mbxserver02\.contoso\.com \[127\.168\.74\.20:25\]/);
    const [name] = byName('Certificate');
    assert.equal(name.Result, 'Failure', 'the credential is not sent to it');
    assert.match(name.Detail, /presented a certificate for wrong\.example .* does not carry the name mbxserver02\.contoso\.com/);
    assert.match(name.Fix, /certificate issued for mbxserver02\.contoso\.com/);
    const [credential] = byName('Credential');
    assert.equal(credential.Result, 'Failure');
    assert.match(
      credential.Detail,
      /Send connector "To Internal Org" would not send its AuthenticationCredential \(CONTOSO\\edgeauth\) to mbxserver02\.contoso\.com \[127\.168\.74\.20:25\]: its certificate is not trusted here \(DEPTH_ZERO_SELF_SIGNED_CERT\), and its certificate does not carry the name mbxserver02\.contoso\.com \(it names wrong\.example\)/,
    );
    assert.match(
      credential.Fix,
      /Import-ExchangeCertificate -FileName .*; and have mbxserver02\.contoso\.com present a certificate for mbxserver02\.contoso\.com .* Set-SendConnector "To Internal Org" -RequireTLS \$true -TlsAuthLevel EncryptionOnly\.$/,
    );
    assert.equal(byName('AUTH').length, 0, 'no AUTH to a peer that did not prove who it is');

    // The explicit opt-out the fix names: the credential goes (aiosmtpd accepts it), with a warning.
    await sh('Set-SendConnector "To Internal Org" -RequireTLS $true -TlsAuthLevel EncryptionOnly');
    try {
      const optedOut = await explain(`bob@contoso.com -Sender kim@fabrikam.com -ClientIPAddress 203.0.113.9 -ReceiveBinding ${EDGE_EXT}:25`);
      assert.equal(only(optedOut, 'Credential')[0]?.Result, 'Warning', JSON.stringify(optedOut));
      const [auth] = only(optedOut, 'AUTH');
      assert.equal(auth.Result, 'Success');
      assert.match(auth.Detail, /Logged in to mbxserver02\.contoso\.com .* as CONTOSO\\edgeauth \(BasicAuthRequireTLS, inside TLS\)/);
    } finally {
      await sh('Set-SendConnector "To Internal Org" -TlsAuthLevel $null -RequireTLS $false');
    }
  });

  it('after the printed fixes are applied, the internal path is clean up to the Internet next hop', async () => {
    await sh(`Set-ReceiveConnector "EDGE01\\From Internal Org" -RemoteIPRanges @{Add="${STRANGER}"}`);
    await sh('Set-ReceiveConnector "From Internal Org" -TlsCertificateName $null');
    const s = await explain(`kim@fabrikam.com -Sender alice@contoso.com -ClientIPAddress ${STRANGER} -ReceiveBinding ${EDGE_INT}:25 -AuthenticatedAs mbxrelay`);
    for (const name of ['ReceiveConnector', 'ReceiveCertificate', 'Authentication', 'Permissions', 'Sender', 'Recipient', 'Routing', 'NextHop', 'Connect']) {
      assert.equal(only(s, name)[0]?.Result, 'Success', `${name}: ${JSON.stringify(s)}`);
    }
    assert.match(only(s, 'Permissions')[0].Detail, /AcceptAnyRecipient/);
    assert.match(only(s, 'NextHop')[0].Detail, /mx\.fabrikam\.com \(MX 10\) -> 127\.10\.75\.1/);
    assert.equal(only(s, 'STARTTLS')[0].Result, 'Warning', 'smtp-sink offers no STARTTLS');

    const swaks = spawnSync('swaks', ['--server', `${EDGE_INT}:25`, '--local-interface', STRANGER, '--quit-after', 'BANNER', '--timeout', '10'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(swaks.status, 0, swaks.stdout + swaks.stderr);
  });

  it('no Send connector for a domain: Unreachable, with the New-SendConnector that fixes it', async () => {
    await sh('Set-SendConnector "To Internet" -Enabled $false');
    try {
      const s = await explain('kim@fabrikam.com -SkipConnection');
      const [routing] = only(s, 'Routing');
      assert.equal(routing.Result, 'Failure');
      assert.match(routing.Detail, /No Send connector of EDGE01 covers fabrikam\.com: .*"To Internet" covers it but is disabled/);
      assert.match(routing.Fix, /New-SendConnector -Name "To fabrikam\.com"/);
    } finally {
      await sh('Set-SendConnector "To Internet" -Enabled $true');
    }
  });
});
