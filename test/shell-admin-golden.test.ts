// The golden admin scripts: a routine script of 60+ lines on an Edge and on a
// Mailbox server, run with `gatehouse shell -f` against running servers (a
// queue held by a smart host that does not answer). Everything the issue
// lists is in them: functions with param() and return, try/catch/finally,
// switch, loops with break and continue, New-* output, the values' own
// members, pipelines that bind by property name (Get-TransportService |
// Get-Queue, Get-Queue | Get-Message), redirection, Export-Csv. The output
// is compared line by line with the expected transcript beside each script,
// and the files the script wrote are checked.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, gatehouse, scratchDir } from './harness/gatehouse.js';
import { until } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';

const EDGE = '127.41.0.1';
const DEAD_SMART_HOST = '127.41.0.9';
const MBX = '127.41.1.1';
/** Where the held mail's smart host would listen: a port nothing on this machine serves (a server of
 * another test bound to 0.0.0.0:25 would otherwise take the mail). */
const DEAD_PORT = 47;

function golden(name: string): { script: string; expected: string } {
  return { script: join(ROOT, 'test', 'scripts', `${name}.ps1`), expected: readFileSync(join(ROOT, 'test', 'scripts', `${name}.expected`), 'utf8') };
}

function compareLines(actual: string, expected: string): void {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) assert.equal(a[i], e[i], `line ${i + 1} of the transcript\n--- actual ---\n${actual}`);
}

/** Waits until both test messages wait in Retry for the smart host that does not answer (a lasting state: retries are an hour apart). */
function heldForSmartHost(data: string, smartHost: string): Promise<void> {
  return until(
    async () => {
      const q = await gatehouse(['shell', '--data', data, '-c', `(Get-Queue | Where-Object { $_.NextHopDomain -eq "[${smartHost}]" -and $_.Status -eq "Retry" }).MessageCount`]);
      return q.stdout.trim() === '2';
    },
    60_000,
    'both messages held in Retry for the smart host',
  );
}

function send(server: string, to: string, subject: string): void {
  const r = spawnSync('swaks', ['--server', `${server}:25`, '--ehlo', 'mail.fabrikam.com', '--from', 'kim@fabrikam.com', '--to', to, '--header', `Subject: ${subject}`, '--timeout', '15'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
}

describe('the golden admin script on an Edge', () => {
  const dir = scratchDir('golden-edge');
  const data = join(dir.path, 'EDGE01');
  let service: RunningService | undefined;
  let result: { code: number | null; stdout: string; stderr: string };
  const { script, expected } = golden('admin-edge');

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const c = await gatehouse(['shell', '--data', data], {
      input:
        [
          'New-AcceptedDomain Partner -DomainName partner.example -DomainType InternalRelay | Out-Null',
          'New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true | Out-Null',
          `New-SendConnector -Name "To Partner" -Usage Custom -AddressSpaces partner.example -DNSRoutingEnabled $false -SmartHosts ${DEAD_SMART_HOST} -Port ${DEAD_PORT} | Out-Null`,
          `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${EDGE}:25 -RemoteIPRanges 127.0.0.0/8,10.0.0.0/8 -TarpitInterval 00:00:00`,
          'Set-TransportService EDGE01 -OutboundConnectionFailureRetryInterval 01:00:00 -TransientFailureRetryInterval 01:00:00',
        ].join('\n') + '\n',
    });
    assert.equal(c.code, 0, c.stdout + c.stderr);
    service = await startService(data);
    send(EDGE, 'lee@partner.example', 'beta report');
    send(EDGE, 'lee@partner.example', 'alpha report');
    await heldForSmartHost(data, DEAD_SMART_HOST);
    result = await gatehouse(['shell', '--data', data, '-f', script], { cwd: dir.path, timeoutMs: 120_000 });
  });

  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it('prints the expected transcript, line by line', () => {
    compareLines(result.stdout, expected);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
  });

  it('wrote its reports in the working directory, as the user who ran it', () => {
    const reports = join(dir.path, 'reports');
    assert.equal(readFileSync(join(reports, 'messages.csv'), 'utf8'), ['"Subject","FromAddress","Status"', '"alpha report","kim@fabrikam.com","Retry"', '"beta report","kim@fabrikam.com","Retry"', ''].join('\n'));
    assert.equal(readFileSync(join(reports, 'send-connectors.csv'), 'utf8'), ['"Name","Usage","DNSRoutingEnabled"', '"To Fabrikam","Partner","True"', '"To Internet","Internet","True"', '"To Partner","Custom","False"', ''].join('\n'));
    assert.match(readFileSync(join(reports, 'summary.txt'), 'utf8'), /^report written\r?\nconnectors: 3\r?\n$/);
    assert.match(readFileSync(join(reports, 'errors.txt'), 'utf8'), /The operation couldn't be performed because object 'No Such Connector' couldn't be found/);
    assert.equal(statSync(join(reports, 'summary.txt')).uid, process.getuid!());
  });
});

