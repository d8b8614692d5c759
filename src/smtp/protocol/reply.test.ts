import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Replies, bracketedIp, enhancedReply, formatReply, reply } from './reply.js';

const on = { enhancedStatusCodes: true };
const off = { enhancedStatusCodes: false };

test('single line with and without the enhanced code', () => {
  assert.equal(formatReply(Replies.senderOk, on), '250 2.1.0 Sender OK\r\n');
  assert.equal(formatReply(Replies.senderOk, off), '250 Sender OK\r\n');
  assert.equal(formatReply(Replies.startMailInput, on), '354 Start mail input; end with <CRLF>.<CRLF>\r\n');
});

test('multi-line layout: code- on all lines but the last, enhanced code on every line', () => {
  const r = enhancedReply(250, '2.0.0', 'one', 'two', 'three');
  assert.equal(formatReply(r, on), '250-2.0.0 one\r\n250-2.0.0 two\r\n250 2.0.0 three\r\n');
  assert.equal(formatReply(Replies.help, on), '214-This server supports the following commands:\r\n214 HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH BDAT\r\n');
});

test('text is ASCII only: CR, LF, NUL and 8-bit become "?" (no reply injection)', () => {
  assert.equal(formatReply(reply(250, 'a\r\n250 b\0é'), off), '250 a??250 b??\r\n');
});

test('empty text and empty line list', () => {
  assert.equal(formatReply(Replies.authEmptyChallenge, on), '334 \r\n');
  assert.equal(formatReply({ code: 250, lines: [] }, on), '250 \r\n');
});

test('limits: 50 lines, 2000 octets per line including CRLF', () => {
  const many = reply(250, ...Array.from({ length: 60 }, (_, i) => `l${i}`));
  const out = formatReply(many, off).split('\r\n').filter(Boolean);
  assert.equal(out.length, 50);
  assert.equal(out[49], '250 l49');
  const long = formatReply(reply(250, 'x'.repeat(5000)), off);
  assert.equal(long.length, 2000);
});

test('invalid codes are a programming error', () => {
  assert.throws(() => formatReply({ code: 99, lines: ['x'] }, on), RangeError);
});

test('catalogue texts with parameters', () => {
  assert.equal(formatReply(Replies.queued('<a@b>', 42, 'edge01.contoso.net'), on), '250 2.6.0 <a@b> [InternalId=42, Hostname=edge01.contoso.net] Queued mail for delivery\r\n');
  assert.equal(formatReply(Replies.chunkReceived(1000), on), '250 2.6.0 CHUNK received OK, 1000 octets\r\n');
  assert.equal(Replies.ehloFirstLine('mx.contoso.com', '192.0.2.1'), 'mx.contoso.com Hello [192.0.2.1]');
  assert.equal(Replies.ehloFirstLine('mx', '::ffff:192.0.2.1'), 'mx Hello [192.0.2.1]');
  assert.equal(bracketedIp('2001:db8::1'), '[2001:db8::1]');
  assert.equal(formatReply(Replies.tooManyErrors, on), '421 4.7.0 Too many errors on this connection, closing transmission channel\r\n');
  assert.equal(formatReply(Replies.bareLinefeed, on), '554 5.6.0 Invalid message content, contains bare linefeeds\r\n');
  assert.equal(formatReply(Replies.unableToRelay, on), '550 5.7.1 Unable to relay\r\n');
  assert.equal(formatReply(Replies.serviceClosing, on), '221 2.0.0 Service closing transmission channel\r\n');
});

test('catalogue entries are frozen', () => {
  assert.ok(Object.isFrozen(Replies.ok));
  assert.ok(Object.isFrozen(Replies.ok.lines));
});
