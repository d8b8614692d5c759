// PostgreSQL implementation of ConfigStore, for an organization whose Mailbox
// servers are on several hosts. The shell and setup use it synchronously
// (SyncPgClient); running services never do: they work from a snapshot
// (store/postgres/organization-feed.ts). Writers of every host are
// serialised by one advisory lock taken at the start of each write
// transaction, as SQLite's BEGIN IMMEDIATE serialises them on one host, so a
// name check followed by an insert is never raced; the unique index is the
// last word all the same.

import { DuplicateObjectError, type ConfigStore, type StoredObject } from './config-store.js';
import { describeTarget, type PgTarget } from './postgres/connection-options.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION, PG_TABLES, SCHEMA_LOCK, WRITERS_LOCK } from './postgres/schema.js';
import { checkMigrations, pendingMigrations, reportMigration, SchemaTooNewError } from './schema-migrations.js';
import { PgQueryError, SyncPgClient } from './postgres/sync-client.js';

export interface PgObjectRow {
  guid: string;
  type: string;
  server: string;
  name: string;
  data: string;
  when_created: string;
  when_changed: string;
}

export function objectFromPgRow(r: PgObjectRow): StoredObject {
  return { guid: r.guid, type: r.type, server: r.server, name: r.name, data: JSON.parse(r.data) as Record<string, unknown>, whenCreated: r.when_created, whenChanged: r.when_changed };
}

/** The order both engines list objects in (SQLite compares names byte by byte, so must PostgreSQL). */
export const PG_LIST_ORDER = 'ORDER BY when_created, name COLLATE "C"';

export class PostgresConfigStore implements ConfigStore {
  readonly location: string;
  readonly client: SyncPgClient;
  private depth = 0;

  /** Connects and makes sure the schema is there and current (creating it with create: true). */
  constructor(
    readonly target: PgTarget,
    options: { password?: string; create?: boolean } = {},
  ) {
    this.location = target.url;
    this.client = new SyncPgClient(target, options.password);
    try {
      this.prepareSchema(options.create === true);
    } catch (err) {
      this.client.close();
      throw err;
    }
  }

  /** True while a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.depth > 0;
  }

  list(type: string, server?: string): StoredObject[] {
    const rows =
      server === undefined
        ? this.client.query<PgObjectRow>(`SELECT * FROM config_objects WHERE type = $1 ${PG_LIST_ORDER}`, [type])
        : this.client.query<PgObjectRow>(`SELECT * FROM config_objects WHERE type = $1 AND lower(server) = lower($2) ${PG_LIST_ORDER}`, [type, server]);
    return rows.map(objectFromPgRow);
  }

  /** Every object, for a snapshot. */
  all(): StoredObject[] {
    return this.client.query<PgObjectRow>(`SELECT * FROM config_objects ${PG_LIST_ORDER}`).map(objectFromPgRow);
  }

  get(guid: string): StoredObject | undefined {
    const row = this.client.query<PgObjectRow>('SELECT * FROM config_objects WHERE lower(guid) = lower($1)', [guid])[0];
    return row && objectFromPgRow(row);
  }

  findByName(type: string, server: string, name: string): StoredObject | undefined {
    const row = this.client.query<PgObjectRow>('SELECT * FROM config_objects WHERE type = $1 AND lower(server) = lower($2) AND lower(name) = lower($3)', [type, server, name])[0];
    return row && objectFromPgRow(row);
  }

