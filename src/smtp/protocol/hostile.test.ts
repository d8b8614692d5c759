// Hostile input against the pure engine: smuggling, NUL and 8-bit bytes,
// oversized and malformed input, HTTP, pipelining after STARTTLS, bad BDAT,
// bad AUTH, bad ESMTP parameters. Every case must end in a defined reply or
// event, never an exception, and memory must stay bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAuth, continueAuth } from './auth.js';
import { parseCommand, type ParseResult } from './command.js';
import { SmtpInputReader, type InputEvent } from './reader.js';
import { Replies, formatReply, type SmtpReply } from './reply.js';
import { TestSession } from './testdata/harness.js';

const err = (r: ParseResult): SmtpReply | undefined => ('error' in r ? r.error : undefined);

function drain(r: SmtpInputReader): InputEvent[] {
  const out: InputEvent[] = [];
  for (let e = r.next(); e; e = r.next()) out.push(e);
  return out;
}

/** A session that has reached the 354 reply. */
function inData(options = {}): TestSession {
  const s = new TestSession(options);
  s.greet();
  const out = s.feed('EHLO x\r\nMAIL FROM:<a@fabrikam.com>\r\nRCPT TO:<b@contoso.com>\r\nDATA\r\n');
  assert.match(out, /354 Start mail input/);
  return s;
}

interface Case {
  readonly name: string;
  readonly run: () => void;
}

const smuggling = ['\n.\n', '\r.\r\n', '\r\n.\n', '\n.\r\n', '\r.\r', '\n.\r'].map<Case>((seq) => ({
  name: `smuggling ${JSON.stringify(seq)} inside DATA neither ends DATA nor runs the command after it`,
  run: () => {
    const s = inData();
    assert.equal(s.feed(`Subject: x\r\n\r\nbody${seq}MAIL FROM:<admin@contoso.com>\r\nRSET\r\n`), '');
    assert.equal(s.reader.currentMode(), 'data');
    assert.equal(s.feed('.\r\n'), formatReply(Replies.bareLinefeed, { enhancedStatusCodes: true }));
    assert.equal(s.state.mailAccepted, false);
  },
}));

