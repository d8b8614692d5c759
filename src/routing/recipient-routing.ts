// Routing of queued recipients: each recipient not routed yet goes through the
// categorizer (routeRecipient) and lands in a delivery queue, is expanded or
// redirected, is dropped by a remote domain's settings, or fails (with an
// NDR). While this server is in maintenance (Redirect-Message), mail for other
// next hops goes to the target Mailbox servers. A configuration change routes
// every waiting recipient again.

import type { DeliveryContext } from '../queue/delivery-context.js';
import type { PendingRecipient } from '../queue/delivery-state.js';
import type { FailureReports } from '../queue/failure-reports.js';
import type { TransportConfig } from '../config/transport-config.js';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import { routeRecipient, type RecipientInfo } from './categorizer.js';
import { remoteDomainBlock } from './remote-domain-policy.js';

export interface RecipientRoutingDeps extends Pick<DeliveryContext, 'state' | 'log' | 'track'> {
  reports: FailureReports;
  /** Mailbox servers: the organization's recipients (groups, mailboxes, owning server). */
  recipients?: (address: string) => RecipientInfo | null;
}

export class RecipientRouting {
  constructor(private readonly deps: RecipientRoutingDeps) {}

  /** The configuration changed: waiting recipients are routed again (Unreachable drains when a connector appears). */
  rerouteAll(): void {
    const n = this.deps.state.rerouteAll();
    if (n > 0) this.deps.log.log('info', 'routing.rerouted', { recipients: n });
  }

  /** Routes the recipients not routed yet (up to 500 per pass). */
  routePending(config: TransportConfig, now: number): void {
    const pending = this.deps.state.unrouted(500);
    if (pending.length === 0) return;
    const failures = new Map<number, { r: PendingRecipient; text: string; enhanced: string }[]>();
    const events: TrackingEvent[] = [];
    const input = {
      role: config.role,
      serverName: config.serverName,
      acceptedDomains: config.acceptedDomains,
      sendConnectors: config.sendConnectors,
      intraOrg: config.intraOrg,
      ...(this.deps.recipients && { recipient: this.deps.recipients }),
    };
    this.deps.state.batch(() => {
      for (const r of pending) {
        const message = this.deps.state.message(r.message);
        if (!message) continue;
        const domain = r.address.slice(r.address.lastIndexOf('@') + 1);
        const block = remoteDomainBlock(config.remoteDomains, config.acceptedDomains, r.address, message.envelope.messageClass);
        if (block) {
          // Set-RemoteDomain: this kind of automatic message does not go to that domain; dropped without an NDR.
          const text = `550 5.7.1 RemoteDomain.${block.parameter}; ${message.envelope.messageClass} messages to remote domain "${block.remoteDomain}" are not allowed (Set-RemoteDomain -${block.parameter})`;
          this.deps.state.failed(r.message, r.idx, text);
          events.push({
            timestamp: new Date(now),
            source: 'ROUTING',
            eventId: 'DROP',
            internalMessageId: r.message,
            messageId: message.envelope.messageId,
            recipients: [r.address],
            recipientStatus: [text],
            recipientCount: 1,
            returnPath: message.envelope.sender || '<>',
            messageSubject: message.envelope.subject,
          } as TrackingEvent);
          this.deps.log.log('info', 'routing.remote-domain.dropped', { internalId: r.message, recipient: r.address, remoteDomain: block.remoteDomain, setting: block.parameter, messageClass: message.envelope.messageClass });
          continue;
        }
        const decision = routeRecipient(domain, message.size, { ...input, anonymousSender: message.envelope.authAs === 'Anonymous' }, r.address);
        if (decision.kind === 'fail') {
          this.deps.state.failed(r.message, r.idx, decision.text);
          failures.set(r.message, [...(failures.get(r.message) ?? []), { r, text: decision.text, enhanced: decision.enhanced }]);
        } else if (decision.kind === 'expand' || decision.kind === 'redirect') {
          const targets = decision.kind === 'expand' ? decision.addresses : [decision.address];
          const keep = decision.kind === 'redirect' && decision.keep?.kind === 'queue' ? decision.keep : null;
          const added = this.deps.state.replaceRecipient(r, targets, keep ? null : decision.kind === 'expand' ? 'Expanded' : 'Redirected');
          if (keep) this.deps.state.route(r.message, r.idx, keep, now);
          events.push({
            timestamp: new Date(now),
            source: 'ROUTING',
            eventId: decision.kind === 'expand' ? 'EXPAND' : 'REDIRECT',
            internalMessageId: r.message,
            messageId: message.envelope.messageId,
            recipients: added,
            recipientCount: added.length,
            relatedRecipientAddress: r.address,
            returnPath: message.envelope.sender || '<>',
          } as TrackingEvent);
        } else {
          this.deps.state.route(r.message, r.idx, this.redirected(decision, r.message, config), now);
        }
      }
    });
    for (const ev of events) this.deps.track(ev);
    for (const [message, list] of failures)
      this.deps.reports.failed(
        message,
        list.map((f) => ({ ...f.r, reply: f.text, enhanced: f.enhanced })),
        config,
      );
  }

  /**
   * Redirect-Message: while this server is in maintenance, mail for every next hop but its own
   * mailbox databases (and the Unreachable queue) goes to the target Mailbox servers, spread by message.
   */
  private redirected<T extends { kind: 'queue'; deliveryType: string; nextHopDomain: string; connector: string; key: string }>(
    decision: T,
    message: number,
    config: TransportConfig,
  ): T | { kind: 'queue'; deliveryType: 'SmtpRelayToMailboxDeliveryGroup'; nextHopDomain: string; connector: string; key: string } {
    const targets = config.redirectTargets;
    if (targets.length === 0 || decision.deliveryType === 'SmtpDeliveryToMailbox' || decision.deliveryType === 'Unreachable') return decision;
    const target = targets[message % targets.length].toLowerCase();
    const relay = config.intraOrg.find((c) => c.name.toLowerCase() === target);
    if (!relay) return decision;
    return { kind: 'queue', deliveryType: 'SmtpRelayToMailboxDeliveryGroup', nextHopDomain: String(relay.smartHosts[0]), connector: relay.guid, key: `relay:${target}` };
  }
}
