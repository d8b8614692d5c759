// One inbound SMTP session on a Receive connector: the socket runtime around
// the pure protocol engine (smtp/protocol). It owns the I/O, the timers and
// the policy: STARTTLS with the connector's certificate, AUTH against the
// server's accounts, the permission rights of the session's principal,
// accepted domains (relay), limits, the header firewall, and durable
// acceptance into the queue before "250 Queued".
//
// Invariants: replies go out in command order; while an asynchronous step
// (authentication, tarpit, spool write, queue commit) runs no further input is
// processed, and reading from the socket pauses once a bounded amount is
// waiting; 250 after the content is sent only once the queue has the message
// on disk; pipelined input after STARTTLS is discarded and everything learnt
// before TLS, authentication included, is forgotten (RFC 3207 §4.2); the
// octets of a BDAT chunk are always consumed as content, also when the
// command is refused (RFC 3030 §2); content streams through MessageIntake, so
// the session's memory does not grow with the message: the header is bounded
// by MaxHeaderSize and a large body goes to a spool file as it arrives.

import { hangUp } from './hang-up.js';
import { readFile } from 'node:fs/promises';
import type { AgentRefusal, AgentSession, EdgeAgents } from '../../agents/edge-agents.js';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { constants as cryptoConstants } from 'node:crypto';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { formatBytes } from '../../mailbox/index.js';
import type { Logger } from '../../observability/logger.js';
import type { Envelope, QueueStore, RecipientInput } from '../../queue/queue-store.js';
import { acceptedDomainFor, type ReceiveConnectorConfig, type TransportConfig } from '../../config/transport-config.js';
import type { SelectedCertificate } from '../../tls/certificate-selection.js';
import {
  bannerReply,
  continueAuth,
  ehloReply,
  formatReply,
  heloReply,
  offeredAuthMechanisms,
  parseCommand,
  Replies,
  SessionState,
  SmtpInputReader,
  startAuth,
  enhancedReply,
  countsAsProtocolError,
  MAX_AUTH_LINE_OCTETS,
  type AuthMechanism,
  type AuthState,
  type MailParams,
  type SmtpCommand,
  type SmtpReply,
} from '../protocol/index.js';
import { directoryRefusal, headerSendAsRefusal, relayRefusal, sendAsRefusal, senderRefusal, type Admission } from './admission.js';
import type { ConnectionRefusal, MessageRateLimiter } from './limits.js';
import { MessageIntake } from './message-intake.js';
import { classifyMessage } from './message-class.js';
import { clientCertificateOf, domainSecurity, type ClientCertificate } from './domain-security.js';
import { clientChainProblem } from '../../tls/client-chain.js';
import { organizationSizeLimit, recipientEnvelopeLimit } from './organization-limits.js';
import type { LogonFailure, LogonGuard } from './logon-guard.js';
import { parseHeader, processHeader, rfc5322Date } from '../message-headers.js';
import { originalClientIp } from './original-client.js';
import { describePrincipal, rightsFor, type Principal, type Right } from './permissions.js';
import type { ProtocolEvent, ProtocolLog } from '../protocol-log.js';
import type { RefusalReason, TransportMetrics } from '../../observability/metrics.js';

/** What a Mailbox server's sessions ask the organization's recipients (directory/recipients.ts). */
export interface RecipientLookup {
  find(address: string): { kind: 'mailbox' | 'group'; requireSenderAuthentication: boolean; maxSendSize?: number | null } | null;
  addressesOfAccount(accountGuid: string): string[];
  /** The account's mailbox when it is at or over its ProhibitSendQuota (Client submission is refused). */
  overSendQuota?(accountGuid: string): { address: string; name: string; size: number; quota: number } | null;
}

export interface SessionServices {
  queue: QueueStore;
  /** The queue's spool folder: bodies of large messages are written there as they arrive. */
  spoolDir: string;
  rates: MessageRateLimiter;
  log: Logger;
  protocolLog: ProtocolLog | null;
  certificate: (connector: ReceiveConnectorConfig) => SelectedCertificate | null;
  /** Mailbox servers: the organization's recipients (validation at RCPT, send-as checks); null on an Edge. */
  recipients: RecipientLookup | null;
  metrics?: TransportMetrics;
  /** Password checks with failures counted across sessions, growing delays and account lockout. */
  logons: LogonGuard;
  /** Told how much input arrives, to give memory back once a burst is over (observability/idle-collector.ts). */
  idle?: { input(octets: number): void };
  /** Certificates imported into the store (PEM): trusted, beside the system's roots, for client certificates (Domain Security). */
  trustedCertificates?: () => string[];
  /** Edge: the anti-spam agents (agents/edge-agents.ts). */
  agents?: EdgeAgents;
}

const RESERVED_TLDS = new Set(['test', 'example', 'invalid', 'localhost']);
const RESERVED_SLDS = new Set(['example.com', 'example.net', 'example.org']);
const earlyTalker = enhancedReply(554, '5.5.0', 'Protocol error: the client sent commands before the server replied to EHLO/HELO');
const smuggling = enhancedReply(554, '5.6.0', 'Invalid message content, contains a bare CR or LF next to an end-of-data dot');
/** Client submission by a mailbox at or over its ProhibitSendQuota (Exchange's store submission refusal). */
const submissionQuotaExceeded = (address: string, size: number, quota: number) =>
  enhancedReply(
    554,
    '5.2.2',
    `mailbox full; STOREDRV.Submission.Exception:QuotaExceededException.MapiExceptionQuotaExceeded; Failed to process message due to a permanent exception with message The mailbox of ${address} holds ${formatBytes(size)}, at or over its ProhibitSendQuota of ${formatBytes(quota)}: delete items or ask your administrator for a larger quota`,
  );
const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

/** Socket input waiting to be processed before reading from the socket pauses (RFC 2920 pipelining stays cheap). */
const MAX_UNPROCESSED_OCTETS = 128 * 1024;

/** Secure contexts by certificate thumbprint and TLS floor, shared by the sessions of a process. */
const contexts = new Map<string, SecureContext>();

