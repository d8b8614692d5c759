// When queue.db's write-ahead log is copied back into the database file (a
// checkpoint, which costs an fsync of the log and one of the database). At
// SQLite's default (every 1,000 pages) a checkpoint fell inside the accept
// path every few dozen messages: the client of that commit waited for two
// more fsyncs. Here the log may grow to WAL_AUTOCHECKPOINT_PAGES before a
// commit checkpoints it, and the commit thread checkpoints it as soon as
// acceptance has been idle for a moment, so that under load the log is
// checkpointed rarely and when quiet it is checkpointed promptly.
//
// Under load the checkpoint is the delivery thread's: a checkpoint made by a
// commit of the commit thread (32 MiB of pages copied and synced) held every
// client of that batch, and of the batch waiting behind it, for tens of
// milliseconds (at 100 KiB and c=10, every 300 messages: the p99 of end of
// DATA to 250). The commit thread's connection and the SMTP thread's checkpoint
// only as a backstop, when the log has grown four times as large (nothing is
// being delivered); the delivery thread's connection, whose commits no client
// waits for, checkpoints at WAL_AUTOCHECKPOINT_PAGES.
//
// Invariant: durability is the WAL's, not the checkpoint's: a commit is on
// disk when its fsync of the log returns; a checkpoint only moves pages.

import type { Database } from 'better-sqlite3';

/** Pages (4 KiB) the log may hold before a commit checkpoints it: 32 MiB. */
export const WAL_AUTOCHECKPOINT_PAGES = 8192;
/** Acceptance idle this long: the commit thread checkpoints. */
export const IDLE_CHECKPOINT_MS = 1000;

/** Pages the log may hold before a commit that clients wait for checkpoints it: 128 MiB. */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 4 * WAL_AUTOCHECKPOINT_PAGES;

/** A connection whose commits no client waits for (delivery, the shell): checkpoints at WAL_AUTOCHECKPOINT_PAGES. */
export function checkpointRarely(db: Database): void {
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
}

/** The commit thread's connection and the SMTP thread's: checkpoint only when the log reaches BACKSTOP_AUTOCHECKPOINT_PAGES. */
export function checkpointOnlyAsBackstop(db: Database): void {
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
}

/** The commit thread's idle checkpoints: call committed() after each batch; stop() at close. */
export class IdleCheckpoints {
  private last = 0;
  private dirty = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly idleMs = IDLE_CHECKPOINT_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.floor(idleMs / 2)));
    this.timer.unref();
  }

  committed(): void {
    this.last = this.now();
    this.dirty = true;
  }

  /** Checkpoints (PASSIVE: never waits for readers or writers) once acceptance has been idle for idleMs. */
  tick(): void {
    if (!this.dirty || this.now() - this.last < this.idleMs) return;
    this.dirty = false;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // busy or closing: the next commit's autocheckpoint, or the next idle moment, does it
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
