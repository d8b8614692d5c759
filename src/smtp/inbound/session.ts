// One inbound SMTP session on a Receive connector: the socket runtime around
// the pure protocol engine (smtp/protocol). It owns the I/O, the timers and
// the policy: STARTTLS with the connector's certificate, AUTH against the
// server's accounts, the permission rights of the session's principal,
// accepted domains (relay), limits, the header firewall, and durable
// acceptance into the queue before "250 Queued".
//
// Invariants: replies go out in command order; while an asynchronous step
// (authentication, tarpit, queue commit) runs no further input is processed;
// 250 after the content is sent only once the queue has the message on disk;
// pipelined input after STARTTLS is discarded (RFC 3207 §4.2, command
// injection); the reader bounds memory, so the session holds at most one
// message body (limited by MaxMessageSize) at a time.

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { DirectoryScope } from '../../directory/account-lookup.js';
import type { Logger } from '../../observability/logger.js';
import type { Envelope, QueueStore, RecipientInput } from '../../queue/queue-store.js';
import { acceptedDomainFor, type ReceiveConnectorConfig, type TransportConfig } from '../../roles/transport-config.js';
import type { SelectedCertificate } from '../../tls/certificate-selection.js';
import {
  bannerReply, continueAuth, ehloReply, formatReply, heloReply, offeredAuthMechanisms, parseCommand, Replies, SessionState, SmtpInputReader,
  startAuth, enhancedReply, countsAsProtocolError, MAX_AUTH_LINE_OCTETS, type AuthMechanism, type AuthState, type MailParams, type SmtpCommand, type SmtpReply,
} from '../protocol/index.js';
import { directoryRefusal, relayRefusal, sendAsRefusal, senderRefusal, type Admission } from './admission.js';
import type { ConnectionRefusal, MessageRateLimiter } from './limits.js';
import type { LogonFailure, LogonGuard } from './logon-guard.js';
import { processHeader, rfc5322Date } from './message-headers.js';
import { describePrincipal, rightsFor, type Principal, type Right } from './permissions.js';
import type { ProtocolEvent, ProtocolLog } from './protocol-log.js';
import type { TransportMetrics } from '../../observability/metrics.js';

/** What a Mailbox server's sessions ask the organization's recipients (directory/recipients.ts). */
export interface RecipientLookup {
  find(address: string): { kind: 'mailbox' | 'group'; requireSenderAuthentication: boolean; maxSendSize?: number | null } | null;
  addressesOfAccount(accountGuid: string): string[];
}

export interface SessionServices {
  queue: QueueStore;
  rates: MessageRateLimiter;
  log: Logger;
  protocolLog: ProtocolLog | null;
  directory: DirectoryScope;
  certificate: (connector: ReceiveConnectorConfig) => SelectedCertificate | null;
  /** Mailbox servers: the organization's recipients (validation at RCPT, send-as checks); null on an Edge. */
  recipients: RecipientLookup | null;
  metrics?: TransportMetrics;
  /** Password checks with failures counted across sessions, growing delays and account lockout. */
  logons: LogonGuard;
}

const RESERVED_TLDS = new Set(['test', 'example', 'invalid', 'localhost']);
const RESERVED_SLDS = new Set(['example.com', 'example.net', 'example.org']);
const earlyTalker = enhancedReply(554, '5.5.0', 'Protocol error: the client sent commands before the server replied to EHLO/HELO');
const smuggling = enhancedReply(554, '5.6.0', 'Invalid message content, contains a bare CR or LF next to an end-of-data dot');

/** Secure contexts by certificate thumbprint and TLS floor, shared by the sessions of a process. */
const contexts = new Map<string, SecureContext>();

function secureContextFor(cert: SelectedCertificate, minVersion: 'TLSv1.2' | 'TLSv1.3'): SecureContext {
  const key = `${cert.thumbprint}|${minVersion}`;
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = createSecureContext({ cert: cert.certificatePem + (cert.chainPem ?? ''), key: cert.privateKeyPem, minVersion });
    contexts.set(key, ctx);
  }
  return ctx;
}