function secureContextFor(cert: SelectedCertificate, minVersion: 'TLSv1.2' | 'TLSv1.3'): SecureContext {
  const key = `${cert.thumbprint}|${minVersion}`;
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = createSecureContext({
      cert: cert.certificatePem + (cert.chainPem ?? ''),
      key: cert.privateKeyPem,
      minVersion,
      // A client may not renegotiate (TLS 1.2): each renegotiation costs the server a handshake.
      secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
    });
    contexts.set(key, ctx);
  }
  return ctx;
}

interface Transaction {
  sender: string;
  params: MailParams;
  recipients: RecipientInput[];
  /** The content so far (created by DATA or the first BDAT). */
  intake: MessageIntake | null;
  /** Domain Security: the sender domain the client proved with its certificate. */
  domainSecured?: string;
}

/** A BDAT chunk being read: accepted into the transaction, or read and thrown away before its refusal is sent. */
type Chunk = { last: boolean; refusal: null } | { last: boolean; refusal: SmtpReply; protocolError: boolean };

export class InboundSession extends EventEmitter {
  private socket: Socket;
  private readonly reader = new SmtpInputReader();
  private readonly state: SessionState;
  private readonly clientIp: string;
  private readonly localEndpoint: string;
  private readonly remoteEndpoint: string;
  private helo = '';
  private principal: Principal = { kind: 'anonymous' };
  private rights: Set<Right>;
  private authState: AuthState | null = null;
  private logonFailures = 0;
  private tx: Transaction | null = null;
  private busy = false;
  private closed = false;
  private draining = false;
  private messages = 0;
  private sequence = 0;
  private tls: { protocol: string; cipher: string } | null = null;
  /** Domain Security: the certificate the client presented after STARTTLS (null: none, or not asked for). */
  private clientCertificate: ClientCertificate | null = null;
  private certificate: SelectedCertificate | null | undefined;
  private idleTimer?: NodeJS.Timeout;
  private lifeTimer?: NodeJS.Timeout;
  private readonly log: Logger;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private chunk: Chunk | null = null;
  /** Reading from the socket is paused until the waiting input is processed. */
  private paused = false;
  /** The anti-spam agents of this session (Edge), created when the session starts. */
  private agents: AgentSession | null = null;

  constructor(
    readonly id: string,
    socket: Socket,
    private readonly connector: ReceiveConnectorConfig,
    private readonly config: TransportConfig,
    private readonly services: SessionServices,
    private readonly refusal: ConnectionRefusal | null,
  ) {
    super();
    this.socket = socket;
    this.log = services.log;
    this.clientIp = (socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
    this.localEndpoint = `${socket.localAddress}:${socket.localPort}`;
    this.remoteEndpoint = `${socket.remoteAddress}:${socket.remotePort}`;
    this.state = new SessionState({
      maxRecipientsPerMessage: connector.maxRecipientsPerMessage,
      maxProtocolErrors: connector.maxProtocolErrors ?? 'unlimited',
      chunking: connector.chunking,
      startTls: connector.authMechanism.has('Tls'),
    });
    this.principal = this.initialPrincipal();
    this.rights = rightsFor(connector.permissionGroups, this.principal);
  }

  /** Who the client is before it authenticates: Externally Secured on such a connector, else anonymous. */
  private initialPrincipal(): Principal {
    return this.connector.authMechanism.has('ExternalAuthoritative') ? { kind: 'externallySecured' } : { kind: 'anonymous' };
  }

  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('error', (err) => this.log.log('debug', 'smtp.in.socket.error', { error: err.message }));
    this.socket.on('close', () => this.finish('Remote'));
    this.protocol('+', '');
    if (this.refusal) {
      this.log.log('warn', 'smtp.in.connection.limited', { limit: this.refusal === 'connector' ? 'MaxInboundConnection' : 'MaxInboundConnectionPerSource' });
      this.refused('connection_limit');
      this.reply(this.refusal === 'connector' ? Replies.connectionLimit : Replies.connectionLimitPerSource);
      this.close();
      return;
    }
    if (this.rights.size > 0) this.protocol('*', [...this.rights].join(' '), 'Set Session Permissions');
    // The connection filter starts its lookups now, to decide at the first RCPT TO.
    this.agents =
      this.services.agents?.session({
        sessionId: this.id,
        localEndpoint: this.localEndpoint,
        remoteEndpoint: this.remoteEndpoint,
        clientIp: this.clientIp,
        helo: () => this.helo,
        fqdn: this.connector.fqdn,
        connector: { name: this.connector.name, identity: this.connector.identity },
        internal: () => this.principal.kind !== 'anonymous' || this.rights.has('BypassAntiSpam'),
      }) ?? null;
    this.services.metrics?.sessions.inc({ connector: this.connector.identity });
    this.services.metrics?.activeSessions.inc({ connector: this.connector.identity });
    this.counted = true;
    this.socket.on('data', this.onData);
    this.lifeTimer = setTimeout(() => this.timeout(), this.connector.connectionTimeoutMs);
    this.touch();
    this.reply(bannerReply({ fqdn: this.connector.fqdn, banner: this.connector.banner, now: new Date() }));
  }

  /** Service stopping: close now when idle, else after the current step. */
  drain(): void {
    this.draining = true;
    if (!this.busy && !this.tx) {
      this.reply(Replies.serviceNotAvailable);
      this.close();
    }
  }

  abort(reason: string): void {
    this.log.log('info', 'smtp.in.session.aborted', { reason });
    this.close();
  }

  // ---- input ----

  private receive(chunk: Buffer): void {
    this.touch();
    this.services.idle?.input(chunk.length);
    this.reader.push(chunk);
    this.pump();
    if (!this.closed && !this.paused && this.reader.bufferedBytes() > MAX_UNPROCESSED_OCTETS) {
      // A step is running (commit, tarpit, spool write): stop reading until it is done.
      this.paused = true;
      this.socket.pause();
    }
  }

  private pump(): void {
    while (!this.busy && !this.closed) {
      const ev = this.reader.next();
      if (!ev) {
        if (this.paused) {
          this.paused = false;
          this.socket.resume();
        }
        return;
      }
      switch (ev.type) {
        case 'line':
          if (this.authState) this.authLine(ev.text);
          else this.command(ev.text);
          break;
        case 'line-too-long':
          this.protocol('<', `<line of ${ev.octets} octets>`);
          this.error(this.authState ? Replies.authCancelled : Replies.commandTooLong);
          if (this.authState) this.reader.expectLine(); // back to the command line limit
          this.authState = null;
          break;
        case 'data':
        case 'bdat':
          this.content(ev.chunk);
          break;
        case 'data-end':
          this.busyWhile(this.endOfData(ev.smugglingSuspect, ev.bareLf));
          break;
        case 'bdat-end':
          this.busyWhile(this.endOfChunk());
          break;
      }
    }
  }

