// Built-in command tests: Where/Select/Sort/Measure/ForEach-Object, Get-Command,
// Get-Help, Write-* and Get-Member.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testShell } from '../fixtures.js';

async function run(script: string, lines: string[] = []): Promise<{ out: string; err: string }> {
  const { session, host } = testShell({ lines });
  await session.runScript(script);
  return { out: host.out, err: host.err };
}

const two = 'New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet | Out-Null\nNew-SendConnector -Name "To Edge" -AddressSpaces * -Usage Internal -SmartHosts edge01.contoso.com | Out-Null\n';

describe('Where-Object', () => {
  it('filters with a script block and with the simplified form', async () => {
    assert.equal((await run(two + 'Get-SendConnector | Where-Object { $_.Usage -eq "internal" } | % Name')).out, 'To Edge\n');
    assert.equal((await run(two + 'Get-SendConnector | ? Usage -eq Internet | % Name')).out, 'To Internet\n');
    assert.equal((await run(two + 'Get-SendConnector | where Name -like "*edge" | % Name')).out, 'To Edge\n');
    assert.equal((await run(two + 'Get-SendConnector | Where-Object SmartHosts | % Name')).out, 'To Edge\n');
    assert.equal((await run(two + 'Get-SendConnector | Where-Object Name -CLike "to*" | % Name')).out, '');
    assert.equal((await run('1..6 | ? { $_ -gt 4 }')).out, '5\n6\n');
  });
});

describe('Select-Object, Sort-Object, Measure-Object, ForEach-Object', () => {
  it('selects properties, calculated properties, first/last and expands', async () => {
    assert.equal((await run(two + 'Get-SendConnector | Select-Object -First 1 -ExpandProperty Name')).out, 'To Internet\n');
    assert.equal((await run(two + 'Get-SendConnector | Select-Object -Last 1 | % Name')).out, 'To Edge\n');
    assert.equal((await run(two + '(Get-SendConnector | Select-Object @{n="Upper";e={$_.Name.ToUpper()}})[1].Upper')).out, 'TO EDGE\n');
    assert.equal((await run('1,1,2,3,3 | Select-Object -Unique')).out, '1\n2\n3\n');
    const missing = await run(two + 'Get-SendConnector | Select-Object -ExpandProperty Nope');
    assert.match(missing.err, /Select-Object : Property "Nope" cannot be found\./);
  });
  it('sorts by property, descending and unique', async () => {
    assert.equal((await run(two + 'Get-SendConnector | Sort-Object Name | % Name')).out, 'To Edge\nTo Internet\n');
    assert.equal((await run('3,1,2 | Sort-Object -Descending')).out, '3\n2\n1\n');
    assert.equal((await run('"b","A","a" | Sort-Object -Unique')).out, 'A\nb\n');
  });
  it('measures', async () => {
    assert.equal((await run('(1..4 | Measure-Object).Count')).out, '4\n');
    assert.equal((await run(two + '(Get-SendConnector | Measure-Object MaxMessageSize -Sum).Sum')).out, '73400320\n');
  });
  it('runs begin/process/end blocks and member names', async () => {
    assert.equal((await run('1..3 | ForEach-Object -Begin { $t = 0 } -Process { $t += $_ } -End { $t }')).out, '6\n');
    assert.equal((await run('"a","b" | % ToUpper')).out, 'A\nB\n');
  });
});

describe('Get-Command and Get-Help', () => {
  it('lists commands with wildcards, verbs and nouns', async () => {
    const r = await run('Get-Command *-SendConnector | % Name');
    assert.equal(r.out, 'Get-SendConnector\nNew-SendConnector\nRemove-SendConnector\nSet-SendConnector\n');
    assert.equal((await run('Get-Command -Verb New -Noun *Connector | % Name')).out, 'New-ReceiveConnector\nNew-SendConnector\n');
    assert.match((await run('Get-Command Nope-Nothing')).err, /The term 'Nope-Nothing' is not recognized/);
  });
  it('shows help with syntax per parameter set', async () => {
    const r = await run('Get-Help New-SendConnector');
    assert.match(r.out, /\nNAME\n {4}New-SendConnector\n\nSYNOPSIS\n {4}Creates a Send connector\.\n/);
    const sets = r.out
      .slice(r.out.indexOf('SYNTAX') + 7, r.out.indexOf('DESCRIPTION'))
      .trim()
      .split(/\n\s*\n/)
      .map((b) => b.replace(/\s+/g, ' ').trim());
    assert.equal(sets.length, 2);
    assert.match(sets[0], /^New-SendConnector -Name <String> \[-AddressSpaces <MultiValuedProperty>\] .*\[-Usage <UsageType>\] \[-WhatIf\] \[-Confirm\] \[<CommonParameters>\]$/);
    assert.match(sets[1], /^New-SendConnector -Name <String> .*\[-Internet\]/);
    const where = await run('Get-Help Where-Object');
    assert.match(where.out, /Where-Object \[-Property\] <String> \[\[-Value\] <Object>\] \[-EQ\]/);
    assert.match(where.out, /Where-Object \[-FilterScript\] <ScriptBlock>/);
  });
  it('shows examples and a parameter', async () => {
    assert.match((await run('Get-Help New-SendConnector -Examples')).out, /-------------------------- Example 1 --------------------------\n\n {4}New-SendConnector -Name "To Internet"/);
    const p = await run('Get-Help Remove-SendConnector -Parameter Identity');
    assert.match(p.out, /-Identity <String>\n\n {4}Required\? {20}true\n {4}Position\? {20}1\n/);
    assert.match(p.out, /Accept pipeline input\? {7}True \(ByValue, ByPropertyName\)/);
  });
  it('reports an unknown help topic', async () => {
    assert.match((await run('Get-Help Nope')).err, /Get-Help : Get-Help could not find Nope in a help file in this session\./);
  });
});

describe('Write-* and Out-String', () => {
  it('writes hosts lines and strings', async () => {
    assert.equal((await run('Write-Host a b 1')).out, 'a b 1\n');
    assert.equal((await run('Write-Output a,b')).out, 'a\nb\n');
    assert.equal((await run('Write-Warning "careful"')).out, 'WARNING: careful\n');
    assert.equal((await run('Write-Warning "careful" -WarningAction SilentlyContinue')).out, '');
    assert.equal((await run('$s = 1,2 | Out-String; $s.Length')).out, '4\n');
  });
  it('lists members', async () => {
    const r = await run("New-Object PSCredential('u', (ConvertTo-SecureString 'p' -AsPlainText -Force)) | Get-Member");
    assert.match(r.out, /\n\n {3}TypeName: System\.Management\.Automation\.PSCredential\n\nName {17}MemberType Definition *\n/);
    assert.match(r.out, /UserName {13}Property {3}string UserName \{get;\}/);
  });
});
