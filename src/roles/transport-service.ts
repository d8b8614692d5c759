// The transport service of one server (`gatehouse start`): composes the
// Receive connector listeners, the SMTP sessions and the local queue over the
// server's configuration; accepted messages are committed on the queue's
// commit thread, and routing and delivery run on the delivery thread. It follows the configuration live: the store's
// change counter is polled (and SIGHUP forces a reload); a new snapshot
// re-plans the listeners and new sessions use the new connector settings,
// while sessions already running keep theirs.

import { AgentLog } from '../agents/agent-log.js';
import { EdgeAgents } from '../agents/edge-agents.js';
import { RecipientValidator } from '../agents/recipient-validation.js';
import { SenderReputation } from '../agents/sender-reputation.js';
import { blockSender } from '../agents/antispam-settings.js';
import { connectorCredential } from '../routing/send-connector-config.js';
import { trustedCertificates } from '../tls/trusted-certificates.js';
import { CertificateCache } from '../tls/certificate-cache.js';
import { OutboundConnection } from '../smtp/outbound/index.js';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import { SqliteQueueStore } from '../queue/sqlite-queue-store.js';
import type { OpenServer } from '../setup/server-folder.js';
import { listenPlan, selectConnector } from '../smtp/inbound/connector-selection.js';
import { ConnectionCounter, ConnectionRate, MessageRateLimiter } from '../smtp/inbound/limits.js';
import { Listeners, type BoundListener } from '../smtp/inbound/listeners.js';
import { InboundSession, type SessionServices } from '../smtp/inbound/session.js';
import { RecipientDirectory } from '../directory/recipients.js';
import { LogonGuard } from '../smtp/inbound/logon-guard.js';
import { LogonWorkstations } from '../directory/logon-workstations.js';
import { dnsSettingsFromTransport, MailResolver } from '../dns/index.js';
import { DEFAULT_LOCKOUT_POLICY } from '../config/model/lockout-policy.js';
import type { AccountLogonStore } from '../store/account-logon-store.js';
import { selectSmtpCertificate } from '../tls/certificate-selection.js';
import { loadTransportConfig, type ReceiveConnectorConfig, type TransportConfig } from '../config/transport-config.js';
import { ProtocolLog } from '../smtp/protocol-log.js';
import { DeliveryState } from '../queue/delivery-state.js';
import { TrackingLog } from '../tracking/tracking-log.js';
import { DeliveryThread } from './delivery-thread.js';
import { IdleCollector } from '../observability/idle-collector.js';
import { startMetricsServer, TransportMetrics, type MetricsEndpoint } from '../observability/metrics.js';
import { SessionIds } from '../observability/session-id.js';
import { resolveDataPath } from '../config/data-path.js';
import type { Server as HttpServer } from 'node:http';

const POLL_MS = 500;

export interface TransportServiceOptions {
  metrics?: MetricsEndpoint;
  /** Called after the configuration is applied (start and every reload) with what is bound and what could not be. */
  onApplied?: (listening: string[], changeCounter: number, failed: string[]) => void;
}

export class TransportService {
  private config!: TransportConfig;
  private readonly listeners: Listeners;
  private readonly queue: SqliteQueueStore;
  private readonly connections = new ConnectionCounter();
  private readonly rates = new MessageRateLimiter();
  private readonly sessions = new Set<InboundSession>();
  private poller?: NodeJS.Timeout;
  private sweeper?: NodeJS.Timeout;
  private reloading: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly protocolLog: ProtocolLog;
  /** Edge: the anti-spam agents and their log. */
  private readonly agentLog?: AgentLog;
  private readonly agents?: EdgeAgents;
  private readonly trackingLog: TrackingLog;
  private readonly sessionIds = new SessionIds();
  /**
   * One full collection once a burst of input (1 MB or more) is over, so its spent buffers go back
   * to the system: after 500 messages of 2 KiB the service held 185 MB with 1,000 idle connections
   * when it waited for 16 MB, 163 MB now; a collection of the main thread's heap takes milliseconds.
   */
  private readonly idle = new IdleCollector({ quietMs: 2000, minBytes: 1024 * 1024, loadBytes: 32 * 1024 * 1024, loadIntervalMs: 10_000 }, () => this.sessions.size);
  /** MaxConnectionRatePerMinute, per Receive connector. */
  private readonly connectionRate = new ConnectionRate();
  /** Routing and delivery run on a thread of their own. */
  private readonly delivery: DeliveryThread;
  /** Mailbox servers: the organization's recipients; null on an Edge (no directory without EdgeSync). */
  private readonly recipientLookup: RecipientDirectory | null;
  /** SMTP AUTH's defences against password guessing, shared by all sessions (and its own store connection). */
  private readonly logonStore: AccountLogonStore & { close(): void };
  private readonly logons: LogonGuard;

