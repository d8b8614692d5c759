// When delivery runs: one scheduling pass every TICK_MS routes new recipients,
// starts each due delivery queue (one delivery at a time per queue, up to
// MaxOutboundConnections queues at once), and now and then expires messages
// older than MessageExpirationTimeout (NDR 4.4.7), sends one delay
// notification after DelayNotificationTimeout, drops idle queues and removes
// finished messages. Queues that cannot connect go to Retry on the documented
// schedule (QueueRetry). At start, messages in flight during a crash are
// counted for poison detection.

import type { TransportConfig } from '../config/transport-config.js';
import type { DeliveryContext } from './delivery-context.js';
import type { PendingRecipient, QueueRow } from './delivery-state.js';
import { wantsNotice, type FailureReports } from './failure-reports.js';
import { queueRetryDelay, withJitter } from './retry-schedule.js';

const TICK_MS = 200;
const HOUSEKEEPING_MS = 2000;
const FULL_SWEEP_MS = 60_000;

export interface SchedulerDeps extends Omit<DeliveryContext, 'stopped'> {
  config: () => TransportConfig;
  reports: FailureReports;
  /** Routes the recipients not routed yet. */
  route(config: TransportConfig, now: number): void;
  /** Delivers what a due queue holds. */
  run(q: QueueRow, config: TransportConfig): Promise<void>;
  /** Mailbox servers: delivery into local mailboxes is available. */
  localDelivery: boolean;
}

export class DeliveryScheduler {
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private readonly active = new Map<string, Promise<void>>();
  private lastHousekeeping = 0;
  private lastFullSweep = 0;
  private lastStoreFullLog = -Infinity;
  private stopping = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** True once stop() was called. */
  get stopped(): boolean {
    return this.stopping;
  }

