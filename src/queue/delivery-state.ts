// The routing and delivery state in the queue database: each recipient's
// route (its delivery queue), status (Ready, Retry, Delivered, Failed),
// attempts, next attempt and last error; each delivery queue's status
// (Ready, Active, Retry, Suspended), consecutive failures, next retry and
// LastError. Only these small rows change after acceptance; message bodies
// never move. Every outcome is written before the next step is taken, so a
// crash at any point resumes with at most a repeated delivery, never a lost
// recipient.

import type Database from 'better-sqlite3';
import { relaxedWrite, retryWhileBusy } from './sqlite-queue-store.js';
import { removeSpoolFiles, spoolDirFor } from './spool.js';
import type { DeliveryType } from '../routing/categorizer.js';
import type { Envelope, RecipientInput } from './queue-store.js';

export type RecipientStatus = 'Ready' | 'Retry' | 'Delivered' | 'Failed' | 'Expanded' | 'Redirected';
export type QueueStatus = 'Ready' | 'Active' | 'Retry' | 'Suspended';

export interface PendingRecipient extends RecipientInput {
  message: number;
  idx: number;
  status: RecipientStatus;
  attempts: number;
  nextHop: string | null;
  delayNotified: boolean;
  lastError: string | null;
}

export interface MessageInfo {
  id: number;
  size: number;
  receivedAt: number;
  envelope: Envelope;
}

export interface QueueRow {
  id: number;
  key: string;
  deliveryType: DeliveryType;
  nextHopDomain: string;
  connector: string;
  status: QueueStatus;
  failures: number;
  nextRetryAt: number | null;
  lastError: string | null;
  lastAttemptAt: number | null;
  /** Recipients waiting in the queue (Ready or Retry). */
  waiting: number;
  /** Distinct messages waiting in the queue. */
  messageCount: number;
}

interface RecipientRow {
  message: number;
  idx: number;
  address: string;
  orcpt: string | null;
  notify: string | null;
  status: RecipientStatus;
  attempts: number;
  next_hop: string | null;
  delay_notified: number;
  last_error: string | null;
}

/** A Remove-Message applied: the recipients it removed from the queue, and whether the sender gets an NDR. */
export interface AppliedRemoval {
  message: number;
  hop: string;
  withNdr: boolean;
  /** Who asked, for tracking (Remove-Message Server\\Queue\\n). */
  context: string;
  recipients: PendingRecipient[];
}

/** What Remove-Message did: removed now, pending until the delivery attempt ends, or nothing (no recipient waits there any more). */
export type RemoveResult = { outcome: 'removed'; removal: AppliedRemoval } | { outcome: 'pending' } | { outcome: 'none' };

/** The text of a recipient removed by Remove-Message (its LastError, tracking status and NDR diagnostic). */
export const ADMIN_DELETE_TEXT = '550 4.3.2 QUEUE.Admin; message deleted by administrative action';

function toPending(r: RecipientRow): PendingRecipient {
  return {
    message: r.message,
    idx: r.idx,
    address: r.address,
    ...(r.orcpt && { orcpt: r.orcpt }),
    ...(r.notify && { notify: r.notify.split(',') }),
    status: r.status,
    attempts: r.attempts,
    nextHop: r.next_hop,
    delayNotified: r.delay_notified === 1,
    lastError: r.last_error,
  };
}

export class DeliveryState {
  private readonly statements = new Map<string, Database.Statement>();
  /** Messages that may have no waiting recipient left (removeCompleted checks them). */
  private readonly maybeComplete = new Set<number>();

  /** relaxed: the connection already commits without an fsync (SqliteQueueStore.relaxed). */
  constructor(
    private readonly db: Database.Database,
    private readonly relaxed = false,
  ) {}

  /** A prepared statement, compiled once per SQL text. */
  private sql(text: string): Database.Statement {
    let st = this.statements.get(text);
    if (!st) {
      st = this.db.prepare(text);
      if (this.relaxed && !st.reader) {
        // A write outside a transaction on the relaxed connection (busy_timeout 0) retries by itself.
        const run = st.run.bind(st);
        st.run = ((...args: unknown[]) => (this.db.inTransaction ? run(...args) : retryWhileBusy(() => run(...args)))) as typeof st.run;
      }
      this.statements.set(text, st);
    }
    return st;
  }

