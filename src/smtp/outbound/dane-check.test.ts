import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TlsaRecord } from '../../dns/dane-records.js';
import { daneVerify, tlsaMatches } from './dane-check.js';

/** A CA, a leaf for mx.example.org under it, and an unrelated self-signed certificate (DER). */
function makeCertificates(dir: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '30',
    '-subj',
    '/CN=Test TA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:mx.example.org\nbasicConstraints=critical,CA:FALSE\n');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=mx.example.org');
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '30', '-extfile', 'ext.cnf');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '30', '-subj', '/CN=other.example');
  const read = (f: string) => new X509Certificate(readFileSync(join(dir, f))).raw;
  return { ca: read('ca.pem'), leaf: read('leaf.pem'), other: read('other.pem') };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest();
const spki = (der: Buffer) => new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
const rec = (usage: number, selector: number, matchingType: number, data: Buffer): TlsaRecord => ({ usage, selector, matchingType, data });

describe('DANE certificate check', () => {
  let dir: string;
  let c: ReturnType<typeof makeCertificates>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dane-check-'));
    c = makeCertificates(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('matches each selector and matching type', () => {
    const leaf = new X509Certificate(c.leaf);
    assert.ok(tlsaMatches(leaf, rec(3, 0, 0, c.leaf)));
    assert.ok(tlsaMatches(leaf, rec(3, 0, 1, sha256(c.leaf))));
    assert.ok(tlsaMatches(leaf, rec(3, 1, 1, sha256(spki(c.leaf)))));
    assert.ok(tlsaMatches(leaf, rec(3, 1, 2, sha512(spki(c.leaf)))));
    assert.ok(tlsaMatches(leaf, rec(3, 1, 0, spki(c.leaf))));
    assert.ok(!tlsaMatches(leaf, rec(3, 1, 1, sha256(spki(c.other)))));
  });

  it('DANE-EE: the leaf alone decides, no name check', () => {
    const v = daneVerify([c.other], [rec(3, 1, 1, sha256(spki(c.other)))], ['mx.example.org']);
    assert.equal(v.ok, true);
    assert.match((v as { how: string }).how, /^DANE-EE 3 1 1 /);
  });

  it('DANE-EE mismatch says which records it tried', () => {
    const v = daneVerify([c.leaf, c.ca], [rec(3, 1, 1, sha256(spki(c.other)))], ['mx.example.org']);
    assert.equal(v.ok, false);
    assert.match((v as { reason: string }).reason, /matches none of its 1 TLSA record \(3 1 1 [0-9a-f]{16}…\)/);
  });

  it('DANE-TA: the chain leads to the anchor and the leaf names the host', () => {
    const v = daneVerify([c.leaf, c.ca], [rec(2, 0, 1, sha256(c.ca))], ['mx.example.org', 'example.org']);
    assert.equal(v.ok, true);
    assert.match((v as { how: string }).how, /^DANE-TA 2 0 1 .*, name mx\.example\.org$/);
    assert.equal(daneVerify([c.leaf, c.ca], [rec(2, 1, 1, sha256(spki(c.ca)))], ['mx.example.org']).ok, true);
  });

  it('DANE-TA: a leaf without the host name is refused', () => {
    const v = daneVerify([c.leaf, c.ca], [rec(2, 0, 1, sha256(c.ca))], ['mx2.example.org', 'example.net']);
    assert.equal(v.ok, false);
    assert.match((v as { reason: string }).reason, /carries neither mx2\.example\.org nor example\.net \(it names mx\.example\.org\)/);
  });

  it('DANE-TA: a leaf not issued by the anchor is refused', () => {
    const v = daneVerify([c.other, c.ca], [rec(2, 0, 1, sha256(c.ca))], ['other.example']);
    assert.equal(v.ok, false);
    assert.match((v as { reason: string }).reason, /does not lead to the DANE-TA trust anchor/);
  });

  it('DANE-TA: the leaf itself is not a trust anchor, and the anchor must be presented', () => {
    assert.equal(daneVerify([c.leaf], [rec(2, 0, 1, sha256(c.leaf))], ['mx.example.org']).ok, false);
    assert.equal(daneVerify([c.leaf], [rec(2, 0, 1, sha256(c.ca))], ['mx.example.org']).ok, false);
  });

  it('DANE-TA: an expired leaf is refused; DANE-EE ignores expiry', () => {
    const later = new Date(Date.now() + 365 * 86400_000);
    const ta = daneVerify([c.leaf, c.ca], [rec(2, 0, 1, sha256(c.ca))], ['mx.example.org'], later);
    assert.equal(ta.ok, false);
    assert.match((ta as { reason: string }).reason, /outside its validity period/);
    assert.equal(daneVerify([c.leaf, c.ca], [rec(3, 0, 1, sha256(c.leaf))], ['x'], later).ok, true);
  });

  it('no certificate, or an unreadable one', () => {
    assert.equal(daneVerify([], [rec(3, 0, 1, sha256(c.leaf))], ['x']).ok, false);
    assert.equal(daneVerify([Buffer.from('junk')], [rec(3, 0, 1, sha256(c.leaf))], ['x']).ok, false);
  });
});
