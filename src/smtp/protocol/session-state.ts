// The SMTP session and transaction state machine, without I/O or policy.
//
// check(command) says whether a parsed command may be run now: null when it
// may, otherwise the reply Exchange sends for the bad sequence or limit.
// The runtime calls the on*() transitions once it has actually accepted
// something (its policy may still refuse a command that check() allowed).
//
// Invariants:
// - MAIL, RCPT, DATA, BDAT, AUTH and STARTTLS need a greeting first
//   (503 5.5.2 Send hello first); RSET, NOOP, QUIT, HELP, VRFY never do;
// - EHLO/HELO and RSET end any transaction (RFC 5321 §4.1.1.1, §4.1.1.5);
// - after STARTTLS the session forgets its greeting and everything learnt
//   before it (RFC 3207 §4.2): the client must EHLO again;
// - STARTTLS once per session; AUTH once, after EHLO, never inside a mail
//   transaction (RFC 4954 §4);
// - a transaction's content goes either by DATA or by BDAT chunks, not both;
//   BODY=BINARYMIME only with BDAT (RFC 3030 §3);
// - RCPT past MaxRecipientsPerMessage: 452 4.5.3 Too many recipients, for
//   each one over (RFC 5321 §4.5.3.1.8 lets a server limit recipients);
// - a declared SIZE or BDAT total above MaxMessageSize: 552 5.3.4 (RFC 1870 §6.1);
// - countProtocolError() reports when MaxProtocolErrors is reached.

import type { SmtpCommand } from './command.js';
import type { MailParams } from './esmtp-params.js';
import { Replies, type SmtpReply } from './reply.js';

export interface SessionLimits {
  /** Connector MaxRecipientsPerMessage (default 200). */
  readonly maxRecipientsPerMessage?: number;
  /** Connector MaxProtocolErrors; "unlimited" never closes (default 5). */
  readonly maxProtocolErrors?: number | 'unlimited';
  /** Connector MaxMessageSize in bytes, checked against SIZE= and BDAT; omit to skip. */
  readonly maxMessageSize?: number;
  /** Connector ChunkingEnabled: BDAT is an unknown command without it (default true). */
  readonly chunking?: boolean;
  /** STARTTLS is offered on this connector (default true). */
  readonly startTls?: boolean;
}

/**
 * Whether a reply counts towards MaxProtocolErrors: syntax and sequence
 * errors (500-503). Limits (452 4.5.3), policy refusals (5.7.x) and AUTH
 * failures (counted as logon failures) do not.
 */
export function countsAsProtocolError(reply: SmtpReply): boolean {
  return reply.code >= 500 && reply.code <= 503;
}

export type Greeting = 'none' | 'helo' | 'ehlo';
export type BodyPhase = 'none' | 'data' | 'bdat';

export class SessionState {
  greeting: Greeting = 'none';
  tlsActive = false;
  authenticated = false;
  /** A MAIL command has been accepted in this transaction. */
  mailAccepted = false;
  mailParams: MailParams | undefined;
  recipients = 0;
  /** How the content of the current transaction is being sent. */
  body: BodyPhase = 'none';
  /** Octets announced by BDAT commands accepted in this transaction. */
  bdatOctets = 0;
  protocolErrors = 0;

  private readonly maxRecipients: number;
  private readonly maxErrors: number;
  private readonly maxSize: number | undefined;
  private readonly chunking: boolean;
  private readonly startTls: boolean;

  constructor(limits: SessionLimits = {}) {
    this.maxRecipients = limits.maxRecipientsPerMessage ?? 200;
    const errors = limits.maxProtocolErrors ?? 5;
    this.maxErrors = errors === 'unlimited' ? Infinity : errors;
    this.maxSize = limits.maxMessageSize;
    this.chunking = limits.chunking ?? true;
    this.startTls = limits.startTls ?? true;
  }