interface Transaction {
  sender: string;
  params: MailParams;
  recipients: RecipientInput[];
  chunks: Buffer[];
  octets: number;
  tooBig: boolean;
}

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
  private certificate: SelectedCertificate | null | undefined;
  private idleTimer?: NodeJS.Timeout;
  private lifeTimer?: NodeJS.Timeout;
  private readonly log: Logger;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);

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
    this.principal = connector.authMechanism.has('ExternalAuthoritative') ? { kind: 'externallySecured' } : { kind: 'anonymous' };
    this.rights = rightsFor(connector.permissionGroups, this.principal);
  }

  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('error', (err) => this.log.log('debug', 'smtp.in.socket.error', { error: err.message }));
    this.socket.on('close', () => this.finish('Remote'));
    this.protocol('+', '');
    if (this.refusal) {
      this.log.log('warn', 'smtp.in.connection.limited', { limit: this.refusal === 'connector' ? 'MaxInboundConnection' : 'MaxInboundConnectionPerSource' });
      this.reply(this.refusal === 'connector' ? Replies.connectionLimit : Replies.connectionLimitPerSource);
      this.close();
      return;
    }
    if (this.rights.size > 0) this.protocol('*', [...this.rights].join(' '), 'Set Session Permissions');
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
    this.reader.push(chunk);
    this.pump();
  }

  private pump(): void {
    while (!this.busy && !this.closed) {
      const ev = this.reader.next();
      if (!ev) return;
      switch (ev.type) {
        case 'line':
          if (this.authState) this.authLine(ev.text);
          else this.command(ev.text);
          break;
        case 'line-too-long':
          this.protocol('<', `<line of ${ev.octets} octets>`);
          this.error(this.authState ? Replies.authCancelled : Replies.commandTooLong);
          this.authState = null;
          break;
        case 'data':
        case 'bdat':
          this.content(ev.chunk);
          break;
        case 'data-end':
          this.busyWhile(this.endOfData({ bareLf: ev.bareLf, smuggling: ev.smugglingSuspect }, true));
          break;
        case 'bdat-end':
          this.busyWhile(this.endOfChunk());
          break;
      }
    }
  }

  private busyWhile(work: Promise<void>): void {
    this.busy = true;
    work.catch((err) => {
      this.log.log('error', 'smtp.in.session.bug', { error: (err as Error).stack ?? String(err) });
      this.reply(enhancedReply(451, '4.3.0', 'Internal error, try again later'));
    }).finally(() => {
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
      requireEhloDomain: this.connector.requireEhloDomain, size: this.connector.sizeMode !== 'Disabled', dsn: this.connector.dsn,
      eightBitMime: this.connector.eightBitMime, binaryMime: this.connector.binaryMime, smtpUtf8: true,
    });
    if ('http' in parsed) {
      this.log.log('warn', 'smtp.in.http-request', { line: line.slice(0, 100) });
      this.close();
      return;
    }
    if ('error' in parsed) {
      this.error(parsed.error);
      return;
    }
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
        this.reply(Replies.startMailInput);
        this.reader.expectData();
        return;
      case 'BDAT':
        if (!this.rights.has('BypassMessageSizeLimit') && this.state.bdatOctets + cmd.size > this.connector.maxMessageSize) {
          // The chunk's octets follow the command whatever we answer; rather than read and
          // discard an announced oversized chunk, refuse and close (the stream cannot resync).
          this.reply(Replies.messageTooBig);
          this.close();
          return;
        }
        this.state.onBdatChunk(cmd.size);
        this.bdatLast = cmd.last;
        this.reader.expectBdat(cmd.size);
        return;
      case 'RSET':
        this.state.onReset();
        this.tx = null;
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

  private bdatLast = false;
  /** Counted in the active-sessions gauge (refused connections are not). */
  private counted = false;

  // ---- greeting, TLS, AUTH ----

  private hello(verb: 'EHLO' | 'HELO', domain: string): void {
    if (this.reader.bufferedBytes() > 0 && !this.state.tlsActive && this.state.greeting === 'none') {
      this.log.log('warn', 'smtp.in.early-talker', { buffered: this.reader.bufferedBytes() });
      this.reply(earlyTalker);
      this.close();
      return;
    }
    this.helo = domain;
    this.tx = null;
    if (verb === 'HELO') {
      this.state.onHelo();
      this.reply(heloReply(this.connector.fqdn, this.clientIp));
      return;
    }
    this.state.onEhlo();
    this.reply(ehloReply({
      fqdn: this.connector.fqdn, clientIp: this.clientIp, sizeMode: this.connector.sizeMode, maxMessageSize: this.connector.maxMessageSize,
      pipelining: this.connector.pipelining, dsn: this.connector.dsn, enhancedStatusCodes: this.connector.enhancedStatusCodes,
      startTls: this.tlsAvailable(), tlsActive: this.state.tlsActive, authMechanisms: this.authMechanisms(),
      requireTlsForAuth: this.connector.authMechanism.has('BasicAuthRequireTLS'), eightBitMime: this.connector.eightBitMime,
      binaryMime: this.connector.binaryMime, chunking: this.connector.chunking, smtpUtf8: true,
    }));
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
      if (!this.certificate) this.log.log('warn', 'smtp.in.tls.no-certificate', { fqdn: this.connector.fqdn, action: `STARTTLS is not offered: create or enable an SMTP certificate for ${this.connector.fqdn} (New-ExchangeCertificate / Enable-ExchangeCertificate -Services SMTP)` });
    }
    return this.certificate !== null;
  }

  private startTls(): void {
    if (!this.tlsAvailable() || !this.certificate) {
      this.error(Replies.unrecognizedCommand);
      return;
    }
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
    const secure = new TLSSocket(raw, { isServer: true, secureContext: context, requestCert: false });
    secure.on('error', (err) => {
      this.services.metrics?.tlsHandshakes.inc({ connector: this.connector.identity, result: 'failed' });
      this.log.log('info', 'smtp.in.tls.failed', { error: err.message });
      this.close();
    });
    secure.once('secure', () => {
      const cipher = secure.getCipher();
      this.tls = { protocol: secure.getProtocol() ?? 'TLS', cipher: cipher.standardName ?? cipher.name };
      this.services.metrics?.tlsHandshakes.inc({ connector: this.connector.identity, result: 'ok' });
      this.protocol('*', '', `TLS protocol ${this.tls.protocol} negotiation succeeded using ${this.tls.cipher}`);
      this.socket = secure;
      this.state.onTlsStarted();
      this.helo = '';
      this.tx = null;
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
    this.authStep(startAuth(mechanism, initial === '=' ? '=' : initial, offered), `AUTH ${mechanism.toUpperCase()}`);
  }

  private authLine(line: string): void {
    this.protocol('<', '<authentication response>');
    const state = this.authState!;
    this.authState = null;
    this.authStep(continueAuth(state, line), '');
  }

  private authStep(step: ReturnType<typeof startAuth>, _label: string): void {
    if ('reply' in step) {
      this.authState = step.state;
      this.reader.expectLine(MAX_AUTH_LINE_OCTETS);
      this.reply(step.reply);
      return;
    }
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
    if (this.connector.requireTls && !this.state.tlsActive) return this.reply(Replies.startTlsRequired);
    const refused = senderRefusal(this.admission, sender);
    if (refused) return this.reply(refused);
    const bypassSize = this.rights.has('BypassMessageSizeLimit');
    if (!bypassSize && params.size !== undefined && params.size > this.connector.maxMessageSize) return this.reply(Replies.messageTooBig);
    // Client submission: a mailbox user sends only as one of its own addresses.
    const directory = this.services.recipients;
    if (directory && this.principal.kind === 'user' && !this.principal.exchangeServer && this.principal.accountGuid) {
      const refusedSendAs = sendAsRefusal(sender, directory.addressesOfAccount(this.principal.accountGuid));
      if (refusedSendAs) {
        this.log.log('warn', 'smtp.in.mail.send-as-denied', { user: this.principal.name, sender });
        return this.reply(refusedSendAs);
      }
    }
    const keys = this.rateKeys(sender);
    if (!this.services.rates.tryCount(keys, this.connector.messageRateLimit)) {
      this.log.log('warn', 'smtp.in.rate-limited', { keys, limit: this.connector.messageRateLimit });
      this.reply(Replies.messageRateLimit);
      this.close();
      return;
    }
    this.state.onMailAccepted(params);
    this.tx = { sender, params, recipients: [], chunks: [], octets: 0, tooBig: false };
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
    const reserved = this.reservedDomainRefusal(rcptDomain);
    if (reserved) return this.refuseRecipient(reserved);
    const accepted = acceptedDomainFor(this.config.acceptedDomains, rcptDomain);
    if (relayRefusal(this.admission, rcptDomain)) {
      this.log.log('info', 'smtp.in.rcpt.relay-denied', { recipient: rcptAddress, principal: describePrincipal(this.principal) });
      return this.refuseRecipient(Replies.unableToRelay);
    }
    if (accepted && this.services.recipients) {
      const refused = directoryRefusal(this.admission, accepted, this.services.recipients.find(rcptAddress));
      if (refused === Replies.userUnknown) this.log.log('info', 'smtp.in.rcpt.unknown', { recipient: rcptAddress });
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

  private async refuseRecipient(reply: SmtpReply): Promise<void> {
    // Unauthenticated sessions wait before a refusal (directory harvest, relay probing).
    if (this.principal.kind === 'anonymous' && this.connector.tarpitMs > 0) {
      this.protocol('*', '', `Tarpit for '${this.connector.tarpitMs / 1000}s'`);
      await this.delay(this.connector.tarpitMs);
    }
    this.reply(reply);
  }

  private content(chunk: Buffer): void {
    const tx = this.tx;
    if (!tx) return;
    tx.octets += chunk.length;
    if (tx.tooBig) return;
    if (tx.octets > this.connector.maxMessageSize && !this.rights.has('BypassMessageSizeLimit')) {
      tx.tooBig = true;
      tx.chunks = [];
      return;
    }
    tx.chunks.push(chunk);
  }

  private async endOfChunk(): Promise<void> {
    if (!this.bdatLast) {
      const tx = this.tx;
      if (tx?.tooBig) {
        this.state.onTransactionEnd();
        this.tx = null;
        this.reply(Replies.messageTooBig);
        return;
      }
      this.reply(Replies.chunkReceived(this.state.bdatOctets));
      return;
    }
    await this.endOfData({ bareLf: false, smuggling: false }, false);
  }

  private async endOfData(flags: { bareLf: boolean; smuggling: boolean }, viaData: boolean): Promise<void> {
    const tx = this.tx;
    this.state.onTransactionEnd();
    this.tx = null;
    if (!tx) return;
    if (tx.tooBig) return this.reply(Replies.messageTooBig);
    if (flags.smuggling) {
      this.log.log('warn', 'smtp.in.data.smuggling-suspect', { sender: tx.sender });
      return this.reply(smuggling);
    }
    if (viaData && flags.bareLf && this.connector.bareLinefeedRejection) return this.reply(Replies.bareLinefeed);
    const receivedAt = new Date();
    const withType = `ESMTP${this.tls ? 'S' : ''}${this.principal.kind === 'user' ? 'A' : ''}`;
    const tlsComment = this.tls ? ` (version=${this.tls.protocol} cipher=${this.tls.cipher})` : '';
    const forClause = tx.recipients.length === 1 ? ` for <${tx.recipients[0].address}>` : '';
    const received = `from ${this.helo || 'unknown'} (${this.clientIp.includes(':') ? `IPv6:${this.clientIp}` : this.clientIp}) by ${this.connector.fqdn} ` +
      `(${this.socket.localAddress?.replace(/^::ffff:/, '')})${tlsComment} with ${withType} id ${this.id}-${this.messages + 1}${forClause}; ${rfc5322Date(receivedAt)}`;
    const verdict = processHeader(Buffer.concat(tx.chunks), {
      keepRoutingHeaders: this.rights.has('AcceptRoutingHeaders'),
      keepOrganizationHeaders: this.rights.has('AcceptOrganizationHeaders'),
      maxHeaderSize: this.connector.maxHeaderSize,
      maxHopCount: this.connector.maxHopCount,
      maxLocalHopCount: this.connector.maxLocalHopCount,
      localNames: [this.config.fqdn, this.connector.fqdn],
      authAs: this.principal.kind === 'anonymous' ? 'Anonymous' : 'Internal',
    }, received, () => `<${randomUUID()}@${this.connector.fqdn}>`);
    const sendLimit = this.userMaxSendSize();
    if (sendLimit !== null && verdict.ok && verdict.message.length > sendLimit) {
      this.log.log('info', 'smtp.in.data.send-size-exceeded', { user: this.principal.kind === 'user' ? this.principal.name : '', size: verdict.message.length, limit: sendLimit });
      return this.reply(enhancedReply(552, '5.3.4', 'Message size exceeds the sender\'s MaxSendSize'));
    }
    if (!verdict.ok) {
      this.log.log('warn', 'smtp.in.data.refused', { reason: verdict.reason, sender: tx.sender });
      return this.reply(verdict.reason === 'header-too-large' ? Replies.headerTooBig : Replies.hopCountExceeded);
    }
    const envelope: Envelope = {
      sender: tx.sender, recipients: tx.recipients, bodyType: tx.params.body ?? '7BIT', smtputf8: tx.params.smtpUtf8,
      ...(tx.params.ret && { ret: tx.params.ret }), ...(tx.params.envid !== undefined && { envid: tx.params.envid }),
      connector: this.connector.identity, principal: describePrincipal(this.principal),
      ...(this.principal.kind === 'user' && { authenticatedAs: this.principal.name }),
      clientIp: this.clientIp, clientHelo: this.helo, serverIp: (this.socket.localAddress ?? '').replace(/^::ffff:/, ''), serverFqdn: this.config.fqdn,
      ...(this.tls && { tls: this.tls }), messageId: verdict.messageId, subject: verdict.subject, headerFrom: verdict.from, receivedAt, authAs: verdict.authAs,
    };
    let internalId: number;
    try {
      internalId = (await this.services.queue.accept(envelope, verdict.message)).internalId;
    } catch (err) {
      this.log.log('error', 'queue.accept.failed', { error: (err as Error).message, action: 'check free disk space and the queue database (queue.db); the client was told to retry (452 4.3.1)' });
      return this.reply(Replies.insufficientResources);
    }
    this.messages++;
    this.services.metrics?.received.inc({ connector: this.connector.identity });
    this.log.log('info', 'smtp.in.message.accepted', { internalId, messageId: verdict.messageId, sender: tx.sender, recipients: tx.recipients.length, size: verdict.message.length });
    this.reply(Replies.queued(verdict.messageId, internalId, this.config.fqdn));
  }

  // ---- output and lifetime ----

  private error(reply: SmtpReply): void {
    this.reply(reply);
    if (countsAsProtocolError(reply) && this.state.countProtocolError()) {
      this.reply(Replies.tooManyErrors);
      this.close();
    }
  }

  private reply(reply: SmtpReply): void {
    if (this.closed) return;
    const text = formatReply(reply, { enhancedStatusCodes: this.connector.enhancedStatusCodes });
    this.protocol('>', text.trimEnd().split('\r\n').map((l, i) => (i === 0 ? l : l.slice(4))).join(' '));
    this.socket.write(text);
  }

  private protocol(event: ProtocolEvent, data: string, context?: string): void {
    this.services.protocolLog?.write({
      connector: this.connector.identity, session: this.id, sequence: this.sequence++, local: this.localEndpoint, remote: this.remoteEndpoint, event, data, context,
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
      const t = setTimeout(resolve, ms);
      this.once('close', () => { clearTimeout(t); resolve(); });
    });
  }

  private close(): void {
    if (this.closed) return;
    this.socket.end();
    const s = this.socket;
    setTimeout(() => s.destroy(), 2000).unref();
    this.finish('Local');
  }

  private finish(who: 'Local' | 'Remote'): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifeTimer);
    if (this.closed && who === 'Remote') return;
    if (!this.closed) {
      this.closed = true;
      if (this.counted) this.services.metrics?.activeSessions.dec({ connector: this.connector.identity });
      this.protocol('-', '', who);
      this.emit('close');
    }
  }
}
