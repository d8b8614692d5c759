// Removals an administrator asked for while the message was being handed to
// a peer (Remove-Message on an Active message: Exchange's PendingRemove). The
// removal takes effect when the attempt ends, in the transaction that records
// its outcome (DeliveryState.clearInFlight): recipients the attempt delivered
// or failed keep that outcome; those still waiting are removed, once.

import type Database from 'better-sqlite3';
import type { Migration } from '../store/schema-migrations.js';

/** queue.db version 5: removals waiting for a delivery attempt to end. */
export const PENDING_REMOVAL_MIGRATION: Migration<Database.Database> = {
  version: 5,
  description: 'Remove-Message on a message in flight waits for the attempt to end (pending_removals)',
  up(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS pending_removals (
      message INTEGER NOT NULL,
      next_hop TEXT NOT NULL,
      with_ndr INTEGER NOT NULL,
      context TEXT NOT NULL,
      PRIMARY KEY (message, next_hop)
    )`);
  },
};
