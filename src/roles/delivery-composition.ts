// What delivery runs on, put together for one server: the queue state, the
// resolvers (per the current DNS settings), the SMTP client, credentials and
// trusted certificates from the store, DSNs, the Send protocol and
// connectivity logs, and on Mailbox servers the directory and Maildir
// delivery. The delivery thread (delivery-thread-main.ts) builds it.

import { RecipientDirectory } from '../directory/recipients.js';
import { MailResolver, dnsSettingsFromTransport, type Resolution } from '../dns/index.js';
import { crossesWarning, deliverToMaildir, MailboxFullError, MaildirSizes, quotaWarningMessage } from '../mailbox/index.js';
import type { Logger } from '../observability/logger.js';
import type { DeliveryState } from '../queue/delivery-state.js';
import { buildDsn } from '../queue/dsn.js';
import type { SqliteQueueStore } from '../queue/sqlite-queue-store.js';
import type { OpenServer } from '../setup/server-folder.js';
import { ProtocolLog } from '../smtp/protocol-log.js';
import { ConnectivityLog } from '../smtp/outbound/connectivity-log.js';
import { OutboundConnection } from '../smtp/outbound/index.js';
import { DeliveryService } from './delivery-service.js';
import type { ResolverLike } from '../routing/next-hop.js';
import { selectSmtpCertificate } from '../tls/certificate-selection.js';
import type { TransportConfig } from '../config/transport-config.js';
import { connectorCredential } from '../routing/send-connector-config.js';
import { trustedCertificates } from '../tls/trusted-certificates.js';
import { MtaStsStore } from '../mta-sts/mta-sts-store.js';
import { StsDns, StsPolicies } from '../mta-sts/sts-policy.js';
import { TlsReportSchedule } from '../mta-sts/tls-reporting.js';
import { DnssecLookup } from '../dns/dnssec-lookup.js';
import { DkimOutboundSigner } from '../dkim/outbound.js';
import { resolveDataPath } from '../config/data-path.js';

/** Figures delivery reports to the service's metrics. */
export interface DeliveryMetricsSink {
  outcome(labels: { delivery_type: string; outcome: string }, n: number): void;
  dns(kind: string, result: string, seconds: number): void;
}

export interface ComposedDelivery {
  delivery: DeliveryService;
  close(): Promise<void>;
}

