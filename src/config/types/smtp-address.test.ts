import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpAddress } from './smtp-address.js';
import { ValueError } from './value-error.js';

test('dot-atom and quoted local parts', () => {
  const a = SmtpAddress.parse('postmaster@contoso.com');
  assert.equal(a.local, 'postmaster');
  assert.equal(a.domain, 'contoso.com');
  assert.equal(a.toString(), 'postmaster@contoso.com');
  assert.equal(SmtpAddress.parse('Julia@Marketing.Contoso.com').toString(), 'Julia@Marketing.Contoso.com');
  assert.equal(SmtpAddress.parse("o'brien+tag@contoso.com").local, "o'brien+tag");
  assert.equal(SmtpAddress.parse('first.last@contoso.com').local, 'first.last');
  const q = SmtpAddress.parse('"john doe"@contoso.com');
  assert.equal(q.local, '"john doe"');
  assert.equal(SmtpAddress.parse('"a@b"@contoso.com').domain, 'contoso.com');
  assert.equal(SmtpAddress.parse('"a\\"b"@contoso.com').local, '"a\\"b"');
  assert.equal(SmtpAddress.parse('admin@[192.168.1.1]').domain, '[192.168.1.1]');
  assert.equal(SmtpAddress.parse('admin@[IPv6:2001:db8::1]').domain, '[IPv6:2001:db8::1]');
  assert.equal(SmtpAddress.parse('postmaster@edge01').domain, 'edge01');
});

test('refuses invalid addresses with a reason', () => {
  assert.throws(() => SmtpAddress.parse('postmaster'), {
    name: 'ValueError',
    message: '"postmaster" is not a valid SMTP address. The "@" is missing. Example: postmaster@contoso.com.',
  });
  assert.throws(() => SmtpAddress.parse('@contoso.com'), /The part before "@" is empty\./);
  assert.throws(() => SmtpAddress.parse('postmaster@'), /The domain after "@" is empty\./);
  assert.throws(() => SmtpAddress.parse('.a@contoso.com'), /separated by single dots, or a quoted string/);
  assert.throws(() => SmtpAddress.parse('a..b@contoso.com'), /separated by single dots/);
  assert.throws(() => SmtpAddress.parse('a b@contoso.com'), /separated by single dots/);
  assert.throws(() => SmtpAddress.parse('a@contoso..com'), /The domain is not valid: The name has an empty label/);
  assert.throws(() => SmtpAddress.parse('a@[192.168.1.300]'), /address literal/);
  assert.throws(() => SmtpAddress.parse('a@[2001:db8::1]'), /address literal/);
  assert.throws(() => SmtpAddress.parse('jörg@contoso.com'), /Only printable ASCII characters are allowed\./);
  assert.throws(() => SmtpAddress.parse(`${'a'.repeat(65)}@contoso.com`), /longer than 64 characters/);
  assert.throws(() => SmtpAddress.parse(`${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`), /longer than 254 characters/);
  for (const bad of [null, 42, '', '<a@b.com>']) assert.throws(() => SmtpAddress.parse(bad), ValueError, String(bad));
});

test('case-insensitive equality and toJSON round-trip', () => {
  const a = SmtpAddress.parse('Postmaster@Contoso.com');
  assert.ok(a.equals(SmtpAddress.parse('postmaster@contoso.com')));
  assert.ok(!a.equals(SmtpAddress.parse('admin@contoso.com')));
  const back = SmtpAddress.parse(JSON.parse(JSON.stringify(a)));
  assert.ok(back.equals(a));
  assert.equal(back.toString(), 'Postmaster@Contoso.com');
  assert.equal(SmtpAddress.parse(a), a);
});
