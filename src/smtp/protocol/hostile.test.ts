// Hostile input against the pure parts of the engine (command parser, input
// framing, SASL, reply formatting): NUL and 8-bit bytes, malformed addresses
// and parameters, bad BDAT sizes, bad AUTH. Every case must end in a defined
// reply or event, never an exception. What a whole session does with hostile
// input is tested against the running service (test/hostile-input.test.ts,
// test/hostile-connectors.test.ts, test/dialogs/).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAuth, continueAuth } from './auth.js';
import { parseCommand, type ParseResult } from './command.js';
import { SmtpInputReader, type InputEvent } from './reader.js';
import { Replies, formatReply, type SmtpReply } from './reply.js';

const err = (r: ParseResult): SmtpReply | undefined => ('error' in r ? r.error : undefined);

function drain(r: SmtpInputReader): InputEvent[] {
  const out: InputEvent[] = [];
  for (let e = r.next(); e; e = r.next()) out.push(e);
  return out;
}

interface Case {
  readonly name: string;
  readonly run: () => void;
}

const cases: Case[] = [
  {
    name: 'NUL in a command verb',
    run: () => assert.equal(err(parseCommand('NO\0OP')), Replies.unrecognizedCommand),
  },
  {
    name: 'NUL in an address',
    run: () => assert.equal(err(parseCommand('MAIL FROM:<a\0b@c.com>')), Replies.invalidSenderAddress),
  },
  {
    name: 'NUL in a parameter value',
    run: () => assert.equal(err(parseCommand('MAIL FROM:<a@c.com> ENVID=a\0b')), Replies.invalidArguments),
  },
  ...(
    [
      ['unbalanced <', 'MAIL FROM:<a@b.com'],
      ['unbalanced >', 'MAIL FROM:a@b.com>'],
      ['space in local part', 'MAIL FROM:<a b@c.com>'],
      ['two @', 'MAIL FROM:<a@b@c.com>'],
      ['65-octet local part', `MAIL FROM:<${'l'.repeat(65)}@c.com>`],
      ['256-octet domain', `MAIL FROM:<a@${'d'.repeat(60)}.${'d'.repeat(60)}.${'d'.repeat(60)}.${'d'.repeat(60)}.${'d'.repeat(11)}>`],
      ['control character in domain', 'MAIL FROM:<a@b\x01c.com>'],
      ['tab in address', 'MAIL FROM:<a\t@c.com>'],
      ['unterminated quoted local part', 'MAIL FROM:<"abc@d.com>'],
      ['bad IPv6 literal', 'MAIL FROM:<a@[IPv6:zz::1]>'],
      ['bad source route', 'MAIL FROM:<@-bad:u@d.com>'],
      ['leading dot', 'MAIL FROM:<.a@d.com>'],
      ['double dot', 'MAIL FROM:<a..b@d.com>'],
      ['8-bit local part without SMTPUTF8', 'MAIL FROM:<jörg@d.com>'],
      ['undecodable 8-bit bytes (latin1 sent as is)', Buffer.from('MAIL FROM:<j\xf6rg@d.com> SMTPUTF8', 'latin1').toString('utf8')],
    ] as const
  ).map<Case>(([name, line]) => ({
    name: `malformed address: ${name}`,
    run: () => assert.equal(err(parseCommand(line)), Replies.invalidSenderAddress, line),
  })),
  ...(
    [
      ['C1 control U+0085 (NEL) in the local part', 'RCPT TO:<a\u0085b@contoso.com>'],
      ['C1 control U+008D in the domain', 'RCPT TO:<a@con\u008dtoso.com>'],
      ['line separator U+2028', 'RCPT TO:<a\u2028b@contoso.com>'],
      ['paragraph separator U+2029', 'RCPT TO:<a@contoso.com\u2029>'],
      ['DEL', 'RCPT TO:<a\u007fb@contoso.com>'],
      ['CR smuggled as U+010D U+010A is fine as UTF-8 but must never become CR LF', 'RCPT TO:<\u010d\u010a\u0085@contoso.com>'],
    ] as const
  ).map<Case>(([name, line]) => ({
    name: `control character in an address in any encoding: ${name}`,
    run: () => assert.equal(err(parseCommand(`${line} `.trimEnd(), { smtpUtf8: true })), Replies.invalidRecipientAddress, line),
  })),
  {
    name: 'UTF-8 addresses without control characters stay valid (SMTPUTF8)',
    run: () => {
      const r = parseCommand('RCPT TO:<\u010d\u010a@contoso.com>', { smtpUtf8: true });
      assert.ok('verb' in r && r.verb === 'RCPT' && r.forwardPath.address === '\u010d\u010a@contoso.com');
    },
  },
  {
    name: 'xtext escapes that decode to control characters (ORCPT, ENVID)',
    run: () => {
      for (const line of ['RCPT TO:<a@contoso.com> ORCPT=rfc822;a+0D+0AX-Injected:+20y@b.com', 'RCPT TO:<a@contoso.com> ORCPT=rfc822;a+00b@c.com', 'RCPT TO:<a@contoso.com> ORCPT=rfc822;a+85b@c.com', 'MAIL FROM:<a@b.com> ENVID=x+0Ay']) {
        assert.equal(err(parseCommand(line)), Replies.invalidArguments, line);
      }
      assert.ok('verb' in parseCommand('RCPT TO:<a@contoso.com> ORCPT=rfc822;a+2Bb@c.com'), 'an escaped "+" is still fine');
    },
  },
  {
    name: 'EHLO names with control characters in any encoding',
    run: () => {
      for (const name of ['a\u0085b.example', 'a\u2028.example', 'a\x01.example', 'mx.example\u0000']) {
        assert.equal(err(parseCommand(`EHLO ${name}`)), Replies.invalidDomainName, JSON.stringify(name));
      }
    },
  },
  {
    name: '8-bit bytes in a verb',
    run: () => assert.equal(err(parseCommand('MÄIL FROM:<a@b.com>')), Replies.unrecognizedCommand),
  },
  ...['BDAT -1', 'BDAT 99999999999999999999', 'BDAT 12abc', 'BDAT 0x10', 'BDAT 1.5', 'BDAT  1'].map<Case>((line) => ({
    name: `bad BDAT size: ${line}`,
    run: () => assert.equal(err(parseCommand(line)), Replies.invalidArguments),
  })),
  {
    name: 'BDAT chunk larger than what has arrived: content is streamed, not buffered',
    run: () => {
      const r = new SmtpInputReader();
      r.expectBdat(1_000_000);
      for (let i = 0; i < 10; i++) {
        r.push(Buffer.alloc(65536, 1));
        drain(r);
        assert.equal(r.bufferedBytes(), 0);
      }
    },
  },
  {
    name: 'AUTH PLAIN with bad Base64 initial response',
    run: () => assert.deepEqual(startAuth('PLAIN', 'AGE$AGI='), { error: Replies.authCannotDecode, reason: 'bad-base64' }),
  },
  {
    name: 'AUTH LOGIN with bad Base64 user name',
    run: () => {
      const s = startAuth('LOGIN', undefined);
      assert.ok('state' in s);
      assert.deepEqual(continueAuth(s.state, '%%%'), { error: Replies.authCannotDecode, reason: 'bad-base64' });
    },
  },
  {
    name: 'SIZE not numeric',
    run: () => assert.equal(err(parseCommand('MAIL FROM:<a@b.com> SIZE=ten')), Replies.invalidArguments),
  },
  {
    name: 'duplicate parameters',
    run: () => {
      assert.equal(err(parseCommand('MAIL FROM:<a@b.com> BODY=7BIT body=8BITMIME')), Replies.invalidArguments);
      assert.equal(err(parseCommand('RCPT TO:<a@b.com> NOTIFY=NEVER NOTIFY=NEVER')), Replies.invalidArguments);
    },
  },
  {
    name: 'NOTIFY=NEVER,SUCCESS',
    run: () => assert.equal(err(parseCommand('RCPT TO:<a@b.com> NOTIFY=NEVER,SUCCESS')), Replies.invalidArguments),
  },
  {
    name: 'ORCPT with bad xtext',
    run: () => {
      for (const v of ['rfc822;a+zzb@c.com', 'rfc822;a+', 'rfc822;a=b', ';a@b.com']) {
        assert.equal(err(parseCommand(`RCPT TO:<a@b.com> ORCPT=${v}`)), Replies.invalidArguments, v);
      }
    },
  },
  {
    name: 'empty and blank lines are unknown commands',
    run: () => {
      assert.equal(err(parseCommand('')), Replies.unrecognizedCommand);
      assert.equal(err(parseCommand('   ')), Replies.unrecognizedCommand);
    },
  },
  {
    name: 'reply text cannot inject lines',
    run: () => {
      const out = formatReply(Replies.queued('<a\r\n250 x>', 1, 'h'), { enhancedStatusCodes: true });
      assert.equal(out.split('\r\n').length, 2);
    },
  },
];

for (const c of cases) test(`hostile: ${c.name}`, c.run);

test('the catalogue has at least 30 cases', () => {
  assert.ok(cases.length >= 25, String(cases.length));
});
