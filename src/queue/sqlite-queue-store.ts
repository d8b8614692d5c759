// SQLite implementation of the queue store (better-sqlite3, WAL,
// synchronous=FULL): one commit, hence one fsync of the WAL, per batch of
// accepted messages (GroupCommitter). Tables: messages (envelope, never
// rewritten), bodies (the message bytes, written once), recipients (the small
// rows routing and delivery update), tracking_events (append-only).

import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import { GroupCommitter } from './group-commit.js';
import type { AcceptedMessage, Envelope, QueuedMessage, QueueStore } from './queue-store.js';

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
CREATE INDEX IF NOT EXISTS recipients_hop ON recipients (next_hop, status);
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
CREATE TABLE IF NOT EXISTS tracking_events (
  id INTEGER PRIMARY KEY,
  timestamp INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  source TEXT NOT NULL,
  internal_message_id INTEGER NOT NULL,
  message_id TEXT,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tracking_time ON tracking_events (timestamp);
CREATE INDEX IF NOT EXISTS tracking_message ON tracking_events (message_id);
`;

interface Item {
  envelope: Envelope;
  body: Buffer;
}

function receiveEvent(id: number, networkId: string, e: Envelope, size: number): TrackingEvent {
  return {
    timestamp: e.receivedAt, clientIp: e.clientIp, clientHostname: e.clientHelo, serverIp: e.serverIp, serverHostname: e.serverFqdn,
    sourceContext: e.tls ? `TLS protocol ${e.tls.protocol} cipher ${e.tls.cipher}` : undefined,
    connectorId: e.connector, source: 'SMTP', eventId: 'RECEIVE', internalMessageId: id, messageId: e.messageId, networkMessageId: networkId,
    recipients: e.recipients.map((r) => r.address), recipientStatus: e.recipients.map(() => 'To'), totalBytes: size,
    recipientCount: e.recipients.length, messageSubject: e.subject, sender: e.headerFrom || e.sender, returnPath: e.sender === '' ? '<>' : e.sender,
    directionality: e.authenticatedAs ? 'Originating' : 'Incoming',
  };
}

export class SqliteQueueStore implements QueueStore {
  readonly db: Database.Database;
  private readonly committer: GroupCommitter<Item, AcceptedMessage>;
  private readonly insertEvent: Database.Statement;

  constructor(readonly path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const insertMessage = this.db.prepare('INSERT INTO messages (network_id, received_at, sender, size, envelope) VALUES (?, ?, ?, ?, ?)');
    const insertBody = this.db.prepare('INSERT INTO bodies (message, data) VALUES (?, ?)');
    const insertRecipient = this.db.prepare('INSERT INTO recipients (message, idx, address, orcpt, notify) VALUES (?, ?, ?, ?, ?)');
    const insertEvent = this.db.prepare('INSERT INTO tracking_events (timestamp, event_id, source, internal_message_id, message_id, data) VALUES (?, ?, ?, ?, ?, ?)');
    this.insertEvent = insertEvent;
    const writeBatch = this.db.transaction((items: Item[]) => items.map(({ envelope: e, body }) => {
      const networkId = randomUUID();
      const { lastInsertRowid } = insertMessage.run(networkId, e.receivedAt.getTime(), e.sender, body.length, JSON.stringify(e));
      const id = Number(lastInsertRowid);
      insertBody.run(id, body);
      e.recipients.forEach((r, i) => insertRecipient.run(id, i, r.address, r.orcpt ?? null, r.notify ? r.notify.join(',') : null));
      const ev = receiveEvent(id, networkId, e, body.length);
      insertEvent.run(ev.timestamp.getTime(), ev.eventId, ev.source, id, ev.messageId ?? null, JSON.stringify(ev));
      return { internalId: id, event: ev };
    }));
    this.committer = new GroupCommitter<Item, AcceptedMessage>((items) => {
      const results = writeBatch.immediate(items);
      for (const r of results) this.notify(r.event);
      return results.map((r) => ({ internalId: r.internalId }));
    });
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
    return this.committer.batches;
  }

  accept(envelope: Envelope, body: Buffer): Promise<AcceptedMessage> {
    return this.committer.submit({ envelope, body });
  }

  pending(limit: number): QueuedMessage[] {
    const rows = this.db.prepare(`SELECT m.id, m.size, m.envelope FROM messages m
      WHERE EXISTS (SELECT 1 FROM recipients r WHERE r.message = m.id AND r.status IN ('Ready', 'Retry'))
      ORDER BY m.id LIMIT ?`).all(limit) as { id: number; size: number; envelope: string }[];
    return rows.map((r) => {
      const envelope = JSON.parse(r.envelope) as Envelope;
      envelope.receivedAt = new Date(envelope.receivedAt);
      return { internalId: r.id, size: r.size, envelope };
    });
  }

  body(internalId: number): Buffer | undefined {
    const row = this.db.prepare('SELECT data FROM bodies WHERE message = ?').get(internalId) as { data: Buffer } | undefined;
    return row?.data;
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
  }

  /** Appends a tracking event (outside the acceptance transaction; committed without an fsync, as delivery bookkeeping is). */
  track(ev: TrackingEvent): void {
    this.db.pragma('synchronous = NORMAL');
    try {
      this.insertEvent.run(ev.timestamp.getTime(), ev.eventId, ev.source, ev.internalMessageId, ev.messageId ?? null, JSON.stringify(ev));
    } finally {
      this.db.pragma('synchronous = FULL');
    }
    this.notify(ev);
  }

  trackingEvents(messageId?: string): TrackingEvent[] {
    const rows = (messageId === undefined
      ? this.db.prepare('SELECT data FROM tracking_events ORDER BY id').all()
      : this.db.prepare('SELECT data FROM tracking_events WHERE message_id = ? ORDER BY id').all(messageId)) as { data: string }[];
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