  private busyWhile(work: Promise<void>): void {
    this.busy = true;
    work
      .catch((err) => {
        this.log.log('error', 'smtp.in.session.bug', { error: (err as Error).stack ?? String(err) });
        this.reply(enhancedReply(451, '4.3.0', 'Internal error, try again later'));
      })
      .finally(() => {
        this.busy = false;
        if (this.draining && !this.tx) {
          this.reply(Replies.serviceNotAvailable);
          this.close();
        }
        this.pump();
      });
  }

  private command(line: string): void {
    // An AUTH initial response carries the credentials: the log keeps only the mechanism.
    this.protocol('<', /^AUTH\s+\S+\s+\S/i.test(line) ? line.replace(/^(AUTH\s+\S+)\s.*$/is, '$1 <authentication information>') : line);
    const parsed = parseCommand(line, {
      requireEhloDomain: this.connector.requireEhloDomain,
      size: this.connector.sizeMode !== 'Disabled',
      dsn: this.connector.dsn,
      eightBitMime: this.connector.eightBitMime,
      binaryMime: this.connector.binaryMime,
      smtpUtf8: true,
      requireTls: this.state.tlsActive,
    });
    if ('http' in parsed) {
      this.log.log('warn', 'smtp.in.http-request', { line: line.slice(0, 100) });
      this.close();
      return;
    }
    if ('error' in parsed) {
      if (parsed.command === 'BDAT') {
        // The size cannot be read, so neither can the chunk that follows: the stream is lost.
        this.log.log('warn', 'smtp.in.bdat.unreadable', { line: line.slice(0, 100) });
        this.reply(parsed.error);
        this.close();
        return;
      }
      this.error(parsed.error);
      return;
    }
    if (parsed.verb === 'BDAT') return this.bdat(parsed.size, parsed.last);
    const refused = this.state.check(parsed);
    if (refused) {
      if (refused === Replies.tooManyRecipients) this.reply(refused);
      else this.error(refused);
      return;
    }
    this.dispatch(parsed);
  }

  private dispatch(cmd: SmtpCommand): void {
    switch (cmd.verb) {
      case 'EHLO':
      case 'HELO':
        return this.hello(cmd.verb, cmd.domain);
      case 'MAIL':
        return this.busyWhile(this.mail(cmd.reversePath?.address ?? '', cmd.params));
      case 'RCPT':
        return this.busyWhile(this.rcpt(cmd.forwardPath.address, cmd.forwardPath.domain, cmd.params));
      case 'DATA':
        this.state.onDataStarted();
        this.startContent('DATA');
        this.reply(Replies.startMailInput);
        this.reader.expectData();
        return;
      case 'BDAT':
        return this.bdat(cmd.size, cmd.last);
      case 'RSET':
        this.state.onReset();
        this.endTransaction();
        return this.reply(Replies.resetting);
      case 'NOOP':
        return this.reply(Replies.ok);
      case 'QUIT':
        this.reply(Replies.serviceClosing);
        return this.close();
      case 'VRFY':
        return this.reply(Replies.cannotVrfy);
      case 'HELP':
        return this.reply(Replies.help);
      case 'STARTTLS':
        return this.startTls();
      case 'AUTH':
        return this.auth(cmd.mechanism, cmd.initialResponse);
    }
  }

  /** Counted in the active-sessions gauge (refused connections are not). */
  private counted = false;

  /**
   * BDAT: the chunk's octets follow the command whatever the answer (RFC 3030 §2), so a refused
   * chunk is read and thrown away, and its refusal is sent after it; never are its octets taken
   * as commands. A refusal inside a transaction ends the transaction.
   */
  private bdat(size: number, last: boolean): void {
    const refused = this.bdatRefusal(size);
    if (refused) {
      this.log.log('info', 'smtp.in.bdat.refused', { octets: size, reply: `${refused.code} ${refused.enhanced ?? ''}`.trim() });
      this.chunk = { last, refusal: refused, protocolError: countsAsProtocolError(refused) };
      if (this.tx) {
        this.state.onTransactionEnd();
        this.endTransaction();
      }
    } else {
      this.state.onBdatChunk(size);
      if (!this.tx!.intake) this.startContent('BDAT');
      this.chunk = { last, refusal: null };
    }
    this.reader.expectBdat(size);
  }

  private bdatRefusal(size: number): SmtpReply | null {
    const sequence = this.state.check({ verb: 'BDAT', size, last: false });
    if (sequence) return sequence;
    const limit = this.sizeLimit();
    if (limit !== null && this.state.bdatOctets + size > limit) return Replies.messageTooBig;
    return null;
  }

  /** MaxMessageSize of the connector and the organization's limit (Set-TransportConfig), whichever is lower; null = bypassed. */
  private sizeLimit(): number | null {
    if (this.rights.has('BypassMessageSizeLimit')) return null;
    const org = organizationSizeLimit(this.principal, this.config.organization);
    return org === null ? this.connector.maxMessageSize : Math.min(org.octets, this.connector.maxMessageSize);
  }

  /** The transaction's content begins, by DATA (whose reader reports bare LFs itself) or by BDAT. */
  private startContent(via: 'DATA' | 'BDAT'): void {
    const tx = this.tx!;
    tx.intake = new MessageIntake({
      maxMessageSize: this.sizeLimit(),
      maxHeaderSize: this.connector.maxHeaderSize,
      spoolDir: this.services.spoolDir,
      // BINARYMIME bodies may carry any octet: only their header is held to the bare-LF rule.
      bareLfScan: via === 'DATA' ? 'none' : tx.params.body === 'BINARYMIME' ? 'header' : 'content',
    });
  }

  /** Forgets the transaction; its content (and spool file) is dropped. */
  private endTransaction(): void {
    void this.tx?.intake?.discard();
    this.tx = null;
  }

  // ---- greeting, TLS, AUTH ----

