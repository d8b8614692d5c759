// Envelope addresses: reverse-path / forward-path syntax (RFC 5321 §4.1.2) and
// the EHLO/HELO domain argument.
//
// Accepted: "<" [source route ":"] local-part "@" domain ">", where
// - local-part is a dot-atom or a quoted string (quoted pairs of printable
//   ASCII); UTF-8 (RFC 6531 §3.3) is recognised and reported (Mailbox.utf8) so
//   the caller can refuse it when the client did not give SMTPUTF8;
// - domain is LDH labels (U-labels with UTF-8) or an address literal
//   "[1.2.3.4]" / "[IPv6:...]" (RFC 5321 §4.1.3);
// - a source route "<@a,@b:u@d>" is accepted and dropped (RFC 5321 §4.1.1.3,
//   Appendix C);
// - "<>" only where the caller allows the null path (MAIL), "<Postmaster>"
//   without domain only where the caller allows it (RCPT, RFC 5321 §4.5.1).
// Limits (RFC 5321 §4.5.3.1): local part 64 octets (§4.5.3.1.1), domain 255
// octets (§4.5.3.1.2), whole path 256 octets including "<" and ">"
// (§4.5.3.1.3). Control characters in any encoding (C0, DEL, C1 such as
// U+0085, the line and paragraph separators U+2028/U+2029), NUL, and
// undecodable input (U+FFFD) are never accepted: an address ends up in trace
// headers and logs.
// Pure: IP literals are checked with node:net's isIPv4/isIPv6 (no I/O).

import { isIPv4, isIPv6 } from 'node:net';

export interface Mailbox {
  /** Local part as written (quoted local parts keep their quotes). */
  readonly local: string;
  /** Domain as written; "" only for the bare "<Postmaster>" recipient. */
  readonly domain: string;
  /** local@domain (or local alone for "<Postmaster>"). */
  readonly address: string;
  /** The address contains non-ASCII characters (needs SMTPUTF8). */
  readonly utf8: boolean;
}

export const MAX_LOCAL_PART_OCTETS = 64;
export const MAX_DOMAIN_OCTETS = 255;
export const MAX_PATH_OCTETS = 256;

export interface PathOptions {
  readonly allowNull: boolean;
  readonly allowPostmaster: boolean;
}

/** A path and what follows it (" PARAM=..." or ""). `mailbox` null is the null path "<>". */
export type PathResult = { readonly mailbox: Mailbox | null; readonly rest: string } | { readonly invalid: true };

const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]$/;
const octets = (s: string): number => Buffer.byteLength(s, 'utf8');
const isNonAscii = (c: string): boolean => c.charCodeAt(0) >= 0x80 && c !== '\ufffd';

const INVALID = Object.freeze({ invalid: true as const });
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

export function parsePath(input: string, options: PathOptions): PathResult {
  const pathEnd = input.indexOf('>');
  if (!input.startsWith('<') || CONTROL.test(pathEnd < 0 ? input : input.slice(0, pathEnd))) return INVALID;
  let i = 1;
  // Source route: "@dom,@dom:" (dropped)
  if (input[i] === '@') {
    const colon = input.indexOf(':', i);
    if (colon < 0) return INVALID;
    for (const hop of input.slice(i, colon).split(',')) {
      if (!hop.startsWith('@') || domainProblem(hop.slice(1), false)) return INVALID;
    }
    i = colon + 1;
  }
  if (input[i] === '>') {
    if (!options.allowNull || i !== 1) return INVALID;
    return restAfter(input, i + 1, null);
  }
  // Local part
  const localStart = i;
  let utf8 = false;
  if (input[i] === '"') {
    i++;
    for (;;) {
      const c = input[i];
      if (c === undefined) return INVALID;
      if (c === '"') break;
      if (c === '\\') {
        const n = input[i + 1];
        if (n === undefined || !(n >= ' ' && n <= '~')) return INVALID;
        i += 2;
        continue;
      }
      if (isNonAscii(c)) utf8 = true;
      else if (!(c >= ' ' && c <= '~')) return INVALID;
      i++;
    }
    i++;
  } else {
    let previousDot = true; // no leading dot
    while (i < input.length && input[i] !== '@' && input[i] !== '>') {
      const c = input[i]!;
      if (c === '.') {
        if (previousDot) return INVALID;
        previousDot = true;
      } else if (ATEXT.test(c)) {
        previousDot = false;
      } else if (isNonAscii(c)) {
        utf8 = true;
        previousDot = false;
      } else return INVALID;
      i++;
    }
    if (previousDot) return INVALID; // empty, or trailing dot
  }
  const local = input.slice(localStart, i);
  if (octets(local) > MAX_LOCAL_PART_OCTETS) return INVALID;
  if (input[i] === '>') {
    if (!options.allowPostmaster || local.toLowerCase() !== 'postmaster') return INVALID;
    return restAfter(input, i + 1, { local, domain: '', address: local, utf8: false });
  }
  if (input[i] !== '@') return INVALID;
  const close = input.indexOf('>', i + 1);
  if (close < 0) return INVALID;
  const domain = input.slice(i + 1, close);
  if (domainProblem(domain, true)) return INVALID;
  if ([...domain].some(isNonAscii)) utf8 = true;
  if (octets(input.slice(0, close + 1)) > MAX_PATH_OCTETS) return INVALID;
  return restAfter(input, close + 1, { local, domain, address: `${local}@${domain}`, utf8 });
}

function restAfter(input: string, at: number, mailbox: Mailbox | null): PathResult {
  const rest = input.slice(at);
  if (rest !== '' && !rest.startsWith(' ')) return INVALID;
  return { mailbox, rest };
}

const ASCII_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
// U-label (RFC 6531 §3.3, loosely): LDH plus any non-ASCII character except U+FFFD.
const U_LABEL = /^[A-Za-z0-9\u{80}-\u{FFFC}\u{10000}-\u{10FFFF}-]+$/u;
const EHLO_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** Why `domain` is not a usable domain or address literal; null when it is. */
export function domainProblem(domain: string, allowUtf8: boolean, label: RegExp = ASCII_LABEL): string | null {
  if (domain === '') return 'empty';
  if (octets(domain) > MAX_DOMAIN_OCTETS) return 'too long';
  if (domain.startsWith('[')) {
    if (!domain.endsWith(']')) return 'unbalanced address literal';
    const inner = domain.slice(1, -1);
    if (/^IPv6:/i.test(inner)) return isIPv6(inner.slice(5)) ? null : 'bad IPv6 literal';
    return isIPv4(inner) ? null : 'bad address literal';
  }
  for (const l of domain.split('.')) {
    if (label.test(l)) continue;
    if (allowUtf8 && octets(l) <= 63 && U_LABEL.test(l) && !l.startsWith('-') && !l.endsWith('-') && [...l].some(isNonAscii)) {
      continue;
    }
    return `bad label "${l}"`;
  }
  return null;
}

/** EHLO/HELO argument: a domain (underscores tolerated, as Windows host names use them) or an address literal; ASCII only. */
export function isValidHeloDomain(arg: string): boolean {
  return domainProblem(arg, false, EHLO_LABEL) === null;
}
