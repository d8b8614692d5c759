// Outbound failure classification: the one place where a peer's reply, a socket error or a TLS
// problem becomes "transient" or "permanent" together with the text that ends up in the queue's
// LastError and in NDRs (exchange-operations §5.6/§5.7). Nothing above this module looks at reply
// codes or Node error codes again.
//
// Rules:
//   peer reply 2xx                         delivered
//   peer reply 4xx                         transient, the peer's reply verbatim
//   peer reply 5xx                         permanent, the peer's reply verbatim
//     except 503 (bad sequence)            transient: it describes our session state, not the
//                                          message, and a new connection can succeed
//   reply during session setup             transient, wrapped in Exchange's
//   (greeting, EHLO/HELO, STARTTLS, AUTH)  `451 4.4.0 Primary target IP address responded with: "<reply>." ...`
//                                          (Exchange keeps the queue in Retry; for AUTH 535 the
//                                          admin fixes the credential)
//   socket error, refused, timeout,        transient, `441 4.4.1 Error encountered while
//   connection lost, TLS handshake         communicating with primary target IP address: "<what>" ...`
//   STARTTLS required, not offered         transient, `451 5.7.3 STARTTLS is required to send mail`
//   certificate check failed               transient, `454 4.7.5 The certificate presented by ... failed
//                                          <level>: <reason>. <what to fix>`
//   credential withheld: the peer's        transient, `454 4.7.5 The certificate presented by ... does not
//   certificate does not chain to a        chain to a trusted certificate / does not carry the name ...;
//   trusted certificate or lacks the       the AuthenticationCredential ... was not sent. <what to fix>`
//   smart host's name (peer-trust.ts)      (why 454 4.7.5: see credentialWithheldText)
//   SMTPUTF8 message, peer without it      permanent, `554 5.6.7` (non-ASCII address) or `554 5.6.9`
//                                          (UTF-8 header fields): no downgrade is attempted (RFC 6531 §3.2)
//   BINARYMIME body that DATA cannot carry permanent, `554 5.6.3` (the client has no BDAT/CHUNKING)
//   message larger than the peer's SIZE    permanent, `552 5.3.4`

import { isIP } from 'node:net';
import type { CredentialRefusal } from './peer-trust.js';

/** A reply as received: code, enhanced code when present, and the text on one line. */
export interface PeerReply {
  code: number;
  enhanced?: string;
  /** The whole reply on one line, e.g. `550 5.1.1 <bob@x>: user unknown`. */
  line: string;
}

export type FailureKind = 'transient' | 'permanent';

/** Where an outbound attempt reached: the address and port we connected to. */
export interface Endpoint {
  address: string;
  port: number;
}

const FAILOVER_SENTENCE = 'Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts.';

/**
 * Turns a raw reply (possibly multi-line, lines joined by "\n") into one line: the first line's
 * code and text, followed by the text of the continuation lines without their code prefixes.
 */
export function parseReply(raw: string): PeerReply | null {
  const lines = raw
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0);
  if (lines.length === 0) return null;
  const m = /^(\d{3})(?:[ -](.*))?$/.exec(lines[0]);
  if (!m) return null;
  const code = Number(m[1]);
  const texts = lines.map((l) => l.replace(/^\d{3}[ -]?/, ''));
  // A continuation line usually repeats the enhanced code; keep it once.
  const enhancedMatch = /^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/.exec(texts[0]);
  const enhanced = enhancedMatch ? enhancedMatch[1] : undefined;
  const rest = texts.slice(1).map((t) => (enhanced && t.startsWith(enhanced + ' ') ? t.slice(enhanced.length + 1) : t));
  const text = [texts[0], ...rest].filter((t) => t.length > 0).join(' ');
  return { code, enhanced, line: text ? `${code} ${text}` : String(code) };
}

/** Transient or permanent for a reply to a transaction command (MAIL, RCPT, DATA, end of data). */
export function classifyReplyCode(code: number): 'delivered' | FailureKind {
  if (code >= 200 && code < 400) return 'delivered';
  if (code >= 500 && code < 600 && code !== 503) return 'permanent';
  return 'transient';
}

/**
 * One outcome, typed: what delivery records, retries on, and reports in tracking and NDRs. Delivery
 * works from these fields and never reads the text again.
 */
