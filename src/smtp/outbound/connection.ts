// Outbound SMTP client used by Send connectors: one connection to one target IP, set up the way
// the connector's policy says (EHLO or HELO, STARTTLS opportunistic / required / never, the
// certificate checks of TlsAuthLevel, AUTH with the connector's credential), then any number of
// messages up to SmtpMaxMessagesPerConnection, each answered with one outcome per recipient.
//
// The SMTP dialog itself is nodemailer's SMTPConnection. What it does not offer is added here:
//  - every reply is recorded through its transaction log (a public logger option) and paired with
//    the command it answers, so per-recipient results come from the replies themselves, also when
//    nodemailer fails the whole message (DATA refused, connection lost) without saying which
//    recipients had been refused before;
//  - the commands go through one hook (`_sendCommand`, an internal method, which is why nodemailer
//    is pinned to an exact version) to send HELO instead of EHLO (ForceHELO) and to
//    write the MAIL FROM / RCPT TO parameters ourselves: SIZE, BODY, SMTPUTF8, RET, ENVID and the
//    per-recipient NOTIFY/ORCPT (nodemailer only knows one NOTIFY/ORCPT for the whole envelope);
//  - an address probe (MAIL, RCPT, RSET: no DATA, which nodemailer's send() always reaches) sends
//    its commands the way nodemailer's own reset() does, through `_sendCommand` and the queue of
//    reply handlers (`_responseActions`, the other internal member touched);
//  - "STARTTLS required" is checked after the session is set up and before AUTH, so no STARTTLS
//    command goes to a peer that did not offer it and no credential is ever sent in that case;
//  - after a failed transaction the session is reset with RSET (nodemailer leaves it open);
//  - REQUIRETLS (RFC 8689): a connection opened with requireTlsMessages is usable only when TLS,
//    the certificate chain and name and the peer's REQUIRETLS all check out (require-tls.ts); a
//    failure there is permanent for the message. MAIL FROM of a REQUIRETLS message carries the
//    REQUIRETLS option, and such a message never goes over a connection opened without those checks.
//
// Content rules (decided here, see classify.ts for the texts):
//  - SMTPUTF8 (UTF-8 headers or addresses) to a peer without SMTPUTF8: refused, permanent. No
//    downgrade is attempted.
//  - 8BITMIME content to a peer without 8BITMIME: sent as is, without BODY=8BITMIME (what most
//    MTAs do in practice; converting to quoted-printable would mean rewriting MIME structure).
//  - BINARYMIME: nodemailer has no BDAT/CHUNKING, so a binary body goes through DATA only when it
//    is line-safe (no NUL, no bare CR/LF, lines within 998 octets), declared BODY=8BITMIME when
//    the peer has it; anything else is refused, permanent 5.6.3.
//  - The body must already use CRLF line ends; DATA dot-stuffing is done by nodemailer.
//
// Certificates: EncryptionOnly and null encrypt without checks. CertificateValidation checks the
// chain against the system store plus trustedCertificates. DomainValidation also matches the
// certificate's names against tlsDomain (a leading "*." accepts the domain and its subdomains),
// else the target host name. Revocation (OCSP/CRL) is not checked.
//
// Credentials: before AUTH, unless TlsAuthLevel is EncryptionOnly (or DomainValidation, checked
// at the handshake), the peer must prove it is the target: its certificate chains to a trusted
// certificate and carries target.host (peer-trust.ts). When it does not, no AUTH is sent, the
// session ends with QUIT and the failure says why and what to change (454 4.7.5).
//
// Opportunistic TLS whose handshake fails (not a certificate check: EncryptionOnly/null checks
// nothing) is retried once in plaintext on a new connection, as Postfix does at its "may" level,
// unless the credential requires TLS.

import net from 'node:net';
import tls from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import {
  STARTTLS_REQUIRED_TEXT,
  certificateText,
  credentialWithheldText,
  type CredentialOwner,
  classifyReplyCode,
  communicationText,
  encodeXtext,
  endpointText,
  isCertificateErrorCode,
  isDataSafe,
  parseReply,
  setupReplyText,
  socketErrorDetail,
  type Endpoint,
} from './classify.js';
import { credentialNeedsProof, credentialRefusal, peerIdentity, type PeerIdentity } from './peer-trust.js';
import { requireTlsNoTlsText, requireTlsRefusal } from './require-tls.js';
import { daneRefusalText, daneVerify } from './dane-check.js';
import type { TlsaRecord } from '../../dns/dane-records.js';

export interface OutboundTarget {
  /** Name used for SNI, certificate identity checks and logs. */
  host: string;
  /** The IP address to connect to (no name resolution happens here). */
  address: string;
  port: number;
}