const cases: Case[] = [
  ...smuggling,
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
  {
    name: 'NUL bytes in DATA are content, the message still ends at CRLF.CRLF',
    run: () => {
      const s = inData();
      assert.match(s.feed(Buffer.from('a\0b\0\r\n.\r\n', 'latin1')), /^250 2\.6\.0 /);
    },
  },
  {
    name: '1 MB command line: one 500 5.5.2, bounded buffer, then the session goes on',
    run: () => {
      const s = new TestSession();
      s.greet();
      let out = '';
      let max = 0;
      for (let i = 0; i < 16; i++) {
        out += s.feed(Buffer.alloc(65536, 0x61));
        max = Math.max(max, s.reader.bufferedBytes());
      }
      out += s.feed('\r\nNOOP\r\n');
      assert.ok(max <= 512, `buffered ${max}`);
      assert.equal(out, '500 5.5.2 Command too long\r\n250 2.0.0 OK\r\n');
    },
  },
  {
    name: '10,000 pipelined RCPT lines: 200 accepted, the rest 452 4.5.3, bounded buffer',
    run: () => {
      const s = new TestSession();
      s.greet();
      s.feed('EHLO x\r\nMAIL FROM:<a@fabrikam.com>\r\n');
      const burst = Buffer.from(Array.from({ length: 10000 }, (_, i) => `RCPT TO:<u${i}@contoso.com>\r\n`).join(''));
      let out = '';
      for (let i = 0; i < burst.length; i += 65536) {
        out += s.feed(burst.subarray(i, i + 65536));
        assert.ok(s.reader.bufferedBytes() <= 512);
      }
      const lines = out.split('\r\n').filter(Boolean);
      assert.equal(lines.length, 10000);
      assert.equal(lines.filter((l) => l === '250 2.1.5 Recipient OK').length, 200);
      assert.equal(lines.filter((l) => l === '452 4.5.3 Too many recipients').length, 9800);
      assert.equal(s.closed, undefined, '452 is not a protocol error');
    },
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
  {
    name: '8-bit bytes in a verb',
    run: () => assert.equal(err(parseCommand('MÄIL FROM:<a@b.com>')), Replies.unrecognizedCommand),
  },
  {
    name: 'HTTP request lines hang up without a reply',
    run: () => {
      for (const l of ['GET / HTTP/1.1', 'CONNECT smtp:25 HTTP/1.1', 'Host: a', 'User-Agent: x']) {
        const s = new TestSession();
        s.greet();
        assert.equal(s.feed(`${l}\r\nQUIT\r\n`), '');
        assert.equal(s.closed, 'http');
      }
    },
  },
  {
    name: 'STARTTLS with pipelined commands: they are dropped, not run under TLS',
    run: () => {
      const s = new TestSession();
      s.greet();
      s.feed('EHLO x\r\n');
      const out = s.feed('STARTTLS\r\nEHLO x\r\nMAIL FROM:<a@b.com>\r\nRCPT TO:<c@contoso.com>\r\n');
      assert.equal(out, '220 2.0.0 SMTP server ready\r\n');
      assert.equal(s.reader.bufferedBytes(), 0);
      assert.equal(s.state.greeting, 'none');
    },
  },
  ...['BDAT -1', 'BDAT 99999999999999999999', 'BDAT 12abc', 'BDAT 0x10', 'BDAT 1.5', 'BDAT  1'].map<Case>((line) => ({
    name: `bad BDAT size: ${line}`,
    run: () => assert.equal(err(parseCommand(line)), Replies.invalidArguments),
  })),
  {
    name: 'huge but well-formed BDAT over MaxMessageSize: 552 before reading the chunk',
    run: () => {
      const s = new TestSession();
      s.greet();
      s.feed('EHLO x\r\nMAIL FROM:<a@b.com>\r\nRCPT TO:<c@contoso.com>\r\n');
      assert.equal(s.feed('BDAT 999999999999999\r\n'), '552 5.3.4 Message size exceeds fixed maximum message size\r\n');
    },
  },
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
    name: 'AUTH response over 12288 octets ends the exchange with 500 5.5.2',
    run: () => {
      const s = new TestSession();
      s.greet();
      s.feed('EHLO x\r\n');
      assert.equal(s.feed('AUTH LOGIN\r\n'), '334 VXNlcm5hbWU6\r\n');
      assert.equal(s.feed(`${'QUFB'.repeat(4000)}\r\nNOOP\r\n`), '500 5.5.2 Command too long\r\n250 2.0.0 OK\r\n');
    },
  },
  {
    name: 'MAIL FROM:<> with SIZE over the limit: 552 5.3.4 and hang up',
    run: () => {
      const s = new TestSession({ limits: { maxMessageSize: 65536 } });
      s.greet();
      s.feed('EHLO x\r\n');
      assert.equal(s.feed('MAIL FROM:<> SIZE=65537\r\n'), '552 5.3.4 Message size exceeds fixed maximum message size\r\n');
      assert.equal(s.closed, 'message too big');
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
    name: 'a flood of unknown commands closes after MaxProtocolErrors',
    run: () => {
      const s = new TestSession();
      s.greet();
      const out = s.feed('A\r\nB\r\nC\r\nD\r\nE\r\nF\r\nG\r\n');
      assert.equal(out.split('\r\n').filter(Boolean).length, 6);
      assert.match(out, /421 4\.7\.0 Too many errors/);
      assert.equal(s.closed, 'too many errors');
    },
  },
  {
    name: 'early talker: bytes are buffered before the greeting and can be detected',
    run: () => {
      const s = new TestSession();
      s.reader.push(Buffer.from('EHLO x\r\n'));
      assert.equal(s.reader.bufferedBytes(), 8);
    },
  },
  {
    name: 'reply text cannot inject lines',
    run: () => {
      const out = formatReply(Replies.queued('<a\r\n250 x>', 1, 'h'), { enhancedStatusCodes: true });
      assert.equal(out.split('\r\n').length, 2);
    },
  },
  {
    name: 'bare-LF command lines are accepted and counted',
    run: () => {
      const s = new TestSession();
      s.greet();
      assert.equal(s.feed('NOOP\nNOOP\n'), '250 2.0.0 OK\r\n250 2.0.0 OK\r\n');
      assert.equal(s.reader.bareLfLines(), 2);
    },
  },
];

for (const c of cases) test(`hostile: ${c.name}`, c.run);

test('the catalogue has at least 30 cases', () => {
  assert.ok(cases.length >= 30, String(cases.length));
});
