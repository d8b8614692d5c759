// The remote domain settings applied to one message (Set-RemoteDomain):
// whether an automatic message may go to a recipient outside the
// organization, and whether a non-delivery report may go to a sender there.
// Domains of the organization (accepted domains) are never remote.

import { acceptedDomainFor, type AcceptedDomainRule } from '../config/transport-config.js';
import { remoteDomainFor, type RemoteDomainRule } from '../config/organization-settings.js';
import type { Envelope } from '../queue/queue-store.js';

type MessageClass = NonNullable<Envelope['messageClass']>;

const SETTING: Record<MessageClass, { key: keyof RemoteDomainRule; parameter: string }> = {
  AutoReply: { key: 'autoReply', parameter: 'AutoReplyEnabled' },
  AutoForward: { key: 'autoForward', parameter: 'AutoForwardEnabled' },
  DeliveryReport: { key: 'deliveryReport', parameter: 'DeliveryReportEnabled' },
  NonDeliveryReport: { key: 'ndr', parameter: 'NDREnabled' },
};

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** The remote domain and setting that keep this message from `recipient`; null when it may go. */
export function remoteDomainBlock(rules: readonly RemoteDomainRule[], accepted: readonly AcceptedDomainRule[], recipient: string, messageClass: Envelope['messageClass']): { remoteDomain: string; parameter: string } | null {
  if (!messageClass) return null;
  const domain = domainOf(recipient);
  if (acceptedDomainFor(accepted, domain)) return null;
  const rule = remoteDomainFor(rules, domain);
  const setting = SETTING[messageClass];
  if (!rule || rule[setting.key] !== false) return null;
  return { remoteDomain: rule.name, parameter: setting.parameter };
}

/** The remote domain whose NDREnabled $false keeps an NDR from `sender`; null when the NDR may go. */
export function ndrBlock(rules: readonly RemoteDomainRule[], accepted: readonly AcceptedDomainRule[], sender: string): string | null {
  return remoteDomainBlock(rules, accepted, sender, 'NonDeliveryReport')?.remoteDomain ?? null;
}