export interface OutboundPolicy {
  /** Connector Fqdn or the server FQDN. */
  ehloName: string;
  forceHelo: boolean;
  /** SourceIPAddress; undefined, 0.0.0.0 or :: = any. */
  sourceAddress?: string;
  /** RequireTLS or BasicAuthRequireTLS -> required; IgnoreSTARTTLS -> never. */
  tls: 'opportunistic' | 'required' | 'never';
  /**
   * null: encrypt without checks when TLS is used, except that a credential is sent only to a
   * peer that proves its identity (peer-trust.ts); EncryptionOnly: no checks at all.
   */
  tlsAuthLevel: 'EncryptionOnly' | 'CertificateValidation' | 'DomainValidation' | null;
  /** DomainValidation: the name the certificate must match (else target.host). */
  tlsDomain?: string;
  /** PEM CA or peer certificates trusted in addition to the system store. */
  trustedCertificates?: string[];
  /** MTA-STS: `authorized` judges the chain against trustedCertificates too, even when nothing is enforced at the handshake. */
  verifyChain?: boolean;
  /** Domain Security (mutual TLS): the certificate this server presents to the peer. */
  clientCertificate?: { certificatePem: string; privateKeyPem: string; chainPem?: string };
  /** Never sent before TLS with BasicAuthRequireTLS; inside TLS only to a proven peer (see tlsAuthLevel). */
  auth?: { username: string; password: string; mechanism: 'BasicAuth' | 'BasicAuthRequireTLS' };
  /** The Send connector the credential belongs to, named in the texts that say what to change. */
  connector?: CredentialOwner;
  connectTimeoutMs: number;
  greetingTimeoutMs: number;
  inactivityTimeoutMs: number;
  maxMessagesPerConnection: number;
  /** Send connector ProtocolLoggingLevel Verbose: each command ('>', credentials redacted) and reply ('<'). */
  protocolLog?: (event: '>' | '<', data: string) => void;
  /**
   * A connection for messages with REQUIRETLS (RFC 8689): usable only after STARTTLS, a chain that
   * verifies against the trusted certificates, a certificate carrying target.host and REQUIRETLS in
   * the EHLO reply; otherwise open() fails permanently (stage 'tls') and says which check failed.
   */
  requireTlsMessages?: boolean;
  /**
   * DANE (RFC 7672): the usable TLSA records of target.host. STARTTLS is then mandatory (no
   * plaintext retry) and the certificate must match a record (dane-check.ts), checked at the
   * handshake; `names` = the names a DANE-TA certificate may carry (the MX host, the next-hop domain).
   */
  dane?: { tlsa: TlsaRecord[]; names: string[] };
}

export interface OutboundMessage {
  sender: string;
  recipients: { address: string; notify?: string[]; orcpt?: string }[];
  envid?: string;
  ret?: 'FULL' | 'HDRS';
  body: Buffer;
  smtputf8: boolean;
  bodyType: '7BIT' | '8BITMIME' | 'BINARYMIME';
  /** REQUIRETLS (RFC 8689): sent only over a requireTlsMessages connection, with MAIL FROM ... REQUIRETLS. */
  requireTls?: boolean;
}

/** reply: the peer's reply on one line, or our own Exchange-style text. */
export type RecipientOutcome = { address: string; status: 'delivered' | 'transient' | 'permanent'; reply: string };

/** What an address probe learnt: an outcome per address, or the reply that refused the probe's MAIL FROM. */
export type ProbeResult = { kind: 'answered'; outcomes: RecipientOutcome[] } | { kind: 'sender-refused'; reply: string };

/** The TLS session of a connection and the certificate the peer presented. */
export interface TlsSessionInfo {
  protocol: string;
  cipher: string;
  /** The chain verified against the trusted CAs (whether or not the policy demanded it). */
  authorized: boolean;
  /** Why it did not verify (an OpenSSL code such as DEPTH_ZERO_SELF_SIGNED_CERT). */
  authorizationError?: string;
  /** The peer certificate: its DNS names (SANs, else the CN), IP address SANs, subject and issuer CN, expiry. */
  certificate?: { names: string[]; addresses: string[]; subject: string; issuer: string; validTo: string };
  /** Whether the certificate carries target.host (for an IP literal: that address), as tls.checkServerIdentity says. */
  identity?: PeerIdentity;
  /** DANE: the TLSA record the certificate matched ("DANE-EE 3 1 1 …"). */
  dane?: string;
}

export type ConnectFailure = {
  kind: 'transient' | 'permanent';
  text: string;
  stage: 'connect' | 'greeting' | 'tls' | 'auth' | 'ehlo';
  /** Failures after the handshake (the credential withheld): the TLS session the decision was made on. */
  tls?: TlsSessionInfo;
};

export function isConnectFailure(v: OutboundConnection | ConnectFailure): v is ConnectFailure {
  return !(v instanceof OutboundConnection);
}

/** The error fields nodemailer sets (see its errors module). */
interface MailerError extends Error {
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  timeoutType?: string;
}

/** The members of SMTPConnection used beyond its documented methods. */
interface ConnectionInternals {
  _sendCommand(str: string, logStr?: string): void;
  /** The handlers of the replies still to come, in order (one per command sent). */
  _responseActions: ((reply: string) => void)[];
  _socket: net.Socket | false | null;
  upgrading?: boolean;
  secure: boolean;
  stage: string;
  destroyed: boolean;
}

function internals(conn: SMTPConnection): ConnectionInternals {
  return conn as unknown as ConnectionInternals;
}

/** One command and the reply to it, as seen on the wire (credentials redacted). */
interface Exchange {
  command: string;
  reply: string;
}

const GREETING = '<greeting>';
const END_OF_DATA = '<end of data>';

/**
 * Pairs the commands and replies nodemailer reports through its transaction log. SMTP answers
 * strictly in order (also with PIPELINING), so a FIFO of commands is enough.
 */
class Wire {
  readonly exchanges: Exchange[] = [];
  private pending: string[] = [GREETING];
  private inAuth = false;

  constructor(private readonly log?: (event: '>' | '<', data: string) => void) {}

  readonly logger = {
    trace: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    fatal: () => undefined,
    debug: (entry: { tnx?: string } | undefined, message?: unknown) => {
      if (typeof message !== 'string') return;
      if (entry?.tnx === 'client') this.onCommand(message);
      else if (entry?.tnx === 'server') this.onReply(message);
    },
  };

  private onCommand(command: string): void {
    if (/^AUTH\s/i.test(command)) {
      this.inAuth = true;
      const shown = command.split(/\s+/).slice(0, 2).join(' ') + (command.split(/\s+/).length > 2 ? ' <redacted>' : '');
      this.pending.push(shown);
      this.log?.('>', shown);
      return;
    }
    const shown = this.inAuth ? '<redacted>' : command;
    this.pending.push(shown);
    this.log?.('>', shown);
  }

