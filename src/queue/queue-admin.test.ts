import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ADMIN_DELETE_TEXT, QueueAdmin } from './queue-admin.js';
import { DeliveryState } from './delivery-state.js';
import type { Envelope } from './queue-store.js';

const root = mkdtempSync(join(tmpdir(), 'gh-queue-admin-'));
after(() => rmSync(root, { recursive: true, force: true }));

function envelope(to: string[]): Envelope {
  return {
    sender: 'alice@fabrikam.com',
    recipients: to.map((address) => ({ address })),
    bodyType: '7BIT',
    smtputf8: false,
    connector: 'EDGE01\\Default',
    principal: 'Anonymous',
    clientIp: '127.56.0.9',
    clientHelo: 'x',
    serverIp: '127.56.0.1',
    serverFqdn: 'edge01.contoso.net',
    messageId: `<${to[0]}>`,
    subject: 's',
    headerFrom: 'alice@fabrikam.com',
    receivedAt: new Date(),
  };
}

const HOP = { key: 'fabrikam.com', deliveryType: 'DnsConnectorDelivery' as const, nextHopDomain: 'fabrikam.com', connector: 'c' };

let n = 0;
/** A fresh queue with one message routed to HOP; the admin's connection and a second one, as the delivery thread has. */
async function setup(to = ['a@fabrikam.com', 'b@fabrikam.com']) {
  const dir = join(root, String(n++));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  const admin = new QueueAdmin(dir);
  const id = (await admin.store.accept(envelope(to), Buffer.from('Subject: s\r\n\r\nx\r\n'))).internalId;
  to.forEach((_, i) => admin.state.route(id, i, HOP, 0));
  const other = new QueueAdmin(dir);
  const delivery = new DeliveryState(other.store.db);
  const status = () =>
    admin
      .waitingMessages(id)
      .flatMap((w) => w.recipients)
      .map((r) => r.status);
  const statuses = () => (admin.state.due(HOP.key, Number.MAX_SAFE_INTEGER, 10)[0]?.recipients ?? []).map((r) => r.status);
  const close = () => {
    admin.close();
    other.close();
  };
  return { admin, delivery, id, status, statuses, close };
}

