// The organization-wide settings the running service obeys, read from the
// store beside the rest of its configuration snapshot: Set-TransportConfig's
// limits and lists, the remote domains, and this server's component states
// (maintenance mode). Missing objects mean Exchange's defaults.

import { DEFAULT_REMOTE_DOMAIN, remoteDomainSchema } from './model/remote-domain.js';
import { effectiveState, serverComponentStateSchema, type ComponentStateValue, type RequesterState } from './model/server-component-state.js';
import { TRANSPORT_CONFIG_NAME, transportConfigSchema } from './model/transport-config.js';
import { SmtpDomainWithSubdomains, type ByteQuantifiedSize, type IPRange, type SmtpDomain, type Unlimited } from './types/index.js';
import type { Repository } from '../store/repository.js';
import { withDefaults, type DefaultContext } from './schema.js';

export interface OrganizationLimits {
  /** null = unlimited. */
  maxSendSize: number | null;
  maxReceiveSize: number | null;
  maxRecipientEnvelopeLimit: number | null;
  /** Lower-case domains of TLSSendDomainSecureList / TLSReceiveDomainSecureList. */
  tlsSendDomainSecure: string[];
  tlsReceiveDomainSecure: string[];
  internalSmtpServers: IPRange[];
  /** GenerateCopyOfDSNFor: NDR codes copied to the postmaster. */
  copyDsnFor: string[];
  /** ExternalPostmasterAddress of the organization (null: the default); a server's own setting wins. */
  externalPostmaster?: string | null;
  /** Delay DSNs to senders inside (accepted domains) and outside the organization. */
  internalDelayDsn?: boolean;
  externalDelayDsn?: boolean;
  /** Largest original returned whole in an NDR, to senders inside and outside the organization. */
  internalDsnMaxAttach?: number;
  externalDsnMaxAttach?: number;
}

export interface RemoteDomainRule {
  name: string;
  domain: SmtpDomainWithSubdomains;
  autoReply: boolean;
  autoForward: boolean;
  deliveryReport: boolean;
  ndr: boolean;
}

function sizeOf(v: unknown): number | null {
  const u = v as Unlimited<ByteQuantifiedSize>;
  return u.isUnlimited ? null : u.value.bytes;
}

function countOf(v: unknown): number | null {
  const u = v as Unlimited<number>;
  return u.isUnlimited ? null : Number(u.value);
}

export function loadOrganizationLimits(repo: Repository, server: DefaultContext): OrganizationLimits {
  // Stored values, else the schema's defaults (Set-TransportConfig's object exists once something was set).
  const t = withDefaults(transportConfigSchema, repo.findByName(transportConfigSchema, '', TRANSPORT_CONFIG_NAME)?.values, server);
  const domains = (v: unknown) => ((v as SmtpDomain[] | undefined) ?? []).map((d) => d.domain.toLowerCase());
  return {
    maxSendSize: sizeOf(t.MaxSendSize),
    maxReceiveSize: sizeOf(t.MaxReceiveSize),
    maxRecipientEnvelopeLimit: countOf(t.MaxRecipientEnvelopeLimit),
    tlsSendDomainSecure: domains(t.TLSSendDomainSecureList),
    tlsReceiveDomainSecure: domains(t.TLSReceiveDomainSecureList),
    internalSmtpServers: t.InternalSMTPServers as IPRange[],
    copyDsnFor: t.GenerateCopyOfDSNFor as string[],
    externalPostmaster: t.ExternalPostmasterAddress ? String(t.ExternalPostmasterAddress) : null,
    internalDelayDsn: t.InternalDelayDsnEnabled !== false,
    externalDelayDsn: t.ExternalDelayDsnEnabled !== false,
    internalDsnMaxAttach: (t.InternalDsnMaxMessageAttachSize as ByteQuantifiedSize).bytes,
    externalDsnMaxAttach: (t.ExternalDsnMaxMessageAttachSize as ByteQuantifiedSize).bytes,
  };
}

export function loadRemoteDomains(repo: Repository): RemoteDomainRule[] {
  const rules = repo.list(remoteDomainSchema).map((o) => ({
    name: String(o.values.Name),
    domain: o.values.DomainName as SmtpDomainWithSubdomains,
    autoReply: o.values.AutoReplyEnabled !== false,
    autoForward: o.values.AutoForwardEnabled !== false,
    deliveryReport: o.values.DeliveryReportEnabled !== false,
    ndr: o.values.NDREnabled !== false,
  }));
  if (!rules.some((r) => r.domain.isStar)) {
    rules.push({ name: DEFAULT_REMOTE_DOMAIN, domain: SmtpDomainWithSubdomains.ALL, autoReply: true, autoForward: true, deliveryReport: true, ndr: true });
  }
  return rules;
}

/** The remote domain that governs mail to `domain`: the most specific match ("*" last). */
export function remoteDomainFor(rules: readonly RemoteDomainRule[], domain: string): RemoteDomainRule | undefined {
  let best: RemoteDomainRule | undefined;
  let bestScore = -1;
  for (const r of rules) {
    if (!r.domain.matches(domain)) continue;
    const score = r.domain.isStar ? 0 : r.domain.domain.length * 2 + (r.domain.includeSubdomains ? 0 : 1);
    if (score > bestScore) {
      best = r;
      bestScore = score;
    }
  }
  return best;
}

/**
 * This server's HubTransport state as its component states make it, and the servers
 * Redirect-Message sends its queued mail to (kept with HubTransport; in force only while the
 * server is not Active).
 */
export function loadHubTransportState(repo: Repository, serverName: string): { state: ComponentStateValue; redirectTargets: string[] } {
  const states = new Map<string, RequesterState[]>();
  let targets: string[] = [];
  for (const o of repo.list(serverComponentStateSchema, serverName)) {
    states.set(String(o.values.Name), (o.values.Requesters as RequesterState[] | undefined) ?? []);
    if (String(o.values.Name) === 'HubTransport' && Array.isArray(o.values.RedirectTargets)) targets = o.values.RedirectTargets.map(String);
  }
  const state = effectiveState('HubTransport', states);
  return { state, redirectTargets: state === 'Active' ? [] : targets };
}
