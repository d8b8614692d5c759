// The Exchange certificate cmdlets as an admin uses them on an Edge server:
// New-ExchangeCertificate, Get-ExchangeCertificate (table and list), Enable-,
// Import- (PEM text, a .pfx made with openssl, a wrong password), Remove-,
// and private keys never stored in plain text.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';

describe('Exchange certificate cmdlets', () => {
  const dir = scratchDir('certificates');
  after(() => dir.remove());
  const edge = join(dir.path, 'EDGE01');
  const sh = (script: string) => gatehouse(['shell', '--data', edge, '-c', script], { timeoutMs: 60000 });
  let setupThumbprint = '';
  let newThumbprint = '';

  before(async () => {
    const r = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge]);
    assert.equal(r.code, 0, r.stderr);
    setupThumbprint = /Certificate ([0-9A-F]{40}) /.exec(r.stdout)![1];
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir.path, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '30', '-subj', '/C=US/O=Fabrikam/CN=mail.fabrikam.com', '-addext', 'subjectAltName=DNS:mail.fabrikam.com,DNS:*.fabrikam.com');
    openssl('pkcs12', '-export', '-in', 'cert.pem', '-inkey', 'key.pem', '-out', 'mail.pfx', '-passout', 'pass:P@ssw0rd', '-name', 'Fabrikam mail');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key2.pem', '-out', 'cert2.pem', '-days', '30', '-subj', '/CN=relay.fabrikam.com');
  });

  it('creates a self-signed certificate from -SubjectName and -DomainName and shows the default table', async () => {
    const r = await sh('New-ExchangeCertificate -SubjectName "CN=mail.contoso.com, O=Contoso, C=US" -DomainName autodiscover.contoso.com,*.contoso.com -Services SMTP,IIS -FriendlyName "Contoso mail" -Force');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('Thumbprint'));
    assert.equal(lines[header].trimEnd(), 'Thumbprint                                Services   Subject');
    assert.equal(lines[header + 1].trimEnd(), '----------                                --------   -------');
    const row = /^([0-9A-F]{40})  \.\.\.WS\.\.    CN=mail\.contoso\.com, O=Contoso, C=US/.exec(lines[header + 2]);
    assert.ok(row, r.stdout);
    newThumbprint = row[1];

    const all = await sh('Get-ExchangeCertificate');
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, new RegExp(`${setupThumbprint}  \\.\\.\\.\\.S\\.\\.    CN=EDGE01`));
    assert.match(all.stdout, new RegExp(`${newThumbprint}  \\.\\.\\.WS\\.\\.    CN=mail\\.contoso\\.com`));
  });

  it('shows the certificate in list form with its names, validity and services', async () => {
    const r = await sh(`Get-ExchangeCertificate ${newThumbprint} | Format-List`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CertificateDomains\s+: \{mail\.contoso\.com, autodiscover\.contoso\.com, \*\.contoso\.com\}/);
    assert.match(r.stdout, /Services\s+: IIS, SMTP/);
    assert.match(r.stdout, /IsSelfSigned\s+: True/);
    assert.match(r.stdout, /Status\s+: Valid/);
    assert.match(r.stdout, /NotAfter\s+: \d+\/\d+\/\d{4}/);
    assert.match(r.stdout, /FriendlyName\s+: Contoso mail/);
    assert.match(r.stdout, /PublicKeySize\s+: 2048/);
    const d = await sh('Get-ExchangeCertificate -DomainName smtp.contoso.com | Format-Table Thumbprint -HideTableHeaders');
    assert.ok(d.stdout.includes(newThumbprint) && !d.stdout.includes(setupThumbprint), d.stdout);
  });

  it('refuses bad subject names, domain names and key sizes', async () => {
    const r = await sh('New-ExchangeCertificate -SubjectName "O=Contoso"');
    assert.match(r.stderr, /exactly one CN=/);
    const d = await sh('New-ExchangeCertificate -DomainName "bad_name.contoso.com"');
    assert.match(d.stderr, /not a valid domain name/);
    const k = await sh('New-ExchangeCertificate -KeySize 512');
    assert.match(k.stderr, /key size 512 is not supported/);
  });

  it('imports a PFX (a wrong password is refused) without enabling services, then enables it for SMTP', async () => {
    const pfx = join(dir.path, 'mail.pfx');
    const bad = await sh(`Import-ExchangeCertificate -FileName '${pfx}' -Password (ConvertTo-SecureString 'nope' -AsPlainText -Force)`);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /requires either a different password/);
    const r = await sh(`Import-ExchangeCertificate -FileName '${pfx}' -Password (ConvertTo-SecureString 'P@ssw0rd' -AsPlainText -Force) | Format-List Thumbprint,Services,HasPrivateKey,FriendlyName,Subject,IsSelfSigned`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Services\s+: None/);
    assert.match(r.stdout, /HasPrivateKey\s+: True/);
    assert.match(r.stdout, /FriendlyName\s+: Fabrikam mail/);
    assert.match(r.stdout, /Subject\s+: CN=mail\.fabrikam\.com, O=Fabrikam, C=US/);
    const t = /Thumbprint\s+: ([0-9A-F]{40})/.exec(r.stdout)![1];
    const e = await sh(`Enable-ExchangeCertificate ${t} -Services SMTP -Force; Get-ExchangeCertificate -Thumbprint ${t} | Format-List Services`);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /Services : SMTP/);
  });

  it('imports a certificate and key given as PEM text', async () => {
    const pem = readFileSync(join(dir.path, 'cert2.pem'), 'utf8') + readFileSync(join(dir.path, 'key2.pem'), 'utf8');
    const r = await sh(`$pem = '${pem}'\nImport-ExchangeCertificate -FileData $pem | Format-List Subject,HasPrivateKey,Services`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Subject\s+: CN=relay\.fabrikam\.com/);
    assert.match(r.stdout, /HasPrivateKey\s+: True/);
    const again = await sh(`$pem = '${pem}'\nImport-ExchangeCertificate -FileData $pem`);
    assert.match(again.stderr, /already exists/);
  });

  it('creates a certificate request with -GenerateRequest, kept as a pending request', async () => {
    const r = await sh('New-ExchangeCertificate -GenerateRequest -SubjectName "CN=mail.contoso.com" -DomainName mail.contoso.com');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /-----BEGIN NEW CERTIFICATE REQUEST-----/);
    const der = Buffer.from(/-----BEGIN NEW CERTIFICATE REQUEST-----([\s\S]*?)-----END/.exec(r.stdout)![1].replace(/\s/g, ''), 'base64');
    assert.ok(der.length > 200);
    const g = await sh('Get-ExchangeCertificate | Where-Object { $_.Status -eq "PendingRequest" } | Format-List Subject,Status,HasPrivateKey');
    assert.match(g.stdout, /Status\s+: PendingRequest/);
    assert.match(g.stdout, /HasPrivateKey\s+: False/);
  });

  it("refuses to remove the only certificate for a Receive connector's Fqdn, removes others with -Confirm:$false", async () => {
    const refused = await sh(`Remove-ExchangeCertificate ${setupThumbprint} -Confirm:$false`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Receive connector "EDGE01\\Default internal Receive connector EDGE01"/);
    const whatIf = await sh(`Remove-ExchangeCertificate ${newThumbprint} -WhatIf`);
    assert.match(whatIf.stdout, new RegExp(`What if: Removing certificate "${newThumbprint}"`));
    const r = await sh(`Remove-ExchangeCertificate ${newThumbprint} -Confirm:$false; Get-ExchangeCertificate | Format-Table Thumbprint -HideTableHeaders`);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(newThumbprint) && r.stdout.includes(setupThumbprint), r.stdout);
  });

  it('keeps no private key in plain text in the server folder', () => {
    const keys = ['key.pem', 'key2.pem'].map((f) => readFileSync(join(dir.path, f), 'utf8').split('\n')[1]);
    for (const name of readdirSync(edge)) {
      const data = readFileSync(join(edge, name)).toString('latin1');
      assert.ok(!data.includes('PRIVATE KEY'), `${name} holds a PEM private key`);
      for (const line of keys) assert.ok(!data.includes(line), `${name} holds key material`);
    }
  });
});
