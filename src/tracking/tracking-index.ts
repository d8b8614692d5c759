// The tracking index: every message tracking event, indexed, in the queue
// database (table tracking_events) so that Get-MessageTrackingLog can search
// them; the CSV files (tracking-log.ts) are the copy for people and log
// shippers. Its schema is part of queue.db's versioned schema
// (queue/sqlite-queue-store.ts, store/schema-migrations.ts): version 1 is the
// layout written before versions existed, later versions are declared here.

import type Database from 'better-sqlite3';
import type { Migration } from '../store/schema-migrations.js';

/** The table and indexes as written before queue.db carried a version (idempotent). */
export const TRACKING_INDEX_V1 = `
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

/** Changes to the tracking index since version 1, numbered in queue.db's sequence. */
export const TRACKING_INDEX_MIGRATIONS: Migration<Database.Database>[] = [
  {
    version: 2,
    description: 'tracking events indexed by internal message id (Get-MessageTrackingLog -InternalMessageId searched every event)',
    up(db) {
      db.exec('CREATE INDEX IF NOT EXISTS tracking_internal_message ON tracking_events (internal_message_id, id)');
    },
  },
];
