// Outbound delivery of the local queue: routes accepted recipients (the
// categorizer), runs one delivery at a time per delivery queue (up to
// MaxOutboundConnections queues at once), resolves the next hop (DNS MX or the
// connector's smart hosts, load-balanced, failing hosts skipped for a while),
// hands messages to the SMTP client, and records every outcome before going on:
// 2xx delivered, 4xx retried, 5xx failed with a non-delivery report. Queues
// that cannot connect go to Retry on the documented schedule; messages expire
// after MessageExpirationTimeout (NDR 4.4.7) and get one delay notification
// after DelayNotificationTimeout. DSNs are new messages that are routed like
// any other; none is ever sent to the null sender.

import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { DeliveryState, PendingRecipient, QueueRow } from '../queue/delivery-state.js';
import type { Envelope } from '../queue/queue-store.js';
import { queueRetryDelay, withJitter } from '../queue/retry-schedule.js';
import type { SqliteQueueStore } from '../queue/sqlite-queue-store.js';
import { routeRecipient, type RecipientInfo } from '../routing/categorizer.js';
import type { SendConnectorConfig } from '../routing/send-connector-config.js';
import { outboundPolicy, requireTlsPolicy, usesBasicAuth } from '../routing/outbound-policy.js';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import { dsnBodyType } from '../queue/dsn.js';
import { firewallForSend } from '../smtp/message-headers.js';
import { ndrBlock, remoteDomainBlock } from '../routing/remote-domain-policy.js';
import type { ConnectFailure, OutboundMessage, OutboundPolicy, OutboundTarget, RecipientOutcome } from '../smtp/outbound/connection.js';
import type { ConnectivityLog, ConnectivitySession } from '../smtp/outbound/connectivity-log.js';
import type { ProtocolLog } from '../smtp/protocol-log.js';
import { acceptedDomainFor, type TransportConfig } from './transport-config.js';
import { StsAttempt, type MtaStsHooks } from './mta-sts-delivery.js';
import { DaneAttempt } from './dane-delivery.js';
import type { SecureLookup } from '../dns/dnssec-lookup.js';
import type { TlsSessionInfo } from '../smtp/outbound/connection.js';
import type { DkimOutboundSigner } from '../dkim/outbound.js';
import { SessionIds } from '../observability/session-id.js';

// ---- what delivery needs from the DNS resolver, the SMTP client and the DSN builder ----

export type Resolution =
  | { ok: true; hosts: { name: string; preference: number; addresses: string[] }[] }
  | { ok: false; kind: 'transient' | 'permanent'; enhanced: string; text: string };

export interface ResolverLike {
  resolveMailDomain(domain: string): Promise<Resolution>;
  resolveSmartHost(name: string): Promise<Resolution>;
}

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

export interface DsnRequest {
  kind: 'failure' | 'delay' | 'success';
  reportingMta: string;
  from: string;
  to: string;
  original: { messageId: string; subject: string; envid?: string; ret?: 'FULL' | 'HDRS'; arrivalDate: Date; content: Buffer };
  recipients: { address: string; orcpt?: string; action: 'failed' | 'delayed' | 'delivered'; status: string; diagnostic?: string; remoteMta?: string; lastAttempt?: Date; willRetryUntil?: Date }[];
  maxAttachBytes: number;
  now: Date;
  messageId: string;
}

export interface DeliveryDeps {
  store: SqliteQueueStore;
  state: DeliveryState;
  config: () => TransportConfig;
  resolver: (kind: 'external' | 'internal') => ResolverLike;
  connect: (target: Target, policy: Policy) => Promise<ConnectionLike | ConnectFailure>;
  /** The connector's credential, opened from its sealed form; null when it has none. */
  credential: (connector: SendConnectorConfig) => { username: string; password: string } | null;
  trustedCertificates: () => string[];
  buildDsn: (request: DsnRequest) => Buffer;
  /** Domain Security: the certificate this server presents for the connector's FQDN (or TlsCertificateName). */
  clientCertificate?: (c: SendConnectorConfig, config: TransportConfig) => { certificatePem: string; privateKeyPem: string; chainPem?: string } | null;
  /** Mailbox servers: the organization's recipients, for routing (groups, mailboxes, owning server). */
  recipients?: (address: string) => RecipientInfo | null;
  /** Mailbox servers: delivery of one message into one local mailbox (Maildir). */
  deliverLocal?: (address: string, message: Buffer, envelope: { returnPath: string; deliveredTo: string }) => Promise<void>;
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
  log: Logger;
  now?: () => number;
}

const TICK_MS = 200;
const HOUSEKEEPING_MS = 2000;
const FULL_SWEEP_MS = 60_000;
const DSN_MAX_ATTACH = 10 * 1024 * 1024;
const BATCH = 100;

/** The ConnectorId of SEND/DEFER/FAIL events: the Send connector's name (Exchange's own name for the implicit one between Mailbox servers). */
function sendConnectorId(c: SendConnectorConfig): string {
  return c.guid.startsWith('intraorg:') ? 'Intra-Organization SMTP Send Connector' : c.name;
}

function enhancedOf(reply: string, fallback: string): string {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply)?.[1] ?? fallback;
}

