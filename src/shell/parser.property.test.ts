// Property tests of the shell's parser (fast-check, fixed seed): any input
// either parses or throws the documented ParseError (isIncomplete never
// throws), within a bounded time; and commands generated with quoted strings,
// numbers, arrays and hashtables as arguments parse to exactly the AST they
// were generated from.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ParseError } from './errors.js';
import { isIncomplete, parseScript } from './parser.js';

const RUNS = { seed: 2026, numRuns: 600 };

const pieces = fc.constantFrom(
  'Get-Item',
  'Set-ReceiveConnector',
  '-Name',
  '-Bindings:',
  '$x',
  '$_',
  '= ',
  '|',
  ';',
  '\n',
  ',',
  ' ',
  "'a''b'",
  '"x $y $(1+2)"',
  '@{',
  '@(',
  '$(',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '[int]',
  'if',
  'else',
  'elseif',
  'foreach',
  'in',
  '-eq',
  '-and',
  '-not',
  '!',
  '+',
  '-',
  '*',
  '..',
  '.Count',
  '::',
  '25MB',
  '0x10',
  '"',
  "'",
  '`',
  '#',
  '<#',
  '#>',
  '%',
  '?',
  '&',
  '2>$null',
  'a,b',
  '@x',
);
const scriptish = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(pieces, { maxLength: 40 }).map((a) => a.join('')),
);

/** The AST without source positions, as plain data. */
function strip(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (k, x) => (k === 'extent' || k === 'nameExtent' || k === 'opExtent' || k === 'source' ? undefined : x)));
}

type Value = { text: string; ast: unknown };
const constant = (value: string | number) => ({ kind: 'constant', value });
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

const quotedString: fc.Arbitrary<Value> = fc
  .string({ unit: 'binary', maxLength: 30 })
  .filter((s) => !/[\u2018\u2019\u201a\u201b]/.test(s))
  .map((s) => ({ text: quote(s), ast: constant(s) }));
const integer: fc.Arbitrary<Value> = fc.integer({ min: 0, max: 1_000_000 }).map((n) => ({ text: String(n), ast: constant(n) }));
const scalar = fc.oneof(quotedString, integer);
const array: fc.Arbitrary<Value> = fc.array(scalar, { minLength: 2, maxLength: 5 }).map((xs) => ({ text: xs.map((x) => x.text).join(','), ast: { kind: 'array', elements: xs.map((x) => x.ast) } }));
const key = fc.string({ unit: fc.constantFrom(...'abcdefghijKLMNOP_'.split('')), minLength: 1, maxLength: 8 });
const hashtable: fc.Arbitrary<Value> = fc.uniqueArray(fc.tuple(key, scalar), { maxLength: 4, selector: ([k]) => k.toLowerCase() }).map((entries) => ({
  text: `@{${entries.map(([k, v]) => `${k}=${v.text}`).join('; ')}}`,
  ast: { kind: 'hashtable', entries: entries.map(([k, v]) => ({ key: constant(k), value: { kind: 'pipeline', elements: [{ kind: 'command-expression', expression: v.ast }] } })) },
}));
const parameterName = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJabcdefghij'.split('')), minLength: 1, maxLength: 12 });
const noun = fc.constantFrom('ReceiveConnector', 'SendConnector', 'TransportService', 'Mailbox', 'AcceptedDomain');
const verb = fc.constantFrom('Get', 'Set', 'New', 'Remove', 'Test');

describe('shell parser: properties', () => {
  it('any input parses or throws a ParseError, and isIncomplete answers', () => {
    fc.assert(
      fc.property(scriptish, (text) => {
        const started = Date.now();
        try {
          parseScript(text);
        } catch (err) {
          assert.ok(err instanceof ParseError, `${(err as Error)?.name}: ${(err as Error)?.message} for ${JSON.stringify(text)}`);
          assert.ok(err.extent.start >= 0 && err.extent.end <= text.length, 'the error points inside the input');
        }
        assert.equal(typeof isIncomplete(text), 'boolean');
        assert.ok(Date.now() - started < 5000, `parsing ${text.length} characters took ${Date.now() - started} ms`);
      }),
      RUNS,
    );
  });

  it('generated commands with strings, numbers, arrays and hashtables parse to the expected AST', () => {
    const argument = fc.oneof(scalar, array, hashtable);
    fc.assert(
      fc.property(verb, noun, fc.array(fc.tuple(parameterName, argument), { maxLength: 5 }), (v, n, params) => {
        const name = `${v}-${n}`;
        const text = `${name} ${params.map(([p, a]) => `-${p} ${a.text}`).join(' ')}`;
        const script = parseScript(text);
        assert.equal(script.statements.length, 1);
        assert.deepEqual(
          strip(script.statements[0]),
          {
            kind: 'pipeline',
            elements: [{ kind: 'command', name, elements: params.flatMap(([p, a]) => [{ kind: 'parameter', name: p, colon: false }, a.ast]) }],
          },
          text,
        );
      }),
      RUNS,
    );
  });
});
