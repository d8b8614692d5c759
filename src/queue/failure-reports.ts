// Which delivery outcomes are reported to the sender, and how: non-delivery
// reports for recipients that failed for good (unless the sender asked for
// none, its remote domain has NDRs turned off, or the sender is the null
// sender), copies for the postmaster by Set-TransportConfig
// -GenerateCopyOfDSNFor, and delay notifications. The DSNs themselves are
// submitted through dsn-submission.ts.

import { ndrBlock } from '../routing/remote-domain-policy.js';
import { acceptedDomainFor, type TransportConfig } from '../config/transport-config.js';
import type { DeliveryContext } from './delivery-context.js';
import { ADMIN_DELETE_TEXT, type AppliedRemoval, type PendingRecipient } from './delivery-state.js';
import type { DsnInput, DsnRecipient } from './dsn.js';
import { DSN_MAX_ATTACH, DsnBuildError, submitDsn } from './dsn-submission.js';

/** A recipient that failed for good: the text it failed with and its enhanced status code. */
export type FailedRecipient = PendingRecipient & { reply: string; enhanced: string };

export interface FailureReportDeps extends Pick<DeliveryContext, 'store' | 'state' | 'log' | 'now' | 'track'> {
  buildDsn: (input: DsnInput) => Buffer;
}

/** Whether the recipient's NOTIFY asks for this kind of notice. */
export function wantsNotice(r: { notify?: string[] }, kind: 'FAILURE' | 'DELAY'): boolean {
  if (!r.notify || r.notify.length === 0) return true; // Exchange's default: failures and delays are reported
  return r.notify.includes(kind);
}

export class FailureReports {
  constructor(private readonly deps: FailureReportDeps) {}

  /** Remove-Message applied when the delivery attempt ended: tracked as the shell tracks a removal, and one NDR when asked for. */
  removedByAdmin(removals: AppliedRemoval[], config: TransportConfig): void {
    for (const r of removals) {
      const e = this.deps.state.message(r.message)?.envelope;
      this.deps.track({
        timestamp: new Date(this.deps.now()),
        source: 'QUEUE',
        eventId: 'FAIL',
        internalMessageId: r.message,
        messageId: e?.messageId,
        recipients: r.recipients.map((x) => x.address),
        recipientStatus: r.recipients.map(() => ADMIN_DELETE_TEXT),
        recipientCount: r.recipients.length,
        returnPath: e ? e.sender || '<>' : undefined,
        sourceContext: r.context,
      });
      this.deps.log.log('info', 'queue.message.removed', { internalId: r.message, queue: r.hop, recipients: r.recipients.length, ndr: r.withNdr, by: r.context });
      if (r.withNdr)
        this.failed(
          r.message,
          r.recipients.map((x) => ({ ...x, reply: ADMIN_DELETE_TEXT, enhanced: '5.3.2' })),
          config,
        );
    }
  }

  /** An NDR for recipients that failed for good (unless the sender is null or asked for none). */
  failed(messageId: number, failed: FailedRecipient[], config: TransportConfig, remote?: string): void {
    const message = this.deps.state.message(messageId);
    if (!message || message.envelope.sender === '') return;
    const status = (r: { enhanced: string }) => (r.enhanced.startsWith('4') ? `5${r.enhanced.slice(1)}` : r.enhanced);
    let wanted = failed.filter((r) => wantsNotice(r, 'FAILURE'));
    const blockedBy = ndrBlock(config.remoteDomains, config.acceptedDomains, message.envelope.sender);
    if (blockedBy && wanted.length > 0) {
      this.deps.log.log('info', 'dsn.suppressed', { internalId: messageId, to: message.envelope.sender, remoteDomain: blockedBy, reason: `NDREnabled is $false on remote domain "${blockedBy}" (Set-RemoteDomain)` });
      wanted = [];
    }
    // Set-TransportConfig -GenerateCopyOfDSNFor: these codes also go to the postmaster mailbox an
    // admin named (ExternalPostmasterAddress). Left at its default, Exchange copies them to the
    // Microsoft Exchange recipient, which has no mailbox until one is assigned: nothing is sent.
    const copied = config.postmasterSet ? failed.filter((r) => config.organization.copyDsnFor.includes(status(r))) : [];
    const reported = wanted.length > 0 ? wanted : copied;
    if (reported.length === 0) return;
    this.submit(
      'failure',
      messageId,
      reported.map((r) => ({
        address: r.address,
        ...(r.orcpt && { orcpt: r.orcpt }),
        action: 'failed' as const,
        status: status(r),
        diagnostic: r.reply,
        ...(remote && { remoteMta: remote }),
        lastAttempt: new Date(this.deps.now()),
      })),
      config,
      { sender: wanted.length > 0, postmasterCopy: copied.length > 0 },
    );
  }