  private onReply(raw: string): void {
    this.log?.('<', raw.replace(/\r?\n/g, ' '));
    const command = this.pending.shift() ?? '<unsolicited>';
    this.exchanges.push({ command, reply: raw });
    if (!/^334[ -]/.test(raw)) this.inAuth = false;
    if (/^DATA$/i.test(command) && /^3/.test(raw)) this.pending.unshift(END_OF_DATA);
  }

  /** Drops what is no longer needed; the capabilities are read once after setup. */
  trim(): void {
    this.exchanges.length = 0;
  }
}

/** EHLO keywords (upper case) with their parameters. */
function parseCapabilities(ehloReply: string): Map<string, string> {
  const caps = new Map<string, string>();
  const lines = ehloReply.split(/\r?\n/).slice(1);
  for (const line of lines) {
    const text = line.replace(/^\d{3}[ -]?/, '').trim();
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:[ =](.*))?$/.exec(text);
    if (!m) continue;
    const key = m[1].toUpperCase();
    const value = (m[2] ?? '').trim();
    caps.set(key, caps.has(key) ? `${caps.get(key)} ${value}`.trim() : value);
  }
  return caps;
}

function normalizeSource(source: string | undefined): string | undefined {
  if (!source) return undefined;
  if (source === '0.0.0.0' || source === '::' || source === '0:0:0:0:0:0:0:0') return undefined;
  return source;
}

function isNonAscii(s: string): boolean {
  return /[^\x00-\x7f]/.test(s);
}

function requiresTls(policy: OutboundPolicy): boolean {
  return policy.tls === 'required' || policy.auth?.mechanism === 'BasicAuthRequireTLS';
}

function validatesCertificates(policy: OutboundPolicy): boolean {
  return policy.tlsAuthLevel === 'CertificateValidation' || policy.tlsAuthLevel === 'DomainValidation';
}

/** Names a certificate carries: DNS subjectAltNames, else the subject CN. */
function certificateNames(cert: tls.PeerCertificate): string[] {
  const sans = (cert.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase().replace(/\.$/, ''));
  if (sans.length > 0) return sans;
  const cn = cert.subject?.CN;
  return (Array.isArray(cn) ? cn : cn ? [cn] : []).map((n) => n.toLowerCase().replace(/\.$/, ''));
}

/** IP addresses among a certificate's subjectAltNames. */
function certificateAddresses(cert: tls.PeerCertificate): string[] {
  return (cert.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('IP Address:'))
    .map((s) => s.slice('IP Address:'.length));
}

/** DomainValidation: the certificate must carry the expected name ("*.x": x or any name under it). */
function checkDomain(expected: string, cert: tls.PeerCertificate): Error | undefined {
  const want = expected.toLowerCase().replace(/\.$/, '');
  if (!want.startsWith('*.')) {
    const err = tls.checkServerIdentity(want, cert);
    if (!err) return undefined;
    const mismatch = new Error(`the certificate does not carry the name ${want} (it names ${certificateNames(cert).join(', ') || 'nothing'})`) as MailerError;
    mismatch.code = 'ERR_TLS_CERT_TLSDOMAIN_MISMATCH';
    return mismatch;
  }
  const base = want.slice(2);
  const names = certificateNames(cert);
  if (names.some((n) => n === base || n.endsWith('.' + base) || n === '*.' + base)) return undefined;
  const err = new Error(`the certificate does not carry ${base} or a name under it (it names ${names.join(', ') || 'nothing'})`) as MailerError;
  err.code = 'ERR_TLS_CERT_TLSDOMAIN_MISMATCH';
  return err;
}

function tlsOptions(target: OutboundTarget, policy: OutboundPolicy): tls.ConnectionOptions {
  // The imported certificates count wherever a verdict on the chain is used: the handshake's
  // (CertificateValidation, DomainValidation), the credential's (checked after it), and what the
  // logs and Trace-MailFlow say about a peer that receives a credential.
  const ca =
    policy.trustedCertificates && policy.trustedCertificates.length > 0 && (validatesCertificates(policy) || policy.auth !== undefined || policy.requireTlsMessages || policy.verifyChain === true)
      ? { ca: [...tls.rootCertificates, ...policy.trustedCertificates] }
      : {};
  const client = policy.clientCertificate ? { cert: policy.clientCertificate.certificatePem + (policy.clientCertificate.chainPem ?? ''), key: policy.clientCertificate.privateKeyPem } : {};
  // `authorized` then says whether the chain verifies, nothing more: the name is checked apart (peerIdentity).
  if (!validatesCertificates(policy)) return { rejectUnauthorized: false, checkServerIdentity: () => undefined, ...ca, ...client };
  const options: tls.ConnectionOptions = { rejectUnauthorized: true, ...ca, ...client };
  if (policy.tlsAuthLevel === 'DomainValidation') {
    const expected = policy.tlsDomain || target.host;
    options.checkServerIdentity = (_host, cert) => checkDomain(expected, cert);
  } else {
    // CertificateValidation: chain only, no name match.
    options.checkServerIdentity = () => undefined;
  }
  return options;
}

type SetupStage = ConnectFailure['stage'];

/** A failed attempt, with whether a plaintext retry makes sense (opportunistic handshake failure). */
type AttemptFailure = ConnectFailure & { handshakeFailed?: boolean };

