// Routing of one recipient (spec exchange-connectors.md §7.1-7.3): accepted
// domains first (on a Mailbox server an Authoritative domain is delivered to
// mailboxes), then the Send connectors this server may use: enabled, sourced
// on this server (Mailbox) and big enough for the message; the most specific
// address space wins, then the lowest cost, then the lowest name. Nothing
// matches: the Unreachable queue (not an NDR). Every matching connector too
// small: an NDR (5.3.4). Pure: the decision depends only on its inputs.

import type { ServerRoleName } from '../config/model/server.js';
import type { AcceptedDomainRule } from '../config/transport-config.js';
import { acceptedDomainFor } from '../config/transport-config.js';
import { smartHostList, type SendConnectorConfig } from './send-connector-config.js';

export type DeliveryType = 'DnsConnectorDelivery' | 'SmartHostConnectorDelivery' | 'SmtpDeliveryToMailbox' | 'SmtpRelayToMailboxDeliveryGroup' | 'SmtpRelayToConnectorSourceServers' | 'Unreachable' | 'Undefined';

export type RouteDecision =
  | {
      kind: 'queue';
      deliveryType: DeliveryType;
      /** The queue's NextHopDomain: recipient domain, smart-host list, mailbox delivery or "Unreachable Domain". */
      nextHopDomain: string;
      /** The Send connector used (GUID), or '' for mailbox delivery and Unreachable. */
      connector: string;
      /** Unique key of the delivery queue. */
      key: string;
    }
  | { kind: 'fail'; enhanced: string; text: string }
  /** A distribution group: its members take the recipient's place (EXPAND). */
  | { kind: 'expand'; addresses: string[] }
  /** ForwardingSmtpAddress: the mail goes to another address instead (REDIRECT), or in addition
   *  (`keep`: DeliverToMailboxAndForward; the recipient itself is routed as `keep` says). */
  | { kind: 'redirect'; address: string; keep?: RouteDecision };

/** What routing needs to know about an organization recipient (directory/recipients.ts). */
export type RecipientInfo =
  | { kind: 'mailbox'; database: string; server: string; maxReceiveSize: number | null; forwardingSmtpAddress: string | null; deliverToMailboxAndForward?: boolean; requireSenderAuthentication: boolean }
  | { kind: 'group'; members: string[]; requireSenderAuthentication: boolean };

export interface RoutingInput {
  role: ServerRoleName;
  serverName: string;
  acceptedDomains: readonly AcceptedDomainRule[];
  sendConnectors: readonly SendConnectorConfig[];
  /** Mailbox servers: the organization's recipients. */
  recipient?: (address: string) => RecipientInfo | null;
  /** Mailbox servers: the implicit connectors to the other Mailbox servers, by server name. */
  intraOrg?: readonly SendConnectorConfig[];
  /** The message came from a sender that did not authenticate (X-MS-Exchange-Organization-AuthAs: Anonymous). */
  anonymousSender?: boolean;
}

export const UNREACHABLE: RouteDecision = { kind: 'queue', deliveryType: 'Unreachable', nextHopDomain: 'Unreachable Domain', connector: '', key: 'Unreachable' };

/** How well a connector's address spaces match a domain: [specificity, cost], or null. */
function bestMatch(c: SendConnectorConfig, domain: string, accepted: readonly AcceptedDomainRule[]): { specificity: number; cost: number } | null {
  let best: { specificity: number; cost: number } | null = null;
  for (const space of c.addressSpaces) {
    if (!space.isSmtp) continue;
    let specificity: number | null;
    if (space.isAllAcceptedDomains) {
      // "--": the organization's authoritative and internal-relay domains.
      const rule = acceptedDomainFor(accepted, domain);
      specificity = rule && rule.type !== 'ExternalRelay' ? 1 + rule.domain.domain.split('.').length * 2 : null;
    } else {
      specificity = space.specificity(domain);
    }
    if (specificity === null) continue;
    if (!best || specificity > best.specificity || (specificity === best.specificity && space.cost < best.cost)) best = { specificity, cost: space.cost };
  }
  return best;
}

