// Golden dialogs: testdata/*.dialog, run through testdata/harness.ts.
//
// Format, one item per line:
//   # comment                 ignored
//   ! section.key=value       harness option (ehlo.*, limits.*, reader.*, command.*, bareLinefeedRejection)
//   C: text                   client line, CRLF appended
//   R: text                   raw client bytes with \r \n \0 \xHH \\ escapes, nothing appended
//   S: text                   expected reply line (without CRLF)
//   S: <closed>               the server has hung up
// Consecutive C:/R: lines are sent in one packet (pipelining); the S: lines
// after them must be exactly what the server wrote in response.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestSession, type HarnessOptions } from './testdata/harness.js';

const dir = fileURLToPath(new URL('../../../../src/smtp/protocol/testdata/', import.meta.url));

function unescape(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      bytes.push(...Buffer.from(s[i]!, 'utf8'));
      continue;
    }
    const n = s[++i];
    if (n === 'r') bytes.push(13);
    else if (n === 'n') bytes.push(10);
    else if (n === '0') bytes.push(0);
    else if (n === '\\') bytes.push(92);
    else if (n === 'x') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else throw new Error(`bad escape \\${n}`);
  }
  return Buffer.from(bytes);
}

function parseValue(v: string): unknown {
  if (v === 'true' || v === '') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  if (v.startsWith('[')) return v.slice(1, -1).split(',').filter(Boolean);
  return v;
}

function optionsOf(lines: string[]): HarnessOptions {
  const o: Record<string, unknown> = {};
  for (const l of lines) {
    const [path, value = ''] = l.slice(2).trim().split('=');
    const keys = path!.split('.');
    let target = o;
    for (const k of keys.slice(0, -1)) target = (target[k] ??= {}) as Record<string, unknown>;
    target[keys.at(-1)!] = parseValue(value);
  }
  return o as HarnessOptions;
}

function run(file: string): void {
  const lines = readFileSync(dir + file, 'utf8').split('\n').map((l) => l.replace(/\r$/, ''));
  const session = new TestSession(optionsOf(lines.filter((l) => l.startsWith('! '))));
  let written = session.greet();
  let i = 0;
  const script = lines.filter((l) => /^[CRS]: ?/.test(l));
  while (i < script.length) {
    const packet: Buffer[] = [];
    while (i < script.length && !script[i]!.startsWith('S:')) {
      const l = script[i++]!;
      const text = l.slice(3);
      packet.push(l.startsWith('C:') ? Buffer.from(`${text}\r\n`, 'utf8') : unescape(text));
    }
    if (packet.length) written += session.feed(Buffer.concat(packet));
    const expected: string[] = [];
    while (i < script.length && script[i]!.startsWith('S:')) expected.push(script[i++]!.slice(3));
    const closedExpected = expected.at(-1) === '<closed>';
    const replies = closedExpected ? expected.slice(0, -1) : expected;
    const context = `${file}, before script line ${i + 1}`;
    assert.equal(written, replies.map((r) => `${r}\r\n`).join(''), context);
    assert.equal(session.closed !== undefined, closedExpected, `${context}: closed=${session.closed}`);
    written = '';
  }
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.dialog')).sort()) {
  test(`dialog ${file}`, () => run(file));
}
