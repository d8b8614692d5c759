// The catalogue of log events: every event name the services write, with the
// fields it carries (besides ts, level, event and the logger's context such as
// server, component, session, connector and remote), and the levels it is
// written at. Logger.log accepts only these names, each with its own fields
// and levels, so a misspelt event or field is a compile error. Admins and
// tests depend on these names and fields: change them only with
// docs/log-events.md (a test checks that the document lists exactly these).

import type { AgentAction, AgentEvent } from '../agents/agent-log.js';
import type { ServerRoleName } from '../config/model/server.js';
import type { ArcCv } from '../dkim/arc-seal.js';
import type { TlsResultType } from '../mta-sts/mta-sts-store.js';
import type { Level } from './logger.js';

export interface LogEvents {
  // agent
  'agent.address-rewriting.inbound': { recipient: string; rewrittenTo: string; entry: string; client: string };
  'agent.address-rewriting.outbound': { fields: string[]; rewrittenSender?: string; sender: string };
  'agent.attachment-filter.strip-failed': { error: string; sender: string; action: string };
  'agent.attachment-filter.unreadable': { error: string; sender: string; action: string };
  'agent.connection-filter.failed': { client: string; error: string };
  'agent.connection-filter.unanswered': { client: string; providers: string[]; action: string };
  'agent.content-filter.rspamd-unavailable': { url: string; error: string; sender: string; action: string };
  'agent.content-filter.unreadable': { error: string; sender: string; action: string };
  'agent.decision': { recipients?: string[]; agent: string; event: AgentEvent; action: AgentAction; reason: string; reasonData?: string; client: string };
  'agent.dmarc.no-quarantine-mailbox': { sender: string; fromDomain: string; policy: 'quarantine' | 'reject'; action: string };
  'agent.dmarc.unreadable': { error: string; sender: string; action: string };
  'agent.recipient-validation.unavailable': { recipient: string; reason: string; action: string };
  'agent.sender-reputation.block-failed': { client: string; srl: number; error: string; action: string };
  'agent.sender-reputation.blocked': { client: string; srl: number; profile: string; entry: number; until: string; action: string };

  // auth
  'auth.account.locked-out': { account: string; source: string; badLogonCount: number; lockoutThreshold: number; lockedUntil: string; action: string };
  'auth.lockout.store-failed': { account: string; error: string; action: string };

  // config
  'config.applied': { reason: string; changeCounter: number; listening: string[] };
  /** The service (with the reload's reason) or the delivery thread (without one): two shapes. */
  'config.load.failed': { reason: string; error: string; action: string } | { error: string; action: string };
  'config.poll.failed': { error: string };

  // dane
  'dane.authenticated': { queue: string; host: string; target: string; match: string };
  'dane.tlsa.failed': { domain: string; host: string; port: number; error: string; action: string };
  'dane.tlsa.found': { domain: string; host: string; port: number; tlsa: string[] };

  // delivery
  'delivery.arc.failed': { internalId: number; domain: string; selector: string; error: string; action: string };
  'delivery.arc.no-key': { internalId: number; domain: string; action: string };
  'delivery.arc.not-sealed': { internalId: number; reason: string };
  'delivery.arc.sealed': { internalId: number; domain: string; selector: string; instance: number; cv: ArcCv };
  'delivery.bug': { queue: string; error: string };
  'delivery.connect.failed': { queue: string; connector: string; target: string; stage: 'connect' | 'greeting' | 'tls' | 'auth' | 'ehlo'; error: string };
  'delivery.crash-recovery': { inFlightAtCrash: number[]; poisoned: number[]; poisonThreshold: number };
  'delivery.dkim.failed': { internalId: number; domain: string; selector: string; error: string; action: string };
  'delivery.mailbox.failed': { database: string; recipient: string; error: string; action: string };
  'delivery.message.sent': { failedReply?: string; deferredReply?: string; queue: string; internalId: number; delivered: number; deferred: number; failed: number; target: string };
  'delivery.poison': { internalId: number; action: string };
  'delivery.queue.retry': { queue: string; failures: number; nextRetry: string; lastError: string };
  'delivery.requiretls.refused': { queue: string; connector: string; target: string; stage: 'connect' | 'greeting' | 'tls' | 'auth' | 'ehlo'; error: string };
  'delivery.send.bug': { internalId: number; error: string };
  'delivery.store.full': { error: string; action: string };
  'delivery.thread.exited': { code: number; attempt: number; maxAttempts: number; delayMs: number; action: string };
  'delivery.thread.gave-up': { code: number; restarts: number; exitCode: number; action: string };
  'delivery.thread.failed': { error: string; action: string };
  'delivery.tick.failed': { error: string };

