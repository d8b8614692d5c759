import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyReplyCode,
  communicationText,
  encodeXtext,
  isDataSafe,
  parseReply,
  setupReplyText,
} from './classify.js';

test('parseReply keeps the peer text on one line, enhanced code once', () => {
  assert.deepEqual(parseReply('550 5.1.1 <bob@x>: user unknown'), { code: 550, enhanced: '5.1.1', line: '550 5.1.1 <bob@x>: user unknown' });
  assert.equal(parseReply('550-5.7.1 first\n550 5.7.1 second')?.line, '550 5.7.1 first second');
  assert.equal(parseReply('250')?.line, '250');
  assert.equal(parseReply('garbage'), null);
});

test('reply codes: 2xx/3xx delivered, 4xx and 503 transient, other 5xx permanent', () => {
  assert.equal(classifyReplyCode(250), 'delivered');
  assert.equal(classifyReplyCode(354), 'delivered');
  assert.equal(classifyReplyCode(421), 'transient');
  assert.equal(classifyReplyCode(451), 'transient');
  assert.equal(classifyReplyCode(503), 'transient');
  assert.equal(classifyReplyCode(550), 'permanent');
  assert.equal(classifyReplyCode(554), 'permanent');
});

test('Exchange-style session texts', () => {
  const ep = { address: '127.0.0.1', port: 2525 };
  assert.equal(
    setupReplyText('554 5.7.1 go away', ep),
    '451 4.4.0 Primary target IP address responded with: "554 5.7.1 go away." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 127.0.0.1:2525',
  );
  assert.match(communicationText('Failed to connect. refused', ep, false), /^441 4\.4\.1 Error encountered while communicating with primary target IP address: "Failed to connect\. refused\." Attempted failover/);
  assert.doesNotMatch(communicationText('x', ep, false), /last endpoint/);
  assert.match(communicationText('x', { address: '::1', port: 25 }, true), /The last endpoint attempted was \[::1\]:25$/);
});

test('xtext and DATA safety', () => {
  assert.equal(encodeXtext('a+b=c d'), 'a+2Bb+3Dc+20d');
  assert.equal(encodeXtext('ü'), '+C3+BC');
  assert.equal(isDataSafe(Buffer.from('a\r\nb\r\n')), true);
  assert.equal(isDataSafe(Buffer.from('a\nb\r\n')), false);
  assert.equal(isDataSafe(Buffer.from('a\rb\r\n')), false);
  assert.equal(isDataSafe(Buffer.from([0x41, 0x00, 0x0d, 0x0a])), false);
  assert.equal(isDataSafe(Buffer.from('x'.repeat(999) + '\r\n')), false);
});