  readonly metrics: TransportMetrics;
  private metricsServer?: HttpServer;
  /** Imported certificates (PEM) trusted for client certificates (Domain Security); read again after each change. */
  private trusted: string[] | null = null;
  /** The certificate STARTTLS offers, per connector name; cleared after each change. */
  private readonly certificates = new CertificateCache((fqdn, name) => selectSmtpCertificate(this.server.repo, this.server.name, fqdn, name));

  constructor(
    private readonly server: OpenServer,
    private readonly log: Logger,
    private readonly options: TransportServiceOptions = {},
  ) {
    this.queue = new SqliteQueueStore(join(server.dataDir, 'queue.db'), { commitThread: true });
    const state = new DeliveryState(this.queue.db, this.queue.relaxed);
    this.metrics = new TransportMetrics(
      () => {
        const now = Date.now();
        const oldest = state.oldestWaiting();
        const rows = state
          .queues()
          .filter((q) => q.waiting > 0)
          .map((q) => ({
            identity: `${server.name}\\${q.key === 'Unreachable' ? 'Unreachable' : q.key === 'Poison' ? 'Poison' : q.nextHopDomain}`,
            deliveryType: q.deliveryType,
            status: q.status,
            messages: q.messageCount,
            oldestAgeSeconds: oldest.has(q.key) ? (now - oldest.get(q.key)!) / 1000 : 0,
          }));
        if (oldest.has('')) rows.push({ identity: `${server.name}\\Submission`, deliveryType: 'Undefined', status: 'Ready', messages: 1, oldestAgeSeconds: (now - oldest.get('')!) / 1000 });
        return rows;
      },
      () => ({ server: server.name, role: server.role, monitoringGroup: this.config?.monitoringGroup ?? '', hubTransport: this.config?.hubTransport ?? 'Active' }),
    );
    this.recipientLookup = server.role === 'Mailbox' ? new RecipientDirectory(server.repo) : null;
    this.logonStore = server.serviceLogons();
    this.logons = new LogonGuard({
      directory: { role: server.role, netbiosName: server.directory.netbiosName, dnsDomain: server.directory.dnsDomain, repo: server.repo },
      store: this.logonStore,
      policy: () => this.config.accountLockout ?? DEFAULT_LOCKOUT_POLICY,
      workstations: new LogonWorkstations({ dnsDomain: () => server.directory.dnsDomain, dns: () => dnsSettingsFromTransport(this.config.dns, 'internal') }),
    });
    this.listeners = new Listeners((socket) => this.accept(socket), log);
    this.protocolLog = new ProtocolLog(() => ({ ...this.config.receiveProtocolLog, folder: this.resolvePath(this.config.receiveProtocolLog.folder) }), log);
    this.trackingLog = new TrackingLog(() => ({ ...this.config.trackingLog, folder: this.resolvePath(this.config.trackingLog.folder) }), log);
    this.queue.onTrack = (ev) => this.trackingLog.write(ev);
    if (server.role === 'EdgeTransport') {
      this.agentLog = new AgentLog(() => ({ ...this.config.agentLog, folder: this.resolvePath(this.config.agentLog.folder) }), log);
      this.agents = new EdgeAgents({
        settings: () => this.config.antispam,
        agentLog: this.agentLog,
        dns: () => dnsSettingsFromTransport(this.config.dns, 'external'),
        log: log.child({ component: 'agents' }),
        count: (agent, action) => this.metrics.agentDecisions.inc({ agent, action }),
        recipients: new RecipientValidator({
          config: () => this.config,
          resolver: (kind) => new MailResolver(dnsSettingsFromTransport(this.config.dns, kind)),
          credential: (c) => connectorCredential(server.repo, c),
          trustedCertificates: () => trustedCertificates(server.repo),
          connect: (target, policy) => OutboundConnection.open(target, policy),
        }),
        reputation: { profiles: new SenderReputation(), block: (ip, until, comment) => blockSender(server.repo, ip, until, comment) },
        ownNames: () => [this.config.fqdn, ...this.config.acceptedDomains.map((d) => d.domain.domain)],
      });
    }
    this.delivery = new DeliveryThread(
      server.dataDir,
      {
        track: (ev) => this.trackingLog.write(ev),
        outcome: (labels, n) => this.metrics.outcomes.inc(labels, n),
        dns: (kind, result, seconds) => this.metrics.dnsSeconds.observe({ kind, result }, seconds),
      },
      log,
      server.snapshot,
    );
  }

