// Deterministic fuzzing of the pure parsers: seeded pseudo-random
// SMTP-flavoured lines through the command parser and SASL. Nothing may throw
// but their documented results. Whole sessions are fuzzed against the running
// service (test/session-fuzz.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { continueAuth, startAuth } from './auth.js';
import { seededRandom } from '../../../test/harness/seeded-random.js';
import { parseCommand } from './command.js';

const TOKENS = [
  'EHLO x\r\n',
  'HELO y\r\n',
  'MAIL FROM:<a@b.com>\r\n',
  'MAIL FROM:<> SIZE=10 BODY=BINARYMIME\r\n',
  'RCPT TO:<c@d.com> NOTIFY=SUCCESS\r\n',
  'DATA\r\n',
  'BDAT 5\r\n',
  'BDAT 3 LAST\r\n',
  'BDAT 0 LAST\r\n',
  'RSET\r\n',
  'NOOP\r\n',
  'STARTTLS\r\n',
  'AUTH LOGIN\r\n',
  'AUTH PLAIN\r\n',
  'AUTH PLAIN AHUAc2VjcmV0\r\n',
  'dXNlcg==\r\n',
  '*\r\n',
  '.\r\n',
  '\r\n.\r\n',
  '\n.\n',
  '\r.\r',
  '..',
  '.',
  '\r',
  '\n',
  '\r\n',
  '\0',
  '\xff',
  'GET / HTTP/1.1\r\n',
  'QUIT\r\n',
  'VRFY a\r\n',
  'x'.repeat(600),
  '<',
  '>',
  '@',
  ' ',
  '=',
  '+',
];

function input(rand: () => number): Buffer {
  const parts: Buffer[] = [];
  const n = 1 + Math.floor(rand() * 40);
  for (let i = 0; i < n; i++) {
    if (rand() < 0.7) parts.push(Buffer.from(TOKENS[Math.floor(rand() * TOKENS.length)]!, 'latin1'));
    else parts.push(Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 20) }, () => Math.floor(rand() * 256))));
  }
  return Buffer.concat(parts);
}

test('fuzz: parser and SASL on random strings never throw', () => {
  const rand = seededRandom(42);
  for (let i = 0; i < 2000; i++) {
    const line = input(rand)
      .toString(rand() < 0.5 ? 'latin1' : 'utf8')
      .replace(/[\r\n]/g, '');
    const r = parseCommand(line);
    assert.ok('verb' in r || 'error' in r || 'http' in r);
    const a = startAuth(rand() < 0.5 ? 'PLAIN' : 'LOGIN', rand() < 0.5 ? line : undefined);
    if ('state' in a) continueAuth(a.state, line);
  }
});
