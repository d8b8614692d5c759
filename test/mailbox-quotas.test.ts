// Mailbox quotas on a running Mailbox server, with real clients (swaks over
// STARTTLS and AUTH on "Client MBX01"): a mailbox's own quotas, the warning
// message delivered when it crosses IssueWarningQuota, delivery refused at
// ProhibitSendReceiveQuota with a 5.2.2 "mailbox full" NDR to the sender, and
// submission refused at MAIL FROM for a sender over ProhibitSendQuota. Also
// the listing side: Get-Mailbox / Get-Recipient -Filter and -ResultSize,
// Get-MailboxDatabase -Status and Get-ADUser -Properties.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { until } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';

const MBX1 = '127.36.1.1';
const PW = { alice: 'Alice-Quota-71', bob: 'Bob-Quota-72' };

function submit(user: string, password: string, from: string, to: string, subject: string, bodyBytes = 3000) {
  const body = Array.from({ length: Math.ceil(bodyBytes / 60) }, (_, i) => `line ${String(i).padStart(4, '0')} ${'x'.repeat(49)}`).join('\n');
  return spawnSync(
    'swaks',
    ['--server', `${MBX1}:587`, '--ehlo', 'laptop.contoso.com', '--tls', '--auth', 'LOGIN', '--auth-user', user, '--auth-password', password, '--from', from, '--to', to, '--header', `Subject: ${subject}`, '--body', body, '--timeout', '15'],
    { encoding: 'utf8', timeout: 30_000 },
  );
}

function maildir(dir: string): { name: string; text: string }[] {
  return ['new', 'cur'].flatMap((sub) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).map((f) => ({ name: f, text: readFileSync(join(dir, sub, f), 'latin1') })) : []));
}

