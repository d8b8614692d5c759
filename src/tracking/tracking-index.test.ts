import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteQueueStore } from '../queue/sqlite-queue-store.js';
import type { TrackingEvent } from './tracking-event.js';
import { addressCondition, RECIPIENT, SENDER } from './tracking-index.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-tracking-index-'));
const DAY = 86_400_000;

function event(n: number, at: Date, sender: string, recipients: string[]): TrackingEvent {
  return { timestamp: at, source: 'SMTP', eventId: 'RECEIVE', internalMessageId: n, messageId: `<m${n}@fabrikam.com>`, recipients, sender, returnPath: `bounces+${n}@fabrikam.com` };
}

function search(db: Database.Database, role: typeof SENDER | typeof RECIPIENT, addresses: string[]): number[] {
  const c = addressCondition(role, addresses);
  return (db.prepare(`SELECT internal_message_id AS n FROM tracking_events WHERE ${c.sql} ORDER BY id`).all(...c.values) as { n: number }[]).map((r) => r.n);
}

describe('the tracking index', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds events by sender, return path or any recipient through the address index, whatever the case', () => {
    const q = new SqliteQueueStore(join(dir, 'queue.db'));
    const now = new Date();
    q.track(event(1, now, 'Kim@Fabrikam.com', ['alice@contoso.com', 'bob@contoso.com']));
    q.track(event(2, now, 'kim@fabrikam.com', ['carol@contoso.com']));
    q.track(event(3, now, 'lee@tailspintoys.com', ['BOB@contoso.com']));
    assert.deepEqual(search(q.db, SENDER, ['KIM@fabrikam.com']), [1, 2]);
    assert.deepEqual(search(q.db, SENDER, ['bounces+3@fabrikam.com']), [3]);
    assert.deepEqual(search(q.db, RECIPIENT, ['bob@contoso.com']), [1, 3]);
    assert.deepEqual(search(q.db, RECIPIENT, ['carol@contoso.com', 'alice@contoso.com']), [1, 2]);
    assert.deepEqual(search(q.db, RECIPIENT, ['kim@fabrikam.com']), []);

    // SQLite's plan: the address index is searched, tracking_events is read by its key only.
    for (const role of [SENDER, RECIPIENT] as const) {
      const c = addressCondition(role, ['a@contoso.com', 'b@contoso.com']);
      const plan = (q.db.prepare(`EXPLAIN QUERY PLAN SELECT data FROM tracking_events WHERE ${c.sql} ORDER BY id DESC`).all(...c.values) as { detail: string }[]).map((r) => r.detail);
      assert.ok(
        plan.some((d) => /^SEARCH tracking_addresses USING PRIMARY KEY \(role=\? AND address=\?\)/.test(d)),
        plan.join('\n'),
      );
      assert.ok(
        plan.some((d) => /^SEARCH tracking_events USING INTEGER PRIMARY KEY \(rowid=\?\)/.test(d)),
        plan.join('\n'),
      );
      assert.ok(!plan.some((d) => /^SCAN tracking_events\b/.test(d) && !/USING/.test(d)), plan.join('\n'));
    }
    q.close();
  });

  it('prunes events older than MessageTrackingLogMaxAge, with their addresses; 0 keeps everything', () => {
    const q = new SqliteQueueStore(join(dir, 'prune.db'));
    const now = new Date('2026-12-07T10:00:00Z');
    q.db.transaction(() => {
      for (let n = 1; n <= 12_000; n++) q.insertTrackingEvent(event(n, new Date(now.getTime() - 40 * DAY + n), 'old@fabrikam.com', ['alice@contoso.com']));
    })();
    q.track(event(20_000, new Date(now.getTime() - 29 * DAY), 'new@fabrikam.com', ['alice@contoso.com']));
    assert.equal(q.pruneTracking(0, now), 0);
    assert.equal(q.pruneTracking(30 * DAY, now), 12_000);
    assert.deepEqual(
      q.trackingEvents().map((e) => e.internalMessageId),
      [20_000],
    );
    assert.deepEqual(
      (q.db.prepare('SELECT address FROM tracking_addresses ORDER BY address').all() as { address: string }[]).map((r) => r.address),
      ['alice@contoso.com', 'bounces+20000@fabrikam.com', 'new@fabrikam.com'],
    );
    assert.equal(q.pruneTracking(30 * DAY, now), 0);
    q.close();
  });

  it('indexes the events an older queue.db holds when it is migrated', () => {
    const path = join(dir, 'older.db');
    const q = new SqliteQueueStore(path);
    q.track(event(1, new Date(), 'kim@fabrikam.com', ['alice@contoso.com', 'Bob@contoso.com']));
    q.close();
    const db = new Database(path);
    db.exec('DROP TRIGGER tracking_addresses_insert; DROP TRIGGER tracking_addresses_delete; DROP TABLE tracking_addresses; DROP TABLE internal_ids');
    db.pragma('user_version = 2');
    db.close();
    const migrated = new SqliteQueueStore(path);
    assert.equal(migrated.migrated?.from, 2);
    assert.deepEqual(search(migrated.db, RECIPIENT, ['bob@contoso.com']), [1]);
    assert.deepEqual(search(migrated.db, SENDER, ['bounces+1@fabrikam.com']), [1]);
    migrated.close();
  });
});