  private hello(verb: 'EHLO' | 'HELO', domain: string): void {
    if (this.reader.bufferedBytes() > 0 && !this.state.tlsActive && this.state.greeting === 'none') {
      this.log.log('warn', 'smtp.in.early-talker', { buffered: this.reader.bufferedBytes() });
      this.reply(earlyTalker);
      this.close();
      return;
    }
    this.helo = domain;
    this.endTransaction();
    if (verb === 'HELO') {
      this.state.onHelo();
      this.reply(heloReply(this.connector.fqdn, this.clientIp));
      return;
    }
    this.state.onEhlo();
    this.reply(
      ehloReply({
        fqdn: this.connector.fqdn,
        clientIp: this.clientIp,
        sizeMode: this.connector.sizeMode,
        maxMessageSize: this.connector.maxMessageSize,
        pipelining: this.connector.pipelining,
        dsn: this.connector.dsn,
        enhancedStatusCodes: this.connector.enhancedStatusCodes,
        startTls: this.tlsAvailable(),
        tlsActive: this.state.tlsActive,
        authMechanisms: this.authMechanisms(),
        requireTlsForAuth: this.connector.authMechanism.has('BasicAuthRequireTLS'),
        eightBitMime: this.connector.eightBitMime,
        binaryMime: this.connector.binaryMime,
        chunking: this.connector.chunking,
        smtpUtf8: true,
      }),
    );
  }

  private authMechanisms(): AuthMechanism[] {
    return this.connector.authMechanism.has('BasicAuth') && !this.state.authenticated ? ['LOGIN', 'PLAIN'] : [];
  }

  private offeredAuth(): AuthMechanism[] {
    return offeredAuthMechanisms({ authMechanisms: this.authMechanisms(), requireTlsForAuth: this.connector.authMechanism.has('BasicAuthRequireTLS'), tlsActive: this.state.tlsActive });
  }

  private tlsAvailable(): boolean {
    if (!this.connector.authMechanism.has('Tls')) return false;
    if (this.certificate === undefined) {
      try {
        this.certificate = this.services.certificate(this.connector);
      } catch (err) {
        this.log.log('error', 'smtp.in.tls.certificate-error', { error: (err as Error).message });
        this.certificate = null;
      }
      if (!this.certificate)
        this.log.log('warn', 'smtp.in.tls.no-certificate', {
          fqdn: this.connector.fqdn,
          action: `STARTTLS is not offered: create or enable an SMTP certificate for ${this.connector.fqdn} (New-ExchangeCertificate / Enable-ExchangeCertificate -Services SMTP)`,
        });
    }
    return this.certificate !== null;
  }

  private startTls(): void {
    if (!this.tlsAvailable() || !this.certificate) {
      this.error(Replies.unrecognizedCommand);
      return;
    }
    // Domain Security: ask the client for its certificate; its chain is checked once the handshake is
    // done (against the system's roots and the imported certificates) and judged at MAIL FROM.
    const mutual = this.connector.domainSecure === true && this.config.organization.tlsReceiveDomainSecure.length > 0;
    let context: SecureContext;
    try {
      context = secureContextFor(this.certificate, this.config.tlsMinimumVersion ?? 'TLSv1.2');
    } catch (err) {
      this.log.log('error', 'smtp.in.tls.context-failed', { thumbprint: this.certificate.thumbprint, error: (err as Error).message });
      this.reply(Replies.tlsInitFailed);
      return;
    }
    this.reply(Replies.tlsReady);
    const discarded = this.reader.discardBuffered();
    if (discarded > 0) this.log.log('warn', 'smtp.in.tls.pipelined-input-discarded', { octets: discarded });
    this.busy = true;
    const raw = this.socket;
    raw.off('data', this.onData);
    const secure = new TLSSocket(raw, { isServer: true, secureContext: context, requestCert: mutual, rejectUnauthorized: false });
    secure.on('error', (err) => {
      this.services.metrics?.tlsHandshakes.inc({ connector: this.connector.identity, result: 'failed' });
      this.log.log('info', 'smtp.in.tls.failed', { error: err.message });
      this.close();
    });
    secure.once('secure', () => {
      const cipher = secure.getCipher();
      this.tls = { protocol: secure.getProtocol() ?? 'TLS', cipher: cipher.standardName ?? cipher.name };
      if (mutual) {
        const peer = secure.getPeerCertificate(true);
        const problem = clientChainProblem(peer, this.services.trustedCertificates?.() ?? []);
        this.clientCertificate = clientCertificateOf(peer, problem === null, problem);
      }
      this.services.metrics?.tlsHandshakes.inc({ connector: this.connector.identity, result: 'ok' });
      this.protocol('*', '', `TLS protocol ${this.tls.protocol} negotiation succeeded using ${this.tls.cipher}`);
      this.socket = secure;
      this.state.onTlsStarted();
      // RFC 3207 §4.2: nothing learnt before TLS holds after it, authentication included.
      this.helo = '';
      this.endTransaction();
      this.authState = null;
      this.principal = this.initialPrincipal();
      this.rights = rightsFor(this.connector.permissionGroups, this.principal);
      secure.on('data', this.onData);
      this.busy = false;
      this.pump();
    });
  }

  private auth(mechanism: string, initial: string | undefined): void {
    const offered = this.offeredAuth();
    if (offered.length === 0) {
      this.error(this.connector.authMechanism.has('BasicAuth') && !this.state.tlsActive ? Replies.mustIssueStartTls : Replies.authUnrecognizedType);
      return;
    }
    this.authStep(startAuth(mechanism, initial === '=' ? '=' : initial, offered));
  }

  private authLine(line: string): void {
    this.protocol('<', '<authentication response>');
    const state = this.authState!;
    this.authState = null;
    this.authStep(continueAuth(state, line));
  }

  private authStep(step: ReturnType<typeof startAuth>): void {
    if ('reply' in step) {
      this.authState = step.state;
      this.reader.expectLine(MAX_AUTH_LINE_OCTETS);
      this.reply(step.reply);
      return;
    }
    // The exchange is over, whatever its outcome: command lines are held to 512 octets again.
    this.reader.expectLine();
    if ('error' in step) {
      if (step.reason === 'malformed') {
        this.busyWhile(this.authFailed(this.services.logons.malformed(this.clientIp)));
        return;
      }
      this.error(step.error);
      return;
    }
    const { username, password } = step.credentials;
    this.busyWhile(this.authenticate(username, password));
  }

