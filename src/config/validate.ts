// Cross-property and cross-object rules of the configuration model, in one
// place for the shell and the service alike (spec exchange-connectors.md §1.5,
// §3.4, §3.5, §3.7, §7.4). Each rule returns the problems it finds as
// { property, message }; an empty list means the object may be stored.

import type { ServerRoleName } from './model/server.js';

export interface Problem {
  /** The parameter the admin should change. */
  property: string;
  message: string;
}

export interface ValidationEnv {
  role: ServerRoleName;
}

type Values = Record<string, unknown>;

/** Names of a flag-set value (the enums module returns arrays or objects that print "A, B"). */
export function flagNames(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.map(String);
  const names = (v as { names?: unknown }).names;
  if (Array.isArray(names)) return names.map(String);
  return String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === null || v === undefined ? [] : [v];
}

export function validateSendConnector(v: Values, env: ValidationEnv): Problem[] {
  const problems: Problem[] = [];
  const smartHosts = list(v.SmartHosts);
  const dns = v.DNSRoutingEnabled !== false;
  const mech = String(v.SmartHostAuthMechanism ?? 'None');
  const spaces = list(v.AddressSpaces) as { isSmtp?: boolean; address?: string; toString(): string }[];

  if (spaces.length === 0) problems.push({ property: 'AddressSpaces', message: 'A Send connector needs at least one address space. Specify -AddressSpaces, for example * or *.contoso.com.' });
  if (!dns && smartHosts.length === 0) problems.push({ property: 'SmartHosts', message: 'When DNSRoutingEnabled is $false, you must specify at least one smart host with the SmartHosts parameter.' });
  if (dns && smartHosts.length > 0) problems.push({ property: 'DNSRoutingEnabled', message: 'Smart hosts can only be used when DNS routing is disabled. Set -DNSRoutingEnabled $false together with -SmartHosts.' });
  if ((mech === 'BasicAuth' || mech === 'BasicAuthRequireTLS') && !v.AuthenticationCredential) {
    problems.push({ property: 'AuthenticationCredential', message: `SmartHostAuthMechanism ${mech} needs a credential. Create one with $cred = Get-Credential and pass -AuthenticationCredential $cred.` });
  }
  if (mech !== 'None' && dns) problems.push({ property: 'SmartHostAuthMechanism', message: `SmartHostAuthMechanism ${mech} applies only to smart hosts. Set -DNSRoutingEnabled $false and -SmartHosts, or use -SmartHostAuthMechanism None.` });
  if (v.AuthenticationCredential && mech !== 'BasicAuth' && mech !== 'BasicAuthRequireTLS') {
    problems.push({
      property: 'AuthenticationCredential',
      message: 'AuthenticationCredential is used only with SmartHostAuthMechanism BasicAuth or BasicAuthRequireTLS. Set the mechanism in the same command, or clear the credential with -AuthenticationCredential $null.',
    });
  }
  if (v.RequireTLS === true && v.IgnoreSTARTTLS === true) problems.push({ property: 'IgnoreSTARTTLS', message: 'IgnoreSTARTTLS must be $false when RequireTLS is $true.' });
  if (v.TlsAuthLevel !== null && v.TlsAuthLevel !== undefined) {
    if (v.IgnoreSTARTTLS === true || v.RequireTLS !== true)
      problems.push({
        property: 'TlsAuthLevel',
        message: `TlsAuthLevel can be set only when RequireTLS is $true and IgnoreSTARTTLS is $false. Set them in the same command (-RequireTLS $true -TlsAuthLevel ${String(v.TlsAuthLevel)}; a connector with SmartHostAuthMechanism BasicAuthRequireTLS uses TLS anyway), or clear it with -TlsAuthLevel $null.`,
      });
    if (String(v.TlsAuthLevel) === 'DomainValidation' && !dns && !v.TlsDomain)
      problems.push({ property: 'TlsDomain', message: "TlsAuthLevel DomainValidation on a smart-host connector needs -TlsDomain (the domain the smart hosts' certificates must match)." });
  }
  if (v.DomainSecureEnabled === true && (!dns || v.IgnoreSTARTTLS === true)) {
    problems.push({ property: 'DomainSecureEnabled', message: "DomainSecureEnabled $true works only with DNSRoutingEnabled $true and IgnoreSTARTTLS $false (Domain Security connects to the domain's own MX servers over TLS)." });
  }
  if (v.DaneEnabled === true && (!dns || v.IgnoreSTARTTLS === true)) {
    problems.push({ property: 'DaneEnabled', message: "DaneEnabled $true works only with DNSRoutingEnabled $true and IgnoreSTARTTLS $false (DANE applies to delivery to a domain's own MX hosts over STARTTLS). Set -DaneEnabled $false." });
  }
  if (v.MtaStsEnabled === true && (!dns || v.IgnoreSTARTTLS === true)) {
    problems.push({
      property: 'MtaStsEnabled',
      message: "MtaStsEnabled $true works only with DNSRoutingEnabled $true and IgnoreSTARTTLS $false (MTA-STS applies to delivery to a domain's own MX hosts over STARTTLS). Set -MtaStsEnabled $false.",
    });
  }
  if (v.TlsDomain && String(v.TlsAuthLevel ?? '') !== 'DomainValidation') problems.push({ property: 'TlsDomain', message: 'TlsDomain is used only with -TlsAuthLevel DomainValidation.' });
  for (const s of spaces) {
    if (s.isSmtp === false && env.role === 'EdgeTransport') problems.push({ property: 'AddressSpaces', message: `The address space "${s}" is not of type SMTP. Edge Transport servers accept only SMTP address spaces.` });
    if (s.isSmtp === false && dns) problems.push({ property: 'AddressSpaces', message: `The non-SMTP address space "${s}" needs smart host routing: set -DNSRoutingEnabled $false and -SmartHosts.` });
    if (s.address === '--' && env.role !== 'EdgeTransport') problems.push({ property: 'AddressSpaces', message: 'The address space "--" (all accepted domains) is valid only on Edge Transport servers.' });
  }
  return problems;
}

