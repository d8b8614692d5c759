// The InternalId of queued messages (Exchange's InternalMessageId): a number
// unique for the life of a server's queue and growing across restarts. SQLite
// hands a rowid table's next row the largest rowid + 1, so once every message
// had left the queue the next one was numbered 1 again. The last number given
// is kept in a one-row table of queue.db instead, taken in the transaction
// that accepts the message (accept-batch.ts), and never goes back.

import type Database from 'better-sqlite3';
import type { Migration } from '../store/schema-migrations.js';

/** queue.db version 4: the counter, started past every number the queue or the tracking index has seen. */
export const INTERNAL_ID_MIGRATION: Migration<Database.Database> = {
  version: 4,
  description: 'InternalId from a counter that never goes back (rowids were reused once the queue emptied)',
  up(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS internal_ids (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      last INTEGER NOT NULL
    )`);
    db.exec(`INSERT OR IGNORE INTO internal_ids (id, last) VALUES (1, max(
      coalesce((SELECT max(id) FROM messages), 0),
      coalesce((SELECT max(internal_message_id) FROM tracking_events), 0)))`);
  },
};

/** Takes the next InternalId; call it inside the accepting transaction (it is given back if that rolls back). */
export function internalIdTaker(db: Database.Database): () => number {
  const next = db.prepare('UPDATE internal_ids SET last = last + 1 WHERE id = 1 RETURNING last').pluck();
  return () => {
    const id = next.get() as number | undefined;
    if (id === undefined) throw new Error('queue.db has no InternalId counter (table internal_ids): the queue database is damaged; restore it from a backup');
    return id;
  };
}
