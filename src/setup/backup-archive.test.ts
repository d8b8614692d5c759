// The backup file format: what is written reads back the same, and a file that
// names a path outside the restore folder, is cut, altered or extended is
// refused before its content is trusted.

import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ArchiveReader, ArchiveWriter, BackupFileError, safePath, type BackupManifest } from './backup-archive.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-archive-'));
const manifest: BackupManifest = { kind: 'manifest', server: 'EDGE01', role: 'EdgeTransport', fqdn: 'edge01.contoso.net', createdAt: '2026-12-07T10:00:00.000Z', product: '0.1.0', organization: 'none', dataDir: '/srv/EDGE01' };

function write(name: string, entries: [string, Buffer | null][]): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w', 0o600);
  const w = new ArchiveWriter(fd, manifest);
  for (const [p, content] of entries) {
    if (content === null) {
      w.folder(p);
      continue;
    }
    const src = join(dir, 'source');
    writeFileSync(src, content);
    const s = openSync(src, 'r');
    w.file(p, s);
    closeSync(s);
  }
  w.finish();
  closeSync(fd);
  return path;
}

function readAll(path: string): Map<string, string | null> {
  const r = new ArchiveReader(path);
  const out = new Map<string, string | null>();
  try {
    for (let e = r.next(); e; e = r.next()) {
      if (e.kind === 'folder') {
        out.set(e.path, null);
        continue;
      }
      const target = join(dir, 'out');
      const fd = openSync(target, 'w');
      e.content!(fd);
      closeSync(fd);
      out.set(e.path, readFileSync(target, 'latin1'));
    }
  } finally {
    r.close();
  }
  return out;
}

describe('backup archive', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));
  const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'x'); // more than one read chunk
  big.write('\n{"kind":"end"}\n', 1000);

  it('reads back what was written, binary content and newlines included', () => {
    const path = write('good', [
      ['server/server.db', Buffer.from([0, 10, 13, 255])],
      ['server/spool', null],
      ['server/spool/a', big],
      ['server/empty', Buffer.alloc(0)],
    ]);
    const r = new ArchiveReader(path);
    assert.deepEqual(r.manifest, manifest);
    r.close();
    const got = readAll(path);
    assert.deepEqual([...got.keys()], ['server/server.db', 'server/spool', 'server/spool/a', 'server/empty']);
    assert.equal(got.get('server/server.db'), Buffer.from([0, 10, 13, 255]).toString('latin1'));
    assert.equal(got.get('server/spool/a'), big.toString('latin1'));
    assert.equal(got.get('server/empty'), '');
  });

  it('refuses paths that leave the restore folder', () => {
    for (const p of ['server/../etc/passwd', '/etc/passwd', 'server', 'other/x', 'server//x', 'server/./x', 'organization/..']) assert.equal(safePath(p), false, p);
    assert.equal(safePath('server/Mailbox/DB1/x'), true);
    const path = write('escape', [['server/../../escape', Buffer.from('x')]]);
    assert.throws(
      () => readAll(path),
      (err: unknown) => err instanceof BackupFileError && /unsafe path/.test(err.message),
    );
  });

  it('refuses a cut, altered or extended file', () => {
    const whole = readFileSync(write('whole', [['server/server.db', big]]));
    const cases: [string, Buffer, RegExp][] = [
      ['cut', whole.subarray(0, whole.length - 40), /is damaged: /],
      ['no end', whole.subarray(0, whole.lastIndexOf('{"kind":"end"')), /ends before its end record/],
      ['altered', Buffer.concat([whole.subarray(0, 2000), Buffer.from('y'), whole.subarray(2001)]), /content of server\/server\.db does not match its checksum/],
      ['extended', Buffer.concat([whole, Buffer.from('more\n')]), /data after its end record/],
    ];
    for (const [name, bytes, message] of cases) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      assert.throws(
        () => readAll(path),
        (err: unknown) => err instanceof BackupFileError && message.test(err.message),
        name,
      );
    }
  });
});
