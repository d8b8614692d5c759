// An Edge you can put on the Internet: the attacks found on the running lab,
// each reproduced against `gatehouse start` and followed past the Edge to the
// next hop. The topology: dnsmasq for the names, an Edge set up with the
// seed's commands, a Mailbox server behind it (the seed's "To Internal Org"),
// an Internal Send connector from the Edge to a recorder (aiosmtpd, so the
// exact octets the next hop receives can be read), and Postfix's smtp-sink as
// fabrikam.com's MX, where NDRs arrive.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startRecorder, type RecordedMessage } from './harness/recorder.js';
import { seedCommands } from './harness/seed.js';
import { exportSmtpCertificate, smtpCertificate } from './harness/server-certificate.js';
import { recordFinding } from './harness/report.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const DNS = '127.10.95.53';
const DNS_PORT = 5355;
const EDGE_EXT = '127.10.95.1';
const EDGE_INT = '127.10.95.2';
const EDGE_AUTH = '127.10.95.3';
const MBX = '127.168.95.10';
const MBX_OTHER = '127.168.95.20';
const INTERNET_MX = '127.10.96.1';
const PARTNER = '127.10.96.2';
const PW = { edgeauth: 'Edge-Auth-4471', mbxrelay: 'Mbx-Relay-2290', alice: 'Alice-Pass-7', bob: 'Bob-Pass-8' };

const map = (l: string) =>
  l
    .replace(/10\.1\.1\.1\b/g, EDGE_EXT)
    .replace(/10\.1\.1\.2\b/g, EDGE_INT)
    .replace(/192\.168\.5\.10\b/g, MBX)
    .replace(/192\.168\.5\.20\b/g, MBX_OTHER);
const dnsSettings = (server: string) =>
  `Set-TransportService ${server} -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false -TransientFailureRetryInterval 00:00:01 -OutboundConnectionFailureRetryInterval 00:00:02 -MessageRetryInterval 00:00:01`;

function maildirFiles(dir: string): string[] {
  return ['new', 'cur'].flatMap((sub) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).map((f) => readFileSync(join(dir, sub, f), 'latin1')) : []));
}

/** The header section of a message as the next hop received it, with its line ends. */
function headerOf(raw: Buffer): string {
  const end = raw.indexOf('\r\n\r\n');
  return raw.subarray(0, end < 0 ? raw.length : end + 2).toString('utf8');
}

async function greeted(host: string, localAddress?: string): Promise<SmtpDialog> {
  const d = await SmtpDialog.open(host, 25, localAddress);
  assert.equal((await d.reply())?.code, 220, d.transcript);
  return d;
}

/** A transaction from an anonymous Internet client, content sent by DATA or by one BDAT LAST chunk, raw. */
async function sendRaw(to: string, content: Buffer, via: 'DATA' | 'BDAT', mailParams = ''): Promise<{ code: number | undefined; text: string }> {
  const d = await greeted(EDGE_EXT);
  try {
    assert.equal((await d.command('EHLO mail.fabrikam.com'))?.code, 250);
    assert.equal((await d.command(`MAIL FROM:<sender@fabrikam.com>${mailParams}`))?.code, 250, d.transcript);
    assert.equal((await d.command(`RCPT TO:<${to}>`))?.code, 250, d.transcript);
    if (via === 'DATA') {
      assert.equal((await d.command('DATA'))?.code, 354);
      d.write(Buffer.concat([content, Buffer.from('\r\n.\r\n')]));
    } else {
      d.write(Buffer.concat([Buffer.from(`BDAT ${content.length} LAST\r\n`), content]));
    }
    const r = await d.reply();
    await d.command('QUIT');
    return { code: r?.code, text: r?.lines.join(' ') ?? d.transcript };
  } finally {
    d.close();
  }
}

const SMUGGLED = 'X-MS-Exchange-Organization-AuthAs: Internal';
const variants = [
  { name: 'after a bare CR, by DATA', via: 'DATA' as const, eol: '\r' },
  { name: 'after a bare LF, by DATA', via: 'DATA' as const, eol: '\n' },
  { name: 'after a bare CR, by BDAT', via: 'BDAT' as const, eol: '\r' },
  { name: 'after a bare LF, by BDAT', via: 'BDAT' as const, eol: '\n' },
  { name: 'on a line of its own (the control)', via: 'DATA' as const, eol: '\r\n' },
];
const shown = (eol: string) => (({ '\r': '<CR>', '\n': '<LF>', '\r\n': '<CRLF>' }) as Record<string, string>)[eol] ?? JSON.stringify(eol);
const smuggle = (tag: string, eol: string) => Buffer.from(`From: sender@fabrikam.com\r\nSubject: ${tag}${eol}${SMUGGLED}\r\nMessage-ID: <${tag}@fabrikam.com>\r\n\r\nbody of ${tag}\r\n`, 'latin1');

