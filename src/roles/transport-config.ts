// The configuration the transport service runs on: a frozen snapshot of this
// server's Receive connectors (as plain runtime settings), the accepted
// domains and the transport settings, read from the configuration store. A
// new snapshot is taken whenever the store's change counter moves; sessions
// keep the snapshot they started with.

import { acceptedDomainSchema } from '../config/model/accepted-domain.js';
import { receiveConnectorSchema } from '../config/model/receive-connector.js';
import type { ServerRoleName } from '../config/model/server.js';
import { transportServiceSchema } from '../config/model/transport-service.js';
import { flagNames } from '../config/validate.js';
import type { ByteQuantifiedSize, EnhancedTimeSpan, IPBinding, IPRange, SmtpDomainWithSubdomains, Unlimited } from '../config/types/index.js';
import type { ModelObject, Repository } from '../store/repository.js';

export interface ReceiveConnectorConfig {
  name: string;
  /** SERVER\Name. */
  identity: string;
  enabled: boolean;
  bindings: IPBinding[];
  remoteIPRanges: IPRange[];
  fqdn: string;
  banner: string | null;
  authMechanism: Set<string>;
  permissionGroups: string[];
  requireTls: boolean;
  requireEhloDomain: boolean;
  tlsCertificateName: string | null;
  maxMessageSize: number;
  maxHeaderSize: number;
  maxRecipientsPerMessage: number;
  sizeMode: 'Enabled' | 'Disabled' | 'EnabledWithoutValue';
  pipelining: boolean;
  chunking: boolean;
  binaryMime: boolean;
  eightBitMime: boolean;
  dsn: boolean;
  enhancedStatusCodes: boolean;
  /** null = unlimited. */
  maxInboundConnection: number | null;
  maxInboundConnectionPerSource: number | null;
  maxInboundConnectionPercentagePerSource: number;
  connectionTimeoutMs: number;
  connectionInactivityTimeoutMs: number;
  messageRateLimit: number | null;
  messageRateSource: string;
  tarpitMs: number;
  authTarpitMs: number;
  maxProtocolErrors: number | null;
  maxLogonFailures: number;
  maxHopCount: number;
  maxLocalHopCount: number;
  bareLinefeedRejection: boolean;
  defaultDomain: string | null;
  rejectReservedTld: boolean;
  rejectReservedSld: boolean;
  rejectSingleLabel: boolean;
  protocolLogging: boolean;
}

export interface AcceptedDomainRule {
  name: string;
  domain: SmtpDomainWithSubdomains;
  type: 'Authoritative' | 'InternalRelay' | 'ExternalRelay';
  matchSubDomains: boolean;
}

export interface TransportConfig {
  role: ServerRoleName;
  serverName: string;
  fqdn: string;
  changeCounter: number;
  receiveConnectors: ReceiveConnectorConfig[];
  acceptedDomains: AcceptedDomainRule[];
  receiveProtocolLogPath: string;
  messageTrackingLogPath: string;
}

const ms = (v: unknown) => (v as EnhancedTimeSpan).milliseconds;
const bytes = (v: unknown) => (v as ByteQuantifiedSize).bytes;
const unlimited = (v: unknown): number | null => {
  const u = v as Unlimited<number>;
  return u.isUnlimited ? null : Number(u.value);
};