function timeoutDetail(err: MailerError, policy: OutboundPolicy): { stage: SetupStage | null; detail: string } {
  switch (err.timeoutType) {
    case 'CONNECT_TIMEOUT':
      return { stage: 'connect', detail: `Failed to connect. The connection attempt timed out after ${policy.connectTimeoutMs} ms` };
    case 'GREETING_TIMEOUT':
      return {
        stage: 'greeting',
        detail: `The remote server accepted the connection but sent no SMTP greeting within ${policy.greetingTimeoutMs} ms`,
      };
    case 'UPGRADE_TIMEOUT':
      return { stage: 'tls', detail: `The TLS negotiation did not complete within ${policy.greetingTimeoutMs} ms` };
    default:
      return { stage: null, detail: `The remote server did not answer within ${policy.inactivityTimeoutMs} ms` };
  }
}

/** What attempt() hands over once the session is set up. */
interface EstablishedSession {
  conn: SMTPConnection;
  wire: Wire;
  target: OutboundTarget;
  policy: OutboundPolicy;
  extensions: ReadonlyMap<string, string>;
  tls: TlsSessionInfo | null;
  hook: { current: ((command: string) => string) | null };
}

export class OutboundConnection {
  private sent = 0;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private transaction: { message: OutboundMessage; rcptIndex: number } | null = null;
  private lastError: MailerError | null = null;
  private readonly endWaiters = new Set<() => void>();

  /** EHLO keywords the peer advertised, upper case (empty after HELO). */
  readonly extensions: ReadonlyMap<string, string>;
  readonly tls: TlsSessionInfo | null;
  readonly target: OutboundTarget;
  private readonly conn: SMTPConnection;
  private readonly wire: Wire;
  private readonly policy: OutboundPolicy;

  private constructor(session: EstablishedSession) {
    this.conn = session.conn;
    this.wire = session.wire;
    this.target = session.target;
    this.policy = session.policy;
    this.extensions = session.extensions;
    this.tls = session.tls;
    session.hook.current = (command) => this.rewriteCommand(command);
    this.conn.on('error', (err: MailerError) => {
      this.lastError = err;
      this.markClosed();
    });
    this.conn.on('end', () => this.markClosed());
    if (internals(this.conn).destroyed) this.markClosed();
  }

  get messagesSent(): number {
    return this.sent;
  }

  /** Open and below maxMessagesPerConnection. */
  get usable(): boolean {
    return !this.closed && this.sent < this.policy.maxMessagesPerConnection;
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    const waiters = [...this.endWaiters];
    this.endWaiters.clear();
    for (const w of waiters) w();
  }

  private get endpoint(): Endpoint {
    return { address: this.target.address, port: this.target.port };
  }

  /**
   * Connects, reads the greeting, sends EHLO (or HELO), STARTTLS as the policy says and AUTH when
   * a credential is configured. Never throws for network or peer problems: those come back as a
   * ConnectFailure.
   */
  /** @internal Used by attempt() once the session is set up. */
  static create(session: EstablishedSession): OutboundConnection {
    return new OutboundConnection(session);
  }

  static async open(target: OutboundTarget, policy: OutboundPolicy): Promise<OutboundConnection | ConnectFailure> {
    if (!net.isIP(target.address)) throw new TypeError(`OutboundConnection.open: ${target.address} is not an IP address`);
    const first = await attempt(target, policy);
    if (first instanceof OutboundConnection) return first;
    if (policy.dane && first.stage === 'tls' && !/ DANE /.test(first.text)) {
      // The handshake failed: no plaintext retry under DANE, and the text says so.
      return { kind: 'transient', stage: 'tls', text: daneRefusalText(target.host, endpointText({ address: target.address, port: target.port }), `failed the TLS negotiation (${first.text})`) };
    }
    if (policy.requireTlsMessages && first.stage === 'tls' && first.kind === 'transient' && !first.tls) {
      // The handshake itself failed (or the certificate was refused during it): no TLS, no REQUIRETLS message.
      return { kind: 'permanent', stage: 'tls', text: requireTlsNoTlsText(target.host, { address: target.address, port: target.port }, first.text) };
    }
    if (!policy.requireTlsMessages && first.handshakeFailed && policy.tls === 'opportunistic' && !validatesCertificates(policy) && policy.auth?.mechanism !== 'BasicAuthRequireTLS') {
      const retry = await attempt(target, { ...policy, tls: 'never' });
      if (retry instanceof OutboundConnection) return retry;
      return strip(retry);
    }
    return strip(first);
  }

  /**
   * Sends one message. Returns one outcome per recipient, in the order given. A whole-message
   * failure (MAIL or DATA refused, connection lost) gives every affected recipient the same
   * outcome. Never throws for network or peer problems.
   */
  send(message: OutboundMessage): Promise<RecipientOutcome[]> {
    const run = this.queue.then(() => this.sendOne(message));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Asks the peer whether it takes mail for each address without sending a message: MAIL FROM,
   * one RCPT TO per address, then RSET (Postfix's address probe; recipient validation on an Edge).
   * One outcome per address, from the peer's reply to its RCPT TO; or the reply that refused MAIL
   * FROM, which says nothing of the addresses. Never throws for network or peer problems.
   */
  probe(addresses: string[], sender = ''): Promise<ProbeResult> {
    const run = this.queue.then(() => this.probeOne(addresses, sender));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async probeOne(addresses: string[], sender: string): Promise<ProbeResult> {
    if (addresses.length === 0) return { kind: 'answered', outcomes: [] };
    if (/[\r\n<>]/.test(sender) || addresses.some((a) => !a || /[\r\n<>]/.test(a))) throw new TypeError('OutboundConnection.probe: an address holds <, > or a line break');
    const verdict = (raw: string | null): { status: RecipientOutcome['status']; reply: string } => {
      const r = raw === null ? null : parseReply(raw);
      return r ? { status: classifyReplyCode(r.code), reply: r.line } : { status: 'transient', reply: this.lostText(this.lastError) };
    };
    const mail = verdict(await this.command(`MAIL FROM:<${sender}>`));
    if (mail.status !== 'delivered') {
      if (!this.closed) await this.reset();
      return { kind: 'sender-refused', reply: mail.reply };
    }
    const outcomes: RecipientOutcome[] = [];
    for (const address of addresses) outcomes.push({ address, ...verdict(await this.command(`RCPT TO:<${address}>`)) });
    if (!this.closed) await this.reset();
    return { kind: 'answered', outcomes };
  }

  /** Sends one command and waits for its reply; null when the connection ends or stays silent past the inactivity timeout. */
  private command(line: string): Promise<string | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      let done = false;
      const finish = (reply: string | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.endWaiters.delete(onEnd);
        resolve(reply);
      };
      const onEnd = () => finish(null);
      const timer = setTimeout(() => {
        this.conn.close();
        this.markClosed();
        finish(null);
      }, this.policy.inactivityTimeoutMs);
      this.endWaiters.add(onEnd);
      internals(this.conn)._responseActions.push((reply) => finish(reply));
      internals(this.conn)._sendCommand(line);
    });
  }