export interface Classification {
  kind: 'delivered' | FailureKind;
  /** The reply code the text starts with; 0 when it starts with none. */
  code: number;
  /**
   * The enhanced status code (RFC 3463) the text carries: normally the one after the reply code, else
   * the first one further in (a reply such as `554 Transaction failed 5.7.1 ...`); undefined: none.
   */
  enhanced: string | undefined;
  /** The peer's reply on one line or our own Exchange-style text: LastError, tracking and NDRs show it. */
  text: string;
}

/** Types an outcome text that a kind was already decided for (a recipient's reply, a connection failure, a DNS failure). */
export function classify(kind: Classification['kind'], text: string): Classification {
  const code = /^(\d{3})/.exec(text);
  return { kind, code: code ? Number(code[1]) : 0, enhanced: /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1], text };
}

/**
 * A Send connector's ErrorPolicies (for reliable partner links): DowngradeCustomFailures
 * treats the peer's permanent (5xx) replies as transient, UpgradeCustomFailures its
 * transient (4xx) replies as permanent. DowngradeDnsFailures is applied to DNS results.
 */
export function applyErrorPolicies<T extends Classification>(outcomes: T[], policies: readonly string[]): T[] {
  const down = policies.includes('DowngradeCustomFailures');
  const up = policies.includes('UpgradeCustomFailures');
  if (!down && !up) return outcomes;
  return outcomes.map((o) => {
    if (down && o.kind === 'permanent') return { ...o, kind: 'transient' };
    if (up && o.kind === 'transient' && o.code >= 400 && o.code < 500) return { ...o, kind: 'permanent' };
    return o;
  });
}

/** Ends a text with exactly one full stop, as Exchange quotes replies (`"<reply>."`). */
function withStop(s: string): string {
  return /[.!?]$/.test(s) ? s : s + '.';
}

/** The peer answered a session-setup command (greeting, EHLO, STARTTLS, AUTH) with an error. */
export function setupReplyText(reply: string, endpoint: Endpoint): string {
  return `451 4.4.0 Primary target IP address responded with: "${withStop(reply)}" ${FAILOVER_SENTENCE} The last endpoint attempted was ${endpointText(endpoint)}`;
}

/**
 * A connection-level failure without a reply from the peer. `reached` says whether a TCP
 * connection was established: Exchange names the endpoint only then.
 */
export function communicationText(detail: string, endpoint: Endpoint, reached: boolean): string {
  const tail = reached ? ` The last endpoint attempted was ${endpointText(endpoint)}` : '';
  return `441 4.4.1 Error encountered while communicating with primary target IP address: "${withStop(detail)}" ${FAILOVER_SENTENCE}${tail}`;
}

export const STARTTLS_REQUIRED_TEXT = '451 5.7.3 STARTTLS is required to send mail';

export function endpointText(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** Node's certificate verification error codes (from OpenSSL), and the identity check's own. */
const CERT_ERROR_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_REJECTED',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_TLSDOMAIN_MISMATCH',
]);

export function isCertificateErrorCode(code: string | undefined): boolean {
  return code !== undefined && CERT_ERROR_CODES.has(code);
}

/** What the admin should change, per verification failure. */
function certificateAdvice(code: string, level: string): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return 'The remote certificate has expired; the remote administrator must renew it';
    case 'CERT_NOT_YET_VALID':
      return 'The remote certificate is not valid yet; check the clocks of both servers';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'ERR_TLS_CERT_TLSDOMAIN_MISMATCH':
    case 'HOSTNAME_MISMATCH':
      return 'Set TlsDomain on the Send connector to a name the certificate carries, or have the remote certificate issued for the expected domain';
    default:
      return level === 'DomainValidation' || level === 'CertificateValidation' ? 'Trust the issuing CA on this server (or the peer certificate itself), or change TlsAuthLevel on the Send connector' : 'Check the remote certificate chain';
  }
}

export function certificateText(host: string, endpoint: Endpoint, level: string, code: string, message: string): string {
  return `454 4.7.5 The certificate presented by ${host} [${endpointText(endpoint)}] failed ${level}: ${withStop(message)} (${code}). ${certificateAdvice(code, level)}.`;
}

/** The connector a credential belongs to, for the commands in the texts (absent: no Send connector to change). */
export interface CredentialOwner {
  name: string;
  /** RequireTLS already $true: TlsAuthLevel can be set without it. */
  requireTls: boolean;
}

const joinNames = (names: readonly string[]) => (names.length === 0 ? 'nothing' : names.join(', '));