  /**
   * Removes messages that are done (every recipient delivered, failed, expanded or redirected,
   * none in flight): their recipients, body and bookkeeping go; tracking events stay. Checks the
   * messages whose recipients became final since the last call, or, with `everything`, all of them
   * (at start, and for messages finished by the shell while the service runs). Returns how many.
   */
  removeCompleted(limit: number, everything = false): number {
    const candidates = everything
      ? (
          this.sql(
            `SELECT m.id FROM messages m WHERE NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message = m.id AND r.status IN ('Ready', 'Retry'))
          AND m.id NOT IN (SELECT message FROM in_flight) LIMIT ?`,
          ).all(limit) as { id: number }[]
        ).map((r) => r.id)
      : [...this.maybeComplete].slice(0, limit);
    if (candidates.length === 0) return 0;
    const files: string[] = [];
    const removedCount = this.batch(() => {
      let removed = 0;
      for (const id of candidates) {
        this.maybeComplete.delete(id);
        const waiting = this.sql("SELECT 1 FROM recipients WHERE message = ? AND status IN ('Ready', 'Retry') LIMIT 1").get(id);
        const inFlight = this.sql('SELECT 1 FROM in_flight WHERE message = ?').get(id);
        if (waiting || inFlight) continue;
        const file = (this.sql('SELECT file FROM bodies WHERE message = ?').get(id) as { file: string | null } | undefined)?.file;
        if (file) files.push(file);
        for (const table of ['recipients', 'bodies', 'suspended_messages', 'crash_counts', 'pending_removals']) {
          this.sql(`DELETE FROM ${table} WHERE message = ?`).run(id);
        }
        this.sql('DELETE FROM messages WHERE id = ?').run(id);
        removed++;
      }
      return removed;
    });
    // The rows are gone: now their body files (a crash in between leaves files the next start sweeps).
    if (files.length > 0) removeSpoolFiles(spoolDirFor(this.db.name), files);
    return removedCount;
  }

  message(id: number): MessageInfo | undefined {
    const row = this.sql('SELECT id, size, received_at, envelope FROM messages WHERE id = ?').get(id) as { id: number; size: number; received_at: number; envelope: string } | undefined;
    if (!row) return undefined;
    const envelope = JSON.parse(row.envelope) as Envelope;
    envelope.receivedAt = new Date(envelope.receivedAt);
    return { id: row.id, size: row.size, receivedAt: row.received_at, envelope };
  }

  /** Recipients not yet routed (the Submission queue). */
  unrouted(limit: number): PendingRecipient[] {
    return (this.sql("SELECT * FROM recipients WHERE next_hop IS NULL AND status IN ('Ready', 'Retry') ORDER BY message, idx LIMIT ?").all(limit) as RecipientRow[]).map(toPending);
  }

  /** Every recipient still waiting (poison and suspended messages excepted: they never expire), for expiry and delay notifications. */
  waiting(limit: number, afterMessage = 0, upToMessage = Number.MAX_SAFE_INTEGER): PendingRecipient[] {
    return (
      this.sql(
        "SELECT * FROM recipients WHERE message > ? AND message <= ? AND status IN ('Ready', 'Retry') AND COALESCE(next_hop, '') != 'Poison' AND message NOT IN (SELECT message FROM suspended_messages) ORDER BY message, idx LIMIT ?",
      ).all(afterMessage, upToMessage, limit) as RecipientRow[]
    ).map(toPending);
  }

  /** The newest message received at or before `time` (0: none): messages are numbered in arrival order. */
  lastMessageReceivedBy(time: number): number {
    return (this.sql('SELECT MAX(id) AS id FROM messages WHERE received_at <= ?').get(time) as { id: number | null }).id ?? 0;
  }

