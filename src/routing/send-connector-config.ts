// Send connectors as the routing and delivery code sees them: plain runtime
// settings read from the configuration objects, with the credential still
// sealed (it is opened only by the code that authenticates).

import { flagNames } from '../config/validate.js';
import type { AddressSpace, ByteQuantifiedSize, EnhancedTimeSpan, SmartHost, Unlimited } from '../config/types/index.js';
import type { StoredCredential } from '../config/model/credential.js';
import type { ModelObject, Repository } from '../store/repository.js';

export interface SendConnectorConfig {
  guid: string;
  name: string;
  enabled: boolean;
  usage: string;
  addressSpaces: AddressSpace[];
  dnsRoutingEnabled: boolean;
  smartHosts: SmartHost[];
  smartHostAuthMechanism: string;
  credential: StoredCredential | null;
  /** Purpose string the credential was sealed with. */
  credentialPurpose: string;
  port: number;
  /** null = unlimited. */
  maxMessageSize: number | null;
  fqdn: string | null;
  forceHelo: boolean;
  requireTls: boolean;
  ignoreStartTls: boolean;
  tlsAuthLevel: 'EncryptionOnly' | 'CertificateValidation' | 'DomainValidation' | null;
  tlsDomain: string | null;
  tlsCertificateName: string | null;
  useExternalDnsServers: boolean;
  sourceIpAddress: string | null;
  connectionInactivityTimeoutMs: number;
  maxMessagesPerConnection: number;
  sourceTransportServers: string[];
  errorPolicies: string[];
  protocolLogging: boolean;
  /** DomainSecureEnabled: mutual TLS to the domains of TLSSendDomainSecureList. */
  domainSecureEnabled?: boolean;
  /** MtaStsEnabled: MTA-STS policies and TLS reporting for DNS-routed delivery. */
  mtaStsEnabled?: boolean;
  /** DaneEnabled: DANE (RFC 7672) for DNS-routed delivery over STARTTLS. */
  daneEnabled?: boolean;
}

export function sendConnectorConfig(o: ModelObject): SendConnectorConfig {
  const v = o.values;
  const size = v.MaxMessageSize as Unlimited<ByteQuantifiedSize>;
  const source = v.SourceIPAddress ? String(v.SourceIPAddress) : null;
  return {
    guid: o.guid,
    name: String(v.Name),
    enabled: v.Enabled === true,
    usage: String(v.Usage ?? 'Custom'),
    addressSpaces: (v.AddressSpaces as AddressSpace[]) ?? [],
    dnsRoutingEnabled: v.DNSRoutingEnabled !== false,
    smartHosts: (v.SmartHosts as SmartHost[]) ?? [],
    smartHostAuthMechanism: String(v.SmartHostAuthMechanism ?? 'None'),
    credential: (v.AuthenticationCredential as StoredCredential | null) ?? null,
    credentialPurpose: `SendConnector/${o.guid}/AuthenticationCredential`,
    port: Number(v.Port ?? 25),
    maxMessageSize: size.isUnlimited ? null : size.value.bytes,
    fqdn: v.Fqdn ? String(v.Fqdn) : null,
    forceHelo: v.ForceHELO === true,
    requireTls: v.RequireTLS === true,
    ignoreStartTls: v.IgnoreSTARTTLS === true,
    tlsAuthLevel: (v.TlsAuthLevel as SendConnectorConfig['tlsAuthLevel']) ?? null,
    tlsDomain: v.TlsDomain ? String(v.TlsDomain) : null,
    tlsCertificateName: v.TlsCertificateName ? String(v.TlsCertificateName) : null,
    useExternalDnsServers: v.UseExternalDNSServersEnabled === true,
    sourceIpAddress: source && source !== '0.0.0.0' && source !== '::' ? source : null,
    connectionInactivityTimeoutMs: (v.ConnectionInactivityTimeOut as EnhancedTimeSpan).milliseconds,
    maxMessagesPerConnection: Number(v.SmtpMaxMessagesPerConnection ?? 20),
    sourceTransportServers: Array.isArray(v.SourceTransportServers) ? v.SourceTransportServers.map(String) : [],
    errorPolicies: flagNames(v.ErrorPolicies),
    protocolLogging: String(v.ProtocolLoggingLevel) === 'Verbose',
    domainSecureEnabled: v.DomainSecureEnabled === true,
    mtaStsEnabled: v.MtaStsEnabled === true && v.DNSRoutingEnabled !== false && v.IgnoreSTARTTLS !== true,
    daneEnabled: v.DaneEnabled !== false && v.DNSRoutingEnabled !== false && v.IgnoreSTARTTLS !== true,
  };
}

/** The smart-host list as Exchange names the queue: names as written, IP addresses in brackets. */
export function smartHostList(c: SendConnectorConfig): string {
  return c.smartHosts.map((h) => (h.isIpAddress ? `[${h}]` : String(h))).join(',');
}

/** A Send connector's credential, opened from its sealed form; null when it has none. */
export function connectorCredential(repo: Repository, c: SendConnectorConfig): { username: string; password: string } | null {
  return c.credential?.sealed ? { username: c.credential.userName, password: repo.openSecret(c.credential.sealed, c.credentialPurpose) } : null;
}
