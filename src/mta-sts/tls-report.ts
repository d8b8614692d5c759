// TLS reporting (RFC 8460): the aggregate report of one policy domain for one
// UTC day, built from the session counts (mta-sts-store.ts) as the JSON of
// §4.4, gzip'd and mailed per §5.3 (multipart/report; report-type="tlsrpt",
// an application/tlsrpt+gzip attachment named per §5.1) to the mailto: URIs
// of the domain's `_smtp._tls` TXT record. The message enters the normal queue.
//
// Who calls it: the service once a UTC day has ended (days before today),
// and Send-TlsReport at once (today's counts too, up to now). Counts of a
// domain without a TLS-RPT record are dropped: nobody asked for them. When
// the TXT lookup fails (a DNS error), the counts stay for the next run.

import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Envelope } from '../queue/queue-store.js';
import { utcDay, type CountRow, type MtaStsStore } from './mta-sts-store.js';

export interface TlsReportContext {
  store: MtaStsStore;
  /** TXT records of a name (the configured DNS servers). */
  txt(name: string): Promise<string[][]>;
  /** Queues a message (the normal queue: routed and delivered like any other). */
  accept(envelope: Envelope, body: Buffer): Promise<{ internalId: number }>;
  fqdn: string;
  /** The report's organization-name. */
  organization: string;
  /** contact-info and the report's From. */
  postmaster: string;
  now: number;
}

export interface SentReport {
  policyDomain: string;
  day: string;
  reportId: string | null;
  startDate: Date;
  endDate: Date;
  recipients: string[];
  successfulSessions: number;
  failedSessions: number;
  /** Queued, NoReportingAddress (counts dropped) or DnsFailure (kept for the next run). */
  status: 'Queued' | 'NoReportingAddress' | 'DnsFailure';
  detail?: string;
  internalId?: number;
}

/** The mailto: addresses of a `_smtp._tls` TXT record set (RFC 8460 §3); null when there is no TLSRPTv1 record. */
export function ruaAddresses(records: string[][]): string[] | null {
  const texts = records.map((r) => r.join('')).filter((t) => /^v=TLSRPTv1\s*(;|$)/i.test(t.trim()));
  if (texts.length !== 1) return null;
  const rua = /(?:^|;)\s*rua\s*=\s*([^;]*)/i.exec(texts[0])?.[1] ?? '';
  const out: string[] = [];
  for (const uri of rua.split(',').map((s) => s.trim())) {
    const m = /^mailto:(.+)$/i.exec(uri);
    if (!m) continue;
    let address: string;
    try {
      address = decodeURIComponent(m[1].split('?')[0]);
    } catch {
      continue;
    }
    if (/^[^@\s<>]+@[^@\s<>]+$/.test(address)) out.push(address);
  }
  return out;
}

/** The RFC 8460 §4.4 JSON of one domain's counts for one day. */
export function reportJson(rows: CountRow[], o: { organization: string; contact: string; reportId: string; start: Date; end: Date }): Record<string, unknown> {
  const byPolicy = new Map<string, CountRow[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.policyType, r.policyString, r.mxHost]);
    byPolicy.set(key, [...(byPolicy.get(key) ?? []), r]);
  }
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    'organization-name': o.organization,
    'date-range': { 'start-datetime': iso(o.start), 'end-datetime': iso(o.end) },
    'contact-info': o.contact,
    'report-id': o.reportId,
    policies: [...byPolicy.values()].map((list) => {
      const first = list[0];
      const failures = list.filter((r) => r.resultType !== null);
      return {
        policy: { 'policy-type': first.policyType, 'policy-string': first.policyString, 'policy-domain': first.policyDomain, 'mx-host': first.mxHost },
        summary: {
          'total-successful-session-count': list.filter((r) => r.resultType === null).reduce((n, r) => n + r.count, 0),
          'total-failure-session-count': failures.reduce((n, r) => n + r.count, 0),
        },
        'failure-details': failures.map((r) => ({
          'result-type': r.resultType,
          ...(r.receivingMxHostname && { 'receiving-mx-hostname': r.receivingMxHostname }),
          ...(r.receivingIp && { 'receiving-ip': r.receivingIp }),
          'failed-session-count': r.count,
          ...(r.failureReasonCode && { 'failure-reason-code': r.failureReasonCode }),
        })),
      };
    }),
  };
}

