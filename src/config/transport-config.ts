// The configuration the transport service runs on: a frozen snapshot of this
// server's Receive connectors (as plain runtime settings), the accepted
// domains and the transport settings, read from the configuration store. A
// new snapshot is taken whenever the store's change counter moves; sessions
// keep the snapshot they started with.

import { loadAntispamSettings, type AntispamSettings } from '../agents/antispam-settings.js';
import type { LogRetention } from '../observability/log-retention.js';
import { acceptedDomainSchema } from './model/accepted-domain.js';
import { receiveConnectorSchema } from './model/receive-connector.js';
import type { ServerRoleName } from './model/server.js';
import { transportServiceSchema } from './model/transport-service.js';
import { flagNames } from './validate.js';
import { defaultValues, withDefaults, type DefaultContext } from './schema.js';
import type { ByteQuantifiedSize, EnhancedTimeSpan, IPBinding, IPRange, SmtpDomainWithSubdomains, Unlimited } from './types/index.js';
import type { ModelObject, Repository } from '../store/repository.js';
import { sendConnectorSchema } from './model/send-connector.js';
import { sendConnectorConfig, type SendConnectorConfig } from '../routing/send-connector-config.js';
import type { RetrySettings } from '../queue/retry-schedule.js';
import { serverSchema } from './model/server.js';
import type { StoredCredential } from './model/credential.js';
import { SmartHost } from './types/index.js';
import { LOCKOUT_POLICY_NAME, lockoutPolicyOf, lockoutPolicySchema, type LockoutPolicy } from './model/lockout-policy.js';
import type { ComponentStateValue } from './model/server-component-state.js';
import { loadDkimRules, type DkimRule } from '../dkim/outbound.js';
import { loadHubTransportState, loadOrganizationLimits, loadRemoteDomains, type OrganizationLimits, type RemoteDomainRule } from './organization-settings.js';

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
  /** DomainSecureEnabled: mail from the domains of TLSReceiveDomainSecureList needs mutual TLS. */
  domainSecure?: boolean;
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
  /** Folders as configured (relative ones are under the server folder). */
  receiveProtocolLog: { folder: string } & LogRetention;
  sendProtocolLog: { folder: string } & LogRetention;
  messageTrackingLogPath: string;
  sendConnectors: SendConnectorConfig[];
  /** Mailbox servers: one implicit connector per other Mailbox server (relay to the owner of a database). */
  intraOrg: SendConnectorConfig[];
  retry: RetrySettings;
  /** null = unlimited. */
  maxOutboundConnections: number | null;
  maxPerDomainOutboundConnections: number | null;
  queueMaxIdleMs: number;
  poisonThreshold: number;
  poisonDetection: boolean;
  /** MaxConnectionRatePerMinute: new inbound connections per minute. */
  maxConnectionRatePerMinute: number;
  /** The stored Set-TransportService DNS values, for the resolver settings. */
  dns: { ExternalDNSServers: unknown[]; ExternalDNSAdapterEnabled: boolean; InternalDNSServers: unknown[]; InternalDNSAdapterEnabled: boolean };
  /** Sender of DSNs: ExternalPostmasterAddress, else postmaster@<default domain> (Edge: postmaster@<FQDN>). */
  postmaster: string;
  /** Whether an admin set ExternalPostmasterAddress (server or organization): where GenerateCopyOfDSNFor's copies go. */
  postmasterSet: boolean;
  /**
   * Mailbox servers: the address outbound connections come from when the connector names none
   * (SourceIPAddress is Edge-only): the server's own address, i.e. the first specific address its
   * Receive connectors listen on, so that peers (the Edge's RemoteIPRanges) see the server's IP.
   */
  defaultSourceAddress: string | null;
  /** Message tracking log files (the folder relative to the server folder when not absolute). */
  trackingLog: { enabled: boolean; folder: string; subjects: boolean; maxFileBytes: number; maxAgeMs: number; maxDirectoryBytes: number | null };
  /** Set-TransportService -TlsMinimumVersion: the oldest TLS version inbound STARTTLS accepts. */
  tlsMinimumVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** The connectivity log (folder as configured). */
  connectivityLog: { enabled: boolean; folder: string } & LogRetention;
  /** The agent log of the anti-spam agents (folder as configured). */
  agentLog: { enabled: boolean; folder: string } & LogRetention;
  /** Edge: the anti-spam agents' settings (null on a Mailbox server: its agents are not installed). */
  antispam: AntispamSettings | null;
  /** The account lockout policy SMTP AUTH applies (the domain's on Mailbox servers, the local one on an Edge). */
  accountLockout?: LockoutPolicy;
  /** Set-TransportConfig: organization-wide limits, Domain Security lists, internal servers, NDR copies. */
  organization: OrganizationLimits;
  /** The remote domains (Default "*" always among them). */
  remoteDomains: RemoteDomainRule[];
  /** HubTransport's component state: anything but Active refuses new mail (maintenance mode). */
  hubTransport: ComponentStateValue;
  /** Redirect-Message: the Mailbox servers (names) this server's queued mail goes to while it is in maintenance. */
  redirectTargets: string[];
  /** Set-ExchangeServer -MonitoringGroup: a label on the metrics endpoint. */
  monitoringGroup?: string;
  /** New-DkimSigningConfig: the domains whose mail leaving for the Internet is DKIM-signed (keys still sealed). */
  dkim?: DkimRule[];
  /** ARC sealing: the domain whose DkimSigningConfig seals (the default accepted domain). */
  arcSealDomain?: string | null;
}

