// The queue administration API: what the queue cmdlets (Get-Queue,
// Suspend-/Resume-/Retry-Queue, Get-/Suspend-/Resume-/Remove-Message,
// Export-Message) and `gatehouse status` read and change in a server's
// queue.db. The database is opened per command (WAL, busy timeout) and closed
// after, so they work whether or not the transport service runs; the service
// sees every change on its next scheduling pass. Every change is a guarded
// transition (delivery-state.ts): it applies only from the states it may
// follow, and a removal asked while a delivery attempt holds the message
// waits for the attempt to end.

import { join } from 'node:path';
import { DeliveryState, type MessageInfo, type QueueRow, type RemoveResult } from './delivery-state.js';
import { SqliteQueueStore } from './sqlite-queue-store.js';
import type { DeliveryType } from '../routing/categorizer.js';

export { ADMIN_DELETE_TEXT, type AppliedRemoval, type RemoveResult } from './delivery-state.js';

/** A recipient as the queue viewer shows it. */
export interface QueueRecipient {
  message: number;
  idx: number;
  address: string;
  orcpt: string | null;
  notify: string | null;
  status: string;
  next_hop: string | null;
  attempts: number;
  last_error: string | null;
}

/** One message as it waits in one queue (next hop; null: not yet routed, the Submission queue). */
export interface WaitingMessage {
  info: MessageInfo;
  hop: string | null;
  /** Its recipients routed to that queue (any status). */
  recipients: QueueRecipient[];
  suspended: boolean;
  inFlight: boolean;
  /** A Remove-Message waits for the delivery attempt to end. */
  removalPending: boolean;
}

/** A delivery queue, named by its key, with what is needed to create its row when it has none yet. */
export interface QueueRef {
  key: string;
  deliveryType: DeliveryType;
  nextHopDomain: string;
  connector: string;
}

export class QueueAdmin {
  readonly store: SqliteQueueStore;
  readonly state: DeliveryState;

  /** Opens the queue database of the server whose folder is dataDir. */
  constructor(dataDir: string) {
    this.store = new SqliteQueueStore(join(dataDir, 'queue.db'));
    this.state = new DeliveryState(this.store.db);
  }

  close(): void {
    this.store.close();
  }

  // ---- reading ----

  /** The rows of the delivery queues, with their waiting counts. */
  queues(): QueueRow[] {
    return this.state.queues();
  }

  /** Messages with a recipient not yet routed (the Submission queue). */
  submissionCount(): number {
    return (this.store.db.prepare("SELECT COUNT(DISTINCT message) AS n FROM recipients WHERE next_hop IS NULL AND status IN ('Ready', 'Retry')").get() as { n: number }).n;
  }

  /** Receive time of the oldest waiting message per queue key ('' = Submission). */
  oldestWaiting(): Map<string, number> {
    return this.state.oldestWaiting();
  }

  /** Every (message, queue) pair with a recipient still waiting, oldest message first; `message`: only that one. */
  waitingMessages(message?: number): WaitingMessage[] {
    const db = this.store.db;
    const pairs = (
      message !== undefined
        ? db.prepare("SELECT DISTINCT message, next_hop AS hop FROM recipients WHERE status IN ('Ready', 'Retry') AND message = ? ORDER BY message").all(message)
        : db.prepare("SELECT DISTINCT message, next_hop AS hop FROM recipients WHERE status IN ('Ready', 'Retry') ORDER BY message").all()
    ) as { message: number; hop: string | null }[];
    const suspended = new Set((db.prepare('SELECT message FROM suspended_messages').all() as { message: number }[]).map((r) => r.message));
    const inFlight = new Set((db.prepare('SELECT message FROM in_flight').all() as { message: number }[]).map((r) => r.message));
    const removals = new Set((db.prepare('SELECT message, next_hop FROM pending_removals').all() as { message: number; next_hop: string }[]).map((r) => `${r.message} ${r.next_hop}`));
    const out: WaitingMessage[] = [];
    for (const p of pairs) {
      const info = this.state.message(p.message);
      if (!info) continue;
      const recipients = (
        p.hop === null
          ? db.prepare('SELECT * FROM recipients WHERE message = ? AND next_hop IS NULL ORDER BY idx').all(p.message)
          : db.prepare('SELECT * FROM recipients WHERE message = ? AND next_hop = ? ORDER BY idx').all(p.message, p.hop)
      ) as QueueRecipient[];
      out.push({
        info,
        hop: p.hop,
        recipients,
        suspended: suspended.has(p.message),
        inFlight: inFlight.has(p.message),
        removalPending: p.hop !== null && removals.has(`${p.message} ${p.hop}`),
      });
    }
    return out;
  }

