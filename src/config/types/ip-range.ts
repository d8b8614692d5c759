// IPRange: one entry of a Receive connector's RemoteIPRanges (and of other
// IP-range lists): a single address, a range "a-b", or a CIDR block.
//
// Input forms: "192.168.5.10", "fe80::39bd:88f7:6969:d223%11" (zone index kept
// for display, ignored for matching), "192.168.1.1-192.168.1.254" (both ends
// of the same family, first <= last), "192.168.1.1/24" or "2001:0DB8::CD3/60"
// (host bits may be set), and the address(mask) form
// "192.168.8.2(255.255.255.0)" / "2001:DB8::2AA:FF:C0A8:640A(FFFF:FFFF:FFFF:FFFF::)"
// (the mask must be contiguous; the entry becomes CIDR).
// Invariants: family-consistent bounds, first <= last, CIDR blocks aligned.
// Display: single -> the address; range -> "first-last"; CIDR -> the network
// address and prefix ("192.168.1.1/24" displays "192.168.1.0/24"); IPv6 in
// RFC 5952 form (lower case, compressed). Storage form = display.
// Matching: a client address is normalized first (IPv4-mapped IPv6 such as
// "::ffff:127.0.0.1", as Node reports IPv4 peers on dual-stack sockets,
// becomes IPv4), so it matches IPv4 ranges and never IPv6 ranges.

import { IPAddress, type IPFamily } from './ip-address.js';
import { ValueError, inputText } from './value-error.js';

export type IPRangeForm = 'single' | 'range' | 'cidr';

const EXAMPLES = 'Examples: 192.168.1.1, 192.168.1.1-192.168.1.254, 192.168.1.0/24, 2001:db8::/32.';

function bitsOf(family: IPFamily): bigint {
  return family === 'IPv4' ? 32n : 128n;
}

function invalid(input: unknown, detail?: string): ValueError {
  return new ValueError(`"${inputText(input)}" is not a valid IP address, IP range or CIDR notation.` + (detail ? ` ${detail}` : '') + ` ${EXAMPLES}`, input);
}

/** Prefix length of a contiguous mask, or null when the mask has holes. */
function prefixOfMask(mask: bigint, bits: bigint): number | null {
  let n = 0n;
  while (n < bits && ((mask >> (bits - 1n - n)) & 1n) === 1n) n++;
  const expected = n === 0n ? 0n : ((1n << n) - 1n) << (bits - n);
  return expected === mask ? Number(n) : null;
}

export class IPRange {
  readonly form: IPRangeForm;
  readonly family: IPFamily;
  /** Lowest address of the range, as an integer. */
  readonly first: bigint;
  /** Highest address of the range, as an integer. */
  readonly last: bigint;
  /** CIDR prefix length (CIDR form only). */
  readonly prefixLength: number | undefined;
  /** Zone index of a single IPv6 address, for display. */
  readonly zoneId: string | undefined;

  private constructor(form: IPRangeForm, family: IPFamily, first: bigint, last: bigint, prefixLength?: number, zoneId?: string) {
    this.form = form;
    this.family = family;
    this.first = first;
    this.last = last;
    this.prefixLength = prefixLength;
    this.zoneId = zoneId;
    Object.freeze(this);
  }

  /** 0.0.0.0-255.255.255.255 */
  static readonly ALL_IPV4 = new IPRange('range', 'IPv4', 0n, 0xffffffffn);
  /** ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff */
  static readonly ALL_IPV6 = new IPRange('range', 'IPv6', 0n, (1n << 128n) - 1n);

  static single(address: IPAddress | string): IPRange {
    const a = IPAddress.parse(address);
    return new IPRange('single', a.family, a.value, a.value, undefined, a.zoneId);
  }

