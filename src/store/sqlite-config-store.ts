// SQLite implementation of ConfigStore (better-sqlite3, WAL). Several
// processes (the shell, the transport service, a second Mailbox server on the
// same host) open the same file: writes take the lock up front (BEGIN
// IMMEDIATE) and wait for it up to busy_timeout. Triggers bump the change
// counter, so no writer can forget to. The schema is versioned (configSchema):
// an older store is copied and migrated when opened, a newer one refused.

import { closeSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import Database from 'better-sqlite3';
import { ACCOUNT_LOGON_SCHEMA } from './account-logon-store.js';
import { ADMIN_AUDIT_SCHEMA } from './admin-audit-store.js';
import { DuplicateObjectError, type ConfigStore, type StoredObject } from './config-store.js';
import { migrateSqliteSchema, type SchemaMigrated, type SqliteSchema } from './schema-migrations.js';

/** Version 1: the layout written before configuration stores carried a version (idempotent). Frozen: a change is a new migration in configSchema. */
const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS config_objects (
  guid TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  server TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  data TEXT NOT NULL,
  when_created TEXT NOT NULL,
  when_changed TEXT NOT NULL
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

/** The schema of a configuration store (server.db, the organization store): schema-migrations.ts. */
export function configSchema(store: string): SqliteSchema {
  return {
    store,
    migrations: [
      { version: 1, description: 'configuration objects, meta values and the change counter triggers', up: (db) => db.exec(SCHEMA_V1) },
      // Before, the table was created by the first failed logon, on a connection that never waits for
      // the lock (the service's): it now exists from the start, in the same schema as the accounts.
      { version: 2, description: 'account logon state (bad-password counts, lockouts) as part of the schema', up: (db) => db.exec(ACCOUNT_LOGON_SCHEMA) },
      { version: 3, description: 'the administrator audit log (no trigger: an entry is no configuration change)', up: (db) => db.exec(ADMIN_AUDIT_SCHEMA) },
    ],
  };
}

interface Row {
  guid: string;
  type: string;
  server: string;
  name: string;
  data: string;
  when_created: string;
  when_changed: string;
}

function fromRow(r: Row): StoredObject {
  return { guid: r.guid, type: r.type, server: r.server, name: r.name, data: JSON.parse(r.data) as Record<string, unknown>, whenCreated: r.when_created, whenChanged: r.when_changed };
}

export class SqliteConfigStore implements ConfigStore {
  readonly location: string;
  readonly db: Database.Database;
  /** What opening did to an older store (null: it was current, or new). */
  readonly migrated: SchemaMigrated | null;

  /** Opens (and with create: true, creates) the store file. */
  constructor(path: string, options: { create?: boolean; name?: string } = {}) {
    this.location = path;
    // A new store is created 0600 (it holds password hashes and sealed secrets); SQLite gives -wal
    // and -shm the database file's mode.
    if (options.create) closeSync(openSync(path, 'a', 0o600));
    this.db = new Database(path, { fileMustExist: !options.create });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    try {
      this.migrated = migrateSqliteSchema(this.db, path, configSchema(options.name ?? basename(path)));
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  list(type: string, server?: string): StoredObject[] {
    const rows =
      server === undefined
        ? (this.db.prepare('SELECT * FROM config_objects WHERE type = ? ORDER BY when_created, name').all(type) as Row[])
        : (this.db.prepare('SELECT * FROM config_objects WHERE type = ? AND server = ? COLLATE NOCASE ORDER BY when_created, name').all(type, server) as Row[]);
    return rows.map(fromRow);
  }

  all(): StoredObject[] {
    return (this.db.prepare('SELECT * FROM config_objects ORDER BY when_created, name').all() as Row[]).map(fromRow);
  }

  get(guid: string): StoredObject | undefined {
    const row = this.db.prepare('SELECT * FROM config_objects WHERE guid = ? COLLATE NOCASE').get(guid) as Row | undefined;
    return row && fromRow(row);
  }

  findByName(type: string, server: string, name: string): StoredObject | undefined {
    const row = this.db.prepare('SELECT * FROM config_objects WHERE type = ? AND server = ? COLLATE NOCASE AND name = ? COLLATE NOCASE').get(type, server, name) as Row | undefined;
    return row && fromRow(row);
  }

  insert(obj: StoredObject): void {
    try {
      this.db
        .prepare('INSERT INTO config_objects (guid, type, server, name, data, when_created, when_changed) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(obj.guid, obj.type, obj.server, obj.name, JSON.stringify(obj.data), obj.whenCreated, obj.whenChanged);
    } catch (err) {
      throw this.mapConstraint(err, obj);
    }
  }

  update(obj: StoredObject): void {
    try {
      const r = this.db.prepare('UPDATE config_objects SET name = ?, server = ?, data = ?, when_changed = ? WHERE guid = ?').run(obj.name, obj.server, JSON.stringify(obj.data), obj.whenChanged, obj.guid);
      if (r.changes !== 1) throw new Error(`object ${obj.guid} no longer exists (removed by another session?)`);
    } catch (err) {
      throw this.mapConstraint(err, obj);
    }
  }

  remove(guid: string): void {
    this.db.prepare('DELETE FROM config_objects WHERE guid = ?').run(guid);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  changeCounter(): number {
    const row = this.db.prepare("SELECT value FROM config_meta WHERE key = 'change_counter'").get() as { value: string };
    return Number(row.value);
  }

  getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM config_meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO config_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    this.db.close();
  }

  private mapConstraint(err: unknown, obj: StoredObject): unknown {
    if (err instanceof Error && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return new DuplicateObjectError(obj.type, obj.name);
    return err;
  }
}