  /**
   * Marks a message as being handed to a peer. The mark is written without an
   * fsync (it only has to survive a process crash, which the WAL does); if the
   * process dies before the outcome is recorded, recoverInFlight counts it.
   */
  markInFlight(message: number): void {
    this.batch(() => this.sql('INSERT OR IGNORE INTO in_flight (message) VALUES (?)').run(message));
  }

  /**
   * Starts a delivery attempt: of the recipients read for it, those still waiting (an administrator
   * may have removed some since they were read), with the message marked in flight in the same
   * transaction; none left: nothing is marked, and nothing is to be sent.
   */
  beginAttempt(message: number, recipients: PendingRecipient[]): PendingRecipient[] {
    return this.batch(() => {
      const waiting = new Set((this.sql("SELECT idx FROM recipients WHERE message = ? AND status IN ('Ready', 'Retry')").all(message) as { idx: number }[]).map((r) => r.idx));
      const live = recipients.filter((r) => r.message === message && waiting.has(r.idx));
      if (live.length > 0) this.sql('INSERT OR IGNORE INTO in_flight (message) VALUES (?)').run(message);
      return live;
    });
  }

  /** Whether a delivery attempt holds the message. */
  inFlight(message: number): boolean {
    return this.sql('SELECT 1 FROM in_flight WHERE message = ?').get(message) !== undefined;
  }

  /**
   * Remove-Message: the message's recipients waiting in the queue `hop` fail with ADMIN_DELETE_TEXT.
   * While a delivery attempt holds the message the removal is recorded instead ('pending') and the
   * attempt applies it when it ends (settleRemovals, in the transaction of its outcome): what the
   * attempt delivered or failed stays so, what still waits is removed then. 'none': nothing of the
   * message waits in that queue any more (delivered, failed or removed since it was listed).
   */
  remove(message: number, hop: string, options: { withNdr: boolean; context: string }): RemoveResult {
    return this.batch(() => {
      if (this.inFlight(message)) {
        const waits = this.sql("SELECT 1 FROM recipients WHERE message = ? AND next_hop = ? AND status IN ('Ready', 'Retry') LIMIT 1").get(message, hop);
        if (!waits) return { outcome: 'none' as const };
        this.sql('INSERT INTO pending_removals (message, next_hop, with_ndr, context) VALUES (?, ?, ?, ?) ON CONFLICT(message, next_hop) DO UPDATE SET with_ndr = excluded.with_ndr, context = excluded.context').run(
          message,
          hop,
          options.withNdr ? 1 : 0,
          options.context,
        );
        return { outcome: 'pending' as const };
      }
      const removal = this.applyRemoval(message, hop, options.withNdr, options.context);
      return removal.recipients.length > 0 ? { outcome: 'removed' as const, removal } : { outcome: 'none' as const };
    });
  }

  /** Whether a removal waits for the message's delivery attempt to end. */
  removalPending(message: number): boolean {
    return this.sql('SELECT 1 FROM pending_removals WHERE message = ? LIMIT 1').get(message) !== undefined;
  }

  private applyRemoval(message: number, hop: string, withNdr: boolean, context: string): AppliedRemoval {
    const rows = (this.sql("SELECT * FROM recipients WHERE message = ? AND next_hop = ? AND status IN ('Ready', 'Retry') ORDER BY idx").all(message, hop) as RecipientRow[]).map(toPending);
    const recipients = rows.filter((r) => this.failed(message, r.idx, ADMIN_DELETE_TEXT));
    if (!this.sql("SELECT 1 FROM recipients WHERE message = ? AND status IN ('Ready', 'Retry') LIMIT 1").get(message)) {
      this.sql('DELETE FROM suspended_messages WHERE message = ?').run(message);
    }
    this.sql('DELETE FROM pending_removals WHERE message = ? AND next_hop = ?').run(message, hop);
    return { message, hop, withNdr, context, recipients };
  }

