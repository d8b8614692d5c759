// SmtpAddress: an e-mail address "local@domain" (ExternalPostmasterAddress,
// recipients, senders).
//
// Local part (RFC 5321): a dot-atom (atext characters separated by single
// dots) or a quoted string ("john doe"@contoso.com, with \-escapes of
// printable ASCII). Domain: a domain name (RFC 1035/1123 labels) or an
// address literal "[192.168.1.1]" / "[IPv6:2001:db8::1]". ASCII only.
// Limits: local part 64, domain 255, whole address 254 characters.
// Invariants: the address is split at its last "@".
// Display and storage form: the address as given (trimmed). Comparison is
// case-insensitive, as Exchange compares addresses.

import { domainNameProblem } from './domain-name.js';
import { IPAddress } from './ip-address.js';
import { ValueError, inputText } from './value-error.js';

const DOT_ATOM_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const QUOTED_RE = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;

function invalid(input: unknown, detail: string): ValueError {
  return new ValueError(`"${inputText(input)}" is not a valid SMTP address. ${detail} Example: postmaster@contoso.com.`, input);
}

function domainProblem(domain: string): string | null {
  if (domain.startsWith('[') && domain.endsWith(']')) {
    const inner = domain.slice(1, -1);
    const v6 = /^IPv6:(.*)$/i.exec(inner);
    const ip = IPAddress.tryParse(v6 ? v6[1] : inner);
    if (!ip || ip.zoneId !== undefined || ip.family !== (v6 ? 'IPv6' : 'IPv4')) {
      return 'The address literal in the domain is not valid (use [192.168.1.1] or [IPv6:2001:db8::1]).';
    }
    return null;
  }
  const p = domainNameProblem(domain);
  return p ? `The domain is not valid: ${p}` : null;
}

export class SmtpAddress {
  /** The whole address as given. */
  readonly address: string;
  readonly local: string;
  readonly domain: string;

  private constructor(address: string, local: string, domain: string) {
    this.address = address;
    this.local = local;
    this.domain = domain;
    Object.freeze(this);
  }

  static parse(input: unknown): SmtpAddress {
    if (input instanceof SmtpAddress) return input;
    if (typeof input !== 'string') throw invalid(input, 'An address is text.');
    const text = input.trim();
    if (/[^\x20-\x7e]/.test(text)) throw invalid(input, 'Only printable ASCII characters are allowed.');
    const at = text.lastIndexOf('@');
    if (at < 0) throw invalid(input, 'The "@" is missing.');
    const local = text.slice(0, at);
    const domain = text.slice(at + 1);
    if (local === '') throw invalid(input, 'The part before "@" is empty.');
    if (domain === '') throw invalid(input, 'The domain after "@" is empty.');
    if (local.length > 64) throw invalid(input, 'The part before "@" is longer than 64 characters.');
    if (domain.length > 255) throw invalid(input, 'The domain is longer than 255 characters.');
    if (text.length > 254) throw invalid(input, 'The address is longer than 254 characters.');
    if (!DOT_ATOM_RE.test(local) && !QUOTED_RE.test(local)) {
      throw invalid(input, 'The part before "@" must be letters, digits and !#$%&\'*+/=?^_`{|}~- separated by single dots, or a quoted string.');
    }
    const problem = domainProblem(domain);
    if (problem) throw invalid(input, problem);
    return new SmtpAddress(text, local, domain);
  }

  equals(other: unknown): boolean {
    return other instanceof SmtpAddress && other.address.toLowerCase() === this.address.toLowerCase();
  }

  toString(): string {
    return this.address;
  }

  toJSON(): string {
    return this.address;
  }
}
