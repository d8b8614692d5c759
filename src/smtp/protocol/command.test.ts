import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand, type ParseResult } from './command.js';
import { decodeXtext } from './esmtp-params.js';
import { Replies, type SmtpReply } from './reply.js';

const err = (r: ParseResult): SmtpReply | undefined => ('error' in r ? r.error : undefined);

test('verbs are case-insensitive; trailing blanks ignored', () => {
  assert.deepEqual(parseCommand('ehlo client.example.com'), { verb: 'EHLO', domain: 'client.example.com' });
  assert.deepEqual(parseCommand('Helo [192.0.2.1]'), { verb: 'HELO', domain: '[192.0.2.1]' });
  assert.deepEqual(parseCommand('data  '), { verb: 'DATA' });
  assert.deepEqual(parseCommand('QUIT'), { verb: 'QUIT' });
  assert.deepEqual(parseCommand('rset'), { verb: 'RSET' });
  assert.deepEqual(parseCommand('NOOP anything'), { verb: 'NOOP' });
  assert.deepEqual(parseCommand('starttls'), { verb: 'STARTTLS' });
  assert.deepEqual(parseCommand('HELP'), { verb: 'HELP', topic: '' });
  assert.deepEqual(parseCommand('VRFY bob'), { verb: 'VRFY', argument: 'bob' });
});

test('EHLO argument rules', () => {
  assert.deepEqual(parseCommand('EHLO'), { verb: 'EHLO', domain: '' });
  assert.equal(err(parseCommand('EHLO', { requireEhloDomain: true })), Replies.ehloRequiresDomain);
  assert.equal(err(parseCommand('HELO', { requireEhloDomain: true })), Replies.heloRequiresDomain);
  assert.deepEqual(parseCommand('EHLO [IPv6:2001:db8::1]'), { verb: 'EHLO', domain: '[IPv6:2001:db8::1]' });
  assert.deepEqual(parseCommand('EHLO WIN_PC01'), { verb: 'EHLO', domain: 'WIN_PC01' });
  for (const bad of ['EHLO a b', 'EHLO [1.2.3]', 'EHLO -a.com', 'EHLO a..b', 'EHLO hôte.fr', 'EHLO a\0b']) {
    assert.equal(err(parseCommand(bad)), Replies.invalidDomainName, bad);
  }
});

test('unknown and unimplemented verbs', () => {
  assert.equal(err(parseCommand('XYZZY')), Replies.unrecognizedCommand);
  assert.equal(err(parseCommand('')), Replies.unrecognizedCommand);
  assert.equal(err(parseCommand(' NOOP')), Replies.unrecognizedCommand);
  assert.equal(err(parseCommand('EXPN staff')), Replies.notImplemented);
  assert.equal(err(parseCommand('DATA now')), Replies.invalidArguments);
  assert.equal(err(parseCommand('VRFY')), Replies.invalidArguments);
});

test('MAIL FROM: paths', () => {
  assert.deepEqual(parseCommand('MAIL FROM:<a@b.com>'), {
    verb: 'MAIL',
    reversePath: { local: 'a', domain: 'b.com', address: 'a@b.com', utf8: false },
    params: { smtpUtf8: false },
  });
  const nul = parseCommand('mail from:<>');
  assert.ok('verb' in nul && nul.verb === 'MAIL' && nul.reversePath === null);
  const spaced = parseCommand('MAIL FROM: <a@b.com>');
  assert.ok('verb' in spaced && spaced.verb === 'MAIL' && spaced.reversePath?.address === 'a@b.com');
  const routed = parseCommand('MAIL FROM:<@hosta.int,@jkl.org:userc@d.bar.org>');
  assert.ok('verb' in routed && routed.verb === 'MAIL' && routed.reversePath?.address === 'userc@d.bar.org');
  const quoted = parseCommand('MAIL FROM:<"john doe>"@contoso.com>');
  assert.ok('verb' in quoted && quoted.verb === 'MAIL' && quoted.reversePath?.local === '"john doe>"');
  const literal = parseCommand('MAIL FROM:<a@[IPv6:2001:db8::1]>');
  assert.ok('verb' in literal && literal.verb === 'MAIL' && literal.reversePath?.domain === '[IPv6:2001:db8::1]');
  assert.equal(err(parseCommand('MAIL <a@b.com>')), Replies.invalidArguments);
  assert.equal(err(parseCommand('MAIL FROM:a@b.com')), Replies.invalidSenderAddress);
  assert.equal(err(parseCommand('MAIL FROM:')), Replies.invalidSenderAddress);
});

