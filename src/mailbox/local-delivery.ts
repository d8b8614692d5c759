// Delivery into this server's mailboxes (SmtpDeliveryToMailbox, Mailbox
// servers): each due recipient of a mailbox database's queue goes into its
// Maildir, once per address per message. A transient failure (a full disk, a
// folder that cannot be written) defers the recipient; a permanent one (no
// longer a mailbox, mailbox full) fails it with an NDR. Outcomes are tracked
// as STOREDRIVER events.

import type { DeliveryContext } from '../queue/delivery-context.js';
import type { MessageInfo, PendingRecipient, QueueRow } from '../queue/delivery-state.js';
import type { FailureReports } from '../queue/failure-reports.js';
import { withJitter } from '../queue/retry-schedule.js';
import type { TransportConfig } from '../config/transport-config.js';

const BATCH = 100;

/** Delivers one message into one local mailbox; the error's `transient: false` makes a failure permanent, its `reply`/`enhanced` name it. */
export type DeliverLocal = (address: string, message: Buffer, envelope: { returnPath: string; deliveredTo: string }) => Promise<void>;

export interface LocalDeliveryDeps extends DeliveryContext {
  deliverLocal: DeliverLocal;
  reports: FailureReports;
  metrics?: { outcomes: { inc(labels: { delivery_type: string; outcome: string }, n?: number): void } };
}

export class LocalDelivery {
  constructor(private readonly deps: LocalDeliveryDeps) {}

  /** SmtpDeliveryToMailbox: each due recipient into its Maildir, once per address per message. */
  async deliver(q: QueueRow, config: TransportConfig): Promise<void> {
    this.deps.state.setQueue(q.key, { status: 'Active', lastAttemptAt: this.deps.now() });
    let lastError: string | null = null;
    for (let round = 0; round < 1000 && !this.deps.stopped(); round++) {
      const work = this.deps.state.due(q.key, this.deps.now(), BATCH);
      if (work.length === 0) break;
      for (const item of work) {
        const message = this.deps.state.message(item.message);
        const body = this.deps.store.body(item.message);
        if (!message || !body) continue;
        // Held in flight like an SMTP attempt: a Remove-Message meanwhile waits for its end (PendingRemove),
        // so a recipient is never both written to its mailbox and removed with a notice.
        const recipients = this.deps.state.beginAttempt(item.message, item.recipients);
        if (recipients.length === 0) continue;
        try {
          lastError = (await this.deliverMessage(q, config, item.message, message, body, recipients)) ?? lastError;
        } finally {
          const removals = this.deps.state.batch(() => {
            this.deps.state.clearInFlight(item.message);
            return this.deps.state.settleRemovals(item.message);
          });
          this.deps.reports.removedByAdmin(removals, config);
        }
      }
    }
    this.deps.state.setQueue(q.key, { status: lastError ? 'Retry' : 'Ready', failures: 0, nextRetryAt: null, lastError });
  }

  /** One message's recipients into their mailboxes; the last failure's text, if any. */
  private async deliverMessage(q: QueueRow, config: TransportConfig, id: number, message: MessageInfo, body: Buffer, recipients: PendingRecipient[]): Promise<string | null> {
    const deliver = this.deps.deliverLocal;
    let lastError: string | null = null;
    const returnPath = message.envelope.sender;
    const done = new Set<string>();
    const delivered: string[] = [];
    for (const r of recipients) {
      const key = r.address.toLowerCase();
      if (done.has(key)) {
        this.deps.state.delivered(r.message, r.idx);
        continue;
      }
      try {
        await deliver(r.address, body, { returnPath, deliveredTo: r.address });
        this.deps.state.delivered(r.message, r.idx);
        done.add(key);
        delivered.push(r.address);
      } catch (err) {
        const transient = (err as { transient?: boolean }).transient !== false;
        const own = err as { reply?: string; enhanced?: string };
        lastError = own.reply ?? `${transient ? '432 4.2.0' : '554 5.2.0'} STOREDRV.Deliver; ${(err as Error).message}`;
        this.deps.log.log('error', 'delivery.mailbox.failed', { database: q.nextHopDomain, recipient: r.address, error: (err as Error).message, action: 'check the database folder (Get-MailboxDatabase) and free disk space' });
        if (transient) this.deps.state.deferred(r.message, r.idx, lastError, this.deps.now() + withJitter(config.retry.messageRetryIntervalMs));
        else {
          this.deps.state.failed(r.message, r.idx, lastError);
          this.deps.track({
            timestamp: new Date(this.deps.now()),
            source: 'STOREDRIVER',
            eventId: 'FAIL',
            internalMessageId: id,
            messageId: message.envelope.messageId,
            recipients: [r.address],
            recipientStatus: [lastError],
            recipientCount: 1,
            messageSubject: message.envelope.subject,
            connectorId: q.nextHopDomain,
            sender: message.envelope.headerFrom || returnPath,
            returnPath: returnPath || '<>',
            serverHostname: config.fqdn,
          });
          this.deps.reports.failed(r.message, [{ ...r, reply: lastError, enhanced: own.enhanced ?? '5.2.0' }], config);
        }
      }
    }
    if (delivered.length > 0) {
      this.deps.metrics?.outcomes.inc({ delivery_type: q.deliveryType, outcome: 'delivered' }, delivered.length);
      this.deps.track({
        timestamp: new Date(this.deps.now()),
        source: 'STOREDRIVER',
        eventId: 'DELIVER',
        internalMessageId: id,
        messageId: message.envelope.messageId,
        recipients: delivered,
        recipientCount: delivered.length,
        totalBytes: body.length,
        messageSubject: message.envelope.subject,
        connectorId: q.nextHopDomain,
        sender: message.envelope.headerFrom || returnPath,
        returnPath: returnPath || '<>',
        serverHostname: config.fqdn,
      });
    }
    return lastError;
  }
}