export function composeDelivery(server: OpenServer, o: { store: SqliteQueueStore; state: DeliveryState; config: () => TransportConfig; log: Logger; metrics: DeliveryMetricsSink }): ComposedDelivery {
  const resolvePath = (p: string) => resolveDataPath(server.dataDir, p);
  const sendProtocolLog = new ProtocolLog(() => ({ ...o.config().sendProtocolLog, folder: resolvePath(o.config().sendProtocolLog.folder) }), o.log, 'SEND');
  const connectivityLog = new ConnectivityLog(() => ({ ...o.config().connectivityLog, folder: resolvePath(o.config().connectivityLog.folder) }), o.log);
  const resolvers = new Map<string, ResolverLike>();
  const resolver = (kind: 'external' | 'internal'): ResolverLike => {
    const settings = dnsSettingsFromTransport(o.config().dns, kind);
    const key = `${kind}|${JSON.stringify(settings)}`;
    let r = resolvers.get(key);
    if (!r) {
      const inner = new MailResolver(settings);
      const timed = (what: string, run: () => Promise<Resolution>) => {
        const started = performance.now();
        return run().then((res) => {
          o.metrics.dns(what, res.ok ? 'ok' : res.kind, (performance.now() - started) / 1000);
          return res;
        });
      };
      r = { resolveMailDomain: (d) => timed('mx', () => inner.resolveMailDomain(d)), resolveSmartHost: (n) => timed('smarthost', () => inner.resolveSmartHost(n)) };
      resolvers.set(key, r);
    }
    return r;
  };
  // MTA-STS policies and TLS-RPT counts (mta-sts.db), with the DNS servers delivery uses.
  const mtaStsStore = new MtaStsStore(server.dataDir);
  const stsDns = new Map<string, StsDns>();
  const policies = new StsPolicies({
    store: mtaStsStore,
    trustedCertificates: () => trustedCertificates(server.repo),
    dns: (kind) => {
      const settings = dnsSettingsFromTransport(o.config().dns, kind);
      const key = `${kind}|${JSON.stringify(settings)}`;
      let d = stsDns.get(key);
      if (!d) stsDns.set(key, (d = new StsDns(settings)));
      return d;
    },
  });
  const reports = new TlsReportSchedule({ store: mtaStsStore, config: o.config, accept: (envelope, body) => o.store.accept(envelope, body), log: o.log });
  const recipients = server.role === 'Mailbox' ? new RecipientDirectory(server.repo) : null;
  const sizes = new MaildirSizes();
  const delivery = new DeliveryService({
    store: o.store,
    state: o.state,
    metrics: { outcomes: { inc: (labels: { delivery_type: string; outcome: string }, n = 1) => o.metrics.outcome(labels, n) } },
    config: o.config,
    resolver,
    connect: (target, policy) => OutboundConnection.open(target, policy),
    credential: (c) => connectorCredential(server.repo, c),
    trustedCertificates: () => trustedCertificates(server.repo),
    buildDsn,
    clientCertificate: (c, config) => selectSmtpCertificate(server.repo, server.name, c.fqdn ?? config.fqdn, c.tlsCertificateName),
    dkim: new DkimOutboundSigner((sealed, purpose) => server.repo.openSecret(sealed, purpose)),
    sendProtocolLog,
    connectivityLog,
    // DANE: DNSSEC-aware queries to the same servers (settings read per attempt, so a change applies at once).
    dane: (kind) => new DnssecLookup(dnsSettingsFromTransport(o.config().dns, kind)),
    mtaSts: { lookup: (domain, kind) => policies.lookup(domain, kind), record: (r) => mtaStsStore.record(r) },
    ...(recipients && {
      recipients: (address: string) => recipients.find(address),
      deliverLocal: async (address: string, message: Buffer, envelope: { returnPath: string; deliveredTo: string }) => {
        const r = recipients.find(address);
        if (!r || r.kind !== 'mailbox') throw Object.assign(new Error(`${address} is no longer a mailbox`), { transient: false });
        const { quotas } = r;
        const counted = quotas.prohibitSendReceive !== null || quotas.issueWarning !== null;
        const before = counted ? sizes.size(r.folderPath, r.maildirFolder) : 0;
        if (quotas.prohibitSendReceive !== null && before >= quotas.prohibitSendReceive) {
          const refusal = new MailboxFullError(r.primarySmtpAddress, before, quotas.prohibitSendReceive);
          o.log.log('warn', 'mailbox.quota.refused', {
            mailbox: r.name,
            address: r.primarySmtpAddress,
            database: r.database,
            size: before,
            prohibitSendReceiveQuota: quotas.prohibitSendReceive,
            action: `free space in the mailbox, or raise its quota: Set-Mailbox "${r.name}" -UseDatabaseQuotaDefaults $false -ProhibitSendReceiveQuota <size>`,
          });
          throw refusal;
        }
        const done = await deliverToMaildir(r.folderPath, r.maildirFolder, message, { returnPath: envelope.returnPath, deliveredTo: r.primarySmtpAddress });
        if (!counted) return;
        sizes.added(r.folderPath, r.maildirFolder, before, done.size);
        if (crossesWarning(before, done.size, quotas.issueWarning)) {
          const config = o.config();
          o.log.log('warn', 'mailbox.quota.warning', {
            mailbox: r.name,
            address: r.primarySmtpAddress,
            database: r.database,
            size: before + done.size,
            issueWarningQuota: quotas.issueWarning,
            action: 'the user was sent "Your mailbox is almost full."; free space in the mailbox or raise its quota (Set-Mailbox)',
          });
          const notice = quotaWarningMessage({
            to: r.primarySmtpAddress,
            displayName: r.name,
            from: config.postmaster,
            fqdn: config.fqdn,
            size: before + done.size,
            warning: quotas.issueWarning!,
            prohibitSend: quotas.prohibitSend,
            prohibitSendReceive: quotas.prohibitSendReceive,
            now: new Date(),
          });
          const sent = await deliverToMaildir(r.folderPath, r.maildirFolder, notice, { returnPath: '', deliveredTo: r.primarySmtpAddress });
          sizes.added(r.folderPath, r.maildirFolder, before + done.size, sent.size);
        }
      },
    }),
    log: o.log,
  });
  reports.start();
  return {
    delivery,
    close: async () => {
      reports.stop();
      await delivery.stop();
      mtaStsStore.close();
      await sendProtocolLog.close();
      await connectivityLog.close();
    },
  };
}