describe('guarded recipient transitions', () => {
  it('delivered, failed and deferred apply only to a waiting recipient', async () => {
    const { admin, id, close } = await setup();
    assert.equal(admin.state.delivered(id, 0), true);
    assert.equal(admin.state.failed(id, 0, '550 5.1.1 no'), false, 'a delivered recipient does not fail');
    assert.equal(admin.state.deferred(id, 0, '451 later', 1), false, 'nor wait again');
    assert.equal(admin.state.delivered(id, 0), false, 'nor count a second delivery');
    assert.equal(admin.state.deferred(id, 1, '451 later', 1), true);
    assert.equal(admin.state.failed(id, 1, '550 5.1.1 no'), true, 'a waiting (Retry) recipient may fail');
    assert.equal(admin.state.delivered(id, 1), false, 'a failed recipient is not delivered after');
    close();
  });

  it('Remove-Message removes the waiting recipients once, and nothing a delivery finished', async () => {
    const { admin, id, close } = await setup();
    admin.state.delivered(id, 0);
    const r = admin.removeMessage(id, HOP.key, { withNdr: true, context: 'Remove-Message EDGE01\\1\\1' });
    assert.equal(r.outcome, 'removed');
    assert.deepEqual(r.outcome === 'removed' && r.removal.recipients.map((x) => x.address), ['b@fabrikam.com']);
    assert.equal(admin.removeMessage(id, HOP.key, { withNdr: true, context: 'again' }).outcome, 'none', 'a second removal finds nothing');
    assert.equal(admin.state.delivered(id, 1), false, 'a removed recipient is not delivered after');
    assert.deepEqual(admin.waitingMessages(id), []);
    close();
  });

  it('a removal during an attempt waits for it: delivered stays delivered, no removal applies', async () => {
    const { admin, delivery, id, close } = await setup();
    const [item] = delivery.due(HOP.key, Number.MAX_SAFE_INTEGER, 10);
    assert.equal(delivery.beginAttempt(id, item.recipients).length, 2);
    assert.equal(admin.removeMessage(id, HOP.key, { withNdr: true, context: 'rm' }).outcome, 'pending');
    assert.equal(admin.waitingMessages(id)[0].removalPending, true);
    const applied = delivery.batch(() => {
      delivery.clearInFlight(id);
      delivery.delivered(id, 0);
      delivery.delivered(id, 1);
      return delivery.settleRemovals(id);
    });
    assert.deepEqual(applied, [], 'everything was delivered: nothing to remove, no notice');
    assert.deepEqual(admin.waitingMessages(id), []);
    assert.deepEqual(delivery.settleRemovals(), [], 'and the removal is gone');
    close();
  });

  it('a removal during an attempt that did not deliver removes what still waits, once', async () => {
    const { admin, delivery, id, close } = await setup();
    const [item] = delivery.due(HOP.key, Number.MAX_SAFE_INTEGER, 10);
    delivery.beginAttempt(id, item.recipients);
    assert.equal(admin.removeMessage(id, HOP.key, { withNdr: false, context: 'rm' }).outcome, 'pending');
    const applied = delivery.batch(() => {
      delivery.clearInFlight(id);
      delivery.failed(id, 0, '550 5.1.1 unknown');
      delivery.deferred(id, 1, '451 4.3.0 later', 1);
      return delivery.settleRemovals(id);
    });
    assert.equal(applied.length, 1);
    assert.equal(applied[0].withNdr, false);
    assert.deepEqual(
      applied[0].recipients.map((r) => r.address),
      ['b@fabrikam.com'],
      'the failed one keeps its own failure',
    );
    assert.deepEqual(admin.waitingMessages(id), []);
    assert.deepEqual(delivery.settleRemovals(), []);
    assert.equal(delivery.delivered(id, 1), false);
    close();
  });

  it('an attempt starts only with recipients still waiting, and not at all when none are', async () => {
    const { admin, delivery, id, close } = await setup();
    const [item] = delivery.due(HOP.key, Number.MAX_SAFE_INTEGER, 10);
    assert.equal(admin.removeMessage(id, HOP.key, { withNdr: true, context: 'rm' }).outcome, 'removed');
    assert.deepEqual(delivery.beginAttempt(id, item.recipients), [], 'removed between reading and sending: nothing is sent');
    assert.equal(delivery.inFlight(id), false);
    close();
  });

  it('a removal left by a process that stopped mid-attempt is applied once no attempt holds the message', async () => {
    const { admin, delivery, id, close } = await setup(['a@fabrikam.com']);
    const [item] = delivery.due(HOP.key, Number.MAX_SAFE_INTEGER, 10);
    delivery.beginAttempt(id, item.recipients);
    admin.removeMessage(id, HOP.key, { withNdr: true, context: 'rm' });
    assert.deepEqual(delivery.settleRemovals(), [], 'not while the attempt holds it');
    delivery.recoverInFlight(3, true, 0);
    const applied = delivery.settleRemovals();
    assert.deepEqual(
      applied.map((a) => [a.message, a.recipients.length, a.withNdr]),
      [[id, 1, true]],
    );
    close();
  });

  it('suspend and resume apply only from the state they follow', async () => {
    const { admin, id, close } = await setup(['a@fabrikam.com']);
    assert.equal(admin.resumeMessage(id), false);
    assert.equal(admin.suspendMessage(id), true);
    assert.equal(admin.suspendMessage(id), false);
    assert.equal(admin.resumeMessage(id), true);
    admin.state.delivered(id, 0);
    assert.equal(admin.suspendMessage(id), false, 'a message with nothing waiting is not suspended');
    close();
  });

  it('Retry-Queue makes waiting recipients due and leaves final ones alone', async () => {
    const { admin, id, close } = await setup();
    admin.state.failed(id, 0, '550 no');
    admin.state.deferred(id, 1, '451 later', Date.now() + 3_600_000);
    admin.retryQueue(HOP, Date.now(), false);
    const due = admin.state.due(HOP.key, Date.now(), 10);
    assert.deepEqual(
      due[0].recipients.map((r) => [r.idx, r.status]),
      [[1, 'Retry']],
    );
    admin.retryQueue(HOP, Date.now(), true);
    assert.deepEqual(
      admin.waitingMessages(id).map((w) => w.hop),
      [null],
      'resubmitted: back to routing',
    );
    assert.equal(ADMIN_DELETE_TEXT.startsWith('550 4.3.2'), true);
    close();
  });
});