  start(): void {
    const config = this.deps.config();
    const { poisoned, suspects } = this.deps.state.recoverInFlight(config.poisonThreshold, config.poisonDetection, this.deps.now());
    if (suspects.length > 0) this.deps.log.log('warn', 'delivery.crash-recovery', { inFlightAtCrash: suspects, poisoned, poisonThreshold: config.poisonThreshold });
    for (const id of poisoned) {
      const m = this.deps.state.message(id);
      this.deps.track({
        timestamp: new Date(this.deps.now()),
        source: 'QUEUE',
        eventId: 'POISONMESSAGE',
        internalMessageId: id,
        messageId: m?.envelope.messageId,
        recipients: m?.envelope.recipients.map((r) => r.address) ?? [],
        sourceContext: `moved to the Poison queue after ${config.poisonThreshold} crashes during its delivery`,
      });
      this.deps.log.log('error', 'delivery.poison', { internalId: id, action: 'the message stays suspended in the Poison queue; inspect it before resuming or removing it' });
    }
    // Remove-Message asked while an attempt held a message the stopped process never finished.
    this.deps.reports.removedByAdmin(this.deps.state.settleRemovals(), config);
    this.timer = setInterval(() => void this.tick(), TICK_MS);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.active.values()]);
  }

  /** One scheduling pass (also called by tests). */
  async tick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    try {
      const config = this.deps.config();
      const now = this.deps.now();
      this.deps.route(config, now);
      if (now - this.lastHousekeeping >= HOUSEKEEPING_MS) {
        this.lastHousekeeping = now;
        this.expireAndNotify(config, now);
        this.deps.state.dropIdleQueues(now, config.queueMaxIdleMs);
      }
      // Done messages leave the queue: those finished since the last tick, and now and then a full
      // sweep (messages finished by the shell, or before a restart).
      const sweepAll = now - this.lastFullSweep >= FULL_SWEEP_MS;
      if (sweepAll) this.lastFullSweep = now;
      this.deps.state.removeCompleted(sweepAll ? 5000 : 20_000, sweepAll);
      for (const q of this.deps.state.queues()) {
        if (this.active.size >= (config.maxOutboundConnections ?? Infinity)) break;
        if (!this.isDue(q, now)) continue;
        const run = this.deps
          .run(q, config)
          .catch((err) => {
            if (!this.storeFull(err)) this.deps.log.log('error', 'delivery.bug', { queue: q.nextHopDomain, error: (err as Error).stack ?? String(err) });
          })
          .finally(() => this.active.delete(q.key));
        this.active.set(q.key, run);
      }
    } catch (err) {
      if (!this.storeFull(err)) this.deps.log.log('error', 'delivery.tick.failed', { error: (err as Error).message });
    } finally {
      this.ticking = false;
    }
  }

  /**
   * A full disk under the queue database: nothing is sent while outcomes cannot be recorded, and
   * delivery resumes by itself once there is space. Said once every 30 s rather than on every tick.
   */
  private storeFull(err: unknown): boolean {
    if ((err as { code?: string }).code !== 'SQLITE_FULL') return false;
    const now = this.deps.now();
    if (now - this.lastStoreFullLog >= 30_000) {
      this.lastStoreFullLog = now;
      this.deps.log.log('error', 'delivery.store.full', { error: (err as Error).message, action: 'free disk space under the queue database (queue.db); delivery resumes by itself' });
    }
    return true;
  }

  private isDue(q: QueueRow, now: number): boolean {
    if (q.deliveryType === 'Unreachable' || q.deliveryType === 'Undefined') return false;
    if (q.deliveryType === 'SmtpDeliveryToMailbox' && (!this.deps.localDelivery || q.key === 'mailbox')) return false;
    if (q.status === 'Suspended' || this.active.has(q.key) || q.waiting === 0) return false;
    if (q.nextRetryAt !== null && q.nextRetryAt > now) return false;
    const due = this.deps.state.nextDue(q.key);
    return due !== null && due <= now;
  }

  private expireAndNotify(config: TransportConfig, now: number): void {
    // Only messages old enough for a delay notice or expiry are looked at (a deferred backlog
    // of fresh messages costs nothing here).
    const upTo = this.deps.state.lastMessageReceivedBy(now - Math.min(config.retry.delayNotificationMs, config.retry.messageExpirationMs));
    if (upTo === 0) return;
    let after = 0;
    for (let round = 0; round < 100; round++) {
      const list = this.deps.state.waiting(1000, after, upTo);
      if (list.length === 0) break;
      after = list[list.length - 1].message;
      const byMessage = new Map<number, PendingRecipient[]>();
      for (const r of list) byMessage.set(r.message, [...(byMessage.get(r.message) ?? []), r]);
      for (const [id, recipients] of byMessage) {
        const message = this.deps.state.message(id);
        if (!message) continue;
        const age = now - message.receivedAt;
        if (age >= config.retry.messageExpirationMs) {
          const text = '550 4.4.7 QUEUE.Expired; message expired';
          const expired = recipients.map((r) => ({ ...r, reply: r.lastError ? `${text} (last error: ${r.lastError})` : text, enhanced: '4.4.7' }));
          this.deps.state.batch(() => expired.forEach((r) => this.deps.state.failed(r.message, r.idx, r.reply)));
          this.deps.track({
            timestamp: new Date(now),
            source: 'QUEUE',
            eventId: 'FAIL',
            internalMessageId: id,
            messageId: message.envelope.messageId,
            recipients: expired.map((r) => r.address),
            recipientStatus: expired.map((r) => r.reply),
            recipientCount: expired.length,
            returnPath: message.envelope.sender || '<>',
          });
          this.deps.reports.failed(id, expired, config);
          continue;
        }
        if (age >= config.retry.delayNotificationMs && message.envelope.sender !== '' && this.deps.reports.delayDsnWanted(message.envelope.sender, config)) {
          const late = recipients.filter((r) => !r.delayNotified && wantsNotice(r, 'DELAY'));
          if (late.length === 0) continue;
          this.deps.state.batch(() => late.forEach((r) => this.deps.state.delayNotified(r.message, r.idx)));
          this.deps.reports.delayed(id, late, message.receivedAt, config);
        }
      }
    }
  }
}

/** A queue's failures as a whole: Retry on the schedule, or every waiting recipient failed at once. */
export class QueueRetry {
  constructor(private readonly deps: Pick<DeliveryContext, 'state' | 'log' | 'now'> & { reports: FailureReports }) {}

  /** The queue goes to Retry: its next attempt per the retry schedule (Set-TransportService). */
  retry(q: QueueRow, text: string, config: TransportConfig): void {
    const failures = q.failures + 1;
    const next = this.deps.now() + withJitter(queueRetryDelay(failures, config.retry));
    this.deps.state.setQueue(q.key, { status: 'Retry', failures, nextRetryAt: next, lastError: text });
    this.deps.log.log('warn', 'delivery.queue.retry', { queue: q.nextHopDomain, failures, nextRetry: new Date(next).toISOString(), lastError: text });
  }

  /** Every recipient waiting in the queue fails for good with this failure (5.4.4 when it names no enhanced code), with NDRs. */
  fail(q: QueueRow, failure: { text: string; enhanced: string | undefined }, config: TransportConfig, remote?: string): void {
    const enhanced = failure.enhanced ?? '5.4.4';
    for (const item of this.deps.state.due(q.key, Number.MAX_SAFE_INTEGER, 10_000)) {
      this.deps.state.batch(() => item.recipients.forEach((r) => this.deps.state.failed(r.message, r.idx, failure.text)));
      this.deps.reports.failed(
        item.message,
        item.recipients.map((r) => ({ ...r, reply: failure.text, enhanced })),
        config,
        remote,
      );
    }
  }
}
