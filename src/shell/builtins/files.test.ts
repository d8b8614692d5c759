// File and data cmdlet tests: redirection, Out-File/Set-Content/Add-Content/
// Get-Content/Test-Path with real files in a scratch folder, CSV with 5.1's
// quoting, JSON, HTML and Group-Object.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testShell } from '../fixtures.js';

let dir: string;
let cwd: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-shell-files-'));
  cwd = process.cwd();
  process.chdir(dir);
});
after(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

async function run(text: string): Promise<{ out: string; err: string }> {
  const { session, host } = testShell();
  await session.runScript(text);
  return { out: host.out, err: host.err };
}

const ROWS = '$rows = @([pscustomobject]@{ Name = "To Internet"; Count = 3; Enabled = $true; Note = \'say "hi"\' }, [pscustomobject]@{ Name = "To Edge"; Count = 0; Enabled = $false; Note = $null })\n';

describe('redirection and text files', () => {
  it('writes with > and >>, relative to the working directory, and reads back', async () => {
    const r = await run('"line1" > t.txt\n"line2" >> t.txt\nGet-Content t.txt\nTest-Path .\\t.txt\nTest-Path nope.txt\nTest-Path . -PathType Leaf');
    assert.equal(r.out, 'line1\nline2\nTrue\nFalse\nFalse\n');
    assert.equal(readFileSync(join(dir, 't.txt'), 'utf8'), 'line1\nline2\n');
  });
  it('sends errors to a file with 2>, into the output with 2>&1, and away with 2>$null', async () => {
    const r = await run('Get-Content missing.txt 2> err.txt\n(Get-Content err.txt)[0]\nGet-Content missing.txt 2>&1 | ForEach-Object { "got: $($_.FullyQualifiedErrorId)" }\nGet-Content missing.txt 2>$null\n"done"');
    assert.equal(r.err, '');
    assert.equal(r.out, `Get-Content : Cannot find path '${join(dir, 'missing.txt')}' because it does not exist.\ngot: PathNotFound,Microsoft.PowerShell.Commands.GetContentCommand\ndone\n`);
  });
  it('writes tables with Out-File and honours -Append, -NoClobber and -Encoding', async () => {
    await run(ROWS + '$rows | Select-Object Name,Count | Out-File o.txt\n"more" | Out-File o.txt -Append\n"u" | Out-File u.txt -Encoding Unicode\n"8" | Out-File b.txt -Encoding UTF8');
    assert.equal(readFileSync(join(dir, 'o.txt'), 'utf8'), '\nName        Count\n----        -----\nTo Internet     3\nTo Edge         0\n\n\nmore\n');
    assert.deepEqual([...readFileSync(join(dir, 'u.txt'))], [0xff, 0xfe, 0x75, 0, 0x0a, 0]);
    assert.deepEqual([...readFileSync(join(dir, 'b.txt'))], [0xef, 0xbb, 0xbf, 0x38, 0x0a]);
    const r = await run('"x" | Out-File o.txt -NoClobber');
    assert.match(r.err, /Out-File : The file '.*o\.txt' already exists\./);
    const bad = await run('"x" | Out-File z.txt -Encoding Klingon');
    assert.match(bad.err, /Cannot convert value "Klingon" to type "Microsoft\.PowerShell\.Commands\.FileSystemCmdletProviderEncoding"/);
  });
  it('replaces and appends lines with Set-Content and Add-Content; reads heads and tails', async () => {
    const r = await run('Set-Content s.txt -Value "a","b"\nAdd-Content s.txt "c"\n(Get-Content s.txt).Count\nGet-Content s.txt -TotalCount 1\nGet-Content s.txt -Tail 1\n(Get-Content s.txt -Raw).Length');
    assert.equal(r.out, '3\na\nc\n6\n');
  });
  it('reports a missing folder as PowerShell does', async () => {
    const r = await run('"x" > no/such/dir.txt');
    assert.match(r.err, /Could not find a part of the path '.*no\/such\/dir\.txt'\./);
  });
});

describe('CSV', () => {
  it('exports every field quoted, $null empty, with and without #TYPE', async () => {
    await run(ROWS + '$rows | Export-Csv .\\out.csv -NoTypeInformation\n$rows | Export-Csv typed.csv\n$rows[1] | Export-Csv out.csv -Append -NoTypeInformation');
    assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8'), '"Name","Count","Enabled","Note"\n"To Internet","3","True","say ""hi"""\n"To Edge","0","False",\n"To Edge","0","False",\n');
    assert.equal(readFileSync(join(dir, 'typed.csv'), 'utf8').split('\n')[0], '#TYPE System.Management.Automation.PSCustomObject');
  });
  it('imports and converts back, quotes, commas and line breaks included', async () => {
    writeFileSync(join(dir, 'in.csv'), '#TYPE Custom\n"Name","Domain","Note"\n"Contoso","contoso.com","a, ""b""\nc"\nFabrikam,fabrikam.com\n');
    const r = await run('$c = Import-Csv in.csv\n$c.Count\n$c[0].Note\n$c[1].Domain\n$null -eq $c[1].Note\n"A;B","1;2" | ConvertFrom-Csv -Delimiter ";" | ForEach-Object { $_.B }\n[pscustomobject]@{a=1} | ConvertTo-Csv -NoTypeInformation');
    assert.equal(r.out, '2\na, "b"\nc\nfabrikam.com\nTrue\n2\n"a"\n"1"\n');
  });
});

describe('JSON, HTML and Group-Object', () => {
  it('writes JSON as 5.1 does and reads it back', async () => {
    const r = await run(
      ROWS + '$rows[1] | ConvertTo-Json\n$rows | ConvertTo-Json -Compress\n@{a=@{b=@{c=@{d=1}}}} | ConvertTo-Json -Compress\n"<&>" | ConvertTo-Json\n$j = \'{"a":1,"b":[1,2],"c":{"d":"x"}}\' | ConvertFrom-Json\n$j.c.d\n$j.b.Count',
    );
    assert.equal(
      r.out,
      '{\n    "Name":  "To Edge",\n    "Count":  0,\n    "Enabled":  false,\n    "Note":  null\n}\n' +
        '[{"Name":"To Internet","Count":3,"Enabled":true,"Note":"say \\"hi\\""},{"Name":"To Edge","Count":0,"Enabled":false,"Note":null}]\n' +
        '{"a":{"b":{"c":"System.Collections.Hashtable"}}}\n' +
        '"\\u003c\\u0026\\u003e"\nx\n2\n',
    );
  });
  it('indents nested JSON as 5.1 does', async () => {
    const sample = [
      '{',
      '    "Users":  [',
      '                  {',
      '                      "isCertified":  true,',
      '                      "Email":  [',
      '                                    "onemail",',
      '                                    "twomail",',
      '                                    "threemail"',
      '                                ]',
      '                  }',
      '              ]',
      '}',
    ].join('\n');
    writeFileSync(join(dir, 'users.json'), sample);
    const r = await run('Get-Content users.json -Raw | ConvertFrom-Json | ConvertTo-Json -Depth 4\nGet-Content users.json | ConvertFrom-Json | ConvertTo-Json');
    assert.equal(r.out, sample + '\n' + sample.split('\n').slice(0, 5).join('\n').replace(/\[$/, '"onemail twomail threemail"') + '\n' + sample.split('\n').slice(9).join('\n') + '\n');
  });
  it('writes an HTML table', async () => {
    const r = await run(ROWS + '$rows | ConvertTo-Html -Property Name,Count -Title "Connectors"');
    assert.equal(
      r.out,
      '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"  "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n<title>Connectors</title>\n</head><body>\n<table>\n<colgroup><col/><col/></colgroup>\n<tr><th>Name</th><th>Count</th></tr>\n<tr><td>To Internet</td><td>3</td></tr>\n<tr><td>To Edge</td><td>0</td></tr>\n</table>\n</body></html>\n',
    );
  });
  it('groups by property in order of first appearance', async () => {
    const r = await run('$g = "b","a","b" | Group-Object\n$g | ForEach-Object { "$($_.Name)=$($_.Count)" }\n(1..5 | Group-Object { $_ % 2 } -AsHashTable)[1].Count');
    assert.equal(r.out, 'b=2\na=1\n3\n');
  });
  it('groups Format-Table output and hides headers', async () => {
    const r = await run(ROWS + '$rows | Format-Table Name -GroupBy Enabled\n$rows | Format-Table Name -HideTableHeaders');
    assert.equal(r.out, '\n   Enabled: True\n\nName       \n----       \nTo Internet\n\n\n\n   Enabled: False\n\nName   \n----   \nTo Edge\n\n\n\nTo Internet\nTo Edge    \n\n\n');
  });
});

describe('Tee-Object, Get-Alias, Join-Path and $PSVersionTable', () => {
  it('saves and passes on objects', async () => {
    const r = await run('1,2 | Tee-Object -FilePath tee.txt | ForEach-Object { $_ * 10 }\n"a","b" | Tee-Object -Variable saved | Out-Null\n$saved -join "+"');
    assert.equal(r.out, '10\n20\na+b\n');
    assert.equal(readFileSync(join(dir, 'tee.txt'), 'utf8'), '1\n2\n');
  });
  it('lists aliases by name and by definition', async () => {
    const r = await run('(Get-Alias gc).Definition\n(Get-Alias -Definition Where-Object).Name -join ","\nGet-Alias nosuchalias');
    assert.equal(r.out, 'Get-Content\n? -> Where-Object,where -> Where-Object\n');
    assert.match(r.err, /This command cannot find a matching alias because an alias with the name 'nosuchalias' does not exist\./);
  });
  it('joins and splits paths and reports the language version', async () => {
    const r = await run('Join-Path reports queues.csv\nSplit-Path reports/queues.csv -Leaf\nSplit-Path reports/queues.csv\n"$($PSVersionTable.PSVersion.Major).$($PSVersionTable.PSVersion.Minor) $($PSVersionTable.PSEdition)"');
    assert.equal(r.out, 'reports/queues.csv\nqueues.csv\nreports\n5.1 Desktop\n');
  });
});

describe('encodings and appending CSV', () => {
  it('reads a named encoding and refuses to append mismatched CSV rows without -Force', async () => {
    writeFileSync(join(dir, 'latin.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    writeFileSync(join(dir, 'base.csv'), '"Name","Domain"\n"Contoso","contoso.com"\n');
    const r = await run(
      'Get-Content latin.txt -Encoding Default\n[pscustomobject]@{Name="x"} | Export-Csv base.csv -Append -NoTypeInformation\n[pscustomobject]@{Name="Fabrikam"} | Export-Csv base.csv -Append -NoTypeInformation -Force\n(Import-Csv base.csv).Count',
    );
    assert.equal(r.out, 'café\n2\n');
    assert.match(r.err, /The appended object does not have a property that corresponds to the following column: Domain\./);
    assert.equal(readFileSync(join(dir, 'base.csv'), 'utf8'), '"Name","Domain"\n"Contoso","contoso.com"\n"Fabrikam",\n');
  });
});

describe('script files calling script files', () => {
  it('dot-sources helpers into the current scope and runs a .ps1 with its param() block', async () => {
    writeFileSync(join(dir, 'helpers.ps1'), '$helperLoaded = $true\nfunction Get-Greeting([string]$Name) { "Hello $Name" }\n');
    writeFileSync(join(dir, 'child.ps1'), 'param([string]$Server = "EDGE01", [int]$Count = 1)\n"child: $Server x$Count"\nreturn "ret"\n"never"\n');
    writeFileSync(join(dir, 'broken.ps1'), 'if ($x {\n');
    const r = await run('. .\\helpers.ps1\n"loaded: $helperLoaded"\nGet-Greeting admin\n.\\child.ps1 -Server MBX01 -Count 3\n& ./child.ps1\n.\\broken.ps1');
    assert.equal(r.out, 'loaded: True\nHello admin\nchild: MBX01 x3\nret\nchild: EDGE01 x1\nret\n');
    assert.match(r.err, /broken\.ps1:1 char:/);
  });
});

describe('Write-Progress', () => {
  it('draws one line on a terminal and nothing for a script', async () => {
    const term = testShell({ interactive: true });
    await term.session.runScript('Write-Progress -Activity "Checking queues" -Status "EDGE01\\1" -PercentComplete 50\nWrite-Progress -Activity "Checking queues" -Completed');
    assert.equal(term.host.out, '\r\x1b[2KChecking queues: EDGE01\\1 [oooooooooo          ] 50%\r\x1b[2K');
    const piped = testShell();
    await piped.session.runScript('Write-Progress -Activity "Checking queues" -PercentComplete 50\n"done"');
    assert.equal(piped.host.out, 'done\n');
  });
});

describe('New-Item and Remove-Item', () => {
  it('creates folders and files, refuses to overwrite without -Force, and removes with -Recurse', async () => {
    const r = await run(
      'New-Item -ItemType Directory -Path .\\reports\\daily | Out-Null\n(New-Item -Path reports\\daily -Name a.txt -Value "x").Name\nNew-Item reports\\daily\\a.txt\nNew-Item reports\\daily\\a.txt -Value "y" -Force | Out-Null\nGet-Content reports\\daily\\a.txt\nRemove-Item reports\\daily\\*.txt -WhatIf\nTest-Path reports\\daily\\a.txt\nRemove-Item reports\nRemove-Item reports -Recurse\nTest-Path reports',
    );
    assert.equal(r.out, `a.txt\ny\nWhat if: Performing the operation "Remove File" on target "Item: ${join(dir, 'reports', 'daily', 'a.txt')}".\nTrue\nFalse\n`);
    assert.match(r.err, /An item with the specified name .*a\.txt already exists\./);
    assert.match(r.err, /has children and the Recurse parameter was not specified\./);
  });
});
