// IPAddress: one IPv4 or IPv6 address (SourceIPAddress, DNS server lists, and
// the building block of IPRange, IPBinding and SmartHost).
//
// Input: strict dotted-decimal IPv4 (four parts 0-255, no leading zeros, so
// "010.1.1.1" is refused rather than read as octal) or IPv6 in any RFC 4291
// text form: "::" compression, leading zeros, upper or lower case, a dotted
// IPv4 tail ("::ffff:1.2.3.4") and a zone index ("fe80::1%11").
// Invariants: `value` is the address as an unsigned integer of 32 (IPv4) or
// 128 (IPv6) bits; the zone index is kept for display only.
// Display: IPv4 dotted decimal; IPv6 per RFC 5952 (lower case, longest run of
// two or more zero groups compressed), IPv4-mapped addresses with a dotted
// tail ("::ffff:1.2.3.4"), then "%zone" when present. Storage form = display.

import ipaddr from 'ipaddr.js';
import { ValueError, inputText } from './value-error.js';

export type IPFamily = 'IPv4' | 'IPv6';

const IPV4_RE = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const ZONE_RE = /^[0-9A-Za-z_.]+$/;

/** Parses strict dotted-decimal IPv4; null when the text is not one. */
export function parseIPv4Value(text: string): bigint | null {
  const m = IPV4_RE.exec(text);
  if (!m) return null;
  let v = 0n;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    v = (v << 8n) | BigInt(octet);
  }
  return v;
}

/** Parses IPv6 (without zone); null when the text is not one. */
export function parseIPv6Value(text: string): bigint | null {
  let t = text;
  if (t.includes('.')) {
    // Dotted IPv4 tail: convert it to two hex groups ourselves, so that the
    // tail is read strictly and "::1.2.3.4" keeps its own meaning.
    const cut = t.lastIndexOf(':');
    if (cut < 0) return null;
    const v4 = parseIPv4Value(t.slice(cut + 1));
    if (v4 === null) return null;
    t = `${t.slice(0, cut + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  if (!/^[0-9A-Fa-f:]+$/.test(t) || !ipaddr.IPv6.isValid(t)) return null;
  let parts: number[];
  try {
    parts = ipaddr.IPv6.parse(t).parts;
  } catch {
    return null;
  }
  let v = 0n;
  for (const p of parts) v = (v << 16n) | BigInt(p);
  return v;
}

function formatIPv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString()).join('.');
}

function formatIPv6(v: bigint): string {
  if (v >> 32n === 0xffffn) return `::ffff:${formatIPv4(v & 0xffffffffn)}`;
  const groups: bigint[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push((v >> s) & 0xffffn);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0n) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export class IPAddress {
  readonly family: IPFamily;
  /** The address as an unsigned integer (32 bits for IPv4, 128 for IPv6). */
  readonly value: bigint;
  /** IPv6 zone index ("11" in fe80::1%11), kept for display only. */
  readonly zoneId: string | undefined;

  private constructor(family: IPFamily, value: bigint, zoneId?: string) {
    this.family = family;
    this.value = value;
    this.zoneId = zoneId;
    Object.freeze(this);
  }

  static readonly ANY_IPV4 = new IPAddress('IPv4', 0n);
  static readonly ANY_IPV6 = new IPAddress('IPv6', 0n);

  static fromValue(family: IPFamily, value: bigint): IPAddress {
    const max = family === 'IPv4' ? 0xffffffffn : (1n << 128n) - 1n;
    if (value < 0n || value > max) throw new ValueError(`${value} is out of range for an ${family} address.`, value);
    return new IPAddress(family, value);
  }

  /** Parses an address; null instead of an error when it is not one. */
  static tryParse(input: unknown): IPAddress | null {
    if (input instanceof IPAddress) return input;
    if (typeof input !== 'string') return null;
    const text = input.trim();
    const v4 = parseIPv4Value(text);
    if (v4 !== null) return new IPAddress('IPv4', v4);
    let addr = text;
    let zone: string | undefined;
    const pct = text.indexOf('%');
    if (pct >= 0) {
      zone = text.slice(pct + 1);
      addr = text.slice(0, pct);
      if (!ZONE_RE.test(zone)) return null;
    }
    const v6 = parseIPv6Value(addr);
    return v6 === null ? null : new IPAddress('IPv6', v6, zone);
  }

  static parse(input: unknown): IPAddress {
    const ip = IPAddress.tryParse(input);
    if (!ip) {
      throw new ValueError(`"${inputText(input)}" is not a valid IP address. Examples: 192.168.1.1, 2001:db8::1.`, input);
    }
    return ip;
  }

  /** True for ::ffff:a.b.c.d (how a dual-stack socket reports IPv4 peers). */
  get isIPv4Mapped(): boolean {
    return this.family === 'IPv6' && this.value >> 32n === 0xffffn;
  }

  get isUnspecified(): boolean {
    return this.value === 0n;
  }

  /**
   * The address as it is compared against configured ranges: IPv4-mapped
   * IPv6 becomes plain IPv4; the zone index is dropped.
   */
  normalized(): IPAddress {
    if (this.isIPv4Mapped) return new IPAddress('IPv4', this.value & 0xffffffffn);
    return this.zoneId === undefined ? this : new IPAddress(this.family, this.value);
  }

  /** Same family and value after normalization (zone index ignored). */
  sameAddress(other: IPAddress | string): boolean {
    const o = typeof other === 'string' ? IPAddress.tryParse(other) : other;
    if (!o) return false;
    const a = this.normalized();
    const b = o.normalized();
    return a.family === b.family && a.value === b.value;
  }

  equals(other: unknown): boolean {
    return other instanceof IPAddress && other.family === this.family && other.value === this.value && other.zoneId === this.zoneId;
  }

  toString(): string {
    if (this.family === 'IPv4') return formatIPv4(this.value);
    return formatIPv6(this.value) + (this.zoneId !== undefined ? `%${this.zoneId}` : '');
  }

  toJSON(): string {
    return this.toString();
  }
}
