import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ehloReply, heloReply, offeredAuthMechanisms, type EhloOptions } from './ehlo.js';
import { formatReply } from './reply.js';

const defaults: EhloOptions = {
  fqdn: 'mail1.fabrikam.com',
  clientIp: '172.16.0.5',
  sizeMode: 'Enabled',
  maxMessageSize: 37748736,
  pipelining: true,
  dsn: true,
  enhancedStatusCodes: true,
  startTls: true,
  tlsActive: false,
  authMechanisms: ['LOGIN', 'PLAIN'],
  requireTlsForAuth: false,
  eightBitMime: true,
  binaryMime: true,
  chunking: true,
  smtpUtf8: true,
};
const text = (o: Partial<EhloOptions>): string => formatReply(ehloReply({ ...defaults, ...o }), { enhancedStatusCodes: true });

test('keyword order of an Exchange EHLO reply, no enhanced codes', () => {
  assert.equal(
    text({}),
    [
      '250-mail1.fabrikam.com Hello [172.16.0.5]',
      '250-SIZE 37748736',
      '250-PIPELINING',
      '250-DSN',
      '250-ENHANCEDSTATUSCODES',
      '250-STARTTLS',
      '250-AUTH LOGIN PLAIN',
      '250-8BITMIME',
      '250-BINARYMIME',
      '250-CHUNKING',
      '250 SMTPUTF8',
      '',
    ].join('\r\n'),
  );
});

test('SizeEnabled modes', () => {
  assert.match(text({ sizeMode: 'EnabledWithoutValue' }), /\r\n250-SIZE\r\n/);
  assert.doesNotMatch(text({ sizeMode: 'Disabled' }), /SIZE/);
});

test('STARTTLS disappears under TLS; AUTH with requireTlsForAuth only under TLS', () => {
  assert.doesNotMatch(text({ tlsActive: true }), /STARTTLS/);
  assert.doesNotMatch(text({ requireTlsForAuth: true }), /AUTH/);
  assert.match(text({ requireTlsForAuth: true, tlsActive: true }), /250-AUTH LOGIN PLAIN\r\n/);
  assert.match(text({ authMechanisms: ['PLAIN', 'LOGIN'] }), /250-AUTH LOGIN PLAIN\r\n/);
  assert.match(text({ authMechanisms: ['PLAIN'] }), /250-AUTH PLAIN\r\n/);
  assert.doesNotMatch(text({ authMechanisms: [] }), /AUTH/);
  assert.deepEqual(offeredAuthMechanisms({ authMechanisms: ['LOGIN'], requireTlsForAuth: true, tlsActive: false }), []);
});

test('REQUIRETLS (RFC 8689) is advertised only inside TLS, last', () => {
  assert.doesNotMatch(text({}), /REQUIRETLS/);
  assert.match(text({ tlsActive: true }), /\r\n250-SMTPUTF8\r\n250 REQUIRETLS\r\n$/);
  assert.doesNotMatch(text({ tlsActive: true, requireTls: false }), /REQUIRETLS/);
});

test('BINARYMIME only with CHUNKING; everything off leaves the first line', () => {
  assert.doesNotMatch(text({ chunking: false }), /BINARYMIME|CHUNKING/);
  assert.equal(
    text({
      sizeMode: 'Disabled',
      pipelining: false,
      dsn: false,
      enhancedStatusCodes: false,
      startTls: false,
      authMechanisms: [],
      eightBitMime: false,
      binaryMime: false,
      chunking: false,
      smtpUtf8: false,
    }),
    '250 mail1.fabrikam.com Hello [172.16.0.5]\r\n',
  );
});

test('HELO reply is one line; IPv6 in brackets', () => {
  assert.equal(formatReply(heloReply('mx', '2001:db8::5'), { enhancedStatusCodes: true }), '250 mx Hello [2001:db8::5]\r\n');
});