describe('mailbox quotas and recipient filters on a running Mailbox server', () => {
  const dir = scratchDir('mailbox-quotas');
  const mbx1 = join(dir.path, 'MBX01');
  let service: RunningService | undefined;
  let aliceDir = '';
  let bobDir = '';
  const shell = async (lines: string[]) => {
    const r = await gatehouse(['shell', '--data', mbx1, '-c', lines.join('\n')]);
    return r;
  };

  before(async () => {
    const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbx01.contoso.com', '--data', mbx1]);
    assert.equal(r.code, 0, r.stderr);
    const s = await shell([
      'New-AcceptedDomain -Name Contoso -DomainName contoso.com',
      'New-MailboxDatabase -Name DB01 -Server MBX01',
      `New-Mailbox -Name "Alice Smith" -Alias alice -UserPrincipalName alice@contoso.com -Password (ConvertTo-SecureString "${PW.alice}" -AsPlainText -Force)`,
      `New-Mailbox -Name "Bob Jones" -Alias bob -UserPrincipalName bob@contoso.com -Password (ConvertTo-SecureString "${PW.bob}" -AsPlainText -Force)`,
      `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX1}:25 -TarpitInterval 00:00:00`,
      `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX1}:587 -TarpitInterval 00:00:00 -AuthTarpitInterval 00:00:00`,
      'Set-TransportService MBX01 -MessageRetryInterval 00:00:01',
      '(Get-Mailbox alice).Guid',
      '(Get-Mailbox bob).Guid',
      '(Get-MailboxDatabase DB01).FolderPath',
    ]);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    const [aliceGuid, bobGuid, folder] = s.stdout
      .trim()
      .split(/\r?\n/)
      .slice(-3)
      .map((l) => l.trim());
    aliceDir = join(folder, aliceGuid);
    bobDir = join(folder, bobGuid);
    service = await startService(mbx1);
  });

  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it('refuses quotas out of order or above 2 TB, and says when the database defaults still apply', async () => {
    const order = await shell(['Set-Mailbox bob -UseDatabaseQuotaDefaults $false -ProhibitSendQuota 2MB -ProhibitSendReceiveQuota 1MB']);
    assert.equal(order.code, 1);
    assert.match(order.stderr, /The value of property 'ProhibitSendQuota' \(2 MB \(2,097,152 bytes\)\) must be less than or equal to that of property 'ProhibitSendReceiveQuota' \(1 MB \(1,048,576 bytes\)\)/);
    const big = await shell(['Set-Mailbox bob -ProhibitSendReceiveQuota 3TB']);
    assert.equal(big.code, 1);
    assert.match(big.stderr, /Valid values are between 0 and 2199023254528 bytes/);
    const defaults = await shell(['Set-Mailbox bob -IssueWarningQuota 1.5TB', 'Get-Mailbox bob | Format-List IssueWarningQuota,UseDatabaseQuotaDefaults']);
    assert.equal(defaults.code, 0, defaults.stderr);
    assert.match(
      defaults.stdout,
      /WARNING: The mailbox "Bob Jones" uses its database's quotas \(UseDatabaseQuotaDefaults is \$true\), so IssueWarningQuota takes effect only after Set-Mailbox "Bob Jones" -UseDatabaseQuotaDefaults \$false\./,
    );
    assert.deepEqual(
      formatListRecords(defaults.stdout).find((x) => 'IssueWarningQuota' in x),
      { IssueWarningQuota: '1.5 TB (1,649,267,441,664 bytes)', UseDatabaseQuotaDefaults: 'True' },
    );
    const db = await shell(['Get-MailboxDatabase DB01 | Format-List *Quota']);
    assert.deepEqual(formatListRecords(db.stdout)[0], {
      IssueWarningQuota: '1.9 GB (2,040,109,465 bytes)',
      ProhibitSendQuota: '2 GB (2,147,483,648 bytes)',
      ProhibitSendReceiveQuota: '2.3 GB (2,469,396,480 bytes)',
    });
  });

  it('warns at IssueWarningQuota, refuses delivery at ProhibitSendReceiveQuota with a 5.2.2 NDR, and refuses submission at ProhibitSendQuota', async () => {
    const set = await shell(['Set-Mailbox bob -UseDatabaseQuotaDefaults $false -IssueWarningQuota 4KB -ProhibitSendQuota 5KB -ProhibitSendReceiveQuota 6KB']);
    assert.equal(set.code, 0, set.stderr);

    // First message: about 3.4 KB, under every quota.
    const first = submit('alice@contoso.com', PW.alice, 'alice@contoso.com', 'bob@contoso.com', 'quota one');
    assert.equal(first.status, 0, first.stdout + first.stderr);
    await until(() => maildir(bobDir).some((m) => m.text.includes('Subject: quota one')), 30_000, "the first message in bob's Maildir");
    assert.ok(!maildir(bobDir).some((m) => m.text.includes('almost full')), 'no warning under IssueWarningQuota');

    // Second: the mailbox is under ProhibitSendReceiveQuota before it, so it is delivered, and it crosses IssueWarningQuota.
    const second = submit('alice@contoso.com', PW.alice, 'alice@contoso.com', 'bob@contoso.com', 'quota two');
    assert.equal(second.status, 0, second.stdout + second.stderr);
    await until(() => maildir(bobDir).some((m) => m.text.includes('Subject: Your mailbox is almost full.')), 30_000, "the quota warning in bob's Maildir");
    const warning = maildir(bobDir).find((m) => m.text.includes('Subject: Your mailbox is almost full.'))!;
    assert.match(warning.text, /^Return-Path: <>/);
    assert.match(warning.text, /the warning limit is 4 KB \(4,096 bytes\)/);
    assert.match(warning.text, /At 6 KB \(6,144 bytes\) you will no longer be able to send or receive messages\./);
    assert.ok(maildir(bobDir).some((m) => m.text.includes('Subject: quota two')));
    const warned = await service!.waitFor((l) => l.event === 'mailbox.quota.warning', 10_000, 'mailbox.quota.warning');
    assert.equal(warned.mailbox, 'Bob Jones');
    assert.equal(warned.issueWarningQuota, 4096);

    // Third: bob is now over ProhibitSendReceiveQuota; the delivery fails and alice gets the NDR.
    const third = submit('alice@contoso.com', PW.alice, 'alice@contoso.com', 'bob@contoso.com', 'quota three');
    assert.equal(third.status, 0, third.stdout + third.stderr);
    await until(() => maildir(aliceDir).some((m) => m.text.includes('quota three') && /Status: 5\.2\.2/.test(m.text)), 30_000, "the NDR in alice's Maildir");
    const ndr = {
      text: maildir(aliceDir)
        .find((m) => m.text.includes('quota three'))!
        .text.replace(/\r\n[ \t]+/g, ' '),
    };
    assert.match(ndr.text, /The recipient's mailbox is full and can't accept messages now\./);
    assert.match(ndr.text, /Final-Recipient: rfc822; ?bob@contoso\.com/);
    assert.match(ndr.text, /Action: failed/);
    assert.match(ndr.text, /Diagnostic-Code: smtp; ?554 5\.2\.2 mailbox full; STOREDRV\.Deliver\.Exception:QuotaExceededException\.MapiExceptionShutoffQuotaExceeded/);
    assert.ok(!maildir(bobDir).some((m) => m.text.includes('Subject: quota three')), 'nothing was delivered to the full mailbox');
    const refused = await service!.waitFor((l) => l.event === 'mailbox.quota.refused', 10_000, 'mailbox.quota.refused');
    assert.equal(refused.prohibitSendReceiveQuota, 6144);
    assert.match(String(refused.action), /Set-Mailbox "Bob Jones" -UseDatabaseQuotaDefaults \$false -ProhibitSendReceiveQuota <size>/);
    const tracking = await shell(['Get-MessageTrackingLog -EventId FAIL -MessageSubject "quota three" | Format-List Recipients,RecipientStatus']);
    assert.match(tracking.stdout, /Recipients\s+: \{bob@contoso\.com\}/);
    assert.match(tracking.stdout, /554 5\.2\.2 mailbox full/);

    // Trace-MailFlow names the full mailbox and the commands that fix it.
    const trace = formatListRecords((await shell(['Trace-MailFlow bob@contoso.com -Sender alice@contoso.com -SkipConnection | Format-List Step,Result,Detail,Fix'])).stdout);
    const full = trace.find((x) => x.Step === 'Mailbox');
    assert.equal(full?.Result, 'Failure', JSON.stringify(trace));
    assert.match(full!.Detail, /The mailbox "Bob Jones" holds [\d.]+ KB \([\d,]+ bytes\), at or over its ProhibitSendReceiveQuota of 6 KB \(6,144 bytes\): delivery fails with 554 5\.2\.2 mailbox full/);
    assert.match(full!.Fix, /Set-Mailbox "Bob Jones" -UseDatabaseQuotaDefaults \$false -ProhibitSendReceiveQuota <size>/);

    // bob, over ProhibitSendQuota, cannot submit; alice, under her database's quotas, can.
    const bobSends = submit('bob@contoso.com', PW.bob, 'bob@contoso.com', 'alice@contoso.com', 'from a full mailbox', 100);
    assert.notEqual(bobSends.status, 0);
    assert.match(
      bobSends.stdout,
      /<~\* 554 5\.2\.2 mailbox full; STOREDRV\.Submission\.Exception:QuotaExceededException\.MapiExceptionQuotaExceeded; .*The mailbox of bob@contoso\.com holds [\d.]+ KB \([\d,]+ bytes\), at or over its ProhibitSendQuota of 5 KB \(5,120 bytes\)/,
    );
    assert.match(bobSends.stdout, /~> MAIL FROM:<bob@contoso\.com>\n<~\* 554 5\.2\.2/);
    const over = await service!.waitFor((l) => l.event === 'smtp.in.mail.over-send-quota', 10_000, 'smtp.in.mail.over-send-quota');
    assert.equal(over.prohibitSendQuota, 5120);
    const aliceSends = submit('alice@contoso.com', PW.alice, 'alice@contoso.com', 'alice@contoso.com', 'alice is fine', 100);
    assert.equal(aliceSends.status, 0, aliceSends.stdout);

    // Raising the quota lets bob send again.
    assert.equal((await shell(['Set-Mailbox bob -UseDatabaseQuotaDefaults $true'])).code, 0);
    const again = submit('bob@contoso.com', PW.bob, 'bob@contoso.com', 'alice@contoso.com', 'bob again', 100);
    assert.equal(again.status, 0, again.stdout);
    await until(() => ['alice is fine', 'bob again'].every((s) => maildir(aliceDir).some((m) => m.text.includes(`Subject: ${s}`))), 30_000, "both messages in alice's Maildir");
  });

  it('shows the sizes: Get-MailboxStatistics and Get-MailboxDatabase -Status', async () => {
    const r = await shell([
      'Get-MailboxStatistics bob | Format-List ItemCount,TotalItemSize',
      'Get-MailboxDatabase -Status | Format-List Name,Mounted,DatabaseSize,AvailableNewMailboxSpace',
      'Get-MailboxDatabase | Format-List Mounted,DatabaseSize',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [stats, status, plain] = formatListRecords(r.stdout);
    const bytes = maildir(bobDir).reduce((n, m) => n + Buffer.byteLength(m.text, 'latin1'), 0);
    assert.equal(stats.ItemCount, '3');
    assert.match(stats.TotalItemSize, new RegExp(`\\(${bytes.toLocaleString('en-US')} bytes\\)$`));
    const all = bytes + maildir(aliceDir).reduce((n, m) => n + Buffer.byteLength(m.text, 'latin1'), 0);
    assert.equal(status.Name, 'DB01');
    assert.equal(status.Mounted, 'True');
    assert.match(status.DatabaseSize, new RegExp(`\\(${all.toLocaleString('en-US')} bytes\\)$`));
    assert.match(status.AvailableNewMailboxSpace, /^[\d.]+ [KMGT]?B \([\d,]+ bytes\)$/);
    assert.deepEqual(plain, { Mounted: '', DatabaseSize: '' }, 'without -Status the state is not read');
  });

  it('filters mailboxes and recipients with OPATH, limits with -ResultSize, and refuses unknown properties', async () => {
    const r = await shell([
      'New-DistributionGroup -Name Sales -Alias sales',
      'Get-Mailbox -Filter "UseDatabaseQuotaDefaults -eq $true -and Alias -like \'b*\'" | Format-List Name',
      'Get-Mailbox -Filter {EmailAddresses -like "*@contoso.com" -and -not (Alias -eq "bob")} | Format-List Name',
      "Get-Recipient -Filter \"RecipientType -eq 'MailUniversalDistributionGroup' -or Alias -eq 'alice'\" | Format-List Name,RecipientType",
      "Get-Recipient -Filter 'ForwardingSmtpAddress -eq $null' -ResultSize 2 | Format-List Name",
      'Get-Mailbox -ResultSize Unlimited | Format-List Name',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const names = formatListRecords(r.stdout)
      .filter((x) => 'Name' in x)
      .map((x) => x.Name);
    assert.deepEqual(names, ['Bob Jones', 'Alice Smith', 'Alice Smith', 'Sales', 'Alice Smith', 'Bob Jones', 'Alice Smith', 'Bob Jones']);
    assert.match(r.stdout, /WARNING: There are more results available than are currently displayed\. To view them, increase the value for the ResultSize parameter\./);
    assert.equal((r.stdout.match(/WARNING:/g) ?? []).length, 1, 'only the cut result warns');

    const bad = await shell(['Get-Mailbox -Filter "Aliass -eq \'bob\'"']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Cannot bind parameter 'Filter' to the target\. Exception setting "Filter": ""Aliass" is not a recognized filterable property\. Valid property names are: Alias, Database,/);
    const syntax = await shell(['Get-Recipient -Filter "Alias -eq"']);
    assert.equal(syntax.code, 1);
    assert.match(syntax.stderr, /Invalid filter syntax\. For a description of the filter parameter syntax see the command help\./);
  });

  it('Get-ADUser -Properties shows only the properties asked for, or all with *', async () => {
    const r = await shell(['Get-ADUser alice -Properties EmailAddress,proxyAddresses | Format-List', 'Get-ADUser bob -Properties * | Format-List CanonicalName,mail,MemberOf,LockedOut']);
    assert.equal(r.code, 0, r.stderr);
    const [alice, bob] = formatListRecords(r.stdout);
    assert.deepEqual(Object.keys(alice), ['DistinguishedName', 'EmailAddress', 'Enabled', 'GivenName', 'Name', 'ObjectClass', 'ObjectGUID', 'proxyAddresses', 'SamAccountName', 'SID', 'Surname', 'UserPrincipalName']);
    assert.equal(alice.EmailAddress, 'alice@contoso.com');
    assert.equal(alice.proxyAddresses, '{SMTP:alice@contoso.com}');
    assert.deepEqual(bob, { CanonicalName: 'contoso.com/Users/Bob Jones', mail: 'bob@contoso.com', MemberOf: '{}', LockedOut: 'False' });
    const unknown = await shell(['Get-ADUser alice -Properties Shoesize']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /One or more properties are invalid\. Parameter name: Shoesize/);
  });
});
