// Versioned store schemas. Every store (server.db, the organization store,
// queue.db with its tracking index) declares its schema as an ordered list of
// migrations, { version, up }: version 1 is the schema as stores were written
// before they carried a version, each later version changes the one before.
// A store records the version it is at; opening it:
//   - a new (empty) store runs every migration and is stamped with the last version;
//   - an older store is copied beside itself first (FILE.before-vN, 0600), then
//     migrated in one transaction, so that a failed migration changes nothing;
//   - a store newer than the code is refused, naming both versions.
// A store written before versions existed has tables but no version: it is
// taken as version 1 and migration 1 is run again on it, so migration 1 must be
// idempotent (CREATE ... IF NOT EXISTS, columns added only when missing).
//
// The contract (Migration, checkMigrations, pendingMigrations,
// SchemaTooNewError) knows no engine; migrateSqliteSchema applies it to a
// better-sqlite3 connection, where the version is SQLite's user_version.

import { closeSync, existsSync, openSync, unlinkSync } from 'node:fs';
import { basename } from 'node:path';
import Database from 'better-sqlite3';

/**
 * One step of a store's schema: `up` brings a store at version-1 to version, inside the
 * transaction of the whole migration. An engine with an asynchronous client declares
 * Migration<Client, Promise<void>>.
 */
export interface Migration<Connection, Result = void> {
  version: number;
  /** What the step changes, for people reading the list. */
  description: string;
  up(db: Connection): Result;
}

/** Throws unless the versions are 1, 2, 3, ... in order: a list with a gap or a repeat is a programming error. */
export function checkMigrations(store: string, migrations: readonly { version: number }[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`the schema migrations of ${store} must be numbered 1, 2, 3, ... in order; found version ${m.version} at position ${i + 1}`);
  });
  if (migrations.length === 0) throw new Error(`the schema of ${store} declares no migration`);
  return migrations.length;
}

/** The migrations a store at `current` still needs (all of them for a new store, at 0). */
export function pendingMigrations<M extends { version: number }>(migrations: readonly M[], current: number): M[] {
  return migrations.filter((m) => m.version > current);
}

/** A store written by a newer Gatehouse: this one must not read or change it. */
export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
  constructor(
    readonly store: string,
    readonly location: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(`${store} at ${location} is schema version ${found}; this Gatehouse reads up to version ${supported}: upgrade Gatehouse or restore a backup made by this version`);
  }
}

/** What opening a store did to its schema. */
export interface SchemaMigrated {
  store: string;
  location: string;
  /** The version found (1 for a store written before versions existed). */
  from: number;
  to: number;
  /** Whether the store carried no version (written before versions existed). */
  unversioned: boolean;
  /** The copy of the store as it was before (FILE.before-vN). */
  backup: string;
}

/** Hears about every store migrated in this process; by default a line on standard error. */
export type MigrationReporter = (m: SchemaMigrated) => void;

export function migrationNotice(m: SchemaMigrated): string {
  return `${m.store} at ${m.location} was migrated from schema version ${m.from}${m.unversioned ? ' (written before stores carried a version)' : ''} to ${m.to}; the copy from before is ${m.backup} (remove it once the server runs well)`;
}

let reporter: MigrationReporter = (m) => process.stderr.write(`gatehouse: ${migrationNotice(m)}\n`);

/** Tells whoever hears about migrations (engines other than SQLite report theirs here). */
export function reportMigration(m: SchemaMigrated): void {
  reporter(m);
}

/** Sets who hears about migrations (the service logs them as JSON lines); returns the previous reporter. */
export function setMigrationReporter(r: MigrationReporter): MigrationReporter {
  const previous = reporter;
  reporter = r;
  return previous;
}

export interface SqliteSchema {
  /** The store's name for people: "queue.db", "the organization store". */
  store: string;
  migrations: readonly Migration<Database.Database>[];
}

