import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readCertificateData } from './import.js';
import { isPkcs12, Pkcs12Error, readPkcs12 } from './pkcs12.js';
import { generateSelfSignedCertificate } from './self-signed.js';

// PKCS #12 files as OpenSSL writes them today and as older tools did (PKCS #12 PBEs with 3DES and
// 40-bit RC2, SHA-1 MACs), unencrypted bags, no MAC, and the BER (indefinite lengths, a constructed
// OCTET STRING) some Windows exports use.

let dir: string;
let certPem: string;
let thumbprint: string;

function openssl(args: string[]): Buffer {
  const r = spawnSync('openssl', args, { cwd: dir, timeout: 30_000 });
  assert.equal(r.status, 0, String(r.stderr));
  return r.stdout;
}

function pfx(name: string, options: string[]): Buffer {
  openssl(['pkcs12', '-export', ...options, '-in', 'cert.pem', '-inkey', 'key.pem', '-name', 'Contoso mail', '-passout', 'pass:Pfx-Pass-1', '-out', name]);
  return readFileSync(join(dir, name));
}

/** BER header: tag and the indefinite-length octet. */
const indefinite = (tag: number, ...parts: Buffer[]) => Buffer.concat([Buffer.from([tag, 0x80]), ...parts, Buffer.from([0, 0])]);

function derLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER TLV at `pos`: where its content starts and ends. */
function tlv(buf: Buffer, pos: number): { start: number; end: number } {
  const first = buf[pos + 1];
  const n = first < 0x80 ? 0 : first & 0x7f;
  let len = first < 0x80 ? first : 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 2 + i];
  const start = pos + 2 + n;
  return { start, end: start + len };
}

/** The same PFX in BER: indefinite outer lengths, and the authenticated safe's octets in 100-byte segments. */
function asBer(der: Buffer): Buffer {
  const pfxSeq = tlv(der, 0);
  const version = tlv(der, pfxSeq.start);
  const authSafe = tlv(der, version.end);
  const oid = tlv(der, authSafe.start);
  const explicit = tlv(der, oid.end);
  const octets = tlv(der, explicit.start);
  const content = der.subarray(octets.start, octets.end);
  const segments: Buffer[] = [];
  for (let i = 0; i < content.length; i += 100) {
    const piece = content.subarray(i, i + 100);
    segments.push(Buffer.concat([Buffer.from([0x04]), derLength(piece.length), piece]));
  }
  const authSafeBer = indefinite(0x30, der.subarray(authSafe.start, oid.end), indefinite(0xa0, indefinite(0x24, ...segments)));
  return indefinite(0x30, der.subarray(pfxSeq.start, version.end), authSafeBer, der.subarray(authSafe.end, pfxSeq.end));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pkcs12-'));
  const c = await generateSelfSignedCertificate({ subject: 'CN=mail.contoso.com', domains: ['mail.contoso.com'], keySize: 2048 });
  certPem = c.certificatePem;
  writeFileSync(join(dir, 'cert.pem'), c.certificatePem);
  writeFileSync(join(dir, 'key.pem'), c.privateKeyPem);
  thumbprint = readCertificateData(Buffer.from(certPem), null).certificate.fingerprint;
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('reading PKCS #12', () => {
  const variants: [string, string[]][] = [
    ['PBES2 with AES-256 and an HMAC-SHA256 MAC (OpenSSL 3)', []],
    ['40-bit RC2 certificates and a 3DES key, SHA-1 MAC (-legacy)', ['-legacy']],
    ['the PKCS #12 PBE with 3DES for both, SHA-1 MAC', ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']],
    ['unencrypted bags', ['-keypbe', 'NONE', '-certpbe', 'NONE']],
    ['no MAC', ['-nomac']],
  ];
  for (const [what, options] of variants) {
    it(`reads ${what}`, () => {
      const data = pfx(`v${variants.findIndex((v) => v[0] === what)}.pfx`, options);
      assert.equal(isPkcs12(data), true);
      const read = readPkcs12(data, 'Pfx-Pass-1');
      assert.equal(read.certificates.length, 1);
      assert.equal(read.certificates[0].cert.fingerprint, thumbprint);
      assert.equal(read.certificates[0].friendlyName, 'Contoso mail');
      assert.equal(read.keys.length, 1);
      assert.equal(read.keys[0].keyId, read.certificates[0].keyId);
      assert.ok(read.certificates[0].cert.checkPrivateKey(read.keys[0].key));
      assert.throws(
        () => readPkcs12(data, 'wrong'),
        (err: unknown) => err instanceof Pkcs12Error && err.kind === 'password',
      );
    });
  }

  it('reads the BER of older Windows exports (indefinite lengths, a constructed OCTET STRING)', () => {
    const ber = asBer(pfx('ber.pfx', []));
    assert.equal(ber[1], 0x80);
    assert.equal(isPkcs12(ber), true);
    const read = readPkcs12(ber, 'Pfx-Pass-1');
    assert.equal(read.certificates[0].cert.fingerprint, thumbprint);
    assert.equal(read.keys.length, 1);
    assert.throws(() => readPkcs12(ber, 'wrong'), /password is not correct/);
  });

  it('tells a damaged file from a wrong password', () => {
    const data = pfx('damaged.pfx', []);
    assert.equal(isPkcs12(data.subarray(0, 200)), false);
    assert.throws(
      () => readPkcs12(data.subarray(0, 200), 'Pfx-Pass-1'),
      (err: unknown) => err instanceof Pkcs12Error && err.kind === 'format',
    );
    assert.equal(isPkcs12(Buffer.from(certPem)), false);
  });
});

describe('reading PKCS #7 and DER certificates', () => {
  it('reads the certificates of a .p7b, in DER and in PEM, and a DER certificate', () => {
    openssl(['crl2pkcs7', '-nocrl', '-certfile', 'cert.pem', '-outform', 'DER', '-out', 'c.p7b']);
    const der = readFileSync(join(dir, 'c.p7b'));
    assert.equal(readCertificateData(der, null).certificate.fingerprint, thumbprint);
    const pem = openssl(['crl2pkcs7', '-nocrl', '-certfile', 'cert.pem']);
    assert.equal(readCertificateData(pem, null).certificate.fingerprint, thumbprint);
    const cer = openssl(['x509', '-in', 'cert.pem', '-outform', 'DER']);
    assert.equal(readCertificateData(cer, null).certificate.fingerprint, thumbprint);
    assert.throws(() => readCertificateData(Buffer.from('not a certificate'), null), /the data is not a certificate/);
  });
});
