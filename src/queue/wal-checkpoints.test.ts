import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, checkpointOnlyAsBackstop, checkpointRarely, IdleCheckpoints, WAL_AUTOCHECKPOINT_PAGES } from './wal-checkpoints.js';

const root = mkdtempSync(join(tmpdir(), 'gh-wal-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('queue.db checkpoints', () => {
  it("lets the log grow past SQLite's default under load, and checkpoints it once acceptance is idle", () => {
    const path = join(root, 'queue.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    checkpointRarely(db);
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), WAL_AUTOCHECKPOINT_PAGES);
    let clock = 0;
    const idle = new IdleCheckpoints(db, 1000, () => clock);
    try {
      db.exec('CREATE TABLE t (x BLOB)');
      const insert = db.prepare('INSERT INTO t VALUES (?)');
      // 1,500 pages written, more than SQLite's default of 1,000: no checkpoint under load.
      for (let i = 0; i < 1500; i++) {
        insert.run(Buffer.alloc(4000));
        idle.committed();
        clock += 1;
        idle.tick();
      }
      const frames = () => (db.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[])[0];
      assert.ok(frames().log >= 1500 && frames().checkpointed === 0, `nothing checkpointed while busy: ${JSON.stringify(frames())}`);
      clock += 998; // 999 ms since the last commit
      idle.tick();
      assert.equal(frames().checkpointed, 0, 'not idle long enough yet');
      clock += 1;
      idle.tick();
      assert.equal(frames().checkpointed, frames().log, 'the whole log is checkpointed once idle');
      assert.ok(statSync(path).size > 1500 * 4000, 'the pages are in the database file');
    } finally {
      idle.stop();
      db.close();
    }
  });

  it('leaves checkpoints under load to the delivery connection: a commit clients wait for does not make one until the backstop', () => {
    const path = join(root, 'queue2.db');
    const commits = new Database(path);
    commits.pragma('journal_mode = WAL');
    checkpointOnlyAsBackstop(commits);
    const delivery = new Database(path);
    checkpointRarely(delivery);
    try {
      assert.equal(commits.pragma('wal_autocheckpoint', { simple: true }), BACKSTOP_AUTOCHECKPOINT_PAGES);
      commits.exec('CREATE TABLE t (x BLOB); CREATE TABLE outcomes (x INTEGER)');
      const insert = commits.prepare('INSERT INTO t VALUES (?)');
      const frames = () => (commits.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[])[0];
      // Past WAL_AUTOCHECKPOINT_PAGES in batches of 100 pages, as group commits would write them.
      const batch = commits.transaction(() => {
        for (let i = 0; i < 100; i++) insert.run(Buffer.alloc(4000));
      });
      for (let b = 0; b < WAL_AUTOCHECKPOINT_PAGES / 100 + 2; b++) batch();
      assert.ok(frames().log > WAL_AUTOCHECKPOINT_PAGES && frames().checkpointed === 0, `the commits checkpointed nothing: ${JSON.stringify(frames())}`);
      delivery.prepare('INSERT INTO outcomes VALUES (1)').run();
      assert.ok(frames().checkpointed > WAL_AUTOCHECKPOINT_PAGES, `the delivery connection's next commit checkpointed the log: ${JSON.stringify(frames())}`);
    } finally {
      delivery.close();
      commits.close();
    }
  });
});
