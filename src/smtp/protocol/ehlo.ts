// The EHLO and HELO replies.
//
// EHLO (RFC 5321 §4.1.1.1): first line "<Fqdn> Hello [<client ip>]", then one
// keyword per line in Exchange's fixed order (spec exchange-operations.md
// §5.2), each only when enabled:
//   SIZE [n], PIPELINING, DSN, ENHANCEDSTATUSCODES, STARTTLS, AUTH <mechs>,
//   8BITMIME, BINARYMIME, CHUNKING, SMTPUTF8, then REQUIRETLS (RFC 8689, not an Exchange keyword)
// Invariants:
// - STARTTLS is not advertised once TLS is active (RFC 3207 §4.2);
// - AUTH lists our mechanisms in the order LOGIN PLAIN; with
//   requireTlsForAuth (BasicAuthRequireTLS) and no TLS yet, AUTH is absent;
// - BINARYMIME only together with CHUNKING (RFC 3030 §3);
// - REQUIRETLS only once TLS is active (RFC 8689 §3: the option is valid only inside TLS);
// - the EHLO reply carries no enhanced status code.
// HELO (RFC 5321 §4.1.1.1) gets the single line "250 <Fqdn> Hello [<ip>]".

import { Replies, reply, type SmtpReply } from './reply.js';

export type SizeMode = 'Enabled' | 'Disabled' | 'EnabledWithoutValue';
export type AuthMechanism = 'LOGIN' | 'PLAIN';

/** The mechanisms this engine implements, in advertising order. */
export const SUPPORTED_AUTH_MECHANISMS: readonly AuthMechanism[] = Object.freeze(['LOGIN', 'PLAIN']);

export interface EhloOptions {
  readonly fqdn: string;
  readonly clientIp: string;
  /** Connector SizeEnabled. */
  readonly sizeMode: SizeMode;
  /** Connector MaxMessageSize in bytes (advertised with SizeEnabled = Enabled). */
  readonly maxMessageSize: number;
  readonly pipelining: boolean;
  /** Connector DeliveryStatusNotificationEnabled. */
  readonly dsn: boolean;
  readonly enhancedStatusCodes: boolean;
  /** STARTTLS is available on this connector (Tls mechanism and a certificate). */
  readonly startTls: boolean;
  readonly tlsActive: boolean;
  /** Mechanisms enabled for this connector (subset of LOGIN, PLAIN); empty: no AUTH. */
  readonly authMechanisms: readonly AuthMechanism[];
  /** BasicAuthRequireTLS: AUTH is offered only after STARTTLS. */
  readonly requireTlsForAuth: boolean;
  readonly eightBitMime: boolean;
  readonly binaryMime: boolean;
  readonly chunking: boolean;
  readonly smtpUtf8: boolean;
  /** REQUIRETLS is offered (advertised only while TLS is active); absent: true. */
  readonly requireTls?: boolean;
}

/** The AUTH mechanisms advertised (and accepted) in the current TLS state. */
export function offeredAuthMechanisms(options: Pick<EhloOptions, 'authMechanisms' | 'requireTlsForAuth' | 'tlsActive'>): AuthMechanism[] {
  if (options.requireTlsForAuth && !options.tlsActive) return [];
  return SUPPORTED_AUTH_MECHANISMS.filter((m) => options.authMechanisms.includes(m));
}

/** The ESMTP keywords in advertising order, without the first line. */
export function ehloKeywords(options: EhloOptions): string[] {
  const k: string[] = [];
  if (options.sizeMode === 'Enabled') k.push(`SIZE ${options.maxMessageSize}`);
  else if (options.sizeMode === 'EnabledWithoutValue') k.push('SIZE');
  if (options.pipelining) k.push('PIPELINING');
  if (options.dsn) k.push('DSN');
  if (options.enhancedStatusCodes) k.push('ENHANCEDSTATUSCODES');
  if (options.startTls && !options.tlsActive) k.push('STARTTLS');
  const mechs = offeredAuthMechanisms(options);
  if (mechs.length > 0) k.push(`AUTH ${mechs.join(' ')}`);
  if (options.eightBitMime) k.push('8BITMIME');
  if (options.binaryMime && options.chunking) k.push('BINARYMIME');
  if (options.chunking) k.push('CHUNKING');
  if (options.smtpUtf8) k.push('SMTPUTF8');
  if (options.tlsActive && options.requireTls !== false) k.push('REQUIRETLS');
  return k;
}

export function ehloReply(options: EhloOptions): SmtpReply {
  return reply(250, Replies.ehloFirstLine(options.fqdn, options.clientIp), ...ehloKeywords(options));
}

export function heloReply(fqdn: string, clientIp: string): SmtpReply {
  return Replies.helo(fqdn, clientIp);
}