  /** Tracking events older than MessageTrackingLogMaxAge leave the index, as the log files do (at start, then hourly). */
  private pruneTracking(): void {
    const maxAgeMs = this.config.trackingLog.maxAgeMs;
    try {
      const removed = this.queue.pruneTracking(maxAgeMs);
      if (removed > 0) this.log.log('info', 'tracking.index.pruned', { events: removed, maxAgeDays: maxAgeMs / 86_400_000 });
    } catch (err) {
      this.log.log('error', 'tracking.index.prune-failed', { error: (err as Error).message, action: 'check free disk space and queue.db; pruning is tried again within the hour' });
    }
  }

  get queueStore(): SqliteQueueStore {
    return this.queue;
  }

  async start(): Promise<BoundListener[]> {
    this.config = this.load();
    // Before any session writes to the spool: files no queued message references are leftovers.
    const swept = this.queue.sweepSpool();
    if (swept > 0) this.log.log('info', 'queue.spool.swept', { files: swept, folder: this.queue.spoolDir, reason: 'bodies of messages that were never committed or have left the queue' });
    const bound = await this.listeners.apply(listenPlan(this.config.receiveConnectors));
    if (this.options.metrics) {
      this.metricsServer = await startMetricsServer(
        this.options.metrics,
        this.metrics,
        () => ({
          ok: this.listeners.bound().length > 0 || this.config.receiveConnectors.every((c) => !c.enabled),
          detail: { server: this.server.name, listening: this.listeners.bound().map(describeListener), changeCounter: this.config.changeCounter },
        }),
        this.log,
      );
    }
    this.poller = setInterval(() => this.poll(), POLL_MS);
    await this.delivery.start();
    this.pruneTracking();
    let minutes = 0;
    this.sweeper = setInterval(() => {
      this.rates.sweep();
      this.connectionRate.sweep();
      if (++minutes % 60 === 0) this.pruneTracking();
    }, 60_000);
    this.options.onApplied?.(bound.map(describeListener), this.config.changeCounter, this.listenerFailures());
    return bound;
  }

