// Whether a session may send as a sender and to a recipient domain (spec
// exchange-connectors.md §5.1-5.3), by its rights alone: Submit, then the
// anti-spoofing checks for sessions that did not authenticate, then relay.
// The session applies these on MAIL and RCPT; Trace-MailFlow shows the same
// replies before any mail is sent.

import addressparser from 'nodemailer/lib/addressparser';
import { acceptedDomainFor, type AcceptedDomainRule } from '../../config/transport-config.js';
import { enhancedReply, Replies, type SmtpReply } from '../protocol/index.js';
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

/** A recipient that only takes mail from authenticated senders (RequireSenderAuthenticationEnabled). */
export const authRequired = enhancedReply(550, '5.7.1', 'RESOLVER.RST.AuthRequired; authentication required');

/**
 * Mailbox servers: the reply that refuses a recipient of one of the organization's domains, by
 * what the directory holds (`found`: the recipient, or null when no recipient has the address).
 */
export function directoryRefusal(a: Admission, accepted: AcceptedDomainRule, found: { requireSenderAuthentication: boolean } | null): SmtpReply | null {
  if (accepted.type === 'ExternalRelay') return null;
  if (!found) return accepted.type === 'Authoritative' ? Replies.userUnknown : null;
  return found.requireSenderAuthentication && a.principal.kind === 'anonymous' ? authRequired : null;
}

/** A mailbox user sending as an address that is not one of its own. */
export const sendAsDenied = enhancedReply(550, '5.7.60', 'SMTP; Client does not have permissions to send as this sender');

/** Client submission: the reply that refuses a mailbox user sending as `sender` (`own`: the user's addresses). */
export function sendAsRefusal(sender: string, own: readonly string[]): SmtpReply | null {
  return sender !== '' && own.some((a) => a.toLowerCase() === sender.toLowerCase()) ? null : sendAsDenied;
}

/**
 * Client submission: the reply that refuses a message whose From or Sender names an address that
 * is not one of the user's own (`own`), as Exchange checks Send As on the message's originators.
 * Entries without an address (a bare display name) name nobody and are not refused.
 */
export function headerSendAsRefusal(originators: { from: string; sender: string }, own: readonly string[]): SmtpReply | null {
  const mine = new Set(own.map((a) => a.toLowerCase()));
  for (const field of [originators.from, originators.sender]) {
    if (!field) continue;
    for (const mailbox of addressparser(field, { flatten: true })) {
      const address = mailbox.address.trim();
      if (address !== '' && !mine.has(address.toLowerCase())) return sendAsDenied;
    }
  }
  return null;
}
