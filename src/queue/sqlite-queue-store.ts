// SQLite implementation of the queue store (better-sqlite3, WAL,
// synchronous=FULL): one commit, hence one fsync of the WAL, per batch of
// accepted messages (GroupCommitter). Tables: messages (envelope, never
// rewritten), bodies (the message bytes, written once; for a large message its
// header, the body being a file in the spool folder, queue/spool.ts),
// recipients (the small rows routing and delivery update), tracking_events
// (append-only, the tracking index: src/tracking/tracking-index.ts). The schema
// is versioned (QUEUE_SCHEMA): an older queue.db is copied and migrated when opened.

import { checkpointOnlyAsBackstop, checkpointRarely } from './wal-checkpoints.js';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrateSqliteSchema, type SchemaMigrated, type SqliteSchema } from '../store/schema-migrations.js';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import { pruneTrackingIndex, TRACKING_INDEX_MIGRATIONS, TRACKING_INDEX_V1 } from '../tracking/tracking-index.js';
import { INTERNAL_ID_MIGRATION } from './internal-ids.js';
import { PENDING_REMOVAL_MIGRATION } from './pending-removals.js';
import { acceptBatchWriter, type AcceptItem, type AcceptResult } from './accept-batch.js';
import { GroupCommitter } from './group-commit.js';
import { ThreadCommitter } from './thread-committer.js';
import type { AcceptedMessage, Envelope, QueuedMessage, QueueStore, SpooledBody } from './queue-store.js';
import { ensureSpoolDir, spoolDirFor, sweepSpool } from './spool.js';

/** Version 1 of queue.db (QUEUE_SCHEMA): frozen; a change to the layout is a new migration at the end of the list. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  network_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  sender TEXT NOT NULL,
  size INTEGER NOT NULL,
  envelope TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS in_flight (
  message INTEGER PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS suspended_messages (message INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS crash_counts (
  message INTEGER PRIMARY KEY,
  count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bodies (
  message INTEGER PRIMARY KEY REFERENCES messages(id),
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS recipients (
  message INTEGER NOT NULL REFERENCES messages(id),
  idx INTEGER NOT NULL,
  address TEXT NOT NULL,
  orcpt TEXT,
  notify TEXT,
  status TEXT NOT NULL DEFAULT 'Ready',
  next_hop TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error TEXT,
  delay_notified INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (message, idx)
);
CREATE INDEX IF NOT EXISTS recipients_status ON recipients (status, next_attempt_at);
-- A queue's recipients in message order (delivery takes them oldest first).
CREATE INDEX IF NOT EXISTS recipients_queue ON recipients (next_hop, message, idx);
-- When a queue is next due (its earliest retry time), without reading the queue.
CREATE INDEX IF NOT EXISTS recipients_due ON recipients (next_hop, status, next_attempt_at);
-- Messages by arrival time (delay notices and expiry look only at old ones).
CREATE INDEX IF NOT EXISTS messages_received ON messages (received_at);
DROP INDEX IF EXISTS recipients_hop;
CREATE TABLE IF NOT EXISTS queues (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  delivery_type TEXT NOT NULL,
  next_hop_domain TEXT NOT NULL,
  connector TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'Ready',
  failures INTEGER NOT NULL DEFAULT 0,
  next_retry_at INTEGER,
  last_error TEXT,
  last_attempt_at INTEGER,
  created_at INTEGER NOT NULL
);
`;

/** Columns added to the first layout before versions existed, with the statement that adds each to an older queue. */
const ADDED_COLUMNS: { table: string; column: string; add: string }[] = [{ table: 'bodies', column: 'file', add: 'ALTER TABLE bodies ADD COLUMN file TEXT' }];

/**
 * The schema of queue.db (schema-migrations.ts): the queue's tables and the tracking index
 * (src/tracking/tracking-index.ts), which lives in the same file.
 */
