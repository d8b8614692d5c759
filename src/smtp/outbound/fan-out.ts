// Delivery of one queue over SMTP: resolves the next hop (routing/next-hop.ts), applies
// DANE or MTA-STS where the connector asks for them, connects to the hosts in
// turn, and sends what the queue holds over up to
// MaxPerDomainOutboundConnections connections at once (within
// MaxOutboundConnections). Each message is prepared for the connector
// (outgoing-wire.ts) and every recipient's outcome is recorded
// before going on: delivered, deferred (retried), or failed with an NDR. A
// REQUIRETLS message goes over a connection of its own. Outcomes are typed by
// classify.ts; nothing here reads reply texts.

import { SessionIds } from '../../observability/session-id.js';
import type { SecureLookup } from '../../dns/dnssec-lookup.js';
import type { DkimOutboundSigner } from '../../dkim/outbound.js';
import type { DeliveryContext } from '../../queue/delivery-context.js';
import type { PendingRecipient, QueueRow } from '../../queue/delivery-state.js';
import type { QueueRetry } from '../../queue/delivery-scheduler.js';
import type { FailureReports } from '../../queue/failure-reports.js';
import { withJitter } from '../../queue/retry-schedule.js';
import type { TransportConfig } from '../../config/transport-config.js';
import type { NextHops } from '../../routing/next-hop.js';
import { outboundPolicy, requireTlsPolicy, usesBasicAuth } from '../../routing/outbound-policy.js';
import type { SendConnectorConfig } from '../../routing/send-connector-config.js';
import type { TrackingEvent } from '../../tracking/tracking-event.js';
import type { ProtocolLog } from '../protocol-log.js';
import { applyErrorPolicies, classify, type Classification } from './classify.js';
import type { ConnectFailure, OutboundMessage, OutboundPolicy, OutboundTarget, RecipientOutcome, TlsSessionInfo } from './connection.js';
import type { ConnectivityLog, ConnectivitySession } from './connectivity-log.js';
import { DaneAttempt } from './dane-delivery.js';
import { StsAttempt, type MtaStsHooks } from './mta-sts-delivery.js';
import { outgoingWire } from './outgoing-wire.js';

// The SMTP client's own types: delivery speaks them, tests fake the connection.
export type Target = OutboundTarget;
export type Policy = OutboundPolicy;
export type OutgoingMessage = OutboundMessage;
export type Outcome = RecipientOutcome;
export type { ConnectFailure };

export interface ConnectionLike {
  readonly usable: boolean;
  /** The TLS session, when the connection is encrypted. */
  readonly tls?: { protocol: string; cipher: string; authorized: boolean } | TlsSessionInfo | null;
  send(message: OutgoingMessage): Promise<Outcome[]>;
  close(): Promise<void>;
}

/** One recipient's outcome, typed. */
export type TypedOutcome = Classification & { address: string };

export interface SmtpFanOutDeps extends DeliveryContext {
  nextHops: NextHops;
  queues: QueueRetry;
  reports: FailureReports;
  /** The queue's connector is gone or disabled: its recipients are routed again. */
  reroute(): void;
  connect: (target: Target, policy: Policy) => Promise<ConnectionLike | ConnectFailure>;
  /** The connector's credential, opened from its sealed form; null when it has none. */
  credential: (connector: SendConnectorConfig) => { username: string; password: string } | null;
  trustedCertificates: () => string[];
  /** Domain Security: the certificate this server presents for the connector's FQDN (or TlsCertificateName). */
  clientCertificate?: (c: SendConnectorConfig, config: TransportConfig) => { certificatePem: string; privateKeyPem: string; chainPem?: string } | null;
  /** DKIM signing of mail leaving for the Internet (New-DkimSigningConfig). */
  dkim?: DkimOutboundSigner;
  /** The Send protocol log (connectors with ProtocolLoggingLevel Verbose). */
  sendProtocolLog?: ProtocolLog;
  connectivityLog?: ConnectivityLog;
  /** MTA-STS policies and TLS-RPT counts (Send connectors with MtaStsEnabled). */
  mtaSts?: MtaStsHooks;
  /** DNSSEC-aware lookups with the connector's DNS servers, for DANE (Send connectors with DaneEnabled). */
  dane?: (kind: 'external' | 'internal') => SecureLookup;
  /** Delivery outcomes per recipient, counted by delivery type and outcome. */
  metrics?: { outcomes: { inc(labels: { delivery_type: string; outcome: string }, n?: number): void } };
}

