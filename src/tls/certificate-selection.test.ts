import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import { certificateSchema } from '../config/model/certificate.js';
import { SecretBox } from '../secrets/secret-box.js';
import { newModelObject, Repository } from '../store/repository.js';
import { SqliteConfigStore } from '../store/sqlite-config-store.js';
import { describeCertificate, toPem } from './certificate-info.js';
import { selectSmtpCertificate } from './certificate-selection.js';
import { domainMatches } from './names.js';
import { generateSelfSignedCertificate } from './self-signed.js';

const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

async function caIssued(ca: { name: string; keys: CryptoKeyPair }, cn: string, domains: string[], notBefore: Date) {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0' + Math.floor(Math.random() * 1e9).toString(16),
    subject: `CN=${cn}`,
    issuer: ca.name,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 365 * 86400_000),
    signingAlgorithm: alg,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [new x509.SubjectAlternativeNameExtension(domains.map((d) => ({ type: 'dns' as const, value: d })))],
  });
  return { certificatePem: cert.toString('pem'), privateKeyPem: toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

describe('selectSmtpCertificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-'));
  const store = new SqliteConfigStore(join(dir, 'server.db'), { create: true });
  const repo = new Repository(store, new SecretBox(Buffer.alloc(32, 7)));
  const now = new Date();
  const ids: Record<string, string> = {};
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function add(label: string, server: string, pem: string, key: string | null, services: string): void {
    const info = describeCertificate(new X509Certificate(pem));
    ids[label] = info.thumbprint;
    repo.insert(
      newModelObject(certificateSchema, server, {
        Name: info.thumbprint,
        Subject: info.subject,
        Issuer: info.issuer,
        CertificateDomains: info.domains,
        Services: services,
        IsSelfSigned: info.isSelfSigned,
        NotBefore: info.notBefore,
        NotAfter: info.notAfter,
        CertificatePem: pem,
        PrivateKey: key,
      }),
    );
  }

  before(async () => {
    const caKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
    const ca = { name: 'O=Contoso, CN=Contoso Issuing CA', keys: caKeys };
    const setup = await generateSelfSignedCertificate({ subject: 'CN=EDGE01', domains: ['edge01', 'edge01.contoso.net'] });
    add('setup', 'EDGE01', setup.certificatePem, setup.privateKeyPem, 'SMTP');
    const selfMail = await generateSelfSignedCertificate({ subject: 'CN=mail.contoso.com', domains: ['mail.contoso.com'], now: new Date(now.getTime() - 1000) });
    add('selfMail', 'EDGE01', selfMail.certificatePem, selfMail.privateKeyPem, 'IMAP, POP, SMTP');
    const caOld = await caIssued(ca, 'mail.contoso.com', ['mail.contoso.com'], new Date(now.getTime() - 30 * 86400_000));
    add('caOld', 'EDGE01', caOld.certificatePem, caOld.privateKeyPem, 'SMTP');
    const caNew = await caIssued(ca, 'mail.contoso.com', ['mail.contoso.com'], new Date(now.getTime() - 86400_000));
    add('caNew', 'EDGE01', caNew.certificatePem, caNew.privateKeyPem, 'SMTP');
    const caNotSmtp = await caIssued(ca, 'mail.contoso.com', ['mail.contoso.com'], new Date(now.getTime() - 3600_000));
    add('caNotSmtp', 'EDGE01', caNotSmtp.certificatePem, caNotSmtp.privateKeyPem, 'IIS');
    const noKey = await caIssued(ca, 'mail.contoso.com', ['mail.contoso.com'], new Date(now.getTime() - 60_000));
    add('noKey', 'EDGE01', noKey.certificatePem, null, 'SMTP');
    const wildcard = await caIssued(ca, 'wild.fabrikam.com', ['*.fabrikam.com'], new Date(now.getTime() - 86400_000));
    add('wildcard', 'EDGE01', wildcard.certificatePem, wildcard.privateKeyPem, 'SMTP');
    const other = await generateSelfSignedCertificate({ subject: 'CN=mail.contoso.com', domains: ['mail.contoso.com'] });
    add('otherServer', 'EDGE02', other.certificatePem, other.privateKeyPem, 'SMTP');
  });

  it('matches the Fqdn against the names and returns the key that belongs to the certificate', () => {
    const s = selectSmtpCertificate(repo, 'EDGE01', 'edge01.contoso.net', null, now);
    assert.ok(s);
    assert.equal(s.thumbprint, ids.setup);
    assert.equal(s.subject, 'CN=EDGE01');
    assert.ok(new X509Certificate(s.certificatePem).checkPrivateKey(createPrivateKey(s.privateKeyPem)));
    assert.equal(selectSmtpCertificate(repo, 'edge01', 'EDGE01', null, now)?.thumbprint, ids.setup, 'server name and host name match case-insensitively');
  });

  it('prefers CA-issued over self-signed, then the latest NotBefore; needs SMTP and a private key', () => {
    assert.equal(selectSmtpCertificate(repo, 'EDGE01', 'mail.contoso.com', null, now)?.thumbprint, ids.caNew);
  });

  it('skips certificates not valid now', () => {
    const later = new Date(now.getTime() + 400 * 86400_000); // CA-issued ones have expired, the self-signed one has not
    assert.equal(selectSmtpCertificate(repo, 'EDGE01', 'mail.contoso.com', null, later)?.thumbprint, ids.selfMail);
    const earlier = new Date(now.getTime() - 10 * 86400_000); // only caOld had started
    assert.equal(selectSmtpCertificate(repo, 'EDGE01', 'mail.contoso.com', null, earlier)?.thumbprint, ids.caOld);
  });

  it('covers exactly one label with a wildcard name', () => {
    assert.equal(selectSmtpCertificate(repo, 'EDGE01', 'smtp.fabrikam.com', null, now)?.thumbprint, ids.wildcard);
    assert.equal(selectSmtpCertificate(repo, 'EDGE01', 'a.b.fabrikam.com', null, now), null);
    assert.equal(selectSmtpCertificate(repo, 'EDGE01', 'fabrikam.com', null, now), null);
    assert.ok(domainMatches('*.contoso.com', 'MAIL.contoso.com'));
    assert.ok(!domainMatches('*.contoso.com', 'contoso.com'));
  });

  it('uses only the certificate TlsCertificateName names, when set', () => {
    const selfMail = selectSmtpCertificate(repo, 'EDGE01', 'mail.contoso.com', '<I>CN=EDGE01<S>CN=EDGE01', now);
    assert.equal(selfMail?.thumbprint, ids.setup, 'wins over the Fqdn match');
    assert.equal(selectSmtpCertificate(repo, 'EDGE01', 'edge01.contoso.net', '<I>CN=Contoso Issuing CA, O=Contoso<S>CN=mail.contoso.com', now)?.thumbprint, ids.caNew);
    assert.equal(selectSmtpCertificate(repo, 'EDGE01', 'edge01.contoso.net', '<I>CN=Nobody<S>CN=nothing', now), null);
  });

  it('returns null when no certificate of that server covers the name', () => {
    assert.equal(selectSmtpCertificate(repo, 'EDGE01', 'unknown.contoso.com', null, now), null);
    assert.equal(selectSmtpCertificate(repo, 'EDGE09', 'mail.contoso.com', null, now), null);
    assert.equal(selectSmtpCertificate(repo, 'EDGE02', 'mail.contoso.com', null, now)?.thumbprint, ids.otherServer);
  });
});
