import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireTlsNoTlsText, requireTlsRefusal } from './require-tls.js';

const endpoint = { address: '127.0.0.9', port: 25 };
const caps = (...k: string[]) => new Map(k.map((x) => [x, '']));
const good = { authorized: true, identity: { name: 'mx.fabrikam.com', matches: true }, names: ['mx.fabrikam.com'] };

test('a validated TLS session naming the host, with REQUIRETLS offered, may carry the message', () => {
  assert.equal(requireTlsRefusal('mx.fabrikam.com', endpoint, { tls: good, extensions: caps('REQUIRETLS', 'SIZE') }), null);
});

test('no TLS, an untrusted chain, a wrong name, no certificate: 5.7.10, saying which', () => {
  assert.match(requireTlsRefusal('mx.fabrikam.com', endpoint, { tls: null, extensions: caps('REQUIRETLS') })!, /^550 5\.7\.10 REQUIRETLS: mx\.fabrikam\.com \[127\.0\.0\.9:25\] did not offer STARTTLS/);
  const untrusted = requireTlsRefusal('mx.fabrikam.com', endpoint, { tls: { ...good, authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, extensions: caps('REQUIRETLS') })!;
  assert.match(untrusted, /^550 5\.7\.10 .*does not chain to a trusted certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
  const wrongName = requireTlsRefusal('mx.fabrikam.com', endpoint, { tls: { ...good, identity: { name: 'mx.fabrikam.com', matches: false }, names: ['other.example'] }, extensions: caps('REQUIRETLS') })!;
  assert.match(wrongName, /^550 5\.7\.10 .*does not carry the name mx\.fabrikam\.com \(it names other\.example\)/);
  assert.match(requireTlsRefusal('mx.fabrikam.com', endpoint, { tls: { authorized: false }, extensions: caps('REQUIRETLS') })!, /presented no certificate/);
  assert.match(requireTlsNoTlsText('mx.fabrikam.com', endpoint, 'handshake failure'), /^550 5\.7\.10 .*could not negotiate TLS \(handshake failure\)/);
});

test('a validated hop without REQUIRETLS: 5.7.30 REQUIRETLS support required', () => {
  assert.match(requireTlsRefusal('mx.fabrikam.com', endpoint, { tls: good, extensions: caps('STARTTLS') })!, /^550 5\.7\.30 REQUIRETLS support required: mx\.fabrikam\.com \[127\.0\.0\.9:25\] does not offer REQUIRETLS/);
});
