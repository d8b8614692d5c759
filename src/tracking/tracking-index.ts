// The tracking index: every message tracking event, indexed, in the queue
// database (table tracking_events) so that Get-MessageTrackingLog can search
// them; the CSV files (tracking-log.ts) are the copy for people and log
// shippers. Its schema is part of queue.db's versioned schema
// (queue/sqlite-queue-store.ts, store/schema-migrations.ts): version 1 is the
// layout written before versions existed, later versions are declared here.
// The addresses of each event (its sender and return path, its recipients)
// are kept lower-cased in tracking_addresses, filled and emptied by triggers
// on tracking_events, so that -Sender and -Recipients read an index instead of
// every event; events older than MessageTrackingLogMaxAge are pruned
// (pruneTrackingIndex), as the log files are.

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
  {
    version: 3,
    description: 'the senders and recipients of tracking events indexed (Get-MessageTrackingLog -Sender and -Recipients read every event)',
    up(db) {
      db.exec(TRACKING_ADDRESSES);
      db.exec(`INSERT OR IGNORE INTO tracking_addresses (address, role, event)
        SELECT lower(a.address), a.role, a.event FROM (
          SELECT json_extract(data, '$.sender') AS address, ${SENDER} AS role, id AS event FROM tracking_events
          UNION ALL SELECT json_extract(data, '$.returnPath'), ${SENDER}, id FROM tracking_events
          UNION ALL SELECT r.value, ${RECIPIENT}, t.id FROM tracking_events t, json_each(t.data, '$.recipients') r
        ) a WHERE a.address IS NOT NULL AND a.address <> ''`);
    },
  },
];

/** tracking_addresses.role: the event's sender (header From) or return path. */
export const SENDER = 0;
/** tracking_addresses.role: one of the event's recipients. */
export const RECIPIENT = 1;

const TRACKING_ADDRESSES = `
CREATE TABLE IF NOT EXISTS tracking_addresses (
  address TEXT NOT NULL,
  role INTEGER NOT NULL,
  event INTEGER NOT NULL,
  PRIMARY KEY (role, address, event)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tracking_addresses_event ON tracking_addresses (event);
CREATE TRIGGER IF NOT EXISTS tracking_addresses_insert AFTER INSERT ON tracking_events BEGIN
  INSERT OR IGNORE INTO tracking_addresses (address, role, event)
    SELECT lower(a.address), a.role, NEW.id FROM (
      SELECT json_extract(NEW.data, '$.sender') AS address, ${SENDER} AS role
      UNION ALL SELECT json_extract(NEW.data, '$.returnPath'), ${SENDER}
      UNION ALL SELECT value, ${RECIPIENT} FROM json_each(NEW.data, '$.recipients')
    ) a WHERE a.address IS NOT NULL AND a.address <> '';
END;
CREATE TRIGGER IF NOT EXISTS tracking_addresses_delete AFTER DELETE ON tracking_events BEGIN
  DELETE FROM tracking_addresses WHERE event = OLD.id;
END;
`;

/**
 * The condition on tracking_events (alias-free: `id`) that an event names one of
 * `addresses` in `role`, read from the address index; with its values.
 */
export function addressCondition(role: typeof SENDER | typeof RECIPIENT, addresses: readonly string[]): { sql: string; values: unknown[] } {
  return {
    sql: `id IN (SELECT event FROM tracking_addresses WHERE role = ? AND address IN (${addresses.map(() => 'lower(?)').join(', ')}))`,
    values: [role, ...addresses],
  };
}

/** Events removed per statement while pruning (a long prune never holds the write lock for long). */
const PRUNE_BATCH = 5000;

/**
 * Removes the events older than `maxAgeMs` (MessageTrackingLogMaxAge; 0 keeps everything), as the
 * log files are removed, in batches each committed alone. `write` runs one batch as the
 * connection writes (relaxedWrite of the queue store). Returns how many events went.
 */
export function pruneTrackingIndex(db: Database.Database, maxAgeMs: number, now: Date, write: <T>(fn: () => T) => T = (fn) => fn()): number {
  if (!(maxAgeMs > 0)) return 0;
  const cutoff = now.getTime() - maxAgeMs;
  const batch = db.prepare('DELETE FROM tracking_events WHERE id IN (SELECT id FROM tracking_events WHERE timestamp < ? ORDER BY timestamp LIMIT ?)');
  let removed = 0;
  // Bounded: each round removes a batch or ends; a million old events take 200 rounds.
  for (let round = 0; round < 10_000; round++) {
    const { changes } = write(() => batch.run(cutoff, PRUNE_BATCH));
    removed += changes;
    if (changes < PRUNE_BATCH) break;
  }
  return removed;
}
