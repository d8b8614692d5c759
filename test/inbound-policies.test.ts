// Receive connector policies on running servers: a Mailbox server's
// "Default" connector taking the Edge's authenticated mail (directory account
// in Exchange Servers), RequireTLS, RequireEHLODomain, ExternalAuthoritative,
// the protocol log, a listener that cannot bind, SIGHUP, and disabling a
// connector.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const MBX = '127.168.15.10';
const EDGE_SOURCE = '127.10.15.2';
const PASSWORD = 'Dir-Pass-4411';

function python(code: string) {
  return spawnSync('python3', ['-c', `import smtplib, ssl\nctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE\n${code}`], { encoding: 'utf8', timeout: 60_000 });
}

describe('a Mailbox server receiving from the Edge', () => {
  const dir = scratchDir('mbx-in');
  const data = join(dir.path, 'MBX01');
  let service: RunningService;

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbxserver01.contoso.com', '--data', data])).code, 0);
    const c = await gatehouse([
      'shell',
      '--data',
      data,
      '-c',
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX}:25 -ProtocolLoggingLevel Verbose -TarpitInterval 00:00:00`,
        `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX}:587`,
        `New-ADUser -Name EdgeAuth -SamAccountName edgeauth -AccountPassword (ConvertTo-SecureString "${PASSWORD}" -AsPlainText -Force) -Enabled $true`,
        'Add-ADGroupMember -Identity "Exchange Servers" -Members edgeauth',
        'New-MailboxDatabase DB1 -Server MBX01',
        `New-Mailbox -Name Bob -Alias bob -UserPrincipalName bob@contoso.com -Database DB1 -Password (ConvertTo-SecureString "${PASSWORD}-bob" -AsPlainText -Force)`,
      ].join('; '),
    ]);
    assert.equal(c.code, 0, c.stderr);
    service = await startService(data);
  });
  after(async () => {
    if (service) await service.stop();
    dir.remove();
  });

  it('takes Internet mail relayed by the Edge after STARTTLS and AUTH as CONTOSO\\edgeauth', () => {
    const r = python(`
s = smtplib.SMTP('${MBX}', 25, local_hostname='edge01.contoso.net', source_address=('${EDGE_SOURCE}', 0), timeout=20)
s.starttls(context=ctx); s.ehlo(); s.login('CONTOSO\\\\edgeauth', '${PASSWORD}')
print('refused', s.sendmail('alice@fabrikam.com', ['bob@contoso.com'], 'Received: from mx.fabrikam.com by edge01.contoso.net\\r\\nX-MS-Exchange-Organization-AuthAs: Anonymous\\r\\nSubject: in\\r\\n\\r\\nhi\\r\\n'))
s.quit()`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /refused \{\}/);
  });

  it('refuses anonymous mail on the Default connector (no AnonymousUsers)', async () => {
    const d = await SmtpDialog.open(MBX, 25, '127.0.0.20');
    await d.reply();
    await d.command('EHLO stranger.example');
    const r = await d.command('MAIL FROM:<x@fabrikam.com>');
    assert.equal(r?.code, 530);
    assert.match(r!.lines[0], /5\.7\.1 Client was not authenticated/);
    d.close();
  });

  it('writes the Receive protocol log with the AUTH payload redacted', async () => {
    await service.stop();
    const folder = join(data, 'Logs', 'ProtocolLog', 'SmtpReceive');
    const files = readdirSync(folder).filter((f) => /^RECV\d{8}-\d+\.LOG$/.test(f));
    assert.equal(files.length, 1, readdirSync(folder).join(', '));
    const log = readFileSync(join(folder, files[0]), 'utf8');
    assert.match(log, /^#Software: Gatehouse\r\n#Version: [\d.]+\r\n#Log-type: SMTP Receive Protocol Log\r\n#Date: \S+\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n/);
    assert.match(log, /,MBX01\\Default MBX01,[0-9A-F]{16},0,127\.168\.15\.10:25,127\.10\.15\.2:\d+,\+,,\r\n/);
    assert.match(log, /,<,STARTTLS,/);
    assert.match(log, /,<,AUTH PLAIN <authentication information>,/);
    assert.match(log, /,\*,CONTOSO\\edgeauth,authenticated/);
    assert.ok(!log.includes(PASSWORD) && !log.includes(Buffer.from(`\0CONTOSO\\edgeauth\0${PASSWORD}`).toString('base64')), 'no credentials in the log');
    service = await startService(data);
  });

  it('keeps the header firewall: organization headers from the Edge account survive, routing headers too', () => {
    spawnSync('sync');
    const db = readFileSync(join(data, 'queue.db'));
    assert.ok(db.includes(Buffer.from('X-MS-Exchange-Organization-AuthAs: Anonymous')), 'an Exchange Servers member keeps organization headers');
  });
});

describe('connector options and service control', () => {
  const dir = scratchDir('policies');
  const data = join(dir.path, 'EDGE01');
  const A = '127.10.16.1';
  const B = '127.10.16.2';
  const C = '127.10.16.3';
  const BUSY = '127.10.16.4';
  let service: RunningService;
  let squatter: Server;

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const c = await gatehouse([
      'shell',
      '--data',
      data,
      '-c',
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name Strict -Bindings ${A}:25 -RequireTLS $true -RequireEHLODomain $true -TarpitInterval 00:00:00`,
        `New-ReceiveConnector "Secured Link" -Usage Custom -Bindings ${B}:25 -RemoteIPRanges 127.0.0.0/8 -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers`,
        `New-ReceiveConnector "Squatted" -Usage Internet -Bindings ${BUSY}:25`,
      ].join('; '),
    ]);
    assert.equal(c.code, 0, c.stderr);
    squatter = createServer();
    await new Promise<void>((r) => squatter.listen(25, BUSY, () => r()));
    service = await startService(data);
  });
  after(async () => {
    if (service) await service.stop();
    squatter?.close();
    dir.remove();
  });

  it('reports a binding it cannot take with the connector name, and runs the others', async () => {
    const failed = await service.waitFor((l) => l.event === 'smtp.in.listener.failed', 5000, 'listener.failed');
    assert.equal(failed.address, `${BUSY}:25`);
    assert.deepEqual(failed.connectors, ['EDGE01\\Squatted']);
    assert.match(String(failed.reason), /port is taken/);
    const ready = service.lines.find((l) => l.event === 'service.ready')!;
    assert.deepEqual(ready.listening, [`${A}:25 (EDGE01\\Strict)`, `${B}:25 (EDGE01\\Secured Link)`]);
  });

  it("RequireEHLODomain and RequireTLS, with the connector's own banner", async () => {
    assert.equal((await gatehouse(['shell', '--data', data, '-c', 'Set-ReceiveConnector Strict -Banner "220 Strict gateway of Contoso"'])).code, 0);
    await service.waitFor((l) => l.event === 'config.applied', 5000, 'config.applied');
    const d = await SmtpDialog.open(A, 25);
    assert.deepEqual(await d.reply(), { code: 220, lines: ['Strict gateway of Contoso'] });
    const bare = await d.command('EHLO');
    assert.equal(bare?.code, 501);
    assert.match(bare!.lines[0], /5\.0\.0 EHLO requires domain address/);
    await d.command('EHLO client.fabrikam.com');
    const mail = await d.command('MAIL FROM:<a@fabrikam.com>');
    assert.equal(mail?.code, 451);
    assert.match(mail!.lines[0], /5\.7\.3 STARTTLS is required to send mail/);
    d.close();
  });

  it('ExternalAuthoritative: the link is trusted as an Exchange server without AUTH (relay allowed)', async () => {
    const d = await SmtpDialog.open(B, 25);
    await d.reply();
    await d.command('EHLO partner.contoso.com');
    assert.equal((await d.command('MAIL FROM:<a@fabrikam.com>'))?.code, 250);
    assert.equal((await d.command('RCPT TO:<someone@woodgrove.com>'))?.code, 250);
    d.close();
  });

  it('re-reads the configuration on SIGHUP', async () => {
    const before = service.lines.filter((l) => l.event === 'config.applied').length;
    service.child.kill('SIGHUP');
    const applied = await service.waitFor((l) => l.event === 'config.applied' && service.lines.filter((x) => x.event === 'config.applied').length > before, 5000, 'config.applied after SIGHUP');
    assert.equal(applied.reason, 'SIGHUP');
  });

  it('a disabled connector takes nothing, and Enabled $true brings it back', async () => {
    assert.equal((await gatehouse(['shell', '--data', data, '-c', 'Set-ReceiveConnector "Secured Link" -Enabled $false'])).code, 0);
    const deadline = Date.now() + 4000;
    let refused = false;
    while (Date.now() < deadline && !refused) {
      refused = await SmtpDialog.open(B, 25, undefined, 1000).then(
        (d) => {
          d.close();
          return false;
        },
        () => true,
      );
      if (!refused) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(refused, 'the listener of the disabled connector is closed');
    assert.equal((await gatehouse(['shell', '--data', data, '-c', `Set-ReceiveConnector "Secured Link" -Enabled $true; New-ReceiveConnector "Late" -Usage Internet -Bindings ${C}:25`])).code, 0);
    await service.waitFor((l) => l.event === 'config.applied' && Array.isArray(l.listening) && (l.listening as string[]).some((x) => x.startsWith(`${C}:25`)), 5000, 'Late listening');
    const d = await SmtpDialog.open(B, 25);
    assert.equal((await d.reply())?.code, 220);
    d.close();
  });

  it('refuses new connections beyond MaxConnectionRatePerMinute', async () => {
    const applied = () => service.lines.filter((x) => x.event === 'config.applied').length;
    const before = applied();
    assert.equal((await gatehouse(['shell', '--data', data, '-c', 'Set-TransportService EDGE01 -MaxConnectionRatePerMinute 1'])).code, 0);
    await service.waitFor((l) => l.event === 'config.applied' && applied() > before, 5000, 'config.applied');
    const d = await SmtpDialog.open(B, 25);
    const r = await d.reply();
    assert.equal(r?.code, 421);
    assert.match(r!.lines[0], /4\.3\.2 The maximum connection rate per minute has been exceeded/);
    assert.ok(await d.closedWithin(3000));
  });
});
