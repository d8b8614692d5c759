// Stores written before versions existed are migrated (copy first, data kept),
// stores newer than the code are refused, and a failed migration changes
// nothing. The old stores are built here with the DDL Gatehouse wrote then.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteQueueStore } from '../queue/sqlite-queue-store.js';
import { checkMigrations, migrateSqliteSchema, SchemaTooNewError, setMigrationReporter, type SchemaMigrated } from './schema-migrations.js';
import { configSchema, SqliteConfigStore } from './sqlite-config-store.js';

/** The configuration store's current version. */
const CONFIG_VERSION = configSchema('server.db').migrations.length;

const dir = mkdtempSync(join(tmpdir(), 'gh-schema-'));

/** queue.db as Gatehouse wrote it before stores carried a version (the bodies.file column was added by ALTER TABLE). */
const QUEUE_DDL_BEFORE_VERSIONS = `
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  network_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  sender TEXT NOT NULL,
  size INTEGER NOT NULL,
  envelope TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS in_flight (
  message INTEGER PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS suspended_messages (message INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS crash_counts (
  message INTEGER PRIMARY KEY,
  count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bodies (
  message INTEGER PRIMARY KEY REFERENCES messages(id),
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS recipients (
  message INTEGER NOT NULL REFERENCES messages(id),
  idx INTEGER NOT NULL,
  address TEXT NOT NULL,
  orcpt TEXT,
  notify TEXT,
  status TEXT NOT NULL DEFAULT 'Ready',
  next_hop TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error TEXT,
  delay_notified INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (message, idx)
);
CREATE INDEX IF NOT EXISTS recipients_status ON recipients (status, next_attempt_at);
-- A queue's recipients in message order (delivery takes them oldest first).
CREATE INDEX IF NOT EXISTS recipients_queue ON recipients (next_hop, message, idx);
-- When a queue is next due (its earliest retry time), without reading the queue.
CREATE INDEX IF NOT EXISTS recipients_due ON recipients (next_hop, status, next_attempt_at);
-- Messages by arrival time (delay notices and expiry look only at old ones).
CREATE INDEX IF NOT EXISTS messages_received ON messages (received_at);
DROP INDEX IF EXISTS recipients_hop;
CREATE TABLE IF NOT EXISTS queues (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  delivery_type TEXT NOT NULL,
  next_hop_domain TEXT NOT NULL,
  connector TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'Ready',
  failures INTEGER NOT NULL DEFAULT 0,
  next_retry_at INTEGER,
  last_error TEXT,
  last_attempt_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tracking_events (
  id INTEGER PRIMARY KEY,
  timestamp INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  source TEXT NOT NULL,
  internal_message_id INTEGER NOT NULL,
  message_id TEXT,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tracking_time ON tracking_events (timestamp);
CREATE INDEX IF NOT EXISTS tracking_message ON tracking_events (message_id);
`;

const CONFIG_DDL_BEFORE_VERSIONS = `
CREATE TABLE IF NOT EXISTS config_objects (
  guid TEXT PRIMARY KEY, type TEXT NOT NULL, server TEXT NOT NULL DEFAULT '', name TEXT NOT NULL, data TEXT NOT NULL,
  when_created TEXT NOT NULL, when_changed TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS config_objects_name ON config_objects (type, server, name COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS config_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO config_meta (key, value) VALUES ('change_counter', '0');
CREATE TRIGGER IF NOT EXISTS config_objects_ins AFTER INSERT ON config_objects BEGIN
  UPDATE config_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'change_counter'; END;
CREATE TRIGGER IF NOT EXISTS config_objects_upd AFTER UPDATE ON config_objects BEGIN
  UPDATE config_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'change_counter'; END;
CREATE TRIGGER IF NOT EXISTS config_objects_del AFTER DELETE ON config_objects BEGIN
  UPDATE config_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'change_counter'; END;
`;

