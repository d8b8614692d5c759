// Parser tests: statements, pipelines, argument mode, expressions and
// precedence, parse errors and incomplete-input detection.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandAst, ExpressionAst, PipelineAst, StatementAst } from './ast.js';
import { ParseError } from './errors.js';
import { isIncomplete, parseScript } from './parser.js';

function strip(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (k, x) => (k === 'extent' || k === 'nameExtent' || k === 'opExtent' ? undefined : x)));
}

function one(text: string): StatementAst {
  const s = parseScript(text).statements;
  assert.equal(s.length, 1);
  return s[0];
}

function command(text: string, index = 0): CommandAst {
  const s = one(text) as PipelineAst;
  const el = s.elements[index];
  assert.equal(el.kind, 'command');
  return el as CommandAst;
}

function expr(text: string): ExpressionAst {
  const s = one(text) as PipelineAst;
  const el = s.elements[0];
  assert.equal(el.kind, 'command-expression');
  return (el as { expression: ExpressionAst }).expression;
}

describe('parser: statements', () => {
  it('splits statements at newlines and semicolons and skips comments', () => {
    const s = parseScript('Get-A; Get-B\n# comment\n<# block\ncomment #>\nGet-C').statements;
    assert.equal(s.length, 3);
  });
  it('parses pipelines', () => {
    const s = one('Get-Queue | Where-Object { $_.MessageCount -gt 100 } | Format-List') as PipelineAst;
    assert.equal(s.elements.length, 3);
  });
  it('joins lines ending with a backtick', () => {
    const c = command('New-SendConnector -Name x `\n  -Usage Internet');
    assert.equal(c.elements.length, 4);
  });
  it('continues after a pipe at the end of a line', () => {
    const s = one('Get-A |\n  Format-List') as PipelineAst;
    assert.equal(s.elements.length, 2);
  });
  it('parses assignments of commands and expressions', () => {
    assert.deepEqual(strip(one('$c = Get-Credential')), {
      kind: 'assignment',
      target: { kind: 'variable', name: 'c' },
      operator: '=',
      value: { kind: 'pipeline', elements: [{ kind: 'command', name: 'Get-Credential', elements: [] }] },
    });
    assert.equal((one('$x += 5') as { operator: string }).operator, '+=');
  });
  it('parses if/elseif/else and foreach', () => {
    const s = one('if ($a -eq 1) { "one" } elseif ($a -eq 2) { "two" } else { "many" }');
    assert.equal(s.kind, 'if');
    assert.equal((s as { clauses: unknown[] }).clauses.length, 2);
    const f = one('foreach ($x in 1,2,3) { $x }');
    assert.equal(f.kind, 'foreach');
    // foreach followed by a block is the ForEach-Object alias
    assert.equal(command('foreach { $_ }').name, 'foreach');
  });
});