function wrap64(b: Buffer): string {
  return (b.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** The report mail of RFC 8460 §5.3. */
export function reportMessage(o: { fqdn: string; from: string; to: string[]; policyDomain: string; reportId: string; start: Date; end: Date; json: Record<string, unknown>; now: Date; messageId: string }): Buffer {
  const boundary = `----=_tlsrpt_${randomUUID()}`;
  const gz = gzipSync(Buffer.from(JSON.stringify(o.json), 'utf8'));
  const secs = (d: Date) => Math.floor(d.getTime() / 1000);
  const filename = `${o.fqdn}!${o.policyDomain}!${secs(o.start)}!${secs(o.end)}.json.gz`;
  const lines = [
    `From: ${o.from}`,
    `To: ${o.to.join(', ')}`,
    `Subject: Report Domain: ${o.policyDomain} Submitter: ${o.fqdn} Report-ID: <${o.reportId}>`,
    `Date: ${o.now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${o.messageId}`,
    'MIME-Version: 1.0',
    `TLS-Report-Domain: ${o.policyDomain}`,
    `TLS-Report-Submitter: ${o.fqdn}`,
    `Content-Type: multipart/report; report-type="tlsrpt"; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    '',
    `This is an aggregate TLS report (RFC 8460) from ${o.fqdn} for ${o.policyDomain},`,
    `covering ${o.start.toISOString()} to ${o.end.toISOString()}.`,
    '',
    `--${boundary}`,
    'Content-Type: application/tlsrpt+gzip',
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="${filename}"`,
    '',
    wrap64(gz),
    '',
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

/**
 * Sends the reports of the counts waiting: those of days before today, or every count up to now
 * (`includeToday`, Send-TlsReport). One report per policy domain and day.
 */
export async function sendTlsReports(ctx: TlsReportContext, o: { includeToday: boolean }): Promise<SentReport[]> {
  const today = utcDay(ctx.now);
  const rows = ctx.store.pending(o.includeToday ? null : today);
  const groups = new Map<string, CountRow[]>();
  for (const r of rows) groups.set(`${r.day}|${r.policyDomain}`, [...(groups.get(`${r.day}|${r.policyDomain}`) ?? []), r]);
  const out: SentReport[] = [];
  for (const list of groups.values()) {
    const { day, policyDomain } = list[0];
    const dayStart = Date.parse(`${day}T00:00:00Z`);
    // A report already sent for part of this day (Send-TlsReport): this one covers the rest.
    const start = new Date(Math.max(dayStart, ctx.store.reportedUntil(day, policyDomain) ?? dayStart));
    const end = day === today ? new Date(ctx.now) : new Date(dayStart + 86_400_000);
    const successfulSessions = list.filter((r) => r.resultType === null).reduce((n, r) => n + r.count, 0);
    const failedSessions = list.filter((r) => r.resultType !== null).reduce((n, r) => n + r.count, 0);
    const base = { policyDomain, day, startDate: start, endDate: end, successfulSessions, failedSessions };
    let records: string[][];
    try {
      records = await ctx.txt(`_smtp._tls.${policyDomain}`);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ENOTFOUND' && code !== 'ENODATA') {
        out.push({ ...base, reportId: null, recipients: [], status: 'DnsFailure', detail: `the TXT lookup of _smtp._tls.${policyDomain} failed (${code ?? (err as Error).message}); the counts wait for the next run` });
        continue;
      }
      records = [];
    }
    const rua = ruaAddresses(records);
    if (!rua || rua.length === 0) {
      ctx.store.claim(day, policyDomain, null);
      out.push({ ...base, reportId: null, recipients: [], status: 'NoReportingAddress', detail: `_smtp._tls.${policyDomain} names no mailto: reporting address; the counts were dropped` });
      continue;
    }
    const reportId = `${day}.${randomUUID()}@${ctx.fqdn}`;
    const json = reportJson(list, { organization: ctx.organization, contact: ctx.postmaster, reportId, start, end });
    const now = new Date(ctx.now);
    const messageId = `<${randomUUID()}@${ctx.fqdn}>`;
    const body = reportMessage({ fqdn: ctx.fqdn, from: ctx.postmaster, to: rua, policyDomain, reportId, start, end, json, now, messageId });
    const envelope: Envelope = {
      sender: ctx.postmaster,
      recipients: rua.map((address) => ({ address })),
      bodyType: '7BIT',
      smtputf8: false,
      connector: 'TlsReport',
      principal: 'Local',
      clientIp: '',
      clientHelo: ctx.fqdn,
      serverIp: '',
      serverFqdn: ctx.fqdn,
      messageId,
      subject: `Report Domain: ${policyDomain} Submitter: ${ctx.fqdn} Report-ID: <${reportId}>`,
      headerFrom: ctx.postmaster,
      receivedAt: now,
    };
    const accepted = await ctx.accept(envelope, body);
    ctx.store.claim(day, policyDomain, { reportId, rua: rua.join(','), at: ctx.now, end: end.getTime() });
    out.push({ ...base, reportId, recipients: rua, status: 'Queued', internalId: accepted.internalId });
  }
  return out;
}
