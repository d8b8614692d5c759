// The seed's whole path, each server its own `gatehouse start`: the Internet
// (dnsmasq + Postfix's smtp-sink for fabrikam.com), the Edge (the seed's
// commands), and two Mailbox servers sharing one organization (the seed's
// "To Edge", a database on each, a mailbox in each). Mail from the Internet
// ends in the Maildir of the server that owns the user's database, whichever
// smart host the Edge picked, and Dovecot reads it over IMAP; a user submits
// on "Client MBX02" and the message leaves through the Edge by MX. The Edge and
// the Mailbox servers trust each other's certificates (imported), as their
// credentials go only to a certificate that is trusted and carries the smart
// host's name.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configApplied } from './harness/config-applied.js';
import { startDovecot, type Dovecot } from './harness/dovecot.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { seedCommands } from './harness/seed.js';
import { exportSmtpCertificate, smtpCertificate } from './harness/server-certificate.js';
import { startService, type RunningService } from './harness/service.js';

const DNS = '127.10.50.53';
const DNS_PORT = 5354;
const EDGE_EXT = '127.10.50.1';
const EDGE_INT = '127.10.50.2';
const MBX1 = '127.168.50.10';
const MBX2 = '127.168.50.20';
const INTERNET_MX = '127.10.51.1';
const IMAP = '127.168.50.10';
const IMAP_PORT = 1143;
const PW = { edgeauth: 'Edge-Auth-8812', mbxrelay: 'Mbx-Relay-3319', alice: 'Alice-Pass-1', bob: 'Bob-Pass-2' };

const map = (l: string) =>
  l
    .replace(/10\.1\.1\.1\b/g, EDGE_EXT)
    .replace(/10\.1\.1\.2\b/g, EDGE_INT)
    .replace(/192\.168\.5\.10\b/g, MBX1)
    .replace(/192\.168\.5\.20\b/g, MBX2);
const dnsSettings = (server: string) =>
  `Set-TransportService ${server} -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false -TransientFailureRetryInterval 00:00:01 -OutboundConnectionFailureRetryInterval 00:00:02 -MessageRetryInterval 00:00:01`;