export const QUEUE_SCHEMA: SqliteSchema = {
  store: 'queue.db',
  migrations: [
    {
      version: 1,
      description: 'the queue and the tracking index as written before queue.db carried a version',
      up(db) {
        db.exec(SCHEMA);
        db.exec(TRACKING_INDEX_V1);
        for (const c of ADDED_COLUMNS) {
          const columns = (db.prepare(`PRAGMA table_info(${c.table})`).all() as { name: string }[]).map((r) => r.name);
          if (!columns.includes(c.column)) db.exec(c.add);
        }
      },
    },
    ...TRACKING_INDEX_MIGRATIONS,
    INTERNAL_ID_MIGRATION,
    PENDING_REMOVAL_MIGRATION,
  ],
};

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs a write on a connection with busy_timeout 0, retrying while another connection (the commit
 * thread, during its fsync) holds the write lock: in steps from 50 µs, where SQLite's own busy
 * handler sleeps at least a millisecond. Bounded: after 10 s the SQLITE_BUSY error stands.
 */
export function retryWhileBusy<T>(fn: () => T, timeoutMs = 10_000): T {
  const deadline = Date.now() + timeoutMs;
  let wait = 0.05;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(sleeper, 0, 0, wait);
      wait = Math.min(wait * 2, 2);
    }
  }
}

