// Receive connector: how a server accepts SMTP (spec exchange-connectors.md §3,
// §6). A per-server object; its defaults depend on the server role and on the
// -Usage chosen at creation (usageDefaults). Cross-property and cross-connector
// rules live in config/validate.ts.

import { defaultValues, prop, type DefaultContext, type ObjectSchema } from '../schema.js';
import { ByteQuantifiedSize, EnhancedTimeSpan, Fqdn, IPBinding, IPRange, SmtpDomain, Unlimited } from '../types/index.js';
import { ValueError } from '../types/value-error.js';
import { intRange, objectName, parseBool, parseString } from './common.js';
import { AuthMechanismFlags, ExtendedProtectionPolicyType, MessageRateSourceType, PermissionGroupFlags, ProtocolLoggingLevelType, ReceiveUsageType, SizeModeType, TransportRoleType } from './enums.js';
import { parseTlsCertificateName } from './send-connector.js';

const span = (name: string, min: number, max: number) => (v: unknown) => EnhancedTimeSpan.parseInRange(v, min, max, name);
const sizeIn = (name: string, min: number, max: number) => (v: unknown) => ByteQuantifiedSize.parseInRange(v, min, max, name);
const unlimitedInt = (name: string, min: number, max: number) => (v: unknown) => Unlimited.parse(v, intRange(min, max, name));
const edge = (ctx: DefaultContext) => ctx.role === 'EdgeTransport';
const MAX = 2147483647;

export function parseBanner(input: unknown): string {
  const s = parseString(input);
  if (!/^220(\s|$)/.test(s)) throw new ValueError(`The banner "${s}" is not valid. A custom banner must begin with "220 ", for example "220 mail.contoso.com ready".`);
  if (/[\r\n]/.test(s)) throw new ValueError('The banner must be a single line.');
  return s;
}

