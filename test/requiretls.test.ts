// REQUIRETLS (RFC 8689) end to end between two running servers of one organization: an Edge
// (EDGE01) and a Mailbox server (MBX01), each trusting the other's certificate by
// Import-ExchangeCertificate, as an admin does. Real clients (Python's smtplib with
// mail_options=['REQUIRETLS'], swaks) and real peers: dnsmasq for the MX records, Postfix's
// smtp-sink as an Internet host without STARTTLS, an MX that does not answer at all.
//  - EHLO offers REQUIRETLS only inside TLS; MAIL FROM ... REQUIRETLS in clear gets 530 5.7.10.
//  - Edge -> Mailbox: a REQUIRETLS message reaches bob's Maildir; the Mailbox's receive protocol
//    log shows it came with MAIL FROM ... REQUIRETLS inside TLS.
//  - Get-Message shows RequireTls for a message that waits (its MX does not answer).
//  - Edge -> smtp-sink (no STARTTLS): nothing reaches the sink; the sender gets an NDR with
//    5.7.10 that returns the header only. Without REQUIRETLS the same host gets the mail.
//  - Mailbox -> Edge: alice submits with REQUIRETLS on MBX01; the Edge receives it with the flag
//    and, having no REQUIRETLS hop to plain.example, returns it: the NDR comes from the Edge.
//  - Edge -> TLS hosts that fail one check each (aiosmtpd with STARTTLS: a trusted certificate but
//    no REQUIRETLS, a trusted certificate for another name, a certificate nobody imported): each
//    REQUIRETLS message gets an NDR saying which check failed (5.7.30 / 5.7.10), and nothing
//    reaches them; mail without REQUIRETLS still goes to the first.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { certificateAuthority, selfSigned } from './harness/openssl-certificates.js';
import { startAiosmtpd, startDnsmasq, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { exportSmtpCertificate } from './harness/server-certificate.js';
import { startService, type RunningService } from './harness/service.js';
import { needs, hasTool } from './harness/tools.js';

const DNS = '127.51.0.53';
const EDGE_IN = '127.51.1.1'; // EDGE01: Internet-facing receive connector; source of its mail to MBX01
const EDGE_ORG = '127.51.1.2'; // EDGE01: "From Org" (edge01.contoso.net), for the client and MBX01
const MBX = '127.51.2.1'; // MBX01 (mbx01.contoso.com)
const PLAIN_MX = '127.51.3.1'; // mx.plain.example: smtp-sink, no STARTTLS
const DEAD_MX = '127.51.3.9'; // mx.slow.example: nothing listens
const NOREQ_MX = '127.51.4.1'; // mx.noreq.example: aiosmtpd, STARTTLS with a trusted certificate, no REQUIRETLS
const WRONGNAME_MX = '127.51.4.2'; // mx.wrongname.example: a trusted certificate for another name
const UNTRUSTED_MX = '127.51.4.3'; // mx.untrusted.example: a certificate nobody imported
const CLIENT = '127.51.9.1';
const PW = { alice: 'Alice-RequireTls-51', bob: 'Bob-RequireTls-52' };

// One SMTP session with Python's smtplib; prints a JSON report of what happened.
const CLIENT_PY = `
import json, smtplib, ssl, sys
a = json.loads(sys.argv[1])
out = {}
s = smtplib.SMTP(a['host'], a['port'], local_hostname='pc.contoso.com', timeout=20, source_address=(a['source'], 0))
try:
    s.ehlo(); out['ehlo'] = s.ehlo_resp.decode()
    if a.get('tls'):
        ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx); s.ehlo(); out['ehlo_tls'] = s.ehlo_resp.decode()
    if a.get('auth'):
        s.login(a['auth'][0], a['auth'][1])
    code, msg = s.mail(a['from'], a.get('mail_options', []))
    out['mail'] = [code, msg.decode()]
    if code == 250:
        for r in a['to']:
            code, msg = s.rcpt(r); out.setdefault('rcpt', []).append([code, msg.decode()])
        code, msg = s.data(a['data'].encode())
        out['data'] = [code, msg.decode()]
    else:
        s.rset()
    s.quit()
except smtplib.SMTPException as e:
    out['error'] = repr(e)
print(json.dumps(out))
`;

interface ClientReport {
  ehlo?: string;
  ehlo_tls?: string;
  mail?: [number, string];
  rcpt?: [number, string][];
  data?: [number, string];
  error?: string;
}

function smtpClient(args: { host: string; port: number; source: string; tls?: boolean; auth?: [string, string]; from: string; to: string[]; mailOptions?: string[]; subject?: string }): Promise<ClientReport> {
  const data = `From: <${args.from}>\r\nTo: ${args.to.map((t) => `<${t}>`).join(', ')}\r\nSubject: ${args.subject ?? 'test'}\r\n\r\nThe confidential body of ${args.subject ?? 'test'}.\r\n`;
  const input = JSON.stringify({ host: args.host, port: args.port, source: args.source, tls: args.tls ?? false, auth: args.auth, from: args.from, to: args.to, mail_options: args.mailOptions ?? [], data });
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', CLIENT_PY, input], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stdout}\n${stderr}`));
      resolve(JSON.parse(stdout) as ClientReport);
    });
  });
}