  /** The stored bytes of a message. */
  body(message: number): Buffer | undefined {
    return this.store.body(message);
  }

  // ---- queues ----

  /** Suspend-Queue: delivery from the queue stops (messages still enter it). */
  suspendQueue(q: QueueRef, now: number): void {
    this.state.batch(() => {
      this.state.ensureQueue(q, now);
      this.state.setQueue(q.key, { status: 'Suspended' });
    });
  }

  /** Resume-Queue: a suspended queue delivers again (in Retry while its retry time is still ahead). */
  resumeQueue(q: QueueRef, now: number): void {
    this.state.batch(() => {
      this.state.ensureQueue(q, now);
      const row = this.store.db.prepare('SELECT failures, next_retry_at FROM queues WHERE key = ?').get(q.key) as { failures: number; next_retry_at: number | null };
      this.state.setQueue(q.key, { status: row.failures > 0 && row.next_retry_at !== null && row.next_retry_at > now ? 'Retry' : 'Ready' });
    });
  }

  /**
   * Retry-Queue: the queue's waiting recipients are due now; with `resubmit` they go back to routing
   * instead (the Unreachable queue). Recipients already final are left alone.
   */
  retryQueue(q: QueueRef, now: number, resubmit: boolean): void {
    this.state.batch(() => {
      this.state.ensureQueue(q, now);
      if (resubmit) {
        this.store.db.prepare("UPDATE recipients SET next_hop = NULL, next_attempt_at = NULL WHERE next_hop = ? AND status IN ('Ready', 'Retry')").run(q.key);
        this.state.setQueue(q.key, { status: 'Ready', failures: 0, nextRetryAt: null, lastError: null });
      } else {
        this.store.db.prepare("UPDATE recipients SET next_attempt_at = NULL WHERE next_hop = ? AND status IN ('Ready', 'Retry')").run(q.key);
        this.state.setQueue(q.key, { status: 'Ready', nextRetryAt: now });
      }
    });
  }

  // ---- messages ----

  /** Suspend-Message: the message waits in all its queues until resumed. False: it was suspended already, or nothing of it waits. */
  suspendMessage(message: number): boolean {
    return this.state.batch(() => {
      if (!this.store.db.prepare("SELECT 1 FROM recipients WHERE message = ? AND status IN ('Ready', 'Retry') LIMIT 1").get(message)) return false;
      return this.store.db.prepare('INSERT OR IGNORE INTO suspended_messages (message) VALUES (?)').run(message).changes > 0;
    });
  }

  /**
   * Resume-Message: a suspended message waits no more; its recipients in the Poison queue go back
   * to routing. False: it was neither suspended nor in the Poison queue.
   */
  resumeMessage(message: number): boolean {
    return this.state.batch(() => {
      const unsuspended = this.store.db.prepare('DELETE FROM suspended_messages WHERE message = ?').run(message).changes;
      const unpoisoned = this.store.db.prepare("UPDATE recipients SET next_hop = NULL, next_attempt_at = NULL WHERE message = ? AND next_hop = 'Poison' AND status IN ('Ready', 'Retry')").run(message).changes;
      return unsuspended + unpoisoned > 0;
    });
  }

  /**
   * Remove-Message on the message's recipients waiting in the queue `hop`: removed now ('removed',
   * with the recipients, for tracking and the NDR), or, while a delivery attempt holds the
   * message, when the attempt ends ('pending': the service then tracks it and sends the NDR);
   * 'none': nothing of the message waits there any more.
   */
  removeMessage(message: number, hop: string, options: { withNdr: boolean; context: string }): RemoveResult {
    return this.state.remove(message, hop, options);
  }
}
