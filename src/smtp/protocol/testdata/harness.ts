// Test-only wiring of the protocol engine into a session, for golden dialogs,
// the hostile-input catalogue and the fuzz test. Not product code: the real
// runtime lives in src/smtp/inbound. The "policy" here accepts every sender
// and recipient; AUTH succeeds with the password "secret". Output is the
// formatted replies; `closed` says whether the session hung up and why.

import { offeredAuthMechanisms, ehloReply, heloReply, type EhloOptions } from '../ehlo.js';
import { bannerReply } from '../banner.js';
import { continueAuth, MAX_AUTH_LINE_OCTETS, startAuth, type AuthState, type AuthStep } from '../auth.js';
import { isCommand, parseCommand, type CommandOptions, type SmtpCommand } from '../command.js';
import { HeaderScanner } from '../header-scan.js';
import { SmtpInputReader, type InputEvent, type ReaderOptions } from '../reader.js';
import { formatReply, Replies, type SmtpReply } from '../reply.js';
import { countsAsProtocolError, SessionState, type SessionLimits } from '../session-state.js';

export interface HarnessOptions {
  readonly ehlo?: Partial<EhloOptions>;
  readonly limits?: SessionLimits;
  readonly command?: CommandOptions;
  readonly reader?: ReaderOptions;
  readonly bareLinefeedRejection?: boolean;
  /** Connector MaxHeaderSize (default 262144) and MaxHopCount (default 30). */
  readonly maxHeaderSize?: number;
  readonly maxHopCount?: number;
}

export const FQDN = 'mx.contoso.com';
export const GREETING_DATE = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

export class TestSession {
  readonly reader: SmtpInputReader;
  readonly state: SessionState;
  readonly ehlo: EhloOptions;
  closed: string | undefined;
  private out: string[] = [];
  private auth: AuthState | undefined;
  private bdat: { last: boolean; error?: SmtpReply } | undefined;
  private messages = 0;
  private header: HeaderScanner | undefined;

  constructor(private readonly options: HarnessOptions = {}) {
    this.ehlo = {
      fqdn: FQDN,
      clientIp: '192.0.2.10',
      sizeMode: 'Enabled',
      maxMessageSize: options.limits?.maxMessageSize ?? 37748736,
      pipelining: true,
      dsn: true,
      enhancedStatusCodes: true,
      startTls: true,
      tlsActive: false,
      authMechanisms: ['LOGIN', 'PLAIN'],
      requireTlsForAuth: false,
      eightBitMime: true,
      binaryMime: true,
      chunking: true,
      smtpUtf8: true,
      ...options.ehlo,
    };
    this.reader = new SmtpInputReader(options.reader);
    this.state = new SessionState({
      maxMessageSize: this.ehlo.maxMessageSize,
      chunking: this.ehlo.chunking,
      startTls: this.ehlo.startTls,
      ...options.limits,
    });
  }

  greet(): string {
    this.send(bannerReply({ fqdn: FQDN, now: GREETING_DATE, utcOffsetMinutes: 0 }));
    return this.take();
  }