function fromInternet(to: string, subject: string, body = `body of ${subject}`) {
  return spawnSync('swaks', ['--server', `${EDGE_EXT}:25`, '--ehlo', 'mail.fabrikam.com', '--from', 'sender@fabrikam.com', '--to', to, '--header', `Subject: ${subject}`, '--body', body, '--timeout', '15'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

function maildirFiles(dir: string): string[] {
  return ['new', 'cur'].flatMap((sub) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).map((f) => readFileSync(join(dir, sub, f), 'latin1')) : []));
}

describe('the seed topology: Internet, Edge, two Mailbox servers', () => {
  const dir = scratchDir('mailbox-seed');
  const edge = join(dir.path, 'EDGE01');
  const mbx1 = join(dir.path, 'MBX01');
  const mbx2 = join(dir.path, 'MBX02');
  const peers: Peer[] = [];
  const services: RunningService[] = [];
  /** Both Mailbox servers' running services have applied every change in the organization's store. */
  const mailboxServersApplied = () => Promise.all([configApplied(services[1], mbx1), configApplied(services[2], mbx2)]);
  let sink: Peer & { messages(): SinkMessage[] };
  let aliceMaildir = '';
  let bobMaildir = '';
  let dovecot: Dovecot | undefined;

  const shell = async (data: string, script: string[]) => {
    const r = await gatehouse(['shell', '--data', data], { input: script.join('\n') + '\n' });
    assert.equal(r.code, 0, `${script.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    peers.push(
      await startDnsmasq(
        DNS,
        DNS_PORT,
        ['contoso.com', 'fabrikam.com'],
        [
          `--host-record=mbxserver01.contoso.com,${MBX1}`,
          `--host-record=mbxserver02.contoso.com,${MBX2}`,
          `--host-record=edge01.contoso.com,${EDGE_INT}`,
          '--mx-host=fabrikam.com,mx.fabrikam.com,10',
          `--host-record=mx.fabrikam.com,${INTERNET_MX}`,
        ],
      ),
    );
    sink = await startSink(INTERNET_MX, join(dir.path, 'internet-sink'));
    peers.push(sink);
    const seed = seedCommands();

    for (const [name, fqdn, data] of [
      ['MBX01', 'mbxserver01.contoso.com', mbx1],
      ['MBX02', 'mbxserver02.contoso.com', mbx2],
    ]) {
      assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', name, '--fqdn', fqdn, '--data', data])).code, 0);
    }
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);

    // Each side trusts the other's certificate, which carries the name the other's smart host
    // list uses: the Edge's must carry edge01.contoso.com ("To Edge"), so it gets one in place of
    // Setup's, which names only edge01.contoso.net.
    await shell(edge, ['New-ExchangeCertificate -DomainName edge01.contoso.net,edge01.contoso.com -Services SMTP -Force | Out-Null', `Remove-ExchangeCertificate -Thumbprint ${smtpCertificate(edge).thumbprint} -Confirm:$false`]);
    const trustEdge = exportSmtpCertificate(edge, join(dir.path, 'edge01.cer'), 'EDGE01 (trusted peer)');
    const trustMailbox = [exportSmtpCertificate(mbx1, join(dir.path, 'mbx01.cer'), 'MBX01 (trusted peer)'), exportSmtpCertificate(mbx2, join(dir.path, 'mbx02.cer'), 'MBX02 (trusted peer)')];

    // The organization (run on MBX01; MBX02 shares the store).
    await shell(
      mbx1,
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        'New-MailboxDatabase DB1 -Server MBX01',
        'New-MailboxDatabase DB2 -Server MBX02',
        `New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (ConvertTo-SecureString "${PW.alice}" -AsPlainText -Force)`,
        `New-Mailbox -Name Bob -Alias bob -UserPrincipalName bob@contoso.com -Database DB2 -Password (ConvertTo-SecureString "${PW.bob}" -AsPlainText -Force)`,
        `New-ADUser -Name EdgeAuth -SamAccountName edgeauth -AccountPassword (ConvertTo-SecureString "${PW.edgeauth}" -AsPlainText -Force) -Enabled $true`,
        'Add-ADGroupMember -Identity "Exchange Servers" -Members edgeauth',
        `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX1}:25 -TarpitInterval 00:00:00`,
        `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX1}:587`,
        `Set-ReceiveConnector "Default MBX02" -Bindings ${MBX2}:25 -TarpitInterval 00:00:00`,
        `Set-ReceiveConnector "Client MBX02" -Bindings ${MBX2}:587`,
        dnsSettings('MBX01'),
        dnsSettings('MBX02'),
        trustEdge,
        ...seed.mailbox.filter((l) => !l.startsWith('Get-')),
      ].flatMap((l) => (l.endsWith('Get-Credential') ? [l, 'mbxrelay', PW.mbxrelay] : [l])),
    );

    // The Edge: the seed's commands, verbatim but for the addresses.
    await shell(
      edge,
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `New-LocalUser -Name mbxrelay -Password (ConvertTo-SecureString "${PW.mbxrelay}" -AsPlainText -Force)`,
        'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay',
        ...trustMailbox,
        dnsSettings('EDGE01'),
        ...seed.edge.filter((l) => !l.startsWith('Get-')).map(map),
        'Set-ReceiveConnector "From Internet" -TarpitInterval 00:00:00',
      ].flatMap((l) => (l.endsWith('Get-Credential') ? [l, 'CONTOSO\\edgeauth', PW.edgeauth] : [l])),
    );

    const value = async (expr: string) => (await gatehouse(['shell', '--data', mbx1, '-c', expr])).stdout.trim();
    aliceMaildir = join(await value('(Get-MailboxDatabase DB1).FolderPath'), await value('(Get-Mailbox alice).Guid'));
    bobMaildir = join(await value('(Get-MailboxDatabase DB2).FolderPath'), await value('(Get-Mailbox bob).Guid'));
    assert.ok(aliceMaildir.startsWith(mbx1) && bobMaildir.startsWith(mbx2), `${aliceMaildir} / ${bobMaildir}`);

    for (const data of [edge, mbx1, mbx2]) services.push(await startService(data));
  });

  after(async () => {
    await dovecot?.stop();
    for (const s of services) await s.stop();
    for (const p of peers) await p.stop();
    dir.remove();
  });

  it("delivers Internet mail into the Maildir of the server that owns each user's database", async () => {
    assert.equal(fromInternet('alice@contoso.com', 'hello alice', 'Grüße aus dem Internet').status, 0);
    assert.equal(fromInternet('bob@contoso.com', 'hello bob').status, 0);
    await until(() => maildirFiles(aliceMaildir).some((m) => m.includes('Subject: hello alice')), 30_000, "alice's message on MBX01");
    await until(() => maildirFiles(bobMaildir).some((m) => m.includes('Subject: hello bob')), 30_000, "bob's message on MBX02");
    const alice = maildirFiles(aliceMaildir).find((m) => m.includes('Subject: hello alice'))!;
    assert.match(alice, /^Return-Path: <sender@fabrikam\.com>\r\nDelivered-To: alice@contoso\.com\r\n/);
    assert.match(alice, /Received: from mail\.fabrikam\.com .* by edge01\.contoso\.net/);
    assert.ok(!existsSync(join(mbx2, 'Mailbox', 'DB1')), 'MBX02 never writes a database of MBX01');
  });

  it('lets Dovecot read the delivered message over IMAP, intact', async () => {
    // The server folders are private (0700): the harness lets Dovecot's mail user through to the Maildir.
    dovecot = await startDovecot({ address: IMAP, port: IMAP_PORT, dir: join(dir.path, 'dovecot'), shareFrom: dir.path, users: [{ name: 'alice', password: PW.alice, maildir: aliceMaildir }] });
    dovecot.grantAccess();
    const r = spawnSync(
      'python3',
      [
        '-c',
        `
import imaplib
m = imaplib.IMAP4('${IMAP}', ${IMAP_PORT})
m.login('alice', '${PW.alice}')
m.select('INBOX')
typ, data = m.search(None, 'SUBJECT', '"hello alice"')
typ, msg = m.fetch(data[0].split()[0], '(RFC822)')
import sys; sys.stdout.buffer.write(msg[0][1])
m.logout()`,
      ],
      { timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stderr.toString());
    const fetched = r.stdout.toString('latin1');
    const onDisk = maildirFiles(aliceMaildir).find((m) => m.includes('Subject: hello alice'))!;
    assert.equal(fetched.replace(/\r\n/g, '\n'), onDisk.replace(/\r\n/g, '\n'));
    assert.ok(Buffer.from(fetched, 'latin1').includes(Buffer.from('Grüße aus dem Internet')), 'the 8-bit body arrived intact');
  });

  it('tracks one message across the Edge and the Mailbox servers (Get-MessageTrackingLog)', async () => {
    const edgeLog = await gatehouse(['shell', '--data', edge, '-c', 'Get-MessageTrackingLog -MessageSubject "hello alice" | Format-List EventId,Source,MessageId']);
    assert.equal(edgeLog.code, 0, edgeLog.stderr);
    assert.match(edgeLog.stdout, /EventId\s+: RECEIVE\nSource\s+: SMTP/);
    assert.match(edgeLog.stdout, /EventId\s+: SEND\nSource\s+: SMTP/);
    const id = /MessageId\s+: (<[^>]+>)/.exec(edgeLog.stdout)![1];
    const events = async (server: string) => {
      const r = await gatehouse(['shell', '--data', mbx1, '-c', `Get-MessageTrackingLog -Server ${server} -MessageId "${id}" | Format-Table EventId -HideTableHeaders`]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
    };
    const both = [...(await events('MBX01')), ...(await events('MBX02'))];
    assert.ok(both.includes('RECEIVE') && both.includes('DELIVER'), both.join(','));
    assert.deepEqual(await events('MBX01').then((e) => e.slice(-1)), ['DELIVER'], 'the owner of the database delivers');
    const filtered = await gatehouse(['shell', '--data', mbx1, '-c', `Get-MessageTrackingLog -EventId Deliver -Recipients alice@contoso.com -Start "${new Date(Date.now() - 600_000).toISOString()}" | Measure-Object | % Count`]);
    assert.equal(filtered.code, 0, filtered.stderr);
    assert.ok(Number(filtered.stdout.trim()) >= 1);
  });

  it('sends a user\'s mail from "Client MBX02" out through "To Edge" and the Edge\'s MX routing', () => {
    const r = spawnSync(
      'python3',
      [
        '-c',
        `
import smtplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('${MBX2}', 587, local_hostname='bobs-laptop', timeout=20)
s.starttls(context=ctx); s.login('bob@contoso.com', '${PW.bob}')
print('refused', s.sendmail('bob@contoso.com', ['carol@fabrikam.com'], 'From: bob@contoso.com\\r\\nSubject: from bob\\r\\n\\r\\nhello carol\\r\\n'))
try:
    s.sendmail('alice@contoso.com', ['carol@fabrikam.com'], 'Subject: spoof\\r\\n\\r\\nx\\r\\n')
except smtplib.SMTPSenderRefused as e:
    print('send-as', e.smtp_code, e.smtp_error.decode())
s.quit()`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /refused \{\}/);
    assert.match(r.stdout, /send-as 550 5\.7\.60 SMTP; Client does not have permissions to send as this sender/);
    return until(() => sink.messages().some((m) => m.text.includes('Subject: from bob')), 30_000, "bob's message at fabrikam.com").then(() => {
      const m = sink.messages().find((x) => x.text.includes('Subject: from bob'))!;
      assert.deepEqual(m.rcptTo, ['carol@fabrikam.com']);
      assert.match(m.text, /by edge01\.contoso\.net/);
    });
  });

  it('answers an unknown contoso.com recipient with an NDR from the Edge to the Internet sender, delivering nothing', async () => {
    assert.equal(fromInternet('nobody@contoso.com', 'to nobody').status, 0, 'the Edge has no directory: it accepts');
    await until(() => sink.messages().some((m) => m.rcptTo.includes('sender@fabrikam.com') && m.text.includes('to nobody')), 30_000, 'the NDR at fabrikam.com');
    const ndr = sink.messages().find((m) => m.rcptTo.includes('sender@fabrikam.com') && m.text.includes('to nobody'))!;
    assert.equal(ndr.mailFrom, '');
    assert.match(ndr.text, /Final-Recipient: rfc822; ?nobody@contoso\.com/);
    assert.match(ndr.text, /Status: 5\.1\.1/);
    assert.match(ndr.text, /Reporting-MTA: dns; ?edge01\.contoso\.net/);
  });

  it("returns mail larger than a user's MaxReceiveSize with an NDR", async () => {
    await shell(mbx1, ['Set-Mailbox alice -MaxReceiveSize 8KB']);
    await mailboxServersApplied();
    assert.equal(fromInternet('alice@contoso.com', 'too big', 'x'.repeat(20_000)).status, 0);
    await until(() => sink.messages().some((m) => m.rcptTo.includes('sender@fabrikam.com') && m.text.includes('too big')), 30_000, 'the size NDR').catch((err) => {
      throw new Error(
        `${(err as Error).message}\n${services
          .map((s) =>
            s.lines
              .filter((l) => /delivery|dsn|routing|auth|rcpt|mail/.test(l.event))
              .map((l) => JSON.stringify(l))
              .join('\n'),
          )
          .join('\n---\n')}`,
      );
    });
    assert.match(sink.messages().find((m) => m.text.includes('too big') && m.rcptTo.includes('sender@fabrikam.com'))!.text, /Status: 5\.2\.3/);
    assert.ok(!maildirFiles(aliceMaildir).some((m) => m.includes('Subject: too big')));
  });

  it('counts what a mailbox holds, and holds a user to MaxSendSize', async () => {
    const stats = await gatehouse(['shell', '--data', mbx1, '-c', 'Get-MailboxStatistics alice | Format-List ItemCount,TotalItemSize,ServerName']);
    assert.equal(stats.code, 0, stats.stderr);
    const files = ['new', 'cur'].flatMap((sub) => (existsSync(join(aliceMaildir, sub)) ? readdirSync(join(aliceMaildir, sub)) : []));
    assert.match(stats.stdout, new RegExp(`ItemCount\\s+: ${files.length}\\n`));
    assert.match(stats.stdout, /ServerName\s+: MBX01/);
    await shell(mbx1, ['Set-Mailbox bob -MaxSendSize 2KB']);
    await mailboxServersApplied();
    const r = spawnSync(
      'python3',
      [
        '-c',
        `
import smtplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('${MBX2}', 587, timeout=20)
s.starttls(context=ctx); s.login('bob', '${PW.bob}')
try:
    s.sendmail('bob@contoso.com', ['carol@fabrikam.com'], 'Subject: big from bob\\r\\n\\r\\n' + 'y' * 5000 + '\\r\\n')
except smtplib.SMTPDataError as e:
    print('refused', e.smtp_code, e.smtp_error.decode())`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /refused 552 5\.3\.4 Message size exceeds the sender's MaxSendSize/);
  });

  it('expands a distribution group, and keeps Internet senders out of a group that requires authentication', async () => {
    await shell(mbx1, [
      'New-DistributionGroup -Name Team -Alias team -PrimarySmtpAddress team@contoso.com -Members alice,bob',
      'New-DistributionGroup -Name Staff -Alias staff -PrimarySmtpAddress staff@contoso.com -Members alice',
      'Set-DistributionGroup team -RequireSenderAuthenticationEnabled $false',
      'Set-Mailbox alice -MaxReceiveSize unlimited',
    ]);
    await mailboxServersApplied();
    assert.equal(fromInternet('team@contoso.com', 'to the team').status, 0);
    await until(() => maildirFiles(aliceMaildir).some((m) => m.includes('Subject: to the team')) && maildirFiles(bobMaildir).some((m) => m.includes('Subject: to the team')), 30_000, 'the group message in both mailboxes');
    assert.equal(fromInternet('staff@contoso.com', 'to staff').status, 0, 'the Edge cannot know; it accepts');
    await until(() => sink.messages().some((m) => m.rcptTo.includes('sender@fabrikam.com') && m.text.includes('to staff')), 30_000, 'the NDR for the restricted group');
    assert.match(sink.messages().find((m) => m.text.includes('to staff') && m.rcptTo.includes('sender@fabrikam.com'))!.text, /Status: 5\.7\.1/);
    assert.ok(!maildirFiles(aliceMaildir).some((m) => m.includes('Subject: to staff')));
  });
});
