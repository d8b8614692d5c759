// A real script file run with `gatehouse shell -f` against a configured Edge
// server folder: functions, switch, loops, try/catch/finally, -ErrorAction,
// $Error, redirection, Export-Csv, ConvertTo-Json, here-strings, casts and
// -f. Checks the output, the errors, the exit code, and the files it wrote
// (relative to the shell's working directory, owned by the user running it).

import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, gatehouse, scratchDir } from './harness/gatehouse.js';

const dir = scratchDir('scripts');
const data = join(dir.path, 'EDGE01');
const SCRIPT = join(ROOT, 'test', 'scripts', 'connector-report.ps1');

describe('gatehouse shell -f runs an admin script', () => {
  before(async () => {
    const r = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    const configure = [
      'New-AcceptedDomain -Name Contoso -DomainName contoso.com',
      'New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true',
      'New-SendConnector -Name "To Internal" -AddressSpaces mail.contoso.com -Usage Internal -DNSRoutingEnabled $false -SmartHosts 127.32.0.10',
      'New-SendConnector -Name "To Fabrikam" -AddressSpaces fabrikam.com -Usage Partner -DNSRoutingEnabled $true',
      'Set-SendConnector "To Fabrikam" -Enabled $false',
      'Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings 127.32.0.1:25',
    ].join('\n');
    const c = await gatehouse(['shell', '--data', data], { input: configure + '\n' });
    assert.equal(c.code, 0, c.stdout + c.stderr);
  });
  after(() => dir.remove());

  let result: { code: number | null; stdout: string; stderr: string };
  before(async () => {
    result = await gatehouse(['shell', '--data', data, '-f', SCRIPT], { cwd: dir.path });
  });

  it('prints what the script writes, in order, and ends with its exit code', () => {
    assert.equal(
      result.stdout,
      [
        'Missing connector: ManagementObjectNotFoundException',
        'Lookup done',
        'Errors so far: 2',
        'Even sum: 30',
        'Internal: 1',
        'Internet: 1',
        'Partner: 1',
        'Window ends 2026-03-01 10:30 (150 minutes)',
        'Captured: NotSpecified',
        'Enabled: 2',
        '',
      ].join('\n'),
    );
    assert.equal(result.code, 2, result.stderr);
  });

  it('shows the script error with the script path and position', () => {
    const lines = readFileSync(SCRIPT, 'utf8').split('\n');
    const line = lines.findIndex((l) => l.startsWith('Write-Error')) + 1;
    assert.equal(
      result.stderr,
      [
        'Write-Error : Queue check skipped: no service running',
        `At ${SCRIPT}:${line} char:1`,
        "+ Write-Error 'Queue check skipped: no service running'",
        '+ ' + '~'.repeat(lines[line - 1].length),
        '    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException',
        '    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException',
        ' ',
        '',
      ].join('\n'),
    );
  });

  it('writes the CSV with PowerShell 5.1 quoting', () => {
    assert.equal(
      readFileSync(join(dir.path, 'connectors.csv'), 'utf8'),
      ['"Name","Kind","Short","Enabled"', '"To Fabrikam","Partner","P","False"', '"To Internal","Internal","I","True"', '"To Internet","Internet","I","True"', ''].join('\n'),
    );
  });

  it('writes JSON that reads back to the same rows', () => {
    const text = readFileSync(join(dir.path, 'connectors.json'), 'utf8');
    assert.match(text, /^\[\n {4}\{\n {8}"Name": {2}"To Internet",\n {8}"Kind": {2}"Internet"\n {4}\},/);
    const rows = JSON.parse(text) as { Name: string; Kind: string }[];
    assert.deepEqual(rows.map((r) => `${r.Name}=${r.Kind}`).sort(), ['To Fabrikam=Partner', 'To Internal=Internal', 'To Internet=Internet']);
  });

  it('writes redirected and Out-File text in the working directory, owned by the user running the shell', () => {
    assert.equal(readFileSync(join(dir.path, 'summary.txt'), 'utf8'), ['Name         Kind      Enabled', 'To Internet  Internet  True', 'To Internal  Internal  True', 'To Fabrikam  Partner   False', ''].join('\n'));
    assert.equal(readFileSync(join(dir.path, 'mail.txt'), 'utf8'), 'Report connectors\nConnectors: 3\n');
    for (const f of ['connectors.csv', 'connectors.json', 'summary.txt', 'mail.txt']) {
      const st = statSync(join(dir.path, f));
      assert.equal(st.uid, process.getuid?.(), `${f} owner`);
    }
  });

  it('runs the same language from piped input, statement by statement', async () => {
    const input =
      [
        'function Show-Kind {',
        '  param([string]$Name = "none")',
        '  switch -Wildcard ($Name) { "To *" { "send: $Name" } default { "other: $Name" } }',
        '}',
        'try {',
        '  Get-SendConnector | ForEach-Object { Show-Kind $_.Name }',
        '  throw "stop here"',
        '}',
        'catch { "caught: $_" }',
        'Show-Kind',
      ].join('\n') + '\n';
    const r = await gatehouse(['shell', '--data', data], { input, cwd: dir.path });
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'send: To Internet\nsend: To Internal\nsend: To Fabrikam\ncaught: stop here\nother: none\n');
    assert.equal(r.code, 0);
  });
});