  // dsn
  'dsn.build.failed': { internalId: number; error: string };
  'dsn.generated': { postmasterCopy?: string; kind: 'failure' | 'delay'; original: number; dsn: number; to: string[]; recipients: number };
  'dsn.queue.failed': { original: number; error: string };
  'dsn.suppressed': { internalId: number; to: string; remoteDomain: string; reason: string };

  // log-file
  'log-file.open.failed': { log: string; folder: string; error: string; action: string };
  'log-file.write.failed': { log: string; file: string; error: string; action: string };

  // mailbox
  'mailbox.quota.refused': { mailbox: string; address: string; database: string; size: number; prohibitSendReceiveQuota: number; action: string };
  'mailbox.quota.warning': { mailbox: string; address: string; database: string; size: number; issueWarningQuota: number | null; action: string };

  // management
  'management.config.failed': { error: string; action: string };
  'management.delegation.refused': { reason: string; action: string };
  'management.endpoint.bind-failed': { url: string; failed: string[]; action: string };
  'management.endpoint.certificate': { url: string; certificate: string; previous: string };
  'management.endpoint.closed': { url: string; reason: string };
  /** Before the endpoint has an address (no url) or once it has one: two shapes. */
  'management.endpoint.failed': { error: string; action: string } | { url: string; error: string; action: string };
  'management.endpoint.listening': { url: string; addresses: string[]; certificate: string };
  'management.exec': { commands: number; for?: string; account: string };
  'management.logon.failed': { reason: string };
  'management.plain-http.refused': { remote?: string; url: string; reason: string };
  'management.request.failed': { error: string };
  'management.session.closed': { session: string; account: string; reason: string };
  'management.session.opened': { session: string; account: string; commands: number; idleTimeoutSeconds: number };
  'management.tls.failed': { remote?: string; error: string };

  // metrics
  'metrics.request.refused': { peer?: string; path?: string; reason: string; refusedSinceLastLine: number; action: string };
  'metrics.server.failed': { error: string; action: string };
  'metrics.unauthenticated': { address: string; port: number; action: string };

  // mtasts
  'mtasts.enforce.refused': { domain: string; policyId: string; resultType: TlsResultType; target: string; error: string };
  'mtasts.policy.failed': { domain: string; policyId: string; resultType: TlsResultType; error: string; action: string };
  'mtasts.policy.fetched': { domain: string; policyId: string; mode: 'none' | 'enforce' | 'testing'; mx: string[]; maxAge: number };
  /** An MX host outside the policy (mxHosts, policyMx) or a failed TLS session with a host (target, error): two shapes. */
  'mtasts.testing.failure':
    { domain: string; policyId: string; resultType: string; mxHosts: string[]; policyMx: string[]; action: string } | { domain: string; policyId: string; resultType: TlsResultType; target: string; error: string; action: string };

  // organization
  'organization.store.reconnect.failed': { error: string };
  'organization.store.reconnected': { store: string; after: string };
  'organization.store.unreachable': { store: string; error: string; action: string };

  // queue
  'queue.accept.failed': { error: string; action: string };
  'queue.message.removed': { internalId: number; queue: string; recipients: number; ndr: boolean; by: string };
  'queue.spool.swept': { files: number; folder: string; reason: string };

  // routing
  'routing.remote-domain.dropped': { internalId: number; recipient: string; remoteDomain: string; setting: string; messageClass?: 'AutoReply' | 'AutoForward' | 'DeliveryReport' | 'NonDeliveryReport' };
  'routing.rerouted': { recipients: number };

