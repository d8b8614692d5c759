// The configuration value types as the shell shows them inside objects, with
// the members of the Exchange types they stand for: sizes (ByteQuantifiedSize:
// ToBytes(), ToKB(), ToMB(), ToGB(), ToTB()), Unlimited<T> (IsUnlimited,
// Value), time spans (EnhancedTimeSpan: Days ... TotalMinutes ...), IP ranges
// (IPRange: LowerBound, UpperBound, Netmask, CIDRLength, RangeFormat, Size),
// smart hosts, address spaces, bindings, addresses and domains, and a stored
// credential as the PSCredential it was given as (UserName, and a Password
// that shows only its type: the sealed secret never reaches the shell). A value keeps
// its display (toString) everywhere; these members are what `.Member`,
// Format-List * and Get-Member see.

import { AddressSpace, ByteQuantifiedSize, EnhancedTimeSpan, Fqdn, IPAddress, IPBinding, IPEndpoint, IPRange, SmartHost, SmtpAddress, SmtpDomain, SmtpDomainWithSubdomains, Unlimited, type ByteUnit } from '../config/types/index.js';
import { StoredCredential } from '../config/model/credential.js';
import { FlagSet } from '../config/model/enums.js';
import { registerValueType, typeNameOf } from '../shell/members.js';
import { UtcDate } from './object-output.js';
import { RuntimeError } from '../shell/errors.js';

const EXCHANGE_DATA = 'Microsoft.Exchange.Data, Version=15.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35';
const MSCORLIB = 'mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089';

/** ToMB() and its siblings: the whole number of units (UInt64, truncated), as Exchange's ByteQuantifiedSize returns. */
function inUnit(unit: ByteUnit) {
  return (v: ByteQuantifiedSize, args: unknown[]): number => {
    if (args.length > 0) throw overloadError(`To${unit === 'B' ? 'Bytes' : unit}`, args.length);
    return Math.floor(v.in(unit));
  };
}

function overloadError(method: string, count: number): RuntimeError {
  return new RuntimeError(`Cannot find an overload for "${method}" and the argument count: "${count}".`, 'MethodCountCouldNotFindBest', 'NotSpecified', 'MethodException');
}

const TICKS_PER_MS = 10_000n;
const span = (t: EnhancedTimeSpan) => {
  const neg = t.ticks < 0n;
  const abs = neg ? -t.ticks : t.ticks;
  const sign = neg ? -1 : 1;
  const part = (unit: bigint, mod: bigint) => sign * Number((abs / unit) % mod);
  return { sign, abs, part };
};
const MS = TICKS_PER_MS;
const SEC = 1000n * MS;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;
const DAY = 24n * HOUR;

function otherSpan(method: string, args: unknown[]): EnhancedTimeSpan {
  if (args.length !== 1) throw overloadError(method, args.length);
  try {
    return EnhancedTimeSpan.parse(args[0] instanceof EnhancedTimeSpan ? args[0] : String(args[0]));
  } catch (err) {
    throw new RuntimeError(
      `Cannot convert argument "ts", with value: "${String(args[0])}", for "${method}" to type "Microsoft.Exchange.Data.EnhancedTimeSpan": "${(err as Error).message}"`,
      'MethodArgumentConversionInvalidCastArgument',
      'NotSpecified',
      'MethodException',
    );
  }
}

function ipString(family: 'IPv4' | 'IPv6', value: bigint): string {
  return IPAddress.fromValue(family, value).toString();
}

/** The number of addresses of a range, written as Exchange writes IPRange.Size: an IPv6 address ("::1", "::100"). */
function rangeSize(r: IPRange): string {
  const count = r.last - r.first + 1n;
  return count >= 1n << 128n ? 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' : ipString('IPv6', count);
}

function netmask(r: IPRange): string | null {
  if (r.form !== 'cidr' || r.prefixLength === undefined) return null;
  const bits = r.family === 'IPv4' ? 32n : 128n;
  const prefix = BigInt(r.prefixLength);
  const mask = prefix === 0n ? 0n : ((1n << prefix) - 1n) << (bits - prefix);
  return ipString(r.family, mask);
}

const RANGE_FORMAT = { single: 'SingleAddress', range: 'LoHi', cidr: 'CIDR' } as const;

function innerTypeName(u: Unlimited<unknown>): string {
  const inner = u.valueOrUndefined;
  if (inner === undefined) return 'System.Object';
  return typeof inner === 'number' ? 'System.Int32' : typeNameOf(inner);
}

function assemblyOf(typeName: string): string {
  return typeName.startsWith('System.') ? MSCORLIB : EXCHANGE_DATA;
}

/** The Password of a stored credential: its type name, nothing of the secret. */
class SealedPassword {
  toString(): string {
    return 'System.Security.SecureString';
  }
  toJSON(): string {
    return 'System.Security.SecureString';
  }
}
const SEALED = new SealedPassword();

let registered = false;