describe('parser: commands in argument mode', () => {
  it('reads named, colon and switch parameters', () => {
    const c = command('Set-X -Name "a b" -Confirm:$false -Force -Port:25');
    assert.deepEqual(strip(c.elements), [
      { kind: 'parameter', name: 'Name', colon: false },
      { kind: 'constant', value: 'a b' },
      { kind: 'parameter', name: 'Confirm', colon: true, argument: { kind: 'variable', name: 'false' } },
      { kind: 'parameter', name: 'Force', colon: false },
      { kind: 'parameter', name: 'Port', colon: true, argument: { kind: 'constant', value: 25 } },
    ]);
  });
  it('builds arrays from commas', () => {
    const c = command('Set-X -SmartHosts mbxserver01.contoso.com,mbxserver02.contoso.com -R 10.0.0.1, 10.0.0.2');
    assert.deepEqual(strip(c.elements[1]), {
      kind: 'array',
      elements: [
        { kind: 'constant', value: 'mbxserver01.contoso.com' },
        { kind: 'constant', value: 'mbxserver02.contoso.com' },
      ],
    });
    assert.equal((c.elements[3] as { kind: string }).kind, 'array');
  });
  it('keeps bare words as strings and numbers as numbers', () => {
    const c = command('Write-Output 2+2 25MB 00:05:00 $a+2');
    assert.deepEqual(strip(c.elements.slice(0, 3)), [
      { kind: 'constant', value: '2+2' },
      { kind: 'constant', value: 26214400 },
      { kind: 'constant', value: '00:05:00' },
    ]);
  });
  it('reads parenthesised pipelines, sub-expressions and member access', () => {
    const c = command('Set-X -Password (Get-Credential).Password -V $(1+2) -W $x.UserName');
    assert.equal((c.elements[1] as { kind: string }).kind, 'member');
    assert.equal((c.elements[3] as { kind: string }).kind, 'subexpression');
    assert.deepEqual(strip(c.elements[5]), { kind: 'member', target: { kind: 'variable', name: 'x' }, member: 'UserName', static: false });
  });
  it('reads New-Object with an argument list written directly after the type', () => {
    const c = command("New-Object System.Management.Automation.PSCredential('u', (ConvertTo-SecureString 'p' -AsPlainText -Force))");
    assert.equal(c.elements.length, 2);
    assert.equal((c.elements[1] as { kind: string }).kind, 'paren');
  });
  it('reads hashtables with case-insensitive keys and statement values', () => {
    const c = command('Set-X -RemoteIPRanges @{Add="10.0.0.1","10.0.0.2"; Remove="10.0.0.3"}');
    const h = c.elements[1] as unknown as { kind: string; entries: { key: { value: string } }[] };
    assert.equal(h.kind, 'hashtable');
    assert.deepEqual(
      h.entries.map((e) => e.key.value),
      ['Add', 'Remove'],
    );
  });
  it('reads script blocks and keeps their text', () => {
    const c = command('Where-Object { $_.Name -like "To*" }');
    const b = c.elements[0] as unknown as { kind: string; text: string };
    assert.equal(b.kind, 'scriptblock');
    assert.equal(b.text, ' $_.Name -like "To*" ');
  });
  it('accepts the call operator', () => {
    const c = command("& 'Get-Queue' -Identity x");
    assert.equal(c.name, 'Get-Queue');
  });
});

describe('parser: expressions', () => {
  it('follows PowerShell precedence', () => {
    assert.deepEqual(strip(expr('1 + 2 * 3')), {
      kind: 'binary',
      op: '+',
      left: { kind: 'constant', value: 1 },
      right: { kind: 'binary', op: '*', left: { kind: 'constant', value: 2 }, right: { kind: 'constant', value: 3 } },
    });
    // comma binds tighter than comparison
    assert.equal((expr('"a","b" -contains "a"') as { op: string }).op, '-contains');
    // -not applies to its operand only
    const n = expr('-not $a -eq $b') as { op: string; left: { kind: string } };
    assert.equal(n.op, '-eq');
    assert.equal(n.left.kind, 'unary');
    // -and is lower than comparison
    assert.equal((expr('$a -gt 1 -and $b -lt 2') as { op: string }).op, '-and');
  });
  it('normalizes -i operators and keeps -c ones', () => {
    assert.equal((expr('$a -ieq 1') as { op: string }).op, '-eq');
    assert.equal((expr('$a -CEQ 1') as { op: string }).op, '-ceq');
  });
  it('reads casts, type literals, indexes and method calls', () => {
    assert.equal(expr('[int]"5"').kind, 'cast');
    assert.equal(expr('[Math]::Round(2.5)').kind, 'invoke-member');
    assert.equal(expr('$a[0]').kind, 'index');
    assert.equal(expr('$s.ToUpper()').kind, 'invoke-member');
    assert.equal(expr('@(1,2)').kind, 'array-expression');
    assert.equal(expr('$(Get-Date)').kind, 'subexpression');
  });
});

