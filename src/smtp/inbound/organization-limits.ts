// Set-TransportConfig's limits as an SMTP session applies them: which
// organization size limit a message is held to (MaxSendSize for a sender of
// the organization who authenticated, MaxReceiveSize for mail from outside),
// and how many envelope recipients a message may have. Mail relayed by
// another Exchange server, or over an externally secured connector, was held
// to them where it entered the organization.

import type { OrganizationLimits } from '../../config/organization-settings.js';
import type { Principal } from './permissions.js';

/** True when the organization's limits were applied at an earlier hop. */
function checkedUpstream(principal: Principal): boolean {
  return principal.kind === 'externallySecured' || (principal.kind === 'user' && principal.exchangeServer);
}

/** The organization's size limit for this session's messages in octets; null = none. */
export function organizationSizeLimit(principal: Principal, limits: OrganizationLimits): { octets: number; setting: 'MaxSendSize' | 'MaxReceiveSize' } | null {
  if (checkedUpstream(principal)) return null;
  const setting = principal.kind === 'user' ? 'MaxSendSize' : 'MaxReceiveSize';
  const octets = setting === 'MaxSendSize' ? limits.maxSendSize : limits.maxReceiveSize;
  return octets === null ? null : { octets, setting };
}

/** MaxRecipientEnvelopeLimit for this session; null = none. */
export function recipientEnvelopeLimit(principal: Principal, limits: OrganizationLimits): number | null {
  return checkedUpstream(principal) ? null : limits.maxRecipientEnvelopeLimit;
}
