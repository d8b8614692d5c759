import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DeliveryState } from './delivery-state.js';
import type { Envelope } from './queue-store.js';
import { SqliteQueueStore } from './sqlite-queue-store.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-state-'));

function envelope(): Envelope {
  return {
    sender: 's@fabrikam.com',
    recipients: [{ address: 'a@contoso.com' }, { address: 'b@contoso.com' }],
    bodyType: '8BITMIME',
    smtputf8: false,
    connector: 'EDGE01\\From Internet',
    principal: 'Anonymous',
    clientIp: '127.0.0.5',
    clientHelo: 'mx.fabrikam.com',
    serverIp: '127.10.1.1',
    serverFqdn: 'edge01.contoso.net',
    messageId: '<done@fabrikam.com>',
    subject: 'done',
    headerFrom: 's@fabrikam.com',
    receivedAt: new Date(),
  };
}

describe('DeliveryState.removeCompleted', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('removes a message once every recipient is final and none is in flight, keeping its tracking events', async () => {
    const store = new SqliteQueueStore(join(dir, 'queue.db'));
    const state = new DeliveryState(store.db);
    const { internalId: id } = await store.accept(envelope(), Buffer.from('Subject: done\r\n\r\nbody\r\n'));
    const q = { key: 'smarthost:x', deliveryType: 'SmartHostConnectorDelivery' as const, nextHopDomain: 'mbx', connector: 'x' };
    state.route(id, 0, q, Date.now());
    state.route(id, 1, q, Date.now());

    state.delivered(id, 0);
    assert.equal(state.removeCompleted(100), 0, 'b@contoso.com still waits');
    assert.ok(store.body(id));

    state.markInFlight(id);
    state.failed(id, 1, '550 5.1.1 unknown');
    assert.equal(state.removeCompleted(100), 0, 'in flight: not yet');
    state.clearInFlight(id);
    assert.equal(state.removeCompleted(100), 0, 'the candidate was checked once; a full sweep finds it');
    assert.equal(state.removeCompleted(100, true), 1);
    assert.equal(store.body(id), undefined);
    assert.equal(state.message(id), undefined);
    assert.equal(store.count(), 0);
    assert.equal(store.trackingEvents('<done@fabrikam.com>').length, 1, 'tracking outlives the message');
    store.close();
  });

  it("keeps a waiting recipient's retry time when a configuration change re-routes it", async () => {
    const store = new SqliteQueueStore(join(dir, 'reroute.db'));
    const state = new DeliveryState(store.db);
    const { internalId: id } = await store.accept(envelope(), Buffer.from('Subject: retry\r\n\r\nbody\r\n'));
    const q = { key: 'smarthost:x', deliveryType: 'SmartHostConnectorDelivery' as const, nextHopDomain: 'mbx', connector: 'x' };
    const now = Date.now();
    state.route(id, 0, q, now);
    state.route(id, 1, q, now);
    state.deferred(id, 0, '451 4.4.0 try later', now + 60_000);
    assert.equal(state.rerouteAll(), 2);
    assert.equal(state.unrouted(10).length, 2);
    state.route(id, 0, q, now);
    state.route(id, 1, q, now);
    const rows = store.db.prepare('SELECT idx, status, next_attempt_at FROM recipients WHERE message = ? ORDER BY idx').all(id) as { idx: number; status: string; next_attempt_at: number | null }[];
    assert.deepEqual(rows, [
      { idx: 0, status: 'Retry', next_attempt_at: now + 60_000 },
      { idx: 1, status: 'Ready', next_attempt_at: null },
    ]);
    assert.equal(state.due(q.key, now, 10).flatMap((w) => w.recipients).length, 1, 'only the recipient that was not waiting is due now');
    store.close();
  });
});