/** The version a SQLite store is at: its user_version, or 1 when it has tables but no version; 0 when empty. */
export function sqliteSchemaVersion(db: Database.Database): { version: number; unversioned: boolean } {
  const stamped = db.pragma('user_version', { simple: true }) as number;
  if (stamped > 0) return { version: stamped, unversioned: false };
  const tables = (db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
  return tables > 0 ? { version: 1, unversioned: true } : { version: 0, unversioned: false };
}

/** Refuses a store newer than `schema` (for connections that only read: they never migrate). */
export function assertSqliteReadable(db: Database.Database, schema: SqliteSchema, location: string): void {
  const latest = checkMigrations(schema.store, schema.migrations);
  const { version } = sqliteSchemaVersion(db);
  if (version > latest) throw new SchemaTooNewError(schema.store, location, version, latest);
}

/** A name beside the store that holds nothing yet: FILE.before-vN, or FILE.before-vN.2, .3, ... */
function backupName(location: string, to: number): string {
  const base = `${location}.before-v${to}`;
  for (let i = 1; i <= 100; i++) {
    const name = i === 1 ? base : `${base}.${i}`;
    if (!existsSync(name)) return name;
  }
  throw new Error(`cannot copy ${location} before migrating it: ${base} through ${base}.100 exist already; remove the old copies`);
}

/**
 * Brings the store open on `db` (the file at `location`) to the schema's last version, or refuses
 * it when it is newer. Several processes may open an old store at once: the write lock is taken
 * first and the version read under it, so one of them migrates and the others find it done.
 * The copy from before is taken under the same lock with VACUUM INTO on a second connection (a
 * reader, which the lock lets through): nothing can be written between the copy and the migration.
 */
export function migrateSqliteSchema(db: Database.Database, location: string, schema: SqliteSchema): SchemaMigrated | null {
  const latest = checkMigrations(schema.store, schema.migrations);
  // A quick look without the lock: a store at the last version (the usual case) takes no write lock.
  const seen = sqliteSchemaVersion(db);
  if (seen.version > latest) throw new SchemaTooNewError(schema.store, location, seen.version, latest);
  if (seen.version === latest && !seen.unversioned) return null;

  db.exec('BEGIN IMMEDIATE');
  let backup: string | null = null;
  try {
    const { version, unversioned } = sqliteSchemaVersion(db);
    if (version > latest) throw new SchemaTooNewError(schema.store, location, version, latest);
    if (version === latest && !unversioned) {
      db.exec('ROLLBACK');
      return null;
    }
    if (version > 0) backup = copyBeforeMigration(location, latest);
    // Migration 1 runs again on an unversioned store (it is idempotent): it completes the oldest layouts.
    for (const m of pendingMigrations(schema.migrations, unversioned ? 0 : version)) m.up(db);
    db.pragma(`user_version = ${latest}`);
    db.exec('COMMIT');
    if (!backup) return null;
    const done: SchemaMigrated = { store: schema.store, location, from: version, to: latest, unversioned, backup };
    reporter(done);
    return done;
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    if (backup) {
      // The store is unchanged: its copy is not needed.
      try {
        unlinkSync(backup);
      } catch {
        /* already gone */
      }
    }
    if (err instanceof SchemaTooNewError) throw err;
    throw new Error(`${schema.store} at ${location} could not be migrated to schema version ${latest}; it is unchanged: ${(err as Error).message}`);
  }
}

/** Copies the store (committed content, as a reader sees it) to FILE.before-vN, created 0600. */
function copyBeforeMigration(location: string, to: number): string {
  const target = backupName(location, to);
  closeSync(openSync(target, 'wx', 0o600)); // VACUUM INTO accepts an empty file, and keeps its mode
  const reader = new Database(location, { readonly: true, fileMustExist: true });
  try {
    reader.prepare('VACUUM INTO ?').run(target);
  } catch (err) {
    try {
      unlinkSync(target);
    } catch {
      /* nothing written */
    }
    throw new Error(`copying it to ${basename(target)} before the migration failed: ${(err as Error).message}`);
  } finally {
    reader.close();
  }
  return target;
}