  // service
  'service.crashed': { origin: 'uncaughtException' | 'unhandledRejection'; error: string; stack?: string; exitCode: number; action: string };
  'service.degraded': { server: string; failed: string[]; action: string };
  'service.notify.failed': { socket: string; error: string; action: string };
  'service.notify.relay': { text: string };
  'service.notify.relay-exited': { code: number | null; signal: NodeJS.Signals | null; action: string };
  'service.ready': { metrics?: string; metricsAuthentication?: string; server: string; fqdn: string; role: ServerRoleName; pid: number; listening: string[] };
  /**
   * Three shapes: a folder open to others (path, mode, action) or a bad metrics token file (option); the service
   * failing as it starts (error only); no Receive connector able to listen (failed, action).
   */
  'service.start.failed': { error: string; path?: string; mode?: string; action?: string; option?: string; server: string; folder: string } | { error: string } | { server: string; error: string; failed: string[]; action: string };
  'service.status.write-failed': { folder: string; error: string; action: string };
  'service.stop.failed': { error: string };
  'service.stopped': Record<string, never>;
  'service.stopping': { signal: string };

  // smtp
  'smtp.in.auth.error': { user: string; error: string };
  'smtp.in.auth.failed': { delayMs: number; reason: string; failures: number };
  'smtp.in.auth.succeeded': { user: string; exchangeServer: boolean };
  'smtp.in.bdat.refused': { octets: number; reply: string };
  'smtp.in.bdat.unreadable': { line: string };
  'smtp.in.connection.limited': { limit: string };
  'smtp.in.connection.rate-limited': { connector: string; remote: string; limit: number; action: string };
  'smtp.in.connection.refused': { local: string; remote: string; reason: string };
  'smtp.in.data.forged-authentication-results': { dropped: number; sender: string; client: string };
  'smtp.in.data.refused': { reason: string; sender: string };
  'smtp.in.data.send-as-denied': { user: string; from: string; sender: string };
  'smtp.in.data.send-size-exceeded': { user: string; size: number; limit: number };
  'smtp.in.data.smuggling-suspect': { sender: string };
  'smtp.in.data.stale-organization-headers': { dropped: number; sender: string; peer: string };
  'smtp.in.early-talker': { buffered: number };
  'smtp.in.http-request': { line: string };
  'smtp.in.listener.closed': { address: string };
  'smtp.in.listener.error': { address: string; error: string };
  'smtp.in.listener.failed': { address: string; connectors: string[]; code?: string; reason: string; action: string };
  'smtp.in.mail.domain-secured': { sender: string; domain: string; certificate: string };
  'smtp.in.mail.domain-security-failed': { sender: string; domain: string; reason: string };
  'smtp.in.mail.over-send-quota': { user: string; mailbox: string; size: number; prohibitSendQuota: number; action: string };
  'smtp.in.mail.refused-draining': { state: 'Inactive' | 'Draining'; sender: string };
  'smtp.in.mail.send-as-denied': { user: string; sender: string };
  'smtp.in.message.accepted': { spooled?: boolean; internalId: number; messageId: string; sender: string; recipients: number; size: number };
  'smtp.in.message.quarantined': { sender: string; recipients: string[]; quarantineMailbox: string };
  'smtp.in.rate-limited': { keys: string[]; limit: number | null };
  'smtp.in.rcpt.envelope-limit': { limit: number; recipient: string; action: string };
  'smtp.in.rcpt.relay-denied': { recipient: string; principal: string };
  'smtp.in.rcpt.unknown': { recipient: string };
  'smtp.in.session.aborted': { reason: string };
  'smtp.in.session.bug': { error: string };
  'smtp.in.session.timeout': Record<string, never>;
  'smtp.in.socket.error': { error: string };
  'smtp.in.spool.failed': { folder: string; error: string; action: string };
  'smtp.in.tls.certificate-error': { error: string };
  'smtp.in.tls.context-failed': { thumbprint: string; error: string };
  'smtp.in.tls.failed': { error: string };
  'smtp.in.tls.no-certificate': { fqdn: string; action: string };
  'smtp.in.tls.pipelined-input-discarded': { octets: number };

  // store
  'store.migrated': { store: string; path: string; fromVersion: number; toVersion: number; backup: string; action: string };