const BATCH = 100;

/** The ConnectorId of SEND/DEFER/FAIL events: the Send connector's name (Exchange's own name for the implicit one between Mailbox servers). */
function sendConnectorId(c: SendConnectorConfig): string {
  return c.guid.startsWith('intraorg:') ? 'Intra-Organization SMTP Send Connector' : c.name;
}

/** A recipient's outcome as the SMTP client gives it, typed. */
export function classifyOutcome(o: Outcome): TypedOutcome {
  return { address: o.address, ...classify(o.status, o.reply) };
}

export class SmtpFanOut {
  constructor(private readonly deps: SmtpFanOutDeps) {}

  /** Delivers what a queue of SMTP next hops holds (its connectivity log session around it). */
  async deliverQueue(q: QueueRow, config: TransportConfig): Promise<void> {
    const connector = [...config.sendConnectors, ...config.intraOrg].find((c) => c.guid === q.connector);
    if (!connector || !connector.enabled) {
      this.deps.reroute();
      return;
    }
    const session = this.deps.connectivityLog?.open(q.nextHopDomain, `${q.deliveryType} ${connector.name};QueueLength=${q.waiting};QS=${q.status}`) ?? null;
    if (session) this.connectivity.set(q.key, session);
    try {
      await this.deliverOverSmtp(q, config, connector, session);
    } finally {
      this.connectivity.delete(q.key);
      session?.end(this.deps.state.lastError(q.key) ?? undefined);
    }
  }

  /** Connectivity log sessions of the queues being delivered, by queue key. */
  private readonly connectivity = new Map<string, ConnectivitySession>();

  private async deliverOverSmtp(q: QueueRow, config: TransportConfig, connector: SendConnectorConfig, session: ConnectivitySession | null): Promise<void> {
    const now = this.deps.now();
    this.deps.state.setQueue(q.key, { status: 'Active', lastAttemptAt: now });
    const targets = await this.deps.nextHops.targets(q, connector);
    session?.note(
      'text' in targets
        ? `${q.deliveryType === 'DnsConnectorDelivery' ? 'DNS' : 'Smart host'} resolution failed: ${targets.text}`
        : `${q.deliveryType === 'DnsConnectorDelivery' ? 'DNS resolved' : 'Smart hosts resolved'} to ${[...new Set(targets.map((t) => `${t.host}[${t.address}]`))].join(',')}`,
    );
    if ('text' in targets) {
      if (targets.kind === 'permanent') {
        this.deps.queues.fail(q, targets, config);
        this.deps.state.setQueue(q.key, { status: 'Ready', failures: 0, nextRetryAt: null, lastError: targets.text });
      } else {
        this.deps.queues.retry(q, targets.text, config);
      }
      return;
    }
    const dane = await this.dane(q, connector, config, targets);
    // RFC 8461 §2: where DANE applies, MTA-STS does not.
    const sts = dane?.applies ? null : await this.mtaSts(q, connector);
    const screened = dane?.applies ? dane.screen(targets) : sts ? sts.screen(targets) : { targets };
    if (screened.refusal) {
      session?.note(screened.refusal);
      this.deps.queues.retry(q, screened.refusal, config);
      return;
    }
    const policy = sts ? sts.connectionPolicy(this.policy(connector, config, q)) : this.policy(connector, config, q);
    let failure: ConnectFailure | null = null;
    for (const target of screened.targets) {
      if (this.deps.stopped()) return;
      const targetPolicy = dane ? dane.policy(target.host, policy) : policy;
      const conn = await this.deps.connect(target, this.withProtocolLog(targetPolicy, connector, target));
      noteConnection(session, target, conn);
      if (!('text' in conn) && conn.tls && 'dane' in conn.tls && conn.tls.dane) {
        session?.note(`DANE authenticated ${target.host}: ${conn.tls.dane}`);
        this.deps.log.log('info', 'dane.authenticated', { queue: q.nextHopDomain, host: target.host, target: `${target.address}:${target.port}`, match: conn.tls.dane });
      }
      const refusal = sts?.check(target, conn) ?? null;
      if (refusal) {
        if (!('text' in conn)) await conn.close().catch(() => undefined);
        session?.note(refusal);
        failure = { kind: 'transient', text: refusal, stage: 'tls' };
        continue;
      }
      if ('text' in conn) {
        failure = conn;
        this.deps.nextHops.markDown(target.host, config);
        this.deps.log.log('warn', 'delivery.connect.failed', { queue: q.nextHopDomain, connector: connector.name, target: `${target.host} [${target.address}]:${target.port}`, stage: conn.stage, error: conn.text });
        if (conn.kind === 'permanent' && conn.stage !== 'connect') {
          this.deps.queues.fail(q, classify(conn.kind, conn.text), config, target.host);
          this.deps.state.setQueue(q.key, { status: 'Ready', failures: 0, nextRetryAt: null, lastError: conn.text });
          return;
        }
        continue;
      }
      await this.sendOver(conn, q, target, targetPolicy, config, connector, sts);
      return;
    }
    this.deps.queues.retry(q, failure?.text ?? '451 4.4.0 Unable to connect to any target host', config);
  }

