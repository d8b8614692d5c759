// SMTP replies as values, and their wire form.
//
// A reply is data: a basic code (RFC 5321 §4.2), an optional enhanced status
// code (RFC 3463, advertised with ENHANCEDSTATUSCODES, RFC 2034) and one or
// more text lines. Handlers return replies; only formatReply turns them into
// bytes. `Replies` is the catalogue of the exact texts Exchange sends
// (spec: exchange-operations.md §5.3); code elsewhere takes its texts from
// here rather than writing its own.
//
// Invariants of formatReply (spec §5.4, RFC 5321 §4.2.1):
// - every line carries the 3-digit code; all but the last use "code-", the
//   last "code " (space);
// - with enhanced status codes enabled, every line repeats the enhanced code;
//   with them disabled it is left out everywhere;
// - output is US-ASCII only: bytes outside 0x20-0x7E in the text (CR, LF, NUL,
//   8-bit) become "?", so a reply can never inject a line of its own;
// - at most 50 lines, each at most 2000 characters including the CRLF.

export interface SmtpReply {
  readonly code: number;
  /** Enhanced status code "x.y.z" (RFC 3463), written only when enabled. */
  readonly enhanced?: string;
  /** Text of each line, without code; at least one line (may be ""). */
  readonly lines: readonly string[];
}

export interface FormatOptions {
  /** Connector EnhancedStatusCodesEnabled. */
  readonly enhancedStatusCodes: boolean;
}

/** Lines per reply and octets per line (spec §5.4). */
export const MAX_REPLY_LINES = 50;
export const MAX_REPLY_LINE_OCTETS = 2000;

const NON_PRINTABLE = /[^\x20-\x7e]/g;

export function formatReply(reply: SmtpReply, options: FormatOptions): string {
  const code = Math.trunc(reply.code);
  if (!(code >= 200 && code <= 599)) throw new RangeError(`reply code ${reply.code} is not in 200-599`);
  const lines = reply.lines.length === 0 ? [''] : reply.lines.slice(0, MAX_REPLY_LINES);
  const enhanced = options.enhancedStatusCodes && reply.enhanced ? `${reply.enhanced} ` : '';
  let out = '';
  lines.forEach((text, i) => {
    const separator = i === lines.length - 1 ? ' ' : '-';
    let line = `${code}${separator}${enhanced}${text.replace(NON_PRINTABLE, '?')}`;
    if (line.length > MAX_REPLY_LINE_OCTETS - 2) line = line.slice(0, MAX_REPLY_LINE_OCTETS - 2);
    out += `${line}\r\n`;
  });
  return out;
}

/** One reply line without an enhanced code. */
export function reply(code: number, ...lines: string[]): SmtpReply {
  return Object.freeze({ code, lines: Object.freeze(lines.length ? lines : ['']) });
}

/** One reply with an enhanced code on every line. */
export function enhancedReply(code: number, enhanced: string, ...lines: string[]): SmtpReply {
  return Object.freeze({ code, enhanced, lines: Object.freeze(lines.length ? lines : ['']) });
}

/** True for 4xx and 5xx replies (the ones a session counts as errors). */
export function isFailure(r: SmtpReply): boolean {
  return r.code >= 400;
}

/** "[ip]" as Exchange writes the client address; IPv4-mapped IPv6 shown as IPv4. */
export function bracketedIp(clientIp: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(clientIp);
  return `[${mapped ? mapped[1] : clientIp}]`;
}

const e = enhancedReply;

