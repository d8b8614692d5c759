// Exchange enumerations and flag sets, parsed and displayed as the shell does.
//
// defineEnum(typeName, values): a single-valued enum. parse() matches a name
// case-insensitively (white space around it ignored) and returns the
// canonical spelling. Unknown names fail with PowerShell's conversion text:
//   Cannot convert value "Foo" to type "<typeName>". Error: "Unable to match
//   the identifier name Foo to a valid enumerator name. Specify one of the
//   following enumerator names and try again:
//   Custom, Internal, Internet, Partner"
// (Windows PowerShell puts the list on its own line.)
//
// defineFlags(typeName, values, options): a flag set. Input is an array
// and/or comma-separated text ("Tls,BasicAuth", "Tls, BasicAuth"); the result
// is the canonical names in declared order, duplicates removed. A composite
// (e.g. MessageRateSource All = User + IPAddress) replaces its members when
// all of them are present. Display joins with ", " in declared order; the
// empty set displays as the zero name (e.g. "None") when one is declared.
// Combination rules (such as "None must be used alone") are the caller's.
//
// Declared orders follow the enums' bit order, which is the order Exchange
// prints: "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
// "AnonymousUsers, ExchangeUsers, ExchangeServers, ExchangeLegacyServers, Partners".

import { ValueError, inputText } from './value-error.js';

export interface EnumType<V extends string> {
  readonly typeName: string;
  readonly values: readonly V[];
  parse(input: unknown): V;
  is(input: unknown): input is V;
}

export interface FlagsType<V extends string> {
  readonly typeName: string;
  readonly values: readonly V[];
  /** The name displayed for the empty set, if the enum declares one. */
  readonly zero: V | undefined;
  parse(input: unknown): V[];
  /** "Tls, BasicAuth" (declared order; the zero name for an empty set). */
  format(set: readonly V[]): string;
  /** Whether the set includes the flag, directly or through a composite. */
  has(set: readonly V[], flag: V): boolean;
}

function enumError(typeName: string, values: readonly string[], input: unknown, name: string): ValueError {
  return new ValueError(
    `Cannot convert value "${inputText(input)}" to type "${typeName}". Error: "Unable to match the identifier name ${name} ` +
      `to a valid enumerator name. Specify one of the following enumerator names and try again:\n${values.join(', ')}"`,
    input,
    values,
  );
}

function lookup<V extends string>(values: readonly V[]): Map<string, V> {
  return new Map(values.map((v) => [v.toLowerCase(), v]));
}

export function defineEnum<const V extends string>(typeName: string, values: readonly V[]): EnumType<V> {
  const byLower = lookup(values);
  return Object.freeze({
    typeName,
    values: Object.freeze([...values]),
    parse(input: unknown): V {
      const single = Array.isArray(input) && input.length === 1 ? input[0] : input;
      const name = typeof single === 'string' ? single.trim() : inputText(single);
      const found = typeof single === 'string' ? byLower.get(name.toLowerCase()) : undefined;
      if (found === undefined) throw enumError(typeName, values, input, name);
      return found;
    },
    is(input: unknown): input is V {
      return typeof input === 'string' && values.includes(input as V);
    },
  });
}

export interface FlagsOptions<V extends string> {
  /** Name shown for an empty set (".NET value 0"), e.g. "None". */
  zero?: V;
  /** Names that stand for a combination of other flags, e.g. { All: ['User', 'IPAddress'] }. */
  composites?: Partial<Record<V, readonly V[]>>;
}

export function defineFlags<const V extends string>(typeName: string, values: readonly V[], options: FlagsOptions<V> = {}): FlagsType<V> {
  const byLower = lookup(values);
  const composites = Object.entries(options.composites ?? {}) as [V, readonly V[]][];
  const order = new Map(values.map((v, i) => [v, i]));

  function normalize(set: Iterable<V>): V[] {
    const present = new Set(set);
    for (const [name, members] of composites) {
      if (present.has(name) || members.every((m) => present.has(m))) {
        present.add(name);
        for (const m of members) present.delete(m);
      }
    }
    return [...present].sort((a, b) => order.get(a)! - order.get(b)!);
  }

  return Object.freeze({
    typeName,
    values: Object.freeze([...values]),
    zero: options.zero,
    parse(input: unknown): V[] {
      const items = Array.isArray(input) ? input : [input];
      const found: V[] = [];
      for (const item of items) {
        if (typeof item !== 'string') throw enumError(typeName, values, input, inputText(item));
        for (const part of item.split(',')) {
          const name = part.trim();
          const v = byLower.get(name.toLowerCase());
          if (v === undefined) throw enumError(typeName, values, input, name);
          found.push(v);
        }
      }
      return normalize(found);
    },
    format(set: readonly V[]): string {
      const n = normalize(set);
      if (n.length === 0) return options.zero ?? '';
      return n.join(', ');
    },
    has(set: readonly V[], flag: V): boolean {
      if (set.includes(flag)) return true;
      return composites.some(([name, members]) => set.includes(name) && members.includes(flag));
    },
  });
}