  /**
   * Sends what the queue holds over up to MaxPerDomainOutboundConnections connections at once
   * (within MaxOutboundConnections): the first connection is the one already open; another is
   * opened while more work waits than the open ones are taking. Each message goes to one
   * connection only. A connection that cannot be (re)opened puts the queue in Retry.
   */
  private async sendOver(first: ConnectionLike, q: QueueRow, target: Target, policy: Policy, config: TransportConfig, connector: SendConnectorConfig, sts?: StsAttempt | null): Promise<void> {
    const claimed = new Set<number>();
    let buffer: { message: number; recipients: PendingRecipient[] }[] = [];
    let failedText: string | null = null;
    const perQueue = Math.max(1, config.maxPerDomainOutboundConnections ?? 20);
    const take = () => {
      if (buffer.length === 0 && !this.deps.stopped() && failedText === null) {
        buffer = this.deps.state.due(q.key, this.deps.now(), BATCH + claimed.size).filter((w) => !claimed.has(w.message));
      }
      const item = buffer.shift();
      if (item) claimed.add(item.message);
      return item;
    };
    const workers: Promise<void>[] = [];
    // Connections of this run, counted before a worker starts: a worker opens its sibling from
    // inside its first (synchronous) step, so the array alone would not see it in time.
    let opened = 0;
    const open = (initial: ConnectionLike | null) => {
      opened++;
      workers.push(worker(initial));
    };
    const worker = async (initial: ConnectionLike | null): Promise<void> => {
      let conn = initial;
      this.outboundConnections++;
      try {
        for (let item = take(); item; item = take()) {
          if (this.deps.stopped() || failedText !== null) {
            claimed.delete(item.message);
            break;
          }
          // More waiting than this connection takes at once: open another one beside it.
          if (buffer.length > 2 && opened < perQueue && this.outboundConnections < (config.maxOutboundConnections ?? Infinity)) open(null);
          if (!conn || !conn.usable) {
            await conn?.close().catch(() => undefined);
            const next = await this.deps.connect(target, this.withProtocolLog(policy, connector, target));
            noteConnection(this.connectivity.get(q.key) ?? null, target, next);
            const refusal = sts?.check(target, next) ?? null;
            if (refusal && !('text' in next)) await next.close().catch(() => undefined);
            if ('text' in next || refusal) {
              conn = null;
              failedText ??= refusal ?? (next as ConnectFailure).text;
              claimed.delete(item.message);
              break;
            }
            conn = next;
          }
          try {
            await this.sendMessage(conn, item.message, item.recipients, q, target, config, connector);
          } finally {
            claimed.delete(item.message);
          }
        }
      } finally {
        this.outboundConnections--;
        await conn?.close().catch(() => undefined);
      }
    };
    open(first);
    for (let i = 0; i < workers.length; i++) await workers[i];
    if (failedText !== null) this.deps.queues.retry(q, failedText, config);
    else this.deps.state.setQueue(q.key, { status: 'Ready', failures: 0, nextRetryAt: null, lastError: null });
  }