  private async authenticate(username: string, password: string): Promise<void> {
    let outcome;
    try {
      outcome = await this.services.logons.logon(username, password, this.clientIp, this.log);
    } catch (err) {
      this.log.log('error', 'smtp.in.auth.error', { user: username, error: (err as Error).message });
      this.reply(Replies.authTemporaryFailure);
      return;
    }
    if (!outcome.ok) {
      await this.authFailed(outcome);
      return;
    }
    const verified = outcome.account;
    this.principal = { kind: 'user', name: verified.displayName, exchangeServer: verified.exchangeServer, accountGuid: verified.accountGuid };
    this.rights = rightsFor(this.connector.permissionGroups, this.principal);
    this.state.onAuthenticated();
    this.protocol('*', verified.displayName, 'authenticated');
    this.protocol('*', [...this.rights].join(' '), 'Set Session Permissions');
    this.log.log('info', 'smtp.in.auth.succeeded', { user: verified.displayName, exchangeServer: verified.exchangeServer });
    this.reply(Replies.authSucceeded);
  }

  private async authFailed(failure: LogonFailure): Promise<void> {
    this.logonFailures++;
    this.services.metrics?.authFailures.inc({ connector: this.connector.identity });
    this.refused('auth_failed');
    // The growing wait stays within half the connector's inactivity timeout (else the session would time out instead of answering).
    const delayMs = Math.min(this.connector.authTarpitMs + failure.extraDelayMs, Math.max(this.connector.authTarpitMs, this.connector.connectionInactivityTimeoutMs / 2));
    this.log.log('warn', 'smtp.in.auth.failed', { reason: failure.reason, failures: this.logonFailures, ...failure.fields, delayMs });
    this.protocol('*', '', `Inbound AUTH failed: ${failure.reason}`);
    if (delayMs > 0) await this.delay(delayMs);
    this.reply(Replies.authFailed);
    if (this.connector.maxLogonFailures > 0 && this.logonFailures >= this.connector.maxLogonFailures) {
      this.reply(Replies.tooManyErrors);
      this.close();
    }
  }

  // ---- transaction ----

  private async mail(sender: string, params: MailParams): Promise<void> {
    if (this.config.hubTransport !== 'Active') {
      // Maintenance mode (Set-ServerComponentState HubTransport Draining/Inactive): no new mail.
      this.log.log('info', 'smtp.in.mail.refused-draining', { state: this.config.hubTransport, sender });
      this.reply(Replies.serviceNotAvailable);
      this.close();
      return;
    }
    if (this.connector.requireTls && !this.state.tlsActive) {
      this.refused('tls_required');
      return this.reply(Replies.startTlsRequired);
    }
    // The organization's own servers (authenticated, or externally secured) relay for any domain: Domain Security is for partners.
    const secured =
      this.principal.kind !== 'anonymous'
        ? { kind: 'not-required' as const }
        : domainSecurity(sender.slice(sender.lastIndexOf('@') + 1), this.config.organization.tlsReceiveDomainSecure, this.connector.domainSecure === true, this.state.tlsActive, this.clientCertificate);
    if (secured.kind === 'refused') {
      this.log.log('warn', 'smtp.in.mail.domain-security-failed', { sender, domain: secured.domain, reason: secured.reason });
      this.protocol('*', '', `Domain security failed for ${secured.domain}: ${secured.reason}`);
      if (!this.state.tlsActive) this.refused('tls_required');
      return this.reply(secured.reply);
    }
    if (secured.kind === 'secured') {
      this.log.log('info', 'smtp.in.mail.domain-secured', { sender, domain: secured.domain, certificate: secured.certificate.subject });
      this.protocol('*', '', `Domain secured: ${secured.domain} (certificate ${secured.certificate.subject})`);
    }
    const refused = senderRefusal(this.admission, sender);
    if (refused) return this.reply(refused);
    const byAgent = await this.agents?.onMail(sender);
    if (byAgent) return this.agentRefused(byAgent);
    const sizeLimit = this.sizeLimit();
    if (sizeLimit !== null && params.size !== undefined && params.size > sizeLimit) {
      this.refused('message_size');
      return this.reply(Replies.messageTooBig);
    }
    // Client submission: a mailbox user sends only as one of its own addresses.
    const own = this.submitterAddresses();
    if (own) {
      const refusedSendAs = sendAsRefusal(sender, own);
      if (refusedSendAs) {
        this.log.log('warn', 'smtp.in.mail.send-as-denied', { user: describePrincipal(this.principal), sender });
        return this.reply(refusedSendAs);
      }
      const full = this.principal.kind === 'user' && this.principal.accountGuid ? this.services.recipients?.overSendQuota?.(this.principal.accountGuid) : null;
      if (full) {
        this.log.log('warn', 'smtp.in.mail.over-send-quota', {
          user: describePrincipal(this.principal),
          mailbox: full.name,
          size: full.size,
          prohibitSendQuota: full.quota,
          action: `free space in the mailbox, or raise its quota: Set-Mailbox "${full.name}" -UseDatabaseQuotaDefaults $false -ProhibitSendQuota <size>`,
        });
        return this.reply(submissionQuotaExceeded(full.address, full.size, full.quota));
      }
    }
    const keys = this.rateKeys(sender);
    if (!this.services.rates.tryCount(keys, this.connector.messageRateLimit)) {
      this.log.log('warn', 'smtp.in.rate-limited', { keys, limit: this.connector.messageRateLimit });
      this.refused('rate_limit');
      this.reply(Replies.messageRateLimit);
      this.close();
      return;
    }
    this.state.onMailAccepted(params);
    this.tx = { sender, params, recipients: [], intake: null, ...(secured.kind === 'secured' && { domainSecured: secured.domain }) };
    this.reply(Replies.senderOk);
  }

  /** MaxSendSize of the mailbox of the authenticated user (Client submission), or null. */
  private userMaxSendSize(): number | null {
    const directory = this.services.recipients;
    if (!directory || this.principal.kind !== 'user' || this.principal.exchangeServer || !this.principal.accountGuid) return null;
    const primary = directory.addressesOfAccount(this.principal.accountGuid)[0];
    const found = primary ? directory.find(primary) : null;
    return found?.maxSendSize ?? null;
  }