const ms = (v: unknown, fallback?: number) => (v === null || v === undefined ? (fallback ?? 0) : (v as EnhancedTimeSpan).milliseconds);
const bytes = (v: unknown) => (v as ByteQuantifiedSize).bytes;
const unlimitedBytes = (v: unknown): number | null => {
  const u = v as Unlimited<ByteQuantifiedSize>;
  return u.isUnlimited ? null : u.value.bytes;
};
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
    domainSecure: v.DomainSecureEnabled === true,
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
    // Stored values, else the schema's defaults (a server set up before a setting existed has none stored).
    const t = withDefaults(transportServiceSchema, ts?.values, { role, serverName, serverFqdn: fqdn });
    const sendConnectors = repo.list(sendConnectorSchema).map(sendConnectorConfig);
    const defaultDomain = repo.list(acceptedDomainSchema).find((d) => d.values.Default === true);
    const organization = loadOrganizationLimits(repo, { role, serverName, serverFqdn: fqdn });
    const postmaster = t.ExternalPostmasterAddress
      ? String(t.ExternalPostmasterAddress)
      : organization.externalPostmaster
        ? organization.externalPostmaster
        : role === 'Mailbox' && defaultDomain
          ? `postmaster@${String(defaultDomain.values.DomainName).replace(/^\*\./, '')}`
          : `postmaster@${fqdn}`;
    const intraOrg = role === 'Mailbox' ? intraOrgConnectors(repo, { role, serverName, serverFqdn: fqdn }, String(t.IntraOrgConnectorProtocolLoggingLevel) === 'Verbose') : [];
    return {
      role,
      serverName,
      fqdn,
      changeCounter,
      receiveConnectors,
      acceptedDomains,
      intraOrg,
      organization,
      remoteDomains: loadRemoteDomains(repo),
      dkim: loadDkimRules(repo),
      arcSealDomain: defaultDomain ? String(defaultDomain.values.DomainName).replace(/^\*\./, '').toLowerCase() : null,
      ...(({ state, redirectTargets }) => ({ hubTransport: state, redirectTargets }))(loadHubTransportState(repo, serverName)),
      monitoringGroup: String(repo.list(serverSchema).find((s) => String(s.values.Name).toLowerCase() === serverName.toLowerCase())?.values.MonitoringGroup ?? ''),
      receiveProtocolLog: {
        folder: String(t.ReceiveProtocolLogPath),
        maxFileBytes: bytes(t.ReceiveProtocolLogMaxFileSize),
        maxAgeMs: ms(t.ReceiveProtocolLogMaxAge),
        maxDirectoryBytes: unlimitedBytes(t.ReceiveProtocolLogMaxDirectorySize),
      },
      sendProtocolLog: {
        folder: String(t.SendProtocolLogPath),
        maxFileBytes: bytes(t.SendProtocolLogMaxFileSize),
        maxAgeMs: ms(t.SendProtocolLogMaxAge),
        maxDirectoryBytes: unlimitedBytes(t.SendProtocolLogMaxDirectorySize),
      },
      messageTrackingLogPath: String(t.MessageTrackingLogPath),
      sendConnectors,
      retry: {
        transientFailureRetryCount: Number(t.TransientFailureRetryCount),
        transientFailureRetryIntervalMs: ms(t.TransientFailureRetryInterval),
        outboundConnectionFailureRetryIntervalMs: ms(t.OutboundConnectionFailureRetryInterval),
        messageRetryIntervalMs: ms(t.MessageRetryInterval),
        messageExpirationMs: ms(t.MessageExpirationTimeout),
        delayNotificationMs: ms(t.DelayNotificationTimeout),
      },
      maxOutboundConnections: unlimited(t.MaxOutboundConnections),
      maxPerDomainOutboundConnections: unlimited(t.MaxPerDomainOutboundConnections),
      queueMaxIdleMs: ms(t.QueueMaxIdleTime),
      poisonThreshold: Number(t.PoisonThreshold),
      poisonDetection: t.PoisonMessageDetectionEnabled !== false,
      maxConnectionRatePerMinute: Number(t.MaxConnectionRatePerMinute),
      dns: {
        ExternalDNSServers: t.ExternalDNSServers as unknown[],
        ExternalDNSAdapterEnabled: t.ExternalDNSAdapterEnabled !== false,
        InternalDNSServers: t.InternalDNSServers as unknown[],
        InternalDNSAdapterEnabled: t.InternalDNSAdapterEnabled !== false,
      },
      postmaster,
      postmasterSet: Boolean(t.ExternalPostmasterAddress || organization.externalPostmaster),
      accountLockout: lockoutPolicyOf(repo.findByName(lockoutPolicySchema, '', LOCKOUT_POLICY_NAME)?.values),
      tlsMinimumVersion: String(t.TlsMinimumVersion) === 'Tls13' ? 'TLSv1.3' : 'TLSv1.2',
      defaultSourceAddress: role === 'Mailbox' ? ownAddress(receiveConnectors) : null,
      agentLog: {
        enabled: t.AgentLogEnabled !== false,
        folder: String(t.AgentLogPath),
        maxFileBytes: bytes(t.AgentLogMaxFileSize),
        maxAgeMs: ms(t.AgentLogMaxAge),
        maxDirectoryBytes: unlimitedBytes(t.AgentLogMaxDirectorySize),
      },
      antispam: role === 'EdgeTransport' ? loadAntispamSettings(repo, { role, serverName, serverFqdn: fqdn }) : null,
      connectivityLog: {
        enabled: t.ConnectivityLogEnabled !== false,
        folder: String(t.ConnectivityLogPath),
        maxFileBytes: bytes(t.ConnectivityLogMaxFileSize),
        maxAgeMs: ms(t.ConnectivityLogMaxAge),
        maxDirectoryBytes: unlimitedBytes(t.ConnectivityLogMaxDirectorySize),
      },
      trackingLog: {
        enabled: t.MessageTrackingLogEnabled !== false,
        folder: String(t.MessageTrackingLogPath),
        subjects: t.MessageTrackingLogSubjectLoggingEnabled !== false,
        maxFileBytes: bytes(t.MessageTrackingLogMaxFileSize),
        maxAgeMs: ms(t.MessageTrackingLogMaxAge),
        maxDirectoryBytes: unlimitedBytes(t.MessageTrackingLogMaxDirectorySize),
      },
    };
  });
}