  /** Sends QUIT and waits (bounded) for the peer to close. */
  async close(): Promise<void> {
    await this.queue;
    if (this.closed) return;
    const ended = this.waitForEnd(Math.min(5000, this.policy.inactivityTimeoutMs));
    try {
      this.conn.quit();
    } catch {
      // The socket is already gone; close() below finishes the job.
    }
    await ended;
    this.conn.close();
    this.markClosed();
  }

  private waitForEnd(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.endWaiters.delete(waiter);
        resolve();
      }, ms);
      this.endWaiters.add(waiter);
    });
  }

  private lostText(err: MailerError | null): string {
    if (err?.response) {
      const r = parseReply(err.response);
      if (r) return r.line;
    }
    if (err?.code === 'ETIMEDOUT') return communicationText(timeoutDetail(err, this.policy).detail, this.endpoint, true);
    const code = err?.originalCode ?? (err?.code === 'ECONNECTION' ? undefined : err?.code);
    const detail = err && !/closed unexpectedly|already destroyed|already half-closed/i.test(err.message) ? socketErrorDetail(code, `The connection to the remote server was lost: ${err.message}`) : 'The remote server closed the connection';
    return communicationText(detail, this.endpoint, true);
  }

  private async sendOne(message: OutboundMessage): Promise<RecipientOutcome[]> {
    const all = (status: RecipientOutcome['status'], reply: string): RecipientOutcome[] => message.recipients.map((r) => ({ address: r.address, status, reply }));
    if (message.recipients.length === 0) return [];
    if (this.closed) return all('transient', this.lostText(this.lastError));

    // Checks that need no round trip.
    if (/[\r\n<>]/.test(message.sender)) return all('permanent', '501 5.1.7 Invalid sender address');
    if (message.requireTls && !this.policy.requireTlsMessages) {
      return all('transient', '451 4.7.10 REQUIRETLS: the message was not offered to a connection opened without the REQUIRETLS checks; it will be retried');
    }
    if (message.requireTls && !this.extensions.has('REQUIRETLS')) {
      return all('permanent', `550 5.7.30 REQUIRETLS support required: ${this.target.host} [${endpointText(this.endpoint)}] does not offer REQUIRETLS`);
    }
    const needsUtf8 = message.smtputf8 || isNonAscii(message.sender) || message.recipients.some((r) => isNonAscii(r.address));
    if (needsUtf8 && !this.extensions.has('SMTPUTF8')) {
      const addressLevel = isNonAscii(message.sender) || message.recipients.some((r) => isNonAscii(r.address));
      const who = `${this.target.host} [${endpointText(this.endpoint)}]`;
      return all('permanent', addressLevel ? `554 5.6.7 Non-ASCII addresses not permitted: ${who} does not support SMTPUTF8` : `554 5.6.9 The message has UTF-8 header fields and ${who} does not support SMTPUTF8; it cannot be downgraded`);
    }
    if (message.bodyType === 'BINARYMIME' && !isDataSafe(message.body)) {
      return all('permanent', `554 5.6.3 Conversion required but not supported: the message body is binary (BINARYMIME) and cannot be sent with DATA to ${this.target.host}`);
    }
    const maxSize = Number(this.extensions.get('SIZE') ?? '0');
    if (maxSize > 0 && message.body.length > maxSize) {
      return all('permanent', `552 5.3.4 Message size exceeds fixed maximum message size: ${message.body.length} bytes, ${this.target.host} accepts ${maxSize}`);
    }

    const outcomes = new Map<number, RecipientOutcome>();
    const wireIndex: number[] = []; // recipients that go on the wire, by position in message.recipients
    message.recipients.forEach((r, i) => {
      if (!r.address || /[\r\n<>]/.test(r.address)) {
        outcomes.set(i, { address: r.address, status: 'permanent', reply: '501 5.1.3 Invalid recipient address' });
      } else {
        wireIndex.push(i);
      }
    });
    if (wireIndex.length === 0) return message.recipients.map((_, i) => outcomes.get(i)!);

    const onWire: OutboundMessage = { ...message, recipients: wireIndex.map((i) => message.recipients[i]) };
    this.sent++;
    this.wire.trim();
    this.transaction = { message: onWire, rcptIndex: 0 };
    const { err } = await this.transmit(onWire);
    this.transaction = null;

    const results = this.readTransaction(onWire, err);
    wireIndex.forEach((i, k) => outcomes.set(i, results[k]));

    if (err && !this.closed) await this.reset();
    return message.recipients.map((_, i) => outcomes.get(i)!);
  }

  private transmit(message: OutboundMessage): Promise<{ err: MailerError | null }> {
    return new Promise((resolve) => {
      let done = false;
      // nodemailer completes the send on every path it knows; the end of the connection is
      // a second, independent signal so that this wait is bounded whatever happens.
      const onEnd = () => setImmediate(() => finish(this.lastError ?? (new Error('Connection closed unexpectedly') as MailerError)));
      const finish = (err: MailerError | null) => {
        if (done) return;
        done = true;
        this.endWaiters.delete(onEnd);
        resolve({ err });
      };
      this.endWaiters.add(onEnd);
      this.conn.send({ from: message.sender, to: message.recipients.map((r) => r.address) }, message.body, (err) => finish((err as MailerError | null) ?? null));
    });
  }

  /** RSET after a failed transaction so the next MAIL starts clean; closes when that fails. */
  private reset(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.conn.close();
        this.markClosed();
        resolve();
      }, this.policy.inactivityTimeoutMs);
      this.conn.reset((err) => {
        clearTimeout(timer);
        if (err) {
          this.conn.close();
          this.markClosed();
        }
        resolve();
      });
    });
  }

  /** Per-recipient outcomes from the replies recorded for the transaction. */
  private readTransaction(message: OutboundMessage, err: MailerError | null): RecipientOutcome[] {
    let mail: string | undefined;
    const rcpt: string[] = [];
    let data: string | undefined;
    let final: string | undefined;
    for (const x of this.wire.exchanges) {
      if (/^MAIL FROM:/i.test(x.command)) mail = x.reply;
      else if (/^RCPT TO:/i.test(x.command)) rcpt.push(x.reply);
      else if (/^DATA$/i.test(x.command)) data = x.reply;
      else if (x.command === END_OF_DATA) final = x.reply;
    }
    const fallback = this.lostText(err);
    const fromReply = (raw: string | undefined): { status: RecipientOutcome['status']; reply: string } | null => {
      if (raw === undefined) return null;
      const r = parseReply(raw);
      if (!r) return { status: 'transient', reply: fallback };
      return { status: classifyReplyCode(r.code), reply: r.line };
    };

    const mailResult = fromReply(mail);
    return message.recipients.map((recipient, i) => {
      const whole = (o: { status: RecipientOutcome['status']; reply: string }) => ({ address: recipient.address, ...o });
      if (mailResult && mailResult.status !== 'delivered') return whole(mailResult);
      const rcptResult = fromReply(rcpt[i]);
      if (rcptResult && rcptResult.status !== 'delivered') return whole(rcptResult);
      if (!rcptResult) return whole({ status: 'transient', reply: fallback });
      const finalResult = fromReply(final);
      if (finalResult) return whole(finalResult);
      const dataResult = fromReply(data);
      if (dataResult && dataResult.status !== 'delivered') return whole(dataResult);
      return whole({ status: 'transient', reply: fallback });
    });
  }

  /** The command hook: HELO for ForceHELO, and our own MAIL FROM / RCPT TO parameters. */
  private rewriteCommand(command: string): string {
    if (this.policy.forceHelo && /^EHLO /.test(command)) return 'HELO ' + command.slice(5);
    const tx = this.transaction;
    if (!tx) return command;
    if (/^MAIL FROM:</i.test(command)) {
      tx.rcptIndex = 0;
      const base = command.slice(0, command.indexOf('>') + 1);
      return base + mailParameters(tx.message, this.extensions);
    }
    if (/^RCPT TO:</i.test(command)) {
      const base = command.slice(0, command.indexOf('>') + 1);
      const recipient = tx.message.recipients[tx.rcptIndex++];
      return base + (recipient ? rcptParameters(recipient, this.extensions) : '');
    }
    return command;
  }
}

