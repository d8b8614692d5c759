// Send connector: where outbound mail goes (spec exchange-connectors.md §1, §2).
// Organization-wide on Mailbox servers (scoped by SourceTransportServers), local
// on an Edge server. Cross-property rules live in validateSendConnector.

import { prop, type ObjectSchema, type PropertyDef } from '../schema.js';
import { AddressSpace, ByteQuantifiedSize, EnhancedTimeSpan, Fqdn, SmartHost, SmtpDomainWithSubdomains, Unlimited, IPAddressValue } from '../types/index.js';
import { SendUsageType, SmartHostAuthMechanismType, TlsAuthLevelType, ErrorPoliciesFlags, ProtocolLoggingLevelType } from './enums.js';
import { parseBool, intRange, parseString, objectName } from './common.js';
import { ValueError } from '../types/value-error.js';
import { StoredCredential } from './credential.js';

const MAX_SIZE = 2147483647;

export const sendMaxMessageSize = (input: unknown) => Unlimited.parse(input, (v: unknown) => ByteQuantifiedSize.parseInRange(v, 0, MAX_SIZE, 'MaxMessageSize'));

/** `<I>issuer<S>subject` (SmtpX509Identifier). */
export function parseTlsCertificateName(input: unknown): string {
  const s = parseString(input);
  if (!/^<I>.+<S>.+$/s.test(s)) {
    throw new ValueError(`"${s}" is not a valid certificate name. Use the form "<I>issuer<S>subject", e.g. "<I>CN=edge01.contoso.net<S>CN=edge01.contoso.net".`);
  }
  return s;
}

