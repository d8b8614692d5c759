import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyErrorPolicies, classify, classifyReplyCode, communicationText, encodeXtext, isDataSafe, parseReply, setupReplyText } from './classify.js';

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

test('classify types an outcome: kind, reply code, enhanced code, text', () => {
  assert.deepEqual(classify('permanent', '550 5.1.1 <bob@x>: user unknown'), { kind: 'permanent', code: 550, enhanced: '5.1.1', text: '550 5.1.1 <bob@x>: user unknown' });
  assert.deepEqual(classify('delivered', '250 2.0.0 Ok: queued'), { kind: 'delivered', code: 250, enhanced: '2.0.0', text: '250 2.0.0 Ok: queued' });
  // Without an enhanced code: none; the reply code still counts.
  assert.deepEqual(classify('transient', '451 try again later'), { kind: 'transient', code: 451, enhanced: undefined, text: '451 try again later' });
  // An enhanced code further in the text (not right after the reply code) is the reply's.
  assert.equal(classify('permanent', '554 Transaction failed 5.7.1 spam').enhanced, '5.7.1');
  // Our own wrapped texts: the outer code is the one that counts.
  assert.deepEqual(classify('transient', '451 4.4.0 Primary target IP address responded with: "554 5.7.1 go away." Attempted failover'), {
    kind: 'transient',
    code: 451,
    enhanced: '4.4.0',
    text: '451 4.4.0 Primary target IP address responded with: "554 5.7.1 go away." Attempted failover',
  });
  assert.deepEqual(classify('transient', 'connection lost'), { kind: 'transient', code: 0, enhanced: undefined, text: 'connection lost' });
  assert.equal(classify('permanent', '556 5.1.10 SMTPSEND.DNS.NullMxRecord; x does not accept mail').enhanced, '5.1.10');
});

test('ErrorPolicies act on typed outcomes', () => {
  const outcomes = [
    { address: 'a@x', ...classify('permanent', '550 5.1.1 unknown') },
    { address: 'b@x', ...classify('transient', '451 4.3.0 later') },
    { address: 'c@x', ...classify('transient', '503 5.5.1 bad sequence') },
    { address: 'd@x', ...classify('delivered', '250 2.0.0 ok') },
  ];
  assert.equal(applyErrorPolicies(outcomes, ['Default']), outcomes, 'Default: unchanged');
  assert.deepEqual(
    applyErrorPolicies(outcomes, ['DowngradeCustomFailures']).map((o) => o.kind),
    ['transient', 'transient', 'transient', 'delivered'],
  );
  // Upgrade: only 4xx replies become permanent (503 stays transient), the text and codes stay the peer's.
  const up = applyErrorPolicies(outcomes, ['UpgradeCustomFailures']);
  assert.deepEqual(
    up.map((o) => o.kind),
    ['permanent', 'permanent', 'transient', 'delivered'],
  );
  assert.deepEqual(up[1], { address: 'b@x', kind: 'permanent', code: 451, enhanced: '4.3.0', text: '451 4.3.0 later' });
  assert.deepEqual(
    applyErrorPolicies(outcomes, ['DowngradeCustomFailures', 'UpgradeCustomFailures']).map((o) => o.kind),
    ['transient', 'permanent', 'transient', 'delivered'],
  );
});
