// Where the administrator audit log is kept: a table of its own beside the
// configuration objects, in the same store (the organization store on Mailbox
// servers, so that every server and shell of the organization sees one log;
// server.db on an Edge). One row per state-changing cmdlet run: who, from
// where, on which server, the cmdlet, its parameters (secrets already
// masked by the caller), the object, when, and whether it succeeded.
// Appending does not move the store's change counter: an audit entry is not a
// configuration change and must not make the running services reload.

import type Database from 'better-sqlite3';

export interface AdminAuditParameter {
  name: string;
  /** The value as the log shows it (secrets masked before they get here). */
  value: string;
}

export interface AdminAuditRecord {
  /** The entry's number in the log (set by the store; absent before it is written). */
  id?: number;
  runDate: Date;
  /** Who ran the cmdlet: the operating-system user of a local shell, DOMAIN\user of a remote session. */
  caller: string;
  /** Where from: 'local' for a shell on the server's own disk, the client's address for a remote session. */
  origin: string;
  /** The server whose shell ran it. */
  originatingServer: string;
  cmdletName: string;
  parameters: AdminAuditParameter[];
  /** The object the cmdlet changed (its identity or name as given), '' when none. */
  objectModified: string;
  succeeded: boolean;
  /** The error message when it failed. */
  error: string | null;
}

/** A search (Search-AdminAuditLog): every given criterion must match; lists match any of their items. */
export interface AdminAuditQuery {
  start?: Date;
  end?: Date;
  isSuccess?: boolean;
}

export interface AdminAuditStore {
  append(record: AdminAuditRecord): void;
  /** Entries in the date range and outcome asked for, newest first. */
  search(query: AdminAuditQuery): AdminAuditRecord[];
  /** Removes the entries older than `cutoff`; returns how many. */
  removeOlderThan(cutoff: Date): number;
}

/** The table (part of the configuration store's schema, version 3: sqlite-config-store.ts). */
export const ADMIN_AUDIT_SCHEMA = `
CREATE TABLE IF NOT EXISTS admin_audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_date TEXT NOT NULL,
  caller TEXT NOT NULL,
  origin TEXT NOT NULL,
  originating_server TEXT NOT NULL,
  cmdlet TEXT NOT NULL,
  parameters TEXT NOT NULL,
  object_modified TEXT NOT NULL,
  succeeded INTEGER NOT NULL,
  error TEXT
);
CREATE INDEX IF NOT EXISTS admin_audit_log_run_date ON admin_audit_log (run_date);`;

export interface AuditRow {
  id: number | string;
  run_date: string;
  caller: string;
  origin: string;
  originating_server: string;
  cmdlet: string;
  parameters: string;
  object_modified: string;
  succeeded: number | boolean;
  error: string | null;
}

export function recordFromRow(r: AuditRow): AdminAuditRecord {
  return {
    id: Number(r.id),
    runDate: new Date(r.run_date),
    caller: r.caller,
    origin: r.origin,
    originatingServer: r.originating_server,
    cmdletName: r.cmdlet,
    parameters: JSON.parse(r.parameters) as AdminAuditParameter[],
    objectModified: r.object_modified,
    succeeded: r.succeeded === true || r.succeeded === 1,
    error: r.error,
  };
}

/** The row values in column order (run_date ... error), for both engines. */
export function rowValues(r: AdminAuditRecord): [string, string, string, string, string, string, string, string | null] {
  return [r.runDate.toISOString(), r.caller, r.origin, r.originatingServer, r.cmdletName, JSON.stringify(r.parameters), r.objectModified, r.error];
}

export class SqliteAdminAuditStore implements AdminAuditStore {
  /** Uses the store's open connection (the shell's). */
  constructor(private readonly db: Database.Database) {}

  append(record: AdminAuditRecord): void {
    const [runDate, caller, origin, server, cmdlet, parameters, object, error] = rowValues(record);
    this.db
      .prepare(
        `INSERT INTO admin_audit_log (run_date, caller, origin, originating_server, cmdlet, parameters, object_modified, succeeded, error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(runDate, caller, origin, server, cmdlet, parameters, object, record.succeeded ? 1 : 0, error);
  }

  search(query: AdminAuditQuery): AdminAuditRecord[] {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.start) {
      where.push('run_date >= ?');
      values.push(query.start.toISOString());
    }
    if (query.end) {
      where.push('run_date <= ?');
      values.push(query.end.toISOString());
    }
    if (query.isSuccess !== undefined) {
      where.push('succeeded = ?');
      values.push(query.isSuccess ? 1 : 0);
    }
    const sql = `SELECT * FROM admin_audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY run_date DESC, id DESC`;
    return (this.db.prepare(sql).all(...values) as AuditRow[]).map(recordFromRow);
  }

  removeOlderThan(cutoff: Date): number {
    return this.db.prepare('DELETE FROM admin_audit_log WHERE run_date < ?').run(cutoff.toISOString()).changes;
  }
}