function mailParameters(message: OutboundMessage, caps: ReadonlyMap<string, string>): string {
  const params: string[] = [];
  if (caps.has('SIZE')) params.push(`SIZE=${message.body.length}`);
  if (message.bodyType !== '7BIT' && caps.has('8BITMIME')) params.push('BODY=8BITMIME');
  const needsUtf8 = message.smtputf8 || isNonAscii(message.sender) || message.recipients.some((r) => isNonAscii(r.address));
  if (needsUtf8 && caps.has('SMTPUTF8')) params.push('SMTPUTF8');
  if (caps.has('DSN')) {
    if (message.ret) params.push(`RET=${message.ret}`);
    if (message.envid) params.push(`ENVID=${encodeXtext(message.envid)}`);
  }
  if (message.requireTls && caps.has('REQUIRETLS')) params.push('REQUIRETLS');
  return params.length ? ' ' + params.join(' ') : '';
}

function rcptParameters(recipient: OutboundMessage['recipients'][number], caps: ReadonlyMap<string, string>): string {
  if (!caps.has('DSN')) return '';
  const params: string[] = [];
  if (recipient.notify && recipient.notify.length > 0) params.push(`NOTIFY=${recipient.notify.map((n) => n.toUpperCase()).join(',')}`);
  if (recipient.orcpt) {
    const semi = recipient.orcpt.indexOf(';');
    const orcpt = semi > 0 ? recipient.orcpt.slice(0, semi) + ';' + encodeXtext(recipient.orcpt.slice(semi + 1)) : 'rfc822;' + encodeXtext(recipient.orcpt);
    params.push(`ORCPT=${orcpt}`);
  }
  return params.length ? ' ' + params.join(' ') : '';
}

function strip(f: AttemptFailure): ConnectFailure {
  return { kind: f.kind, text: f.text, stage: f.stage, ...(f.tls && { tls: f.tls }) };
}

