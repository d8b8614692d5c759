// Recipients in the organization store, through the shell of two Mailbox
// servers: a mailbox database on each, mailboxes that are directory users,
// proxy addresses and their rules (accepted domains, one owner per address),
// distribution groups with nested groups, and removal.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';

describe('recipients', () => {
  const dir = scratchDir('recipients');
  const mbx1 = join(dir.path, 'MBX01');
  const mbx2 = join(dir.path, 'MBX02');
  after(() => dir.remove());
  const shell = (data: string, lines: string[]) => gatehouse(['shell', '--data', data, '-c', lines.join('\n')]);
  const pw = '$pw = ConvertTo-SecureString "Mbx-Pass-2024" -AsPlainText -Force';

  before(async () => {
    for (const [name, fqdn, data] of [
      ['MBX01', 'mbxserver01.contoso.com', mbx1],
      ['MBX02', 'mbxserver02.contoso.com', mbx2],
    ]) {
      const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', name, '--fqdn', fqdn, '--data', data]);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  it('creates a mailbox database on each Mailbox server; refuses Exchange file paths', async () => {
    const r = await shell(mbx1, [
      'New-AcceptedDomain -Name Contoso -DomainName contoso.com',
      'New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com',
      'New-MailboxDatabase -Name DB01 -Server MBX01',
      'New-MailboxDatabase -Name DB02 -Server mbxserver02.contoso.com',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const get = await shell(mbx2, ['Get-MailboxDatabase', 'Get-MailboxDatabase DB02 | Format-List FolderPath']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /Name\s+Server\s+Recovery\s+ReplicationType/);
    assert.match(get.stdout, /DB01\s+MBX01\s+False\s+None/);
    assert.match(get.stdout, /DB02\s+MBX02\s+False\s+None/);
    assert.ok(get.stdout.includes(`FolderPath : ${join(mbx2, 'Mailbox', 'DB02')}`), get.stdout);
    const edb = await shell(mbx1, ['New-MailboxDatabase -Name DB03 -Server MBX01 -EdbFilePath D:\\DB03\\DB03.edb']);
    assert.equal(edb.code, 1);
    assert.match(edb.stderr, /EdbFilePath is not supported: Gatehouse keeps no database file/);
  });

  it('refuses mailbox databases on an Edge Transport server', async () => {
    const edge = join(dir.path, 'EDGE01');
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    const r = await shell(edge, ['New-MailboxDatabase -Name DB09 -Server EDGE01']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /New-MailboxDatabase manages recipients and mailbox databases of the organization, which an Edge Transport server \(EDGE01\) does not hold/);
  });

  it('creates mailboxes that are directory users, with the default primary address', async () => {
    const r = await shell(mbx1, [
      pw,
      'New-Mailbox -Name "Alice Smith" -Alias alice -FirstName Alice -LastName Smith -UserPrincipalName alice@contoso.com -Password $pw -Database DB01',
      'New-Mailbox -Name "Bob Jones" -UserPrincipalName bob@contoso.com -PrimarySmtpAddress bob@fabrikam.com -Password $pw -Database DB02',
      'Get-Mailbox',
      'Get-Mailbox alice@contoso.com | Format-List PrimarySmtpAddress,EmailAddresses,Database,ServerName,MaxReceiveSize,RequireSenderAuthenticationEnabled,RecipientTypeDetails',
      'Get-ADUser -Identity CONTOSO\\alice | Format-List Enabled,SamAccountName,UserPrincipalName',
      'Get-ADUser -Identity BobJones | Format-List SamAccountName',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Name\s+Alias\s+ServerName\s+ProhibitSendQuota/);
    assert.match(r.stdout, /Alice Smith\s+alice\s+mbx01\s+Unlimited/);
    assert.match(r.stdout, /Bob Jones\s+BobJones\s+mbx02\s+Unlimited/);
    assert.match(r.stdout, /PrimarySmtpAddress\s+: alice@contoso\.com/);
    assert.match(r.stdout, /EmailAddresses\s+: \{SMTP:alice@contoso\.com\}/);
    assert.match(r.stdout, /ServerName\s+: mbx01/);
    assert.match(r.stdout, /MaxReceiveSize\s+: Unlimited/);
    assert.match(r.stdout, /RequireSenderAuthenticationEnabled : False/);
    assert.match(r.stdout, /RecipientTypeDetails\s+: UserMailbox/);
    assert.match(r.stdout, /Enabled\s+: True/);
    assert.match(r.stdout, /UserPrincipalName : alice@contoso\.com/);
    assert.match(r.stdout, /SamAccountName : BobJones/);
  });

  it('adds proxy addresses, keeps the primary consistent, refuses conflicts and foreign domains', async () => {
    const r = await shell(mbx2, [
      'Set-Mailbox alice -EmailAddresses @{Add="smtp:a.smith@contoso.com","alice@fabrikam.com"} -MaxReceiveSize 20MB',
      'Set-Mailbox "Bob Jones" -PrimarySmtpAddress bob@contoso.com',
      'Get-Mailbox a.smith@contoso.com | Format-List Name,EmailAddresses,MaxReceiveSize',
      'Get-Mailbox bob@fabrikam.com | Format-List PrimarySmtpAddress,EmailAddresses',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /EmailAddresses\s+: \{SMTP:alice@contoso\.com, smtp:a\.smith@contoso\.com, smtp:alice@fabrikam\.com\}/);
    assert.match(r.stdout, /MaxReceiveSize\s+: 20 MB \(20,971,520 bytes\)/);
    assert.match(r.stdout, /PrimarySmtpAddress : bob@contoso\.com/);
    assert.match(r.stdout, /EmailAddresses\s+: \{SMTP:bob@contoso\.com, smtp:bob@fabrikam\.com\}/);

    const clash = await shell(mbx1, ['Set-Mailbox "Bob Jones" -EmailAddresses @{Add="SMTP:a.smith@contoso.com"}']);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /The proxy address "SMTP:a\.smith@contoso\.com" is already being used by the proxy addresses or LegacyExchangeDN of "Alice Smith"\. Please choose another proxy address\./);
    const clashNew = await shell(mbx1, [pw, 'New-Mailbox -Name Carol -UserPrincipalName carol@contoso.com -PrimarySmtpAddress ALICE@contoso.com -Password $pw -Database DB01']);
    assert.equal(clashNew.code, 1);
    assert.match(clashNew.stderr, /The proxy address "SMTP:ALICE@contoso\.com" is already being used by .* of "Alice Smith"/);
    const foreign = await shell(mbx1, [pw, 'New-Mailbox -Name Carol -UserPrincipalName carol@contoso.com -PrimarySmtpAddress carol@tailspintoys.com -Password $pw -Database DB01']);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /the domain "tailspintoys\.com" isn't an accepted domain/);
    const noDb = await shell(mbx1, [pw, 'New-Mailbox -Name Carol -UserPrincipalName carol@contoso.com -Password $pw']);
    assert.equal(noDb.code, 1);
    assert.match(noDb.stderr, /2 mailbox databases \(DB01, DB02\)\. Choose one with -Database/);
    const reset = await shell(mbx1, [pw, 'New-Mailbox -Name Carol -UserPrincipalName carol@contoso.com -Password $pw -Database DB01 -ResetPasswordOnNextLogon $true']);
    assert.equal(reset.code, 1);
    assert.match(reset.stderr, /ResetPasswordOnNextLogon cannot be \$true/);
    const still = await shell(mbx1, ['Get-Recipient carol*']);
    assert.equal(still.code, 0, still.stderr);
    assert.doesNotMatch(still.stdout, /Carol/);
  });

  it('distribution groups with nested groups', async () => {
    const r = await shell(mbx1, [
      'New-DistributionGroup -Name "Sales Team" -Alias sales -Members alice',
      'New-DistributionGroup -Name "All Staff" -Members "Sales Team"',
      'Add-DistributionGroupMember -Identity "All Staff" -Member bob@fabrikam.com',
      'Get-DistributionGroup | Format-Table Name,PrimarySmtpAddress,RequireSenderAuthenticationEnabled -AutoSize',
      'Get-DistributionGroupMember AllStaff@contoso.com',
      'Set-DistributionGroup sales -RequireSenderAuthenticationEnabled $false -EmailAddresses @{Add="sales@fabrikam.com"}',
      'Get-DistributionGroup sales@fabrikam.com | Format-List RequireSenderAuthenticationEnabled,EmailAddresses',
      'Get-Recipient',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Sales Team\s+sales@contoso\.com\s+True/);
    assert.match(r.stdout, /All Staff\s+AllStaff@contoso\.com\s+True/);
    assert.match(r.stdout, /Sales Team\s+MailUniversalDistributionGroup/);
    assert.match(r.stdout, /Bob Jones\s+UserMailbox/);
    assert.match(r.stdout, /RequireSenderAuthenticationEnabled : False/);
    assert.match(r.stdout, /EmailAddresses\s+: \{SMTP:sales@contoso\.com, smtp:sales@fabrikam\.com\}/);
    assert.match(r.stdout, /Alice Smith\s+UserMailbox/);
    const loop = await shell(mbx2, ['Add-DistributionGroupMember -Identity sales -Member "All Staff"']);
    assert.equal(loop.code, 1);
    assert.match(loop.stderr, /cannot be a member of "Sales Team": it is the group itself or contains it/);
  });

  it('Remove-Mailbox removes the mailbox, its directory user and its group memberships', async () => {
    const r = await shell(mbx2, ['Remove-Mailbox "Bob Jones" -Confirm:$false', 'Get-DistributionGroupMember "All Staff"', 'Get-Recipient | Format-Table Name -AutoSize']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Bob Jones/);
    const user = await shell(mbx1, ['Get-ADUser -Identity BobJones']);
    assert.equal(user.code, 1);
    assert.match(user.stderr, /Cannot find an object with identity: 'BobJones'/);
    const reuse = await shell(mbx1, [pw, 'New-Mailbox -Name Robert -Alias bob -UserPrincipalName bob@contoso.com -Password $pw -Database DB02', 'Get-Mailbox bob | Format-List PrimarySmtpAddress']);
    assert.equal(reuse.code, 0, reuse.stderr);
    assert.match(reuse.stdout, /PrimarySmtpAddress : bob@contoso\.com/);
  });
});
