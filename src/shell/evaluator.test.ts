// Evaluator tests: comparison semantics (case, conversion, collection filtering),
// logic, arithmetic, string expansion, members, casts, if/foreach.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statementValue } from './evaluator.js';
import { testShell } from './fixtures.js';
import { parseScript } from './parser.js';
import { Hashtable, PSObject } from './values.js';

async function value(text: string, setup?: (vars: { set(n: string, v: unknown): void }) => void): Promise<unknown> {
  const { session } = testShell();
  const rt = session.runtime;
  setup?.(rt.variables);
  const script = parseScript(text);
  rt.source = script.source;
  let v: unknown;
  for (const s of script.statements) v = await statementValue(rt, s);
  return v;
}

describe('evaluator: comparison operators', () => {
  it('compares case-insensitively unless -c', async () => {
    assert.equal(await value('"Internet" -eq "internet"'), true);
    assert.equal(await value('"Internet" -ceq "internet"'), false);
    assert.equal(await value('"abc" -like "A*"'), true);
    assert.equal(await value('"abc" -clike "A*"'), false);
    assert.equal(await value('"abc" -notlike "x*"'), true);
    assert.equal(await value('"To Internet" -match "^to"'), true);
    assert.equal(await value('"To Internet" -cmatch "^to"'), false);
    assert.equal(await value('"x" -ne "X"'), false);
  });
  it('converts the right operand to the left operand type', async () => {
    assert.equal(await value('5 -eq "5"'), true);
    assert.equal(await value('"5" -eq 5'), true);
    assert.equal(await value('10 -gt "9"'), true);
    assert.equal(await value('"10" -gt "9"'), false);
    assert.equal(await value('$true -eq "false"'), true);
    assert.equal(await value('$null -eq $null'), true);
    assert.equal(await value('25MB -ge 26214400'), true);
  });
  it('filters when the left operand is a collection', async () => {
    assert.deepEqual(await value('1,2,3,2 -eq 2'), [2, 2]);
    assert.deepEqual(await value('"a","b","c" -ne "b"'), ['a', 'c']);
    assert.deepEqual(await value('"To Internet","From Internet","x" -like "*internet"'), ['To Internet', 'From Internet']);
    assert.deepEqual(await value('1,5,10 -gt 3'), [5, 10]);
  });
  it('tests membership', async () => {
    assert.equal(await value('"a","b" -contains "B"'), true);
    assert.equal(await value('"a","b" -ccontains "B"'), false);
    assert.equal(await value('"b" -in "a","b"'), true);
    assert.equal(await value('"z" -notin "a","b"'), true);
    assert.equal(await value('"a","b" -notcontains "c"'), true);
  });
  it('sets $Matches', async () => {
    assert.equal(await value('"mbx01.contoso.com" -match "^(?<host>[^.]+)\\."; $Matches.host'), 'mbx01');
    assert.equal(await value('"abc" -match "b(c)"; $Matches[1]'), 'c');
  });
  it('supports -replace, -split, -join and -f', async () => {
    assert.equal(await value('"a.contoso.com" -replace "contoso","fabrikam"'), 'a.fabrikam.com');
    assert.equal(await value("'abc' -replace '(b)', '[$1]'"), 'a[b]c');
    assert.equal(await value('"abc" -replace "(b)", "[$1]"'), 'a[]c');
    assert.deepEqual(await value('"a,b,c" -split ","'), ['a', 'b', 'c']);
    assert.equal(await value('1,2,3 -join "-"'), '1-2-3');
    assert.equal(await value('"{0} has {1,3} items" -f "q", 5'), 'q has   5 items');
  });
});