  static cidr(address: IPAddress | string, prefixLength: number): IPRange {
    const a = IPAddress.parse(address);
    const bits = bitsOf(a.family);
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || BigInt(prefixLength) > bits) {
      throw invalid(`${address}/${prefixLength}`, `The prefix length must be between 0 and ${bits} for ${a.family}.`);
    }
    const hostBits = bits - BigInt(prefixLength);
    const hostMask = (1n << hostBits) - 1n;
    const first = a.value & ~hostMask;
    return new IPRange('cidr', a.family, first, first | hostMask, prefixLength);
  }

  static parse(input: unknown): IPRange {
    if (input instanceof IPRange) return input;
    if (input instanceof IPAddress) return IPRange.single(input);
    if (typeof input !== 'string') throw invalid(input);
    const text = input.trim();

    const withMask = /^([^()]+)\(([^()]+)\)$/.exec(text);
    if (withMask) {
      const a = IPAddress.tryParse(withMask[1].trim());
      const mask = IPAddress.tryParse(withMask[2].trim());
      if (!a || !mask || mask.zoneId !== undefined || a.zoneId !== undefined) throw invalid(input);
      if (a.family !== mask.family) throw invalid(input, 'The address and the mask must be of the same IP version.');
      const prefix = prefixOfMask(mask.value, bitsOf(a.family));
      if (prefix === null) throw invalid(input, `The mask ${mask} is not a contiguous subnet mask.`);
      return IPRange.cidr(a, prefix);
    }

    const slash = text.indexOf('/');
    if (slash >= 0) {
      const a = IPAddress.tryParse(text.slice(0, slash));
      const p = text.slice(slash + 1);
      if (!a || a.zoneId !== undefined || !/^\d{1,3}$/.test(p)) throw invalid(input);
      const prefix = Number(p);
      if (BigInt(prefix) > bitsOf(a.family)) {
        throw invalid(input, `The prefix length must be between 0 and ${bitsOf(a.family)} for ${a.family}.`);
      }
      return IPRange.cidr(a, prefix);
    }

    const dash = text.split('-');
    if (dash.length === 2) {
      const a = IPAddress.tryParse(dash[0].trim());
      const b = IPAddress.tryParse(dash[1].trim());
      if (!a || !b || a.zoneId !== undefined || b.zoneId !== undefined) throw invalid(input);
      if (a.family !== b.family) throw invalid(input, 'Both ends of a range must be of the same IP version.');
      if (a.value > b.value) throw invalid(input, 'The first address of a range must not be greater than the last.');
      return new IPRange('range', a.family, a.value, b.value);
    }
    if (dash.length > 2) throw invalid(input);

    const a = IPAddress.tryParse(text);
    if (!a) throw invalid(input);
    return IPRange.single(a);
  }

  /** Lowest address. */
  get firstAddress(): IPAddress {
    return IPAddress.fromValue(this.family, this.first);
  }

  /** Highest address. */
  get lastAddress(): IPAddress {
    return IPAddress.fromValue(this.family, this.last);
  }

  /** Whether the (client) address lies in this range; see the matching note above. */
  contains(ip: IPAddress | string): boolean {
    const parsed = IPAddress.tryParse(ip);
    if (!parsed) return false;
    const a = parsed.normalized();
    return a.family === this.family && a.value >= this.first && a.value <= this.last;
  }

  /** Number of addresses in the range (smaller = more specific). */
  size(): bigint {
    return this.last - this.first + 1n;
  }

  /** True when every address of this range is also in `other` (a range is nested in itself). */
  nestedIn(other: IPRange): boolean {
    return this.family === other.family && other.first <= this.first && this.last <= other.last;
  }

  /** True when the two ranges share at least one address. */
  overlaps(other: IPRange): boolean {
    return this.family === other.family && this.first <= other.last && other.first <= this.last;
  }

  /** Overlap where neither range lies inside the other (not allowed between connectors). */
  partiallyOverlaps(other: IPRange): boolean {
    return this.overlaps(other) && !this.nestedIn(other) && !other.nestedIn(this);
  }

  /** Same family and same first/last address, whatever the written form. */
  equals(other: unknown): boolean {
    return other instanceof IPRange && other.family === this.family && other.first === this.first && other.last === this.last;
  }

  toString(): string {
    switch (this.form) {
      case 'single':
        return IPAddress.fromValue(this.family, this.first).toString() + (this.zoneId !== undefined ? `%${this.zoneId}` : '');
      case 'cidr':
        return `${this.firstAddress}/${this.prefixLength}`;
      case 'range':
        return `${this.firstAddress}-${this.lastAddress}`;
    }
  }

  toJSON(): string {
    return this.toString();
  }
}
