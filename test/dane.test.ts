// DANE for SMTP (RFC 7672) on an Edge's "To Internet" connector. The recipient
// domains live in signed.example, a zone signed with ldns-signzone and served by
// a private nsd; a private unbound validates it (its KSK is unbound's trust
// anchor) and is the Edge's external DNS server. unsigned.example is served
// unsigned (domain-insecure). The receiving MX hosts are aiosmtpd with STARTTLS
// (certificates made by openssl, from a CA the Edge does not trust) and
// Postfix's smtp-sink without TLS. Outcomes are read where an admin reads them:
// the peers' own records of what arrived, and Get-Queue's LastError.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configApplied } from './harness/config-applied.js';
import { startDnssecWorld, type DnssecWorld } from './harness/dnssec.js';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { certificateAuthority } from './harness/openssl-certificates.js';
import { startAiosmtpd, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { needs } from './harness/tools.js';

const RESOLVER = { address: '127.52.0.53', port: 5366 };
const AUTH = { address: '127.52.0.54', port: 5367 };
const EDGE = '127.52.1.1';
const CLIENT = '127.52.1.2';
const EE_MX = '127.52.3.1';
const BAD_MX = '127.52.3.2';
const TA_MX = '127.52.3.3';
const TA_WRONG_MX = '127.52.3.4';
const NOTLS_MX = '127.52.4.1';
const PLAIN_MX = '127.52.4.2';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const spki = (pem: string) => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
const der = (pem: string) => new X509Certificate(pem).raw;

function swaks(to: string, subject: string) {
  return spawnSync('swaks', ['--server', `${EDGE}:25`, '--local-interface', CLIENT, '--ehlo', 'pc.contoso.com', '--from', 'kim@contoso.com', '--to', to, '--header', `Subject: ${subject}`, '--timeout', '15'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('DANE for SMTP (RFC 7672)', needs('aiosmtpd', 'dnssec-tools'), () => {
  const dir = scratchDir('dane');
  const data = join(dir.path, 'EDGE01');
  const peers: Peer[] = [];
  let world: DnssecWorld;
  let eeMx: Peer & { output(): string };
  let badMx: Peer & { output(): string };
  let taMx: Peer & { output(): string };
  let taWrongMx: Peer & { output(): string };
  let noTlsMx: Peer & { messages(): SinkMessage[] };
  let plainMx: Peer & { messages(): SinkMessage[] };
  let service: RunningService;
  let eeTlsa = '';

  const sh = async (script: string) => {
    const r = await gatehouse(['shell', '--data', data, '-c', script], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const queueError = async (domain: string): Promise<string> => {
    const records = formatListRecords(await sh('Get-Queue | Format-List NextHopDomain,Status,LastError'));
    return records.find((r) => r.NextHopDomain === domain)?.LastError ?? '';
  };
  const retried = (domain: string) => service.waitFor((l) => l.event === 'delivery.queue.retry' && l.queue === domain && /DANE/.test(String(l.lastError)), 30_000, `the queue of ${domain} in Retry for DANE`);

  before(async () => {
    const ca = certificateAuthority('Unknown Test CA');
    const eeCert = ca.issue('other.example', ['other.example']); // DANE-EE: the name and the CA do not matter
    const badCert = ca.issue('mx-bad.signed.example', ['mx-bad.signed.example']);
    const someOtherKey = ca.issue('unused', ['unused.example']);
    const taLeaf = ca.issue('mx-ta.signed.example', ['mx-ta.signed.example']);
    const taWrong = ca.issue('other.example', ['other.example']);
    const ee = `3 1 1 ${sha256(spki(eeCert.certificatePem))}`;
    eeTlsa = ee;
    const ta = `2 0 1 ${sha256(der(ca.certificatePem))}`;

    world = await startDnssecWorld({
      dir: join(dir.path, 'dns'),
      resolver: RESOLVER,
      authoritative: AUTH,
      signed: {
        name: 'signed.example',
        records: [
          'ee IN MX 10 mx-ee',
          `mx-ee IN A ${EE_MX}`,
          `_25._tcp.mx-ee IN TLSA ${ee}`,
          'bad IN MX 10 mx-bad',
          `mx-bad IN A ${BAD_MX}`,
          `_25._tcp.mx-bad IN TLSA 3 1 1 ${sha256(spki(someOtherKey.certificatePem))}`,
          'notls IN MX 10 mx-notls',
          `mx-notls IN A ${NOTLS_MX}`,
          `_25._tcp.mx-notls IN TLSA ${ee}`,
          'ta IN MX 10 mx-ta',
          `mx-ta IN A ${TA_MX}`,
          `_25._tcp.mx-ta IN TLSA ${ta}`,
          'tawrong IN MX 10 mx-tawrong',
          `mx-tawrong IN A ${TA_WRONG_MX}`,
          `_25._tcp.mx-tawrong IN TLSA ${ta}`,
          // PKIX-EE (1) only: not for SMTP, so no DANE; the peer has no TLS.
          'pkix IN MX 10 mx-pkix',
          `mx-pkix IN A ${NOTLS_MX}`,
          `_25._tcp.mx-pkix IN TLSA 1 1 1 ${sha256(spki(eeCert.certificatePem))}`,
          // Its TLSA RRset is altered after signing: the validating resolver answers SERVFAIL (bogus).
          'bogus IN MX 10 mx-bogus',
          `mx-bogus IN A ${EE_MX}`,
          `_25._tcp.mx-bogus IN TLSA ${ee}`,
          // DaneEnabled $false: the mismatching host is used with ordinary opportunistic TLS.
          'off IN MX 10 mx-bad',
        ],
        afterSigning: (text) => {
          const re = /^(_25\._tcp\.mx-bogus\.signed\.example\.\s+\d+\s+IN\s+TLSA\s+3 1 1 )([0-9a-fA-F]+)/m;
          assert.match(text, re, 'the signed zone has the TLSA record of mx-bogus');
          return text.replace(re, (_m, head: string) => head + 'ab'.repeat(32));
        },
      },
      unsigned: [{ name: 'unsigned.example', records: ['@ IN MX 10 mx', `mx IN A ${PLAIN_MX}`, `_25._tcp.mx IN TLSA 3 1 1 ${'00'.repeat(32)}`] }],
    });

    eeMx = await startAiosmtpd({ dir: join(dir.path, 'ee-mx'), host: EE_MX, port: 25, ...eeCert, user: 'unused', password: 'unused', requireStartTls: false });
    badMx = await startAiosmtpd({ dir: join(dir.path, 'bad-mx'), host: BAD_MX, port: 25, ...badCert, user: 'unused', password: 'unused', requireStartTls: false });
    // DANE-TA: the server presents its chain (leaf, then the CA).
    taMx = await startAiosmtpd({
      dir: join(dir.path, 'ta-mx'),
      host: TA_MX,
      port: 25,
      certificatePem: taLeaf.certificatePem + ca.certificatePem,
      privateKeyPem: taLeaf.privateKeyPem,
      user: 'unused',
      password: 'unused',
      requireStartTls: false,
    });
    taWrongMx = await startAiosmtpd({
      dir: join(dir.path, 'ta-wrong-mx'),
      host: TA_WRONG_MX,
      port: 25,
      certificatePem: taWrong.certificatePem + ca.certificatePem,
      privateKeyPem: taWrong.privateKeyPem,
      user: 'unused',
      password: 'unused',
      requireStartTls: false,
    });
    noTlsMx = await startSink(NOTLS_MX, join(dir.path, 'notls-mx'));
    plainMx = await startSink(PLAIN_MX, join(dir.path, 'plain-mx'));
    peers.push(eeMx, badMx, taMx, taWrongMx, noTlsMx, plainMx);

    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    await sh(
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com | Out-Null',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:2525`,
        `New-ReceiveConnector "From Contoso" -Usage Custom -Bindings ${EDGE}:25 -RemoteIPRanges ${CLIENT} -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers | Out-Null`,
        'New-SendConnector -Name "To Internet" -Usage Internet -AddressSpaces * -DNSRoutingEnabled $true -UseExternalDNSServersEnabled $true | Out-Null',
        `Set-TransportService EDGE01 -ExternalDNSServers ${RESOLVER.address}:${RESOLVER.port} -ExternalDNSAdapterEnabled $false -MessageRetryInterval 00:00:05`,
      ].join('; '),
    );
    service = await startService(data);
  });

  after(async () => {
    await service?.stop();
    for (const p of peers) await p.stop();
    await world?.stop();
    dir.remove();
  });

  it('is on by default, is a Gatehouse setting, and refuses a bad value', async () => {
    assert.match(await sh('Get-SendConnector "To Internet" | Format-List DaneEnabled'), /DaneEnabled\s*:\s*True/);
    assert.match(await sh('Get-Help Set-SendConnector -Parameter DaneEnabled'), /Gatehouse setting/);
    const bad = await gatehouse(['shell', '--data', data, '-c', 'Set-SendConnector "To Internet" -DaneEnabled maybe']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /DaneEnabled/);
    // A smart-host connector gets it off; naming $true there is refused.
    await sh('New-SendConnector -Name "Via relay" -Usage Internet -AddressSpaces relay.example -DNSRoutingEnabled $false -SmartHosts 127.52.9.9 | Out-Null');
    assert.match(await sh('Get-SendConnector "Via relay" | Format-List DaneEnabled'), /DaneEnabled\s*:\s*False/);
    const smart = await gatehouse(['shell', '--data', data, '-c', 'Set-SendConnector "Via relay" -DaneEnabled $true']);
    assert.notEqual(smart.code, 0);
    assert.match(smart.stdout + smart.stderr, /DaneEnabled \$true works only with DNSRoutingEnabled \$true and IgnoreSTARTTLS \$false/);
  });

  it('DANE-EE: delivers over TLS to a host whose key matches, whatever name and CA its certificate has', async () => {
    assert.equal(swaks('bob@ee.signed.example', 'dane ee').status, 0);
    await until(() => /MSG kim@contoso\.com \['bob@ee\.signed\.example'\] tls=True/.test(eeMx.output()), 30_000, 'the message at mx-ee over TLS');
    const found = await service.waitFor((l) => l.event === 'dane.tlsa.found' && l.host === 'mx-ee.signed.example', 10_000, 'the TLSA records in the log');
    assert.deepEqual(found.tlsa, [`${eeTlsa.slice(0, 22)}…`]);
    const authenticated = await service.waitFor((l) => l.event === 'dane.authenticated' && l.host === 'mx-ee.signed.example', 10_000, 'the DANE-EE match in the log');
    assert.equal(authenticated.match, `DANE-EE ${eeTlsa.slice(0, 22)}…`);
  });

  it('a certificate that matches no TLSA record: nothing is sent, the queue says DANE and why', async () => {
    const before = badMx.output().length;
    assert.equal(swaks('bob@bad.signed.example', 'dane bad').status, 0);
    await retried('bad.signed.example');
    assert.match(
      await queueError('bad.signed.example'),
      /451 4\.7\.5 DANE authentication of mx-bad\.signed\.example \[127\.52\.3\.2:25\] failed: the server presented a certificate that matches none of its 1 TLSA record \(3 1 1 [0-9a-f]{16}…\)/,
    );
    assert.doesNotMatch(badMx.output().slice(before), /bad\.signed\.example/);
  });

  it('a DANE host without STARTTLS gets nothing: no plaintext fallback', async () => {
    assert.equal(swaks('bob@notls.signed.example', 'dane notls').status, 0);
    await retried('notls.signed.example');
    assert.match(await queueError('notls.signed.example'), /451 4\.7\.5 DANE authentication of mx-notls\.signed\.example \[127\.52\.4\.1:25\] failed: the server did not offer STARTTLS/);
    assert.ok(!noTlsMx.messages().some((m) => m.text.includes('Subject: dane notls')), 'nothing reached the MX without TLS');
  });

  it('DANE-TA: delivers when the chain leads to the trust anchor and the certificate names the MX host', async () => {
    assert.equal(swaks('bob@ta.signed.example', 'dane ta').status, 0);
    await until(() => /MSG kim@contoso\.com \['bob@ta\.signed\.example'\] tls=True/.test(taMx.output()), 30_000, 'the message at mx-ta over TLS');
    const authenticated = await service.waitFor((l) => l.event === 'dane.authenticated' && l.host === 'mx-ta.signed.example', 10_000, 'the DANE-TA match in the log');
    assert.match(String(authenticated.match), /^DANE-TA 2 0 1 [0-9a-f]{16}…, name mx-ta\.signed\.example$/);
  });

  it('DANE-TA: a certificate under the trust anchor that names another host gets nothing', async () => {
    assert.equal(swaks('bob@tawrong.signed.example', 'dane ta wrong').status, 0);
    await retried('tawrong.signed.example');
    assert.match(
      await queueError('tawrong.signed.example'),
      /DANE authentication of mx-tawrong\.signed\.example \[127\.52\.3\.4:25\] failed: the server presented a certificate that chains to its DANE-TA trust anchor \(2 0 1 [0-9a-f]{16}…\) but carries neither mx-tawrong\.signed\.example nor tawrong\.signed\.example \(it names other\.example\)/,
    );
    assert.doesNotMatch(taWrongMx.output(), /tawrong/);
  });

  it('a bogus TLSA answer (SERVFAIL from the validating resolver): the host is not used', async () => {
    const before = eeMx.output().length;
    assert.equal(swaks('bob@bogus.signed.example', 'dane bogus').status, 0);
    await retried('bogus.signed.example');
    assert.match(await queueError('bogus.signed.example'), /451 4\.7\.5 DANE: no MX host of bogus\.signed\.example can be used: the TLSA lookup of _25\._tcp\.mx-bogus\.signed\.example failed with SERVFAIL/);
    assert.doesNotMatch(eeMx.output().slice(before), /bogus\.signed\.example/);
  });

  it('an unsigned domain: its (insecure) TLSA record is ignored and delivery is ordinary, here in plaintext', async () => {
    assert.equal(swaks('bob@unsigned.example', 'dane unsigned').status, 0);
    await until(() => plainMx.messages().some((m) => m.text.includes('Subject: dane unsigned')), 30_000, "the message at the unsigned domain's MX");
  });

  it('only PKIX-EE records (unusable for SMTP): as if there were none', async () => {
    assert.equal(swaks('bob@pkix.signed.example', 'dane pkix').status, 0);
    await until(() => noTlsMx.messages().some((m) => m.text.includes('Subject: dane pkix')), 30_000, 'the message at the MX with only a PKIX-EE record');
  });

  it('DaneEnabled $false: the TLSA records are not looked at', async () => {
    await sh('Set-SendConnector "To Internet" -DaneEnabled $false');
    await configApplied(service, data);
    assert.equal(swaks('bob@off.signed.example', 'dane off').status, 0);
    await until(() => /MSG kim@contoso\.com \['bob@off\.signed\.example'\] tls=True/.test(badMx.output()), 30_000, 'the message at mx-bad with DANE off');
    assert.ok(!service.lines.some((l) => String(l.event).startsWith('dane.') && JSON.stringify(l).includes('off.signed.example')), 'no DANE lookup for off.signed.example');
  });
});