describe('evaluator: logic and arithmetic', () => {
  it('combines with -and, -or, -not and !', async () => {
    assert.equal(await value('$true -and $false'), false);
    assert.equal(await value('$false -or 1'), true);
    assert.equal(await value('-not $null'), true);
    assert.equal(await value('!""'), true);
    assert.equal(await value('-not 0 -and "x"'), true);
    assert.equal(await value('$true -xor $true'), false);
  });
  it('computes with PowerShell rules', async () => {
    assert.equal(await value('1 + 2 * 3'), 7);
    assert.equal(await value('(1 + 2) * 3'), 9);
    assert.equal(await value('10 / 4'), 2.5);
    assert.equal(await value('7 % 3'), 1);
    assert.equal(await value('"a" + 1'), 'a1');
    assert.equal(await value('1 + "2"'), 3);
    assert.deepEqual(await value('1,2 + 3'), [1, 2, 3]);
    assert.equal(await value('"ab" * 3'), 'ababab');
    assert.deepEqual(await value('1..4'), [1, 2, 3, 4]);
    assert.equal(await value('-5 + 2'), -3);
    assert.equal(await value('10MB / 1MB'), 10);
  });
  it('refuses to divide by zero', async () => {
    await assert.rejects(value('1 / 0'), /Attempted to divide by zero\./);
  });
  it('refuses a string that is not a number', async () => {
    await assert.rejects(value('1 + "abc"'), /Cannot convert value "abc" to type "System.Int32"\. Error: "Input string was not in a correct format\."/);
  });
});

describe('evaluator: strings', () => {
  it('expands variables, braces, sub-expressions and escapes', async () => {
    const setup = (v: { set(n: string, x: unknown): void }): void => {
      v.set('name', 'To Internet');
      v.set('c', new PSObject('X', [['UserName', 'admin']]));
      v.set('list', ['a', 'b']);
    };
    assert.equal(await value('"Name: $name"', setup), 'Name: To Internet');
    assert.equal(await value('"${name}: ok"', setup), 'To Internet: ok');
    assert.equal(await value('"$($c.UserName) / $c.UserName"', setup), 'admin / X.UserName');
    assert.equal(await value('"n=$(1+2) `$x `"q`" t`tab"', setup), 'n=3 $x "q" t\tab');
    assert.equal(await value('"$list"', setup), 'a b');
    assert.equal(await value("'$name is ''quoted'''", setup), "$name is 'quoted'");
    assert.equal(await value('"say ""hi"""'), 'say "hi"');
  });
  it('calls string methods', async () => {
    assert.equal(await value('"Abc".ToUpper()'), 'ABC');
    assert.equal(await value('"a,b".Split(",").Count'), 2);
    assert.equal(await value('"  x ".Trim().Length'), 1);
  });
});

describe('evaluator: variables, members and values', () => {
  it('has case-insensitive variables and the constants', async () => {
    assert.equal(await value('$Foo = 5; $fOO'), 5);
    assert.equal(await value('$TRUE'), true);
    assert.equal(await value('$FormatEnumerationLimit'), 16);
    assert.equal(await value('$ErrorActionPreference'), 'Continue');
  });
  it('builds hashtables with case-insensitive keys', async () => {
    const h = await value('@{Add="a","b"; Remove="c"}');
    assert.ok(h instanceof Hashtable);
    assert.deepEqual(h.get('add'), ['a', 'b']);
    assert.equal(h.get('REMOVE'), 'c');
    assert.equal(await value('$h = @{a=1}; $h.A'), 1);
  });
  it('reads members, counts and indexes', async () => {
    assert.equal(await value('@(1,2,3).Count'), 3);
    assert.equal(await value('(1,2,3)[-1]'), 3);
    assert.equal(await value('$x = 1,2; $x[0]'), 1);
    assert.equal(await value('$null.Name'), null);
    assert.deepEqual(await value('$a = @(@{N=1}, @{N=2}); $a.N'), [1, 2]);
    assert.equal(await value('@().Count'), 0);
    assert.equal(await value('@($null).Count'), 1);
  });
  it('casts', async () => {
    assert.equal(await value('[int]"42"'), 42);
    assert.equal(await value('[int]2.5'), 2);
    assert.equal(await value('[string]5'), '5');
    assert.equal(await value('[bool]"x"'), true);
    assert.equal(await value('"x" -is [string]'), true);
    assert.equal(await value('[Math]::Round(2.567, 2)'), 2.57);
    const o = await value('[pscustomobject]@{Name="a"; N=1}');
    assert.ok(o instanceof PSObject);
    assert.deepEqual(o.names(), ['Name', 'N']);
  });
  it('runs if and foreach', async () => {
    assert.equal(await value('$n = 0; foreach ($i in 1..4) { $n += $i }; $n'), 10);
    assert.equal(await value('$a = 2; if ($a -eq 1) { "one" } elseif ($a -eq 2) { "two" } else { "x" }'), 'two');
  });
  it('reports a method call on $null', async () => {
    await assert.rejects(value('$nothing.Foo()'), /You cannot call a method on a null-valued expression\./);
  });
});
