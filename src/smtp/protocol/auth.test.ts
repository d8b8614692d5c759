import { test } from 'node:test';
import assert from 'node:assert/strict';
import { continueAuth, decodeBase64Text, startAuth, type AuthStep } from './auth.js';
import { Replies } from './reply.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
function reply(step: AuthStep) {
  assert.ok('reply' in step, JSON.stringify(step));
  return step;
}

test('PLAIN with an initial response', () => {
  assert.deepEqual(startAuth('PLAIN', b64('\0julia\0secret')), { credentials: { username: 'julia', password: 'secret' } });
  assert.deepEqual(startAuth('plain', b64('admin\0julia\0pä55')), {
    credentials: { username: 'julia', password: 'pä55', authzid: 'admin' },
  });
});

test('PLAIN after an empty 334 challenge', () => {
  const s = reply(startAuth('PLAIN', undefined));
  assert.equal(s.reply, Replies.authEmptyChallenge);
  assert.deepEqual(continueAuth(s.state, b64('\0u\0p')), { credentials: { username: 'u', password: 'p' } });
});

test('PLAIN malformed payloads fail as 535', () => {
  for (const p of ['u\0p', '\0\0p', '\0u\0', 'a\0b\0c\0d']) {
    assert.deepEqual(startAuth('PLAIN', b64(p)), { error: Replies.authFailed, reason: 'malformed' }, JSON.stringify(p));
  }
  assert.deepEqual(startAuth('PLAIN', '='), { error: Replies.authFailed, reason: 'malformed' });
});

test('LOGIN prompts, and LOGIN with the user name as initial response', () => {
  const u = reply(startAuth('LOGIN', undefined));
  assert.equal(u.reply, Replies.authUsernamePrompt);
  const p = reply(continueAuth(u.state, b64('julia@contoso.com')));
  assert.equal(p.reply, Replies.authPasswordPrompt);
  assert.deepEqual(continueAuth(p.state, b64('pw')), { credentials: { username: 'julia@contoso.com', password: 'pw' } });
  const p2 = reply(startAuth('LOGIN', b64('bob')));
  assert.equal(p2.reply, Replies.authPasswordPrompt);
});

test('"*" cancels at any step', () => {
  const u = reply(startAuth('LOGIN', undefined));
  assert.deepEqual(continueAuth(u.state, '*'), { error: Replies.authCancelled, reason: 'cancelled' });
  const p = reply(continueAuth(u.state, b64('x')));
  assert.deepEqual(continueAuth(p.state, '*'), { error: Replies.authCancelled, reason: 'cancelled' });
  assert.deepEqual(startAuth('PLAIN', '*'), { error: Replies.authCancelled, reason: 'cancelled' });
});

test('bad Base64 and non-UTF-8', () => {
  for (const bad of ['!!!!', 'abc', 'ab=c', 'YQ', '=YQ==', Buffer.from([0xff, 0xfe]).toString('base64')]) {
    assert.deepEqual(startAuth('PLAIN', bad), { error: Replies.authCannotDecode, reason: 'bad-base64' }, bad);
  }
  assert.equal(decodeBase64Text('='), '');
  assert.equal(decodeBase64Text(''), '');
});

test('mechanisms not offered', () => {
  assert.deepEqual(startAuth('CRAM-MD5', undefined), { error: Replies.authUnrecognizedType, reason: 'unknown-mechanism' });
  assert.deepEqual(startAuth('PLAIN', undefined, []), { error: Replies.authUnrecognizedType, reason: 'unknown-mechanism' });
  assert.deepEqual(startAuth('LOGIN', undefined, ['PLAIN']), { error: Replies.authUnrecognizedType, reason: 'unknown-mechanism' });
});
