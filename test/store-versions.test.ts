// Versioned stores, end to end with the built binary: a server whose
// server.db and queue.db are in the layout written before stores carried a
// version starts, logs where the copy of each store went (0600, beside it),
// and keeps its queued mail; a store from a newer Gatehouse stops `start` and
// the shell with a message naming both versions, and is left as it was.

import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startService } from './harness/service.js';
import { configSchema } from '../src/store/sqlite-config-store.js';

/** server.db's current schema version. */
const CONFIG_VERSION = configSchema('server.db').migrations.length;

const EDGE = '127.30.2.1';
const CLOSED = '127.30.2.2';
const CLIENT = '127.30.2.3';

function sql(path: string, text: string): void {
  const db = new Database(path);
  try {
    db.exec(text);
  } finally {
    db.close();
  }
}

function userVersion(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('versioned stores', () => {
  const dir = scratchDir('store-versions');
  const data = join(dir.path, 'EDGE01');
  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const r = await gatehouse([
      'shell',
      '--data',
      data,
      '-c',
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com -DomainType InternalRelay',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -TarpitInterval 00:00:00`,
        `New-SendConnector "Held" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts "[${CLOSED}]" -Port 2599`,
      ].join('; '),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const service = await startService(data);
    try {
      const sent = spawnSync('swaks', ['--server', `${EDGE}:25`, '--local-interface', CLIENT, '--from', 'alice@fabrikam.com', '--to', 'bob@contoso.com', '--header', 'Subject: kept across the migration', '--body', 'hello'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(sent.status, 0, sent.stdout);
    } finally {
      await service.stop();
    }
  });
  after(() => dir.remove());

  it('migrates stores written before versions when the service starts, with a copy of each beside it', async () => {
    // The layout Gatehouse wrote before: no version, no logon table until a first failed logon, no tracking index by message
    // number or address, no InternalId counter.
    sql(join(data, 'server.db'), 'PRAGMA user_version = 0; DROP TABLE account_logon_state;');
    sql(join(data, 'queue.db'), 'PRAGMA user_version = 0; DROP INDEX tracking_internal_message; DROP TRIGGER tracking_addresses_insert; DROP TRIGGER tracking_addresses_delete; DROP TABLE tracking_addresses; DROP TABLE internal_ids;');

    const service = await startService(data);
    try {
      const migrated = service.lines.filter((l) => l.event === 'store.migrated');
      assert.deepEqual(migrated.map((l) => [l.store, l.path, l.fromVersion, l.toVersion, l.backup]).sort(), [
        ['queue.db', join(data, 'queue.db'), 1, 5, join(data, 'queue.db.before-v5')],
        ['server.db', join(data, 'server.db'), 1, CONFIG_VERSION, join(data, `server.db.before-v${CONFIG_VERSION}`)],
      ]);
      for (const copy of [`server.db.before-v${CONFIG_VERSION}`, 'queue.db.before-v5']) {
        assert.equal(statSync(join(data, copy)).mode & 0o777, 0o600, `${copy} is private`);
        assert.equal(userVersion(join(data, copy)), 0, `${copy} is the store as it was`);
      }
      assert.equal(userVersion(join(data, 'server.db')), CONFIG_VERSION);
      assert.equal(userVersion(join(data, 'queue.db')), 5);
      const shown = await gatehouse(['shell', '--data', data, '-c', 'Get-Message | Format-List Subject; Get-MessageTrackingLog -InternalMessageId 1 -EventId RECEIVE | Format-List EventId']);
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(shown.stderr, '', 'the shell finds the stores current: nothing to migrate, nothing to say');
      const records = formatListRecords(shown.stdout);
      assert.deepEqual(
        records.map((r) => r.Subject ?? r.EventId),
        ['kept across the migration', 'RECEIVE'],
      );
    } finally {
      await service.stop();
    }
  });

  it('refuses a store written by a newer Gatehouse, naming both versions, and leaves it as it was', async () => {
    const queue = join(data, 'queue.db');
    sql(queue, 'PRAGMA user_version = 7;');
    const start = await gatehouse(['start', '--data', data]);
    assert.equal(start.code, 1);
    assert.match(start.stderr, new RegExp(`queue\\.db at ${queue.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is schema version 7; this Gatehouse reads up to version 5: upgrade Gatehouse or restore a backup`));
    assert.equal(userVersion(queue), 7);
    assert.ok(!existsSync(`${queue}.before-v5.2`), 'no copy: nothing was migrated');
    sql(queue, 'PRAGMA user_version = 5;');

    const server = join(data, 'server.db');
    sql(server, `PRAGMA user_version = ${CONFIG_VERSION + 1};`);
    const shell = await gatehouse(['shell', '--data', data, '-c', 'Get-AcceptedDomain']);
    assert.equal(shell.code, 1);
    assert.match(shell.stderr, new RegExp(`server\\.db at .* is schema version ${CONFIG_VERSION + 1}; this Gatehouse reads up to version ${CONFIG_VERSION}: upgrade Gatehouse or restore a backup`));
    assert.equal(userVersion(server), CONFIG_VERSION + 1);
    sql(server, `PRAGMA user_version = ${CONFIG_VERSION};`);
  });
});
