// TLS reports (RFC 8460) from this server's settings: who submits them (the
// server FQDN), on whose behalf (the default accepted domain, else the FQDN),
// the contact (the postmaster address), which DNS servers find the reporting
// addresses (those of the MtaStsEnabled Send connectors), and the daily run
// of the service: a report per domain for each UTC day that has ended, sent
// at the first check after midnight UTC (and at start, for days missed while
// the service was down).

import { dnsSettingsFromTransport } from '../dns/dns-settings.js';
import type { Logger } from '../observability/logger.js';
import type { Envelope } from '../queue/queue-store.js';
import type { MtaStsStore } from './mta-sts-store.js';
import { StsDns } from './sts-policy.js';
import { sendTlsReports, type SentReport, type TlsReportContext } from './tls-report.js';
import type { TransportConfig } from '../config/transport-config.js';

const CHECK_MS = 60_000;

/** The DNS servers of the MtaStsEnabled Send connectors (external when the first of them says so). */
export function reportDns(config: TransportConfig): StsDns {
  const connector = config.sendConnectors.find((c) => c.mtaStsEnabled);
  return new StsDns(dnsSettingsFromTransport(config.dns, connector?.useExternalDnsServers ? 'external' : 'internal'));
}

export function reportContext(config: TransportConfig, store: MtaStsStore, accept: (envelope: Envelope, body: Buffer) => Promise<{ internalId: number }>, now: number): TlsReportContext {
  const dns = reportDns(config);
  const domain = config.acceptedDomains.find((d) => d.type === 'Authoritative')?.domain;
  const organization = domain ? String(domain).replace(/^\*\./, '') : config.fqdn;
  return { store, txt: (name) => dns.txt(name), accept, fqdn: config.fqdn, organization, postmaster: config.postmaster, now };
}

/** The service's daily run. */
export class TlsReportSchedule {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly o: { store: MtaStsStore; config: () => TransportConfig; accept: TlsReportContext['accept']; log: Logger; now?: () => number }) {}

  start(): void {
    void this.run();
    this.timer = setInterval(() => void this.run(), CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const now = (this.o.now ?? Date.now)();
      const sent = await sendTlsReports(reportContext(this.o.config(), this.o.store, this.o.accept, now), { includeToday: false });
      logReports(this.o.log, sent);
    } catch (err) {
      this.o.log.log('error', 'tlsrpt.run.failed', { error: (err as Error).message });
    } finally {
      this.running = false;
    }
  }
}

export function logReports(log: Logger, sent: SentReport[]): void {
  for (const r of sent) {
    log.log(r.status === 'DnsFailure' ? 'warn' : 'info', 'tlsrpt.report', {
      domain: r.policyDomain,
      day: r.day,
      status: r.status,
      reportId: r.reportId,
      to: r.recipients,
      successful: r.successfulSessions,
      failed: r.failedSessions,
      ...(r.internalId !== undefined && { internalId: r.internalId }),
      ...(r.detail && { detail: r.detail }),
    });
  }
}