  /**
   * Applies the removals recorded while an attempt held the message (`message`), or, without it,
   * those of every message no attempt holds (left by a process that stopped mid-attempt). Call it
   * after the attempt's outcome, in the same transaction. Returns what was removed, for tracking and NDRs.
   */
  settleRemovals(message?: number): AppliedRemoval[] {
    return this.batch(() => {
      const pending = (
        message === undefined
          ? this.sql('SELECT * FROM pending_removals WHERE message NOT IN (SELECT message FROM in_flight) ORDER BY message').all()
          : this.sql('SELECT * FROM pending_removals WHERE message = ? AND message NOT IN (SELECT message FROM in_flight)').all(message)
      ) as { message: number; next_hop: string; with_ndr: number; context: string }[];
      return pending.map((p) => this.applyRemoval(p.message, p.next_hop, p.with_ndr === 1, p.context)).filter((r) => r.recipients.length > 0);
    });
  }

  clearInFlight(message: number): void {
    this.sql('DELETE FROM in_flight WHERE message = ?').run(message);
  }

  /**
   * At startup: messages that were in flight when the process died count one
   * crash more; those at PoisonThreshold move to the Poison queue (suspended,
   * never expired, delivered only when an admin resumes them).
   */
  recoverInFlight(threshold: number, detectionEnabled: boolean, now: number): { poisoned: number[]; suspects: number[] } {
    return this.batch(() => {
      const suspects = (this.sql('SELECT message FROM in_flight').all() as { message: number }[]).map((r) => r.message);
      const poisoned: number[] = [];
      for (const m of suspects) {
        this.sql('INSERT INTO crash_counts (message, count) VALUES (?, 1) ON CONFLICT(message) DO UPDATE SET count = count + 1').run(m);
        const { count } = this.sql('SELECT count FROM crash_counts WHERE message = ?').get(m) as { count: number };
        if (detectionEnabled && count >= threshold) {
          this.ensureQueue({ key: 'Poison', deliveryType: 'Undefined', nextHopDomain: 'Poison Message', connector: '' }, now);
          this.sql("UPDATE recipients SET next_hop = 'Poison' WHERE message = ? AND status IN ('Ready', 'Retry')").run(m);
          this.setQueue('Poison', { status: 'Suspended' });
          poisoned.push(m);
        }
      }
      this.sql('DELETE FROM in_flight').run();
      return { poisoned, suspects };
    });
  }

  /** Creates the queue row when new. */
  ensureQueue(q: { key: string; deliveryType: DeliveryType; nextHopDomain: string; connector: string }, now: number): void {
    this.sql('INSERT INTO queues (key, delivery_type, next_hop_domain, connector, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET next_hop_domain = excluded.next_hop_domain').run(
      q.key,
      q.deliveryType,
      q.nextHopDomain,
      q.connector,
      now,
    );
  }

  /**
   * Assigns a recipient to a delivery queue (creating the queue row when new). A recipient that
   * waits for a retry keeps its status and retry time: a configuration change re-routes it, but
   * does not make it try the failing host again at once (Retry-Queue does that).
   */
  route(message: number, idx: number, q: { key: string; deliveryType: DeliveryType; nextHopDomain: string; connector: string }, now: number): void {
    this.ensureQueue(q, now);
    this.sql(
      `UPDATE recipients SET next_hop = ?,
      status = CASE WHEN status = 'Retry' AND next_attempt_at IS NOT NULL THEN 'Retry' ELSE 'Ready' END,
      next_attempt_at = CASE WHEN status = 'Retry' THEN next_attempt_at END
      WHERE message = ? AND idx = ?`,
    ).run(q.key, message, idx);
  }

  /** Sends every waiting recipient back to routing (the configuration changed). Suspended queues keep theirs. */
  rerouteAll(): number {
    const r = this.sql(
      `UPDATE recipients SET next_hop = NULL WHERE status IN ('Ready', 'Retry') AND next_hop IS NOT NULL AND next_hop != 'Poison'
      AND next_hop NOT IN (SELECT key FROM queues WHERE status = 'Suspended')`,
    ).run();
    return r.changes;
  }

  // The outcomes of a recipient apply only to a recipient still waiting (Ready or Retry): one that is
  // final already (delivered, failed, removed by an administrator, expanded) keeps its outcome.
  // Each returns whether it applied.

  delivered(message: number, idx: number): boolean {
    this.maybeComplete.add(message);
    return this.sql("UPDATE recipients SET status = 'Delivered', last_error = NULL, attempts = attempts + 1 WHERE message = ? AND idx = ? AND status IN ('Ready', 'Retry')").run(message, idx).changes > 0;
  }

