// Reading a server's message tracking index (the tracking_events of its
// queue.db, tracking/tracking-index.ts) for Get-MessageTrackingLog and
// Test-Mailflow: opened read-only, never migrated (a queue.db newer than this
// code is refused), whether or not the transport service runs.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { assertSqliteReadable } from '../store/schema-migrations.js';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import { addressCondition, RECIPIENT, SENDER } from '../tracking/tracking-index.js';
import { QUEUE_SCHEMA } from './sqlite-queue-store.js';

/** What a search narrows by in the index; the caller applies the exact comparisons. */
export interface TrackingQuery {
  /** Events at or after (ms). */
  start?: number;
  /** Events before (ms, exclusive). */
  end?: number;
  eventId?: string;
  source?: string;
  internalMessageId?: number;
  /** The Message-ID with its angle brackets. */
  messageId?: string;
  sender?: string;
  recipients?: string[];
}

export class TrackingReader {
  private constructor(private readonly db: Database.Database) {}

  /** The tracking index of the server whose folder is dataDir; null when it has none yet (nothing received). */
  static open(dataDir: string, options: { checkVersion?: boolean } = {}): TrackingReader | null {
    const path = join(dataDir, 'queue.db');
    if (!existsSync(path)) return null;
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      if (options.checkVersion !== false) assertSqliteReadable(db, QUEUE_SCHEMA, path);
      db.pragma('busy_timeout = 5000');
    } catch (err) {
      db.close();
      throw err;
    }
    return new TrackingReader(db);
  }

  /** Events matching the query, newest first (read lazily: stop when you have enough). */
  *newestFirst(q: TrackingQuery): Generator<TrackingEvent> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (q.start !== undefined) {
      where.push('timestamp >= ?');
      values.push(q.start);
    }
    if (q.end !== undefined) {
      where.push('timestamp < ?');
      values.push(q.end);
    }
    if (q.eventId !== undefined) {
      where.push('event_id = ? COLLATE NOCASE');
      values.push(q.eventId);
    }
    if (q.source !== undefined) {
      where.push('source = ? COLLATE NOCASE');
      values.push(q.source);
    }
    if (q.internalMessageId !== undefined) {
      where.push('internal_message_id = ?');
      values.push(q.internalMessageId);
    }
    if (q.messageId !== undefined) {
      where.push('message_id = ?');
      values.push(q.messageId);
    }
    if (q.sender !== undefined) {
      const c = addressCondition(SENDER, [q.sender]);
      where.push(c.sql);
      values.push(...c.values);
    }
    if (q.recipients !== undefined && q.recipients.length > 0) {
      const c = addressCondition(RECIPIENT, q.recipients);
      where.push(c.sql);
      values.push(...c.values);
    }
    const rows = this.db.prepare(`SELECT data FROM tracking_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC`).iterate(...values) as Iterable<{ data: string }>;
    for (const row of rows) {
      const e = JSON.parse(row.data) as TrackingEvent;
      e.timestamp = new Date(e.timestamp);
      yield e;
    }
  }

  /** The events of one message (by Message-ID), oldest first, as stored (timestamps as written). */
  eventsOf(messageId: string): TrackingEvent[] {
    return (this.db.prepare('SELECT data FROM tracking_events WHERE message_id = ? ORDER BY id').all(messageId) as { data: string }[]).map((r) => JSON.parse(r.data) as TrackingEvent);
  }

  close(): void {
    this.db.close();
  }
}