  /** Open SMTP connections of all queues (MaxOutboundConnections). */
  private outboundConnections = 0;

  private async sendMessage(conn: ConnectionLike, messageId: number, recipients: PendingRecipient[], q: QueueRow, target: Target, config: TransportConfig, connector: SendConnectorConfig): Promise<void> {
    const message = this.deps.state.message(messageId);
    const body = this.deps.store.body(messageId);
    if (!message || !body) return;
    const e = message.envelope;
    // Only recipients still waiting (Remove-Message may have taken some since they were read).
    recipients = this.deps.state.beginAttempt(messageId, recipients);
    if (recipients.length === 0) return;
    const wire = await outgoingWire({ dkim: this.deps.dkim, log: this.deps.log }, messageId, body, connector, config);
    let outcomes: Outcome[];
    // RFC 8689 §4.2.1 binds messages with a return path: a bounce carries no REQUIRETLS demand onward.
    const requireTls = e.requireTls === true && e.sender !== '';
    try {
      const outgoing: OutgoingMessage = {
        sender: e.sender,
        recipients: recipients.map((r) => ({ address: r.address, ...(r.notify && { notify: r.notify }), ...(r.orcpt && { orcpt: r.orcpt }) })),
        ...(e.envid !== undefined && { envid: e.envid }),
        ...(e.ret && { ret: e.ret }),
        body: wire,
        smtputf8: e.smtputf8,
        bodyType: e.bodyType,
        ...(requireTls && { requireTls: true }),
      };
      if (requireTls) {
        const sent = await this.sendRequiringTls(outgoing, q, config, connector);
        outcomes = sent.outcomes;
        if (sent.target) target = sent.target;
      } else {
        outcomes = await conn.send(outgoing);
      }
    } catch (err) {
      this.deps.log.log('error', 'delivery.send.bug', { internalId: messageId, error: (err as Error).stack ?? String(err) });
      outcomes = recipients.map((r) => ({ address: r.address, status: 'transient', reply: '451 4.3.0 Internal error while sending; the message will be retried' }));
    }
    const now = this.deps.now();
    const byAddress = new Map(applyErrorPolicies(outcomes.map(classifyOutcome), connector.errorPolicies).map((o) => [o.address.toLowerCase(), o]));
    const settled = recipients.map((r) => ({ r, o: byAddress.get(r.address.toLowerCase()) ?? classifyOutcome({ address: r.address, status: 'transient', reply: '451 4.4.0 No reply for this recipient' }) }));
    const delivered = settled.filter((x) => x.o.kind === 'delivered').map((x) => x.o);
    const deferred = settled.filter((x) => x.o.kind === 'transient').map((x) => x.o);
    const failed = settled.filter((x) => x.o.kind === 'permanent').map((x) => ({ ...x.r, reply: x.o.text, enhanced: x.o.enhanced ?? '5.0.0' }));
    const base = {
      timestamp: new Date(now),
      serverIp: target.address,
      serverHostname: target.host,
      connectorId: sendConnectorId(connector),
      source: 'SMTP' as const,
      internalMessageId: messageId,
      messageId: e.messageId,
      totalBytes: body.length,
      messageSubject: e.subject,
      sender: e.headerFrom || e.sender,
      returnPath: e.sender || '<>',
    };
    const events: TrackingEvent[] = [];
    if (delivered.length > 0) events.push({ ...base, eventId: 'SEND', recipients: delivered.map((o) => o.address), recipientStatus: delivered.map((o) => o.text), recipientCount: delivered.length, sourceContext: delivered[0].text });
    if (deferred.length > 0) events.push({ ...base, eventId: 'DEFER', recipients: deferred.map((o) => o.address), recipientStatus: deferred.map((o) => o.text), recipientCount: deferred.length });
    if (failed.length > 0) events.push({ ...base, eventId: 'FAIL', recipients: failed.map((f) => f.address), recipientStatus: failed.map((f) => f.reply), recipientCount: failed.length });
    // The outcome and its tracking events in one transaction, then a removal asked meanwhile.
    const removals = this.deps.state.batch(() => {
      this.deps.state.clearInFlight(messageId);
      for (const { r, o } of settled) {
        if (o.kind === 'delivered') this.deps.state.delivered(r.message, r.idx);
        else if (o.kind === 'permanent') this.deps.state.failed(r.message, r.idx, o.text);
        else this.deps.state.deferred(r.message, r.idx, o.text, now + withJitter(config.retry.messageRetryIntervalMs));
      }
      for (const ev of events) this.deps.store.insertTrackingEvent(ev);
      return this.deps.state.settleRemovals(messageId);
    });
    for (const ev of events) this.deps.store.notifyTracked(ev);
    this.deps.reports.removedByAdmin(removals, config);
    if (delivered.length > 0) this.connectivity.get(q.key)?.sent(body.length);
    const m = this.deps.metrics?.outcomes;
    if (m) {
      if (delivered.length) m.inc({ delivery_type: q.deliveryType, outcome: 'delivered' }, delivered.length);
      if (deferred.length) m.inc({ delivery_type: q.deliveryType, outcome: 'deferred' }, deferred.length);
      if (failed.length) m.inc({ delivery_type: q.deliveryType, outcome: 'failed' }, failed.length);
    }
    if (failed.length > 0) this.deps.reports.failed(messageId, failed, config, target.host);
    this.deps.log.log(failed.length + deferred.length > 0 ? 'warn' : 'info', 'delivery.message.sent', {
      queue: q.nextHopDomain,
      internalId: messageId,
      delivered: delivered.length,
      deferred: deferred.length,
      failed: failed.length,
      target: `${target.host} [${target.address}]`,
      ...(deferred.length > 0 && { deferredReply: deferred[0].text }),
      ...(failed.length > 0 && { failedReply: failed[0].reply }),
    });
  }

