import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Envelope } from './queue-store.js';
import { SqliteQueueStore } from './sqlite-queue-store.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-internal-ids-'));

function envelope(n: number): Envelope {
  return {
    sender: `s${n}@fabrikam.com`,
    recipients: [{ address: `r${n}@contoso.com` }],
    bodyType: '7BIT',
    smtputf8: false,
    connector: 'EDGE01\\From Internet',
    principal: 'Anonymous',
    clientIp: '127.0.0.5',
    clientHelo: 'mx.fabrikam.com',
    serverIp: '127.40.0.1',
    serverFqdn: 'edge01.contoso.net',
    messageId: `<m${n}@fabrikam.com>`,
    subject: `Hello ${n}`,
    headerFrom: `s${n}@fabrikam.com`,
    receivedAt: new Date(),
  };
}

/** What delivery does when a message has left the queue. */
function leave(q: SqliteQueueStore, id: number): void {
  q.db.prepare('DELETE FROM recipients WHERE message = ?').run(id);
  q.db.prepare('DELETE FROM bodies WHERE message = ?').run(id);
  q.db.prepare('DELETE FROM messages WHERE id = ?').run(id);
}

describe('InternalId', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is never given twice, even once the queue is empty and reopened', async () => {
    const path = join(dir, 'queue.db');
    let q = new SqliteQueueStore(path);
    const ids: number[] = [];
    for (let n = 0; n < 3; n++) {
      const { internalId } = await q.accept(envelope(n), Buffer.from(`Subject: ${n}\r\n\r\nx\r\n`));
      ids.push(internalId);
      leave(q, internalId);
      assert.equal(q.count(), 0);
      q.close();
      q = new SqliteQueueStore(path);
    }
    // Concurrent acceptances in one batch take distinct numbers after the others.
    const batch = await Promise.all([3, 4, 5].map((n) => q.accept(envelope(n), Buffer.from('x'))));
    ids.push(...batch.map((b) => b.internalId));
    q.close();
    assert.deepEqual(ids, [1, 2, 3, 4, 5, 6]);
  });

  it('gives a number back when the accepting transaction rolls back', async () => {
    const path = join(dir, 'rollback.db');
    const q = new SqliteQueueStore(path);
    assert.equal((await q.accept(envelope(0), Buffer.from('x'))).internalId, 1);
    q.db.exec("CREATE TRIGGER refuse BEFORE INSERT ON bodies WHEN length(NEW.data) > 100 BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
    await assert.rejects(q.accept(envelope(1), Buffer.alloc(200, 65)), /disk full/);
    q.db.exec('DROP TRIGGER refuse');
    assert.equal((await q.accept(envelope(2), Buffer.from('x'))).internalId, 2);
    q.close();
  });

  it('starts past every number an older queue.db used, in its queue or its tracking index', async () => {
    const path = join(dir, 'older.db');
    const q = new SqliteQueueStore(path);
    for (let n = 0; n < 3; n++) await q.accept(envelope(n), Buffer.from('x'));
    for (const id of [1, 2, 3]) leave(q, id);
    q.close();
    // As version 3 left it: no counter; the messages gone, their events kept (ids up to 3).
    const db = new Database(path);
    db.exec('DROP TABLE internal_ids');
    db.pragma('user_version = 3');
    db.close();
    const migrated = new SqliteQueueStore(path);
    assert.equal(migrated.migrated?.to, 5);
    assert.equal((await migrated.accept(envelope(9), Buffer.from('x'))).internalId, 4);
    migrated.close();
  });
});