  failed(message: number, idx: number, reply: string): boolean {
    this.maybeComplete.add(message);
    return this.sql("UPDATE recipients SET status = 'Failed', last_error = ?, attempts = attempts + 1 WHERE message = ? AND idx = ? AND status IN ('Ready', 'Retry')").run(reply, message, idx).changes > 0;
  }

  deferred(message: number, idx: number, reply: string, nextAttemptAt: number): boolean {
    return this.sql("UPDATE recipients SET status = 'Retry', last_error = ?, attempts = attempts + 1, next_attempt_at = ? WHERE message = ? AND idx = ? AND status IN ('Ready', 'Retry')").run(reply, nextAttemptAt, message, idx).changes > 0;
  }

  /**
   * Replaces a recipient by others (a group's members, a forwarding address):
   * the recipient becomes final with `status` (null: it stays, the others are
   * added beside it), the new addresses are added to the message unless it
   * already has them. Returns the addresses added.
   */
  replaceRecipient(r: PendingRecipient, addresses: string[], status: 'Expanded' | 'Redirected' | null): string[] {
    const existing = new Set((this.sql('SELECT address FROM recipients WHERE message = ?').all(r.message) as { address: string }[]).map((x) => x.address.toLowerCase()));
    let next = (this.sql('SELECT MAX(idx) AS m FROM recipients WHERE message = ?').get(r.message) as { m: number }).m + 1;
    const added: string[] = [];
    for (const a of addresses) {
      if (existing.has(a.toLowerCase())) continue;
      existing.add(a.toLowerCase());
      this.sql('INSERT INTO recipients (message, idx, address, orcpt, notify) VALUES (?, ?, ?, ?, ?)').run(r.message, next++, a, r.orcpt ?? null, r.notify ? r.notify.join(',') : null);
      added.push(a);
    }
    if (status) {
      this.maybeComplete.add(r.message);
      this.sql("UPDATE recipients SET status = ?, attempts = attempts + 1 WHERE message = ? AND idx = ? AND status IN ('Ready', 'Retry')").run(status, r.message, r.idx);
    }
    return added;
  }

  delayNotified(message: number, idx: number): void {
    this.sql('UPDATE recipients SET delay_notified = 1 WHERE message = ? AND idx = ?').run(message, idx);
  }

  /**
   * Runs several state changes as one transaction, committed without an fsync: delivery
   * bookkeeping only has to survive a process crash (the WAL does that); after a power loss the
   * worst case is a message delivered twice, never one lost. Acceptance (SqliteQueueStore)
   * keeps synchronous=FULL, and its next commit makes these durable too.
   */
  batch<T>(fn: () => T): T {
    // Inside a caller's batch: part of its transaction.
    if (this.db.inTransaction) return fn();
    return relaxedWrite(this.db, this.relaxed, () => this.db.transaction(fn).immediate());
  }

