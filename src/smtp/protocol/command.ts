// Command line -> typed command (RFC 5321 §4.1).
//
// parseCommand takes one command line (without its CRLF) and returns a typed
// command, a reply describing what is wrong with it, or { http: true } for an
// HTTP request line, which the runtime answers by hanging up (cross-protocol
// attacks). Syntax only: whether a command is allowed now, and what the
// server thinks of an address, is decided elsewhere.
//
// Invariants:
// - verbs are case-insensitive; trailing spaces/tabs on the line are ignored;
// - arguments are separated by SP; "MAIL FROM: <a@b>" (one space after the
//   colon) is tolerated, as common clients send it;
// - a MAIL/RCPT address that is not valid, too long (RFC 5321 §4.5.3.1), or
//   has non-ASCII characters without the SMTPUTF8 parameter gets Exchange's
//   invalid-address reply: 501 5.1.7 (MAIL) / 501 5.1.3 (RCPT);
// - BDAT sizes are 1*DIGIT (RFC 3030 §2) of at most 15 digits (below 2^53); anything else is
//   501 5.5.4 Invalid arguments;
// - unknown verbs: 500 5.3.3 Unrecognized command; verbs of RFC 5321 we do
//   not implement (EXPN, TURN, ...): 502 5.3.3 Command not implemented.

import { isValidHeloDomain, parsePath, type Mailbox } from './address.js';
import { parseMailParams, parseRcptParams, type MailParams, type ParamOptions, type RcptParams } from './esmtp-params.js';
import { Replies, type SmtpReply } from './reply.js';

export type Verb = 'EHLO' | 'HELO' | 'MAIL' | 'RCPT' | 'DATA' | 'BDAT' | 'RSET' | 'NOOP' | 'QUIT' | 'VRFY' | 'HELP' | 'STARTTLS' | 'AUTH';

export type SmtpCommand =
  | { readonly verb: 'EHLO'; readonly domain: string }
  | { readonly verb: 'HELO'; readonly domain: string }
  | { readonly verb: 'MAIL'; readonly reversePath: Mailbox | null; readonly params: MailParams }
  | { readonly verb: 'RCPT'; readonly forwardPath: Mailbox; readonly params: RcptParams }
  | { readonly verb: 'DATA' }
  | { readonly verb: 'BDAT'; readonly size: number; readonly last: boolean }
  | { readonly verb: 'RSET' }
  | { readonly verb: 'NOOP' }
  | { readonly verb: 'QUIT' }
  | { readonly verb: 'VRFY'; readonly argument: string }
  | { readonly verb: 'HELP'; readonly topic: string }
  | { readonly verb: 'STARTTLS' }
  | { readonly verb: 'AUTH'; readonly mechanism: string; readonly initialResponse?: string };

/** A line that is not a valid command; `command` names the verb when it was recognised. */
export interface CommandError {
  readonly error: SmtpReply;
  readonly command?: Verb;
}

/** The line looks like HTTP (request line or header): the runtime should disconnect. */
export interface HttpRequestLine {
  readonly http: true;
}

export type ParseResult = SmtpCommand | CommandError | HttpRequestLine;

export interface CommandOptions extends ParamOptions {
  /** Connector RequireEHLODomain: EHLO/HELO without an argument is refused. */
  readonly requireEhloDomain?: boolean;
}

