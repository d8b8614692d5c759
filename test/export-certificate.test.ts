// Export-ExchangeCertificate through the shell: a .pfx with the private key
// (-BinaryEncoded -Password) that OpenSSL opens and another server imports
// with the same thumbprint; the certificate alone as Base64; a pending
// request; and the refusals (key not exportable, file already there).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';

const PASSWORD = 'Export-Pfx-77';

describe('Export-ExchangeCertificate', () => {
  const dir = scratchDir('export-cert');
  const edge = join(dir.path, 'EDGE01');
  const other = join(dir.path, 'EDGE02');
  let exportable = '';
  let fixed = '';

  const sh = async (data: string, script: string) => gatehouse(['shell', '--data', data, '-c', script], { timeoutMs: 60_000 });
  const ok = async (data: string, script: string) => {
    const r = await sh(data, script);
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE02', '--fqdn', 'edge02.contoso.net', '--data', other])).code, 0);
    exportable = formatListRecords(await ok(edge, 'New-ExchangeCertificate -DomainName mail.contoso.com -PrivateKeyExportable $true -FriendlyName "Mail export" -Services None | Format-List Thumbprint'))[0].Thumbprint;
    fixed = formatListRecords(await ok(edge, 'New-ExchangeCertificate -DomainName fixed.contoso.com -Services None | Format-List Thumbprint'))[0].Thumbprint;
  });
  after(() => dir.remove());

  it('writes a .pfx that OpenSSL opens and another server imports with the same thumbprint', async () => {
    const file = join(dir.path, 'mail.pfx');
    await ok(edge, `Export-ExchangeCertificate -Thumbprint ${exportable} -FileName "${file}" -BinaryEncoded -Password (ConvertTo-SecureString "${PASSWORD}" -AsPlainText -Force)`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const r = spawnSync('openssl', ['pkcs12', '-in', file, '-passin', `pass:${PASSWORD}`, '-nodes'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /friendlyName: Mail export/);
    assert.match(r.stdout, /-----BEGIN PRIVATE KEY-----/);
    const imported = formatListRecords(await ok(other, `Import-ExchangeCertificate -FileName "${file}" -Password (ConvertTo-SecureString "${PASSWORD}" -AsPlainText -Force) | Format-List Thumbprint,HasPrivateKey`))[0];
    assert.deepEqual(imported, { Thumbprint: exportable, HasPrivateKey: 'True' });
    assert.ok(!readFileSync(file).includes(Buffer.from('PRIVATE KEY')), 'the key is not in clear in the file');
  });

  it('exports the certificate alone as Base64 without -Password, through the pipeline too', async () => {
    const file = join(dir.path, 'fixed.cer');
    await ok(edge, `Get-ExchangeCertificate -Thumbprint ${fixed} | Export-ExchangeCertificate -FileName "${file}"`);
    const r = spawnSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha1'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('=')[1].replace(/:/g, ''), fixed);
    const data = await ok(edge, `(Export-ExchangeCertificate ${fixed}).FileData`);
    assert.match(data, /^-----BEGIN CERTIFICATE-----/);
  });

  it('exports a pending request as the .req a CA signs', async () => {
    const req = formatListRecords(
      await ok(edge, 'New-ExchangeCertificate -GenerateRequest -SubjectName "CN=mail.contoso.com" -DomainName mail.contoso.com | Out-Null; Get-ExchangeCertificate | Where-Object { $_.Status -eq "PendingRequest" } | Format-List Thumbprint'),
    )[0].Thumbprint;
    const file = join(dir.path, 'mail.req');
    await ok(edge, `Export-ExchangeCertificate -Thumbprint ${req} -FileName "${file}" -BinaryEncoded`);
    const r = spawnSync('openssl', ['req', '-inform', 'DER', '-in', file, '-noout', '-subject'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /CN\s?=\s?mail\.contoso\.com/);
  });

  it('refuses a key that is not exportable, and an existing file', async () => {
    const file = join(dir.path, 'fixed.pfx');
    const r = await sh(edge, `Export-ExchangeCertificate -Thumbprint ${fixed} -FileName "${file}" -BinaryEncoded -Password (ConvertTo-SecureString "${PASSWORD}" -AsPlainText -Force)`);
    assert.match(r.stdout + r.stderr, /The private key of certificate [0-9A-F]{40} isn't exportable/);
    assert.ok(!existsSync(file));
    const again = await sh(edge, `Export-ExchangeCertificate -Thumbprint ${fixed} -FileName "${join(dir.path, 'fixed.cer')}"`);
    assert.match(again.stdout + again.stderr, /could not be written: it already exists/);
  });
});