describe('parser: errors and incomplete input', () => {
  it('detects incomplete input', () => {
    for (const s of ['Get-X "abc', "Get-X 'abc", 'Get-X |', 'Get-X -A 1,', '(Get-X', '@{a=1', 'Get-X `', '1 +', '{ foo', '$x =', 'if ($a) {', '$(', 'Get-X -Name:']) {
      assert.equal(isIncomplete(s), true, s);
    }
    for (const s of ['Get-X', 'Get-X | Sort', '"a"', 'Get-X )', '$x = 1']) assert.equal(isIncomplete(s), false, s);
  });
  it('reports PowerShell parse errors', () => {
    const cases: [string, string, string][] = [
      ['Get-X | "a"', 'ExpressionsMustBeFirstInPipeline', 'Expressions are only allowed as the first element of a pipeline.'],
      ['Get-X )', 'UnexpectedToken', "Unexpected token ')' in expression or statement."],
      ['Get-X | | Get-Y', 'EmptyPipeElement', 'An empty pipe element is not allowed.'],
      ['Get-X "abc', 'TerminatorExpectedAtEndOfString', 'The string is missing the terminator: ".'],
      ['$x -eq Internet', 'UnexpectedToken', "Unexpected token 'Internet' in expression or statement."],
      ['Get-X -A 1,,2', 'MissingArgument', 'Missing argument in parameter list.'],
      ['Get-X & y', 'AmpersandNotAllowed', 'The ampersand (&) character is not allowed. The & operator is reserved for future use; wrap an ampersand in double quotation marks ("&") to pass it as part of a string.'],
    ];
    for (const [text, id, message] of cases) {
      assert.throws(
        () => parseScript(text),
        (e: unknown) => e instanceof ParseError && e.errorId === id && e.message === message,
        text,
      );
    }
  });
  it('ignores a trailing backtick at the end of a whole script', () => {
    assert.equal(parseScript('Get-X `').statements.length, 1);
  });
});

