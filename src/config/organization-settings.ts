// The organization-wide settings the running service obeys, read from the
// store beside the rest of its configuration snapshot: Set-TransportConfig's
// limits and lists, the remote domains, and this server's component states
// (maintenance mode). Missing objects mean Exchange's defaults.

import { DEFAULT_REMOTE_DOMAIN, remoteDomainSchema } from './model/remote-domain.js';
import { effectiveState, serverComponentStateSchema, type ComponentStateValue, type RequesterState } from './model/server-component-state.js';
import { TRANSPORT_CONFIG_NAME, transportConfigSchema } from './model/transport-config.js';
import { SmtpDomainWithSubdomains, type ByteQuantifiedSize, type IPRange, type SmtpDomain, type Unlimited } from './types/index.js';
import type { Repository } from '../store/repository.js';

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

const DEFAULT_COPY_DSN_FOR = ['5.4.8', '5.4.6', '5.4.4', '5.2.4', '5.2.0', '5.1.4'];
const TEN_MB = 10 * 1024 * 1024;

function sizeOf(v: unknown, fallback: number | null): number | null {
  if (v === null || v === undefined) return fallback;
  const u = v as Unlimited<ByteQuantifiedSize>;
  return u.isUnlimited ? null : u.value.bytes;
}

function countOf(v: unknown, fallback: number | null): number | null {
  if (v === null || v === undefined) return fallback;
  const u = v as Unlimited<number>;
  return u.isUnlimited ? null : Number(u.value);
}

export function loadOrganizationLimits(repo: Repository): OrganizationLimits {
  const t = repo.findByName(transportConfigSchema, '', TRANSPORT_CONFIG_NAME)?.values ?? {};
  const domains = (v: unknown) => ((v as SmtpDomain[] | undefined) ?? []).map((d) => d.domain.toLowerCase());
  return {
    maxSendSize: sizeOf(t.MaxSendSize, TEN_MB),
    maxReceiveSize: sizeOf(t.MaxReceiveSize, TEN_MB),
    maxRecipientEnvelopeLimit: countOf(t.MaxRecipientEnvelopeLimit, 500),
    tlsSendDomainSecure: domains(t.TLSSendDomainSecureList),
    tlsReceiveDomainSecure: domains(t.TLSReceiveDomainSecureList),
    internalSmtpServers: (t.InternalSMTPServers as IPRange[] | undefined) ?? [],
    copyDsnFor: t.GenerateCopyOfDSNFor === undefined ? DEFAULT_COPY_DSN_FOR : (t.GenerateCopyOfDSNFor as string[]),
    externalPostmaster: t.ExternalPostmasterAddress ? String(t.ExternalPostmasterAddress) : null,
    internalDelayDsn: t.InternalDelayDsnEnabled !== false,
    externalDelayDsn: t.ExternalDelayDsnEnabled !== false,
    internalDsnMaxAttach: t.InternalDsnMaxMessageAttachSize ? (t.InternalDsnMaxMessageAttachSize as ByteQuantifiedSize).bytes : TEN_MB,
    externalDsnMaxAttach: t.ExternalDsnMaxMessageAttachSize ? (t.ExternalDsnMaxMessageAttachSize as ByteQuantifiedSize).bytes : TEN_MB,
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
