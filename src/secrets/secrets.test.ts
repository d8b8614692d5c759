import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createMasterKey, loadMasterKey } from './master-key.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import { SecretBox } from './secret-box.js';

describe('master key', () => {
  it('is created 0600, never overwritten, and refused when others can read it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-key-'));
    try {
      const path = join(dir, 'master.key');
      const key = createMasterKey(path);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.deepEqual(loadMasterKey(path), key);
      assert.throws(() => createMasterKey(path), /EEXIST/);
      chmodSync(path, 0o644);
      assert.throws(() => loadMasterKey(path), /readable by other users.*chmod 600/);
      const bad = join(dir, 'bad.key');
      writeFileSync(bad, 'c2hvcnQ=\n', { mode: 0o600 });
      assert.throws(() => loadMasterKey(bad), /damaged/);
      assert.throws(() => loadMasterKey(join(dir, 'missing.key')), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SecretBox', () => {
  const box = new SecretBox(Buffer.alloc(32, 7));
  it('seals and opens, with a fresh IV each time', () => {
    const a = box.seal('P@ssw0rd', 'SendConnector/1/AuthenticationCredential');
    const b = box.seal('P@ssw0rd', 'SendConnector/1/AuthenticationCredential');
    assert.notEqual(a, b);
    assert.ok(!a.includes('P@ssw0rd'));
    assert.equal(box.openText(a, 'SendConnector/1/AuthenticationCredential'), 'P@ssw0rd');
  });
  it('refuses another purpose, another key and tampering', () => {
    const sealed = box.seal('secret', 'p1');
    assert.throws(() => box.open(sealed, 'p2'), /cannot be decrypted/);
    assert.throws(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed, 'p1'), /cannot be decrypted/);
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    assert.throws(() => box.open('v1:' + raw.toString('base64'), 'p1'), /cannot be decrypted/);
    assert.throws(() => box.open('v2:abc', 'p1'), /unknown sealed-secret format/);
  });
});

describe('password hashes', () => {
  it('verifies the right password only', async () => {
    const h = await hashPassword('correct horse');
    assert.match(h, /^scrypt\$16384\$8\$1\$/);
    assert.equal(await verifyPassword('correct horse', h), true);
    assert.equal(await verifyPassword('correct horsE', h), false);
    assert.equal(await verifyPassword('x', 'not-a-hash'), false);
    assert.notEqual(await hashPassword('correct horse'), h);
  });
});