test('RCPT TO: paths; <Postmaster> without domain; no null path', () => {
  const r = parseCommand('RCPT TO:<Julia@Contoso.com>');
  assert.ok('verb' in r && r.verb === 'RCPT' && r.forwardPath.address === 'Julia@Contoso.com');
  const pm = parseCommand('RCPT TO:<Postmaster>');
  assert.ok('verb' in pm && pm.verb === 'RCPT' && pm.forwardPath.address === 'Postmaster' && pm.forwardPath.domain === '');
  assert.equal(err(parseCommand('RCPT TO:<>')), Replies.invalidRecipientAddress);
  assert.equal(err(parseCommand('RCPT TO:<bob>')), Replies.invalidRecipientAddress);
  assert.equal(err(parseCommand('RCPT <a@b>')), Replies.invalidArguments);
});

test('address length limits (RFC 5321 §4.5.3.1)', () => {
  const ok64 = `${'a'.repeat(64)}@b.com`;
  assert.ok('verb' in parseCommand(`RCPT TO:<${ok64}>`));
  assert.equal(err(parseCommand(`RCPT TO:<${'a'.repeat(65)}@b.com>`)), Replies.invalidRecipientAddress);
  const label = 'x'.repeat(63);
  const domain255 = [label, label, label, 'y'.repeat(63)].join('.');
  assert.equal(domain255.length, 255);
  // 255-octet domain fits the domain limit but the path is over 256
  assert.equal(err(parseCommand(`RCPT TO:<a@${domain255}>`)), Replies.invalidRecipientAddress);
  assert.equal(err(parseCommand(`RCPT TO:<a@${domain255}z>`)), Replies.invalidRecipientAddress);
  const fits = [label, label, label, 'y'.repeat(60)].join('.');
  assert.ok('verb' in parseCommand(`RCPT TO:<a@${fits}>`)); // exactly 256 octets with < and >
  assert.equal(err(parseCommand(`RCPT TO:<ab@${fits}>`)), Replies.invalidRecipientAddress); // 257
});

test('UTF-8 addresses need SMTPUTF8 on MAIL', () => {
  assert.equal(err(parseCommand('MAIL FROM:<jöran@example.com>')), Replies.invalidSenderAddress);
  const ok = parseCommand('MAIL FROM:<jöran@bücher.de> SMTPUTF8');
  assert.ok('verb' in ok && ok.verb === 'MAIL' && ok.reversePath?.utf8 === true && ok.params.smtpUtf8);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> SMTPUTF8', { smtpUtf8: false })), Replies.unrecognizedParameter);
  // RCPT parses; the session checks it against the transaction's SMTPUTF8
  const r = parseCommand('RCPT TO:<jöran@example.com>');
  assert.ok('verb' in r && r.verb === 'RCPT' && r.forwardPath.utf8);
  // undecodable input never passes
  assert.equal(err(parseCommand('MAIL FROM:<a\ufffd@b.com> SMTPUTF8')), Replies.invalidSenderAddress);
});

test('MAIL parameters', () => {
  const r = parseCommand('MAIL FROM:<a@b.com> size=1000 BODY=8bitmime RET=HDRS ENVID=QQ+2B314 AUTH=a+2Bb@c.com');
  assert.ok('verb' in r && r.verb === 'MAIL');
  assert.deepEqual(r.params, { smtpUtf8: false, size: 1000, body: '8BITMIME', ret: 'HDRS', envid: 'QQ+314', auth: 'a+b@c.com' });
  const a = parseCommand('MAIL FROM:<a@b.com> AUTH=<>');
  assert.ok('verb' in a && a.verb === 'MAIL' && a.params.auth === null);
  const big = parseCommand('MAIL FROM:<a@b.com> SIZE=99999999999999999999');
  assert.ok('verb' in big && big.verb === 'MAIL' && big.params.size === Number.MAX_SAFE_INTEGER);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> BODY=BINARYMIME', { binaryMime: false })), Replies.unsupportedBodyType);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> BODY=QUOTED')), Replies.unsupportedBodyType);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> BODY')), Replies.invalidArguments);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> SIZE=12k')), Replies.invalidArguments);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> SIZE=-1')), Replies.invalidArguments);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> SIZE=1 SIZE=2')), Replies.invalidArguments);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> XFOO=1')), Replies.unrecognizedParameter);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> RET=ALL')), Replies.invalidArguments);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> RET=FULL', { dsn: false })), Replies.unrecognizedParameter);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> SIZE=1', { size: false })), Replies.unrecognizedParameter);
  assert.equal(err(parseCommand(`MAIL FROM:<a@b.com> ENVID=${'x'.repeat(101)}`)), Replies.invalidArguments);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com>SIZE=1')), Replies.invalidSenderAddress);
});

