// Get-Credential, ConvertTo-SecureString, New-Object PSCredential and Read-Host
// through an in-memory host, and the stream host's shared line queue.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { testShell } from './fixtures.js';
import { StreamHost } from './host-console.js';
import { ShellSession } from './session.js';
import { PSCredential, SecureString } from './values.js';

describe('Get-Credential', () => {
  it('prompts as the mandatory Credential parameter when called without arguments', async () => {
    const { session, host } = testShell({ lines: ['', 'admin', 'S3cret'] });
    assert.equal(await session.runScript('$c = Get-Credential\n$c.UserName\n$c.GetNetworkCredential().Password'), true);
    assert.equal(host.out, ['', 'cmdlet Get-Credential at command pipeline position 1', 'Supply values for the following parameters:', 'Credential', 'User: ', 'User: ', 'Password for user admin: ', '', 'admin', 'S3cret', ''].join('\n'));
    const c = session.runtime.variables.get('c');
    assert.ok(c instanceof PSCredential);
    assert.ok(c.Password instanceof SecureString);
  });
  it('asks only for the password when a user name is given', async () => {
    const { session, host } = testShell({ lines: ['pw'] });
    await session.runScript('$c = Get-Credential EDGE01\\relay');
    assert.equal(host.out, '\nWindows PowerShell credential request\nEnter your credentials.\nPassword for user EDGE01\\relay: \n\n');
    const m = testShell({ lines: ['pw'] });
    await m.session.runScript('$c = Get-Credential -Message "Relay account" -UserName relay');
    assert.equal(m.host.out, '\nWindows PowerShell credential request.\nRelay account\nPassword for user relay: \n\n');
  });
  it('passes a credential through', async () => {
    const { session, host } = testShell();
    session.runtime.variables.set('x', new PSCredential('u', new SecureString('p')));
    await session.runScript('(Get-Credential $x).UserName');
    assert.equal(host.out, 'u\n');
  });
  it('fails when the input ends', async () => {
    const { session, host } = testShell({ lines: ['admin'] });
    assert.equal(await session.runScript('$c = Get-Credential\n"after"'), false);
    assert.match(host.err, /^Get-Credential : Cannot process command because the user name or password is missing\.\nAt line:1 char:6\n/);
    assert.match(host.out, /after\n$/);
  });
  it('uses the pipeline position in the prompt', async () => {
    const { session, host } = testShell({ lines: ['u', 'p'] });
    await session.runScript('"x" | Get-Credential | Out-Null');
    assert.match(host.out, /cmdlet Get-Credential at command pipeline position 2\n/);
  });
});

describe('ConvertTo-SecureString and New-Object PSCredential', () => {
  it('builds a credential without a prompt', async () => {
    const { session, host } = testShell();
    await session.runScript("$c = New-Object System.Management.Automation.PSCredential('relay', (ConvertTo-SecureString 'P@ss' -AsPlainText -Force))\n$c.Password\n$c.GetNetworkCredential().Password");
    assert.equal(host.err, '');
    assert.equal(host.out, 'System.Security.SecureString\nP@ss\n');
  });
  it('accepts -ArgumentList and the short type name', async () => {
    const { session, host } = testShell();
    await session.runScript("$p = 'x' | ConvertTo-SecureString -AsPlainText -Force\n(New-Object PSCredential -ArgumentList 'u', $p).UserName");
    assert.equal(host.out, 'u\n');
  });
  it('requires -Force with -AsPlainText', async () => {
    const { session, host } = testShell();
    await session.runScript("ConvertTo-SecureString 'x' -AsPlainText");
    assert.match(host.err, /FullyQualifiedErrorId : ImportSecureString_InvalidArgument,/);
  });
  it('refuses a plain string password as .NET does', async () => {
    const { session, host } = testShell();
    await session.runScript("New-Object System.Management.Automation.PSCredential('user', 'plain')");
    assert.match(host.err, /Cannot convert argument "password", with value: "plain", for "PSCredential" to type "System\.Security\.SecureString"/);
  });
  it('builds PSObjects and refuses unknown types', async () => {
    const { session, host } = testShell();
    await session.runScript('$o = New-Object PSObject -Property @{Name="a"}\n$o.Name\nNew-Object Foo.Bar');
    assert.match(host.out, /^a\n/);
    assert.match(host.err, /^New-Object : Cannot find type \[Foo\.Bar\]: verify that the assembly containing this type is loaded\./);
  });
});

describe('Read-Host', () => {
  it('shows the prompt and returns the line or a SecureString', async () => {
    const { session, host } = testShell({ lines: ['Contoso', 'hidden'] });
    await session.runScript('$n = Read-Host "Name"\n$s = Read-Host -AsSecureString "Secret"\n"$n"\n$s');
    assert.equal(host.out, 'Name: \nSecret: \nContoso\nSystem.Security.SecureString\n');
  });
});

describe('StreamHost', () => {
  it('shares one line queue between statements and prompts', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (c: Buffer) => {
      text += c.toString();
    });
    const host = new StreamHost(input, output, output);
    const { world } = testShell();
    const session = new ShellSession({ commands: world.commands, views: world.views, computerName: 'edge01.contoso.com' }, host);
    input.write('$c = Get-Credential\r\nrelay\n');
    input.end('Secret\n$c.UserName\n');
    assert.equal(await session.runInteractiveLines(), true);
    host.close();
    assert.match(text, /User: \nPassword for user relay: \n\nrelay\n$/);
    assert.ok(!text.includes('Secret'));
  });
});