export const sendConnectorSchema: ObjectSchema = {
  typeName: 'SendConnector',
  noun: 'SendConnector',
  label: 'Send connector',
  scope: 'organization',
  properties: [
    prop({
      name: 'AddressSpaces',
      typeName: 'MultiValuedProperty',
      multi: true,
      description: 'Recipient domains this connector routes to: [Type:]AddressSpace[;Cost], e.g. *, *.contoso.com, "contoso.com;2".',
      parse: (v) => AddressSpace.parse(v),
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'AuthenticationCredential',
      typeName: 'PSCredential',
      description: 'User name and password for BasicAuth/BasicAuthRequireTLS to the smart hosts; a PSCredential (Get-Credential), never plain text.',
      parse: StoredCredential.parseShellValue,
      settable: 'both',
      nullable: true,
      runtime: true,
      secret: true,
      store: (c, secrets) => c.toStored(secrets),
      load: (s) => StoredCredential.fromStored(s),
    }),
    prop({ name: 'Comment', typeName: 'String', description: 'Free-text comment.', parse: parseString, settable: 'both', nullable: true, runtime: false }),
    prop({
      name: 'ConnectionInactivityTimeOut',
      typeName: 'EnhancedTimeSpan',
      description: 'Longest idle time of an open outbound connection (00:00:01 to 1.00:00:00).',
      parse: (v) => EnhancedTimeSpan.parseInRange(v, 1000, 86_400_000, 'ConnectionInactivityTimeOut'),
      default: () => EnhancedTimeSpan.parse('00:10:00'),
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'DaneEnabled',
      typeName: 'Boolean',
      description:
        "Gatehouse setting (not in Exchange): DANE for SMTP (RFC 7672) on DNS-routed delivery. $true: when the connector's DNS servers validate DNSSEC and an MX host publishes usable TLSA records (DANE-TA or DANE-EE) in a signed zone, mail goes to that host only over STARTTLS with a certificate that matches them (else it waits in the queue); DANE then takes precedence over MTA-STS. Unsigned domains and non-validating DNS servers are unaffected. Default $true; a connector set to smart hosts or to IgnoreSTARTTLS gets $false unless it names -DaneEnabled, and -DaneEnabled $true is refused there (it needs DNSRoutingEnabled $true and IgnoreSTARTTLS $false).",
      parse: parseBool,
      default: true,
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'DNSRoutingEnabled', typeName: 'Boolean', description: '$true: route by DNS MX records; $false: route through SmartHosts.', parse: parseBool, default: true, settable: 'both', runtime: true }),
    prop({
      name: 'DomainSecureEnabled',
      typeName: 'Boolean',
      description:
        'Mutual TLS (Domain Security) with the destination domains listed in Set-TransportConfig -TLSSendDomainSecureList: this server presents its certificate and requires a valid one carrying the domain. Needs DNSRoutingEnabled $true and IgnoreSTARTTLS $false.',
      parse: parseBool,
      default: false,
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'Enabled', typeName: 'Boolean', description: 'Disabled connectors are ignored by routing.', parse: parseBool, default: true, settable: 'both', runtime: true }),
    prop({
      name: 'ErrorPolicies',
      flags: true,
      typeName: 'ErrorPolicies',
      description: 'How communication errors are treated: Default, DowngradeDnsFailures, DowngradeCustomFailures, UpgradeCustomFailures.',
      parse: (v) => ErrorPoliciesFlags.parse(v),
      default: () => ErrorPoliciesFlags.parse('Default'),
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'ForceHELO', typeName: 'Boolean', description: '$true: send HELO instead of EHLO.', parse: parseBool, default: false, settable: 'both', runtime: true }),
    prop({ name: 'Fqdn', typeName: 'Fqdn', description: 'Name sent in EHLO/HELO; $null = the server FQDN.', parse: (v) => Fqdn.parse(v), settable: 'both', nullable: true, runtime: true }),
    prop({
      name: 'FrontendProxyEnabled',
      typeName: 'Boolean',
      description: 'Relay through the Front End Transport service.',
      parse: parseBool,
      default: false,
      settable: 'both',
      runtime: false,
      unsupported: 'Gatehouse has no Front End Transport service: Mailbox servers deliver directly.',
    }),
    prop({ name: 'IgnoreSTARTTLS', typeName: 'Boolean', description: '$true: never use STARTTLS, even when offered.', parse: parseBool, default: false, settable: 'both', runtime: true }),
    prop({
      name: 'IsScopedConnector',
      typeName: 'Boolean',
      description: "Usable only in the source servers' site.",
      parse: parseBool,
      default: false,
      settable: 'both',
      runtime: false,
      unsupported: 'Gatehouse has no Active Directory sites; scope a connector with -SourceTransportServers.',
    }),
    prop({
      name: 'MaxMessageSize',
      typeName: 'Unlimited',
      description: 'Largest message routed through this connector (0 to 2 GB, or unlimited). Default 25 MB; with -Usage Internal, unlimited.',
      parse: sendMaxMessageSize,
      default: (ctx) => (ctx.usage === 'Internal' ? sendMaxMessageSize('unlimited') : sendMaxMessageSize('25MB')),
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'MtaStsEnabled',
      typeName: 'Boolean',
      description:
        "Gatehouse setting (not in Exchange): MTA-STS (RFC 8461) and TLS reporting (RFC 8460) for DNS-routed delivery. $true: each recipient domain's MTA-STS policy is fetched and cached; with mode enforce, mail goes only over TLS to the MX hosts the policy names, with a valid certificate carrying the host's name (else it waits in the queue); with mode testing, failures are only reported. TLS results are sent to the domain's TLS-RPT address once a day (Send-TlsReport sends them at once). Default $true for -Usage Internet with DNS routing, else $false. Needs DNSRoutingEnabled $true and IgnoreSTARTTLS $false.",
      parse: parseBool,
      default: (ctx) => ctx.usage === 'Internet',
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'Port', typeName: 'Int32', description: 'TCP port of the destination servers (default 25).', parse: intRange(0, 65535, 'Port'), default: 25, settable: 'both', runtime: true }),
    prop({ name: 'ProtocolLoggingLevel', typeName: 'ProtocolLoggingLevel', description: 'None or Verbose (SMTP send protocol log).', parse: (v) => ProtocolLoggingLevelType.parse(v), default: 'None', settable: 'both', runtime: true }),
    prop({ name: 'RequireTLS', typeName: 'Boolean', description: '$true: every message on this connector must be sent over TLS.', parse: parseBool, default: false, settable: 'both', runtime: true }),
    prop({
      name: 'SmartHostAuthMechanism',
      typeName: 'AuthMechanisms',
      description: 'Authentication to the smart hosts: None, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative.',
      parse: (v) => SmartHostAuthMechanismType.parse(v),
      default: 'None',
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'SmartHosts',
      typeName: 'MultiValuedProperty',
      multi: true,
      description: 'FQDNs or IP addresses of the smart hosts (requires -DNSRoutingEnabled $false).',
      parse: (v) => SmartHost.parse(v),
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'SmtpMaxMessagesPerConnection',
      typeName: 'Int32',
      description: 'Most messages sent over one SMTP connection.',
      parse: intRange(1, 2147483647, 'SmtpMaxMessagesPerConnection'),
      default: 20,
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'SourceIPAddress',
      typeName: 'IPAddress',
      description: 'Local address for outbound connections (Edge only); 0.0.0.0 = any.',
      parse: (v) => IPAddressValue.parse(v),
      default: () => IPAddressValue.parse('0.0.0.0'),
      settable: 'both',
      runtime: true,
      roles: ['EdgeTransport'],
    }),
    prop({
      name: 'SourceTransportServers',
      typeName: 'MultiValuedProperty',
      multi: true,
      description: 'Mailbox servers that send through this connector (not on Edge).',
      parse: parseString,
      settable: 'both',
      runtime: true,
      roles: ['Mailbox'],
    }),
    prop({
      name: 'TlsAuthLevel',
      typeName: 'TlsAuthLevel',
      description:
        "EncryptionOnly, CertificateValidation or DomainValidation (needs RequireTLS $true). Not set: encryption without checks, but the AuthenticationCredential goes only to a smart host whose certificate chains to a trusted or imported certificate and carries the smart host's name; EncryptionOnly sends it without checking.",
      parse: (v) => TlsAuthLevelType.parse(v),
      settable: 'both',
      nullable: true,
      runtime: true,
    }),
    prop({
      name: 'TlsCertificateName',
      typeName: 'SmtpX509Identifier',
      description: 'Local certificate for outbound TLS: "<I>issuer<S>subject".',
      parse: parseTlsCertificateName,
      settable: 'both',
      nullable: true,
      runtime: true,
      unsupported: 'Gatehouse does not present a client certificate on outbound connections yet; the peer authenticates us with AUTH (SmartHostAuthMechanism).',
    }),
    prop({
      name: 'TlsDomain',
      typeName: 'SmtpDomainWithSubdomains',
      description: 'Domain the remote certificate must match (TlsAuthLevel DomainValidation).',
      parse: (v) => SmtpDomainWithSubdomains.parse(v),
      settable: 'both',
      nullable: true,
      runtime: true,
    }),
    prop({ name: 'Usage', typeName: 'UsageType', description: 'Custom, Internal, Internet or Partner; chosen at creation only.', parse: (v) => SendUsageType.parse(v), default: 'Custom', settable: 'new', runtime: false }),
    prop({ name: 'UseExternalDNSServersEnabled', typeName: 'Boolean', description: '$true: resolve with the ExternalDNSServers of Set-TransportService.', parse: parseBool, default: false, settable: 'both', runtime: true }),
    nameProperty(),
  ],
};

function nameProperty(): PropertyDef<string> {
  return prop({ name: 'Name', typeName: 'String', description: 'Unique name of the connector (at most 64 characters).', parse: objectName(64), settable: 'both', runtime: false });
}