test('MAIL REQUIRETLS (RFC 8689): only inside TLS, no value, once', () => {
  const r = parseCommand('MAIL FROM:<a@b.com> requiretls SIZE=10', { requireTls: true });
  assert.ok('verb' in r && r.verb === 'MAIL');
  assert.deepEqual(r.params, { smtpUtf8: false, size: 10, requireTls: true });
  const plain = parseCommand('MAIL FROM:<a@b.com>', { requireTls: true });
  assert.ok('verb' in plain && plain.verb === 'MAIL' && plain.params.requireTls === undefined);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> REQUIRETLS', { requireTls: false })), Replies.requireTlsNeedsTls);
  assert.match(Replies.requireTlsNeedsTls.lines.join(' '), /REQUIRETLS needs a TLS session/);
  assert.equal(Replies.requireTlsNeedsTls.code, 530);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> REQUIRETLS=YES', { requireTls: true })), Replies.invalidArguments);
  assert.equal(err(parseCommand('MAIL FROM:<a@b.com> REQUIRETLS REQUIRETLS', { requireTls: true })), Replies.invalidArguments);
});

test('RCPT parameters: NOTIFY and ORCPT', () => {
  const r = parseCommand('RCPT TO:<a@b.com> NOTIFY=success,FAILURE ORCPT=rfc822;a+2Bx@b.com');
  assert.ok('verb' in r && r.verb === 'RCPT');
  assert.deepEqual(r.params, { notify: ['SUCCESS', 'FAILURE'], orcpt: { addrType: 'rfc822', address: 'a+x@b.com' } });
  const n = parseCommand('RCPT TO:<a@b.com> NOTIFY=NEVER');
  assert.ok('verb' in n && n.verb === 'RCPT' && n.params.notify?.[0] === 'NEVER');
  for (const bad of ['NOTIFY=NEVER,SUCCESS', 'NOTIFY=', 'NOTIFY=DELAY,DELAY', 'NOTIFY=SOMETIMES', 'ORCPT=a@b.com', 'ORCPT=rfc822;a+ZZb', 'ORCPT=rfc822;a+4', 'ORCPT=rfc822;']) {
    assert.equal(err(parseCommand(`RCPT TO:<a@b.com> ${bad}`)), Replies.invalidArguments, bad);
  }
  assert.equal(err(parseCommand('RCPT TO:<a@b.com> SIZE=1')), Replies.unrecognizedParameter);
});

test('xtext', () => {
  assert.equal(decodeXtext('a+2Bb+3Dc'), 'a+b=c');
  assert.equal(decodeXtext('a=b'), null);
  assert.equal(decodeXtext('a b'), null);
  assert.equal(decodeXtext('+2'), null);
  assert.equal(decodeXtext('é'), null);
});

test('BDAT', () => {
  assert.deepEqual(parseCommand('BDAT 1000'), { verb: 'BDAT', size: 1000, last: false });
  assert.deepEqual(parseCommand('bdat 0 last'), { verb: 'BDAT', size: 0, last: true });
  for (const bad of ['BDAT', 'BDAT -1', 'BDAT 1e3', 'BDAT x', 'BDAT 1 FIRST', 'BDAT 1 LAST x', 'BDAT 9999999999999999', 'BDAT +5']) {
    assert.equal(err(parseCommand(bad)), Replies.invalidArguments, bad);
  }
});

test('AUTH', () => {
  assert.deepEqual(parseCommand('auth login'), { verb: 'AUTH', mechanism: 'LOGIN' });
  assert.deepEqual(parseCommand('AUTH PLAIN AGEAYg=='), { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: 'AGEAYg==' });
  assert.equal(err(parseCommand('AUTH')), Replies.invalidArguments);
  assert.equal(err(parseCommand('AUTH PLAIN a b')), Replies.invalidArguments);
});

test('HTTP request lines', () => {
  for (const line of ['GET / HTTP/1.1', 'POST /x HTTP/1.0', 'CONNECT mail:25 HTTP/1.1', 'HEAD / HTTP/1.1', 'PUT /a', 'OPTIONS * HTTP/1.1', 'PROPFIND /x HTTP/1.1', 'Host: example.com', 'user-agent: curl/8']) {
    assert.deepEqual(parseCommand(line), { http: true }, line);
  }
  assert.equal(err(parseCommand('HELP me')), undefined);
});

test('long runs of blanks are handled in linear time', () => {
  const started = process.hrtime.bigint();
  const r = parseCommand(`NOOP${' '.repeat(200_000)}x`);
  assert.deepEqual(r, { verb: 'NOOP' });
  assert.ok(process.hrtime.bigint() - started < 500_000_000n);
});