const HTTP_PATTERNS: readonly RegExp[] = [/^GET \//, /^(?:POST|CONNECT|HEAD|PUT|OPTIONS|DELETE|PATCH|TRACE) /, /^[A-Z]+ \S+ HTTP\/\d/, /^(?:Host|User-Agent):/i];

/** True for HTTP request lines and HTTP header lines. */
export function isHttpRequestLine(line: string): boolean {
  return HTTP_PATTERNS.some((p) => p.test(line));
}

const NOT_IMPLEMENTED = new Set(['EXPN', 'TURN', 'ETRN', 'ATRN', 'SEND', 'SOML', 'SAML']);
const BDAT_SIZE_DIGITS = 15; // 999,999,999,999,999 < 2^53

const fail = (error: SmtpReply, verb?: Verb): CommandError => (verb ? { error, command: verb } : { error });

/** Narrows a parse result to a command. */
export function isCommand(result: ParseResult): result is SmtpCommand {
  return 'verb' in result;
}

export function parseCommand(line: string, options: CommandOptions = {}): ParseResult {
  if (isHttpRequestLine(line)) return { http: true };
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  const trimmed = line.slice(0, end);
  const sp = trimmed.indexOf(' ');
  const word = sp < 0 ? trimmed : trimmed.slice(0, sp);
  const args = sp < 0 ? '' : trimmed.slice(sp + 1);
  if (!/^[A-Za-z]{1,16}$/.test(word)) return fail(Replies.unrecognizedCommand);
  const verb = word.toUpperCase();
  switch (verb) {
    case 'EHLO':
    case 'HELO':
      return parseHello(verb, args, options);
    case 'MAIL':
      return parseMail(args, options);
    case 'RCPT':
      return parseRcpt(args, options);
    case 'BDAT':
      return parseBdat(args);
    case 'AUTH':
      return parseAuth(args);
    case 'DATA':
    case 'RSET':
    case 'QUIT':
    case 'STARTTLS':
      return args === '' ? ({ verb } as SmtpCommand) : fail(Replies.invalidArguments, verb);
    case 'NOOP':
      return { verb }; // RFC 5321 §4.1.1.9: an argument is allowed and ignored
    case 'HELP':
      return { verb, topic: args };
    case 'VRFY':
      return args === '' ? fail(Replies.invalidArguments, verb) : { verb, argument: args };
    default:
      return fail(NOT_IMPLEMENTED.has(verb) ? Replies.notImplemented : Replies.unrecognizedCommand);
  }
}

function parseHello(verb: 'EHLO' | 'HELO', args: string, options: CommandOptions): ParseResult {
  if (args === '') {
    if (options.requireEhloDomain) {
      return fail(verb === 'EHLO' ? Replies.ehloRequiresDomain : Replies.heloRequiresDomain, verb);
    }
    return { verb, domain: '' } as SmtpCommand;
  }
  if (!isValidHeloDomain(args)) return fail(Replies.invalidDomainName, verb);
  return { verb, domain: args } as SmtpCommand;
}

/** "FROM:" / "TO:" then the path, tolerating one or more spaces after the colon. */
function afterPrefix(args: string, prefix: string): string | null {
  if (args.slice(0, prefix.length).toUpperCase() !== prefix) return null;
  return args.slice(prefix.length).replace(/^ +/, '');
}

function parseMail(args: string, options: CommandOptions): ParseResult {
  const pathText = afterPrefix(args, 'FROM:');
  if (pathText === null) return fail(Replies.invalidArguments, 'MAIL');
  const path = parsePath(pathText, { allowNull: true, allowPostmaster: false });
  if ('invalid' in path) return fail(Replies.invalidSenderAddress, 'MAIL');
  const params = parseMailParams(path.rest, options);
  if ('error' in params) return fail(params.error, 'MAIL');
  if (path.mailbox?.utf8 && !params.params.smtpUtf8) return fail(Replies.invalidSenderAddress, 'MAIL');
  return { verb: 'MAIL', reversePath: path.mailbox, params: params.params };
}

function parseRcpt(args: string, options: CommandOptions): ParseResult {
  const pathText = afterPrefix(args, 'TO:');
  if (pathText === null) return fail(Replies.invalidArguments, 'RCPT');
  const path = parsePath(pathText, { allowNull: false, allowPostmaster: true });
  if ('invalid' in path || path.mailbox === null) return fail(Replies.invalidRecipientAddress, 'RCPT');
  const params = parseRcptParams(path.rest, options);
  if ('error' in params) return fail(params.error, 'RCPT');
  return { verb: 'RCPT', forwardPath: path.mailbox, params: params.params };
}

function parseBdat(args: string): ParseResult {
  const parts = args.split(' ');
  const size = parts[0] ?? '';
  if (!/^[0-9]+$/.test(size) || size.replace(/^0+(?=.)/, '').length > BDAT_SIZE_DIGITS) {
    return fail(Replies.invalidArguments, 'BDAT');
  }
  if (parts.length > 2 || (parts.length === 2 && parts[1]!.toUpperCase() !== 'LAST')) {
    return fail(Replies.invalidArguments, 'BDAT');
  }
  return { verb: 'BDAT', size: Number(size), last: parts.length === 2 };
}

function parseAuth(args: string): ParseResult {
  const parts = args.split(' ');
  const mechanism = parts[0] ?? '';
  // RFC 4954 §4: sasl-mech is 1*20 of upper-case letters, digits, "-", "_"
  if (!/^[A-Za-z0-9_-]{1,20}$/.test(mechanism) || parts.length > 2) return fail(Replies.invalidArguments, 'AUTH');
  if (parts.length === 2) {
    const initialResponse = parts[1]!;
    if (initialResponse === '') return fail(Replies.invalidArguments, 'AUTH');
    return { verb: 'AUTH', mechanism: mechanism.toUpperCase(), initialResponse };
  }
  return { verb: 'AUTH', mechanism: mechanism.toUpperCase() };
}
