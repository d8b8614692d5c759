// The administrator audit log of an organization kept in PostgreSQL: the
// same contract as the SQLite table (admin-audit-store.ts), on the shell's
// connection. The table has no trigger: appending an entry neither moves the
// change counter nor sends a NOTIFY, so running services never hear of it.

import { recordFromRow, rowValues, type AdminAuditQuery, type AdminAuditRecord, type AdminAuditStore, type AuditRow } from './admin-audit-store.js';
import type { SyncPgClient } from './postgres/sync-client.js';

export class PostgresAdminAuditStore implements AdminAuditStore {
  constructor(private readonly client: SyncPgClient) {}

  append(record: AdminAuditRecord): void {
    const [runDate, caller, origin, server, cmdlet, parameters, object, error] = rowValues(record);
    this.client.run(
      `INSERT INTO admin_audit_log (run_date, caller, origin, originating_server, cmdlet, parameters, object_modified, succeeded, error)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [runDate, caller, origin, server, cmdlet, parameters, object, record.succeeded, error],
    );
  }

  search(query: AdminAuditQuery): AdminAuditRecord[] {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.start) {
      values.push(query.start.toISOString());
      where.push(`run_date >= $${values.length}`);
    }
    if (query.end) {
      values.push(query.end.toISOString());
      where.push(`run_date <= $${values.length}`);
    }
    if (query.isSuccess !== undefined) {
      values.push(query.isSuccess);
      where.push(`succeeded = $${values.length}`);
    }
    const sql = `SELECT * FROM admin_audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY run_date DESC, id DESC`;
    return this.client.query<AuditRow>(sql, values).map(recordFromRow);
  }

  removeOlderThan(cutoff: Date): number {
    return this.client.run('DELETE FROM admin_audit_log WHERE run_date < $1', [cutoff.toISOString()]);
  }
}
