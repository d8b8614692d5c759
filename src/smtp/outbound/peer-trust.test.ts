import { test } from 'node:test';
import assert from 'node:assert/strict';
import type tls from 'node:tls';
import { credentialNeedsProof, credentialRefusal, peerIdentity } from './peer-trust.js';
import { credentialWithheldText } from './classify.js';

/** The fields of a peer certificate the identity check reads. */
const cert = (cn: string, altNames?: string) => ({ subject: { CN: cn }, ...(altNames !== undefined && { subjectaltname: altNames }) }) as unknown as tls.PeerCertificate;

test('a credential needs a proven peer unless TlsAuthLevel says EncryptionOnly (or DomainValidation checked it at the handshake)', () => {
  const auth = { username: 'u', password: 'p' };
  assert.equal(credentialNeedsProof({ tlsAuthLevel: null, auth }), true, 'not set: the default protects the password');
  assert.equal(credentialNeedsProof({ tlsAuthLevel: 'CertificateValidation', auth }), true, 'the chain alone does not say who the peer is');
  assert.equal(credentialNeedsProof({ tlsAuthLevel: 'EncryptionOnly', auth }), false, 'the explicit opt-out');
  assert.equal(credentialNeedsProof({ tlsAuthLevel: 'DomainValidation', auth }), false);
  assert.equal(credentialNeedsProof({ tlsAuthLevel: null }), false, 'no credential, nothing to protect');
});

test('peerIdentity matches as tls.checkServerIdentity does: SANs, one-label wildcards, IP SANs, CN only without SANs', () => {
  const mbx = cert('MBX01', 'DNS:mbx01, DNS:mbxserver01.contoso.com');
  assert.deepEqual(peerIdentity('mbxserver01.contoso.com', mbx), { name: 'mbxserver01.contoso.com', matches: true });
  assert.equal(peerIdentity('MBXSERVER01.Contoso.com.', mbx).matches, true, 'case and a trailing dot do not matter');
  const other = peerIdentity('mbxserver02.contoso.com', mbx);
  assert.equal(other.matches, false);
  assert.match(other.reason ?? '', /mbxserver02\.contoso\.com\.? is not in the cert's altnames: DNS:mbx01, DNS:mbxserver01\.contoso\.com/);

  const wildcard = cert('x', 'DNS:*.contoso.com');
  assert.equal(peerIdentity('mbxserver01.contoso.com', wildcard).matches, true);
  assert.equal(peerIdentity('a.mbxserver01.contoso.com', wildcard).matches, false, 'a wildcard covers one label');
  assert.equal(peerIdentity('contoso.com', wildcard).matches, false, 'and not the bare domain');

  const byIp = cert('smart', 'DNS:smart.example, IP Address:127.168.91.20, IP Address:0:0:0:0:0:0:0:1');
  assert.equal(peerIdentity('127.168.91.20', byIp).matches, true);
  assert.equal(peerIdentity('[::1]', byIp).matches, true, 'an IPv6 literal, bracketed or not');
  assert.equal(peerIdentity('127.168.91.21', byIp).matches, false);
  assert.equal(peerIdentity('127.168.91.20', cert('127.168.91.20')).matches, false, 'an IP address must be an IP SAN, not the CN');

  assert.equal(peerIdentity('legacy.example', cert('legacy.example')).matches, true, 'CN when there are no SANs');
  assert.equal(peerIdentity('legacy.example', cert('legacy.example', 'DNS:other.example')).matches, false, 'SANs outrank the CN');
});

test('credentialRefusal: the chain, the name, both, or no certificate at all', () => {
  const ok = { name: 'mx.example', matches: true };
  const wrong = { name: 'mx.example', matches: false };
  assert.equal(credentialRefusal({ authorized: true, identity: ok }), null);
  assert.deepEqual(credentialRefusal({ authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT', identity: ok }), { untrusted: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, wrongName: null, noCertificate: false });
  assert.deepEqual(credentialRefusal({ authorized: true, identity: wrong, names: ['other.example'] }), { untrusted: null, wrongName: { name: 'mx.example', names: ['other.example'] }, noCertificate: false });
  const both = credentialRefusal({ authorized: false, authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN', identity: wrong, names: [] });
  assert.ok(both?.untrusted && both.wrongName);
  assert.equal(credentialRefusal({ authorized: false })?.noCertificate, true);
});

test('credentialWithheldText: 454 4.7.5, what the certificate lacks, that nothing was sent, and the commands that fix it', () => {
  const ep = { address: '127.168.5.10', port: 25 };
  const owner = { name: 'To Internal Org', requireTls: false };
  const untrusted = credentialWithheldText('mbxserver01.contoso.com', ep, { untrusted: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, wrongName: null, noCertificate: false }, owner);
  assert.equal(
    untrusted,
    '454 4.7.5 The certificate presented by mbxserver01.contoso.com [127.168.5.10:25] does not chain to a trusted certificate (DEPTH_ZERO_SELF_SIGNED_CERT); ' +
      'the AuthenticationCredential of Send connector "To Internal Org" was not sent. ' +
      "Import the peer's certificate (or the CA that issued it) on this server: Import-ExchangeCertificate -FileName <file>. " +
      'Or, to send the credential without checking the peer: Set-SendConnector "To Internal Org" -RequireTLS $true -TlsAuthLevel EncryptionOnly.',
  );

  const name = credentialWithheldText('mbxserver01.contoso.com', ep, { untrusted: null, wrongName: { name: 'mbxserver01.contoso.com', names: ['wrong.example'] }, noCertificate: false }, { name: 'To Internal Org', requireTls: true });
  assert.match(name, /^454 4\.7\.5 The certificate presented by mbxserver01\.contoso\.com \[127\.168\.5\.10:25\] does not carry the name mbxserver01\.contoso\.com \(it names wrong\.example\); /);
  assert.match(name, /Have mbxserver01\.contoso\.com present a certificate for mbxserver01\.contoso\.com, or name the smart host as its certificate does \(Set-SendConnector "To Internal Org" -SmartHosts <name on the certificate>\)/);
  assert.match(name, /: Set-SendConnector "To Internal Org" -TlsAuthLevel EncryptionOnly\.$/, 'RequireTLS is already $true');
  assert.doesNotMatch(name, /Import-ExchangeCertificate/, 'the chain was fine');

  const ip = credentialWithheldText(
    '127.168.91.20',
    { address: '127.168.91.20', port: 25 },
    { untrusted: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, wrongName: { name: '127.168.91.20', names: ['smart.example'] }, noCertificate: false },
    undefined,
  );
  assert.match(ip, /does not chain to a trusted certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\) and does not carry the IP address 127\.168\.91\.20 \(it names smart\.example\); the credential was not sent\./);
  assert.match(ip, /Import-ExchangeCertificate -FileName <file>; and have 127\.168\.91\.20 present a certificate for 127\.168\.91\.20\.$/, 'no Send connector (between Mailbox servers): no opt-out to offer');
});