function wantsNotice(r: { notify?: string[] }, kind: 'FAILURE' | 'DELAY'): boolean {
  if (!r.notify || r.notify.length === 0) return true; // Exchange's default: failures and delays are reported
  return r.notify.includes(kind);
}

/**
 * A Send connector's ErrorPolicies (for reliable partner links): DowngradeCustomFailures
 * treats the peer's permanent (5xx) replies as transient, UpgradeCustomFailures its
 * transient (4xx) replies as permanent. DowngradeDnsFailures is applied to DNS results.
 */
export function applyErrorPolicies(outcomes: Outcome[], policies: readonly string[]): Outcome[] {
  const down = policies.includes('DowngradeCustomFailures');
  const up = policies.includes('UpgradeCustomFailures');
  if (!down && !up) return outcomes;
  return outcomes.map((o) => {
    if (down && o.status === 'permanent') return { ...o, status: 'transient' };
    if (up && o.status === 'transient' && /^4\d\d/.test(o.reply)) return { ...o, status: 'permanent' };
    return o;
  });
}

export class DeliveryService {
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private readonly active = new Map<string, Promise<void>>();
  private readonly downUntil = new Map<string, number>();
  private lastHousekeeping = 0;
  private lastFullSweep = 0;
  private lastStoreFullLog = -Infinity;
  private roundRobin = 0;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: DeliveryDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    const config = this.deps.config();
    const { poisoned, suspects } = this.deps.state.recoverInFlight(config.poisonThreshold, config.poisonDetection, this.now());
    if (suspects.length > 0) this.deps.log.log('warn', 'delivery.crash-recovery', { inFlightAtCrash: suspects, poisoned, poisonThreshold: config.poisonThreshold });
    for (const id of poisoned) {
      const m = this.deps.state.message(id);
      this.track({ timestamp: new Date(this.now()), source: 'QUEUE', eventId: 'POISONMESSAGE', internalMessageId: id, messageId: m?.envelope.messageId, recipients: m?.envelope.recipients.map((r) => r.address) ?? [], sourceContext: `moved to the Poison queue after ${config.poisonThreshold} crashes during its delivery` });
      this.deps.log.log('error', 'delivery.poison', { internalId: id, action: 'the message stays suspended in the Poison queue; inspect it before resuming or removing it' });
    }
    this.timer = setInterval(() => void this.tick(), TICK_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.active.values()]);
  }

  /** The configuration changed: waiting recipients are routed again (Unreachable drains when a connector appears). */
  configurationChanged(): void {
    const n = this.deps.state.rerouteAll();
    if (n > 0) this.deps.log.log('info', 'routing.rerouted', { recipients: n });
  }

  /** One scheduling pass (also called by tests). */
  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const config = this.deps.config();
      const now = this.now();
      this.routePending(config, now);
      if (now - this.lastHousekeeping >= HOUSEKEEPING_MS) {
        this.lastHousekeeping = now;
        this.expireAndNotify(config, now);
        this.deps.state.dropIdleQueues(now, config.queueMaxIdleMs);
      }
      // Done messages leave the queue: those finished since the last tick, and now and then a full
      // sweep (messages finished by the shell, or before a restart).
      const sweepAll = now - this.lastFullSweep >= FULL_SWEEP_MS;
      if (sweepAll) this.lastFullSweep = now;
      this.deps.state.removeCompleted(sweepAll ? 5000 : 20_000, sweepAll);
      for (const q of this.deps.state.queues()) {
        if (this.active.size >= (config.maxOutboundConnections ?? Infinity)) break;
        if (!this.isDue(q, now)) continue;
        const run = this.deliverQueue(q, config).catch((err) => {
          if (!this.storeFull(err)) this.deps.log.log('error', 'delivery.bug', { queue: q.nextHopDomain, error: (err as Error).stack ?? String(err) });
        }).finally(() => this.active.delete(q.key));
        this.active.set(q.key, run);
      }
    } catch (err) {
      if (!this.storeFull(err)) this.deps.log.log('error', 'delivery.tick.failed', { error: (err as Error).message });
    } finally {
      this.ticking = false;
    }
  }

  /**
   * A full disk under the queue database: nothing is sent while outcomes cannot be recorded, and
   * delivery resumes by itself once there is space. Said once every 30 s rather than on every tick.
   */
  private storeFull(err: unknown): boolean {
    if ((err as { code?: string }).code !== 'SQLITE_FULL') return false;
    const now = this.now();
    if (now - this.lastStoreFullLog >= 30_000) {
      this.lastStoreFullLog = now;
      this.deps.log.log('error', 'delivery.store.full', { error: (err as Error).message, action: 'free disk space under the queue database (queue.db); delivery resumes by itself' });
    }
    return true;
  }

  private isDue(q: QueueRow, now: number): boolean {
    if (q.deliveryType === 'Unreachable' || q.deliveryType === 'Undefined') return false;
    if (q.deliveryType === 'SmtpDeliveryToMailbox' && (!this.deps.deliverLocal || q.key === 'mailbox')) return false;
    if (q.status === 'Suspended' || this.active.has(q.key) || q.waiting === 0) return false;
    if (q.nextRetryAt !== null && q.nextRetryAt > now) return false;
    const due = this.deps.state.nextDue(q.key);
    return due !== null && due <= now;
  }

  // ---- routing ----

  private routePending(config: TransportConfig, now: number): void {
    const pending = this.deps.state.unrouted(500);
    if (pending.length === 0) return;
    const failures = new Map<number, { r: PendingRecipient; text: string; enhanced: string }[]>();
    const events: TrackingEvent[] = [];
    const input = { role: config.role, serverName: config.serverName, acceptedDomains: config.acceptedDomains, sendConnectors: config.sendConnectors, intraOrg: config.intraOrg, ...(this.deps.recipients && { recipient: this.deps.recipients }) };
    this.deps.state.batch(() => {
      for (const r of pending) {
        const message = this.deps.state.message(r.message);
        if (!message) continue;
        const domain = r.address.slice(r.address.lastIndexOf('@') + 1);
        const block = remoteDomainBlock(config.remoteDomains, config.acceptedDomains, r.address, message.envelope.messageClass);
        if (block) {
          // Set-RemoteDomain: this kind of automatic message does not go to that domain; dropped without an NDR.
          const text = `550 5.7.1 RemoteDomain.${block.parameter}; ${message.envelope.messageClass} messages to remote domain "${block.remoteDomain}" are not allowed (Set-RemoteDomain -${block.parameter})`;
          this.deps.state.failed(r.message, r.idx, text);
          events.push({
            timestamp: new Date(now), source: 'ROUTING', eventId: 'DROP', internalMessageId: r.message, messageId: message.envelope.messageId,
            recipients: [r.address], recipientStatus: [text], recipientCount: 1, returnPath: message.envelope.sender || '<>', messageSubject: message.envelope.subject,
          } as TrackingEvent);
          this.deps.log.log('info', 'routing.remote-domain.dropped', { internalId: r.message, recipient: r.address, remoteDomain: block.remoteDomain, setting: block.parameter, messageClass: message.envelope.messageClass });
          continue;
        }
        const decision = routeRecipient(domain, message.size, { ...input, anonymousSender: message.envelope.authAs === 'Anonymous' }, r.address);
        if (decision.kind === 'fail') {
          this.deps.state.failed(r.message, r.idx, decision.text);
          failures.set(r.message, [...(failures.get(r.message) ?? []), { r, text: decision.text, enhanced: decision.enhanced }]);
        } else if (decision.kind === 'expand' || decision.kind === 'redirect') {
          const targets = decision.kind === 'expand' ? decision.addresses : [decision.address];
          const keep = decision.kind === 'redirect' && decision.keep?.kind === 'queue' ? decision.keep : null;
          const added = this.deps.state.replaceRecipient(r, targets, keep ? null : decision.kind === 'expand' ? 'Expanded' : 'Redirected');
          if (keep) this.deps.state.route(r.message, r.idx, keep, now);
          events.push({
            timestamp: new Date(now), source: 'ROUTING', eventId: decision.kind === 'expand' ? 'EXPAND' : 'REDIRECT', internalMessageId: r.message, messageId: message.envelope.messageId,
            recipients: added, recipientCount: added.length, relatedRecipientAddress: r.address, returnPath: message.envelope.sender || '<>',
          } as TrackingEvent);
        } else {
          this.deps.state.route(r.message, r.idx, this.redirected(decision, r.message, config), now);
        }
      }
    });
    for (const ev of events) this.track(ev);
    for (const [message, list] of failures) this.reportFailures(message, list.map((f) => ({ ...f.r, reply: f.text, enhanced: f.enhanced })), config);
  }

  /**
   * Redirect-Message: while this server is in maintenance, mail for every next hop but its own
   * mailbox databases (and the Unreachable queue) goes to the target Mailbox servers, spread by message.
   */
  private redirected<T extends { kind: 'queue'; deliveryType: string; nextHopDomain: string; connector: string; key: string }>(decision: T, message: number, config: TransportConfig): T | { kind: 'queue'; deliveryType: 'SmtpRelayToMailboxDeliveryGroup'; nextHopDomain: string; connector: string; key: string } {
    const targets = config.redirectTargets;
    if (targets.length === 0 || decision.deliveryType === 'SmtpDeliveryToMailbox' || decision.deliveryType === 'Unreachable') return decision;
    const target = targets[message % targets.length].toLowerCase();
    const relay = config.intraOrg.find((c) => c.name.toLowerCase() === target);
    if (!relay) return decision;
    return { kind: 'queue', deliveryType: 'SmtpRelayToMailboxDeliveryGroup', nextHopDomain: String(relay.smartHosts[0]), connector: relay.guid, key: `relay:${target}` };
  }

  // ---- delivery of one queue ----

  private async deliverQueue(q: QueueRow, config: TransportConfig): Promise<void> {
    if (q.deliveryType === 'SmtpDeliveryToMailbox') return this.deliverToMailboxes(q, config);
    const connector = [...config.sendConnectors, ...config.intraOrg].find((c) => c.guid === q.connector);
    if (!connector || !connector.enabled) {
      this.configurationChanged();
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
    const now = this.now();
    this.deps.state.setQueue(q.key, { status: 'Active', lastAttemptAt: now });
    const targets = await this.targets(q, connector);
    session?.note('text' in targets ? `${q.deliveryType === 'DnsConnectorDelivery' ? 'DNS' : 'Smart host'} resolution failed: ${targets.text}`
      : `${q.deliveryType === 'DnsConnectorDelivery' ? 'DNS resolved' : 'Smart hosts resolved'} to ${[...new Set(targets.map((t) => `${t.host}[${t.address}]`))].join(',')}`);
    if ('text' in targets) {
      if (targets.kind === 'permanent') {
        this.failQueue(q, targets.text, config);
        this.deps.state.setQueue(q.key, { status: 'Ready', failures: 0, nextRetryAt: null, lastError: targets.text });
      } else {
        this.retryQueue(q, targets.text, config);
      }
      return;
    }
    const dane = await this.dane(q, connector, config, targets);
    // RFC 8461 §2: where DANE applies, MTA-STS does not.
    const sts = dane?.applies ? null : await this.mtaSts(q, connector);
    const screened = dane?.applies ? dane.screen(targets) : sts ? sts.screen(targets) : { targets };
    if (screened.refusal) {
      session?.note(screened.refusal);
      this.retryQueue(q, screened.refusal, config);
      return;
    }
    const policy = sts ? sts.connectionPolicy(this.policy(connector, config, q)) : this.policy(connector, config, q);
    let failure: ConnectFailure | null = null;
    for (const target of screened.targets) {
      if (this.stopped) return;
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
        this.markDown(target.host, config);
        this.deps.log.log('warn', 'delivery.connect.failed', { queue: q.nextHopDomain, connector: connector.name, target: `${target.host} [${target.address}]:${target.port}`, stage: conn.stage, error: conn.text });
        if (conn.kind === 'permanent' && conn.stage !== 'connect') {
          this.failQueue(q, conn.text, config, target.host);
          this.deps.state.setQueue(q.key, { status: 'Ready', failures: 0, nextRetryAt: null, lastError: conn.text });
          return;
        }
        continue;
      }
      await this.sendOver(conn, q, target, targetPolicy, config, connector, sts);
      return;
    }
    this.retryQueue(q, failure?.text ?? '451 4.4.0 Unable to connect to any target host', config);
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
      if (buffer.length === 0 && !this.stopped && failedText === null) {
        buffer = this.deps.state.due(q.key, this.now(), BATCH + claimed.size).filter((w) => !claimed.has(w.message));
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
          if (this.stopped || failedText !== null) { claimed.delete(item.message); break; }
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
    if (failedText !== null) this.retryQueue(q, failedText, config);
    else this.deps.state.setQueue(q.key, { status: 'Ready', failures: 0, nextRetryAt: null, lastError: null });
  }

  private async arcSeal(messageId: number, arc: NonNullable<ReturnType<DkimOutboundSigner['arcFor']>>, wire: Buffer, config: TransportConfig): Promise<Buffer> {
    const { plan, rule } = arc;
    const domain = config.arcSealDomain ?? '(no default accepted domain)';
    if (!plan.seal) {
      this.deps.log.log('info', 'delivery.arc.not-sealed', { internalId: messageId, reason: plan.reason });
      return wire;
    }
    if (!rule) {
      this.deps.log.log('info', 'delivery.arc.no-key', { internalId: messageId, domain, action: `to ARC-seal mail from the Internet that is forwarded out: New-DkimSigningConfig -DomainName ${domain} -KeySize 2048 -Enabled $true (the default accepted domain's key seals)` });
      return wire;
    }
    try {
      const sealed = await this.deps.dkim!.seal(rule, plan, wire);
      this.deps.log.log('info', 'delivery.arc.sealed', { internalId: messageId, domain: rule.domain, selector: rule.selector, instance: plan.instance, cv: plan.cv });
      return sealed;
    } catch (err) {
      this.deps.log.log('error', 'delivery.arc.failed', { internalId: messageId, domain: rule.domain, selector: rule.selector, error: (err as Error).message, action: `ARC needs an RSA key: Rotate-DkimSigningConfig ${rule.domain} -KeyType RSA -KeySize 2048, or check Get-DkimSigningConfig ${rule.domain} | Format-List` });
      return wire;
    }
  }

  /** Open SMTP connections of all queues (MaxOutboundConnections). */
  private outboundConnections = 0;

  private async sendMessage(conn: ConnectionLike, messageId: number, recipients: PendingRecipient[], q: QueueRow, target: Target, config: TransportConfig, connector: SendConnectorConfig): Promise<void> {
    const message = this.deps.state.message(messageId);
    const body = this.deps.store.body(messageId);
    if (!message || !body) return;
    const e = message.envelope;
    this.deps.state.markInFlight(messageId);
    // Organization headers go only to Internal connectors (and other servers of the organization).
    let wire = connector.usage === 'Internal' ? body : firewallForSend(body, { organization: true, routing: connector.usage === 'Custom' });
    // DKIM: signed last, over the exact bytes sent. A key that cannot sign is logged and the message goes unsigned.
    const dkimRule = this.deps.dkim?.ruleFor(config.dkim ?? [], connector, wire);
    if (dkimRule) {
      try {
        wire = await this.deps.dkim!.sign(dkimRule, wire);
      } catch (err) {
        this.deps.log.log('error', 'delivery.dkim.failed', { internalId: messageId, domain: dkimRule.domain, selector: dkimRule.selector, error: (err as Error).message, action: `check the domain's key: Get-DkimSigningConfig ${dkimRule.domain} | Format-List; Rotate-DkimSigningConfig ${dkimRule.domain} makes a new one` });
      }
    }
    // ARC (RFC 8617): mail from the Internet leaving again is sealed after the DKIM signature.
    const arc = this.deps.dkim?.arcFor(config.dkim ?? [], config.arcSealDomain ?? null, [config.fqdn, ...config.receiveConnectors.map((c) => c.fqdn)], connector, wire);
    if (arc) wire = await this.arcSeal(messageId, arc, wire, config);
    let outcomes: Outcome[];
    // RFC 8689 §4.2.1 binds messages with a return path: a bounce carries no REQUIRETLS demand onward.
    const requireTls = e.requireTls === true && e.sender !== '';
    try {
      const outgoing: OutgoingMessage = {
        sender: e.sender, recipients: recipients.map((r) => ({ address: r.address, ...(r.notify && { notify: r.notify }), ...(r.orcpt && { orcpt: r.orcpt }) })),
        ...(e.envid !== undefined && { envid: e.envid }), ...(e.ret && { ret: e.ret }), body: wire, smtputf8: e.smtputf8, bodyType: e.bodyType,
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
    const now = this.now();
    const byAddress = new Map(applyErrorPolicies(outcomes, connector.errorPolicies).map((o) => [o.address.toLowerCase(), o]));
    const settled = recipients.map((r) => ({ r, o: byAddress.get(r.address.toLowerCase()) ?? { address: r.address, status: 'transient' as const, reply: '451 4.4.0 No reply for this recipient' } }));
    const delivered = settled.filter((x) => x.o.status === 'delivered').map((x) => x.o);
    const deferred = settled.filter((x) => x.o.status === 'transient').map((x) => x.o);
    const failed = settled.filter((x) => x.o.status === 'permanent').map((x) => ({ ...x.r, reply: x.o.reply, enhanced: enhancedOf(x.o.reply, '5.0.0') }));
    const base = { timestamp: new Date(now), serverIp: target.address, serverHostname: target.host, connectorId: sendConnectorId(connector), source: 'SMTP' as const, internalMessageId: messageId, messageId: e.messageId, totalBytes: body.length, messageSubject: e.subject, sender: e.headerFrom || e.sender, returnPath: e.sender || '<>' };
    const events: TrackingEvent[] = [];
    if (delivered.length > 0) events.push({ ...base, eventId: 'SEND', recipients: delivered.map((o) => o.address), recipientStatus: delivered.map((o) => o.reply), recipientCount: delivered.length, sourceContext: delivered[0].reply });
    if (deferred.length > 0) events.push({ ...base, eventId: 'DEFER', recipients: deferred.map((o) => o.address), recipientStatus: deferred.map((o) => o.reply), recipientCount: deferred.length });
    if (failed.length > 0) events.push({ ...base, eventId: 'FAIL', recipients: failed.map((f) => f.address), recipientStatus: failed.map((f) => f.reply), recipientCount: failed.length });
    // The outcome and its tracking events in one transaction.
    this.deps.state.batch(() => {
      this.deps.state.clearInFlight(messageId);
      for (const { r, o } of settled) {
        if (o.status === 'delivered') this.deps.state.delivered(r.message, r.idx);
        else if (o.status === 'permanent') this.deps.state.failed(r.message, r.idx, o.reply);
        else this.deps.state.deferred(r.message, r.idx, o.reply, now + withJitter(config.retry.messageRetryIntervalMs));
      }
      for (const ev of events) this.deps.store.insertTrackingEvent(ev);
    });
    for (const ev of events) this.deps.store.notifyTracked(ev);
    if (delivered.length > 0) this.connectivity.get(q.key)?.sent(body.length);
    const m = this.deps.metrics?.outcomes;
    if (m) {
      if (delivered.length) m.inc({ delivery_type: q.deliveryType, outcome: 'delivered' }, delivered.length);
      if (deferred.length) m.inc({ delivery_type: q.deliveryType, outcome: 'deferred' }, deferred.length);
      if (failed.length) m.inc({ delivery_type: q.deliveryType, outcome: 'failed' }, failed.length);
    }
    if (failed.length > 0) this.reportFailures(messageId, failed, config, target.host);
    this.deps.log.log(failed.length + deferred.length > 0 ? 'warn' : 'info', 'delivery.message.sent', {
      queue: q.nextHopDomain, internalId: messageId, delivered: delivered.length, deferred: deferred.length, failed: failed.length, target: `${target.host} [${target.address}]`,
      ...(deferred.length > 0 && { deferredReply: deferred[0].reply }), ...(failed.length > 0 && { failedReply: failed[0].reply }),
    });
  }

  // ---- local mailboxes ----

  /** SmtpDeliveryToMailbox: each due recipient into its Maildir, once per address per message. */
  private async deliverToMailboxes(q: QueueRow, config: TransportConfig): Promise<void> {
    const deliver = this.deps.deliverLocal!;
    this.deps.state.setQueue(q.key, { status: 'Active', lastAttemptAt: this.now() });
    let lastError: string | null = null;
    for (let round = 0; round < 1000 && !this.stopped; round++) {
      const work = this.deps.state.due(q.key, this.now(), BATCH);
      if (work.length === 0) break;
      for (const item of work) {
        const message = this.deps.state.message(item.message);
        const body = this.deps.store.body(item.message);
        if (!message || !body) continue;
        const returnPath = message.envelope.sender;
        const done = new Set<string>();
        const delivered: string[] = [];
        for (const r of item.recipients) {
          const key = r.address.toLowerCase();
          if (done.has(key)) {
            this.deps.state.delivered(r.message, r.idx);
            continue;
          }
          try {
            await deliver(r.address, body, { returnPath, deliveredTo: r.address });
            this.deps.state.delivered(r.message, r.idx);
            done.add(key);
            delivered.push(r.address);
          } catch (err) {
            const transient = (err as { transient?: boolean }).transient !== false;
            const own = err as { reply?: string; enhanced?: string };
            lastError = own.reply ?? `${transient ? '432 4.2.0' : '554 5.2.0'} STOREDRV.Deliver; ${(err as Error).message}`;
            this.deps.log.log('error', 'delivery.mailbox.failed', { database: q.nextHopDomain, recipient: r.address, error: (err as Error).message, action: 'check the database folder (Get-MailboxDatabase) and free disk space' });
            if (transient) this.deps.state.deferred(r.message, r.idx, lastError, this.now() + withJitter(config.retry.messageRetryIntervalMs));
            else {
              this.deps.state.failed(r.message, r.idx, lastError);
              this.track({
                timestamp: new Date(this.now()), source: 'STOREDRIVER', eventId: 'FAIL', internalMessageId: item.message, messageId: message.envelope.messageId,
                recipients: [r.address], recipientStatus: [lastError], recipientCount: 1, messageSubject: message.envelope.subject, connectorId: q.nextHopDomain,
                sender: message.envelope.headerFrom || returnPath, returnPath: returnPath || '<>', serverHostname: config.fqdn,
              });
              this.reportFailures(r.message, [{ ...r, reply: lastError, enhanced: own.enhanced ?? '5.2.0' }], config);
            }
          }
        }
        if (delivered.length > 0) {
          this.deps.metrics?.outcomes.inc({ delivery_type: q.deliveryType, outcome: 'delivered' }, delivered.length);
          this.track({
            timestamp: new Date(this.now()), source: 'STOREDRIVER', eventId: 'DELIVER', internalMessageId: item.message, messageId: message.envelope.messageId,
            recipients: delivered, recipientCount: delivered.length, totalBytes: body.length, messageSubject: message.envelope.subject, connectorId: q.nextHopDomain,
            sender: message.envelope.headerFrom || returnPath, returnPath: returnPath || '<>', serverHostname: config.fqdn,
          });
        }
      }
    }
    this.deps.state.setQueue(q.key, { status: lastError ? 'Retry' : 'Ready', failures: 0, nextRetryAt: null, lastError });
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
    const targets = await this.targets(q, connector);
    if ('text' in targets) return all(targets.kind, targets.text);
    const policy = requireTlsPolicy(this.policy(connector, config, q));
    let unreachable: string | null = null;
    let refused: { text: string; target: Target } | null = null;
    for (const target of targets) {
      if (this.stopped) break;
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
    return StsAttempt.begin(this.deps.mtaSts, q.nextHopDomain.toLowerCase(), connector.useExternalDnsServers ? 'external' : 'internal', this.deps.log, this.now);
  }

  /** DANE for a DNS-routed queue of a connector with DaneEnabled (not for an address literal, not under Domain Security). */
  private async dane(q: QueueRow, connector: SendConnectorConfig, config: TransportConfig, targets: Target[]): Promise<DaneAttempt | null> {
    if (!this.deps.dane || !connector.daneEnabled || q.deliveryType !== 'DnsConnectorDelivery' || q.nextHopDomain.startsWith('[') || this.domainSecured(connector, config, q)) return null;
    return DaneAttempt.begin(this.deps.dane(connector.useExternalDnsServers ? 'external' : 'internal'), q.nextHopDomain, targets, this.deps.log);
  }

  // ---- next hop ----

  private async targets(q: QueueRow, connector: SendConnectorConfig): Promise<Target[] | { kind: 'transient' | 'permanent'; text: string }> {
    const now = this.now();
    const up = (t: Target[]) => {
      const alive = t.filter((x) => (this.downUntil.get(x.host.toLowerCase()) ?? 0) <= now);
      return alive.length > 0 ? alive : t; // all down: try them anyway rather than wait
    };
    if (q.deliveryType === 'DnsConnectorDelivery') {
      const res = await this.deps.resolver(connector.useExternalDnsServers ? 'external' : 'internal').resolveMailDomain(q.nextHopDomain);
      if (!res.ok) return { kind: res.kind === 'permanent' && connector.errorPolicies.includes('DowngradeDnsFailures') ? 'transient' : res.kind, text: res.text };
      return up(res.hosts.flatMap((h) => h.addresses.map((address) => ({ host: h.name, address, port: connector.port }))));
    }
    // Smart hosts: start at a rotating index (load balancing), the others follow (failover).
    const hosts = connector.smartHosts.map(String);
    const start = this.roundRobin++ % Math.max(1, hosts.length);
    const ordered = [...hosts.slice(start), ...hosts.slice(0, start)];
    const targets: Target[] = [];
    let lastError: { kind: 'transient' | 'permanent'; text: string } | null = null;
    for (const name of ordered) {
      const res = await this.deps.resolver('internal').resolveSmartHost(name);
      if (!res.ok) {
        lastError = { kind: 'transient', text: res.text };
        continue;
      }
      for (const h of res.hosts) for (const address of h.addresses) targets.push({ host: name, address, port: connector.port });
    }
    if (targets.length === 0) return lastError ?? { kind: 'transient', text: '451 4.4.0 DNS query failed: no smart host could be resolved' };
    return up(targets);
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

  private markDown(host: string, config: TransportConfig): void {
    this.downUntil.set(host.toLowerCase(), this.now() + Math.min(60_000, config.retry.transientFailureRetryIntervalMs));
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

  // ---- failures, retries, expiry, notifications ----

  private retryQueue(q: QueueRow, text: string, config: TransportConfig): void {
    const failures = q.failures + 1;
    const next = this.now() + withJitter(queueRetryDelay(failures, config.retry));
    this.deps.state.setQueue(q.key, { status: 'Retry', failures, nextRetryAt: next, lastError: text });
    this.deps.log.log('warn', 'delivery.queue.retry', { queue: q.nextHopDomain, failures, nextRetry: new Date(next).toISOString(), lastError: text });
  }

  private failQueue(q: QueueRow, text: string, config: TransportConfig, remote?: string): void {
    for (const item of this.deps.state.due(q.key, Number.MAX_SAFE_INTEGER, 10_000)) {
      this.deps.state.batch(() => item.recipients.forEach((r) => this.deps.state.failed(r.message, r.idx, text)));
      this.reportFailures(item.message, item.recipients.map((r) => ({ ...r, reply: text, enhanced: enhancedOf(text, '5.4.4') })), config, remote);
    }
  }

  private expireAndNotify(config: TransportConfig, now: number): void {
    // Only messages old enough for a delay notice or expiry are looked at (a deferred backlog
    // of fresh messages costs nothing here).
    const upTo = this.deps.state.lastMessageReceivedBy(now - Math.min(config.retry.delayNotificationMs, config.retry.messageExpirationMs));
    if (upTo === 0) return;
    let after = 0;
    for (let round = 0; round < 100; round++) {
      const list = this.deps.state.waiting(1000, after, upTo);
      if (list.length === 0) break;
      after = list[list.length - 1].message;
      const byMessage = new Map<number, PendingRecipient[]>();
      for (const r of list) byMessage.set(r.message, [...(byMessage.get(r.message) ?? []), r]);
      for (const [id, recipients] of byMessage) {
        const message = this.deps.state.message(id);
        if (!message) continue;
        const age = now - message.receivedAt;
        if (age >= config.retry.messageExpirationMs) {
          const text = '550 4.4.7 QUEUE.Expired; message expired';
          const expired = recipients.map((r) => ({ ...r, reply: r.lastError ? `${text} (last error: ${r.lastError})` : text, enhanced: '4.4.7' }));
          this.deps.state.batch(() => expired.forEach((r) => this.deps.state.failed(r.message, r.idx, r.reply)));
          this.track({ timestamp: new Date(now), source: 'QUEUE', eventId: 'FAIL', internalMessageId: id, messageId: message.envelope.messageId, recipients: expired.map((r) => r.address), recipientStatus: expired.map((r) => r.reply), recipientCount: expired.length, returnPath: message.envelope.sender || '<>' });
          this.reportFailures(id, expired, config);
          continue;
        }
        if (age >= config.retry.delayNotificationMs && message.envelope.sender !== '' && this.delayDsnWanted(message.envelope.sender, config)) {
          const late = recipients.filter((r) => !r.delayNotified && wantsNotice(r, 'DELAY'));
          if (late.length === 0) continue;
          this.deps.state.batch(() => late.forEach((r) => this.deps.state.delayNotified(r.message, r.idx)));
          this.submitDsn('delay', id, late.map((r) => ({
            address: r.address, ...(r.orcpt && { orcpt: r.orcpt }), action: 'delayed' as const, status: '4.4.7',
            diagnostic: r.lastError ?? undefined, willRetryUntil: new Date(message.receivedAt + config.retry.messageExpirationMs),
          })), config);
        }
      }
    }
  }

  /** Set-TransportConfig -InternalDelayDsnEnabled / -ExternalDelayDsnEnabled, by where the sender is. */
  private delayDsnWanted(sender: string, config: TransportConfig): boolean {
    const internal = acceptedDomainFor(config.acceptedDomains, sender.slice(sender.lastIndexOf('@') + 1)) !== undefined;
    return (internal ? config.organization.internalDelayDsn : config.organization.externalDelayDsn) !== false;
  }

  /** Set-TransportConfig -InternalDsnMaxMessageAttachSize / -ExternalDsnMaxMessageAttachSize, by where the sender is. */
  private dsnMaxAttach(sender: string, config: TransportConfig): number {
    const internal = acceptedDomainFor(config.acceptedDomains, sender.slice(sender.lastIndexOf('@') + 1)) !== undefined;
    return (internal ? config.organization.internalDsnMaxAttach : config.organization.externalDsnMaxAttach) ?? DSN_MAX_ATTACH;
  }

  /** An NDR for recipients that failed for good (unless the sender is null or asked for none). */
  private reportFailures(messageId: number, failed: (PendingRecipient & { reply: string; enhanced: string })[], config: TransportConfig, remote?: string): void {
    const message = this.deps.state.message(messageId);
    if (!message || message.envelope.sender === '') return;
    const status = (r: { enhanced: string }) => (r.enhanced.startsWith('4') ? `5${r.enhanced.slice(1)}` : r.enhanced);
    let wanted = failed.filter((r) => wantsNotice(r, 'FAILURE'));
    const blockedBy = ndrBlock(config.remoteDomains, config.acceptedDomains, message.envelope.sender);
    if (blockedBy && wanted.length > 0) {
      this.deps.log.log('info', 'dsn.suppressed', { internalId: messageId, to: message.envelope.sender, remoteDomain: blockedBy, reason: `NDREnabled is $false on remote domain "${blockedBy}" (Set-RemoteDomain)` });
      wanted = [];
    }
    // Set-TransportConfig -GenerateCopyOfDSNFor: these codes also go to the postmaster mailbox an
    // admin named (ExternalPostmasterAddress). Left at its default, Exchange copies them to the
    // Microsoft Exchange recipient, which has no mailbox until one is assigned: nothing is sent.
    const copied = config.postmasterSet ? failed.filter((r) => config.organization.copyDsnFor.includes(status(r))) : [];
    const reported = wanted.length > 0 ? wanted : copied;
    if (reported.length === 0) return;
    this.submitDsn('failure', messageId, reported.map((r) => ({
      address: r.address, ...(r.orcpt && { orcpt: r.orcpt }), action: 'failed' as const, status: status(r),
      diagnostic: r.reply, ...(remote && { remoteMta: remote }), lastAttempt: new Date(this.now()),
    })), config, { sender: wanted.length > 0, postmasterCopy: copied.length > 0 });
  }

  private submitDsn(kind: 'failure' | 'delay', originalId: number, recipients: DsnRequest['recipients'], config: TransportConfig, to = { sender: true, postmasterCopy: false }): void {
    const message = this.deps.state.message(originalId);
    const content = this.deps.store.body(originalId);
    if (!message || !content) return;
    const e = message.envelope;
    const now = new Date(this.now());
    const dsnId = `<${randomUUID()}@${config.fqdn}>`;
    let body: Buffer;
    try {
      body = this.deps.buildDsn({
        kind, reportingMta: config.fqdn, from: config.postmaster, to: e.sender,
        // RFC 8689 §5: the NDR of a REQUIRETLS message returns its header only (as RET=HDRS), since the NDR itself may travel in clear.
        original: { messageId: e.messageId, subject: e.subject, ...(e.envid !== undefined && { envid: e.envid }), ...(e.requireTls ? { ret: 'HDRS' as const } : e.ret && { ret: e.ret }), arrivalDate: new Date(message.receivedAt), content },
        recipients, maxAttachBytes: this.dsnMaxAttach(e.sender, config), now, messageId: dsnId,
      });
    } catch (err) {
      this.deps.log.log('error', 'dsn.build.failed', { internalId: originalId, error: (err as Error).message });
      return;
    }
    const envelope: Envelope = {
      sender: '', recipients: [...(to.sender ? [{ address: e.sender }] : []), ...(to.postmasterCopy && config.postmaster.toLowerCase() !== e.sender.toLowerCase() ? [{ address: config.postmaster }] : [])], bodyType: dsnBodyType(body), smtputf8: false, connector: 'DSN', principal: 'Local',
      clientIp: '', clientHelo: config.fqdn, serverIp: '', serverFqdn: config.fqdn, messageId: dsnId,
      subject: `${kind === 'failure' ? 'Undeliverable' : 'Delayed'}: ${e.subject}`, headerFrom: config.postmaster, receivedAt: now,
    };
    if (envelope.recipients.length === 0) return;
    this.deps.store.accept(envelope, body).then(
      (accepted) => {
        this.track({ timestamp: now, source: 'DSN', eventId: 'DSN', internalMessageId: originalId, messageId: e.messageId, recipients: recipients.map((r) => r.address), recipientStatus: recipients.map((r) => `${r.status} ${r.diagnostic ?? ''}`.trim()), recipientCount: recipients.length, sourceContext: `DSN ${dsnId} (internal id ${accepted.internalId})`, returnPath: e.sender });
        this.deps.log.log('info', 'dsn.generated', { kind, original: originalId, dsn: accepted.internalId, to: envelope.recipients.map((r) => r.address), recipients: recipients.length, ...(to.postmasterCopy && { postmasterCopy: config.postmaster }) });
      },
      (err) => this.deps.log.log('error', 'dsn.queue.failed', { original: originalId, error: (err as Error).message }),
    );
  }

  private track(ev: TrackingEvent): void {
    try {
      this.deps.store.track(ev);
    } catch (err) {
      this.deps.log.log('warn', 'tracking.write.failed', { error: (err as Error).message });
    }
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
