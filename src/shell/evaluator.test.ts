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

async function script(text: string): Promise<{ out: string; err: string; session: ReturnType<typeof testShell>['session'] }> {
  const t = testShell();
  await t.session.runScript(text, '/scripts/t.ps1');
  return { out: t.host.out, err: t.host.err, session: t.session };
}

describe('evaluator: script language', () => {
  it('runs loops with break, continue and labels', async () => {
    assert.equal((await script('$i = 0; while ($true) { $i++; if ($i -eq 2) { continue }; if ($i -gt 3) { break }; "w$i" }')).out, 'w1\nw3\n');
    assert.equal((await script('$i = 3; do { "d$i"; $i-- } while ($i -gt 0)')).out, 'd3\nd2\nd1\n');
    assert.equal((await script('$i = 0; do { $i++ } until ($i -ge 5); $i')).out, '5\n');
    assert.equal((await script('for ($i = 0; $i -lt 3; $i++) { $i }')).out, '0\n1\n2\n');
    assert.equal((await script(':o foreach ($a in 1..3) { foreach ($b in 1..3) { if ($b -eq 2) { continue o }; if ($a -eq 3) { break o }; "$a$b" } }')).out, '11\n21\n');
  });
  it('runs switch: all matching clauses, default, -Wildcard, -Regex with $Matches, break and continue', async () => {
    assert.equal((await script('switch (3) { 3 { "three" } { $_ -gt 2 } { "big" } default { "d" } }')).out, 'three\nbig\n');
    assert.equal((await script('switch ("x") { "y" { 1 } default { "none" } }')).out, 'none\n');
    assert.equal((await script('switch -Wildcard ("mbx01","edge01","dc1") { "mbx*" { "m $_" } "edge*" { "e $_"; continue } "*01" { "01 $_" } default { "other $_" } }')).out, 'm mbx01\n01 mbx01\ne edge01\nother dc1\n');
    assert.equal((await script('switch -Regex ("queue=42") { "=(\\d+)$" { $Matches[1] } }')).out, '42\n');
    assert.equal((await script('switch (1,2,3) { 2 { "two"; break } default { "d$_" } }')).out, 'd1\ntwo\n');
  });
  it('calls functions with typed, default, switch and positional parameters, and return', async () => {
    assert.equal((await script('function Add([int]$a, [int]$b = 2) { return $a + $b }\nAdd "3"\nAdd -b 10 -a 1')).out, '5\n11\n');
    assert.equal((await script('function F { param([switch]$Force, [string]$Name) "$Name $Force" }\nF -Name x -Force\nF y')).out, 'x True\ny False\n');
    assert.equal((await script('function Out-Many { "a"; "b"; return "c"; "d" }\n(Out-Many) -join ","')).out, 'a,b,c\n');
    assert.equal((await script('function First($items) { foreach ($i in $items) { if ($i -gt 2) { return $i } }; "none" }\nFirst 1,5,7\nFirst 1')).out, '5\nnone\n');
    assert.equal((await script('function Extra { $args.Count }\nExtra a b c')).out, '3\n');
    const bad = await script('function N([int]$n) { $n }\nN abc');
    assert.match(bad.err, /^N : Cannot process argument transformation on parameter 'n'\. Cannot convert value "abc" to type "System\.Int32"/);
    assert.match(bad.err, /FullyQualifiedErrorId : ParameterArgumentTransformationError,N/);
  });
  it('gives functions their own scope; $script: reaches the script scope', async () => {
    assert.equal((await script('$x = 1; function Set-X { $x = 2; $script:y = 3 }\nSet-X; "$x $y"')).out, '1 3\n');
  });
  it('binds pipeline input to process blocks, filters and $input', async () => {
    assert.equal((await script('function Sq { param([Parameter(ValueFromPipeline=$true)][int]$n) process { $n * $n } }\n1..3 | Sq')).out, '1\n4\n9\n');
    assert.equal((await script('filter Double { $_ * 2 }\n1,2 | Double')).out, '2\n4\n');
    assert.equal((await script('function Sum { $t = 0; foreach ($x in $input) { $t += $x }; $t }\n1..4 | Sum')).out, '10\n');
    assert.equal((await script('function B { begin { "b" } process { "p$_" } end { "e" } }\n1,2 | B')).out, 'b\np1\np2\ne\n');
  });
  it('validates ValidateSet and mandatory parameters', async () => {
    const r = await script('function M { param([ValidateSet("Fast","Slow")]$Mode) $Mode }\nM slow\nM Medium');
    assert.equal(r.out, 'slow\n');
    assert.match(r.err, /The argument "Medium" does not belong to the set "Fast,Slow" specified by the ValidateSet attribute/);
    const m = await script('function Need { param([Parameter(Mandatory=$true)]$Name) $Name }\nNeed');
    assert.match(m.err, /missing mandatory parameters: Name\./);
  });
  it('catches terminating errors with try/catch/finally and keeps earlier output', async () => {
    assert.equal((await script('try { "before"; 1/0; "x" } catch { "caught: $($_.Exception.Message)" } finally { "fin" }')).out, 'before\ncaught: Attempted to divide by zero.\nfin\n');
    assert.equal((await script('try { throw "boom" } catch [System.IO.IOException] { "io" } catch [System.Management.Automation.RuntimeException] { "rt $_" }')).out, 'rt boom\n');
    assert.equal((await script('try { try { throw "inner" } finally { "f1" } } catch { "outer $_" }')).out, 'f1\nouter inner\n');
    assert.equal((await script('try { try { 1/0 } catch { throw } } catch { "rethrown: $($_.Exception.Message)" }')).out, 'rethrown: Attempted to divide by zero.\n');
    assert.equal((await script('try { 1/0 } catch [System.IO.IOException] { "io" } catch [DivideByZeroException] { "divide" }')).out, 'divide\n');
  });
  it('treats cmdlet errors as non-terminating unless -ErrorAction Stop or $ErrorActionPreference', async () => {
    const r = await script('try { Get-ReceiveConnector nope } catch { "caught" }\n"next"');
    assert.equal(r.out, 'next\n');
    assert.match(r.err, /couldn't be found/);
    assert.equal((await script('try { Get-ReceiveConnector nope -ErrorAction Stop; "x" } catch { "caught: $($_.CategoryInfo.Reason)" }')).out, 'caught: ManagementObjectNotFoundException\n');
    assert.equal((await script('$ErrorActionPreference = "Stop"\ntry { Get-ReceiveConnector nope; "x" } catch { "caught" }')).out, 'caught\n');
    const quiet = await script('Get-ReceiveConnector nope -ea 0\n"ok $?"\n$Error.Count\n$Error[0].Exception.Message\nGet-ReceiveConnector nope -ErrorAction 4\n$Error.Count');
    assert.equal(quiet.err, '');
    assert.equal(quiet.out, "ok False\n1\nThe operation couldn't be performed because object 'nope' couldn't be found on 'edge01.contoso.com'.\n1\n");
  });
  it('sets $? after a caught error by what the catch block did', async () => {
    assert.equal((await script('try { throw "x" } catch { "c" }\n$?\ntry { 1/0 } catch { Get-ReceiveConnector nope -ea 0 }\n$?\n$Error.Count')).out, 'c\nTrue\nFalse\n3\n');
  });
  it('keeps $Error newest first with records and Clear()', async () => {
    const r = await script(
      '1/0\n[int]"x"\n$Error.Count\n$Error[0].FullyQualifiedErrorId\n$Error[1].CategoryInfo.Category\n"$($Error[1].CategoryInfo)"\n$Error[0].InvocationInfo.ScriptLineNumber\n$Error[0].Exception.GetType().FullName\n$Error.Clear()\n$Error.Count',
    );
    assert.equal(r.out, '2\nInvalidCastFromStringToInteger\nNotSpecified\nNotSpecified: (:) [], RuntimeException\n2\nSystem.Management.Automation.RuntimeException\n0\n');
  });
  it('stops the script at an uncaught throw and shows it with its position', async () => {
    const r = await script('"a"\nthrow "Queue check failed"\n"b"');
    assert.equal(r.out, 'a\n');
    assert.equal(
      r.err,
      'Queue check failed\nAt /scripts/t.ps1:2 char:1\n+ throw "Queue check failed"\n+ ~~~~~~~~~~~~~~~~~~~~~~~~~~\n    + CategoryInfo          : OperationStopped: (Queue check failed:String) [], RuntimeException\n    + FullyQualifiedErrorId : Queue check failed\n \n',
    );
    const s = await script('function F { 1/0; "after" }\nF\n"next"');
    assert.equal(s.out, 'after\nnext\n');
  });
  it('runs traps: continue hides the error, the default shows it and goes on', async () => {
    assert.equal((await script('trap { "trapped: $_"; continue }\n1/0\n"after"')).out, 'trapped: Attempted to divide by zero.\nafter\n');
    const shown = await script('trap { "t" }\n1/0\n"after"');
    assert.equal(shown.out, 't\nafter\n');
    assert.match(shown.err, /Attempted to divide by zero\./);
  });
  it('writes Write-Error records naming the function and its call site', async () => {
    const r = await script('function Check { Write-Error "queue too long" }\nCheck');
    assert.equal(
      r.err,
      'Check : queue too long\nAt /scripts/t.ps1:2 char:1\n+ Check\n+ ~~~~~\n    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException\n    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException,Check\n \n',
    );
  });
  it('evaluates ++, --, compound assignment and here-strings', async () => {
    assert.equal((await script('$i = 10; $j = $i++; $k = ++$i; "$i $j $k"; $i--; $i')).out, '12 10 12\n11\n');
    assert.equal((await script('$x = 5; $x += 3; $x -= 1; $x *= 2; $x /= 7; $x %= 3; $x')).out, '2\n');
    assert.equal((await script('$a = @(); $a += 1; $a += 2; $a.Count; $h = @{n=1}; $h.n++; $h.n')).out, '2\n2\n');
    assert.equal((await script('$name = "EDGE01"\n@"\nServer: $name\nQueues: $(1 + 2)\n"@\n@\'\nLiteral $name\n\'@')).out, 'Server: EDGE01\nQueues: 3\nLiteral $name\n');
  });
  it('formats with -f and casts to [datetime] and [timespan]', async () => {
    const r = await script(
      '$d = [datetime]"2026-01-15 14:05:09"\n"{0:yyyy-MM-dd HH:mm}|{1,-5}|{2,5}|{3:N2}|{4:P1}|{5:D4}|{6:X}" -f $d, "ab", "cd", 1234.5, 0.125, 7, 255\n$t = [timespan]"01:30:00"\n$t.TotalMinutes\n"{0:hh\\:mm}" -f $t\n([datetime]"2026-01-16" - [datetime]"2026-01-15 12:00").TotalHours\n$d.AddDays(1).ToString("dd.MM.yyyy")',
    );
    assert.equal(r.out, '2026-01-15 14:05|ab   |   cd|1,234.50|12.5 %|0007|FF\n90\n01:30\n12\n16.01.2026\n');
  });
  it('parses dates with [datetime]::ParseExact', async () => {
    const r = await script(
      '[datetime]::ParseExact("15.01.2026 14:05", "dd.MM.yyyy HH:mm", $null).ToString("s")\n[datetime]::ParseExact("Jan 5 2026 3:04 PM", "MMM d yyyy h:mm tt", $null).ToString("s")\n[datetime]::ParseExact("31.02.2026", "dd.MM.yyyy", $null)',
    );
    assert.equal(r.out, '2026-01-15T14:05:00\n2026-01-05T15:04:00\n');
    assert.match(r.err, /String was not recognized as a valid DateTime\./);
  });
  it('ends the script with exit and its code', async () => {
    const r = await script('"a"\nexit 3\n"b"');
    assert.equal(r.out, 'a\n');
    assert.equal(r.session.exitCode, 3);
  });
});

describe('evaluator: console order', () => {
  it("shows a loop's output in order with Write-Host, warnings and errors", async () => {
    const t = testShell();
    await t.session.runScript('foreach ($i in 1..2) { "out $i"; Write-Host "host $i"; if ($i -eq 2) { Write-Warning "warn"; 1/0 } }\n"end"');
    assert.match(t.host.transcript, /^out 1\nhost 1\nout 2\nhost 2\nWARNING: warn\nAttempted to divide by zero\.\n[\s\S]*\nend\n$/);
  });
  it("shows a function's and a ForEach-Object's output in order with Write-Host", async () => {
    const t = testShell();
    await t.session.runScript('function F { "a"; Write-Host "b"; return "c" }\nF\n1..2 | ForEach-Object { "item $_"; Write-Host "host $_" }\n$r = F\n"r=$($r -join \',\')"');
    assert.equal(t.host.transcript, 'a\nb\nc\nitem 1\nhost 1\nitem 2\nhost 2\nb\nr=a,c\n');
  });
  it('binds a script param() block from its defaults and sets $PSScriptRoot', async () => {
    const t = testShell();
    await t.session.runScript('[CmdletBinding()]\nparam([string]$Server = "EDGE01", [int]$Limit = "5")\n"$Server $($Limit + 1) $PSScriptRoot"', '/scripts/report.ps1');
    assert.equal(t.host.out, 'EDGE01 6 /scripts\n');
    const m = testShell();
    await m.session.runScript('param([Parameter(Mandatory=$true)]$Name)\n"ran"');
    assert.equal(m.host.out, '');
    assert.match(m.host.err, /missing mandatory parameters: Name\./);
  });
});

describe('evaluator: collections scripts build', () => {
  it('grows ArrayList and List[T] in place and enumerates hashtables', async () => {
    const r = await script(
      '$l = New-Object System.Collections.ArrayList\n[void]$l.Add("a")\n$l.Add("b")\n$g = [System.Collections.Generic.List[string]]::new()\n$g.Add("x")\n"$($l.Count) $($g.Count) $($l -join ",")"\n$h = @{b=2; a=1}\n$h.GetEnumerator() | Sort-Object Name | ForEach-Object { "$($_.Key)=$($_.Value)" }',
    );
    assert.equal(r.out, '1\n2 1 a,b\na=1\nb=2\n');
  });
  it('lets return end one ForEach-Object run and break leave the loop around it', async () => {
    assert.equal((await script('1..3 | ForEach-Object { if ($_ -eq 2) { return }; $_ }')).out, '1\n3\n');
    assert.equal((await script('foreach ($i in 1..3) { 1..3 | ForEach-Object { if ($_ -eq 2) { break } ; "$i$_" } }\n"after"')).out, '11\nafter\n');
  });
});

describe('evaluator: common parameters on functions', () => {
  it('honours -ErrorAction, -ErrorVariable and -Verbose on a function call', async () => {
    const r = await script(
      'function Check { [CmdletBinding()] param() Write-Verbose "checking"; Get-ReceiveConnector nope; "done" }\nCheck -ErrorAction SilentlyContinue -ErrorVariable problems -Verbose\n$problems.Count\n$problems[0].CategoryInfo.Reason\ntry { Check -ErrorAction Stop } catch { "stopped" }',
    );
    assert.equal(r.out, 'VERBOSE: checking\ndone\n1\nManagementObjectNotFoundException\nstopped\n');
    assert.equal(r.err, '');
  });
});

describe('evaluator: recursion', () => {
  it('recurses, and stops a runaway recursion with one error', async () => {
    assert.equal((await script('function Fact([int]$n) { if ($n -le 1) { return 1 }; return $n * (Fact ($n - 1)) }\nFact 10')).out, '3628800\n');
    const r = await script('function Loop($n) { Loop ($n + 1) }\nLoop 1\n"after"');
    assert.equal(r.out, 'after\n');
    assert.equal(r.err.match(/The script failed due to call depth overflow\./g)?.length, 1);
  });
});

describe('evaluator: error records as values', () => {
  it('shows a record with its error view, and its properties with Format-List -Force', async () => {
    const r = await script('1/0\n$Error[0] | Format-List * -Force');
    assert.match(
      r.out,
      /^\n\nPSMessageDetails      : \nException             : System\.Management\.Automation\.RuntimeException: Attempted to divide by zero\.\nTargetObject          : \nCategoryInfo          : NotSpecified: \(:\) \[\], RuntimeException\nFullyQualifiedErrorId : RuntimeException\n/,
    );
    const plain = await script('1/0\n$Error[0] | Format-List');
    assert.match(plain.out, /^Attempted to divide by zero\.\nAt \/scripts\/t\.ps1:1 char:1\n/);
  });
});

describe('evaluator: statements read line by line', () => {
  it('waits for a function, a try/catch and a do loop to close, and stops at exit', async () => {
    const t = testShell({ lines: ['function f {', '  "in f"', '}', 'try {', '  throw "x"', '}', 'catch { "caught $_" }', 'do {', '  $n++', '} until ($n -ge 2)', '"n=$n"', 'f', 'exit 5', '"never"'] });
    await t.session.runInteractiveLines();
    assert.equal(t.host.out, 'caught x\nn=2\nin f\n');
    assert.equal(t.session.exitCode, 5);
  });
});
