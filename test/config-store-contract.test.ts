// The ConfigStore contract, run against both engines: SQLite (the embedded
// default) and PostgreSQL (a private cluster on loopback). Unique names per
// type and server without regard to case, all-or-nothing transactions,
// nested ones rolled back alone, a change counter that every change moves and
// another connection sees, the list order, meta values; and the snapshot the
// transport service works from answers as the store it was read from.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuplicateObjectError, type ConfigStore, type StoredObject } from '../src/store/config-store.js';
import { PostgresConfigStore } from '../src/store/postgres-config-store.js';
import { parseOrganizationUrl } from '../src/store/postgres/connection-options.js';
import { SnapshotConfigStore } from '../src/store/snapshot-config-store.js';
import { SqliteConfigStore } from '../src/store/sqlite-config-store.js';
import { scratchDir } from './harness/gatehouse.js';
import { startPostgres, type PgCluster } from './harness/postgres.js';

const PG_HOST = '127.35.2.1';
const PG_PORT = 5432;
const PASSWORD = 'Contract-Pw-4410';

let n = 0;
function obj(name: string, server = '', type = 'SendConnector'): StoredObject {
  const t = new Date(Date.UTC(2026, 0, 1, 0, 0, n++)).toISOString();
  return { guid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, type, server, name, data: { Port: 25, Hosts: ['a', 'b'] }, whenCreated: t, whenChanged: t };
}

interface Engine {
  name: string;
  open(create?: boolean): ConfigStore;
  missing(): () => ConfigStore;
}

function contract(engine: () => Engine): void {
  it('stores, finds case-insensitively, and refuses duplicate names per type and server', () => {
    const s = engine().open(true);
    try {
      const a = obj('To Internet');
      s.insert(a);
      assert.equal(s.findByName('SendConnector', '', 'to internet')?.guid, a.guid);
      assert.deepEqual(s.get(a.guid.toUpperCase())?.data, { Port: 25, Hosts: ['a', 'b'] });
      assert.throws(() => s.insert(obj('TO INTERNET')), DuplicateObjectError);
      s.insert(obj('To Internet', 'EDGE01'));
      s.insert(obj('To Internet', '', 'ReceiveConnector'));
      assert.equal(s.list('SendConnector').length, 2);
      assert.equal(s.list('SendConnector', 'edge01').length, 1);
      assert.throws(() => s.insert(obj('to internet', 'EDGE01')), DuplicateObjectError);
    } finally {
      s.close();
    }
  });

  it('lists by creation time, then name byte by byte', () => {
    const s = engine().open();
    try {
      const t = '2030-01-01T00:00:00.000Z';
      for (const name of ['b', 'C', 'a']) s.insert({ ...obj(name, '', 'Order'), whenCreated: t, whenChanged: t });
      s.insert({ ...obj('0', '', 'Order'), whenCreated: '2029-01-01T00:00:00.000Z' });
      assert.deepEqual(
        s.list('Order').map((o) => o.name),
        ['0', 'C', 'a', 'b'],
      );
    } finally {
      s.close();
    }
  });

  it('bumps the change counter on every change, seen by another connection', () => {
    const writer = engine().open();
    const reader = engine().open();
    try {
      const before = reader.changeCounter();
      const a = writer.findByName('SendConnector', '', 'To Internet')!;
      writer.update({ ...a, data: { Port: 2525 } });
      assert.equal(reader.changeCounter(), before + 1);
      assert.deepEqual(reader.get(a.guid)?.data, { Port: 2525 });
      writer.remove(writer.findByName('SendConnector', 'EDGE01', 'To Internet')!.guid);
      assert.equal(reader.changeCounter(), before + 2);
      writer.setMeta('note', 'x');
      assert.equal(reader.changeCounter(), before + 2, 'meta values are not configuration changes');
      assert.equal(reader.getMeta('note'), 'x');
    } finally {
      writer.close();
      reader.close();
    }
  });

  it('rolls a failed transaction back as a whole, and a failed nested one alone', () => {
    const s = engine().open();
    try {
      const count = s.list('SendConnector').length;
      const counter = s.changeCounter();
      assert.throws(
        () =>
          s.transaction(() => {
            s.insert(obj('Fresh'));
            s.insert(obj('fresh'));
          }),
        DuplicateObjectError,
      );
      assert.equal(s.list('SendConnector').length, count);
      assert.equal(s.changeCounter(), counter, 'a rolled-back change moves nothing');
      s.transaction(() => {
        s.insert(obj('Kept'));
        assert.throws(
          () =>
            s.transaction(() => {
              s.insert(obj('Nested'));
              s.insert(obj('NESTED'));
            }),
          DuplicateObjectError,
        );
      });
      assert.ok(s.findByName('SendConnector', '', 'kept'));
      assert.equal(s.findByName('SendConnector', '', 'nested'), undefined);
      assert.throws(() => s.update(obj('Ghost')), /no longer exists/);
    } finally {
      s.close();
    }
  });

  it('will not create a store unless asked', () => {
    assert.throws(engine().missing());
  });

  it('gives the service a snapshot that answers as the store does', () => {
    const s = engine().open();
    try {
      const all = [...s.list('SendConnector'), ...s.list('ReceiveConnector'), ...s.list('Order')];
      const snap = new SnapshotConfigStore(s.location, { objects: all, meta: { change_counter: String(s.changeCounter()) } });
      for (const type of ['SendConnector', 'ReceiveConnector', 'Order']) assert.deepEqual(snap.list(type), s.list(type));
      assert.deepEqual(snap.list('SendConnector', 'EDGE01'), s.list('SendConnector', 'EDGE01'));
      assert.deepEqual(snap.findByName('SendConnector', '', 'TO INTERNET'), s.findByName('SendConnector', '', 'TO INTERNET'));
      assert.equal(snap.changeCounter(), s.changeCounter());
      assert.throws(() => snap.insert(), /reads .* from a snapshot and does not change it/);
    } finally {
      s.close();
    }
  });
}

describe('ConfigStore on SQLite', () => {
  const dir = scratchDir('store-sqlite');
  after(() => dir.remove());
  contract(() => ({
    name: 'sqlite',
    open: (create) => new SqliteConfigStore(join(dir.path, 'org.db'), { create: create === true }),
    missing: () => () => new SqliteConfigStore(join(dir.path, 'nope.db')),
  }));
});

describe('ConfigStore on PostgreSQL', () => {
  const dir = scratchDir('store-pg');
  let pg: PgCluster;
  before(() => {
    pg = startPostgres({ dir: dir.path, host: PG_HOST, port: PG_PORT });
    pg.createDatabase('contract', 'gatehouse', PASSWORD);
    pg.createDatabase('empty', 'gatehouse', PASSWORD);
  });
  after(async () => {
    await pg.stop();
    dir.remove();
  });
  contract(() => ({
    name: 'postgresql',
    open: (create) => new PostgresConfigStore(parseOrganizationUrl(pg.url('contract', 'gatehouse', 'sslmode=disable')), { password: PASSWORD, create: create === true }),
    missing: () => () => new PostgresConfigStore(parseOrganizationUrl(pg.url('empty', 'gatehouse', 'sslmode=disable')), { password: PASSWORD }),
  }));
});
