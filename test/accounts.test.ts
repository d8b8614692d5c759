// The accounts connector authentication will check: local users and the
// "Exchange Servers" group on an Edge server, directory users and groups on
// Mailbox servers; passwords only as scrypt hashes.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';

describe('accounts', () => {
  const dir = scratchDir('accounts');
  after(() => dir.remove());

  it('Edge: New-LocalUser and Add-LocalGroupMember "Exchange Servers"', async () => {
    const data = join(dir.path, 'EDGE01');
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const script = [
      '$pw = ConvertTo-SecureString "Local-Pass-981" -AsPlainText -Force',
      'New-LocalUser -Name mbxrelay -Password $pw -Description "Mailbox servers relay"',
      'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay',
      'Get-LocalGroupMember "Exchange Servers" | Format-List Name',
      'New-LocalUser -Name plain -Password "not-secure"',
    ].join('\n');
    const r = await gatehouse(['shell', '--data', data, '-c', script]);
    assert.equal(r.code, 1, 'the plain-text password must be refused');
    assert.match(r.stdout, /mbxrelay\s+True\s+Mailbox servers relay/);
    assert.match(r.stdout, /Name : EDGE01\\mbxrelay/);
    assert.match(r.stderr, /Cannot process argument transformation on parameter 'Password'.*SecureString/);
    const db = readFileSync(join(data, 'server.db'));
    assert.ok(!db.includes(Buffer.from('Local-Pass-981')));
    assert.ok(db.includes(Buffer.from('scrypt$')));
  });

  it('Mailbox: New-ADUser, Add-ADGroupMember, Get-ADUser', async () => {
    const data = join(dir.path, 'MBX01');
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbxserver01.contoso.com', '--data', data])).code, 0);
    const script = [
      'New-ADUser -Name EdgeAuth -SamAccountName edgeauth -AccountPassword (ConvertTo-SecureString "Dir-Pass-555" -AsPlainText -Force) -Enabled $true',
      'Add-ADGroupMember -Identity "Exchange Servers" -Members edgeauth',
      'Get-ADUser -Identity CONTOSO\\edgeauth | Format-List DistinguishedName,Enabled,SamAccountName',
      'Get-ADGroupMember "Exchange Servers" | Format-List SamAccountName',
    ].join('\n');
    const r = await gatehouse(['shell', '--data', data, '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /DistinguishedName : CN=EdgeAuth,CN=Users,DC=contoso,DC=com/);
    assert.match(r.stdout, /Enabled\s+: True/);
    assert.match(r.stdout, /SamAccountName : edgeauth/);
    const edgeSide = await gatehouse(['shell', '--data', data, '-c', 'New-LocalUser -Name x -NoPassword']);
    assert.equal(edgeSide.code, 1);
    assert.match(edgeSide.stderr, /Mailbox server: its accounts are in the organization directory/);
  });
});