/** Runs a write committed without an fsync: on a connection that is relaxed already, as is; else with synchronous=NORMAL for its duration. */
export function relaxedWrite<T>(db: Database.Database, relaxed: boolean, fn: () => T): T {
  if (relaxed) return retryWhileBusy(fn);
  db.pragma('synchronous = NORMAL');
  try {
    return fn();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

export class SqliteQueueStore implements QueueStore {
  readonly db: Database.Database;
  /** In-process group commit (the shell), or the commit thread (the service). */
  private readonly committer: GroupCommitter<AcceptItem, AcceptResult> | null = null;
  private readonly thread: ThreadCommitter | null = null;
  private readonly insertEvent: Database.Statement;
  /** This connection commits without an fsync (the commit thread does acceptance). */
  readonly relaxed: boolean = false;
  /** Where the bodies of large messages are (spool.ts). */
  readonly spoolDir: string;
  /** What opening did to an older queue.db (null: it was current, or new). */
  readonly migrated: SchemaMigrated | null;

  /**
   * commitThread: write accepted messages (and their fsync) on a thread of their own.
   * relaxed: everything but acceptance commits without an fsync (the delivery thread).
   */
  constructor(
    readonly path: string,
    options: { commitThread?: boolean; relaxed?: boolean } = {},
  ) {
    // Queued mail is private to the service's user: the file is made 0600 before SQLite opens it
    // (an existing one keeps its mode), and SQLite gives -wal and -shm the database file's mode.
    closeSync(openSync(path, 'a', 0o600));
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    // The SMTP thread's connection (it hands commits to the commit thread) must not stop its event loop for a checkpoint.
    if (options.commitThread) checkpointOnlyAsBackstop(this.db);
    else checkpointRarely(this.db);
    try {
      this.migrated = migrateSqliteSchema(this.db, path, QUEUE_SCHEMA);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.spoolDir = spoolDirFor(path);
    ensureSpoolDir(this.spoolDir);
    this.insertEvent = this.db.prepare('INSERT INTO tracking_events (timestamp, event_id, source, internal_message_id, message_id, data) VALUES (?, ?, ?, ?, ?, ?)');
    if (options.commitThread || options.relaxed) {
      // Bookkeeping and reads only need no fsync; acceptance is durable all the same: on the
      // commit thread's own connection, or here with synchronous=FULL for its transaction.
      this.db.pragma('synchronous = NORMAL');
      // Writes here retry by themselves (relaxedWrite); reads in WAL mode do not wait for writers.
      this.db.pragma('busy_timeout = 0');
      this.relaxed = true;
    }
    if (options.commitThread) {
      this.thread = new ThreadCommitter(path, this.spoolDir);
    } else {
      const write = acceptBatchWriter(this.db, this.spoolDir);
      const durable = (items: AcceptItem[]) => {
        if (!this.relaxed) return write(items);
        this.db.pragma('synchronous = FULL');
        try {
          return retryWhileBusy(() => write(items));
        } finally {
          this.db.pragma('synchronous = NORMAL');
        }
      };
      this.committer = new GroupCommitter<AcceptItem, AcceptResult>(durable);
    }
  }

  /** Called with every tracking event once it is stored (the tracking log files). */
  onTrack: ((ev: TrackingEvent) => void) | null = null;

  private notify(ev: TrackingEvent): void {
    try {
      this.onTrack?.(ev);
    } catch {
      // the log files are secondary; the event is stored
    }
  }

  /** Commits so far (each one fsync): fewer than accepted messages under concurrency. */
  get commits(): number {
    return this.thread?.batches ?? this.committer?.batches ?? 0;
  }

  async accept(envelope: Envelope, body: Buffer, spooled?: SpooledBody): Promise<AcceptedMessage> {
    const item = spooled ? { envelope, body, spooled } : { envelope, body };
    const r = this.thread ? await this.thread.submit(item) : await this.committer!.submit(item);
    this.notify(r.event);
    return { internalId: r.internalId };
  }

  /** Waits for the commit thread to finish what it holds, and stops it. */
  async drain(): Promise<void> {
    await this.thread?.close();
  }

  pending(limit: number): QueuedMessage[] {
    const rows = this.db
      .prepare(
        `SELECT m.id, m.size, m.envelope FROM messages m
      WHERE EXISTS (SELECT 1 FROM recipients r WHERE r.message = m.id AND r.status IN ('Ready', 'Retry'))
      ORDER BY m.id LIMIT ?`,
      )
      .all(limit) as { id: number; size: number; envelope: string }[];
    return rows.map((r) => {
      const envelope = JSON.parse(r.envelope) as Envelope;
      envelope.receivedAt = new Date(envelope.receivedAt);
      return { internalId: r.id, size: r.size, envelope };
    });
  }

  /** The stored message: its first part, and the spool file after it for a large message. */
  body(internalId: number): Buffer | undefined {
    const row = this.db.prepare('SELECT data, file FROM bodies WHERE message = ?').get(internalId) as { data: Buffer; file: string | null } | undefined;
    if (!row) return undefined;
    return row.file === null ? row.data : Buffer.concat([row.data, readFileSync(join(this.spoolDir, row.file))]);
  }

  /**
   * Removes spool files that no message references (a session cut off mid-message, a crash
   * between a file and its commit or between a removal and its file). Only at service start,
   * before any session writes to the spool. Returns how many.
   */
  sweepSpool(): number {
    const referenced = new Set((this.db.prepare('SELECT file FROM bodies WHERE file IS NOT NULL').all() as { file: string }[]).map((r) => r.file));
    return sweepSpool(this.spoolDir, referenced);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
  }

  /** Appends a tracking event (outside the acceptance transaction; committed without an fsync, as delivery bookkeeping is). */
  track(ev: TrackingEvent): void {
    relaxedWrite(this.db, this.relaxed, () => this.insertTrackingEvent(ev));
    this.notify(ev);
  }

  /** Stores a tracking event as part of the caller's transaction; notifyTracked once it committed. */
  insertTrackingEvent(ev: TrackingEvent): void {
    this.insertEvent.run(ev.timestamp.getTime(), ev.eventId, ev.source, ev.internalMessageId, ev.messageId ?? null, JSON.stringify(ev));
  }

  notifyTracked(ev: TrackingEvent): void {
    this.notify(ev);
  }

  /** Removes tracking events older than MessageTrackingLogMaxAge (0: never) from the index; returns how many. */
  pruneTracking(maxAgeMs: number, now = new Date()): number {
    return pruneTrackingIndex(this.db, maxAgeMs, now, (fn) => relaxedWrite(this.db, this.relaxed, fn));
  }

  trackingEvents(messageId?: string): TrackingEvent[] {
    const rows = (messageId === undefined ? this.db.prepare('SELECT data FROM tracking_events ORDER BY id').all() : this.db.prepare('SELECT data FROM tracking_events WHERE message_id = ? ORDER BY id').all(messageId)) as { data: string }[];
    return rows.map((r) => {
      const ev = JSON.parse(r.data) as TrackingEvent;
      ev.timestamp = new Date(ev.timestamp);
      return ev;
    });
  }

  close(): void {
    this.db.close();
  }
}
