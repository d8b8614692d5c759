import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuplicateObjectError, type StoredObject } from './config-store.js';
import { SqliteConfigStore } from './sqlite-config-store.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-store-'));
const path = join(dir, 'org.db');

function obj(guid: string, name: string, server = ''): StoredObject {
  const t = new Date().toISOString();
  return { guid, type: 'SendConnector', server, name, data: { Port: 25 }, whenCreated: t, whenChanged: t };
}

describe('SqliteConfigStore', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stores, finds case-insensitively, and refuses duplicate names per type and server', () => {
    const s = new SqliteConfigStore(path, { create: true });
    s.insert(obj('a', 'To Internet'));
    assert.equal(s.findByName('SendConnector', '', 'to internet')?.guid, 'a');
    assert.throws(() => s.insert(obj('b', 'TO INTERNET')), DuplicateObjectError);
    s.insert(obj('c', 'To Internet', 'EDGE01'));
    assert.equal(s.list('SendConnector').length, 2);
    assert.equal(s.list('SendConnector', 'edge01').length, 1);
    s.close();
  });

  it('bumps the change counter on every change, seen by another connection', () => {
    const writer = new SqliteConfigStore(path);
    const reader = new SqliteConfigStore(path);
    const before = reader.changeCounter();
    const a = writer.get('a')!;
    writer.update({ ...a, data: { Port: 2525 } });
    assert.equal(reader.changeCounter(), before + 1);
    assert.deepEqual(reader.get('a')?.data, { Port: 2525 });
    writer.remove('c');
    assert.equal(reader.changeCounter(), before + 2);
    writer.close();
    reader.close();
  });

  it('rolls a failed transaction back as a whole', () => {
    const s = new SqliteConfigStore(path);
    const count = s.list('SendConnector').length;
    assert.throws(() => s.transaction(() => { s.insert(obj('d', 'Fresh')); s.insert(obj('e', 'fresh')); }), DuplicateObjectError);
    assert.equal(s.list('SendConnector').length, count);
    assert.throws(() => s.update(obj('zzz', 'Ghost')), /no longer exists/);
    s.close();
  });

  it('will not create a store unless asked', () => {
    assert.throws(() => new SqliteConfigStore(join(dir, 'nope.db')));
  });
});
