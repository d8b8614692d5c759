import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Envelope } from './queue-store.js';
import { SqliteQueueStore } from './sqlite-queue-store.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-queue-'));

function envelope(n: number): Envelope {
  return {
    sender: n === 0 ? '' : `s${n}@fabrikam.com`,
    recipients: [{ address: `r${n}@contoso.com`, notify: ['FAILURE', 'DELAY'], orcpt: `rfc822;r${n}@contoso.com` }, { address: `x${n}@contoso.com` }],
    bodyType: '8BITMIME',
    smtputf8: false,
    connector: 'EDGE01\\From Internet',
    principal: 'Anonymous',
    clientIp: '127.0.0.5',
    clientHelo: 'mx.fabrikam.com',
    serverIp: '127.10.1.1',
    serverFqdn: 'edge01.contoso.net',
    messageId: `<m${n}@fabrikam.com>`,
    subject: `Hello ${n}`,
    headerFrom: `s${n}@fabrikam.com`,
    receivedAt: new Date(),
  };
}

describe('SqliteQueueStore', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('commits concurrent acceptances in shared batches and keeps them across reopen', async () => {
    const path = join(dir, 'queue.db');
    const q = new SqliteQueueStore(path);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => q.accept(envelope(i), Buffer.from(`Subject: Hello ${i}\r\n\r\nbody ${i}\r\n`))));
    assert.equal(new Set(results.map((r) => r.internalId)).size, 50);
    assert.ok(q.commits < 50, `expected group commits, got ${q.commits} commits for 50 messages`);
    q.close();

    const again = new SqliteQueueStore(path);
    assert.equal(again.count(), 50);
    const pending = again.pending(100);
    assert.equal(pending.length, 50);
    const first = pending.find((p) => p.envelope.messageId === '<m0@fabrikam.com>')!;
    assert.equal(first.envelope.sender, '');
    assert.deepEqual(first.envelope.recipients[0].notify, ['FAILURE', 'DELAY']);
    assert.equal(again.body(first.internalId)?.toString(), 'Subject: Hello 0\r\n\r\nbody 0\r\n');
    const events = again.trackingEvents('<m7@fabrikam.com>');
    assert.equal(events.length, 1);
    assert.equal(events[0].eventId, 'RECEIVE');
    assert.deepEqual(events[0].recipients, ['r7@contoso.com', 'x7@contoso.com']);
    assert.equal(events[0].connectorId, 'EDGE01\\From Internet');
    again.close();
  });

  it('commits on the commit thread: shared batches, durable before the promise settles, one refused item alone', async () => {
    const path = join(dir, 'threaded.db');
    const q = new SqliteQueueStore(path, { commitThread: true });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => q.accept(envelope(i), Buffer.from(`Subject: ${i}\r\n\r\nbody ${i}\r\n`))));
    assert.equal(new Set(results.map((r) => r.internalId)).size, 40);
    assert.ok(q.commits < 40, `expected group commits, got ${q.commits}`);
    // Visible to another connection as soon as accept() settled.
    const other = new SqliteQueueStore(path);
    assert.equal(other.count(), 40);
    other.db.exec("CREATE TRIGGER refuse BEFORE INSERT ON bodies WHEN length(NEW.data) > 100 BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
    const mixed = await Promise.allSettled([q.accept(envelope(50), Buffer.from('small')), q.accept(envelope(51), Buffer.alloc(200, 65))]);
    assert.equal(mixed[0].status, 'fulfilled');
    assert.equal(mixed[1].status, 'rejected');
    assert.match(String((mixed[1] as PromiseRejectedResult).reason), /disk full/);
    assert.equal(other.count(), 41);
    await q.drain();
    q.close();
    other.close();
  });

  it('refuses only the message the store cannot write, and never half of one', async () => {
    const q = new SqliteQueueStore(join(dir, 'broken.db'));
    q.db.exec("CREATE TRIGGER refuse BEFORE INSERT ON bodies WHEN length(NEW.data) > 100 BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
    const results = await Promise.allSettled([q.accept(envelope(1), Buffer.from('small')), q.accept(envelope(2), Buffer.alloc(200, 65))]);
    assert.equal(results[0].status, 'fulfilled');
    assert.equal(results[1].status, 'rejected');
    assert.equal(q.count(), 1, 'the refused message left no envelope or recipient rows behind');
    assert.equal((q.db.prepare('SELECT COUNT(*) AS n FROM recipients').get() as { n: number }).n, 2);
    assert.ok((await q.accept(envelope(3), Buffer.from('ok'))).internalId > 0);
    q.close();
  });
});