  /**
   * A message with REQUIRETLS (RFC 8689 §4.2.1) goes over a connection of its own, opened with the
   * REQUIRETLS checks (requireTlsPolicy), to each of the next hop's hosts in turn until one passes
   * them. Every host reached refusing (no STARTTLS, failed handshake, certificate not trusted or
   * not naming the host, no REQUIRETLS offered): the message fails for good (5.7.10 / 5.7.30) and
   * the sender gets an NDR, as §4.2.1 says. A host that could not be reached at all leaves the
   * outcome open: the message waits and is retried (and expires as any other would).
   */
  private async sendRequiringTls(message: OutgoingMessage, q: QueueRow, config: TransportConfig, connector: SendConnectorConfig): Promise<{ outcomes: Outcome[]; target: Target | null }> {
    const all = (status: Outcome['status'], reply: string, target: Target | null = null) => ({ outcomes: message.recipients.map((r) => ({ address: r.address, status, reply })), target });
    const targets = await this.deps.nextHops.targets(q, connector);
    if ('text' in targets) return all(targets.kind, targets.text);
    const policy = requireTlsPolicy(this.policy(connector, config, q));
    let unreachable: string | null = null;
    let refused: { text: string; target: Target } | null = null;
    for (const target of targets) {
      if (this.deps.stopped()) break;
      const conn = await this.deps.connect(target, this.withProtocolLog(policy, connector, target));
      noteConnection(this.connectivity.get(q.key) ?? null, target, conn);
      if ('text' in conn) {
        this.deps.log.log('warn', 'delivery.requiretls.refused', { queue: q.nextHopDomain, connector: connector.name, target: `${target.host} [${target.address}]:${target.port}`, stage: conn.stage, error: conn.text });
        if (conn.kind === 'permanent') refused ??= { text: conn.text, target };
        else unreachable ??= conn.text;
        continue;
      }
      try {
        return { outcomes: await conn.send(message), target };
      } finally {
        await conn.close().catch(() => undefined);
      }
    }
    if (unreachable !== null || !refused) return all('transient', unreachable ?? '451 4.4.0 REQUIRETLS: delivery stopped before a host was tried');
    return all('permanent', refused.text, refused.target);
  }