function maildir(dir: string): { name: string; text: string }[] {
  return ['new', 'cur'].flatMap((sub) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).map((f) => ({ name: f, text: readFileSync(join(dir, sub, f), 'latin1') })) : []));
}

/** Every file under `dir` whose path has a folder named `folder`, concatenated. */
function logText(dir: string, folder: string): string {
  const out: string[] = [];
  const walk = (d: string, inside: boolean) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, inside || name === folder);
      else if (inside) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(dir, false);
  return out.join('');
}

describe('REQUIRETLS (RFC 8689) through an Edge and a Mailbox server', () => {
  const dir = scratchDir('requiretls');
  const edge = join(dir.path, 'EDGE01');
  const mbx = join(dir.path, 'MBX01');
  const peers: Peer[] = [];
  let sink: Peer & { messages(): SinkMessage[] };
  let edgeService: RunningService | undefined;
  let mbxService: RunningService | undefined;
  const ca = certificateAuthority('Internet Test CA');
  const tlsPeers = new Map<string, Peer & { output(): string }>();
  let aliceDir = '';
  let bobDir = '';

  const sh = async (data: string, script: string) => {
    const r = await gatehouse(['shell', '--data', data, '-c', script], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr, '', script);
    return r.stdout;
  };
  const dnsSettings = (server: string) =>
    `Set-TransportService ${server} -InternalDNSServers ${DNS} -InternalDNSAdapterEnabled $false -ExternalDNSServers ${DNS} -ExternalDNSAdapterEnabled $false -MessageRetryInterval 00:00:01 -TransientFailureRetryInterval 00:00:01 -OutboundConnectionFailureRetryInterval 00:00:02`;
  const ndrFor = (subject: string) => maildir(aliceDir).find((m) => /^Subject: Undeliverable: /m.test(m.text) && m.text.includes(subject));

  before(async () => {
    peers.push(
      await startDnsmasq(
        DNS,
        53,
        ['contoso.com', 'contoso.net', 'plain.example', 'slow.example', 'noreq.example', 'wrongname.example', 'untrusted.example'],
        [
          `--host-record=mbx01.contoso.com,${MBX}`,
          `--host-record=edge01.contoso.net,${EDGE_ORG}`,
          '--mx-host=plain.example,mx.plain.example,10',
          `--host-record=mx.plain.example,${PLAIN_MX}`,
          '--mx-host=slow.example,mx.slow.example,10',
          `--host-record=mx.slow.example,${DEAD_MX}`,
          '--mx-host=noreq.example,mx.noreq.example,10',
          `--host-record=mx.noreq.example,${NOREQ_MX}`,
          '--mx-host=wrongname.example,mx.wrongname.example,10',
          `--host-record=mx.wrongname.example,${WRONGNAME_MX}`,
          '--mx-host=untrusted.example,mx.untrusted.example,10',
          `--host-record=mx.untrusted.example,${UNTRUSTED_MX}`,
        ],
      ),
    );
    sink = await startSink(PLAIN_MX, join(dir.path, 'sink'));
    peers.push(sink);

    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbx01.contoso.com', '--data', mbx])).code, 0);
    await sh(edge, 'New-ExchangeCertificate -DomainName edge01.contoso.net -Services SMTP -Force | Out-Null');
    await sh(mbx, 'New-ExchangeCertificate -DomainName mbx01.contoso.com -Services SMTP -Force | Out-Null');
    const importOnMbx = exportSmtpCertificate(edge, join(dir.path, 'edge01.cer'), 'EDGE01');
    const importOnEdge = exportSmtpCertificate(mbx, join(dir.path, 'mbx01.cer'), 'MBX01');
    // The Internet hosts' CA, trusted on the Edge as an admin would import a partner's CA.
    writeFileSync(join(dir.path, 'internet-ca.cer'), ca.certificatePem);

    await sh(
      edge,
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE_IN}:25 -TarpitInterval 00:00:00`,
        `New-ReceiveConnector "From Org" -Usage Custom -Bindings ${EDGE_ORG}:25 -RemoteIPRanges ${CLIENT},${MBX} -AuthMechanism Tls,ExternalAuthoritative -PermissionGroups ExchangeServers -TarpitInterval 00:00:00 -ProtocolLoggingLevel Verbose`,
        `New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts mbx01.contoso.com -SourceIPAddress ${EDGE_IN} -ProtocolLoggingLevel Verbose`,
        'New-SendConnector -Name "To Internet" -AddressSpaces * -DNSRoutingEnabled $true',
        importOnEdge,
        `Import-ExchangeCertificate -FileName "${join(dir.path, 'internet-ca.cer')}" -FriendlyName "Internet CA" | Out-Null`,
        dnsSettings('EDGE01'),
      ].join('; '),
    );
    const s = await sh(
      mbx,
      [
        'New-AcceptedDomain -Name Contoso -DomainName contoso.com',
        'New-MailboxDatabase -Name DB01 -Server MBX01',
        `New-Mailbox -Name "Alice Smith" -Alias alice -UserPrincipalName alice@contoso.com -Password (ConvertTo-SecureString "${PW.alice}" -AsPlainText -Force) | Out-Null`,
        `New-Mailbox -Name "Bob Jones" -Alias bob -UserPrincipalName bob@contoso.com -Password (ConvertTo-SecureString "${PW.bob}" -AsPlainText -Force) | Out-Null`,
        `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX}:25 -TarpitInterval 00:00:00`,
        `New-ReceiveConnector "From Edge" -Usage Custom -Bindings ${MBX}:25 -RemoteIPRanges ${EDGE_IN} -AuthMechanism Tls,ExternalAuthoritative -PermissionGroups ExchangeServers -TarpitInterval 00:00:00 -ProtocolLoggingLevel Verbose`,
        `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX}:587 -TarpitInterval 00:00:00 -AuthTarpitInterval 00:00:00`,
        `New-SendConnector -Name "To Edge" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts edge01.contoso.net`,
        importOnMbx,
        dnsSettings('MBX01'),
        '(Get-Mailbox alice).Guid',
        '(Get-Mailbox bob).Guid',
        '(Get-MailboxDatabase DB01).FolderPath',
      ].join('\n'),
    );
    const [aliceGuid, bobGuid, folder] = s
      .trim()
      .split(/\r?\n/)
      .slice(-3)
      .map((l) => l.trim());
    aliceDir = join(folder, aliceGuid);
    bobDir = join(folder, bobGuid);
    if (hasTool('aiosmtpd')) {
      const hosts: [string, string, { certificatePem: string; privateKeyPem: string }][] = [
        ['noreq', NOREQ_MX, ca.issue('mx.noreq.example', ['mx.noreq.example'])],
        ['wrongname', WRONGNAME_MX, ca.issue('other.example', ['other.example'])],
        ['untrusted', UNTRUSTED_MX, selfSigned('mx.untrusted.example', ['mx.untrusted.example'])],
      ];
      for (const [name, host, cert] of hosts) {
        const peer = await startAiosmtpd({ dir: join(dir.path, name), host, port: 25, ...cert, user: 'unused', password: 'unused-9', requireStartTls: false });
        tlsPeers.set(name, peer);
        peers.push(peer);
      }
    }
    edgeService = await startService(edge);
    mbxService = await startService(mbx);
  });

  after(async () => {
    await edgeService?.stop();
    await mbxService?.stop();
    for (const p of peers) await p.stop();
    dir.remove();
  });

  it('offers REQUIRETLS only inside TLS, and refuses it on MAIL FROM in clear with 530 5.7.10', async () => {
    const swaks = spawnSync('swaks', ['--server', `${EDGE_ORG}:25`, '--local-interface', CLIENT, '--ehlo', 'pc.contoso.com', '--tls', '--quit-after', 'HELO', '--timeout', '15'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(swaks.status, 0, swaks.stdout + swaks.stderr);
    const [beforeTls, afterTls] = swaks.stdout.split(/^<-\s+220 2\.0\.0 SMTP server ready$/m);
    assert.ok(afterTls, swaks.stdout);
    assert.doesNotMatch(beforeTls, /REQUIRETLS/, 'not offered in clear');
    assert.match(beforeTls, /^<-\s+250-STARTTLS$/m);
    assert.match(afterTls, /^<~\s+250 REQUIRETLS$/m, 'offered inside TLS');

    const clear = await smtpClient({ host: EDGE_ORG, port: 25, source: CLIENT, from: 'alice@contoso.com', to: ['bob@contoso.com'], mailOptions: ['REQUIRETLS'] });
    assert.doesNotMatch(clear.ehlo!, /REQUIRETLS/);
    assert.deepEqual(clear.mail, [530, '5.7.10 REQUIRETLS needs a TLS session; issue STARTTLS first']);
  });

  it('Edge -> Mailbox: a REQUIRETLS message reaches the mailbox, received with REQUIRETLS inside TLS', async () => {
    const r = await smtpClient({ host: EDGE_ORG, port: 25, source: CLIENT, tls: true, from: 'alice@contoso.com', to: ['bob@contoso.com'], mailOptions: ['REQUIRETLS'], subject: 'sealed to bob' });
    assert.deepEqual(r.mail, [250, '2.1.0 Sender OK'], JSON.stringify(r));
    assert.equal(r.data?.[0], 250, JSON.stringify(r));
    await until(() => maildir(bobDir).some((m) => m.text.includes('Subject: sealed to bob')), 30_000, "the message in bob's Maildir");
    // MBX01's receive protocol log: MAIL FROM ... REQUIRETLS, after STARTTLS.
    const received = logText(mbx, 'SmtpReceive');
    const mailLine = received.split(/\r?\n/).find((l) => /MAIL FROM:<alice@contoso\.com>.*REQUIRETLS/i.test(l));
    assert.ok(mailLine, `MBX01 was sent MAIL FROM ... REQUIRETLS:\n${received}`);
    const session = mailLine.split(',')[2];
    assert.ok(
      received.split(/\r?\n/).some((l) => l.split(',')[2] === session && /STARTTLS/.test(l)),
      'in a session that used STARTTLS',
    );
    // EDGE01's send protocol log of "To Internal Org" says the same from the sending side.
    assert.match(logText(edge, 'SmtpSend'), /MAIL FROM:<alice@contoso\.com>[^\r\n]*REQUIRETLS/);
  });

  it('Get-Message shows RequireTls for a message that waits for its next hop', async () => {
    const sealed = await smtpClient({ host: EDGE_ORG, port: 25, source: CLIENT, tls: true, from: 'alice@contoso.com', to: ['carol@slow.example'], mailOptions: ['REQUIRETLS'], subject: 'sealed and waiting' });
    assert.equal(sealed.data?.[0], 250, JSON.stringify(sealed));
    const plain = await smtpClient({ host: EDGE_ORG, port: 25, source: CLIENT, tls: true, from: 'alice@contoso.com', to: ['dave@slow.example'], subject: 'plain and waiting' });
    assert.equal(plain.data?.[0], 250, JSON.stringify(plain));
    let messages: Record<string, string>[] = [];
    await until(
      async () => {
        messages = formatListRecords(await sh(edge, 'Get-Message | Format-List Subject,Status,RequireTls'));
        return messages.filter((m) => /and waiting/.test(m.Subject) && m.Status === 'Retry').length === 2;
      },
      30_000,
      'both messages in Retry',
    );
    assert.equal(messages.find((m) => m.Subject === 'sealed and waiting')?.RequireTls, 'True');
    assert.equal(messages.find((m) => m.Subject === 'plain and waiting')?.RequireTls, 'False');
  });

  it('Edge -> a host without STARTTLS: not sent; the sender gets an NDR with 5.7.10 and the header only', async () => {
    const control = await smtpClient({ host: EDGE_ORG, port: 25, source: CLIENT, tls: true, from: 'alice@contoso.com', to: ['erin@plain.example'], subject: 'open letter' });
    assert.equal(control.data?.[0], 250, JSON.stringify(control));
    await until(() => sink.messages().some((m) => m.text.includes('Subject: open letter')), 30_000, 'the message without REQUIRETLS at the sink');

    const r = await smtpClient({ host: EDGE_ORG, port: 25, source: CLIENT, tls: true, from: 'alice@contoso.com', to: ['frank@plain.example'], mailOptions: ['REQUIRETLS'], subject: 'sealed to frank' });
    assert.equal(r.data?.[0], 250, JSON.stringify(r));
    await until(() => ndrFor('sealed to frank') !== undefined, 45_000, "the NDR in alice's Maildir");
    const ndr = ndrFor('sealed to frank')!.text.replace(/\r\n[ \t]+/g, ' ');
    assert.match(ndr, /^Status: 5\.7\.10$/m);
    assert.match(ndr, /^Final-Recipient: rfc822; ?frank@plain\.example$/im);
    assert.match(ndr, /^Diagnostic-Code: smtp; ?550 5\.7\.10 REQUIRETLS: mx\.plain\.example \[127\.51\.3\.1:25\] did not offer STARTTLS/m);
    assert.match(ndr, /^Reporting-MTA: dns; ?edge01\.contoso\.net$/m);
    assert.match(ndr, /Content-Type: text\/rfc822-headers/i, 'the header is returned');
    assert.doesNotMatch(ndr, /The confidential body of sealed to frank/, 'the body is not returned (RFC 8689 §5)');
    assert.ok(!sink.messages().some((m) => m.text.includes('sealed to frank')), 'nothing went to the host without TLS');
  });

  it('Mailbox -> Edge: the flag travels with the message; the Edge returns it for want of a REQUIRETLS hop', async () => {
    const r = await smtpClient({ host: MBX, port: 587, source: CLIENT, tls: true, auth: ['alice@contoso.com', PW.alice], from: 'alice@contoso.com', to: ['grace@plain.example'], mailOptions: ['REQUIRETLS'], subject: 'sealed to grace' });
    assert.equal(r.mail?.[0], 250, JSON.stringify(r));
    assert.equal(r.data?.[0], 250, JSON.stringify(r));
    await until(() => ndrFor('sealed to grace') !== undefined, 60_000, "the NDR in alice's Maildir");
    const ndr = ndrFor('sealed to grace')!.text.replace(/\r\n[ \t]+/g, ' ');
    // The Edge reports: MBX01 handed it over (with REQUIRETLS, or the Edge would have sent it in clear).
    assert.match(ndr, /^Reporting-MTA: dns; ?edge01\.contoso\.net$/m);
    assert.match(ndr, /^Status: 5\.7\.10$/m);
    assert.ok(!sink.messages().some((m) => m.text.includes('sealed to grace')), 'nothing went to the host without TLS');
    // EDGE01's receive protocol log: MBX01 (its own address) sent MAIL FROM ... REQUIRETLS inside TLS.
    const lines = logText(edge, 'SmtpReceive').split(/\r?\n/);
    const fromMbx = lines.filter((l) => l.split(',')[5]?.startsWith(`${MBX}:`));
    const mailLine = fromMbx.find((l) => /MAIL FROM:<alice@contoso\.com>.*REQUIRETLS/i.test(l));
    assert.ok(mailLine, `MBX01 sent MAIL FROM ... REQUIRETLS to the Edge:\n${fromMbx.join('\n')}`);
    assert.ok(
      fromMbx.some((l) => l.split(',')[2] === mailLine.split(',')[2] && /STARTTLS/.test(l)),
      'in a session that used STARTTLS',
    );
  });

  it('Edge -> TLS hosts that fail a check: each REQUIRETLS message is returned saying which; nothing reaches them', needs('aiosmtpd'), async () => {
    const control = await smtpClient({ host: EDGE_ORG, port: 25, source: CLIENT, tls: true, from: 'alice@contoso.com', to: ['hana@noreq.example'], subject: 'open to hana' });
    assert.equal(control.data?.[0], 250, JSON.stringify(control));
    await until(() => /MSG alice@contoso\.com \['hana@noreq\.example'\] tls=True/.test(tlsPeers.get('noreq')!.output()), 30_000, 'the message without REQUIRETLS at mx.noreq.example, over TLS');

    const cases = [
      { to: 'ivan@noreq.example', subject: 'sealed to ivan', status: '5.7.30', text: /550 5\.7\.30 REQUIRETLS support required: mx\.noreq\.example \[127\.51\.4\.1:25\] does not offer REQUIRETLS/ },
      {
        to: 'jana@wrongname.example',
        subject: 'sealed to jana',
        status: '5.7.10',
        text: /550 5\.7\.10 REQUIRETLS: mx\.wrongname\.example \[127\.51\.4\.2:25\] could not be authenticated: its certificate does not carry the name mx\.wrongname\.example \(it names other\.example\)/,
      },
      {
        to: 'karl@untrusted.example',
        subject: 'sealed to karl',
        status: '5.7.10',
        text: /550 5\.7\.10 REQUIRETLS: mx\.untrusted\.example \[127\.51\.4\.3:25\] could not be authenticated: its certificate does not chain to a trusted certificate/,
      },
    ];
    for (const c of cases) {
      const r = await smtpClient({ host: EDGE_ORG, port: 25, source: CLIENT, tls: true, from: 'alice@contoso.com', to: [c.to], mailOptions: ['REQUIRETLS'], subject: c.subject });
      assert.equal(r.data?.[0], 250, JSON.stringify(r));
    }
    for (const c of cases) {
      await until(() => ndrFor(c.subject) !== undefined, 45_000, `the NDR for ${c.subject} in alice's Maildir`);
      const ndr = ndrFor(c.subject)!.text.replace(/\r\n[ \t]+/g, ' ');
      assert.match(ndr, new RegExp(`^Status: ${c.status.replace(/\./g, '\\.')}$`, 'm'), c.subject);
      assert.match(ndr, c.text, c.subject);
    }
    for (const peer of tlsPeers.values()) assert.doesNotMatch(peer.output(), /MSG .*(ivan|jana|karl)@/, 'no REQUIRETLS message reached a host that failed a check');
  });
});