  private get admission(): Admission {
    return { rights: this.rights, principal: this.principal, acceptedDomains: this.config.acceptedDomains };
  }

  private rateKeys(sender: string): string[] {
    const source = this.connector.messageRateSource;
    const keys: string[] = [];
    if (source === 'IPAddress' || source === 'All') keys.push(`${this.connector.identity}|ip|${this.clientIp}`);
    if (source === 'User' || source === 'All') keys.push(`${this.connector.identity}|user|${this.principal.kind === 'user' ? this.principal.name : sender}`);
    return keys;
  }

  private async rcpt(address: string, domain: string, params: { notify?: readonly string[]; orcpt?: { addrType: string; address: string } }): Promise<void> {
    const tx = this.tx!;
    let rcptDomain = domain.toLowerCase();
    let rcptAddress = address;
    if (rcptDomain === '') {
      // The bare <Postmaster> (RFC 5321 §4.1.1.3): this server's postmaster.
      rcptDomain = (this.connector.defaultDomain ?? this.config.acceptedDomains.find((d) => d.type === 'Authoritative')?.domain.domain ?? this.config.fqdn).toLowerCase();
      rcptAddress = `${address}@${rcptDomain}`;
    }
    const envelopeLimit = recipientEnvelopeLimit(this.principal, this.config.organization);
    if (envelopeLimit !== null && tx.recipients.length >= envelopeLimit) {
      this.log.log('info', 'smtp.in.rcpt.envelope-limit', {
        limit: envelopeLimit,
        recipient: rcptAddress,
        action: 'the client sends the other recipients in a new transaction; Set-TransportConfig -MaxRecipientEnvelopeLimit raises the limit',
      });
      return this.reply(Replies.tooManyRecipients);
    }
    // Address Rewriting Inbound (Edge): an entry's external address becomes its internal one, which the checks below see.
    const rewritten = this.agents?.inboundRecipient(rcptAddress) ?? rcptAddress;
    if (rewritten !== rcptAddress) {
      rcptAddress = rewritten;
      rcptDomain = rewritten.slice(rewritten.lastIndexOf('@') + 1).toLowerCase();
    }
    const reserved = this.reservedDomainRefusal(rcptDomain);
    if (reserved) return this.refuseRecipient(reserved);
    const accepted = acceptedDomainFor(this.config.acceptedDomains, rcptDomain);
    if (relayRefusal(this.admission, rcptDomain)) {
      this.log.log('info', 'smtp.in.rcpt.relay-denied', { recipient: rcptAddress, principal: describePrincipal(this.principal) });
      this.refused('relay_denied');
      return this.refuseRecipient(Replies.unableToRelay);
    }
    const byAgent = await this.agents?.onRcpt(tx.sender, rcptAddress);
    if (byAgent) {
      await this.refuseRecipient(byAgent.reply);
      if (byAgent.disconnect) this.close();
      return;
    }
    if (accepted && this.services.recipients) {
      const refused = directoryRefusal(this.admission, accepted, this.services.recipients.find(rcptAddress));
      if (refused === Replies.userUnknown) {
        this.log.log('info', 'smtp.in.rcpt.unknown', { recipient: rcptAddress });
        this.refused('unknown_recipient');
      }
      if (refused) return this.refuseRecipient(refused);
    }
    tx.recipients.push({
      address: rcptAddress,
      ...(params.orcpt && { orcpt: `${params.orcpt.addrType};${params.orcpt.address}` }),
      ...(params.notify && { notify: [...params.notify] }),
    });
    this.state.onRcptAccepted();
    this.reply(Replies.recipientOk);
  }

  private reservedDomainRefusal(domain: string): SmtpReply | null {
    const labels = domain.split('.');
    if (this.connector.rejectSingleLabel && labels.length === 1 && !domain.startsWith('[')) return enhancedReply(550, '5.1.6', 'Recipient addresses in single label domains not accepted');
    if (this.connector.rejectReservedTld && RESERVED_TLDS.has(labels[labels.length - 1])) return enhancedReply(550, '5.1.4', 'Recipient address reserved by RFC 2606');
    if (this.connector.rejectReservedSld && RESERVED_SLDS.has(labels.slice(-2).join('.'))) return enhancedReply(550, '5.1.5', 'Recipient address reserved by RFC 2606');
    return null;
  }

  /** An anti-spam agent refused the command: its reply, and the end of the session when it says so. */
  private agentRefused(r: AgentRefusal): void {
    this.reply(r.reply);
    if (r.disconnect) this.close();
  }

  private async refuseRecipient(reply: SmtpReply): Promise<void> {
    // Unauthenticated sessions wait before a refusal (directory harvest, relay probing).
    if (this.principal.kind === 'anonymous' && this.connector.tarpitMs > 0) {
      this.protocol('*', '', `Tarpit for '${this.connector.tarpitMs / 1000}s'`);
      await this.delay(this.connector.tarpitMs);
    }
    this.reply(reply);
  }

  private content(chunk: Buffer): void {
    if (this.chunk?.refusal) return; // a refused BDAT chunk: read and thrown away
    const intake = this.tx?.intake;
    if (!intake) return;
    if (!intake.write(chunk)) this.busyWhile(intake.drained());
  }

  private async endOfChunk(): Promise<void> {
    const chunk = this.chunk;
    this.chunk = null;
    if (!chunk) return;
    if (chunk.refusal) {
      if (chunk.refusal === Replies.messageTooBig) this.refused('message_size');
      if (chunk.protocolError) this.error(chunk.refusal);
      else this.reply(chunk.refusal);
      return;
    }
    const intake = this.tx?.intake;
    if (intake && (intake.tooBig || intake.headerTooBig) && !chunk.last) {
      // Nothing more of this message will be kept: say so now, not after more chunks.
      const reply = intake.tooBig ? Replies.messageTooBig : Replies.headerTooBig;
      if (intake.tooBig) this.refused('message_size');
      this.state.onTransactionEnd();
      this.endTransaction();
      this.reply(reply);
      return;
    }
    if (!chunk.last) {
      this.reply(Replies.chunkReceived(this.state.bdatOctets));
      return;
    }
    await this.endOfData(false, false);
  }