  /** null when the command may run now; otherwise the reply to send instead. */
  check(command: SmtpCommand): SmtpReply | null {
    switch (command.verb) {
      case 'EHLO':
      case 'HELO':
      case 'RSET':
      case 'NOOP':
      case 'QUIT':
      case 'HELP':
      case 'VRFY':
        return null;
      case 'STARTTLS':
        if (!this.startTls) return Replies.unrecognizedCommand;
        if (this.tlsActive) return Replies.tlsAlreadyActive;
        if (this.greeting === 'none') return Replies.sendHelloFirst;
        if (this.mailAccepted) return Replies.badSequence;
        return null;
      case 'AUTH':
        if (this.greeting === 'none') return Replies.sendHelloFirst;
        if (this.authenticated) return Replies.authAlreadySpecified;
        if (this.greeting !== 'ehlo' || this.mailAccepted) return Replies.badSequence;
        return null;
      case 'MAIL':
        if (this.greeting === 'none') return Replies.sendHelloFirst;
        if (this.mailAccepted) return Replies.senderAlreadySpecified;
        if (this.maxSize !== undefined && (command.params.size ?? 0) > this.maxSize) return Replies.messageTooBig;
        return null;
      case 'RCPT':
        if (this.greeting === 'none') return Replies.sendHelloFirst;
        if (!this.mailAccepted) return Replies.needMail;
        if (this.body !== 'none') return Replies.badSequence;
        if (command.forwardPath.utf8 && !this.mailParams?.smtpUtf8) return Replies.invalidRecipientAddress;
        if (this.recipients >= this.maxRecipients) return Replies.tooManyRecipients;
        return null;
      case 'DATA':
        if (this.greeting === 'none') return Replies.sendHelloFirst;
        if (!this.mailAccepted) return Replies.needMail;
        if (this.recipients === 0) return Replies.needRcpt;
        if (this.body !== 'none' || this.mailParams?.body === 'BINARYMIME') return Replies.badSequence;
        return null;
      case 'BDAT':
        if (!this.chunking) return Replies.unrecognizedCommand;
        if (this.greeting === 'none') return Replies.sendHelloFirst;
        if (!this.mailAccepted) return Replies.needMail;
        if (this.recipients === 0) return Replies.needRcpt;
        if (this.body === 'data') return Replies.badSequence;
        if (this.maxSize !== undefined && this.bdatOctets + command.size > this.maxSize) return Replies.messageTooBig;
        return null;
    }
  }

  /** EHLO or HELO accepted: greeted, any transaction ended. */
  onHello(kind: 'ehlo' | 'helo'): void {
    this.greeting = kind;
    this.onTransactionEnd();
  }

  onEhlo(): void {
    this.onHello('ehlo');
  }

  onHelo(): void {
    this.onHello('helo');
  }

  onMailAccepted(params: MailParams): void {
    this.mailAccepted = true;
    this.mailParams = params;
  }

  onRcptAccepted(): void {
    this.recipients++;
  }

  /** DATA answered with 354. */
  onDataStarted(): void {
    this.body = 'data';
  }

  /** A BDAT chunk was accepted (before its octets are read). */
  onBdatChunk(size: number): void {
    this.body = 'bdat';
    this.bdatOctets += size;
  }

  /** The message was accepted or refused after its content: a new transaction may start. */
  onTransactionEnd(): void {
    this.mailAccepted = false;
    this.mailParams = undefined;
    this.recipients = 0;
    this.body = 'none';
    this.bdatOctets = 0;
  }

  /** RSET. */
  onReset(): void {
    this.onTransactionEnd();
  }

  /** TLS negotiated: back to the state of a new session, except the TLS flag and error count. */
  onTlsStarted(): void {
    this.tlsActive = true;
    this.greeting = 'none';
    this.authenticated = false;
    this.onTransactionEnd();
  }

  onAuthenticated(): void {
    this.authenticated = true;
  }

  /** Counts one protocol error; true when MaxProtocolErrors is reached (send 421 4.7.0 and close). */
  countProtocolError(): boolean {
    this.protocolErrors++;
    return this.protocolErrors >= this.maxErrors;
  }

  /** Whether `octets` of content are over MaxMessageSize. */
  exceedsMessageSize(octets: number): boolean {
    return this.maxSize !== undefined && octets > this.maxSize;
  }
}
