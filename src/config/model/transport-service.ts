// Transport service settings of one server (Get-/Set-TransportService, spec
// exchange-operations.md §2.1): DNS servers, retry and expiry timers,
// connection limits, log paths, postmaster address. Stored and validated here;
// the queue, the outbound client and the logs obey them.

import { defaultValues, prop, type DefaultContext, type ObjectSchema } from '../schema.js';
import { ByteQuantifiedSize, EnhancedTimeSpan, IPAddressValue, SmtpAddress, Unlimited } from '../types/index.js';
import { ValueError } from '../types/value-error.js';
import { intRange, parseBool, parseString } from './common.js';
import { DnsProtocolOptionType, ProtocolLoggingLevelType, TlsMinimumVersionType } from './enums.js';

const DAY = 86_400_000;
const span = (name: string, min: number, max: number) => (v: unknown) => EnhancedTimeSpan.parseInRange(v, min, max, name);
const ts = (s: string) => () => EnhancedTimeSpan.parse(s);
const edge = (ctx: DefaultContext) => ctx.role === 'EdgeTransport';
const MAX = 2147483647;
const unlimitedSize = (name: string) => (v: unknown) => Unlimited.parse(v, (x: unknown) => ByteQuantifiedSize.parseInRange(x, 1, Number.MAX_SAFE_INTEGER, name));
const unlimitedInt = (name: string, min: number, max: number) => (v: unknown) => Unlimited.parse(v, intRange(min, max, name));
const logPath = (sub: string) => () => `Logs/${sub}`;

/**
 * The TLS floor of the server's STARTTLS (Gatehouse's own setting; Exchange leaves it to Windows'
 * SCHANNEL). Tls12 (default) or Tls13; older versions are refused with the reason, never stored.
 */
function parseTlsMinimumVersion(input: unknown): string {
  const text =
    typeof input === 'string'
      ? input
          .trim()
          .toLowerCase()
          .replace(/[\s._v]/g, '')
      : '';
  if (/^(ssl[23]|ssl30|tls1?|tls10|tls11)$/.test(text)) {
    throw new ValueError(`${String(input)} is not allowed for TlsMinimumVersion: SSL 3.0, TLS 1.0 and TLS 1.1 are broken and deprecated (RFC 8996). Specify Tls12 or Tls13.`);
  }
  return TlsMinimumVersionType.parse(input);
}

/** A local folder path; relative paths are inside the server's data folder. */
function parsePath(input: unknown): string {
  const s = parseString(input);
  if (s.trim() === '' || s.includes('\0')) throw new ValueError(`"${s}" is not a valid folder path.`);
  return s;
}