/** Permission groups and auth mechanisms a new connector gets from its usage (spec §3.6). */
export function usageDefaults(usage: string, role: DefaultContext['role']): { permissionGroups: string[]; authMechanism: string[]; port: number } {
  switch (usage) {
    case 'Client':
      return { permissionGroups: ['ExchangeUsers'], authMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'], port: 587 };
    case 'Internal':
      return { permissionGroups: role === 'EdgeTransport' ? ['ExchangeServers'] : ['ExchangeServers', 'ExchangeLegacyServers'], authMechanism: ['Tls', 'ExchangeServer'], port: 25 };
    case 'Internet':
      return { permissionGroups: ['AnonymousUsers'], authMechanism: ['Tls'], port: 25 };
    case 'Partner':
      return { permissionGroups: ['Partners'], authMechanism: ['Tls'], port: 25 };
    default:
      return { permissionGroups: ['None'], authMechanism: ['Tls'], port: 25 };
  }
}

export const receiveConnectorSchema: ObjectSchema = {
  typeName: 'ReceiveConnector',
  noun: 'ReceiveConnector',
  label: 'Receive connector',
  scope: 'server',
  properties: [
    prop({
      name: 'AuthMechanism',
      flags: true,
      typeName: 'AuthMechanisms',
      description: 'None, Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative (comma-separated). Default by -Usage: Client Tls,BasicAuth,BasicAuthRequireTLS; Internal Tls,ExchangeServer; others Tls.',
      parse: (v) => AuthMechanismFlags.parse(v),
      default: (ctx) => AuthMechanismFlags.parse(usageDefaults(ctx.usage ?? 'Custom', ctx.role).authMechanism),
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'AdvertiseClientSettings', typeName: 'Boolean', description: "Show this connector's settings to mailbox users.", parse: parseBool, default: false, settable: 'both', runtime: false }),
    prop({
      name: 'AuthTarpitInterval',
      typeName: 'EnhancedTimeSpan',
      description: 'Delay before answering a failed AUTH (0 disables).',
      parse: span('AuthTarpitInterval', 0, 600_000),
      default: () => EnhancedTimeSpan.parse('00:00:05'),
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'Banner', typeName: 'String', description: 'Custom 220 greeting; $null = the default banner with the connector FQDN.', parse: parseBanner, settable: 'both', nullable: true, runtime: true }),
    prop({ name: 'BareLinefeedRejectionEnabled', typeName: 'Boolean', description: 'Reject messages that contain a line feed without carriage return.', parse: parseBool, default: false, settable: 'set', runtime: true }),
    prop({ name: 'BinaryMimeEnabled', typeName: 'Boolean', description: 'Advertise BINARYMIME (needs ChunkingEnabled).', parse: parseBool, default: true, settable: 'both', runtime: true }),
    prop({ name: 'Bindings', typeName: 'MultiValuedProperty', multi: true, description: 'Local IP address and port pairs to listen on: 10.1.1.1:25, 0.0.0.0:25, [::]:25.', parse: (v) => IPBinding.parse(v), settable: 'both', runtime: true }),
    prop({ name: 'ChunkingEnabled', typeName: 'Boolean', description: 'Advertise CHUNKING (BDAT).', parse: parseBool, default: true, settable: 'both', runtime: true }),
    prop({ name: 'Comment', typeName: 'String', description: 'Free-text comment.', parse: parseString, settable: 'both', nullable: true, runtime: false }),
    prop({
      name: 'ConnectionInactivityTimeout',
      typeName: 'EnhancedTimeSpan',
      description: 'Longest idle time of a session (must be less than ConnectionTimeout).',
      parse: span('ConnectionInactivityTimeout', 1000, 86_400_000),
      default: (ctx) => EnhancedTimeSpan.parse(edge(ctx) ? '00:01:00' : '00:05:00'),
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'ConnectionTimeout',
      typeName: 'EnhancedTimeSpan',
      description: 'Longest lifetime of a session, even while active.',
      parse: span('ConnectionTimeout', 1000, 86_400_000),
      default: (ctx) => EnhancedTimeSpan.parse(edge(ctx) ? '00:05:00' : '00:10:00'),
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'DefaultDomain', typeName: 'AcceptedDomainIdParameter', description: 'Domain appended to MAIL FROM/RCPT TO addresses that have none.', parse: (v) => SmtpDomain.parse(v), settable: 'both', nullable: true, runtime: true }),
    prop({ name: 'DeliveryStatusNotificationEnabled', typeName: 'Boolean', description: 'Advertise DSN (RFC 3461).', parse: parseBool, default: true, settable: 'both', runtime: true }),
    prop({
      name: 'DomainSecureEnabled',
      typeName: 'Boolean',
      description:
        'Mutual TLS (Domain Security): mail from the domains in Set-TransportConfig -TLSReceiveDomainSecureList must come over TLS with a valid client certificate carrying the domain, and is marked domain-secured. Needs Tls in AuthMechanism, not ExternalAuthoritative.',
      parse: parseBool,
      default: false,
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'EightBitMimeEnabled', typeName: 'Boolean', description: 'Advertise 8BITMIME.', parse: parseBool, default: true, settable: 'both', runtime: true }),
    prop({
      name: 'EnableAuthGSSAPI',
      typeName: 'Boolean',
      description: 'Offer Kerberos with Integrated authentication.',
      parse: parseBool,
      default: false,
      settable: 'both',
      runtime: true,
      unsupported: 'Gatehouse does not offer Integrated (Kerberos/NTLM) authentication.',
    }),
    prop({ name: 'Enabled', typeName: 'Boolean', description: 'A disabled connector accepts no sessions.', parse: parseBool, default: true, settable: 'both', runtime: true }),
    prop({ name: 'EnhancedStatusCodesEnabled', typeName: 'Boolean', description: 'Advertise ENHANCEDSTATUSCODES.', parse: parseBool, default: true, settable: 'both', runtime: true }),
    prop({
      name: 'ExtendedProtectionPolicy',
      typeName: 'ExtendedProtectionPolicySetting',
      description: 'Extended Protection for Integrated authentication.',
      parse: (v) => ExtendedProtectionPolicyType.parse(v),
      default: 'None',
      settable: 'both',
      runtime: false,
      unsupported: 'Gatehouse does not offer Integrated (NTLM) authentication, so Extended Protection does not apply.',
    }),
    prop({
      name: 'Fqdn',
      typeName: 'Fqdn',
      description: 'Name used in the banner, the EHLO reply, Received headers and to pick the TLS certificate.',
      parse: (v) => Fqdn.parse(v),
      default: (ctx) => Fqdn.parse(ctx.serverFqdn),
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'LongAddressesEnabled',
      typeName: 'Boolean',
      description: 'Accept X.400 long addresses.',
      parse: parseBool,
      default: false,
      settable: 'both',
      runtime: false,
      unsupported: 'Gatehouse does not handle X.400 (IMCEA) long addresses.',
    }),
    prop({
      name: 'MaxHeaderSize',
      typeName: 'ByteQuantifiedSize',
      description: 'Largest message header (1 B to 2 GB).',
      parse: sizeIn('MaxHeaderSize', 1, MAX),
      default: () => ByteQuantifiedSize.parse('256KB'),
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'MaxHopCount', typeName: 'Int32', description: 'Most Received headers a message may carry (1-500).', parse: intRange(1, 500, 'MaxHopCount'), default: 30, settable: 'both', runtime: true }),
    prop({
      name: 'MaxInboundConnection',
      typeName: 'Unlimited',
      description: 'Most concurrent sessions on this connector.',
      parse: unlimitedInt('MaxInboundConnection', 1, MAX),
      default: () => Unlimited.parse(5000, intRange(1, MAX, 'MaxInboundConnection')),
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'MaxInboundConnectionPercentagePerSource',
      typeName: 'Int32',
      description: 'Share of the remaining sessions one remote IP may use (1-100).',
      parse: intRange(1, 100, 'MaxInboundConnectionPercentagePerSource'),
      default: 2,
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'MaxInboundConnectionPerSource',
      typeName: 'Unlimited',
      description: 'Most concurrent sessions from one remote IP.',
      parse: unlimitedInt('MaxInboundConnectionPerSource', 1, 10000),
      default: () => Unlimited.parse(20, intRange(1, 10000, 'MaxInboundConnectionPerSource')),
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'MaxLocalHopCount', typeName: 'Int32', description: 'Most Received headers naming local servers (0 = no check).', parse: intRange(0, 50, 'MaxLocalHopCount'), default: 8, settable: 'both', runtime: true }),
    prop({ name: 'MaxLogonFailures', typeName: 'Int32', description: 'Failed logons before disconnecting (0 = never).', parse: intRange(0, 10, 'MaxLogonFailures'), default: 3, settable: 'both', runtime: true }),
    prop({
      name: 'MaxMessageSize',
      typeName: 'ByteQuantifiedSize',
      description: 'Largest message accepted (64 KB to 2 GB).',
      parse: sizeIn('MaxMessageSize', 65536, MAX),
      default: () => ByteQuantifiedSize.parse('36MB'),
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'MaxProtocolErrors',
      typeName: 'Unlimited',
      description: 'SMTP protocol errors before disconnecting.',
      parse: unlimitedInt('MaxProtocolErrors', 0, MAX),
      default: () => Unlimited.parse(5, intRange(0, MAX, 'MaxProtocolErrors')),
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'MaxRecipientsPerMessage', typeName: 'Int32', description: 'Most RCPT TO per message (1-512000).', parse: intRange(1, 512000, 'MaxRecipientsPerMessage'), default: 200, settable: 'both', runtime: true }),
    prop({
      name: 'MessageRateLimit',
      typeName: 'Unlimited',
      description: 'Messages per minute per source (see MessageRateSource).',
      parse: unlimitedInt('MessageRateLimit', 1, MAX),
      default: (ctx) => Unlimited.parse(edge(ctx) ? 600 : 'unlimited', intRange(1, MAX, 'MessageRateLimit')),
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'MessageRateSource',
      typeName: 'MessageRateSourceFlags',
      description: 'What MessageRateLimit counts: None, User, IPAddress, All.',
      parse: (v) => MessageRateSourceType.parse(v),
      default: 'IPAddress',
      settable: 'both',
      runtime: true,
    }),
    prop({
      name: 'OrarEnabled',
      typeName: 'Boolean',
      description: 'Advertise XORAR.',
      parse: parseBool,
      default: false,
      settable: 'both',
      runtime: false,
      unsupported: 'Gatehouse does not implement ORAR (X.400 originator-requested alternate recipients).',
    }),
    prop({
      name: 'PermissionGroups',
      flags: true,
      typeName: 'PermissionGroups',
      description:
        'Who may use the connector: None, AnonymousUsers, ExchangeUsers, ExchangeServers, ExchangeLegacyServers, Partners, Custom. Default by -Usage: Client ExchangeUsers; Internal ExchangeServers (and ExchangeLegacyServers on Mailbox servers); Internet AnonymousUsers; Partner Partners; Custom None.',
      parse: (v) => PermissionGroupFlags.parse(v),
      default: (ctx) => PermissionGroupFlags.parse(usageDefaults(ctx.usage ?? 'Custom', ctx.role).permissionGroups),
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'PipeliningEnabled', typeName: 'Boolean', description: 'Advertise PIPELINING.', parse: parseBool, default: true, settable: 'both', runtime: true }),
    prop({ name: 'ProtocolLoggingLevel', typeName: 'ProtocolLoggingLevel', description: 'None or Verbose (SMTP receive protocol log).', parse: (v) => ProtocolLoggingLevelType.parse(v), default: 'None', settable: 'both', runtime: true }),
    prop({ name: 'RejectReservedSecondLevelRecipientDomains', typeName: 'Boolean', description: 'Refuse recipients in example.com/.net/.org.', parse: parseBool, default: false, settable: 'both', runtime: true }),
    prop({ name: 'RejectReservedTopLevelRecipientDomains', typeName: 'Boolean', description: 'Refuse recipients in .test, .example, .invalid, .localhost.', parse: parseBool, default: false, settable: 'both', runtime: true }),
    prop({ name: 'RejectSingleLabelRecipientDomains', typeName: 'Boolean', description: 'Refuse recipients in single-label domains.', parse: parseBool, default: false, settable: 'both', runtime: true }),
    prop({
      name: 'RemoteIPRanges',
      typeName: 'MultiValuedProperty',
      multi: true,
      description: 'Remote addresses this connector serves: 192.168.5.10, 192.168.1.1-192.168.1.254, 192.168.1.0/24, IPv6 forms.',
      parse: (v) => IPRange.parse(v),
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'RequireEHLODomain', typeName: 'Boolean', description: 'EHLO/HELO must carry a domain.', parse: parseBool, default: false, settable: 'both', runtime: true }),
    prop({ name: 'RequireTLS', typeName: 'Boolean', description: 'Mail is accepted only after STARTTLS (needs Tls in AuthMechanism).', parse: parseBool, default: false, settable: 'both', runtime: true }),
    prop({ name: 'SizeEnabled', typeName: 'SizeMode', description: 'Advertise SIZE: Enabled, Disabled, EnabledWithoutValue.', parse: (v) => SizeModeType.parse(v), default: 'Enabled', settable: 'both', runtime: true }),
    prop({ name: 'SuppressXAnonymousTls', typeName: 'Boolean', description: 'Do not advertise X-ANONYMOUSTLS.', parse: parseBool, default: false, settable: 'both', runtime: true }),
    prop({
      name: 'TarpitInterval',
      typeName: 'EnhancedTimeSpan',
      description: 'Delay on replies to suspicious anonymous sessions (0 to 00:10:00).',
      parse: span('TarpitInterval', 0, 600_000),
      default: () => EnhancedTimeSpan.parse('00:00:05'),
      settable: 'both',
      runtime: true,
    }),
    prop({ name: 'TlsCertificateName', typeName: 'SmtpX509Identifier', description: 'Certificate for STARTTLS: "<I>issuer<S>subject"; $null = by Fqdn.', parse: parseTlsCertificateName, settable: 'both', nullable: true, runtime: true }),
    prop({
      name: 'TransportRole',
      typeName: 'ServerRole',
      description: 'Transport service owning the connector (Mailbox servers: HubTransport).',
      parse: (v) => TransportRoleType.parse(v),
      default: (ctx) => (edge(ctx) ? null : 'HubTransport'),
      settable: 'new',
      runtime: false,
      roles: ['Mailbox'],
      unsupported: 'Gatehouse runs one transport service per Mailbox server (HubTransport); there is no Front End Transport service.',
    }),
    prop({ name: 'Usage', typeName: 'UsageType', description: 'Client, Internal, Internet, Partner or Custom; chosen at creation only.', parse: (v) => ReceiveUsageType.parse(v), default: 'Custom', settable: 'new', runtime: false }),
    prop({ name: 'Name', typeName: 'String', description: 'Name of the connector, unique on the server (at most 64 characters).', parse: objectName(64), settable: 'both', runtime: false }),
  ],
};

export const ALL_IPV4 = '0.0.0.0-255.255.255.255';
export const ALL_IPV6 = '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';

/** A new Receive connector's values: the defaults of its usage on its server, then the given ones. */
export function receiveConnectorValues(server: DefaultContext, name: string, usage: string, overrides: Record<string, unknown>): Record<string, unknown> {
  const values = defaultValues(receiveConnectorSchema, { ...server, usage });
  values.Name = name;
  values.Usage = usage;
  Object.assign(values, overrides);
  return values;
}

/** The Receive connectors Setup creates (spec §6.3; the seed's Mailbox names "Default X" and "Client X"). */
export function setupReceiveConnectors(server: DefaultContext): Record<string, unknown>[] {
  const auth = (v: string) => AuthMechanismFlags.parse(v);
  const groups = (v: string) => PermissionGroupFlags.parse(v);
  if (server.role === 'EdgeTransport') {
    return [
      receiveConnectorValues(server, `Default internal Receive connector ${server.serverName}`, 'Internet', {
        Bindings: [IPBinding.parse('0.0.0.0:25')],
        RemoteIPRanges: [IPRange.parse(ALL_IPV4)],
        AuthMechanism: auth('Tls,ExchangeServer'),
        PermissionGroups: groups('AnonymousUsers,ExchangeServers,Partners'),
      }),
    ];
  }
  const everywhere = [IPRange.parse(ALL_IPV6), IPRange.parse(ALL_IPV4)];
  return [
    receiveConnectorValues(server, `Default ${server.serverName}`, 'Internal', {
      Bindings: [IPBinding.parse('0.0.0.0:25'), IPBinding.parse('[::]:25')],
      RemoteIPRanges: everywhere,
      AuthMechanism: auth('Tls,BasicAuth,BasicAuthRequireTLS,ExchangeServer'),
      PermissionGroups: groups('ExchangeUsers,ExchangeServers'),
      MaxRecipientsPerMessage: 5000,
    }),
    receiveConnectorValues(server, `Client ${server.serverName}`, 'Client', {
      Bindings: [IPBinding.parse('0.0.0.0:587'), IPBinding.parse('[::]:587')],
      RemoteIPRanges: everywhere,
      AuthMechanism: auth('Tls,BasicAuth,BasicAuthRequireTLS'),
      PermissionGroups: groups('ExchangeUsers'),
    }),
  ];
}