/**
 * The peer did not prove it is the smart host, so the credential was not sent (peer-trust.ts).
 *
 * Code: 454 4.7.5, as Exchange reports its own TLS certificate failures on Send connectors, and
 * as certificateText() does for a failed TlsAuthLevel check. 4.7.5 is RFC 3463's "cryptographic
 * failure"; the 454 (transient) keeps the recipients queued and retried on schedule, because the
 * fix is an administrator's (import the certificate, correct the name, or opt out) and mail should
 * flow as soon as it is made, with nothing bounced meanwhile.
 */
export function credentialWithheldText(host: string, endpoint: Endpoint, refusal: CredentialRefusal, owner: CredentialOwner | undefined): string {
  const who = `${host} [${endpointText(endpoint)}]`;
  const faults: string[] = [];
  if (refusal.noCertificate) faults.push('presented no certificate');
  else if (refusal.untrusted) faults.push(`does not chain to a trusted certificate (${refusal.untrusted.code})`);
  if (refusal.wrongName) {
    const kind = isIP(refusal.wrongName.name) ? 'the IP address' : 'the name';
    faults.push(`does not carry ${kind} ${refusal.wrongName.name} (it names ${joinNames(refusal.wrongName.names)})`);
  }
  const subject = refusal.noCertificate ? `${who} presented no certificate` : `The certificate presented by ${who} ${faults.join(' and ')}`;
  const what = owner ? `the AuthenticationCredential of Send connector "${owner.name}"` : 'the credential';
  const fixes: string[] = [];
  if (refusal.untrusted || refusal.noCertificate) {
    fixes.push("Import the peer's certificate (or the CA that issued it) on this server: Import-ExchangeCertificate -FileName <file>");
  }
  if (refusal.wrongName) {
    const name = refusal.wrongName.name;
    const have = `${fixes.length > 0 ? 'and have' : 'Have'} ${host} present a certificate for ${name}`;
    fixes.push(owner ? `${have}, or name the smart host as its certificate does (Set-SendConnector "${owner.name}" -SmartHosts <name on the certificate>)` : have);
  }
  // Without a Send connector (the implicit one between Mailbox servers) there is no setting to opt out with.
  const optOut = owner ? ` Or, to send the credential without checking the peer: Set-SendConnector "${owner.name}"${owner.requireTls ? '' : ' -RequireTLS $true'} -TlsAuthLevel EncryptionOnly.` : '';
  return `454 4.7.5 ${subject}; ${what} was not sent. ${fixes.join('; ')}.${optOut}`;
}

/** Friendly wording for common socket errors; the Node code is always kept in parentheses. */
export function socketErrorDetail(code: string | undefined, message: string, sourceAddress?: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'Failed to connect. The remote server refused the connection (ECONNREFUSED)';
    case 'EHOSTUNREACH':
      return 'Failed to connect. No route to the remote host (EHOSTUNREACH)';
    case 'ENETUNREACH':
      return 'Failed to connect. The network is unreachable (ENETUNREACH)';
    case 'EADDRNOTAVAIL':
      return `Failed to connect. The source address ${sourceAddress ?? ''} is not available on this server (EADDRNOTAVAIL); check SourceIPAddress on the Send connector`.replace('  ', ' ');
    case 'EADDRINUSE':
      return 'Failed to connect. No free local port for the source address (EADDRINUSE)';
    case 'ECONNRESET':
      return 'The connection was reset by the remote server (ECONNRESET)';
    case 'EPIPE':
      return 'The connection was closed by the remote server while sending (EPIPE)';
    default:
      return code ? `${message} (${code})` : message;
  }
}

/** xtext (RFC 3461 §4): printable ASCII except "+" and "=", anything else as "+HH". */
export function encodeXtext(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte < 0x21 || byte > 0x7e || byte === 0x2b || byte === 0x3d) {
      out += '+' + byte.toString(16).toUpperCase().padStart(2, '0');
    } else {
      out += String.fromCharCode(byte);
    }
  }
  return out;
}

/**
 * True when the body can go through DATA unchanged: no NUL, no bare CR or LF, and no line over
 * 998 octets (RFC 5321 §4.5.3.1.6). A BINARYMIME body that passes is sent like an 8BITMIME body.
 */
export function isDataSafe(body: Buffer): boolean {
  let lineLength = 0;
  for (let i = 0; i < body.length; i++) {
    const b = body[i];
    if (b === 0) return false;
    if (b === 0x0d) {
      if (body[i + 1] !== 0x0a) return false;
      i++;
      lineLength = 0;
      continue;
    }
    if (b === 0x0a) return false;
    if (++lineLength > 998) return false;
  }
  return true;
}