describe('an Edge on the Internet: the attacks, followed to the next hop', () => {
  const dir = scratchDir('inbound-trust');
  const edge = join(dir.path, 'EDGE01');
  const mbx = join(dir.path, 'MBX01');
  const peers: Peer[] = [];
  const services: RunningService[] = [];
  let internet: Peer & { messages(): SinkMessage[] };
  let partner: Peer & { messages(): RecordedMessage[] };
  let aliceMaildir = '';
  let edgeService: RunningService;

  const shell = async (data: string, script: string[]) => {
    const r = await gatehouse(['shell', '--data', data], { input: script.join('\n') + '\n' });
    assert.equal(r.code, 0, `${script.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const partnerMessage = (tag: string) => partner.messages().find((m) => m.raw.includes(`Subject: ${tag}\r\n`));

  before(async () => {
    peers.push(
      await startDnsmasq(
        DNS,
        DNS_PORT,
        ['contoso.com', 'fabrikam.com'],
        [`--host-record=mbxserver01.contoso.com,${MBX}`, `--host-record=edge01.contoso.com,${EDGE_INT}`, '--mx-host=fabrikam.com,mx.fabrikam.com,10', `--host-record=mx.fabrikam.com,${INTERNET_MX}`],
      ),
    );
    internet = await startSink(INTERNET_MX, join(dir.path, 'internet-sink'));
    partner = await startRecorder(PARTNER, 25, join(dir.path, 'partner'));
    peers.push(internet, partner);
    const seed = seedCommands();
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbxserver01.contoso.com', '--data', mbx])).code, 0);
    // The seed's "To Edge" names both Mailbox servers; MBX02 exists but does not run here.
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX02', '--fqdn', 'mbxserver02.contoso.com', '--data', join(dir.path, 'MBX02')])).code, 0);
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);

    // Each side sends its credential to the other only because it trusts the other's certificate
    // (the Edge's must carry edge01.contoso.com, the name "To Edge" uses).
    await shell(edge, ['New-ExchangeCertificate -DomainName edge01.contoso.net,edge01.contoso.com -Services SMTP -Force | Out-Null', `Remove-ExchangeCertificate -Thumbprint ${smtpCertificate(edge).thumbprint} -Confirm:$false`]);
    const trustEdge = exportSmtpCertificate(edge, join(dir.path, 'edge01.cer'), 'EDGE01 (trusted peer)');
    const trustMailbox = exportSmtpCertificate(mbx, join(dir.path, 'mbx01.cer'), 'MBX01 (trusted peer)');
    await shell(
      mbx,
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        'New-MailboxDatabase DB1 -Server MBX01',
        `New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (ConvertTo-SecureString "${PW.alice}" -AsPlainText -Force)`,
        `New-Mailbox -Name Bob -Alias bob -UserPrincipalName bob@contoso.com -Database DB1 -Password (ConvertTo-SecureString "${PW.bob}" -AsPlainText -Force)`,
        'New-DistributionGroup -Name Staff -Alias staff -PrimarySmtpAddress staff@contoso.com -Members alice',
        `New-ADUser -Name EdgeAuth -SamAccountName edgeauth -AccountPassword (ConvertTo-SecureString "${PW.edgeauth}" -AsPlainText -Force) -Enabled $true`,
        'Add-ADGroupMember -Identity "Exchange Servers" -Members edgeauth',
        `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX}:25 -TarpitInterval 00:00:00`,
        `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX}:587`,
        dnsSettings('MBX01'),
        trustEdge,
        ...seed.mailbox.filter((l) => !l.startsWith('Get-')),
      ].flatMap((l) => (l.endsWith('Get-Credential') ? [l, 'mbxrelay', PW.mbxrelay] : [l])),
    );

    await shell(
      edge,
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        'New-AcceptedDomain Partner -DomainName partner.example -DomainType InternalRelay',
        trustMailbox,
        `New-LocalUser -Name mbxrelay -Password (ConvertTo-SecureString "${PW.mbxrelay}" -AsPlainText -Force)`,
        'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay',
        dnsSettings('EDGE01'),
        ...seed.edge.filter((l) => !l.startsWith('Get-')).map(map),
        'Set-SendConnector "To Internal Org" -SmartHosts mbxserver01.contoso.com',
        `New-SendConnector "To Partner" -Usage Internal -AddressSpaces partner.example -DNSRoutingEnabled $false -SmartHosts "[${PARTNER}]"`,
        'Set-ReceiveConnector "From Internet" -TarpitInterval 00:00:00',
        // A connector that takes Basic auth in clear (as some internal ones do), for the STARTTLS case.
        `New-ReceiveConnector "Auth In Clear" -Usage Custom -Bindings ${EDGE_AUTH}:25 -RemoteIPRanges 0.0.0.0-255.255.255.255 -AuthMechanism Tls,BasicAuth -PermissionGroups ExchangeServers -TarpitInterval 00:00:00`,
      ].flatMap((l) => (l.endsWith('Get-Credential') ? [l, 'CONTOSO\\edgeauth', PW.edgeauth] : [l])),
    );

    const value = async (expr: string) => (await gatehouse(['shell', '--data', mbx, '-c', expr])).stdout.trim();
    aliceMaildir = join(await value('(Get-MailboxDatabase DB1).FolderPath'), await value('(Get-Mailbox alice).Guid'));
    edgeService = await startService(edge);
    services.push(edgeService, await startService(mbx));
  });

  after(async () => {
    for (const s of services) await s.stop();
    for (const p of peers) await p.stop();
    dir.remove();
  });

  describe('1. the header firewall judges the lines the next hop receives', () => {
    for (const v of variants) {
      it(`an organization header ${v.name} reaches the next hop only as the Edge's own Anonymous stamp`, async () => {
        const tag = `partner-${v.via}-${JSON.stringify(v.eol).replace(/\W/g, '')}`;
        const r = await sendRaw('someone@partner.example', smuggle(tag, v.eol), v.via);
        assert.equal(r.code, 250, r.text);
        await until(() => partnerMessage(tag) !== undefined, 30_000, `${tag} at the partner's server`);
        const header = headerOf(partnerMessage(tag)!.raw);
        const stamps = header.split('\r\n').filter((l) => /^X-MS-Exchange-Organization-AuthAs:/i.test(l));
        recordFinding({
          finding: 1,
          title: `to an Internal connector's next hop, ${v.name}`,
          attack: `anonymous, by ${v.via}: Subject: x${shown(v.eol)}${SMUGGLED}`,
          reply: r.text,
          outcome: `the recorder got ${stamps.length} AuthAs line(s): ${stamps.join('; ') || 'none'}`,
          ok: stamps.length === 1 && /Anonymous$/.test(stamps[0]!),
        });
        assert.deepEqual(stamps, ['X-MS-Exchange-Organization-AuthAs: Anonymous'], header);
        assert.ok(!/\r(?!\n)|(?<!\r)\n/.test(header), `every header line the next hop got ends with CRLF: ${JSON.stringify(header)}`);
      });
    }

    for (const v of variants) {
      it(`the Mailbox server refuses a smuggled message ${v.name} to a group that requires authenticated senders`, async () => {
        const tag = `staff-${v.via}-${JSON.stringify(v.eol).replace(/\W/g, '')}`;
        const r = await sendRaw('staff@contoso.com', smuggle(tag, v.eol), v.via);
        assert.equal(r.code, 250, 'the Edge cannot know the group; it accepts');
        await until(() => internet.messages().some((m) => m.rcptTo.includes('sender@fabrikam.com') && m.text.includes(tag)), 45_000, `the NDR for ${tag}`);
        const ndr = internet.messages().find((m) => m.rcptTo.includes('sender@fabrikam.com') && m.text.includes(tag))!;
        const delivered = maildirFiles(aliceMaildir).some((m) => m.includes(`Subject: ${tag}`));
        const status = /Status: (\S+)/.exec(ndr.text)?.[1] ?? 'none';
        recordFinding({
          finding: 1,
          title: `to staff@contoso.com (RequireSenderAuthenticationEnabled) on MBX01, ${v.name}`,
          attack: `anonymous, by ${v.via}: Subject: x${shown(v.eol)}${SMUGGLED}`,
          reply: `Edge: ${r.text}`,
          outcome: `MBX01 refused it: NDR with Status ${status} to the sender; ${delivered ? 'DELIVERED to the group member' : "nothing in the member's mailbox"}`,
          ok: status === '5.7.1' && !delivered,
        });
        assert.match(ndr.text, /Status: 5\.7\.1/);
        assert.ok(!delivered, "nothing reached the group's member");
      });
    }
  });

  describe('2. trace headers are UTF-8, and control characters never reach them', () => {
    it('an SMTPUTF8 recipient with U+010D U+010A is written as UTF-8 in the Received header, adding no line', async () => {
      const tag = 'utf8-received';
      const to = '\u010d\u010a@partner.example';
      const d = await greeted(EDGE_EXT);
      assert.equal((await d.command('EHLO mail.fabrikam.com'))?.code, 250);
      assert.equal((await d.command('MAIL FROM:<sender@fabrikam.com> SMTPUTF8'))?.code, 250, d.transcript);
      d.write(Buffer.from(`RCPT TO:<${to}>\r\n`, 'utf8'));
      assert.equal((await d.reply())?.code, 250, d.transcript);
      assert.equal((await d.command('DATA'))?.code, 354);
      d.write(`Subject: ${tag}\r\n\r\nbody\r\n.\r\n`);
      assert.equal((await d.reply())?.code, 250, d.transcript);
      d.close();
      await until(() => partnerMessage(tag) !== undefined, 30_000, "the message at the partner's server");
      const header = headerOf(partnerMessage(tag)!.raw);
      const lines = header.split('\r\n').slice(0, -1);
      for (const l of lines) assert.match(l, /^[!-9;-~]+:|^[ \t]/, `a header line that is neither a field nor a continuation: ${JSON.stringify(l)}`);
      const received = lines.find((l) => l.startsWith('Received: from mail.fabrikam.com'));
      const stray = lines.filter((l) => !/^[!-9;-~]+:|^[ \t]/.test(l));
      recordFinding({
        finding: 2,
        title: 'an SMTPUTF8 recipient whose code points end in 0x0D 0x0A',
        attack: 'RCPT TO:<U+010D U+010A@partner.example> with SMTPUTF8',
        reply: '250 (accepted)',
        outcome: `the next hop's Received: ...${received?.slice(received.indexOf(' for <'), received.indexOf('>;') + 1) ?? 'missing'} (UTF-8); lines that are not fields: ${stray.length}`,
        ok: stray.length === 0 && received?.includes(`for <${to}>`) === true,
      });
      assert.ok(received?.includes(`for <${to}>`), `the whole address, UTF-8: ${received}`);
    });

    it('an address or EHLO name with a control character in any encoding is refused at the command', async () => {
      const d = await greeted(EDGE_EXT);
      d.write(Buffer.from('EHLO mail\u0085.fabrikam.com\r\n', 'utf8'));
      assert.equal((await d.reply())?.code, 501);
      assert.equal((await d.command('EHLO mail.fabrikam.com'))?.code, 250);
      assert.equal((await d.command('MAIL FROM:<sender@fabrikam.com> SMTPUTF8'))?.code, 250);
      for (const rcpt of ['a\u0085b@partner.example', 'a\u2028b@partner.example', 'a\u008d\u008a@partner.example']) {
        d.write(Buffer.from(`RCPT TO:<${rcpt}>\r\n`, 'utf8'));
        const r = await d.reply();
        const escaped = rcpt.replace(/[^\x21-\x7e]/g, (c) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
        recordFinding({ finding: 2, title: 'a control character in an address', attack: `RCPT TO:<${escaped}> (UTF-8, SMTPUTF8)`, reply: `${r?.code} ${r?.lines.join(' ')}`, outcome: 'refused at the command', ok: r?.code === 501 });
        assert.equal(r?.code, 501, `${JSON.stringify(rcpt)}: ${d.transcript}`);
        assert.match(r!.lines[0], /^5\.1\.3 /);
      }
      const orcpt = await d.command('RCPT TO:<ok@partner.example> ORCPT=rfc822;x+0D+0AX-Injected:+20yes@partner.example');
      recordFinding({
        finding: 2,
        title: 'a control character in an xtext-encoded ORCPT',
        attack: 'ORCPT=rfc822;x+0D+0AX-Injected:+20yes@partner.example',
        reply: `${orcpt?.code} ${orcpt?.lines.join(' ')}`,
        outcome: 'refused at the command',
        ok: orcpt?.code === 501,
      });
      assert.equal(orcpt?.code, 501, d.transcript);
      d.close();
    });
  });

  describe('7. STARTTLS forgets a login made in clear', () => {
    it('after STARTTLS the client is anonymous again and must authenticate anew', async () => {
      const d = await greeted(EDGE_AUTH);
      const ehlo = await d.command('EHLO mbx.contoso.com');
      assert.ok(
        ehlo?.lines.some((l) => /^AUTH /.test(l)),
        d.transcript,
      );
      const plain = Buffer.from(`\0mbxrelay\0${PW.mbxrelay}`).toString('base64');
      assert.equal((await d.command(`AUTH PLAIN ${plain}`))?.code, 235, d.transcript);
      assert.equal((await d.command('STARTTLS'))?.code, 220);
      await d.upgrade();
      const again = await d.command('EHLO mbx.contoso.com');
      assert.ok(
        again?.lines.some((l) => /^AUTH /.test(l)),
        `AUTH is offered again: ${d.transcript}`,
      );
      const mail = await d.command('MAIL FROM:<alice@contoso.com>');
      recordFinding({
        finding: 7,
        title: 'a login in clear, then STARTTLS',
        attack: 'AUTH PLAIN (235) in clear, STARTTLS, EHLO, MAIL FROM on a connector for Exchange Servers only',
        reply: `${mail?.code} ${mail?.lines.join(' ')}`,
        outcome: 'after TLS the client is anonymous; AUTH is offered again and must be repeated',
        ok: mail?.code === 530,
      });
      assert.equal(mail?.code, 530, `the login in clear no longer counts: ${d.transcript}`);
      assert.equal((await d.command(`AUTH PLAIN ${plain}`))?.code, 235, 'a login inside TLS works');
      assert.equal((await d.command('MAIL FROM:<alice@contoso.com>'))?.code, 250);
      d.close();
    });
  });

  describe('6. TLS renegotiation', () => {
    it("a client-initiated renegotiation is refused (Node's TLS client)", async () => {
      const d = await greeted(EDGE_EXT);
      await d.command('EHLO mail.fabrikam.com');
      assert.equal((await d.command('STARTTLS'))?.code, 220);
      const raw = d.socket as Socket;
      raw.removeAllListeners('data');
      const secure = tlsConnect({ socket: raw, rejectUnauthorized: false, servername: 'edge01.contoso.net', maxVersion: 'TLSv1.2' });
      await new Promise<void>((resolve, reject) => {
        secure.once('secureConnect', () => resolve());
        secure.once('error', reject);
      });
      const outcome = await new Promise<string>((resolve) => {
        secure.once('error', (err) => resolve(`error: ${err.message}`));
        secure.once('close', () => resolve('closed'));
        const asked = secure.renegotiate({ rejectUnauthorized: false }, (err) => resolve(err ? `refused: ${err.message}` : 'renegotiated'));
        if (!asked) resolve('not started');
        setTimeout(() => resolve('no answer'), 10_000).unref();
      });
      recordFinding({ finding: 6, title: "Node's TLS client asks to renegotiate (TLS 1.2)", attack: 'TLSSocket.renegotiate() after STARTTLS', reply: outcome, outcome: 'no renegotiation took place', ok: outcome !== 'renegotiated' });
      assert.notEqual(outcome, 'renegotiated', outcome);
      secure.destroy();
      const after = await greeted(EDGE_EXT);
      assert.equal((await after.command('NOOP'))?.code, 250, 'the service serves other clients');
      after.close();
    });

    it('openssl s_client\'s renegotiation ("R") is refused', () => {
      const script = `(sleep 1; printf 'EHLO x.example\\r\\n'; sleep 1; printf 'R\\n'; sleep 2; printf 'NOOP\\r\\n'; sleep 1) | openssl s_client -connect ${EDGE_EXT}:25 -starttls smtp -tls1_2 -servername edge01.contoso.net 2>&1`;
      const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 30_000 });
      const failed = /no renegotiation|handshake failure|alert/i.exec(r.stdout.slice(r.stdout.indexOf('RENEGOTIATING')))?.[0] ?? 'none';
      recordFinding({
        finding: 6,
        title: 'openssl s_client -tls1_2 sends "R"',
        attack: 'a client-initiated renegotiation after STARTTLS',
        reply: `the handshake failed (${failed})`,
        outcome: 'nothing served on a renegotiated session',
        ok: failed !== 'none',
      });
      assert.match(r.stdout, /RENEGOTIATING/, r.stdout);
      assert.match(r.stdout, /no renegotiation|handshake failure|alert/i, `the renegotiation failed: ${r.stdout}`);
      assert.ok(!/250 2\.0\.0 OK/.test(r.stdout.slice(r.stdout.indexOf('RENEGOTIATING'))), `nothing was served on a renegotiated session: ${r.stdout}`);
    });
  });

  describe('4. connection rates: one client cannot lock out another connector', () => {
    it('per-source refusals use up nothing; exhausting "From Internet" leaves "From Internal Org" open to the Mailbox servers', async () => {
      await shell(edge, ['Set-TransportService EDGE01 -MaxConnectionRatePerMinute 100', 'Set-ReceiveConnector "From Internet" -MaxInboundConnectionPerSource 2']);
      // Wait until the new limits are in force (the service follows the store within a second or two).
      const held: SmtpDialog[] = [];
      await until(
        async () => {
          const extra = await SmtpDialog.open(EDGE_EXT, 25);
          const first = await extra.reply();
          if (first?.code === 421) {
            extra.close();
            return true;
          }
          held.push(extra);
          return false;
        },
        15_000,
        'MaxInboundConnectionPerSource 2 in force',
      );
      // 100 more from the same address are refused per source...
      let perSource = 0;
      for (let i = 0; i < 100; i++) {
        const d = await SmtpDialog.open(EDGE_EXT, 25);
        const r = await d.reply();
        if (r?.code === 421 && /concurrent connections/.test(r.lines.join(' '))) perSource++;
        d.close();
      }
      recordFinding({
        finding: 4,
        title: 'connections refused per source',
        attack: '100 connections from one address over MaxInboundConnectionPerSource 2',
        reply: `${perSource} × 421 4.3.2 (concurrent connections)`,
        outcome: 'they use up none of MaxConnectionRatePerMinute (see the next row)',
        ok: perSource === 100,
      });
      assert.equal(perSource, 100);
      held.forEach((d) => d.close());
      // ...and used up none of the 100 a minute: the next 40 are served, none refused for the rate.
      // (A connection may still meet a held one the service has not yet seen close: that is a
      // per-source refusal, which counts for nothing either, and the client tries again.)
      let served = 0;
      const rateRefusals: string[] = [];
      for (let i = 0; i < 120 && served < 40; i++) {
        const d = await SmtpDialog.open(EDGE_EXT, 25);
        const r = await d.reply();
        if (r?.code === 220) served++;
        else if (/connection rate/.test(r?.lines.join(' ') ?? '')) rateRefusals.push(r!.lines.join(' '));
        d.close();
        await d.closedWithin(2000);
      }
      assert.equal(served, 40);
      assert.deepEqual(rateRefusals, [], 'refused connections did not count towards MaxConnectionRatePerMinute');
      // Use up the Internet connector's allowance.
      let rateRefused = false;
      for (let i = 0; i < 200 && !rateRefused; i++) {
        const d = await SmtpDialog.open(EDGE_EXT, 25);
        const r = await d.reply();
        rateRefused = r?.code === 421 && /connection rate/.test(r.lines.join(' '));
        d.close();
        await d.closedWithin(2000);
      }
      assert.ok(rateRefused, 'the Internet connector reached MaxConnectionRatePerMinute');
      // The Mailbox server still gets in on "From Internal Org".
      const inside = await SmtpDialog.open(EDGE_INT, 25, MBX);
      const insideReply = await inside.reply();
      recordFinding({
        finding: 4,
        title: "the Internet connector's allowance used up",
        attack: `connect-and-close from one Internet address until refused (MaxConnectionRatePerMinute 100); before it, ${served} were served after the 100 refusals`,
        reply: `Internet: 421 4.3.2 connection rate; the Mailbox server on From Internal Org: ${insideReply?.code}`,
        outcome: 'the Mailbox server still gets in (each connector has its own allowance)',
        ok: insideReply?.code === 220 && served === 40 && rateRefusals.length === 0,
      });
      assert.equal(insideReply?.code, 220, inside.transcript);
      inside.close();
      await shell(edge, ['Set-TransportService EDGE01 -MaxConnectionRatePerMinute 1200', 'Set-ReceiveConnector "From Internet" -MaxInboundConnectionPerSource 20']);
    });
  });

  describe("8. client submission: the message's From and Sender are held to Send As", () => {
    const submit = (from: string, sender = '') =>
      spawnSync(
        'python3',
        [
          '-c',
          `
import smtplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('${MBX}', 587, timeout=20)
s.starttls(context=ctx); s.login('alice', '${PW.alice}')
msg = 'From: ${from}\\r\\n${sender ? `Sender: ${sender}\\r\\n` : ''}To: kim@fabrikam.com\\r\\nSubject: send-as\\r\\n\\r\\nhello\\r\\n'
try:
    s.sendmail('alice@contoso.com', ['kim@fabrikam.com'], msg)
    print('accepted')
except smtplib.SMTPDataError as e:
    print('refused', e.smtp_code, e.smtp_error.decode())
s.quit()`,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );

    it("another user's address in From: 550 5.7.60", () => {
      const r = submit('Bob <bob@contoso.com>');
      recordFinding({
        finding: 8,
        title: 'alice submits with From: Bob <bob@contoso.com>',
        attack: 'authenticated client submission (Client MBX01), envelope alice@contoso.com',
        reply: r.stdout.trim(),
        outcome: 'refused after the data; nothing queued',
        ok: /refused 550 5\.7\.60/.test(r.stdout),
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /refused 550 5\.7\.60 SMTP; Client does not have permissions to send as this sender/);
    });
    it("another user's address in Sender: 550 5.7.60", () => {
      const r = submit('Alice <alice@contoso.com>', 'bob@contoso.com');
      recordFinding({
        finding: 8,
        title: 'alice submits with Sender: bob@contoso.com',
        attack: 'authenticated client submission, From: alice',
        reply: r.stdout.trim(),
        outcome: 'refused after the data',
        ok: /refused 550 5\.7\.60/.test(r.stdout),
      });
      assert.match(r.stdout, /refused 550 5\.7\.60 /, r.stdout + r.stderr);
    });
    it("the user's own address is accepted", () => {
      const r = submit('"Alice Smith" <alice@contoso.com>');
      assert.match(r.stdout, /^accepted/, r.stdout + r.stderr);
    });
  });

  describe('12. tarpits do not leak listeners', () => {
    it('a dozen refused recipients in one session, each tarpitted, leave no MaxListenersExceededWarning', async () => {
      const applied = () => edgeService.lines.filter((l) => l.event === 'config.applied').length;
      const before = applied();
      await shell(edge, ['Set-ReceiveConnector "From Internet" -TarpitInterval 00:00:00.0500000']);
      await until(() => applied() > before, 15_000, 'the service to apply the new TarpitInterval');
      const d = await greeted(EDGE_EXT);
      await d.command('EHLO mail.fabrikam.com');
      await d.command('MAIL FROM:<sender@fabrikam.com>');
      for (let i = 0; i < 15; i++) assert.equal((await d.command(`RCPT TO:<x${i}@nowhere.example>`))?.code, 550, d.transcript);
      assert.equal((await d.command('QUIT'))?.code, 221);
      d.close();
      await shell(edge, ['Set-ReceiveConnector "From Internet" -TarpitInterval 00:00:00']);
      const warned = edgeService.lines.some((l) => /MaxListenersExceeded/.test(JSON.stringify(l)));
      recordFinding({
        finding: 12,
        title: 'tarpitted refusals',
        attack: '15 relay-denied RCPTs in one anonymous session, each tarpitted',
        reply: '15 × 550 5.7.1 Unable to relay',
        outcome: warned ? 'MaxListenersExceededWarning' : 'no listener leak warning',
        ok: !warned,
      });
      assert.ok(
        !edgeService.lines.some((l) => /MaxListenersExceeded/.test(JSON.stringify(l))),
        edgeService.lines
          .filter((l) => l.event === 'stderr')
          .map((l) => JSON.stringify(l))
          .join('\n'),
      );
    });
  });
});
