// History: which lines reach the file (PSReadLine's sensitive words stay in
// memory), the file's place and mode, and the session history's numbering.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LineHistory, SessionHistory, historyFilePath, isSensitive } from './history.js';

describe('history', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-history-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('recognizes the sensitive words, in any case', () => {
    for (const line of ['$p = ConvertTo-SecureString "x" -AsPlainText -Force', '$pw = Read-Host -AsSecureString', 'Set-X -Password abc', '$Token = "t"', 'Invoke-Y -ApiKey 1', 'Get-Secret a', '[securestring]$s', 'PASSWORD'])
      assert.equal(isSensitive(line), true, line);
    for (const line of ['Get-Queue', 'New-SendConnector -Name "To Internet" -AddressSpaces *', '$c = Get-Credential']) assert.equal(isSensitive(line), false, line);
  });

  it('keeps one file per server under ~/.gatehouse/history', () => {
    assert.equal(historyFilePath('/home/admin', 'EDGE01'), '/home/admin/.gatehouse/history/EDGE01.txt');
    assert.equal(historyFilePath('/home/admin', '../x'), '/home/admin/.gatehouse/history/__x.txt');
  });

  it('writes the file 0600 in a 0700 folder, without the sensitive lines, which stay in memory', () => {
    const file = join(dir, 'home', '.gatehouse', 'history', 'EDGE01.txt');
    const h = new LineHistory(file);
    h.add('Get-Queue');
    h.add('$p = ConvertTo-SecureString "S3cret!" -AsPlainText -Force');
    h.add('Get-Queue');
    h.add('   ');
    h.add('Get-Message');
    assert.deepEqual(h.lines, ['Get-Queue', '$p = ConvertTo-SecureString "S3cret!" -AsPlainText -Force', 'Get-Queue', 'Get-Message']);
    assert.equal(readFileSync(file, 'utf8'), 'Get-Queue\nGet-Queue\nGet-Message\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'home', '.gatehouse', 'history')).mode & 0o777, 0o700);
    assert.deepEqual(new LineHistory(file).lines, ['Get-Queue', 'Get-Queue', 'Get-Message']);
  });

  it('narrows a file left readable by others to 0600 and keeps its last lines', () => {
    const file = join(dir, 'wide.txt');
    writeFileSync(file, Array.from({ length: 30 }, (_, i) => `Write-Output ${i}`).join('\n') + '\n', { mode: 0o644 });
    const h = new LineHistory(file, 10);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(h.lines.length, 10);
    assert.equal(h.lines[9], 'Write-Output 29');
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 10, 'a file over twice the limit is cut down');
  });

  it('numbers the session history from 1 and records the command Invoke-History ran under its own text', () => {
    const s = new SessionHistory();
    const t = new Date();
    s.add('Get-Queue', 'Completed', t, t);
    s.replacement = 'Get-Queue';
    s.add('r', 'Completed', t, t);
    s.add('Get-Foo', 'Failed', t, t);
    assert.deepEqual(
      s.list().map((e) => [e.id, e.commandLine, e.status]),
      [
        [1, 'Get-Queue', 'Completed'],
        [2, 'Get-Queue', 'Completed'],
        [3, 'Get-Foo', 'Failed'],
      ],
    );
    s.remove((e) => e.id === 2);
    assert.deepEqual(
      s.list().map((e) => e.id),
      [1, 3],
    );
  });
});
