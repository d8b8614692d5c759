import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readPkcs12 } from './pkcs12.js';
import { writePkcs12 } from './pkcs12-write.js';
import { generateSelfSignedCertificate } from './self-signed.js';

describe('writing PKCS #12', () => {
  it('writes a file that the reader and OpenSSL open with the password, and refuse without it', async () => {
    const c = await generateSelfSignedCertificate({ subject: 'CN=mail.contoso.com', domains: ['mail.contoso.com'], keySize: 2048 });
    const pfx = writePkcs12({ certificatesPem: [c.certificatePem], privateKeyPem: c.privateKeyPem, friendlyName: 'Contoso mail', password: 'Pfx-Pass-1' });
    const read = readPkcs12(pfx, 'Pfx-Pass-1');
    assert.equal(read.certificates.length, 1);
    assert.equal(read.certificates[0].friendlyName, 'Contoso mail');
    assert.equal(read.keys.length, 1);
    assert.equal(read.keys[0].keyId, read.certificates[0].keyId);
    assert.throws(() => readPkcs12(pfx, 'wrong'), /password is not correct/);

    const dir = mkdtempSync(join(tmpdir(), 'pfx-'));
    try {
      writeFileSync(join(dir, 'c.pfx'), pfx);
      const r = spawnSync('openssl', ['pkcs12', '-in', join(dir, 'c.pfx'), '-passin', 'pass:Pfx-Pass-1', '-nodes'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /friendlyName: Contoso mail/);
      assert.match(r.stdout, /-----BEGIN PRIVATE KEY-----/);
      assert.match(r.stdout, /subject=CN\s?=\s?mail\.contoso\.com/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