  /** A delay notification for recipients still waiting after DelayNotificationTimeout (the caller checked who wants one). */
  delayed(messageId: number, late: PendingRecipient[], receivedAt: number, config: TransportConfig): void {
    this.submit(
      'delay',
      messageId,
      late.map((r) => ({
        address: r.address,
        ...(r.orcpt && { orcpt: r.orcpt }),
        action: 'delayed' as const,
        status: '4.4.7',
        diagnostic: r.lastError ?? undefined,
        willRetryUntil: new Date(receivedAt + config.retry.messageExpirationMs),
      })),
      config,
    );
  }

  /** Set-TransportConfig -InternalDelayDsnEnabled / -ExternalDelayDsnEnabled, by where the sender is. */
  delayDsnWanted(sender: string, config: TransportConfig): boolean {
    const internal = acceptedDomainFor(config.acceptedDomains, sender.slice(sender.lastIndexOf('@') + 1)) !== undefined;
    return (internal ? config.organization.internalDelayDsn : config.organization.externalDelayDsn) !== false;
  }

  /** Set-TransportConfig -InternalDsnMaxMessageAttachSize / -ExternalDsnMaxMessageAttachSize, by where the sender is. */
  private dsnMaxAttach(sender: string, config: TransportConfig): number {
    const internal = acceptedDomainFor(config.acceptedDomains, sender.slice(sender.lastIndexOf('@') + 1)) !== undefined;
    return (internal ? config.organization.internalDsnMaxAttach : config.organization.externalDsnMaxAttach) ?? DSN_MAX_ATTACH;
  }

  private submit(kind: 'failure' | 'delay', originalId: number, recipients: DsnRecipient[], config: TransportConfig, to = { sender: true, postmasterCopy: false }): void {
    const message = this.deps.state.message(originalId);
    if (!message) return;
    let dsn: ReturnType<typeof submitDsn>;
    try {
      dsn = submitDsn(
        { state: this.deps.state, store: this.deps.store, track: this.deps.track, build: this.deps.buildDsn },
        {
          kind,
          original: originalId,
          recipients,
          reportingMta: config.fqdn,
          postmaster: config.postmaster,
          maxAttachBytes: this.dsnMaxAttach(message.envelope.sender, config),
          now: new Date(this.deps.now()),
          to,
        },
      );
    } catch (err) {
      if (!(err instanceof DsnBuildError)) throw err;
      this.deps.log.log('error', 'dsn.build.failed', { internalId: originalId, error: err.message });
      return;
    }
    if (!dsn) return;
    dsn.accepted.then(
      (internalId) => this.deps.log.log('info', 'dsn.generated', { kind, original: originalId, dsn: internalId, to: dsn.to, recipients: recipients.length, ...(to.postmasterCopy && { postmasterCopy: config.postmaster }) }),
      (err) => this.deps.log.log('error', 'dsn.queue.failed', { original: originalId, error: (err as Error).message }),
    );
  }
}