function oldQueue(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(QUEUE_DDL_BEFORE_VERSIONS);
  db.exec('ALTER TABLE bodies ADD COLUMN file TEXT');
  const envelope = {
    sender: 'alice@fabrikam.com',
    recipients: [{ address: 'bob@contoso.com' }],
    bodyType: '7BIT',
    smtputf8: false,
    connector: 'EDGE01\\Default internal Receive connector EDGE01',
    principal: 'Anonymous',
    clientIp: '127.30.0.9',
    clientHelo: 'mx.fabrikam.com',
    serverIp: '127.30.0.1',
    serverFqdn: 'edge01.contoso.net',
    messageId: '<old@fabrikam.com>',
    subject: 'Written before versions',
    headerFrom: 'alice@fabrikam.com',
    receivedAt: new Date('2026-01-02T03:04:05Z'),
  };
  db.prepare('INSERT INTO messages (id, network_id, received_at, sender, size, envelope) VALUES (7, ?, ?, ?, ?, ?)').run('net-7', Date.parse('2026-01-02T03:04:05Z'), 'alice@fabrikam.com', 40, JSON.stringify(envelope));
  db.prepare('INSERT INTO bodies (message, data) VALUES (7, ?)').run(Buffer.from('Subject: Written before versions\r\n\r\nhello\r\n'));
  db.prepare("INSERT INTO recipients (message, idx, address, status, next_hop) VALUES (7, 0, 'bob@contoso.com', 'Retry', 'contoso.com')").run();
  db.prepare("INSERT INTO tracking_events (timestamp, event_id, source, internal_message_id, message_id, data) VALUES (?, 'RECEIVE', 'SMTP', 7, '<old@fabrikam.com>', ?)").run(
    Date.parse('2026-01-02T03:04:05Z'),
    JSON.stringify({ timestamp: '2026-01-02T03:04:05Z', eventId: 'RECEIVE', source: 'SMTP', internalMessageId: 7, messageId: '<old@fabrikam.com>', recipients: ['Alice@contoso.com'], sender: 'kim@fabrikam.com' }),
  );
  db.close();
}

function indexes(db: Database.Database, table: string): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name NOT LIKE 'sqlite_%' ORDER BY name").all(table) as { name: string }[]).map((r) => r.name);
}