/** Exchange's reply texts (spec exchange-operations.md §5.3), exact. */
export const Replies = Object.freeze({
  // Session
  serviceClosing: e(221, '2.0.0', 'Service closing transmission channel'),
  ok: e(250, '2.0.0', 'OK'),
  resetting: e(250, '2.0.0', 'Resetting'),
  cannotVrfy: e(252, '2.1.5', 'Cannot VRFY user'),
  help: reply(214, 'This server supports the following commands:', 'HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH BDAT'),
  /** First line of the EHLO reply, and the whole HELO reply text. */
  ehloFirstLine: (fqdn: string, clientIp: string): string => `${fqdn} Hello ${bracketedIp(clientIp)}`,
  helo: (fqdn: string, clientIp: string): SmtpReply => reply(250, `${fqdn} Hello ${bracketedIp(clientIp)}`),

  // Transaction
  senderOk: e(250, '2.1.0', 'Sender OK'),
  recipientOk: e(250, '2.1.5', 'Recipient OK'),
  startMailInput: reply(354, 'Start mail input; end with <CRLF>.<CRLF>'),
  queued: (messageId: string, internalId: number | string, hostname: string): SmtpReply => e(250, '2.6.0', `${messageId} [InternalId=${internalId}, Hostname=${hostname}] Queued mail for delivery`),
  queuedForRedundancy: (messageId: string, internalId: number | string, hostname: string): SmtpReply => e(250, '2.6.0', `${messageId} [InternalId=${internalId}, Hostname=${hostname}] Queued mail for redundancy`),
  chunkReceived: (octets: number): SmtpReply => e(250, '2.6.0', `CHUNK received OK, ${octets} octets`),

  // TLS
  tlsReady: e(220, '2.0.0', 'SMTP server ready'),
  tlsAlreadyActive: e(503, '5.5.2', 'Only one STARTTLS command can be issued per session'),
  tlsInitFailed: e(554, '5.7.3', 'Unable to initialize security subsystem'),
  startTlsRequired: e(451, '5.7.3', 'STARTTLS is required to send mail'),
  mustIssueStartTls: e(530, '5.7.0', 'Must issue a STARTTLS command first'),
  /** MAIL FROM ... REQUIRETLS outside TLS (RFC 8689 §3; 5.7.10 Encryption needed, RFC 5248). */
  requireTlsNeedsTls: e(530, '5.7.10', 'REQUIRETLS needs a TLS session; issue STARTTLS first'),

  // Permissions and relay
  notAuthenticated: e(530, '5.7.1', 'Client was not authenticated'),
  noSubmitPermission: e(550, '5.7.1', 'Client does not have permissions to submit to this server'),
  noSendAsPermission: e(550, '5.7.1', 'Client does not have permissions to send as this sender'),
  anonymousNoSendAsPermission: e(550, '5.7.1', 'Anonymous client does not have permissions to send as this sender'),
  unableToRelay: e(550, '5.7.1', 'Unable to relay'),
  userUnknown: e(550, '5.1.1', 'User unknown'),

  // AUTH (RFC 4954)
  authSucceeded: e(235, '2.7.0', 'Authentication successful'),
  authFailed: e(535, '5.7.3', 'Authentication unsuccessful'),
  authUnrecognizedType: e(504, '5.7.4', 'Unrecognized authentication type'),
  authCancelled: e(501, '5.5.4', 'Authentication cancelled'),
  authAlreadySpecified: e(503, '5.5.2', 'Auth command already specified'),
  authTemporaryFailure: e(454, '4.7.0', 'Temporary authentication failure'),
  authCannotDecode: e(501, '5.5.2', 'Cannot Base64-decode client response'),
  /** "334 VXNlcm5hbWU6" (Base64 "Username:"). */
  authUsernamePrompt: reply(334, 'VXNlcm5hbWU6'),
  /** "334 UGFzc3dvcmQ6" (Base64 "Password:"). */
  authPasswordPrompt: reply(334, 'UGFzc3dvcmQ6'),
  /** "334 " with an empty challenge (SASL PLAIN without initial response). */
  authEmptyChallenge: reply(334, ''),

  // Limits
  tooManyErrors: e(421, '4.7.0', 'Too many errors on this connection, closing transmission channel'),
  messageTooBig: e(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
  headerTooBig: e(552, '5.3.4', 'Header size exceeds fixed maximum size'),
  tooManyRecipients: e(452, '4.5.3', 'Too many recipients'),
  timeout: e(451, '4.7.0', 'Timeout waiting for client input'),
  connectionLimit: e(421, '4.3.2', 'The maximum number of concurrent server connections has exceeded a limit, closing transmission channel'),
  connectionLimitPerSource: e(421, '4.3.2', 'The maximum number of concurrent connections has exceeded a limit, closing transmission channel'),
  messageRateLimit: e(421, '4.4.2', 'Message submission rate for this client has exceeded the configured limit'),
  insufficientResources: e(452, '4.3.1', 'Insufficient system resources'),
  serviceNotActive: e(421, '4.3.2', 'Service not active'),
  serviceNotAvailable: e(421, '4.3.2', 'Service not available'),
  shadowFailed: e(451, '4.4.0', 'Message failed to be made redundant'),
  exchangeAuthFailed: e(451, '5.7.3', 'Cannot achieve Exchange Server authentication'),

  // Content
  bareLinefeed: e(554, '5.6.0', 'Invalid message content, contains bare linefeeds'),
  hopCountExceeded: e(554, '5.4.6', 'Hop count exceeded - possible mail loop'),

  // Syntax and sequence
  // XXX: one Microsoft page shows 550 5.1.7 for a bad MAIL address; the reply table says 501.
  invalidSenderAddress: e(501, '5.1.7', 'Invalid address'),
  invalidRecipientAddress: e(501, '5.1.3', 'Invalid address'),
  invalidDomainName: e(501, '5.5.4', 'Invalid domain name'),
  ehloRequiresDomain: e(501, '5.0.0', 'EHLO requires domain address'),
  heloRequiresDomain: e(501, '5.0.0', 'HELO requires domain address'),
  sendHelloFirst: e(503, '5.5.2', 'Send hello first'),
  needMail: e(503, '5.5.2', 'Need mail command'),
  needRcpt: e(503, '5.5.2', 'Need rcpt command'),
  senderAlreadySpecified: e(503, '5.5.2', 'Sender already specified'),
  badSequence: e(503, '5.5.1', 'Bad sequence of commands'),
  unrecognizedCommand: e(500, '5.3.3', 'Unrecognized command'),
  notImplemented: e(502, '5.3.3', 'Command not implemented'),
  unrecognizedParameter: e(501, '5.5.4', 'Unrecognized parameter'),
  invalidArguments: e(501, '5.5.4', 'Invalid arguments'),
  commandTooLong: e(500, '5.5.2', 'Command too long'),
  unsupportedBodyType: e(501, '5.5.4', 'Unsupported BODY type'),
});