  insert(obj: StoredObject): void {
    this.write(obj, () =>
      this.client.run('INSERT INTO config_objects (guid, type, server, name, data, when_created, when_changed) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        obj.guid,
        obj.type,
        obj.server,
        obj.name,
        JSON.stringify(obj.data),
        obj.whenCreated,
        obj.whenChanged,
      ]),
    );
  }

  update(obj: StoredObject): void {
    this.write(obj, () => {
      const n = this.client.run('UPDATE config_objects SET name = $1, server = $2, data = $3, when_changed = $4 WHERE guid = $5', [obj.name, obj.server, JSON.stringify(obj.data), obj.whenChanged, obj.guid]);
      if (n !== 1) throw new Error(`object ${obj.guid} no longer exists (removed by another session?)`);
    });
  }

  remove(guid: string): void {
    this.write(null, () => this.client.run('DELETE FROM config_objects WHERE guid = $1', [guid]));
  }

  transaction<T>(fn: () => T): T {
    if (this.depth > 0) {
      const savepoint = `s${this.depth}`;
      this.client.run(`SAVEPOINT ${savepoint}`);
      this.depth++;
      try {
        const result = fn();
        this.client.run(`RELEASE SAVEPOINT ${savepoint}`);
        return result;
      } catch (err) {
        this.rollbackQuietly(`ROLLBACK TO SAVEPOINT ${savepoint}`);
        throw err;
      } finally {
        this.depth--;
      }
    }
    this.client.run('BEGIN');
    this.depth = 1;
    try {
      this.client.query('SELECT pg_advisory_xact_lock($1)', [WRITERS_LOCK]);
      const result = fn();
      this.client.run('COMMIT');
      return result;
    } catch (err) {
      this.rollbackQuietly('ROLLBACK');
      throw err;
    } finally {
      this.depth = 0;
    }
  }

  changeCounter(): number {
    return Number(this.getMeta('change_counter') ?? 0);
  }

  getMeta(key: string): string | undefined {
    return this.client.query<{ value: string }>('SELECT value FROM config_meta WHERE key = $1', [key])[0]?.value;
  }

  /** Every meta value, for a snapshot. */
  allMeta(): Record<string, string> {
    return Object.fromEntries(this.client.query<{ key: string; value: string }>('SELECT key, value FROM config_meta').map((r) => [r.key, r.value]));
  }

  setMeta(key: string, value: string): void {
    this.client.run('INSERT INTO config_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  close(): void {
    this.client.close();
  }

  /** A single write outside a transaction still takes the writers' lock (it is one then). */
  private write(obj: StoredObject | null, fn: () => void): void {
    const run = () => {
      try {
        fn();
      } catch (err) {
        if (obj && err instanceof PgQueryError && err.code === '23505') throw new DuplicateObjectError(obj.type, obj.name);
        throw err;
      }
    };
    if (this.depth > 0) run();
    else this.transaction(run);
  }

  private rollbackQuietly(sql: string): void {
    try {
      this.client.run(sql);
    } catch {
      // the connection is gone: PostgreSQL has rolled the transaction back itself
    }
  }

  /** The version the organization is at: null when it has no tables yet. */
  private version(): number | null {
    const exists = this.client.query<{ t: string | null }>("SELECT to_regclass('config_meta')::text AS t")[0]?.t;
    if (!exists) return null;
    const v = this.client.query<{ value: string }>("SELECT value FROM config_meta WHERE key = 'schema_version'")[0]?.value;
    return v === undefined ? 1 : Number(v);
  }

  private prepareSchema(create: boolean): void {
    checkMigrations('the organization store', PG_MIGRATIONS);
    const seen = this.version();
    if (seen === PG_SCHEMA_VERSION) return;
    this.checkNotNewer(seen);
    if (seen === null && !create) {
      throw new Error(`${describeTarget(this.target)} holds no Gatehouse organization (no config_meta table); create one with gatehouse setup --role Mailbox ... --org ${this.target.url}`);
    }
    this.client.run('BEGIN');
    try {
      this.client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      const now = this.version(); // another host may have created or migrated it meanwhile
      this.checkNotNewer(now);
      const from = now ?? 0;
      const steps = pendingMigrations(PG_MIGRATIONS, from);
      // An existing organization keeps a copy of its tables as they were (TABLE_before_vN), to undo by hand.
      const backup = from > 0 && steps.length > 0 ? PG_TABLES.map((t) => `${t}_before_v${PG_SCHEMA_VERSION}`) : [];
      backup.forEach((copy, i) => this.client.run(`CREATE TABLE ${copy} AS TABLE ${PG_TABLES[i]}`));
      for (const m of steps) m.up(this.client);
      this.client.run("INSERT INTO config_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(PG_SCHEMA_VERSION)]);
      this.client.run('COMMIT');
      if (backup.length > 0) {
        reportMigration({ store: 'the organization store', location: this.target.url, from, to: PG_SCHEMA_VERSION, unversioned: false, backup: `tables ${backup.join(', ')}` });
      }
    } catch (err) {
      this.rollbackQuietly('ROLLBACK');
      throw err;
    }
  }

  private checkNotNewer(v: number | null): void {
    if (v !== null && v > PG_SCHEMA_VERSION) throw new SchemaTooNewError('the organization store', this.target.url, v, PG_SCHEMA_VERSION);
  }
}