  queues(): QueueRow[] {
    const rows = this.sql(
      `SELECT q.*, COUNT(r.message) AS waiting, COUNT(DISTINCT r.message) AS message_count FROM queues q
      LEFT JOIN recipients r ON r.next_hop = q.key AND r.status IN ('Ready', 'Retry') GROUP BY q.id ORDER BY q.id`,
    ).all() as {
      id: number;
      key: string;
      delivery_type: DeliveryType;
      next_hop_domain: string;
      connector: string;
      status: QueueStatus;
      failures: number;
      next_retry_at: number | null;
      last_error: string | null;
      last_attempt_at: number | null;
      waiting: number;
      message_count: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      key: r.key,
      deliveryType: r.delivery_type,
      nextHopDomain: r.next_hop_domain,
      connector: r.connector,
      status: r.status,
      failures: r.failures,
      nextRetryAt: r.next_retry_at,
      lastError: r.last_error,
      lastAttemptAt: r.last_attempt_at,
      waiting: r.waiting,
      messageCount: r.message_count,
    }));
  }

  /** The messages of a queue whose recipients there are due now (suspended messages excepted), oldest first, with those recipients. */
  /** The queue's LastError (null: none, or no such queue). */
  lastError(key: string): string | null {
    const row = this.sql('SELECT last_error FROM queues WHERE key = ?').get(key) as { last_error: string | null } | undefined;
    return row?.last_error ?? null;
  }

  due(queueKey: string, now: number, limit: number): { message: number; recipients: PendingRecipient[] }[] {
    // Rows in message order, a few more than `limit` messages' worth; the last message may be
    // cut short, so it is left for the next call unless it is the only one.
    const rows = this.sql(
      `SELECT * FROM recipients WHERE next_hop = ? AND status IN ('Ready', 'Retry') AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
      AND message NOT IN (SELECT message FROM suspended_messages) ORDER BY message, idx LIMIT ?`,
    ).all(queueKey, now, limit * 4 + 1) as RecipientRow[];
    const byMessage = new Map<number, PendingRecipient[]>();
    for (const r of rows) {
      const list = byMessage.get(r.message) ?? [];
      list.push(toPending(r));
      byMessage.set(r.message, list);
    }
    const out = [...byMessage.entries()].map(([message, recipients]) => ({ message, recipients }));
    if (rows.length === limit * 4 + 1 && out.length > 1) out.pop();
    return out.slice(0, limit);
  }

  /** The earliest time a recipient of the queue becomes due (null: nothing waiting but suspended messages). */
  nextDue(queueKey: string): number | null {
    // Index-only: a recipient due now (no retry time), else the earliest retry time.
    const now = this.sql(
      `SELECT 1 FROM recipients WHERE next_hop = ? AND status IN ('Ready', 'Retry') AND next_attempt_at IS NULL
      AND message NOT IN (SELECT message FROM suspended_messages) LIMIT 1`,
    ).get(queueKey);
    if (now) return 0;
    const row = this.sql(
      `SELECT next_attempt_at AS t FROM recipients WHERE next_hop = ? AND status IN ('Ready', 'Retry') AND next_attempt_at IS NOT NULL
      AND message NOT IN (SELECT message FROM suspended_messages) ORDER BY next_attempt_at LIMIT 1`,
    ).get(queueKey) as { t: number } | undefined;
    return row?.t ?? null;
  }

  setQueue(key: string, change: { status?: QueueStatus; failures?: number; nextRetryAt?: number | null; lastError?: string | null; lastAttemptAt?: number }): void {
    const sets: string[] = [];
    const values: unknown[] = [];
    const map: Record<string, string> = { status: 'status', failures: 'failures', nextRetryAt: 'next_retry_at', lastError: 'last_error', lastAttemptAt: 'last_attempt_at' };
    for (const [k, column] of Object.entries(map)) {
      if (k in change) {
        sets.push(`${column} = ?`);
        values.push((change as Record<string, unknown>)[k]);
      }
    }
    if (sets.length > 0) this.sql(`UPDATE queues SET ${sets.join(', ')} WHERE key = ?`).run(...values, key);
  }

  /** Receive time of the oldest waiting message per queue key ('' = not yet routed: Submission). */
  oldestWaiting(): Map<string, number> {
    const rows = this.sql(
      `SELECT COALESCE(r.next_hop, '') AS hop, MIN(m.received_at) AS t FROM recipients r JOIN messages m ON m.id = r.message
      WHERE r.status IN ('Ready', 'Retry') GROUP BY COALESCE(r.next_hop, '')`,
    ).all() as { hop: string; t: number }[];
    return new Map(rows.map((r) => [r.hop, r.t]));
  }

  /** Empty delivery queues idle for longer than maxIdleMs disappear (QueueMaxIdleTime). */
  dropIdleQueues(now: number, maxIdleMs: number): void {
    this.sql(
      `DELETE FROM queues WHERE status != 'Suspended' AND key NOT IN ('Unreachable', 'Poison')
      AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.next_hop = queues.key AND r.status IN ('Ready', 'Retry'))
      AND COALESCE(last_attempt_at, created_at) < ?`,
    ).run(now - maxIdleMs);
  }
}
