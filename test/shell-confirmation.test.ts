// Confirmation outside a terminal: Remove-* (ConfirmImpact High) asks
// "Are you sure you want to perform this action?" and reads the answer from
// the next line of standard input, with -c, -f and piped scripts alike; No
// keeps the object, Yes to All covers the rest of the pipeline, a line that
// is not an answer is left to run as a command, and -Confirm:$false does not
// ask.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';

const dir = scratchDir('confirm');
const data = join(dir.path, 'EDGE01');
const COUNT = '(Get-SendConnector | Measure-Object).Count';

async function count(): Promise<number> {
  const r = await gatehouse(['shell', '--data', data, '-c', COUNT]);
  assert.equal(r.code, 0, r.stderr);
  return Number(r.stdout.trim());
}

async function connectors(...names: string[]): Promise<void> {
  const r = await gatehouse(['shell', '--data', data], { input: names.map((n) => `New-SendConnector -Name "${n}" -AddressSpaces ${n.toLowerCase()}.com -DNSRoutingEnabled $true | Out-Null\n`).join('') });
  assert.equal(r.code, 0, r.stderr);
}

describe('confirmation from standard input', () => {
  before(async () => {
    const r = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => dir.remove());

  it('-c reads the answer from standard input: N keeps, Y removes', async () => {
    await connectors('Alpha');
    const no = await gatehouse(['shell', '--data', data, '-c', 'Remove-SendConnector Alpha'], { input: 'N\n' });
    assert.equal(no.code, 0, no.stderr);
    assert.match(no.stdout, /Confirm\nAre you sure you want to perform this action\?\nRemoving Send connector "Alpha"\.\n\[Y\] Yes {2}\[A\] Yes to All {2}\[N\] No {2}\[L\] No to All {2}\[\?\] Help \(default is "Y"\): /);
    assert.equal(await count(), 1);
    const yes = await gatehouse(['shell', '--data', data, '-c', 'Remove-SendConnector Alpha'], { input: 'y\n' });
    assert.equal(yes.code, 0, yes.stderr);
    assert.equal(await count(), 0);
  });

  it('a piped script answers on the line after the command; Yes to All covers the pipeline', async () => {
    await connectors('Beta', 'Gamma', 'Delta');
    const r = await gatehouse(['shell', '--data', data], { input: ['Remove-SendConnector Beta', 'n', 'Get-SendConnector | Remove-SendConnector', 'A', COUNT, ''].join('\n') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout.match(/Are you sure/g) ?? []).length, 2, r.stdout);
    assert.match(r.stdout, /\n0\n/);
    assert.equal(await count(), 0);
  });

  it('a script run with -f fails without an answer and changes nothing; the next line still runs', async () => {
    await connectors('Epsilon');
    const script = join(dir.path, 'remove.ps1');
    writeFileSync(script, 'Remove-SendConnector Epsilon\n"after the removal"\n');
    const r = await gatehouse(['shell', '--data', data, '-f', script]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Remove-SendConnector : Confirmation needed for: Removing Send connector "Epsilon"\. Nothing was changed: the input ended before the answer\./);
    assert.match(r.stdout, /after the removal/);
    assert.equal(await count(), 1);
  });

  it('a piped line that is not an answer fails the removal and runs as the next command', async () => {
    const r = await gatehouse(['shell', '--data', data], { input: 'Remove-SendConnector Epsilon\n"the next command"\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the next input line, ""the next command"", is not an answer/);
    assert.match(r.stdout, /\nthe next command\n/);
    assert.equal(await count(), 1);
  });

  it('-Confirm:$false removes without asking', async () => {
    const r = await gatehouse(['shell', '--data', data, '-c', 'Remove-SendConnector Epsilon -Confirm:$false']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Are you sure/);
    assert.equal(await count(), 0);
  });
});