describe('the golden admin script on a Mailbox server', () => {
  const dir = scratchDir('golden-mailbox');
  const data = join(dir.path, 'MBX01');
  let service: RunningService | undefined;
  let result: { code: number | null; stdout: string; stderr: string };
  const { script, expected } = golden('admin-mailbox');

  const submit = (subject: string) => {
    const r = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        `
import smtplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('${MBX}', 587, local_hostname='erins-laptop', timeout=20)
s.starttls(context=ctx); s.login('erin@contoso.com', 'Erin-Pass-1')
print('refused', s.sendmail('erin@contoso.com', ['lee@partner.example'], 'From: erin@contoso.com\\r\\nSubject: ${subject}\\r\\n\\r\\nhi\\r\\n'))
s.quit()`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /refused \{\}/);
  };

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbx01.contoso.com', '--data', data])).code, 0);
    const c = await gatehouse(['shell', '--data', data], {
      input:
        [
          'New-AcceptedDomain Contoso -DomainName contoso.com | Out-Null',
          'New-MailboxDatabase DB1 -Server MBX01 | Out-Null',
          'New-Mailbox -Name erin -Alias erin -UserPrincipalName erin@contoso.com -Database DB1 -Password (ConvertTo-SecureString "Erin-Pass-1" -AsPlainText -Force) | Out-Null',
          `New-SendConnector -Name "To Partner" -Usage Custom -AddressSpaces partner.example -DNSRoutingEnabled $false -SmartHosts 127.41.1.9 -Port ${DEAD_PORT} | Out-Null`,
          `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX}:25`,
          `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX}:587`,
          'Set-TransportService MBX01 -OutboundConnectionFailureRetryInterval 01:00:00 -TransientFailureRetryInterval 01:00:00',
        ].join('\n') + '\n',
    });
    assert.equal(c.code, 0, c.stdout + c.stderr);
    service = await startService(data);
    submit('beta report');
    submit('alpha report');
    await heldForSmartHost(data, '127.41.1.9');
    writeFileSync(join(dir.path, 'new-users.csv'), 'Alias,Plan\ncarol,small\nfrank,large\nerin,small\n');
    result = await gatehouse(['shell', '--data', data, '-f', script], { cwd: dir.path, timeoutMs: 120_000 });
  });

  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it('prints the expected transcript, line by line', () => {
    compareLines(result.stdout, expected);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
  });

  it('wrote its reports, and the onboarded mailboxes carry the quotas it set', async () => {
    const reports = join(dir.path, 'reports');
    assert.equal(readFileSync(join(reports, 'mailboxes.csv'), 'utf8'), ['"Alias","Database","UseDatabaseQuotaDefaults"', '"carol","DB1","False"', '"erin","DB1","True"', '"frank","DB1","True"', ''].join('\n'));
    assert.match(readFileSync(join(reports, 'summary.txt'), 'utf8'), /^onboarded: 2\r?\ndatabases: 2\r?\n$/);
    assert.match(readFileSync(join(reports, 'errors.txt'), 'utf8'), /The operation couldn't be performed because object 'dave' couldn't be found/);
    const q = await gatehouse(['shell', '--data', data, '-c', '(Get-Mailbox carol).ProhibitSendReceiveQuota.Value.ToBytes()']);
    assert.equal(q.stdout.trim(), String(50 * 1024 * 1024));
  });
});
