// Lexer tests: argument-mode and expression-mode tokens, numbers with
// multipliers, strings, comments, continuation and incomplete input.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Lexer, parseNumber, type Token } from './lexer.js';

function args(text: string): Token[] {
  const lx = new Lexer(text);
  const out: Token[] = [];
  for (let i = 0; i < 100; i++) {
    const t = lx.nextArgument();
    out.push(t);
    if (t.kind === 'eof') break;
  }
  return out;
}

function exprs(text: string): Token[] {
  const lx = new Lexer(text);
  const out: Token[] = [];
  for (let i = 0; i < 100; i++) {
    const t = lx.nextExpression();
    out.push(t);
    if (t.kind === 'eof') break;
  }
  return out;
}

describe('lexer: numbers', () => {
  it('reads multipliers, hex and decimals', () => {
    assert.equal(parseNumber('25MB'), 25 * 1024 * 1024);
    assert.equal(parseNumber('10KB'), 10240);
    assert.equal(parseNumber('1gb'), 1024 ** 3);
    assert.equal(parseNumber('0x10'), 16);
    assert.equal(parseNumber('1.5'), 1.5);
    assert.equal(parseNumber('-3'), -3);
    assert.equal(parseNumber('1e3'), 1000);
  });
  it('refuses what only starts with digits', () => {
    for (const s of ['10.1.1.1', '10.1.1.1:25', '2.00:00:00', '00:05:00', '25MBx', '1.2.3']) assert.equal(parseNumber(s), undefined, s);
  });
});

describe('lexer: argument mode', () => {
  it('keeps bare words as strings and numbers as numbers', () => {
    const t = args('* *.contoso.com 10.1.1.1:25 25MB 0x10 C:\\path\\file.eml 2.00:00:00 -5');
    assert.deepEqual(
      t.map((x) => [x.kind, x.kind === 'number' ? x.number : x.text]),
      [
        ['generic', '*'],
        ['generic', '*.contoso.com'],
        ['generic', '10.1.1.1:25'],
        ['number', 26214400],
        ['number', 16],
        ['generic', 'C:\\path\\file.eml'],
        ['generic', '2.00:00:00'],
        ['number', -5],
        ['eof', ''],
      ],
    );
  });
  it('reads parameters with and without colon', () => {
    const t = args('-Name x -Confirm:$false -ea:Stop');
    assert.deepEqual(
      t.filter((x) => x.kind === 'parameter').map((x) => [x.text, x.colon]),
      [
        ['Name', false],
        ['Confirm', true],
        ['ea', true],
      ],
    );
  });
  it('splits at commas and reads quotes', () => {
    const t = args(`a,b 'it''s' "x"`);
    assert.deepEqual(
      t.map((x) => x.kind),
      ['generic', 'comma', 'generic', 'string', 'expandable', 'eof'],
    );
    assert.equal(t[3].text, "it's");
  });
  it('treats # inside a word as literal and at a word start as a comment', () => {
    const t = args('a#b # comment');
    assert.deepEqual(
      t.map((x) => x.text),
      ['a#b', ''],
    );
  });
  it('continues a line after a trailing backtick', () => {
    const t = args('a `\n b');
    assert.deepEqual(
      t.map((x) => x.text),
      ['a', 'b', ''],
    );
  });
  it('accepts smart quotes', () => {
    const t = args('\u201chello\u201d \u2018x\u2019');
    assert.equal(t[0].kind, 'expandable');
    assert.equal(t[1].text, 'x');
  });
});

describe('lexer: expression mode', () => {
  it('reads operators case-insensitively', () => {
    const t = exprs('$a -EQ 1 -and $b -cne "x" -not $c');
    assert.deepEqual(
      t.filter((x) => x.kind === 'operator').map((x) => x.text),
      ['-eq', '-and', '-cne', '-not'],
    );
  });
  it('reads ranges, members and punctuation', () => {
    const t = exprs('1..5');
    assert.deepEqual(
      t.map((x) => x.kind),
      ['number', 'operator', 'number', 'eof'],
    );
  });
  it('reads variables with braces and scopes', () => {
    const t = exprs('${my var} $global:x $env:PATH $_ $?');
    assert.deepEqual(
      t.filter((x) => x.kind === 'variable').map((x) => x.text),
      ['my var', 'global:x', 'env:PATH', '_', '?'],
    );
  });
  it('splits double-quoted strings into parts', () => {
    const [t] = exprs('"a $x ${y}b $(1+2) `$z `t"');
    assert.equal(t.kind, 'expandable');
    assert.deepEqual(
      t.parts?.map((p) => p.kind),
      ['text', 'variable', 'text', 'variable', 'text', 'sub', 'text'],
    );
    const last = t.parts?.[6];
    assert.ok(last && last.kind === 'text' && last.text === ' $z \t');
  });
  it('reads here-strings', () => {
    const [t] = exprs("@'\nline1\n'line2'\n'@");
    assert.equal(t.kind, 'string');
    assert.equal(t.text, "line1\n'line2'");
  });
  it('flags an unterminated string as incomplete', () => {
    assert.throws(
      () => exprs('"abc'),
      (e: Error & { incomplete?: boolean; errorId?: string }) => e.incomplete === true && e.errorId === 'TerminatorExpectedAtEndOfString',
    );
    assert.throws(
      () => exprs("'abc"),
      (e: Error & { incomplete?: boolean }) => e.incomplete === true,
    );
    assert.throws(
      () => exprs('<# open'),
      (e: Error & { incomplete?: boolean }) => e.incomplete === true,
    );
  });
});