/** Registers the value types with the shell (once per process). */
export function registerValueTypes(): void {
  if (registered) return;
  registered = true;
  registerValueType({ typeName: 'System.DateTime', test: (v) => v instanceof UtcDate, properties: [] });
  registerValueType({
    typeName: 'System.Management.Automation.PSCredential',
    test: (v) => v instanceof StoredCredential,
    properties: [
      ['UserName', (v: StoredCredential) => v.userName],
      ['Password', () => SEALED],
    ],
  });
  registerValueType({ typeName: 'System.Security.SecureString', test: (v) => v instanceof SealedPassword, properties: [] });
  registerValueType({
    typeName: 'System.Enum',
    // a flags enum of Exchange (AuthMechanisms, PermissionGroups, ErrorPolicies): its .NET name is the flag type's
    nameOf: (v: FlagSet) => (v as unknown as { type: { typeName: string } }).type.typeName,
    test: (v) => v instanceof FlagSet,
    properties: [],
    methods: { hasflag: (v: FlagSet, args: unknown[]) => v.has(String(args[0])) },
    signatures: ['bool HasFlag(System.Enum flag)'],
  });
  registerValueType({ typeName: 'Microsoft.Exchange.Data.Fqdn', test: (v) => v instanceof Fqdn, properties: [] });
  registerValueType({
    typeName: 'Microsoft.Exchange.Data.ByteQuantifiedSize',
    test: (v) => v instanceof ByteQuantifiedSize,
    properties: [],
    methods: {
      tobytes: inUnit('B'),
      tokb: inUnit('KB'),
      tomb: inUnit('MB'),
      togb: inUnit('GB'),
      totb: inUnit('TB'),
      compareto: (v: ByteQuantifiedSize, args: unknown[]) => Math.sign(v.compareTo(ByteQuantifiedSize.parse(args[0]))),
      equals: (v: ByteQuantifiedSize, args: unknown[]) => v.equals(args[0]),
    },
    signatures: ['uint64 ToBytes()', 'uint64 ToKB()', 'uint64 ToMB()', 'uint64 ToGB()', 'uint64 ToTB()', 'int CompareTo(Microsoft.Exchange.Data.ByteQuantifiedSize other)', 'bool Equals(System.Object obj)'],
  });
  registerValueType({
    typeName: 'Microsoft.Exchange.Data.Unlimited`1',
    nameOf: (v: Unlimited<unknown>) => {
      const inner = innerTypeName(v);
      return `Microsoft.Exchange.Data.Unlimited\`1[[${inner}, ${assemblyOf(inner)}]]`;
    },
    test: (v) => v instanceof Unlimited,
    properties: [
      ['IsUnlimited', (v: Unlimited<unknown>) => v.isUnlimited],
      ['Value', (v: Unlimited<unknown>) => (v.isUnlimited ? null : v.value)],
    ],
    methods: {
      equals: (v: Unlimited<unknown>, args: unknown[]) => v.equals(args[0]) || String(v).toLowerCase() === String(args[0]).toLowerCase(),
    },
  });
  registerValueType({
    typeName: 'Microsoft.Exchange.Data.EnhancedTimeSpan',
    test: (v) => v instanceof EnhancedTimeSpan,
    properties: [
      ['Days', (v: EnhancedTimeSpan) => span(v).sign * Number(span(v).abs / DAY)],
      ['Hours', (v: EnhancedTimeSpan) => span(v).part(HOUR, 24n)],
      ['Minutes', (v: EnhancedTimeSpan) => span(v).part(MIN, 60n)],
      ['Seconds', (v: EnhancedTimeSpan) => span(v).part(SEC, 60n)],
      ['Milliseconds', (v: EnhancedTimeSpan) => span(v).part(MS, 1000n)],
      ['Ticks', (v: EnhancedTimeSpan) => Number(v.ticks)],
      ['TotalDays', (v: EnhancedTimeSpan) => Number(v.ticks) / Number(DAY)],
      ['TotalHours', (v: EnhancedTimeSpan) => Number(v.ticks) / Number(HOUR)],
      ['TotalMinutes', (v: EnhancedTimeSpan) => Number(v.ticks) / Number(MIN)],
      ['TotalSeconds', (v: EnhancedTimeSpan) => Number(v.ticks) / Number(SEC)],
      ['TotalMilliseconds', (v: EnhancedTimeSpan) => Number(v.ticks) / Number(MS)],
    ],
    methods: {
      add: (v: EnhancedTimeSpan, args: unknown[]) => EnhancedTimeSpan.fromTicks(v.ticks + otherSpan('Add', args).ticks),
      subtract: (v: EnhancedTimeSpan, args: unknown[]) => EnhancedTimeSpan.fromTicks(v.ticks - otherSpan('Subtract', args).ticks),
      negate: (v: EnhancedTimeSpan) => EnhancedTimeSpan.fromTicks(-v.ticks),
      duration: (v: EnhancedTimeSpan) => EnhancedTimeSpan.fromTicks(v.ticks < 0n ? -v.ticks : v.ticks),
      compareto: (v: EnhancedTimeSpan, args: unknown[]) => v.compareTo(otherSpan('CompareTo', args)),
      equals: (v: EnhancedTimeSpan, args: unknown[]) => v.equals(otherSpan('Equals', args)),
    },
    signatures: [
      'Microsoft.Exchange.Data.EnhancedTimeSpan Add(Microsoft.Exchange.Data.EnhancedTimeSpan ts)',
      'Microsoft.Exchange.Data.EnhancedTimeSpan Subtract(Microsoft.Exchange.Data.EnhancedTimeSpan ts)',
      'Microsoft.Exchange.Data.EnhancedTimeSpan Negate()',
      'Microsoft.Exchange.Data.EnhancedTimeSpan Duration()',
      'int CompareTo(Microsoft.Exchange.Data.EnhancedTimeSpan value)',
      'bool Equals(System.Object value)',
    ],
  });
  registerValueType({
    typeName: 'Microsoft.Exchange.Data.IPRange',
    test: (v) => v instanceof IPRange,
    properties: [
      ['LowerBound', (v: IPRange) => v.firstAddress],
      ['UpperBound', (v: IPRange) => v.lastAddress],
      ['Netmask', (v: IPRange) => netmask(v)],
      ['CIDRLength', (v: IPRange) => (v.form === 'cidr' ? (v.prefixLength ?? null) : null)],
      ['RangeFormat', (v: IPRange) => RANGE_FORMAT[v.form]],
      ['Size', (v: IPRange) => rangeSize(v)],
    ],
    methods: {
      contains: (v: IPRange, args: unknown[]) => v.contains(String(args[0])),
    },
    signatures: ['bool Contains(System.Net.IPAddress address)'],
  });
  registerValueType({
    typeName: 'System.Net.IPAddress',
    test: (v) => v instanceof IPAddress,
    properties: [
      ['AddressFamily', (v: IPAddress) => (v.family === 'IPv4' ? 'InterNetwork' : 'InterNetworkV6')],
      ['IsIPv4MappedToIPv6', (v: IPAddress) => v.isIPv4Mapped],
      ['IPAddressToString', (v: IPAddress) => v.toString()],
    ],
  });
  registerValueType({
    typeName: 'Microsoft.Exchange.Data.SmartHost',
    test: (v) => v instanceof SmartHost,
    properties: [
      ['Domain', (v: SmartHost) => v.hostName ?? null],
      ['Address', (v: SmartHost) => v.address ?? null],
      ['IsIPAddress', (v: SmartHost) => v.isIpAddress],
    ],
  });
  registerValueType({
    typeName: 'Microsoft.Exchange.Data.AddressSpace',
    test: (v) => v instanceof AddressSpace,
    properties: [
      ['Type', (v: AddressSpace) => v.type],
      ['Domain', (v: AddressSpace) => (v.isSmtp && v.address !== '--' ? v.address : null)],
      ['Address', (v: AddressSpace) => v.address],
      ['Cost', (v: AddressSpace) => v.cost],
      ['IncludeSubDomains', (v: AddressSpace) => v.isSmtp && v.address.startsWith('*')],
      ['IsSmtpType', (v: AddressSpace) => v.isSmtp],
      ['IsX400Type', (v: AddressSpace) => v.type === 'X400'],
    ],
  });
  registerValueType({
    typeName: 'Microsoft.Exchange.Data.IPBinding',
    test: (v) => v instanceof IPBinding,
    properties: [
      ['Address', (v: IPBinding) => v.address],
      ['Port', (v: IPBinding) => v.port],
      ['AddressFamily', (v: IPBinding) => (v.family === 'IPv4' ? 'InterNetwork' : 'InterNetworkV6')],
    ],
  });
  registerValueType({
    typeName: 'System.Net.IPEndPoint',
    test: (v) => v instanceof IPEndpoint,
    properties: [
      ['Address', (v: IPEndpoint) => v.address],
      ['Port', (v: IPEndpoint) => v.port ?? null],
      ['AddressFamily', (v: IPEndpoint) => (v.address.family === 'IPv4' ? 'InterNetwork' : 'InterNetworkV6')],
    ],
  });
  registerValueType({
    typeName: 'Microsoft.Exchange.Data.SmtpAddress',
    test: (v) => v instanceof SmtpAddress,
    properties: [
      ['Local', (v: SmtpAddress) => v.local],
      ['Domain', (v: SmtpAddress) => v.domain],
      ['Length', (v: SmtpAddress) => v.address.length],
      ['IsValidAddress', () => true],
    ],
  });
  registerValueType({
    typeName: 'Microsoft.Exchange.Data.SmtpDomain',
    test: (v) => v instanceof SmtpDomain,
    properties: [['Domain', (v: SmtpDomain) => v.domain]],
  });
  registerValueType({
    typeName: 'Microsoft.Exchange.Data.SmtpDomainWithSubdomains',
    test: (v) => v instanceof SmtpDomainWithSubdomains,
    properties: [
      ['IncludeSubDomains', (v: SmtpDomainWithSubdomains) => v.includeSubdomains],
      ['IsStar', (v: SmtpDomainWithSubdomains) => v.isStar],
      ['Domain', (v: SmtpDomainWithSubdomains) => v.domain],
      ['SmtpDomain', (v: SmtpDomainWithSubdomains) => v.domain],
      ['Address', (v: SmtpDomainWithSubdomains) => String(v)],
    ],
  });
}
