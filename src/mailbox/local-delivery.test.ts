import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TransportConfig } from '../config/transport-config.js';
import { JsonLogger } from '../observability/logger.js';
import type { AppliedRemoval } from '../queue/delivery-state.js';
import type { FailureReports } from '../queue/failure-reports.js';
import { QueueAdmin } from '../queue/queue-admin.js';
import type { Envelope } from '../queue/queue-store.js';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import { LocalDelivery, type DeliverLocal } from './local-delivery.js';

const root = mkdtempSync(join(tmpdir(), 'gh-local-delivery-'));
after(() => rmSync(root, { recursive: true, force: true }));

const HOP = { key: 'DB01', deliveryType: 'SmtpDeliveryToMailbox' as const, nextHopDomain: 'DB01', connector: 'DB01' };
const CONFIG = { fqdn: 'mbx01.contoso.com', retry: { messageRetryIntervalMs: 60_000 } } as unknown as TransportConfig;

function envelope(to: string[]): Envelope {
  return {
    sender: 'alice@fabrikam.com',
    recipients: to.map((address) => ({ address })),
    bodyType: '7BIT',
    smtputf8: false,
    connector: 'MBX01\\Default',
    principal: 'Anonymous',
    clientIp: '127.0.0.9',
    clientHelo: 'x',
    serverIp: '127.0.0.1',
    serverFqdn: 'mbx01.contoso.com',
    messageId: `<${to[0]}>`,
    subject: 's',
    headerFrom: 'alice@fabrikam.com',
    receivedAt: new Date(),
  };
}

let n = 0;
/** A queue with one message for two local mailboxes, delivery by `deliverLocal`, and what delivery reported. */
async function setup(deliverLocal: (admin: QueueAdmin, id: number) => DeliverLocal) {
  const dir = join(root, String(n++));
  mkdirSync(dir);
  const admin = new QueueAdmin(dir);
  const id = (await admin.store.accept(envelope(['kim@contoso.com', 'lee@contoso.com']), Buffer.from('Subject: s\r\n\r\nx\r\n'))).internalId;
  [0, 1].forEach((i) => admin.state.route(id, i, HOP, 0));
  const removals: AppliedRemoval[] = [];
  const failures: string[] = [];
  const tracked: TrackingEvent[] = [];
  const reports = { removedByAdmin: (r: AppliedRemoval[]) => removals.push(...r), failed: (_m: number, f: { address: string }[]) => failures.push(...f.map((x) => x.address)) } as unknown as FailureReports;
  const delivery = new LocalDelivery({
    store: admin.store,
    state: admin.state,
    log: new JsonLogger(() => undefined),
    now: Date.now,
    track: (ev) => tracked.push(ev),
    stopped: () => false,
    reports,
    deliverLocal: deliverLocal(admin, id),
  });
  const run = () =>
    delivery.deliver(
      admin.state.queues().find((q) => q.key === HOP.key)!,
      CONFIG,
    );
  return { admin, id, removals, failures, tracked, run };
}

describe('local delivery and Remove-Message', () => {
  it('a removal asked while a message is written to its mailboxes waits, and does not apply to what was delivered', async () => {
    const asked: string[] = [];
    const { admin, id, removals, tracked, run } = await setup((admin, id) => async () => {
      if (asked.length === 0) asked.push(admin.removeMessage(id, HOP.key, { withNdr: true, context: 'Remove-Message MBX01\\DB01\\1' }).outcome);
    });
    await run();
    assert.deepEqual(asked, ['pending'], 'the message was in flight when the removal was asked');
    assert.deepEqual(removals, [], 'nothing was left to remove: both recipients were delivered');
    assert.deepEqual(
      tracked.map((e) => e.eventId),
      ['DELIVER'],
    );
    assert.deepEqual(admin.waitingMessages(id), []);
    admin.close();
  });

  it('a removal asked during an attempt that deferred a recipient removes it once when the attempt ends', async () => {
    const { admin, id, removals, tracked, run } = await setup((admin, id) => async (address) => {
      if (address === 'kim@contoso.com') {
        assert.equal(admin.removeMessage(id, HOP.key, { withNdr: true, context: 'Remove-Message MBX01\\DB01\\1' }).outcome, 'pending');
        return;
      }
      throw Object.assign(new Error('disk full'), { transient: true });
    });
    await run();
    assert.deepEqual(
      tracked.map((e) => e.eventId),
      ['DELIVER'],
    );
    assert.deepEqual(
      removals.map((r) => r.recipients.map((x) => x.address)),
      [['lee@contoso.com']],
      'the deferred recipient is removed, once',
    );
    assert.deepEqual(admin.waitingMessages(id), []);
    assert.equal(admin.state.inFlight(id), false);
    admin.close();
  });
});