const NS = 'Microsoft.Exchange.Data.Directory.SystemConfiguration';

/** New-SendConnector -Usage. */
export const SendConnectorUsageType = defineEnum(`${NS}.UsageType`, ['Custom', 'Internal', 'Internet', 'Partner']);
export type SendConnectorUsageType = (typeof SendConnectorUsageType.values)[number];

/** New-ReceiveConnector -Usage. */
export const ReceiveConnectorUsageType = defineEnum(`${NS}.ReceiveConnectorUsageType`, ['Client', 'Internal', 'Internet', 'Partner', 'Custom']);
export type ReceiveConnectorUsageType = (typeof ReceiveConnectorUsageType.values)[number];

/** Receive connector -AuthMechanism. */
export const AuthMechanisms = defineFlags(`${NS}.AuthMechanisms`, ['None', 'Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer', 'ExternalAuthoritative'], { zero: 'None' });
export type AuthMechanism = (typeof AuthMechanisms.values)[number];

/** Send connector -SmartHostAuthMechanism: exactly one value. */
export const SmartHostAuthMechanism = defineEnum(`${NS}.AuthMechanisms`, ['None', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer', 'ExternalAuthoritative']);
export type SmartHostAuthMechanism = (typeof SmartHostAuthMechanism.values)[number];

/** Receive connector -PermissionGroups. */
export const PermissionGroups = defineFlags(`${NS}.PermissionGroups`, ['None', 'AnonymousUsers', 'ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers', 'Partners', 'Custom'], { zero: 'None' });
export type PermissionGroup = (typeof PermissionGroups.values)[number];

/** Send connector -TlsAuthLevel. */
export const TlsAuthLevel = defineEnum('Microsoft.Exchange.Data.TlsAuthLevel', ['EncryptionOnly', 'CertificateValidation', 'DomainValidation']);
export type TlsAuthLevel = (typeof TlsAuthLevel.values)[number];

/** Send connector -ErrorPolicies. */
export const ErrorPolicies = defineFlags(`${NS}.ErrorPolicies`, ['Default', 'DowngradeDnsFailures', 'DowngradeCustomFailures', 'UpgradeCustomFailures'], { zero: 'Default' });
export type ErrorPolicy = (typeof ErrorPolicies.values)[number];

/** Connector -ProtocolLoggingLevel. */
export const ProtocolLoggingLevel = defineEnum(`${NS}.ProtocolLoggingLevel`, ['None', 'Verbose']);
export type ProtocolLoggingLevel = (typeof ProtocolLoggingLevel.values)[number];

/** Receive connector -SizeEnabled. */
export const SizeMode = defineEnum(`${NS}.SizeMode`, ['Enabled', 'Disabled', 'EnabledWithoutValue']);
export type SizeMode = (typeof SizeMode.values)[number];

/** Receive connector -MessageRateSource; All = User + IPAddress. */
export const MessageRateSource = defineFlags(`${NS}.MessageRateSourceFlags`, ['None', 'User', 'IPAddress', 'All'], {
  zero: 'None',
  composites: { All: ['User', 'IPAddress'] },
});
export type MessageRateSourceFlag = (typeof MessageRateSource.values)[number];

/** New-/Set-AcceptedDomain -DomainType. */
export const AcceptedDomainType = defineEnum(`${NS}.AcceptedDomainType`, ['Authoritative', 'InternalRelay', 'ExternalRelay']);
export type AcceptedDomainType = (typeof AcceptedDomainType.values)[number];

/** The role a Gatehouse server runs. */
export const ServerRole = defineEnum(`${NS}.ServerRole`, ['Mailbox', 'Edge']);
export type ServerRole = (typeof ServerRole.values)[number];

/** Set-TransportService -ExternalDNSProtocolOption / -InternalDNSProtocolOption. */
export const DNSProtocolOption = defineEnum(`${NS}.ProtocolOption`, ['Any', 'UseTcpOnly', 'UseUdpOnly']);
export type DNSProtocolOption = (typeof DNSProtocolOption.values)[number];

/** Receive connector -ExtendedProtectionPolicy. */
export const ExtendedProtectionPolicy = defineEnum(`${NS}.ExtendedProtectionPolicySetting`, ['None', 'Allow', 'Require']);
export type ExtendedProtectionPolicy = (typeof ExtendedProtectionPolicy.values)[number];

/** Receive connector -TransportRole (Mailbox servers); the parameter's type is ServerRole. */
export const TransportRole = defineEnum(`${NS}.ServerRole`, ['FrontendTransport', 'HubTransport']);
export type TransportRole = (typeof TransportRole.values)[number];