describe('parser: script statements', () => {
  it('parses loops with their parts and labels', () => {
    const w = one('while ($i -lt 3) { $i++ }');
    assert.equal(w.kind, 'while');
    const d = one('do { $i-- } until ($i -le 0)');
    assert.ok(d.kind === 'do' && d.until === true);
    const f = one('for ($i = 0; $i -lt 5; $i++) { $i }');
    assert.ok(f.kind === 'for' && f.init?.kind === 'assignment' && f.condition !== undefined && f.iterator !== undefined);
    const empty = one('for (;;) { break }');
    assert.ok(empty.kind === 'for' && empty.init === undefined && empty.condition === undefined);
    const l = one(':outer foreach ($a in 1..3) { continue outer }');
    assert.ok(l.kind === 'foreach' && l.label === 'outer');
    const flow = l.kind === 'foreach' ? l.body[0] : undefined;
    assert.ok(flow?.kind === 'flow' && flow.keyword === 'continue' && flow.label === 'outer');
  });
  it('parses switch with options, patterns, script block conditions and default', () => {
    const s = one('switch -Wildcard -CaseSensitive ($x) { "mbx*" { 1 } { $_ -gt 2 } { 2 } default { 3 } }');
    assert.ok(s.kind === 'switch');
    assert.equal(s.mode, 'wildcard');
    assert.equal(s.caseSensitive, true);
    assert.equal(s.clauses.length, 3);
    assert.equal(s.clauses[1].pattern?.kind, 'scriptblock');
    assert.equal(s.clauses[2].pattern, undefined);
    assert.throws(() => parseScript('switch -Fuzzy ($x) { }'), /Unrecognized switch parameter '-Fuzzy'/i);
  });
  it('parses functions with param blocks, attributes, defaults and named blocks', () => {
    const f = one(
      'function Get-X {\n  [CmdletBinding()]\n  param(\n    [Parameter(Mandatory=$true, Position=0, ValueFromPipeline)][string]$Name,\n    [ValidateSet("a","b")][string[]]$Mode = "a",\n    [switch]$Force\n  )\n  begin { 1 }\n  process { $Name }\n  end { 2 }\n}',
    );
    assert.ok(f.kind === 'function');
    assert.equal(f.name, 'Get-X');
    assert.equal(f.advanced, true);
    assert.deepEqual(
      f.parameters.map((p) => [p.name, p.typeName]),
      [
        ['Name', 'string'],
        ['Mode', 'string[]'],
        ['Force', 'switch'],
      ],
    );
    assert.deepEqual(
      f.parameters[0].attributes[0].named.map((n) => n.name),
      ['Mandatory', 'Position', 'ValueFromPipeline'],
    );
    assert.equal(f.parameters[1].defaultValue?.kind, 'constant');
    assert.ok(f.begin && f.process && f.end);
    const simple = one('function Add($a, [int]$b = 2) { return $a + $b }');
    assert.ok(simple.kind === 'function' && simple.advanced === false && simple.end?.[0].kind === 'flow');
    const filter = one('filter Double { $_ * 2 }');
    assert.ok(filter.kind === 'function' && filter.filter && filter.process?.length === 1);
  });
  it('parses try/catch/finally with types, throw, trap and flow keywords', () => {
    const t = one('try { Get-A }\ncatch [System.IO.IOException], [System.ArgumentException] { "io" }\ncatch { throw }\nfinally { "f" }');
    assert.ok(t.kind === 'try');
    assert.deepEqual(
      t.catches.map((c) => c.types),
      [['System.IO.IOException', 'System.ArgumentException'], []],
    );
    assert.ok(t.finallyBody?.length === 1);
    const th = t.catches[1].body[0];
    assert.ok(th.kind === 'flow' && th.keyword === 'throw' && th.value === undefined);
    const tr = one('trap [System.DivideByZeroException] { continue }');
    assert.ok(tr.kind === 'trap' && tr.typeName === 'System.DivideByZeroException');
    const r = one('return $x | Sort-Object');
    assert.ok(r.kind === 'flow' && r.value?.kind === 'pipeline');
    assert.throws(() => parseScript('try { 1 }; "x"'), /missing its Catch or Finally block/);
    assert.equal(isIncomplete('try { 1 }'), true);
    assert.equal(isIncomplete('do { 1 }'), true);
  });
  it('lets a statement follow a closing block on the same line', () => {
    assert.equal(parseScript('foreach ($i in 1,2) { $i } "none"').statements.length, 2);
    assert.throws(() => parseScript('"a" "b"'), /Unexpected token/);
  });
  it('parses ++, --, %= and casts as assignment targets', () => {
    const post = expr('$i++');
    assert.ok(post.kind === 'increment' && post.prefix === false && post.op === '++');
    const pre = expr('--$h.Count');
    assert.ok(pre.kind === 'increment' && pre.prefix === true && pre.operand.kind === 'member');
    const a = one('$x %= 3');
    assert.ok(a.kind === 'assignment' && a.operator === '%=');
    assert.throws(() => parseScript('++5'), /works only on variables or on properties/);
  });
  it('parses redirections on commands and expressions', () => {
    const c = command('Get-Queue > .\\q.txt 2>&1');
    assert.deepEqual(
      c.redirections?.map((r) => [r.from, r.append, r.merge]),
      [
        ['1', false, false],
        ['2', false, true],
      ],
    );
    const e = (one('"line" >> log.txt') as PipelineAst).elements[0];
    assert.ok(e.kind === 'command-expression' && e.redirections?.[0].append === true);
    const err = command('Get-X 2> $null');
    assert.equal(err.redirections?.[0].from, '2');
    assert.equal(err.redirections?.[0].target?.kind, 'variable');
    assert.throws(() => parseScript('Get-X <in.txt'), /'<' operator is reserved/);
    assert.throws(
      () => parseScript('Get-X >'),
      (e: unknown) => e instanceof ParseError && /Missing file specification/.test(e.message),
    );
  });
});
