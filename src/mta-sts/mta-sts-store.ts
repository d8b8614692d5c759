// The MTA-STS policy cache and the TLS-RPT session counts of one server, in
// its own SQLite file (mta-sts.db in the data folder, WAL): the delivery
// thread writes both, the shell (Send-TlsReport) reads and claims the counts.
//
// Invariants:
// - A cached policy is kept until its max_age has passed (RFC 8461 §3.3); a
//   policy found expired is dropped when read.
// - Session counts are aggregated per UTC day and per (policy, result,
//   receiving MX, receiving IP): one row per distinct outcome, a counter.
// - Claiming the counts for a report deletes them in the same transaction, so
//   that the service's daily run and Send-TlsReport never report a session twice.

import Database from 'better-sqlite3';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const MTA_STS_DB = 'mta-sts.db';

/** A policy as fetched (RFC 8461 §3.2), with its DNS id and when it expires. */
export interface CachedPolicy {
  domain: string;
  id: string;
  mode: 'enforce' | 'testing' | 'none';
  mx: string[];
  maxAge: number;
  /** The policy file's lines, for the TLS report's policy-string. */
  lines: string[];
  fetchedAt: number;
  expiresAt: number;
}

/** RFC 8460 §4.3 result types this server records. */
export type TlsResultType = 'starttls-not-supported' | 'certificate-host-mismatch' | 'certificate-expired' | 'certificate-not-trusted' | 'validation-failure' | 'sts-policy-fetch-error' | 'sts-policy-invalid' | 'sts-webpki-invalid';

/** One TLS session (or policy fetch) outcome for a policy domain. */
export interface TlsSessionResult {
  at: number;
  policyDomain: string;
  policyType: 'sts' | 'no-policy-found';
  /** The policy file's lines (sts), else empty. */
  policyString: string[];
  /** The policy's mx patterns (sts), else empty. */
  mxHost: string[];
  /** null: a successful session. */
  resultType: TlsResultType | null;
  receivingMxHostname?: string;
  receivingIp?: string;
  /** A short reason (an OpenSSL code, "no STARTTLS", an HTTP status). */
  failureReasonCode?: string;
}

export interface CountRow {
  day: string;
  policyDomain: string;
  policyType: 'sts' | 'no-policy-found';
  policyString: string[];
  mxHost: string[];
  resultType: TlsResultType | null;
  receivingMxHostname: string;
  receivingIp: string;
  failureReasonCode: string;
  count: number;
}

/** The UTC day of a time, "YYYY-MM-DD". */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class MtaStsStore {
  readonly db: Database.Database;

  constructor(dataDir: string) {
    const file = join(dataDir, MTA_STS_DB);
    const created = !existsSync(file);
    this.db = new Database(file);
    if (created) chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS sts_policy (
        domain TEXT PRIMARY KEY, id TEXT NOT NULL, mode TEXT NOT NULL, mx TEXT NOT NULL, max_age INTEGER NOT NULL,
        lines TEXT NOT NULL, fetched_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS tls_session_count (
        day TEXT NOT NULL, policy_domain TEXT NOT NULL, policy_type TEXT NOT NULL, policy_string TEXT NOT NULL, mx_host TEXT NOT NULL,
        result_type TEXT NOT NULL, receiving_mx TEXT NOT NULL, receiving_ip TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (day, policy_domain, policy_type, policy_string, mx_host, result_type, receiving_mx, receiving_ip, reason));
      CREATE TABLE IF NOT EXISTS tls_report_sent (
        report_id TEXT PRIMARY KEY, policy_domain TEXT NOT NULL, day TEXT NOT NULL, sent_at INTEGER NOT NULL, rua TEXT NOT NULL, end_at INTEGER NOT NULL);
    `);
  }

  close(): void {
    this.db.close();
  }

  /** The cached policy of a domain, or null (none, or expired: then it is dropped). */
  policy(domain: string, now: number): CachedPolicy | null {
    const row = this.db.prepare('SELECT * FROM sts_policy WHERE domain = ?').get(domain.toLowerCase()) as
      { domain: string; id: string; mode: CachedPolicy['mode']; mx: string; max_age: number; lines: string; fetched_at: number; expires_at: number } | undefined;
    if (!row) return null;
    if (row.expires_at <= now) {
      this.db.prepare('DELETE FROM sts_policy WHERE domain = ?').run(row.domain);
      return null;
    }
    return { domain: row.domain, id: row.id, mode: row.mode, mx: JSON.parse(row.mx) as string[], maxAge: row.max_age, lines: JSON.parse(row.lines) as string[], fetchedAt: row.fetched_at, expiresAt: row.expires_at };
  }

  savePolicy(p: CachedPolicy): void {
    this.db
      .prepare('INSERT OR REPLACE INTO sts_policy (domain, id, mode, mx, max_age, lines, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(p.domain.toLowerCase(), p.id, p.mode, JSON.stringify(p.mx), p.maxAge, JSON.stringify(p.lines), p.fetchedAt, p.expiresAt);
  }

  /** Counts one session outcome. */
  record(r: TlsSessionResult): void {
    this.db
      .prepare(
        `INSERT INTO tls_session_count VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
      ON CONFLICT DO UPDATE SET count = count + 1`,
      )
      .run(utcDay(r.at), r.policyDomain.toLowerCase(), r.policyType, JSON.stringify(r.policyString), JSON.stringify(r.mxHost), r.resultType ?? '', r.receivingMxHostname ?? '', r.receivingIp ?? '', r.failureReasonCode ?? '');
  }

  /** The counts of days before `beforeDay` (all days when null), without removing them. */
  pending(beforeDay: string | null): CountRow[] {
    const rows = (beforeDay === null ? this.db.prepare('SELECT * FROM tls_session_count ORDER BY day, policy_domain').all() : this.db.prepare('SELECT * FROM tls_session_count WHERE day < ? ORDER BY day, policy_domain').all(beforeDay)) as {
      day: string;
      policy_domain: string;
      policy_type: CountRow['policyType'];
      policy_string: string;
      mx_host: string;
      result_type: string;
      receiving_mx: string;
      receiving_ip: string;
      reason: string;
      count: number;
    }[];
    return rows.map((r) => ({
      day: r.day,
      policyDomain: r.policy_domain,
      policyType: r.policy_type,
      policyString: JSON.parse(r.policy_string) as string[],
      mxHost: JSON.parse(r.mx_host) as string[],
      resultType: (r.result_type || null) as TlsResultType | null,
      receivingMxHostname: r.receiving_mx,
      receivingIp: r.receiving_ip,
      failureReasonCode: r.reason,
      count: r.count,
    }));
  }

  /** Removes the counts of one domain and day (reported, or nobody to report them to) and notes the report. */
  claim(day: string, policyDomain: string, sent: { reportId: string; rua: string; at: number; end: number } | null): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM tls_session_count WHERE day = ? AND policy_domain = ?').run(day, policyDomain);
      if (sent) this.db.prepare('INSERT OR REPLACE INTO tls_report_sent VALUES (?, ?, ?, ?, ?, ?)').run(sent.reportId, policyDomain, day, sent.at, sent.rua, sent.end);
    })();
  }

  /** Where the last report of a domain for a day ended (a report sent before the day was over), or null. */
  reportedUntil(day: string, policyDomain: string): number | null {
    const row = this.db.prepare('SELECT MAX(end_at) AS e FROM tls_report_sent WHERE day = ? AND policy_domain = ?').get(day, policyDomain) as { e: number | null };
    return row.e;
  }
}
