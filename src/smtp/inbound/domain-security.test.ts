import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { domainSecurity, type ClientCertificate } from './domain-security.js';

const good: ClientCertificate = { authorized: true, names: ['edge01.fabrikam.com', 'fabrikam.com'], subject: 'edge01.fabrikam.com' };

describe('domain security on receipt', () => {
  it('applies only to listed domains on a DomainSecureEnabled connector', () => {
    assert.equal(domainSecurity('tailspintoys.com', ['fabrikam.com'], true, false, null).kind, 'not-required');
    assert.equal(domainSecurity('fabrikam.com', ['fabrikam.com'], false, false, null).kind, 'not-required');
    assert.equal(domainSecurity('', ['fabrikam.com'], true, false, null).kind, 'not-required');
  });

  it('marks mail secured when a trusted certificate carries the domain', () => {
    const v = domainSecurity('Fabrikam.com', ['fabrikam.com'], true, true, good);
    assert.equal(v.kind, 'secured');
  });

  it('refuses with 454 4.7.5 without TLS, without a certificate, with an untrusted one or one for another name', () => {
    const cases = [
      domainSecurity('fabrikam.com', ['fabrikam.com'], true, false, good),
      domainSecurity('fabrikam.com', ['fabrikam.com'], true, true, null),
      domainSecurity('fabrikam.com', ['fabrikam.com'], true, true, { ...good, authorized: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      domainSecurity('fabrikam.com', ['fabrikam.com'], true, true, { ...good, names: ['edge01.fabrikam.com', '*.fabrikam.com'] }),
    ];
    for (const v of cases) {
      assert.equal(v.kind, 'refused');
      if (v.kind === 'refused') {
        assert.equal(v.reply.code, 454);
        assert.equal(v.reply.enhanced, '4.7.5');
      }
    }
  });
});