/** Routing of an organization recipient on a Mailbox server (null: not one; route by connectors). */
function routeOrganizationRecipient(address: string, messageSize: number, rule: AcceptedDomainRule, input: RoutingInput): RouteDecision | null {
  const found = input.recipient?.(address) ?? null;
  if (!found) {
    return rule.type === 'Authoritative' ? { kind: 'fail', enhanced: '5.1.1', text: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found' } : null;
  }
  if (found.requireSenderAuthentication && input.anonymousSender) {
    return { kind: 'fail', enhanced: '5.7.1', text: '550 5.7.1 RESOLVER.RST.AuthRequired; authentication required' };
  }
  if (found.kind === 'group') return { kind: 'expand', addresses: found.members };
  if (found.forwardingSmtpAddress && found.forwardingSmtpAddress.toLowerCase() !== address.toLowerCase()) {
    if (!found.deliverToMailboxAndForward) return { kind: 'redirect', address: found.forwardingSmtpAddress };
    const keep = routeOrganizationRecipient(address, messageSize, rule, { ...input, recipient: () => ({ ...found, forwardingSmtpAddress: null }) });
    return { kind: 'redirect', address: found.forwardingSmtpAddress, ...(keep && { keep }) };
  }
  if (found.maxReceiveSize !== null && messageSize > found.maxReceiveSize) {
    return { kind: 'fail', enhanced: '5.2.3', text: '550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient' };
  }
  if (found.server.toLowerCase() === input.serverName.toLowerCase()) {
    return { kind: 'queue', deliveryType: 'SmtpDeliveryToMailbox', nextHopDomain: found.database, connector: '', key: `mailbox:${found.database.toLowerCase()}` };
  }
  const relay = input.intraOrg?.find((c) => c.name.toLowerCase() === found.server.toLowerCase());
  if (!relay) return UNREACHABLE;
  return { kind: 'queue', deliveryType: 'SmtpRelayToMailboxDeliveryGroup', nextHopDomain: String(relay.smartHosts[0]), connector: relay.guid, key: `relay:${found.server.toLowerCase()}` };
}

export function routeRecipient(domain: string, messageSize: number, input: RoutingInput, address = ''): RouteDecision {
  const d = domain.toLowerCase();
  const rule = acceptedDomainFor(input.acceptedDomains, d);
  if (input.role === 'Mailbox' && rule && rule.type !== 'ExternalRelay' && input.recipient) {
    const org = routeOrganizationRecipient(address, messageSize, rule, input);
    if (org) return org;
  } else if (input.role === 'Mailbox' && rule?.type === 'Authoritative') {
    return { kind: 'queue', deliveryType: 'SmtpDeliveryToMailbox', nextHopDomain: 'Mailbox delivery', connector: '', key: 'mailbox' };
  }
  const sourcedHere = (c: SendConnectorConfig) => input.role === 'EdgeTransport' || c.sourceTransportServers.some((s) => s.toLowerCase() === input.serverName.toLowerCase());
  const all = input.sendConnectors
    .filter((c) => c.enabled)
    .map((c) => ({ c, m: bestMatch(c, d, input.acceptedDomains) }))
    .filter((x): x is { c: SendConnectorConfig; m: { specificity: number; cost: number } } => x.m !== null);
  const matches = all.filter((x) => sourcedHere(x.c));
  if (matches.length === 0) {
    // A connector sourced on other Mailbox servers: hand the mail to one of them (Exchange's
    // SmtpRelayToConnectorSourceServers), which then sends it through that connector.
    const remote = all
      .filter((x) => x.c.maxMessageSize === null || messageSize <= x.c.maxMessageSize)
      .sort((a, b) => b.m.specificity - a.m.specificity || a.m.cost - b.m.cost || a.c.name.toLowerCase().localeCompare(b.c.name.toLowerCase()))[0]?.c;
    const relay = remote && input.intraOrg?.find((r) => remote.sourceTransportServers.some((s) => s.toLowerCase() === r.name.toLowerCase()));
    if (remote && relay) {
      return { kind: 'queue', deliveryType: 'SmtpRelayToConnectorSourceServers', nextHopDomain: remote.name, connector: relay.guid, key: `sourceservers:${remote.guid}` };
    }
    return UNREACHABLE;
  }
  const bigEnough = matches.filter((x) => x.c.maxMessageSize === null || messageSize <= x.c.maxMessageSize);
  if (bigEnough.length === 0) {
    return { kind: 'fail', enhanced: '5.3.4', text: `550 5.3.4 ROUTING.SizeLimit; message size exceeds fixed maximum size for route (every Send connector for ${d} has a smaller MaxMessageSize)` };
  }
  bigEnough.sort((a, b) => b.m.specificity - a.m.specificity || a.m.cost - b.m.cost || a.c.name.toLowerCase().localeCompare(b.c.name.toLowerCase()));
  const c = bigEnough[0].c;
  if (c.dnsRoutingEnabled) return { kind: 'queue', deliveryType: 'DnsConnectorDelivery', nextHopDomain: d, connector: c.guid, key: `dns:${c.guid}:${d}` };
  return { kind: 'queue', deliveryType: 'SmartHostConnectorDelivery', nextHopDomain: smartHostList(c), connector: c.guid, key: `smarthost:${c.guid}` };
}