  /** MTA-STS for a DNS-routed queue of a connector with MtaStsEnabled (not for an address literal). */
  private async mtaSts(q: QueueRow, connector: SendConnectorConfig): Promise<StsAttempt | null> {
    if (!this.deps.mtaSts || !connector.mtaStsEnabled || q.deliveryType !== 'DnsConnectorDelivery' || q.nextHopDomain.startsWith('[')) return null;
    return StsAttempt.begin(this.deps.mtaSts, q.nextHopDomain.toLowerCase(), connector.useExternalDnsServers ? 'external' : 'internal', this.deps.log, this.deps.now);
  }

  /** DANE for a DNS-routed queue of a connector with DaneEnabled (not for an address literal, not under Domain Security). */
  private async dane(q: QueueRow, connector: SendConnectorConfig, config: TransportConfig, targets: Target[]): Promise<DaneAttempt | null> {
    if (!this.deps.dane || !connector.daneEnabled || q.deliveryType !== 'DnsConnectorDelivery' || q.nextHopDomain.startsWith('[') || this.domainSecured(connector, config, q)) return null;
    return DaneAttempt.begin(this.deps.dane(connector.useExternalDnsServers ? 'external' : 'internal'), q.nextHopDomain, targets, this.deps.log);
  }

  private readonly sessionIds = new SessionIds();

  /** A per-connection Send protocol log writer, when the connector logs verbosely. */
  private withProtocolLog(policy: Policy, connector: SendConnectorConfig, target: Target): Policy {
    const log = this.deps.sendProtocolLog;
    if (!log || !connector.protocolLogging) return policy;
    const session = this.sessionIds.next();
    let sequence = 0;
    const remote = `${target.address.includes(':') ? `[${target.address}]` : target.address}:${target.port}`;
    log.write({ connector: connector.name, session, sequence: sequence++, local: '', remote, event: '+', data: '' });
    return { ...policy, protocolLog: (event, data) => log.write({ connector: connector.name, session, sequence: sequence++, local: '', remote, event, data }) };
  }

  private policy(c: SendConnectorConfig, config: TransportConfig, q: QueueRow): Policy {
    return outboundPolicy(c, {
      serverFqdn: config.fqdn,
      defaultSourceAddress: config.defaultSourceAddress,
      deliveryType: q.deliveryType,
      nextHopDomain: q.nextHopDomain,
      credential: usesBasicAuth(c) ? this.deps.credential(c) : null,
      trustedCertificates: this.deps.trustedCertificates(),
      ...(this.domainSecured(c, config, q) && { domainSecure: { clientCertificate: this.deps.clientCertificate?.(c, config) ?? null } }),
    });
  }

  /** Domain Security: a DomainSecureEnabled connector delivering by DNS to a domain on TLSSendDomainSecureList. */
  private domainSecured(c: SendConnectorConfig, config: TransportConfig, q: QueueRow): boolean {
    return c.domainSecureEnabled === true && q.deliveryType === 'DnsConnectorDelivery' && config.organization.tlsSendDomainSecure.includes(q.nextHopDomain.toLowerCase());
  }
}

/** One connection attempt in the connectivity log: where, and how TLS went. */
function noteConnection(session: ConnectivitySession | null, target: Target, conn: ConnectionLike | ConnectFailure): void {
  if (!session) return;
  const where = `${target.host}[${target.address.includes(':') ? `[${target.address}]` : target.address}:${target.port}]`;
  if ('text' in conn) {
    session.note(conn.stage === 'connect' ? `Failed connection to ${where}: ${conn.text}` : `Connected to ${where} but the session failed at ${conn.stage}: ${conn.text}`);
    return;
  }
  session.note(`Established connection to ${where}`);
  session.note(conn.tls ? `TLS ${conn.tls.protocol} ${conn.tls.cipher} with ${target.host}, certificate ${conn.tls.authorized ? 'validated' : 'not validated'}` : `No TLS with ${target.host}`);
}