  // tlsrpt
  'tlsrpt.record.failed': { domain: string; error: string };
  'tlsrpt.report': { detail?: string; internalId?: number; domain: string; day: string; status: 'Queued' | 'NoReportingAddress' | 'DnsFailure'; reportId: string | null; to: string[]; successful: number; failed: number };
  'tlsrpt.run.failed': { error: string };

  // tracking
  'tracking.index.prune-failed': { error: string; action: string };
  'tracking.index.pruned': { events: number; maxAgeDays: number };
  'tracking.log.write-failed': { folder: string; error: string; action: string };
  'tracking.write.failed': { error: string };

  // transport
  'transport.component-state': { effect?: string; component: string; from: string; state: string; sessions: number };
}

export type LogEventName = keyof LogEvents;

/** The levels each event is written at (more than one where the call site chooses by outcome). */
export const LOG_EVENT_LEVELS = {
  // agent
  'agent.address-rewriting.inbound': ['info'],
  'agent.address-rewriting.outbound': ['info'],
  'agent.attachment-filter.strip-failed': ['warn'],
  'agent.attachment-filter.unreadable': ['warn'],
  'agent.connection-filter.failed': ['error'],
  'agent.connection-filter.unanswered': ['warn'],
  'agent.content-filter.rspamd-unavailable': ['warn'],
  'agent.content-filter.unreadable': ['warn'],
  'agent.decision': ['info'],
  'agent.dmarc.no-quarantine-mailbox': ['warn'],
  'agent.dmarc.unreadable': ['warn'],
  'agent.recipient-validation.unavailable': ['warn'],
  'agent.sender-reputation.block-failed': ['error'],
  'agent.sender-reputation.blocked': ['warn'],

  // auth
  'auth.account.locked-out': ['warn'],
  'auth.lockout.store-failed': ['error'],

  // config
  'config.applied': ['info'],
  'config.load.failed': ['error'],
  'config.poll.failed': ['warn'],

  // dane
  'dane.authenticated': ['info'],
  'dane.tlsa.failed': ['warn'],
  'dane.tlsa.found': ['info'],

  // delivery
  'delivery.arc.failed': ['error'],
  'delivery.arc.no-key': ['info'],
  'delivery.arc.not-sealed': ['info'],
  'delivery.arc.sealed': ['info'],
  'delivery.bug': ['error'],
  'delivery.connect.failed': ['warn'],
  'delivery.crash-recovery': ['warn'],
  'delivery.dkim.failed': ['error'],
  'delivery.mailbox.failed': ['error'],
  'delivery.message.sent': ['warn', 'info'],
  'delivery.poison': ['error'],
  'delivery.queue.retry': ['warn'],
  'delivery.requiretls.refused': ['warn'],
  'delivery.send.bug': ['error'],
  'delivery.store.full': ['error'],
  'delivery.thread.exited': ['error'],
  'delivery.thread.gave-up': ['error'],
  'delivery.thread.failed': ['error'],
  'delivery.tick.failed': ['error'],

  // dsn
  'dsn.build.failed': ['error'],
  'dsn.generated': ['info'],
  'dsn.queue.failed': ['error'],
  'dsn.suppressed': ['info'],

  // log-file
  'log-file.open.failed': ['error'],
  'log-file.write.failed': ['error'],

  // mailbox
  'mailbox.quota.refused': ['warn'],
  'mailbox.quota.warning': ['warn'],

  // management
  'management.config.failed': ['error'],
  'management.delegation.refused': ['warn'],
  'management.endpoint.bind-failed': ['error'],
  'management.endpoint.certificate': ['info'],
  'management.endpoint.closed': ['info'],
  'management.endpoint.failed': ['error', 'warn'],
  'management.endpoint.listening': ['info'],
  'management.exec': ['info'],
  'management.logon.failed': ['warn'],
  'management.plain-http.refused': ['warn'],
  'management.request.failed': ['error'],
  'management.session.closed': ['info'],
  'management.session.opened': ['info'],
  'management.tls.failed': ['info'],

  // metrics
  'metrics.request.refused': ['warn'],
  'metrics.server.failed': ['error'],
  'metrics.unauthenticated': ['warn'],

  // mtasts
  'mtasts.enforce.refused': ['warn'],
  'mtasts.policy.failed': ['warn'],
  'mtasts.policy.fetched': ['info'],
  'mtasts.testing.failure': ['warn'],

  // organization
  'organization.store.reconnect.failed': ['debug'],
  'organization.store.reconnected': ['info'],
  'organization.store.unreachable': ['error'],

  // queue
  'queue.accept.failed': ['error'],
  'queue.message.removed': ['info'],
  'queue.spool.swept': ['info'],

  // routing
  'routing.remote-domain.dropped': ['info'],
  'routing.rerouted': ['info'],

  // service
  'service.crashed': ['error'],
  'service.degraded': ['warn'],
  'service.notify.failed': ['warn'],
  'service.notify.relay': ['warn'],
  'service.notify.relay-exited': ['error'],
  'service.ready': ['info'],
  'service.start.failed': ['error'],
  'service.status.write-failed': ['warn'],
  'service.stop.failed': ['error'],
  'service.stopped': ['info'],
  'service.stopping': ['info'],

  // smtp
  'smtp.in.auth.error': ['error'],
  'smtp.in.auth.failed': ['warn'],
  'smtp.in.auth.succeeded': ['info'],
  'smtp.in.bdat.refused': ['info'],
  'smtp.in.bdat.unreadable': ['warn'],
  'smtp.in.connection.limited': ['warn'],
  'smtp.in.connection.rate-limited': ['warn'],
  'smtp.in.connection.refused': ['warn'],
  'smtp.in.data.forged-authentication-results': ['warn'],
  'smtp.in.data.refused': ['warn'],
  'smtp.in.data.send-as-denied': ['warn'],
  'smtp.in.data.send-size-exceeded': ['info'],
  'smtp.in.data.smuggling-suspect': ['warn'],
  'smtp.in.data.stale-organization-headers': ['warn'],
  'smtp.in.early-talker': ['warn'],
  'smtp.in.http-request': ['warn'],
  'smtp.in.listener.closed': ['info'],
  'smtp.in.listener.error': ['error'],
  'smtp.in.listener.failed': ['error'],
  'smtp.in.mail.domain-secured': ['info'],
  'smtp.in.mail.domain-security-failed': ['warn'],
  'smtp.in.mail.over-send-quota': ['warn'],
  'smtp.in.mail.refused-draining': ['info'],
  'smtp.in.mail.send-as-denied': ['warn'],
  'smtp.in.message.accepted': ['info'],
  'smtp.in.message.quarantined': ['info'],
  'smtp.in.rate-limited': ['warn'],
  'smtp.in.rcpt.envelope-limit': ['info'],
  'smtp.in.rcpt.relay-denied': ['info'],
  'smtp.in.rcpt.unknown': ['info'],
  'smtp.in.session.aborted': ['info'],
  'smtp.in.session.bug': ['error'],
  'smtp.in.session.timeout': ['info'],
  'smtp.in.socket.error': ['debug'],
  'smtp.in.spool.failed': ['error'],
  'smtp.in.tls.certificate-error': ['error'],
  'smtp.in.tls.context-failed': ['error'],
  'smtp.in.tls.failed': ['info'],
  'smtp.in.tls.no-certificate': ['warn'],
  'smtp.in.tls.pipelined-input-discarded': ['warn'],

  // store
  'store.migrated': ['warn'],

  // tlsrpt
  'tlsrpt.record.failed': ['warn'],
  'tlsrpt.report': ['warn', 'info'],
  'tlsrpt.run.failed': ['error'],

  // tracking
  'tracking.index.prune-failed': ['error'],
  'tracking.index.pruned': ['info'],
  'tracking.log.write-failed': ['error'],
  'tracking.write.failed': ['warn'],

  // transport
  'transport.component-state': ['info'],
} as const satisfies { readonly [E in LogEventName]: readonly Level[] };

export type LogEventLevel<E extends LogEventName> = (typeof LOG_EVENT_LEVELS)[E][number];

/** Every event name of the catalogue. */
export const LOG_EVENT_NAMES = Object.keys(LOG_EVENT_LEVELS) as LogEventName[];