export function receiveConnectorConfig(o: ModelObject): ReceiveConnectorConfig {
  const v = o.values;
  return {
    name: String(v.Name),
    identity: `${o.server}\\${v.Name}`,
    enabled: v.Enabled === true,
    bindings: v.Bindings as IPBinding[],
    remoteIPRanges: v.RemoteIPRanges as IPRange[],
    fqdn: String(v.Fqdn),
    banner: (v.Banner as string | null) ?? null,
    authMechanism: new Set(flagNames(v.AuthMechanism)),
    permissionGroups: flagNames(v.PermissionGroups),
    requireTls: v.RequireTLS === true,
    requireEhloDomain: v.RequireEHLODomain === true,
    tlsCertificateName: (v.TlsCertificateName as string | null) ?? null,
    maxMessageSize: bytes(v.MaxMessageSize),
    maxHeaderSize: bytes(v.MaxHeaderSize),
    maxRecipientsPerMessage: Number(v.MaxRecipientsPerMessage),
    sizeMode: String(v.SizeEnabled) as ReceiveConnectorConfig['sizeMode'],
    pipelining: v.PipeliningEnabled === true,
    chunking: v.ChunkingEnabled === true,
    binaryMime: v.BinaryMimeEnabled === true && v.ChunkingEnabled === true,
    eightBitMime: v.EightBitMimeEnabled === true,
    dsn: v.DeliveryStatusNotificationEnabled === true,
    enhancedStatusCodes: v.EnhancedStatusCodesEnabled === true,
    maxInboundConnection: unlimited(v.MaxInboundConnection),
    maxInboundConnectionPerSource: unlimited(v.MaxInboundConnectionPerSource),
    maxInboundConnectionPercentagePerSource: Number(v.MaxInboundConnectionPercentagePerSource),
    connectionTimeoutMs: ms(v.ConnectionTimeout),
    connectionInactivityTimeoutMs: ms(v.ConnectionInactivityTimeout),
    messageRateLimit: unlimited(v.MessageRateLimit),
    messageRateSource: String(v.MessageRateSource),
    tarpitMs: ms(v.TarpitInterval),
    authTarpitMs: ms(v.AuthTarpitInterval),
    maxProtocolErrors: unlimited(v.MaxProtocolErrors),
    maxLogonFailures: Number(v.MaxLogonFailures),
    maxHopCount: Number(v.MaxHopCount),
    maxLocalHopCount: Number(v.MaxLocalHopCount),
    bareLinefeedRejection: v.BareLinefeedRejectionEnabled === true,
    defaultDomain: v.DefaultDomain ? String(v.DefaultDomain) : null,
    rejectReservedTld: v.RejectReservedTopLevelRecipientDomains === true,
    rejectReservedSld: v.RejectReservedSecondLevelRecipientDomains === true,
    rejectSingleLabel: v.RejectSingleLabelRecipientDomains === true,
    protocolLogging: String(v.ProtocolLoggingLevel) === 'Verbose',
  };
}

export function loadTransportConfig(repo: Repository, role: ServerRoleName, serverName: string, fqdn: string): TransportConfig {
  return repo.transaction(() => {
    const changeCounter = repo.store.changeCounter();
    const receiveConnectors = repo.list(receiveConnectorSchema, serverName).map(receiveConnectorConfig);
    const acceptedDomains = repo.list(acceptedDomainSchema).map((d) => ({
      name: String(d.values.Name),
      domain: d.values.DomainName as SmtpDomainWithSubdomains,
      type: String(d.values.DomainType) as AcceptedDomainRule['type'],
      matchSubDomains: d.values.MatchSubDomains === true,
    }));
    const ts = repo.findByName(transportServiceSchema, serverName, serverName);
    return {
      role, serverName, fqdn, changeCounter, receiveConnectors, acceptedDomains,
      receiveProtocolLogPath: String(ts?.values.ReceiveProtocolLogPath ?? 'Logs/ProtocolLog/SmtpReceive'),
      messageTrackingLogPath: String(ts?.values.MessageTrackingLogPath ?? 'Logs/MessageTracking'),
    };
  });
}

/** The accepted domain a recipient domain falls in, if any. */
export function acceptedDomainFor(rules: readonly AcceptedDomainRule[], domain: string): AcceptedDomainRule | undefined {
  const d = domain.toLowerCase();
  let best: AcceptedDomainRule | undefined;
  let bestLength = -1;
  for (const r of rules) {
    const base = r.domain.domain.toLowerCase();
    const hit = r.domain.matches(d) || (r.matchSubDomains && d.endsWith('.' + base));
    if (hit && base.length > bestLength) {
      best = r;
      bestLength = base.length;
    }
  }
  return best;
}
