// Property tests of the shell's lexer (fast-check, fixed seed): any input,
// read to its end in expression mode or in argument mode, either yields
// tokens that move forward and stay inside the input, or throws the
// documented ParseError - never another exception, never a loop.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ParseError } from './errors.js';
import { Lexer, type Token } from './lexer.js';

const RUNS = { seed: 1764, numRuns: 1000 };

/** Text made of the shell's own characters, so the interesting paths are reached, plus arbitrary Unicode. */
const shellish = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .array(
      fc.constantFrom(
        '$',
        '@',
        '(',
        ')',
        '{',
        '}',
        '[',
        ']',
        '@{',
        '$(',
        '@(',
        "'",
        '"',
        '`',
        '#',
        '<#',
        '#>',
        '-',
        '--',
        '-eq',
        '-Name',
        ':',
        ';',
        ',',
        '|',
        '&',
        '=',
        '+=',
        '.',
        '..',
        '::',
        '\n',
        '\r\n',
        ' ',
        '\t',
        '25MB',
        '0x1F',
        '1.5e3',
        'Get-Item',
        'abc',
        '$x',
        '$env:PATH',
        '${a b}',
        '"$($y)"',
        "''",
        '""',
        '\u201c',
        '\u2018',
        '2>&1',
        '>',
        '>>',
        '!',
        '*',
        '%',
        '/',
        '\\',
        '\u00a0',
        '\ufeff',
      ),
      { maxLength: 60 },
    )
    .map((a) => a.join('')),
);

function readAll(text: string, mode: 'expression' | 'argument', partial: boolean): Token[] {
  const lexer = new Lexer(text, 0, text.length, partial);
  const tokens: Token[] = [];
  for (let n = 0; n <= text.length + 2; n++) {
    const before = lexer.pos;
    const t = mode === 'expression' ? lexer.nextExpression() : lexer.nextArgument();
    assert.ok(t.start >= 0 && t.end <= text.length && t.start <= t.end, `token ${t.kind} at ${t.start}-${t.end} of ${text.length}`);
    if (t.kind === 'eof') return tokens;
    assert.ok(lexer.pos > before, `the lexer did not move forward at ${before} (${t.kind})`);
    tokens.push(t);
  }
  assert.fail(`more tokens than characters in ${JSON.stringify(text)}`);
}

describe('shell lexer: properties', () => {
  for (const mode of ['expression', 'argument'] as const) {
    it(`in ${mode} mode, any input is tokens or a ParseError`, () => {
      fc.assert(
        fc.property(shellish, fc.boolean(), (text, partial) => {
          try {
            readAll(text, mode, partial);
          } catch (err) {
            if (err instanceof assert.AssertionError) throw err;
            assert.ok(err instanceof ParseError, `${(err as Error)?.name}: ${(err as Error)?.message}`);
            assert.equal(typeof err.errorId, 'string');
          }
        }),
        RUNS,
      );
    });
  }

  it('a single-quoted string with doubled quotes reads back to its text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => !/[\u2018\u2019\u201a\u201b]/.test(s)),
        (s) => {
          const t = new Lexer(`'${s.replace(/'/g, "''")}'`).nextExpression();
          assert.equal(t.kind, 'string');
          assert.equal(t.text, s);
        },
      ),
      RUNS,
    );
  });
});