  /** `bareLf`: the DATA reader saw a bare LF (BDAT content is scanned by the intake). */
  private async endOfData(smugglingSuspect: boolean, bareLf: boolean): Promise<void> {
    const tx = this.tx;
    this.state.onTransactionEnd();
    this.tx = null;
    const intake = tx?.intake;
    if (!tx || !intake) return;
    const refuse = async (reply: SmtpReply) => {
      await intake.discard();
      this.reply(reply);
    };
    if (intake.tooBig) {
      this.refused('message_size');
      return refuse(Replies.messageTooBig);
    }
    if (intake.headerTooBig) {
      this.log.log('warn', 'smtp.in.data.refused', { reason: 'header-too-large', sender: tx.sender });
      return refuse(Replies.headerTooBig);
    }
    if (smugglingSuspect) {
      this.log.log('warn', 'smtp.in.data.smuggling-suspect', { sender: tx.sender });
      return refuse(smuggling);
    }
    if ((bareLf || intake.bareLf) && this.connector.bareLinefeedRejection) return refuse(Replies.bareLinefeed);
    let content;
    try {
      content = await intake.finish();
    } catch (err) {
      await intake.discard();
      this.log.log('error', 'smtp.in.spool.failed', { folder: this.services.spoolDir, error: (err as Error).message, action: 'check free disk space and the spool folder of the queue; the client was told to retry (452 4.3.1)' });
      return this.reply(Replies.insufficientResources);
    }
    const receivedAt = new Date();
    const withType = `ESMTP${this.tls ? 'S' : ''}${this.principal.kind === 'user' ? 'A' : ''}`;
    const tlsComment = this.tls ? ` (version=${this.tls.protocol} cipher=${this.tls.cipher})` : '';
    const forClause = tx.recipients.length === 1 ? ` for <${tx.recipients[0].address}>` : '';
    const received =
      `from ${this.helo || 'unknown'} (${this.clientIp.includes(':') ? `IPv6:${this.clientIp}` : this.clientIp}) by ${this.connector.fqdn} ` +
      `(${this.socket.localAddress?.replace(/^::ffff:/, '')})${tlsComment} with ${withType} id ${this.id}-${this.messages + 1}${forClause}; ${rfc5322Date(receivedAt)}`;
    const verdict = processHeader(
      content.header,
      {
        keepRoutingHeaders: this.rights.has('AcceptRoutingHeaders'),
        keepOrganizationHeaders: this.rights.has('AcceptOrganizationHeaders'),
        // The Edge's own results come back from the Mailbox servers (a group expanded to an outside member): kept for ARC sealing.
        keepOwnAuthenticationResults: this.rights.has('AcceptAuthenticationFlag'),
        maxHeaderSize: this.connector.maxHeaderSize,
        maxHopCount: this.connector.maxHopCount,
        maxLocalHopCount: this.connector.maxLocalHopCount,
        localNames: [this.config.fqdn, this.connector.fqdn],
        authAs: this.principal.kind === 'anonymous' ? (tx.domainSecured ? 'Partner' : 'Anonymous') : 'Internal',
      },
      received,
      () => `<${randomUUID()}@${this.connector.fqdn}>`,
    );
    if (!verdict.ok) {
      this.log.log('warn', 'smtp.in.data.refused', { reason: verdict.reason, sender: tx.sender });
      return refuse(verdict.reason === 'header-too-large' ? Replies.headerTooBig : Replies.hopCountExceeded);
    }
    if (verdict.forgedAuthenticationResults > 0) {
      this.log.log('warn', 'smtp.in.data.forged-authentication-results', { dropped: verdict.forgedAuthenticationResults, sender: tx.sender, client: this.clientIp });
    }
    if (verdict.staleOrganizationHeaders > 0) {
      this.log.log('warn', 'smtp.in.data.stale-organization-headers', { dropped: verdict.staleOrganizationHeaders, sender: tx.sender, peer: describePrincipal(this.principal) });
    }
    let separator = content.hasSeparator ? CRLF : EMPTY;
    const size = verdict.header.length + separator.length + content.bodyOctets;
    const sendLimit = this.userMaxSendSize();
    if (sendLimit !== null && size > sendLimit) {
      this.log.log('info', 'smtp.in.data.send-size-exceeded', { user: this.principal.kind === 'user' ? this.principal.name : '', size, limit: sendLimit });
      this.refused('message_size');
      return refuse(enhancedReply(552, '5.3.4', "Message size exceeds the sender's MaxSendSize"));
    }
    const own = this.submitterAddresses();
    if (own) {
      const refusedSendAs = headerSendAsRefusal(verdict.originators, own);
      if (refusedSendAs) {
        this.log.log('warn', 'smtp.in.data.send-as-denied', { user: describePrincipal(this.principal), from: verdict.originators.from, sender: verdict.originators.sender });
        return refuse(refusedSendAs);
      }
    }
    // Sender ID (Edge): its result is stamped on the message, or the message is refused or dropped.
    const senderId = await this.agents?.onEndOfHeaders(
      tx.sender,
      tx.recipients.map((r) => r.address),
    );
    if (senderId?.kind === 'reject') return refuse(senderId.reply);
    if (senderId?.kind === 'delete') {
      // Exchange's Delete: the client is told the message was taken, and it is not.
      await intake.discard();
      return this.reply(enhancedReply(250, '2.6.0', `${verdict.messageId} Queued mail for delivery`));
    }
    if (senderId?.kind === 'stamp') verdict.header = Buffer.concat([Buffer.from(senderId.stamps.join('\r\n') + '\r\n', 'utf8'), verdict.header]);
    // The content filter (Edge): the SCL is stamped, or the message is refused, dropped or quarantined.
    const separatorFor = content.hasSeparator ? CRLF : EMPTY;
    const filtered = await this.agents?.onEndOfData(
      tx.sender,
      tx.recipients.map((r) => r.address),
      verdict.header.length + content.bodyOctets,
      async () => Buffer.concat([verdict.header, separatorFor, content.file ? await readFile(content.file.path) : content.body!]),
    );
    if (filtered?.kind === 'reject') return refuse(filtered.reply);
    if (filtered?.kind === 'delete') {
      await intake.discard();
      return this.reply(enhancedReply(250, '2.6.0', `${verdict.messageId} Queued mail for delivery`));
    }
    // Strip (Attachment Filtering): the message the agent rewrote takes the place of the one received.
    let body = content.body;
    let file = content.file;
    if (filtered?.message) {
      const end = filtered.message.indexOf('\r\n\r\n');
      verdict.header = end < 0 ? filtered.message : filtered.message.subarray(0, end + 2);
      body = end < 0 ? EMPTY : filtered.message.subarray(end + 4);
      separator = end < 0 ? EMPTY : CRLF;
      if (file) await intake.discard();
      file = null;
    }
    if (filtered && filtered.stamps.length > 0) verdict.header = Buffer.concat([Buffer.from(filtered.stamps.join('\r\n') + '\r\n', 'utf8'), verdict.header]);
    if (filtered?.kind === 'quarantine') {
      this.log.log('info', 'smtp.in.message.quarantined', { sender: tx.sender, recipients: tx.recipients.map((r) => r.address), quarantineMailbox: filtered.to });
      tx.recipients = [{ address: filtered.to }];
    }
    // Address Rewriting Outbound (Edge): a message from inside to the Internet leaves with the external addresses.
    if (this.agents && tx.recipients.some((r) => !acceptedDomainFor(this.config.acceptedDomains, r.address.slice(r.address.lastIndexOf('@') + 1)))) {
      const rewritten = this.agents.outboundRewrite(tx.sender, verdict.header);
      if (rewritten) {
        tx.sender = rewritten.sender;
        verdict.header = rewritten.header;
      }
    }
    const messageClass = classifyMessage(verdict.header, body);
    const internal = this.config.organization.internalSmtpServers;
    const originalClient =
      internal.length === 0
        ? undefined
        : !internal.some((r) => r.contains(this.clientIp))
          ? this.clientIp
          : originalClientIp(
              this.clientIp,
              parseHeader(content.header)
                .filter((f) => f.name.toLowerCase() === 'received')
                .map((f) => f.value),
              internal,
            );
    const envelope: Envelope = {
      sender: tx.sender,
      recipients: tx.recipients,
      bodyType: tx.params.body ?? '7BIT',
      smtputf8: tx.params.smtpUtf8,
      ...(tx.params.ret && { ret: tx.params.ret }),
      ...(tx.params.envid !== undefined && { envid: tx.params.envid }),
      ...(tx.params.requireTls && { requireTls: true }),
      connector: this.connector.identity,
      principal: describePrincipal(this.principal),
      ...(this.principal.kind === 'user' && { authenticatedAs: this.principal.name }),
      clientIp: this.clientIp,
      clientHelo: this.helo,
      serverIp: (this.socket.localAddress ?? '').replace(/^::ffff:/, ''),
      serverFqdn: this.config.fqdn,
      ...(this.tls && { tls: this.tls }),
      messageId: verdict.messageId,
      subject: verdict.subject,
      headerFrom: verdict.from,
      receivedAt,
      authAs: verdict.authAs,
      ...(messageClass && { messageClass }),
      ...(originalClient && { originalClientIp: originalClient }),
    };
    let internalId: number;
    try {
      internalId = file
        ? (await this.services.queue.accept(envelope, Buffer.concat([verdict.header, separator]), { file: file.name, size: file.size })).internalId
        : (await this.services.queue.accept(envelope, Buffer.concat([verdict.header, separator, body!]))).internalId;
    } catch (err) {
      await intake.discard();
      this.log.log('error', 'queue.accept.failed', { error: (err as Error).message, action: 'check free disk space and the queue database (queue.db); the client was told to retry (452 4.3.1)' });
      return this.reply(Replies.insufficientResources);
    }
    this.messages++;
    this.services.metrics?.received.inc({ connector: this.connector.identity });
    this.log.log('info', 'smtp.in.message.accepted', { internalId, messageId: verdict.messageId, sender: tx.sender, recipients: tx.recipients.length, size, ...(content.file && { spooled: true }) });
    this.reply(Replies.queued(verdict.messageId, internalId, this.config.fqdn));
  }