interface RangeLike {
  equals(o: unknown): boolean;
  nestedIn(o: unknown): boolean;
  partiallyOverlaps(o: unknown): boolean;
  toString(): string;
}
interface BindingLike {
  overlaps(o: unknown): boolean;
  toString(): string;
}

export function validateReceiveConnector(v: Values, others: { name: string; values: Values }[], env: ValidationEnv): Problem[] {
  const problems: Problem[] = [];
  const auth = flagNames(v.AuthMechanism);
  const groups = flagNames(v.PermissionGroups);
  const bindings = list(v.Bindings) as BindingLike[];
  const ranges = list(v.RemoteIPRanges) as RangeLike[];

  if (bindings.length === 0) problems.push({ property: 'Bindings', message: 'A Receive connector needs at least one binding, for example -Bindings 10.1.1.1:25.' });
  if (ranges.length === 0) problems.push({ property: 'RemoteIPRanges', message: 'A Receive connector needs at least one remote IP range, for example -RemoteIPRanges 0.0.0.0-255.255.255.255.' });
  if (auth.includes('None') && auth.length > 1) problems.push({ property: 'AuthMechanism', message: 'The authentication mechanism None cannot be combined with other values.' });
  if (auth.includes('BasicAuthRequireTLS') && !(auth.includes('BasicAuth') && auth.includes('Tls'))) {
    problems.push({ property: 'AuthMechanism', message: 'BasicAuthRequireTLS requires BasicAuth and Tls in the same AuthMechanism value, e.g. -AuthMechanism Tls,BasicAuth,BasicAuthRequireTLS.' });
  }
  if (auth.includes('ExternalAuthoritative') && auth.some((a) => a !== 'ExternalAuthoritative' && a !== 'Tls')) {
    problems.push({ property: 'AuthMechanism', message: 'ExternalAuthoritative can be combined only with Tls.' });
  }
  if (auth.includes('ExternalAuthoritative') && !groups.includes('ExchangeServers')) {
    problems.push({ property: 'PermissionGroups', message: 'ExternalAuthoritative requires the permission group ExchangeServers (-PermissionGroups ExchangeServers).' });
  }
  if (auth.includes('Integrated')) problems.push({ property: 'AuthMechanism', message: 'Integrated (NTLM/Kerberos) authentication is not available in Gatehouse. Use Tls,BasicAuth,BasicAuthRequireTLS.' });
  if (v.DomainSecureEnabled === true && (!auth.includes('Tls') || auth.includes('ExternalAuthoritative'))) {
    problems.push({ property: 'DomainSecureEnabled', message: 'DomainSecureEnabled $true requires Tls in AuthMechanism and cannot be combined with ExternalAuthoritative.' });
  }
  if (v.RequireTLS === true && !auth.includes('Tls')) problems.push({ property: 'RequireTLS', message: 'RequireTLS $true requires Tls in AuthMechanism.' });
  if (groups.includes('None') && groups.length > 1) problems.push({ property: 'PermissionGroups', message: 'The permission group None cannot be combined with other values.' });
  if (env.role === 'EdgeTransport') {
    for (const g of ['ExchangeLegacyServers', 'ExchangeUsers']) {
      if (groups.includes(g)) problems.push({ property: 'PermissionGroups', message: `The permission group ${g} is not available on an Edge Transport server.` });
    }
  }
  if (v.BinaryMimeEnabled === true && v.ChunkingEnabled === false) problems.push({ property: 'BinaryMimeEnabled', message: 'BinaryMimeEnabled $true requires ChunkingEnabled $true.' });
  const timeout = (v.ConnectionTimeout as { milliseconds?: number } | null)?.milliseconds;
  const idle = (v.ConnectionInactivityTimeout as { milliseconds?: number } | null)?.milliseconds;
  if (timeout !== undefined && idle !== undefined && !(idle < timeout)) {
    problems.push({ property: 'ConnectionInactivityTimeout', message: `ConnectionInactivityTimeout (${v.ConnectionInactivityTimeout}) must be less than ConnectionTimeout (${v.ConnectionTimeout}).` });
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (ranges[i].partiallyOverlaps(ranges[j]))
        problems.push({ property: 'RemoteIPRanges', message: `The remote IP ranges ${ranges[i]} and ${ranges[j]} partially overlap. Ranges must not overlap unless one lies completely inside the other.` });
    }
  }

  // One binding + remote range combination per server (spec §3.7): ranges on
  // overlapping bindings must differ and may only nest, never partially overlap.
  for (const other of others) {
    const oBindings = list(other.values.Bindings) as BindingLike[];
    const oRanges = list(other.values.RemoteIPRanges) as RangeLike[];
    const shared = bindings.filter((b) => oBindings.some((ob) => b.overlaps(ob)));
    if (shared.length === 0) continue;
    const sameSet = ranges.length === oRanges.length && ranges.every((r) => oRanges.some((o) => r.equals(o)));
    if (sameSet) {
      problems.push({
        property: 'Bindings',
        message: `The values that you specified for the Bindings and RemoteIPRanges parameters conflict with the settings on Receive connector "${other.name}". A Receive connector must have a unique combination of a local IP address & port bindings and remote IP address ranges. Change the Bindings or the RemoteIPRanges (the binding ${shared[0]} is shared).`,
      });
      continue;
    }
    for (const r of ranges) {
      const clash = oRanges.find((o) => r.partiallyOverlaps(o));
      if (clash) {
        problems.push({
          property: 'RemoteIPRanges',
          message: `The remote IP range ${r} partially overlaps the range ${clash} of Receive connector "${other.name}" on the shared binding ${shared[0]}. Overlapping ranges must nest (one completely inside the other).`,
        });
      }
    }
  }
  return problems;
}

export function validateAcceptedDomain(v: Values, others: { name: string; values: Values }[]): Problem[] {
  const problems: Problem[] = [];
  const domain = String(v.DomainName ?? '').toLowerCase();
  for (const o of others) {
    if (String(o.values.DomainName ?? '').toLowerCase() === domain) {
      problems.push({ property: 'DomainName', message: `The domain ${v.DomainName} is already configured as accepted domain "${o.name}".` });
    }
  }
  return problems;
}
