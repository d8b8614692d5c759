import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand, type SmtpCommand } from './command.js';
import { Replies } from './reply.js';
import { countsAsProtocolError, SessionState } from './session-state.js';

function cmd(line: string): SmtpCommand {
  const r = parseCommand(line);
  assert.ok('verb' in r, line);
  return r;
}

test('hello first', () => {
  const s = new SessionState();
  for (const l of ['MAIL FROM:<a@b.com>', 'RCPT TO:<a@b.com>', 'DATA', 'BDAT 1', 'AUTH LOGIN', 'STARTTLS']) {
    assert.equal(s.check(cmd(l)), Replies.sendHelloFirst, l);
  }
  for (const l of ['NOOP', 'RSET', 'QUIT', 'HELP', 'VRFY x', 'EHLO a', 'HELO a']) assert.equal(s.check(cmd(l)), null, l);
});

test('transaction order', () => {
  const s = new SessionState();
  s.onEhlo();
  assert.equal(s.check(cmd('RCPT TO:<a@b.com>')), Replies.needMail);
  assert.equal(s.check(cmd('DATA')), Replies.needMail);
  const mail = cmd('MAIL FROM:<a@b.com>');
  assert.equal(s.check(mail), null);
  s.onMailAccepted(mail.verb === 'MAIL' ? mail.params : { smtpUtf8: false });
  assert.equal(s.check(mail), Replies.senderAlreadySpecified);
  assert.equal(s.check(cmd('DATA')), Replies.needRcpt);
  assert.equal(s.check(cmd('BDAT 10')), Replies.needRcpt);
  s.onRcptAccepted();
  assert.equal(s.check(cmd('DATA')), null);
  s.onDataStarted();
  assert.equal(s.check(cmd('BDAT 10')), Replies.badSequence);
  assert.equal(s.check(cmd('RCPT TO:<x@b.com>')), Replies.badSequence);
  s.onTransactionEnd();
  assert.equal(s.check(cmd('DATA')), Replies.needMail);
});

test('BDAT then DATA is refused; BINARYMIME needs BDAT', () => {
  const s = new SessionState();
  s.onEhlo();
  s.onMailAccepted({ smtpUtf8: false, body: 'BINARYMIME' });
  s.onRcptAccepted();
  assert.equal(s.check(cmd('DATA')), Replies.badSequence);
  assert.equal(s.check(cmd('BDAT 5')), null);
  s.onBdatChunk(5);
  assert.equal(s.check(cmd('DATA')), Replies.badSequence);
  assert.equal(s.bdatOctets, 5);
});

test('limits: recipients, declared size, BDAT total', () => {
  const s = new SessionState({ maxRecipientsPerMessage: 2, maxMessageSize: 100 });
  s.onEhlo();
  assert.equal(s.check(cmd('MAIL FROM:<> SIZE=101')), Replies.messageTooBig);
  assert.equal(s.check(cmd('MAIL FROM:<> SIZE=100')), null);
  s.onMailAccepted({ smtpUtf8: false });
  s.onRcptAccepted();
  s.onRcptAccepted();
  assert.equal(s.check(cmd('RCPT TO:<c@b.com>')), Replies.tooManyRecipients);
  assert.equal(s.check(cmd('BDAT 60')), null);
  s.onBdatChunk(60);
  assert.equal(s.check(cmd('BDAT 41 LAST')), Replies.messageTooBig);
  assert.ok(s.exceedsMessageSize(101));
  assert.ok(!s.exceedsMessageSize(100));
});

test('UTF-8 recipient needs SMTPUTF8 on the transaction', () => {
  const s = new SessionState();
  s.onEhlo();
  s.onMailAccepted({ smtpUtf8: false });
  assert.equal(s.check(cmd('RCPT TO:<jöran@example.com>')), Replies.invalidRecipientAddress);
  s.onReset();
  s.onMailAccepted({ smtpUtf8: true });
  assert.equal(s.check(cmd('RCPT TO:<jöran@example.com>')), null);
});

test('STARTTLS: once, not in a transaction, forgets the greeting', () => {
  const s = new SessionState();
  s.onEhlo();
  s.onMailAccepted({ smtpUtf8: false });
  assert.equal(s.check(cmd('STARTTLS')), Replies.badSequence);
  s.onReset();
  assert.equal(s.check(cmd('STARTTLS')), null);
  s.onTlsStarted();
  assert.equal(s.greeting, 'none');
  assert.equal(s.mailAccepted, false);
  assert.equal(s.check(cmd('MAIL FROM:<a@b.com>')), Replies.sendHelloFirst);
  s.onEhlo();
  assert.equal(s.check(cmd('STARTTLS')), Replies.tlsAlreadyActive);
  assert.equal(new SessionState({ startTls: false }).check(cmd('STARTTLS')), Replies.unrecognizedCommand);
});

test('AUTH: after EHLO, once, not in a transaction', () => {
  const s = new SessionState();
  s.onHelo();
  assert.equal(s.check(cmd('AUTH LOGIN')), Replies.badSequence);
  s.onEhlo();
  assert.equal(s.check(cmd('AUTH LOGIN')), null);
  s.onMailAccepted({ smtpUtf8: false });
  assert.equal(s.check(cmd('AUTH LOGIN')), Replies.badSequence);
  s.onReset();
  s.onAuthenticated();
  assert.equal(s.check(cmd('AUTH LOGIN')), Replies.authAlreadySpecified);
});

test('EHLO ends a transaction', () => {
  const s = new SessionState();
  s.onEhlo();
  s.onMailAccepted({ smtpUtf8: false });
  s.onRcptAccepted();
  s.onEhlo();
  assert.equal(s.mailAccepted, false);
  assert.equal(s.recipients, 0);
});

test('chunking disabled: BDAT is unknown', () => {
  const s = new SessionState({ chunking: false });
  s.onEhlo();
  assert.equal(s.check(cmd('BDAT 1')), Replies.unrecognizedCommand);
});

test('protocol error count', () => {
  const s = new SessionState({ maxProtocolErrors: 3 });
  assert.deepEqual([s.countProtocolError(), s.countProtocolError(), s.countProtocolError()], [false, false, true]);
  const u = new SessionState({ maxProtocolErrors: 'unlimited' });
  for (let i = 0; i < 100; i++) assert.equal(u.countProtocolError(), false);
  const d = new SessionState();
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => d.countProtocolError()),
    [false, false, false, false, true],
  );
});

test('which replies count as protocol errors', () => {
  assert.ok(countsAsProtocolError(Replies.badSequence));
  assert.ok(countsAsProtocolError(Replies.unrecognizedCommand));
  assert.ok(countsAsProtocolError(Replies.invalidRecipientAddress));
  assert.ok(!countsAsProtocolError(Replies.tooManyRecipients));
  assert.ok(!countsAsProtocolError(Replies.authFailed));
  assert.ok(!countsAsProtocolError(Replies.unableToRelay));
});