  /** Client submission: the addresses of the authenticated mailbox user (send-as checks); null for other sessions. */
  private submitterAddresses(): string[] | null {
    const directory = this.services.recipients;
    if (!directory || this.principal.kind !== 'user' || this.principal.exchangeServer || !this.principal.accountGuid) return null;
    return directory.addressesOfAccount(this.principal.accountGuid);
  }

  // ---- output and lifetime ----

  private error(reply: SmtpReply): void {
    this.reply(reply);
    if (countsAsProtocolError(reply) && this.state.countProtocolError()) {
      this.reply(Replies.tooManyErrors);
      this.close();
    }
  }

  /** Counts a refusal for gatehouse_smtp_refused_total (metrics.ts: the reasons are a fixed set). */
  private refused(reason: RefusalReason): void {
    this.services.metrics?.refusal(this.connector.identity, reason);
  }

  private reply(reply: SmtpReply): void {
    if (this.closed) return;
    const text = formatReply(reply, { enhancedStatusCodes: this.connector.enhancedStatusCodes });
    this.protocol(
      '>',
      text
        .trimEnd()
        .split('\r\n')
        .map((l, i) => (i === 0 ? l : l.slice(4)))
        .join(' '),
    );
    this.socket.write(text);
  }

  private protocol(event: ProtocolEvent, data: string, context?: string): void {
    this.services.protocolLog?.write({
      connector: this.connector.identity,
      session: this.id,
      sequence: this.sequence++,
      local: this.localEndpoint,
      remote: this.remoteEndpoint,
      event,
      data,
      context,
    });
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    if (this.closed) return;
    this.idleTimer = setTimeout(() => this.timeout(), this.connector.connectionInactivityTimeoutMs);
  }

  private timeout(): void {
    this.log.log('info', 'smtp.in.session.timeout', {});
    this.reply(Replies.timeout);
    this.close();
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const closed = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        this.off('close', closed);
        resolve();
      }, ms);
      this.once('close', closed);
    });
  }

  private close(): void {
    if (this.closed) return;
    hangUp(this.socket);
    this.finish('Local');
  }

  private finish(who: 'Local' | 'Remote'): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifeTimer);
    if (this.closed && who === 'Remote') return;
    if (!this.closed) {
      this.closed = true;
      this.endTransaction();
      if (this.counted) this.services.metrics?.activeSessions.dec({ connector: this.connector.identity });
      this.protocol('-', '', who);
      this.emit('close');
    }
  }
}
