// Whether a session may send as a sender and to a recipient domain (spec
// exchange-connectors.md §5.1-5.3), by its rights alone: Submit, then the
// anti-spoofing checks for sessions that did not authenticate, then relay.
// The session applies these on MAIL and RCPT; Test-Mailflow shows the same
// replies before any mail is sent.

import { acceptedDomainFor, type AcceptedDomainRule } from '../../roles/transport-config.js';
import { Replies, type SmtpReply } from '../protocol/index.js';
import type { Principal, Right } from './permissions.js';

export interface Admission {
  rights: ReadonlySet<Right>;
  principal: Principal;
  acceptedDomains: readonly AcceptedDomainRule[];
}

/** The reply that refuses MAIL FROM:<sender>, or null when the rights allow it. */
export function senderRefusal(a: Admission, sender: string): SmtpReply | null {
  if (!a.rights.has('Submit')) return a.principal.kind === 'anonymous' ? Replies.notAuthenticated : Replies.noSubmitPermission;
  const at = sender.lastIndexOf('@');
  // Authenticated users are checked against their own addresses instead (send-as).
  if (a.principal.kind === 'user' || sender === '' || at <= 0) return null;
  const domain = acceptedDomainFor(a.acceptedDomains, sender.slice(at + 1));
  const refusal = a.principal.kind === 'anonymous' ? Replies.anonymousNoSendAsPermission : Replies.noSendAsPermission;
  // Without Accept-Any-Sender the sender's domain must be accepted here; without
  // Accept-Authoritative-Domain-Sender it must not be one of ours.
  if (!a.rights.has('AcceptAnySender') && !domain) return refusal;
  if (!a.rights.has('AcceptAuthoritativeDomainSender') && domain?.type === 'Authoritative') return refusal;
  return null;
}

/** The reply that refuses a recipient in `domain` as relaying, or null. */
export function relayRefusal(a: Admission, domain: string): SmtpReply | null {
  return !acceptedDomainFor(a.acceptedDomains, domain) && !a.rights.has('AcceptAnyRecipient') ? Replies.unableToRelay : null;
}