/** One connection attempt: TCP, greeting, EHLO/HELO, STARTTLS, AUTH. */
function attempt(target: OutboundTarget, policy: OutboundPolicy): Promise<OutboundConnection | AttemptFailure> {
  const endpoint: Endpoint = { address: target.address, port: target.port };
  const wire = new Wire(policy.protocolLog);
  const hook: { current: ((c: string) => string) | null } = { current: null };
  const sourceAddress = normalizeSource(policy.sourceAddress);
  const conn = new SMTPConnection({
    host: target.address,
    port: target.port,
    name: policy.ehloName,
    localAddress: sourceAddress,
    secure: false,
    // With HELO there are no extensions, so no STARTTLS either.
    ignoreTLS: policy.tls === 'never' || policy.forceHelo,
    requireTLS: false,
    opportunisticTLS: policy.tls === 'opportunistic',
    servername: net.isIP(target.host) ? undefined : target.host,
    tls: tlsOptions(target, policy),
    // nodemailer's connectionTimeout bounds the whole setup (TCP, greeting, STARTTLS); the TCP
    // connect alone is bounded by our own timer below.
    connectionTimeout: policy.connectTimeoutMs + 2 * policy.greetingTimeoutMs,
    greetingTimeout: policy.greetingTimeoutMs,
    socketTimeout: policy.inactivityTimeoutMs,
    socketCloseTimeout: Math.min(5000, policy.inactivityTimeoutMs),
    logger: wire.logger,
    transactionLog: true,
  });
  const inner = internals(conn);
  if (typeof inner._sendCommand !== 'function') throw new Error('nodemailer SMTPConnection has no _sendCommand: unsupported version');
  const original = inner._sendCommand;
  let forceHeloPending = policy.forceHelo;
  inner._sendCommand = function (this: ConnectionInternals, str: string, logStr?: string) {
    let out = str;
    if (hook.current) out = hook.current(str);
    else if (forceHeloPending && /^EHLO /.test(str)) {
      out = 'HELO ' + str.slice(5);
      forceHeloPending = false;
    }
    return original.call(this, out, logStr);
  };

  return new Promise((resolve) => {
    let settled = false;
    let stage: SetupStage = 'ehlo'; // once past the greeting; 'auth' while logging in
    const timers: NodeJS.Timeout[] = [];
    const settle = (v: OutboundConnection | AttemptFailure) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      conn.removeListener('error', onError);
      conn.removeListener('end', onEnd);
      if (!(v instanceof OutboundConnection)) {
        conn.on('error', () => undefined); // late errors of a dead attempt are of no interest
        quitQuietly(conn);
      }
      resolve(v);
    };
    const fail = (kind: 'transient' | 'permanent', text: string, at: SetupStage, handshakeFailed = false, session?: TlsSessionInfo) => settle({ kind, text, stage: at, handshakeFailed, ...(session && { tls: session }) });

    const failFromError = (err: MailerError) => {
      const reached = inner.stage !== 'init';
      const pastGreeting = wire.exchanges.some((x) => x.command !== GREETING);
      let at: SetupStage = !reached ? 'connect' : !pastGreeting ? 'greeting' : stage;
      if (inner.upgrading || err.code === 'ETLS' || err.command === 'STARTTLS') at = 'tls';
      const certCode = [err.originalCode, err.code].find((c) => isCertificateErrorCode(c));
      if (certCode) {
        return fail('transient', certificateText(target.host, endpoint, policy.tlsAuthLevel ?? 'EncryptionOnly', certCode, err.message), 'tls');
      }
      if (err.response) {
        const r = parseReply(err.response);
        if (r) return fail('transient', setupReplyText(r.line, endpoint), at);
      }
      if (err.code === 'ETIMEDOUT') {
        // Connected but no greeting yet: whichever timer fired first (greeting or socket idle), the greeting never came.
        const noGreeting = reached && at === 'greeting' && err.timeoutType === 'SOCKET_TIMEOUT';
        const t = noGreeting ? timeoutDetail({ ...err, timeoutType: 'GREETING_TIMEOUT' }, { ...policy, greetingTimeoutMs: Math.min(policy.greetingTimeoutMs, policy.inactivityTimeoutMs) }) : timeoutDetail(err, policy);
        return fail('transient', communicationText(t.detail, endpoint, reached), t.stage ?? at, t.stage === 'tls');
      }
      if (at === 'tls') {
        return fail('transient', communicationText(`TLS negotiation failed: ${err.message.replace(/^Error initiating TLS - /, '')}`, endpoint, true), 'tls', true);
      }
      if (/closed unexpectedly/i.test(err.message)) {
        const detail = at === 'greeting' ? 'The remote server closed the connection before sending an SMTP greeting' : 'The remote server closed the connection during session setup';
        return fail('transient', communicationText(detail, endpoint, reached), at);
      }
      const code = err.originalCode ?? err.code;
      return fail('transient', communicationText(socketErrorDetail(code, err.message, sourceAddress), endpoint, reached), at);
    };
    const onError = (err: MailerError) => failFromError(err);
    const onEnd = () => failFromError(new Error('Connection closed unexpectedly') as MailerError);
    conn.on('error', onError);
    conn.on('end', onEnd);

    // TCP connect bound (nodemailer's own bound covers the whole setup).
    timers.push(
      setTimeout(() => {
        if (inner.stage === 'init') {
          const err = new Error('Connection timeout') as MailerError;
          err.code = 'ETIMEDOUT';
          err.timeoutType = 'CONNECT_TIMEOUT';
          failFromError(err);
        }
      }, policy.connectTimeoutMs),
    );
    // Overall bound on open(): every phase has its own timer, this only guards against a path
    // none of them covers.
    timers.push(
      setTimeout(
        () => {
          const err = new Error('Session setup timed out') as MailerError;
          err.code = 'ETIMEDOUT';
          failFromError(err);
        },
        policy.connectTimeoutMs + 2 * policy.greetingTimeoutMs + 3 * policy.inactivityTimeoutMs + 1000,
      ),
    );

    conn.connect((err) => {
      if (settled) return;
      if (err) return failFromError(err as MailerError);
      // Commands and the end of DATA go out at once: without this, Nagle's algorithm holds the
      // final ".\r\n" until the peer's delayed ACK (up to 40 ms per message).
      const raw = inner._socket;
      if (raw && typeof raw.setNoDelay === 'function') raw.setNoDelay(true);
      const secure = inner.secure;
      const helo = [...wire.exchanges].reverse().find((x) => /^(EHLO|HELO) /i.test(x.command) && /^2/.test(x.reply));
      const extensions = helo && /^EHLO /i.test(helo.command) ? parseCapabilities(helo.reply) : new Map<string, string>();

      if (policy.requireTlsMessages && !secure) return fail('permanent', requireTlsNoTlsText(target.host, endpoint), 'tls');
      if (policy.dane && !secure) return fail('transient', daneRefusalText(target.host, endpointText(endpoint), 'did not offer STARTTLS'), 'tls');
      if (requiresTls(policy) && !secure) {
        // Not offered (or refused and the policy said opportunistic): no AUTH, no message.
        return fail('transient', STARTTLS_REQUIRED_TEXT, 'tls');
      }
      let tlsInfo: OutboundConnection['tls'] = null;
      const socket = inner._socket;
      if (secure && socket instanceof tls.TLSSocket) {
        const peer = socket.getPeerCertificate();
        const cn = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? '';
        tlsInfo = {
          protocol: socket.getProtocol() ?? 'unknown',
          cipher: socket.getCipher()?.name ?? 'unknown',
          authorized: socket.authorized,
          ...(socket.authorizationError && { authorizationError: String((socket.authorizationError as Error & { code?: string }).code ?? socket.authorizationError) }),
          ...(peer &&
            Object.keys(peer).length > 0 && {
              certificate: { names: certificateNames(peer), addresses: certificateAddresses(peer), subject: cn(peer.subject?.CN), issuer: cn(peer.issuer?.CN), validTo: peer.valid_to },
              identity: peerIdentity(target.host, peer),
            }),
        };
      }
      if (policy.dane && socket instanceof tls.TLSSocket) {
        const verdict = daneVerify(presentedChain(socket), policy.dane.tlsa, policy.dane.names);
        if (!verdict.ok) return fail('transient', daneRefusalText(target.host, endpointText(endpoint), verdict.reason), 'tls', false, tlsInfo ?? undefined);
        if (tlsInfo) tlsInfo.dane = verdict.how;
      }
      if (policy.requireTlsMessages) {
        const refused = requireTlsRefusal(target.host, endpoint, {
          tls: tlsInfo && { ...tlsInfo, names: [...(tlsInfo.certificate?.names ?? []), ...(tlsInfo.certificate?.addresses ?? [])] },
          extensions,
        });
        if (refused) return fail('permanent', refused, 'tls', false, tlsInfo ?? undefined);
      }
      const established = () => {
        wire.trim();
        settle(OutboundConnection.create({ conn, wire, target, policy, extensions, tls: tlsInfo, hook }));
      };
      if (!policy.auth) return established();

      if (tlsInfo && credentialNeedsProof(policy)) {
        const refusal = credentialRefusal({
          authorized: tlsInfo.authorized,
          ...(tlsInfo.authorizationError && { authorizationError: tlsInfo.authorizationError }),
          ...(tlsInfo.identity && { identity: tlsInfo.identity }),
          names: [...(tlsInfo.certificate?.names ?? []), ...(tlsInfo.certificate?.addresses ?? [])],
        });
        // Not proven: no AUTH; settle() ends the session with QUIT.
        if (refusal) return fail('transient', credentialWithheldText(target.host, endpoint, refusal, policy.connector), 'tls', false, tlsInfo);
      }

      stage = 'auth';
      const offered = (extensions.get('AUTH') ?? '').toUpperCase().split(/\s+/);
      let method: 'LOGIN' | 'PLAIN';
      if (offered.includes('LOGIN')) method = 'LOGIN';
      else if (offered.includes('PLAIN')) method = 'PLAIN';
      else if (policy.forceHelo)
        method = 'LOGIN'; // HELO tells nothing; try what Exchange uses
      else {
        return fail('transient', `451 4.7.0 ${target.host} [${endpointText(endpoint)}] did not offer AUTH LOGIN or PLAIN${secure ? '' : ' before TLS'}; the Send connector's AuthenticationCredential was not sent`, 'auth');
      }
      conn.login({ user: policy.auth.username, pass: policy.auth.password, method }, (authErr) => {
        if (settled) return;
        if (authErr) return failFromError(authErr as MailerError);
        established();
      });
    });
  });
}

/** The certificates the peer presented, leaf first, each followed by its issuer (DER). */
function presentedChain(socket: tls.TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  for (let i = 0; cert && cert.raw && i < 16; i++) {
    const key = cert.fingerprint256;
    if (seen.has(key)) break;
    seen.add(key);
    out.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return out;
}

/** Ends a failed attempt: QUIT when the session is still up, then close, bounded. */
function quitQuietly(conn: SMTPConnection): void {
  const inner = internals(conn);
  if (inner.destroyed || inner.stage !== 'connected') {
    conn.close();
    return;
  }
  try {
    conn.quit();
  } catch {
    // ignore: close() below
  }
  setTimeout(() => conn.close(), 2000);
}
