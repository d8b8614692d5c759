import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkPrivate, ExposedFolderError, findExposed, isInside, makePrivate, serverPrivateAreas, shellPath } from './folder-privacy.js';

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'gh-privacy-'));
  mkdirSync(join(root, 'EDGE01', 'Logs', 'MessageTracking'), { recursive: true, mode: 0o700 });
  writeFileSync(join(root, 'EDGE01', 'queue.db'), 'q', { mode: 0o600 });
  writeFileSync(join(root, 'EDGE01', 'Logs', 'MessageTracking', 'MSGTRK20260101-1.LOG'), 'l', { mode: 0o600 });
  chmodSync(join(root, 'EDGE01'), 0o700);
  return root;
}

describe('folder privacy', () => {
  it('finds files and folders that group or others can read or write, but not a search bit alone', () => {
    const root = tree();
    try {
      const edge = join(root, 'EDGE01');
      assert.deepEqual(findExposed([edge]), { examples: [], count: 0 });
      chmodSync(edge, 0o711);
      assert.equal(findExposed([edge]).count, 0, 'search only');
      chmodSync(join(edge, 'queue.db'), 0o620);
      chmodSync(join(edge, 'Logs'), 0o750);
      const r = findExposed([edge]);
      assert.equal(r.count, 2);
      assert.deepEqual(
        r.examples.map((e) => [e.path.slice(edge.length), e.kind, e.mode]),
        [
          ['/Logs', 'folder', 0o750],
          ['/queue.db', 'file', 0o620],
        ],
      );
      assert.equal(findExposed([edge], { recursive: false }).count, 0, 'the folder itself only');
      assert.equal(findExposed([join(root, 'missing')]).count, 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('follows a symbolic link to what it points at, once, even in a loop', () => {
    const root = tree();
    try {
      const edge = join(root, 'EDGE01');
      const outside = join(root, 'shared-logs');
      mkdirSync(outside, { mode: 0o755 });
      symlinkSync(outside, join(edge, 'Logs', 'ProtocolLog'));
      symlinkSync(edge, join(edge, 'loop'));
      const r = findExposed([edge]);
      assert.equal(r.count, 1);
      assert.equal(r.examples[0]!.mode, 0o755);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('makePrivate leaves folders 0700 and files 0600', () => {
    const root = tree();
    try {
      const edge = join(root, 'EDGE01');
      chmodSync(edge, 0o755);
      chmodSync(join(edge, 'queue.db'), 0o644);
      makePrivate(edge);
      assert.equal(statSync(edge).mode & 0o777, 0o700);
      assert.equal(statSync(join(edge, 'queue.db')).mode & 0o777, 0o600);
      assert.equal(findExposed([edge]).count, 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('checks the server folder, the organization store and log folders outside the folder, each with its own fix', () => {
    const root = tree();
    try {
      const edge = join(root, 'EDGE01');
      const org = join(root, 'organization.db');
      writeFileSync(org, 'o', { mode: 0o600 });
      writeFileSync(join(root, 'organization.key'), 'k', { mode: 0o600 });
      const logs = join(root, 'var log');
      mkdirSync(logs, { mode: 0o700 });
      const areas = serverPrivateAreas({ dataDir: edge, orgPath: org, orgKeyPath: join(root, 'organization.key'), logFolders: ['Logs/MessageTracking', logs, join(edge, 'Logs')] });
      assert.deepEqual(
        areas.map((a) => a.fix),
        [`chmod -R go-rwx ${edge}`, `chmod go-rwx ${org}* ${join(root, 'organization.key')}`, `chmod -R go-rwx '${logs}'`],
      );
      checkPrivate(areas);
      chmodSync(join(root, 'organization.key'), 0o640);
      assert.throws(
        () => checkPrivate(areas),
        (e: unknown) =>
          e instanceof ExposedFolderError &&
          e.area.what === 'the organization store' &&
          /organization\.key \(the organization store\) is readable or writable by group or others: file mode 0640\..*Fix it with: chmod go-rwx /.test(e.message),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('quotes paths for the shell and knows what is inside a folder', () => {
    assert.equal(shellPath('/srv/gatehouse/EDGE01'), '/srv/gatehouse/EDGE01');
    assert.equal(shellPath("/srv/it's here"), `'/srv/it'\\''s here'`);
    assert.ok(isInside('/srv/g/EDGE01', '/srv/g/EDGE01/Logs'));
    assert.ok(isInside('/srv/g/EDGE01', '/srv/g/EDGE01'));
    assert.ok(!isInside('/srv/g/EDGE01', '/srv/g/EDGE01-logs'));
    assert.ok(!isInside('/srv/g/EDGE01', '/srv/g'));
    assert.ok(isInside('/srv/g/EDGE01', '/srv/g/EDGE01/..data'));
  });
});
