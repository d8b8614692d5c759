import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate } from 'node:tls';
import { describe, it } from 'node:test';
import { clientChainProblem } from './client-chain.js';
import { generateSelfSignedCertificate } from './self-signed.js';

function asPeer(pem: string): DetailedPeerCertificate {
  const raw = new X509Certificate(pem).raw;
  const peer = { raw, fingerprint256: new X509Certificate(pem).fingerprint256 } as unknown as DetailedPeerCertificate;
  (peer as { issuerCertificate: DetailedPeerCertificate }).issuerCertificate = peer;
  return peer;
}

describe('client certificate chains', () => {
  it('trusts an imported self-signed certificate and nothing else', async () => {
    const partner = await generateSelfSignedCertificate({ subject: 'CN=mail.fabrikam.com', domains: ['mail.fabrikam.com', 'fabrikam.com'], keySize: 2048 });
    const other = await generateSelfSignedCertificate({ subject: 'CN=mail.fabrikam.com', domains: ['fabrikam.com'], keySize: 2048 });
    assert.equal(clientChainProblem(asPeer(partner.certificatePem), [partner.certificatePem]), null);
    assert.equal(clientChainProblem(asPeer(other.certificatePem), [partner.certificatePem]), 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(clientChainProblem(asPeer(partner.certificatePem), []), 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(clientChainProblem(null, [partner.certificatePem]), 'NO_CERTIFICATE');
  });

  it('refuses an imported certificate outside its validity period', async () => {
    const partner = await generateSelfSignedCertificate({ subject: 'CN=mail.fabrikam.com', domains: ['fabrikam.com'], keySize: 2048 });
    assert.equal(clientChainProblem(asPeer(partner.certificatePem), [partner.certificatePem], new Date(Date.now() + 100 * 365 * 86_400_000)), 'CERT_HAS_EXPIRED');
  });
});