/**
 * The implicit intra-organization connectors of a Mailbox server: one per
 * other Mailbox server, to its FQDN on port 25, STARTTLS required and Basic
 * auth with this server's own account (NAME$, a member of Exchange Servers).
 */
function intraOrgConnectors(repo: Repository, server: DefaultContext, protocolLogging: boolean): SendConnectorConfig[] {
  const serverName = server.serverName;
  // What a Send connector has unless set otherwise: the idle timeout and messages per connection.
  const sendDefaults = defaultValues(sendConnectorSchema, { ...server, usage: 'Internal' });
  const servers = repo.list(serverSchema);
  const self = servers.find((s) => String(s.values.Name).toLowerCase() === serverName.toLowerCase());
  const credential = (self?.values.ServerAccount as StoredCredential | null | undefined) ?? null;
  // The port the other server takes server-to-server mail on: its "Default <NAME>" connector's.
  const receivePort = (name: string): number => {
    const c = repo.list(receiveConnectorSchema).find((o) => o.server.toLowerCase() === name.toLowerCase() && String(o.values.Name).toLowerCase() === `default ${name.toLowerCase()}`);
    const bindings = (c?.values.Bindings as IPBinding[] | undefined) ?? [];
    return bindings[0]?.port ?? 25;
  };
  return servers
    .filter((s) => s !== self && s.values.ServerRole === 'Mailbox')
    .map((s) => ({
      guid: `intraorg:${String(s.values.Name).toLowerCase()}`,
      name: String(s.values.Name),
      enabled: true,
      usage: 'Internal',
      addressSpaces: [],
      dnsRoutingEnabled: false,
      smartHosts: [SmartHost.parse(String(s.values.Fqdn))],
      smartHostAuthMechanism: credential ? 'BasicAuthRequireTLS' : 'None',
      credential,
      credentialPurpose: self ? `ExchangeServer/${self.guid}/ServerAccount` : '',
      port: receivePort(String(s.values.Name)),
      maxMessageSize: null,
      fqdn: null,
      forceHelo: false,
      requireTls: true,
      ignoreStartTls: false,
      tlsAuthLevel: null,
      tlsDomain: null,
      tlsCertificateName: null,
      useExternalDnsServers: false,
      sourceIpAddress: null,
      connectionInactivityTimeoutMs: ms(sendDefaults.ConnectionInactivityTimeOut),
      maxMessagesPerConnection: Number(sendDefaults.SmtpMaxMessagesPerConnection),
      sourceTransportServers: [serverName],
      errorPolicies: ['Default'],
      protocolLogging,
    }));
}

function ownAddress(connectors: ReceiveConnectorConfig[]): string | null {
  const bindings = connectors
    .filter((c) => c.enabled)
    .flatMap((c) => c.bindings)
    .filter((b) => !b.isWildcard);
  const preferred = bindings.find((b) => b.port === 25) ?? bindings[0];
  return preferred ? preferred.address.toString() : null;
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
