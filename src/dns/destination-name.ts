// Reads a destination as given (recipient domain or smart host): an address
// literal, a bare IP address, or a domain name.
//
// Invariants: literals are "[IPv4]" or "[IPv6:addr]" (RFC 5321 §4.1.3); a
// bracketed bare IPv6 address ("[::1]") is accepted as well. Domain names are
// returned in lower-case ASCII (IDNA for Unicode names) without a trailing
// dot, and only when they have 1-253 characters and labels of 1-63
// characters without spaces or control characters.

import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

export type Destination = { type: 'address'; address: string; literal: boolean } | { type: 'name'; name: string } | { type: 'invalid' };

export function readDestination(input: string): Destination {
  const text = input.trim();
  if (text.startsWith('[')) {
    const m = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(text);
    if (!m) return { type: 'invalid' };
    const tagged = /^\[IPv6:/i.test(text);
    const family = isIP(m[1]);
    if (family === 0 || (tagged && family !== 6)) return { type: 'invalid' };
    return { type: 'address', address: m[1], literal: true };
  }
  if (isIP(text) !== 0) return { type: 'address', address: text, literal: false };
  const bare = text.replace(/\.$/, '');
  if (bare === '' || /[\s\x00-\x1f\x7f]/.test(bare)) return { type: 'invalid' };
  const ascii = /^[\x20-\x7e]*$/.test(bare) ? bare.toLowerCase() : domainToASCII(bare);
  if (ascii === '' || ascii.length > 253) return { type: 'invalid' };
  if (ascii.split('.').some((label) => label.length === 0 || label.length > 63)) return { type: 'invalid' };
  return { type: 'name', name: ascii };
}
