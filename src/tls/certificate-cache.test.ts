import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CertificateCache } from './certificate-cache.js';
import type { SelectedCertificate } from './certificate-selection.js';

const cert = (thumbprint: string): SelectedCertificate => ({ thumbprint, subject: 'CN=edge01.contoso.net', certificatePem: 'pem', privateKeyPem: 'key' });

describe('CertificateCache', () => {
  it('chooses once per connector name until cleared or a minute has passed', () => {
    let clock = 0;
    const asked: string[] = [];
    let current = cert('AAA');
    const cache = new CertificateCache(
      (fqdn, name) => {
        asked.push(`${fqdn}|${name}`);
        return current;
      },
      () => clock,
    );
    assert.equal(cache.get('edge01.contoso.net', null)?.thumbprint, 'AAA');
    assert.equal(cache.get('EDGE01.contoso.net', null)?.thumbprint, 'AAA');
    assert.deepEqual(asked, ['edge01.contoso.net|null'], 'the second session reuses the choice (names compare case-insensitively)');
    cache.get('mail.contoso.net', null);
    cache.get('edge01.contoso.net', '<I>CN=CA<S>CN=edge01.contoso.net');
    assert.equal(asked.length, 3, 'another Fqdn or TlsCertificateName is chosen on its own');
    current = cert('BBB');
    cache.clear();
    assert.equal(cache.get('edge01.contoso.net', null)?.thumbprint, 'BBB', 'a configuration change is taken up at once');
    current = cert('CCC');
    clock += 59_999;
    assert.equal(cache.get('edge01.contoso.net', null)?.thumbprint, 'BBB');
    clock += 1;
    assert.equal(cache.get('edge01.contoso.net', null)?.thumbprint, 'CCC', 'after a minute the choice is made again (a validity period began or ended)');
  });

  it('keeps "no certificate" too, but not a failure', () => {
    let calls = 0;
    let fail = true;
    const cache = new CertificateCache(() => {
      calls++;
      if (fail) throw new Error('the private key cannot be opened');
      return null;
    });
    assert.throws(() => cache.get('edge01.contoso.net', null), /private key/);
    fail = false;
    assert.equal(cache.get('edge01.contoso.net', null), null);
    assert.equal(cache.get('edge01.contoso.net', null), null);
    assert.equal(calls, 2, 'the failure was not kept; the null answer was');
  });
});