describe('versioned store schemas', () => {
  const heard: SchemaMigrated[] = [];
  const previous = setMigrationReporter((m) => heard.push(m));
  after(() => {
    setMigrationReporter(previous);
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates a queue.db written before versions: a 0600 copy beside it first, then the tracking index gains its indexes, InternalId its counter, and the mail is kept', () => {
    const path = join(dir, 'queue.db');
    oldQueue(path);
    heard.length = 0;
    const q = new SqliteQueueStore(path);
    try {
      assert.deepEqual(q.migrated, { store: 'queue.db', location: path, from: 1, to: 5, unversioned: true, backup: `${path}.before-v5` });
      assert.deepEqual(heard, [q.migrated]);
      assert.equal(q.db.pragma('user_version', { simple: true }), 5);
      assert.ok(indexes(q.db, 'tracking_events').includes('tracking_internal_message'));
      assert.equal((q.db.prepare('SELECT last FROM internal_ids').get() as { last: number }).last, 7, 'the next InternalId follows the queued message');
      assert.deepEqual(q.db.prepare('SELECT address, role FROM tracking_addresses ORDER BY role').all(), [
        { address: 'kim@fabrikam.com', role: 0 },
        { address: 'alice@contoso.com', role: 1 },
      ]);
      const pending = q.pending(10);
      assert.deepEqual(
        pending.map((p) => [p.internalId, p.envelope.messageId]),
        [[7, '<old@fabrikam.com>']],
      );
      assert.equal(q.body(7)?.toString(), 'Subject: Written before versions\r\n\r\nhello\r\n');
      assert.deepEqual(
        q.trackingEvents('<old@fabrikam.com>').map((e) => e.eventId),
        ['RECEIVE'],
      );
    } finally {
      q.close();
    }
    const backup = `${path}.before-v5`;
    assert.equal(statSync(backup).mode & 0o777, 0o600);
    const copy = new Database(backup, { readonly: true });
    try {
      assert.equal(copy.pragma('user_version', { simple: true }), 0, 'the copy is the store as it was');
      assert.ok(!indexes(copy, 'tracking_events').includes('tracking_internal_message'));
      assert.equal((copy.prepare('SELECT COUNT(*) AS n FROM recipients').get() as { n: number }).n, 1);
    } finally {
      copy.close();
    }
    // Opened again: current, nothing to do, no second copy.
    const again = new SqliteQueueStore(path);
    assert.equal(again.migrated, null);
    again.close();
    assert.ok(!existsSync(`${backup}.2`));
  });

  it('migrates a configuration store written before versions and keeps its objects and change counter', () => {
    const path = join(dir, 'server.db');
    const db = new Database(path);
    db.exec(CONFIG_DDL_BEFORE_VERSIONS);
    db.prepare("INSERT INTO config_objects VALUES ('6f1c0d6e-0000-4000-8000-000000000001', 'AcceptedDomain', '', 'contoso.com', '{\"DomainName\":\"contoso.com\"}', '2026-01-01', '2026-01-01')").run();
    db.prepare("INSERT INTO config_meta VALUES ('role', 'EdgeTransport')").run();
    db.close();
    heard.length = 0;
    const store = new SqliteConfigStore(path);
    try {
      assert.equal(store.migrated?.from, 1);
      assert.equal(store.migrated?.to, CONFIG_VERSION);
      assert.equal(store.migrated?.backup, `${path}.before-v${CONFIG_VERSION}`);
      assert.equal(heard.length, 1);
      assert.equal(store.changeCounter(), 1);
      assert.equal(store.getMeta('role'), 'EdgeTransport');
      assert.deepEqual(store.findByName('AcceptedDomain', '', 'CONTOSO.COM')?.data, { DomainName: 'contoso.com' });
      assert.ok(store.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'account_logon_state'").get(), 'the logon table is part of the schema now');
      assert.ok(store.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'admin_audit_log'").get(), 'the audit log table is part of the schema now');
    } finally {
      store.close();
    }
    assert.ok(existsSync(`${path}.before-v${CONFIG_VERSION}`));
  });

  it('creates a new store at the last version, with no copy', () => {
    const path = join(dir, 'new.db');
    const store = new SqliteConfigStore(path, { create: true });
    assert.equal(store.migrated, null);
    assert.equal(store.db.pragma('user_version', { simple: true }), CONFIG_VERSION);
    store.close();
    assert.ok(!existsSync(`${path}.before-v${CONFIG_VERSION}`));
  });

  it('refuses a queue.db written by a newer Gatehouse, naming both versions, and leaves it alone', () => {
    const path = join(dir, 'newer-queue.db');
    const db = new Database(path);
    db.exec('CREATE TABLE from_the_future (x INTEGER); PRAGMA user_version = 6;');
    db.close();
    assert.throws(
      () => new SqliteQueueStore(path),
      (err: unknown) => {
        assert.ok(err instanceof SchemaTooNewError);
        assert.equal(err.message, `queue.db at ${path} is schema version 6; this Gatehouse reads up to version 5: upgrade Gatehouse or restore a backup made by this version`);
        return true;
      },
    );
    const check = new Database(path, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), 6);
    assert.ok(!check.prepare("SELECT 1 FROM sqlite_master WHERE name = 'messages'").get());
    check.close();
    assert.ok(!existsSync(`${path}.before-v5`));
  });

  it('rolls a failed migration back whole and removes its copy', () => {
    const path = join(dir, 'failing.db');
    const db = new Database(path);
    db.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1); PRAGMA user_version = 1;');
    const schema = {
      store: 'failing.db',
      migrations: [
        { version: 1, description: 'first', up: () => undefined },
        {
          version: 2,
          description: 'breaks halfway',
          up: (d: Database.Database) => {
            d.exec('INSERT INTO t VALUES (2)');
            d.exec('INSERT INTO missing VALUES (1)');
          },
        },
      ],
    };
    assert.throws(() => migrateSqliteSchema(db, path, schema), /failing\.db at .* could not be migrated to schema version 2; it is unchanged: no such table: missing/);
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    assert.deepEqual(db.prepare('SELECT x FROM t').all(), [{ x: 1 }]);
    db.close();
    assert.ok(!existsSync(`${path}.before-v2`));
  });

  it('refuses a migration list with a gap', () => {
    assert.throws(() => checkMigrations('x.db', [{ version: 1 }, { version: 3 }]), /numbered 1, 2, 3, \.\.\. in order; found version 3 at position 2/);
  });
});