  /** Re-reads the configuration and re-plans listeners (SIGHUP, or the change counter moved). */
  reload(reason: string): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      if (this.stopping) return;
      let next: TransportConfig;
      try {
        next = this.load();
      } catch (err) {
        this.log.log('error', 'config.load.failed', { reason, error: (err as Error).message, action: 'the previous configuration stays in force; fix the store and send SIGHUP' });
        return;
      }
      const before = this.config.hubTransport;
      this.config = next;
      this.trusted = null;
      this.certificates.clear();
      this.delivery.configurationChanged();
      if (next.hubTransport !== before) this.componentStateChanged(before, next.hubTransport);
      const bound = await this.listeners.apply(listenPlan(next.receiveConnectors));
      this.log.log('info', 'config.applied', { reason, changeCounter: next.changeCounter, listening: bound.map(describeListener) });
      this.options.onApplied?.(bound.map(describeListener), next.changeCounter, this.listenerFailures());
    });
    return this.reloading;
  }

  /** The enabled Receive connectors' sockets that could not be bound, each with its connectors and why. */
  listenerFailures(): string[] {
    return this.listeners.failures().map((f) => `${describeListener({ key: '', ...f })}: ${f.reason}`);
  }

  /**
   * Maintenance mode: HubTransport Draining (or Inactive) refuses new mail (421 4.3.2 at MAIL) and
   * ends the open sessions once their current message is taken; queued mail is still delivered.
   */
  private componentStateChanged(before: string, state: string): void {
    this.log.log('info', 'transport.component-state', {
      component: 'HubTransport',
      from: before,
      state,
      sessions: this.sessions.size,
      ...(state !== 'Active' && { effect: 'new mail is refused with 421 4.3.2; queued mail is still delivered; Set-ServerComponentState -Component HubTransport -State Active -Requester <the same requester> resumes' }),
    });
    if (state !== 'Active') for (const s of this.sessions) s.drain();
  }

  /** Stops accepting, lets sessions finish (up to graceMs), then closes the stores. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearInterval(this.poller);
    clearInterval(this.sweeper);
    this.idle.stop();
    await this.listeners.close();
    this.metricsServer?.close();
    const deadline = Date.now() + graceMs;
    for (const s of this.sessions) s.drain();
    while (this.sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const s of this.sessions) s.abort('service stopping');
    await this.delivery.stop();
    await this.protocolLog.close();
    await this.agentLog?.close();
    this.trackingLog.close();
    await this.queue.drain();
    this.queue.close();
    this.logonStore.close();
    await this.server.close();
  }

  private load(): TransportConfig {
    return loadTransportConfig(this.server.repo, this.server.role, this.server.name, this.server.fqdn);
  }

  private poll(): void {
    let counter: number;
    try {
      counter = this.server.config.changeCounter();
    } catch (err) {
      this.log.log('warn', 'config.poll.failed', { error: (err as Error).message });
      return;
    }
    if (counter !== this.config.changeCounter) void this.reload('configuration changed');
  }

  private resolvePath(p: string): string {
    return resolveDataPath(this.server.dataDir, p);
  }

  private accept(socket: Socket): void {
    const localAddress = socket.localAddress ?? '';
    const localPort = socket.localPort ?? 0;
    const remoteAddress = socket.remoteAddress ?? '';
    const config = this.config;
    const connector = this.stopping ? null : selectConnector(config.receiveConnectors, localAddress, localPort, remoteAddress);
    if (!connector) {
      this.log.log('warn', 'smtp.in.connection.refused', {
        local: `${localAddress}:${localPort}`,
        remote: remoteAddress,
        reason: this.stopping ? 'service stopping' : 'no enabled Receive connector has a binding and remote IP range for this connection',
      });
      socket.destroy();
      return;
    }
    const refusal = this.connections.tryAcquire(connector.identity, remoteAddress, connector);
    if (!refusal && !this.connectionRate.tryTake(connector.identity, config.maxConnectionRatePerMinute)) {
      this.connections.release(connector.identity, remoteAddress);
      this.log.log('warn', 'smtp.in.connection.rate-limited', {
        connector: connector.identity,
        remote: remoteAddress,
        limit: config.maxConnectionRatePerMinute,
        action: 'raise MaxConnectionRatePerMinute (Set-TransportService) if this load is legitimate; the limit counts per Receive connector',
      });
      this.metrics.refusal(connector.identity, 'rate_limit');
      socket.on('error', () => undefined);
      socket.end('421 4.3.2 The maximum connection rate per minute has been exceeded, closing transmission channel\r\n');
      socket.setTimeout(2000, () => socket.destroy());
      return;
    }
    const id = this.sessionIds.next();
    const services: SessionServices = {
      queue: this.queue,
      spoolDir: this.queue.spoolDir,
      idle: this.idle,
      rates: this.rates,
      log: this.log.child({ session: id, connector: connector.identity, remote: remoteAddress }),
      protocolLog: connector.protocolLogging ? this.protocolLog : null,
      certificate: (c: ReceiveConnectorConfig) => this.certificates.get(c.fqdn, c.tlsCertificateName),
      recipients: this.recipientLookup,
      metrics: this.metrics,
      logons: this.logons,
      ...(this.agents && { agents: this.agents }),
      trustedCertificates: () => (this.trusted ??= trustedCertificates(this.server.repo)),
    };
    const session = new InboundSession(id, socket, connector, config, services, refusal);
    this.sessions.add(session);
    session.once('close', () => {
      this.sessions.delete(session);
      this.idle.closed();
      if (!refusal) this.connections.release(connector.identity, remoteAddress);
    });
    session.start();
  }
}

export function describeListener(l: BoundListener): string {
  const host = l.address.includes(':') ? `[${l.address}]` : l.address;
  return `${host}:${l.port} (${l.connectors.join(', ')})`;
}