export const transportServiceSchema: ObjectSchema = {
  typeName: 'TransportService',
  noun: 'TransportService',
  label: 'transport service',
  scope: 'server',
  properties: [
    prop({ name: 'AgentLogEnabled', typeName: 'Boolean', description: 'Write the agent log: every decision of the anti-spam agents (Edge).', parse: parseBool, default: true, settable: 'set', runtime: true }),
    prop({
      name: 'AgentLogMaxAge',
      typeName: 'EnhancedTimeSpan',
      description: 'Age after which agent log files are deleted (00:00:00 = never by age).',
      parse: span('AgentLogMaxAge', 0, 24855 * DAY),
      default: ts('7.00:00:00'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'AgentLogMaxDirectorySize',
      typeName: 'Unlimited',
      description: 'Most space the agent log may use.',
      parse: unlimitedSize('AgentLogMaxDirectorySize'),
      default: () => unlimitedSize('AgentLogMaxDirectorySize')('250MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'AgentLogMaxFileSize',
      typeName: 'ByteQuantifiedSize',
      description: 'Size of one agent log file.',
      parse: (v) => ByteQuantifiedSize.parseInRange(v, 1, Number.MAX_SAFE_INTEGER, 'AgentLogMaxFileSize'),
      default: () => ByteQuantifiedSize.parse('10MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'AgentLogPath', typeName: 'LocalLongFullPath', description: 'Folder of the agent log.', parse: parsePath, default: logPath('AgentLog'), settable: 'set', runtime: true }),
    prop({ name: 'ConnectivityLogEnabled', typeName: 'Boolean', description: 'Write the connectivity log of outbound connections.', parse: parseBool, default: true, settable: 'set', runtime: true }),
    prop({
      name: 'ConnectivityLogMaxAge',
      typeName: 'EnhancedTimeSpan',
      description: 'Age after which connectivity log files are deleted (00:00:00 = never by age).',
      parse: span('ConnectivityLogMaxAge', 0, 24855 * DAY),
      default: ts('30.00:00:00'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'ConnectivityLogMaxDirectorySize',
      typeName: 'Unlimited',
      description: 'Most space the connectivity log may use.',
      parse: unlimitedSize('ConnectivityLogMaxDirectorySize'),
      default: () => unlimitedSize('ConnectivityLogMaxDirectorySize')('1000MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'ConnectivityLogMaxFileSize',
      typeName: 'ByteQuantifiedSize',
      description: 'Size of one connectivity log file.',
      parse: (v) => ByteQuantifiedSize.parseInRange(v, 1, Number.MAX_SAFE_INTEGER, 'ConnectivityLogMaxFileSize'),
      default: () => ByteQuantifiedSize.parse('10MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'ConnectivityLogPath', typeName: 'LocalLongFullPath', description: 'Folder of the connectivity log.', parse: parsePath, default: logPath('Connectivity'), settable: 'set', runtime: true }),
    prop({
      name: 'DelayNotificationTimeout',
      typeName: 'EnhancedTimeSpan',
      description: 'Wait before a delay DSN is sent (00:00:01 to 30.00:00:00).',
      parse: span('DelayNotificationTimeout', 1000, 30 * DAY),
      default: ts('04:00:00'),
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'ExternalDNSAdapterEnabled', typeName: 'Boolean', description: '$true: external lookups use the system resolver; $false: ExternalDNSServers.', parse: parseBool, default: true, settable: 'set', runtime: true }),
    prop({
      name: 'ExternalDNSProtocolOption',
      unsupported: 'the resolver asks over UDP and retries over TCP when an answer is truncated; it cannot be restricted to one protocol.',
      typeName: 'ProtocolOption',
      description: 'Any, UseTcpOnly or UseUdpOnly for external lookups.',
      parse: (v) => DnsProtocolOptionType.parse(v),
      default: 'Any',
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'ExternalDNSServers',
      typeName: 'MultiValuedProperty',
      multi: true,
      description: 'DNS servers for external lookups (used when ExternalDNSAdapterEnabled is $false); address or [address]:port.',
      parse: (v) => IPAddressValue.parseWithPort(v),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'ExternalPostmasterAddress',
      typeName: 'SmtpAddress',
      description: 'Sender of DSNs to external senders; $null = postmaster@<default domain> (Edge: postmaster@<server FQDN>).',
      parse: (v) => SmtpAddress.parse(v),
      settable: 'set',
      nullable: true,
      runtime: true,
    }),
    prop({ name: 'InternalDNSAdapterEnabled', typeName: 'Boolean', description: '$true: internal lookups use the system resolver; $false: InternalDNSServers.', parse: parseBool, default: true, settable: 'set', runtime: true }),
    prop({
      name: 'InternalDNSProtocolOption',
      unsupported: 'the resolver asks over UDP and retries over TCP when an answer is truncated; it cannot be restricted to one protocol.',
      typeName: 'ProtocolOption',
      description: 'Any, UseTcpOnly or UseUdpOnly for internal lookups.',
      parse: (v) => DnsProtocolOptionType.parse(v),
      default: 'Any',
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'InternalDNSServers',
      typeName: 'MultiValuedProperty',
      multi: true,
      description: 'DNS servers for internal lookups (used when InternalDNSAdapterEnabled is $false); address or [address]:port.',
      parse: (v) => IPAddressValue.parseWithPort(v),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'IntraOrgConnectorProtocolLoggingLevel',
      typeName: 'ProtocolLoggingLevel',
      description: 'Protocol logging of mail between servers of the organization.',
      parse: (v) => ProtocolLoggingLevelType.parse(v),
      default: 'None',
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'MaxConcurrentMailboxDeliveries', typeName: 'Int32', description: 'Concurrent mailbox deliveries (1-256).', parse: intRange(1, 256, 'MaxConcurrentMailboxDeliveries'), default: 20, settable: 'set', runtime: true }),
    prop({ name: 'MaxConnectionRatePerMinute', typeName: 'Int32', description: 'Most new inbound connections per minute.', parse: intRange(1, MAX, 'MaxConnectionRatePerMinute'), default: 1200, settable: 'set', runtime: true }),
    prop({
      name: 'MaxOutboundConnections',
      typeName: 'Unlimited',
      description: 'Most concurrent outbound connections (at least MaxPerDomainOutboundConnections).',
      parse: unlimitedInt('MaxOutboundConnections', 1, MAX),
      default: () => Unlimited.parse(1000, intRange(1, MAX, 'MaxOutboundConnections')),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'MaxPerDomainOutboundConnections',
      typeName: 'Unlimited',
      description: 'Most concurrent outbound connections to one domain.',
      parse: unlimitedInt('MaxPerDomainOutboundConnections', 1, MAX),
      default: () => Unlimited.parse(20, intRange(1, MAX, 'MaxPerDomainOutboundConnections')),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'MessageExpirationTimeout',
      typeName: 'EnhancedTimeSpan',
      description: 'How long a message may wait before it is returned (00:00:05 to 90.00:00:00).',
      parse: span('MessageExpirationTimeout', 5000, 90 * DAY),
      default: ts('2.00:00:00'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'MessageRetryInterval',
      typeName: 'EnhancedTimeSpan',
      description: 'Retry interval of single messages (00:00:01 to 1.00:00:00).',
      parse: span('MessageRetryInterval', 1000, DAY),
      default: ts('00:15:00'),
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'MessageTrackingLogEnabled', typeName: 'Boolean', description: 'Write the message tracking log.', parse: parseBool, default: true, settable: 'set', runtime: true }),
    prop({
      name: 'MessageTrackingLogMaxAge',
      typeName: 'EnhancedTimeSpan',
      description: 'Age after which tracking log files are deleted (00:00:00 = never).',
      parse: span('MessageTrackingLogMaxAge', 0, 24855 * DAY),
      default: ts('30.00:00:00'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'MessageTrackingLogMaxDirectorySize',
      typeName: 'Unlimited',
      description: 'Most space the tracking log may use.',
      parse: unlimitedSize('MessageTrackingLogMaxDirectorySize'),
      default: () => unlimitedSize('MessageTrackingLogMaxDirectorySize')('1000MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'MessageTrackingLogMaxFileSize',
      typeName: 'ByteQuantifiedSize',
      description: 'Size of one tracking log file.',
      parse: (v) => ByteQuantifiedSize.parseInRange(v, 1, Number.MAX_SAFE_INTEGER, 'MessageTrackingLogMaxFileSize'),
      default: () => ByteQuantifiedSize.parse('10MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'MessageTrackingLogPath', typeName: 'LocalLongFullPath', description: 'Folder of the message tracking log.', parse: parsePath, default: logPath('MessageTracking'), settable: 'set', runtime: true }),
    prop({ name: 'MessageTrackingLogSubjectLoggingEnabled', typeName: 'Boolean', description: 'Record message subjects in the tracking log.', parse: parseBool, default: true, settable: 'set', runtime: true }),
    prop({
      name: 'OutboundConnectionFailureRetryInterval',
      typeName: 'EnhancedTimeSpan',
      description: 'Wait after the quick retries of a failed connection (00:00:01 to 20.00:00:00).',
      parse: span('OutboundConnectionFailureRetryInterval', 1000, 20 * DAY),
      default: (ctx) => EnhancedTimeSpan.parse(edge(ctx) ? '00:30:00' : '00:10:00'),
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'PoisonMessageDetectionEnabled', typeName: 'Boolean', description: 'Move messages that crash the service repeatedly to the Poison queue.', parse: parseBool, default: true, settable: 'set', runtime: true }),
    prop({ name: 'PoisonThreshold', typeName: 'Int32', description: 'Crashes after which a message is poison (1-10).', parse: intRange(1, 10, 'PoisonThreshold'), default: 2, settable: 'set', runtime: true }),
    prop({
      name: 'QueueMaxIdleTime',
      typeName: 'EnhancedTimeSpan',
      description: 'Lifetime of an empty delivery queue (00:00:05 to 01:00:00).',
      parse: span('QueueMaxIdleTime', 5000, 3_600_000),
      default: ts('00:03:00'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'ReceiveProtocolLogMaxAge',
      typeName: 'EnhancedTimeSpan',
      description: 'Age after which receive protocol logs are deleted.',
      parse: span('ReceiveProtocolLogMaxAge', 0, 24855 * DAY),
      default: ts('30.00:00:00'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'ReceiveProtocolLogMaxDirectorySize',
      typeName: 'Unlimited',
      description: 'Most space the receive protocol log may use.',
      parse: unlimitedSize('ReceiveProtocolLogMaxDirectorySize'),
      default: () => unlimitedSize('ReceiveProtocolLogMaxDirectorySize')('250MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'ReceiveProtocolLogMaxFileSize',
      typeName: 'ByteQuantifiedSize',
      description: 'Size of one receive protocol log file.',
      parse: (v) => ByteQuantifiedSize.parseInRange(v, 1, Number.MAX_SAFE_INTEGER, 'ReceiveProtocolLogMaxFileSize'),
      default: () => ByteQuantifiedSize.parse('10MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'ReceiveProtocolLogPath', typeName: 'LocalLongFullPath', description: 'Folder of the SMTP receive protocol log.', parse: parsePath, default: logPath('ProtocolLog/SmtpReceive'), settable: 'set', runtime: true }),
    prop({
      name: 'SendProtocolLogMaxAge',
      typeName: 'EnhancedTimeSpan',
      description: 'Age after which send protocol logs are deleted.',
      parse: span('SendProtocolLogMaxAge', 0, 24855 * DAY),
      default: ts('30.00:00:00'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'SendProtocolLogMaxDirectorySize',
      typeName: 'Unlimited',
      description: 'Most space the send protocol log may use.',
      parse: unlimitedSize('SendProtocolLogMaxDirectorySize'),
      default: () => unlimitedSize('SendProtocolLogMaxDirectorySize')('250MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'SendProtocolLogMaxFileSize',
      typeName: 'ByteQuantifiedSize',
      description: 'Size of one send protocol log file.',
      parse: (v) => ByteQuantifiedSize.parseInRange(v, 1, Number.MAX_SAFE_INTEGER, 'SendProtocolLogMaxFileSize'),
      default: () => ByteQuantifiedSize.parse('10MB'),
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'SendProtocolLogPath', typeName: 'LocalLongFullPath', description: 'Folder of the SMTP send protocol log.', parse: parsePath, default: logPath('ProtocolLog/SmtpSend'), settable: 'set', runtime: true }),
    prop({
      name: 'TlsMinimumVersion',
      typeName: 'TlsMinimumVersion',
      description: 'Oldest TLS version the Receive connectors accept after STARTTLS: Tls12 (default) or Tls13. Older versions are refused.',
      parse: parseTlsMinimumVersion,
      default: 'Tls12',
      settable: 'set',
      runtime: true,
    }),
    prop({ name: 'TransientFailureRetryCount', typeName: 'Int32', description: 'Quick retries after a connection failure (0-15).', parse: intRange(0, 15, 'TransientFailureRetryCount'), default: 6, settable: 'set', runtime: true }),
    prop({
      name: 'TransientFailureRetryInterval',
      typeName: 'EnhancedTimeSpan',
      description: 'Spacing of the quick retries (00:00:01 to 12:00:00).',
      parse: span('TransientFailureRetryInterval', 1000, 12 * 3_600_000),
      default: (ctx) => EnhancedTimeSpan.parse(edge(ctx) ? '00:10:00' : '00:05:00'),
      settable: 'set',
      runtime: true,
    }),
  ],
};

/** The TransportService object Setup creates for a server: every setting at its role's default. */
export function transportServiceDefaults(server: DefaultContext): Record<string, unknown> {
  const values = defaultValues(transportServiceSchema, server);
  values.Name = server.serverName;
  return values;
}
