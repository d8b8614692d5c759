// The interactive shell in a real terminal: the shell runs under a
// pseudo-terminal (Python's pty module). Get-Credential prompts "User: " and
// "Password for user X: " and echoes one '*' per password character, never
// the password itself; Tab completes cmdlet and parameter names; Remove-*
// asks for confirmation and "n" keeps the object.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, ROOT, gatehouse, scratchDir } from './harness/gatehouse.js';

describe('the shell at a terminal', () => {
  const dir = scratchDir('pty');
  after(() => dir.remove());

  it('prompts for the user name and a masked password', async () => {
    const data = join(dir.path, 'EDGE01');
    const s = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data]);
    assert.equal(s.code, 0, s.stderr);
    const r = spawnSync('python3', [join(ROOT, 'test', 'scripts', 'credential-pty.py'), process.execPath, BIN, data], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: dir.path } });
    assert.equal(r.status, 0, `pty driver failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    // What the terminal shows, without cursor-control sequences.
    const shown = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    assert.match(shown, /User: edgeauth/);
    assert.match(shown, /Password for user edgeauth: \*{7}/);
    assert.ok(!shown.includes('S3cret!'), `the password was echoed:\n${shown}`);
    assert.match(shown, /\$c\.UserName\r*\n+edgeauth/);
    assert.match(shown, /Get-ReceiveConnector -Identity/);
    assert.match(shown, /Are you sure you want to perform this action\?\r*\nRemoving Receive connector "Default internal Receive connector EDGE01"\./);
    assert.match(shown, /\(Get-ReceiveConnector \| Measure-Object\)\.Count\r*\n+1\r*\n/, 'the declined removal must keep the connector');
  });
});