  /** Pushes bytes, runs every event they complete, returns the replies written. */
  feed(input: Buffer | string): string {
    if (this.closed) return this.take();
    this.reader.push(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
    for (let e = this.reader.next(); e && !this.closed; e = this.reader.next()) this.event(e);
    return this.take();
  }

  private take(): string {
    const s = this.out.join('');
    this.out = [];
    return s;
  }

  private send(reply: SmtpReply): void {
    this.out.push(formatReply(reply, { enhancedStatusCodes: this.ehlo.enhancedStatusCodes }));
  }

  private close(reason: string): void {
    this.closed = reason;
  }

  private error(reply: SmtpReply): void {
    this.send(reply);
    if (countsAsProtocolError(reply) && this.state.countProtocolError()) {
      this.send(Replies.tooManyErrors);
      this.close('too many errors');
    }
  }

  private event(e: InputEvent): void {
    switch (e.type) {
      case 'line':
        if (this.auth) return this.authStep(continueAuth(this.auth, e.text));
        return this.line(e.text);
      case 'line-too-long':
        if (this.auth) {
          this.auth = undefined;
          this.reader.expectLine();
        }
        return this.error(Replies.commandTooLong);
      case 'data':
      case 'bdat':
        this.header?.feed(e.chunk); // content would also be spooled here
        return;
      case 'data-end': {
        const refuse = e.smugglingSuspect || (e.bareLf && this.options.bareLinefeedRejection);
        if (refuse) this.send(Replies.bareLinefeed);
        else if (this.state.exceedsMessageSize(e.octets)) this.send(Replies.messageTooBig);
        else if (this.contentAccepted()) this.queued();
        this.state.onTransactionEnd();
        return;
      }
      case 'bdat-end': {
        const chunk = this.bdat!;
        this.bdat = undefined;
        if (chunk.error) return this.error(chunk.error);
        if (!chunk.last) return this.send(Replies.chunkReceived(e.octets));
        if (this.contentAccepted()) this.queued();
        this.state.onTransactionEnd();
        return;
      }
    }
  }

  /** Header checks at the end of the content; sends the refusal when there is one. */
  private contentAccepted(): boolean {
    const h = this.header;
    this.header = undefined;
    if (h?.exceeded) this.send(Replies.headerTooBig);
    else if (h?.hopCountExceeded(this.options.maxHopCount ?? 30)) this.send(Replies.hopCountExceeded);
    else return true;
    return false;
  }

  private queued(): void {
    this.messages++;
    this.send(Replies.queued(`<m${this.messages}@${FQDN}>`, this.messages, FQDN));
  }

  private line(text: string): void {
    const parsed = parseCommand(text, {
      requireEhloDomain: false,
      size: this.ehlo.sizeMode !== 'Disabled',
      dsn: this.ehlo.dsn,
      eightBitMime: this.ehlo.eightBitMime,
      binaryMime: this.ehlo.binaryMime && this.ehlo.chunking,
      smtpUtf8: this.ehlo.smtpUtf8,
      ...this.options.command,
    });
    if ('http' in parsed) return this.close('http');
    if (!isCommand(parsed)) return this.error(parsed.error);
    const refused = this.state.check(parsed);
    if (refused) {
      if (parsed.verb === 'BDAT' && refused !== Replies.unrecognizedCommand) {
        if (refused === Replies.messageTooBig) {
          this.send(refused);
          return this.close('message too big');
        }
        // RFC 3030 §2: the chunk follows anyway; read it, then answer.
        this.bdat = { last: parsed.last, error: refused };
        this.reader.expectBdat(parsed.size);
        return;
      }
      if (parsed.verb === 'MAIL' && refused === Replies.messageTooBig) {
        this.send(refused);
        return this.close('message too big');
      }
      return this.error(refused);
    }
    this.run(parsed);
  }

  private run(c: SmtpCommand): void {
    switch (c.verb) {
      case 'EHLO':
        this.state.onEhlo();
        return this.send(ehloReply({ ...this.ehlo, tlsActive: this.state.tlsActive }));
      case 'HELO':
        this.state.onHelo();
        return this.send(heloReply(FQDN, this.ehlo.clientIp));
      case 'MAIL':
        this.state.onMailAccepted(c.params);
        this.header = new HeaderScanner({ maxHeaderOctets: this.options.maxHeaderSize ?? 262144 });
        return this.send(Replies.senderOk);
      case 'RCPT':
        this.state.onRcptAccepted();
        return this.send(Replies.recipientOk);
      case 'DATA':
        this.state.onDataStarted();
        this.send(Replies.startMailInput);
        return this.reader.expectData();
      case 'BDAT':
        this.state.onBdatChunk(c.size);
        this.bdat = { last: c.last };
        return this.reader.expectBdat(c.size);
      case 'RSET':
        this.state.onReset();
        return this.send(Replies.resetting);
      case 'NOOP':
        return this.send(Replies.ok);
      case 'QUIT':
        this.send(Replies.serviceClosing);
        return this.close('quit');
      case 'VRFY':
        return this.send(Replies.cannotVrfy);
      case 'HELP':
        return this.send(Replies.help);
      case 'STARTTLS':
        this.send(Replies.tlsReady);
        this.reader.discardBuffered(); // RFC 3207 §4.2 / pipelined injection
        return this.state.onTlsStarted();
      case 'AUTH':
        return this.authStep(
          startAuth(c.mechanism, c.initialResponse, offeredAuthMechanisms({ ...this.ehlo, tlsActive: this.state.tlsActive })),
        );
    }
  }

  private authStep(step: AuthStep): void {
    if ('reply' in step) {
      this.auth = step.state;
      this.send(step.reply);
      return this.reader.expectLine(MAX_AUTH_LINE_OCTETS);
    }
    this.auth = undefined;
    this.reader.expectLine();
    if ('error' in step) return this.error(step.error);
    if (step.credentials.password === 'secret') {
      this.state.onAuthenticated();
      return this.send(Replies.authSucceeded);
    }
    this.error(Replies.authFailed);
  }
}
