import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TrackingEvent } from '../tracking/tracking-event.js';
import { DeliveryState } from './delivery-state.js';
import type { DsnInput } from './dsn.js';
import { DSN_MAX_ATTACH, DsnBuildError, submitDsn, type DsnSubmission } from './dsn-submission.js';
import type { Envelope } from './queue-store.js';
import { SqliteQueueStore } from './sqlite-queue-store.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-dsn-submission-'));
let counter = 0;

function envelope(sender: string, extra: Partial<Envelope> = {}): Envelope {
  return {
    sender,
    recipients: [{ address: 'bob@fabrikam.com' }],
    bodyType: '7BIT',
    smtputf8: false,
    connector: 'EDGE01\\Default',
    principal: 'Anonymous',
    clientIp: '127.62.0.5',
    clientHelo: 'mx.contoso.com',
    serverIp: '127.62.0.1',
    serverFqdn: 'edge01.contoso.net',
    messageId: '<m1@contoso.com>',
    subject: 'Quarterly',
    headerFrom: sender,
    receivedAt: new Date(1_000_000),
    ...extra,
  };
}

async function queueWith(env: Envelope) {
  const store = new SqliteQueueStore(join(dir, `q${++counter}.db`));
  const state = new DeliveryState(store.db);
  const { internalId } = await store.accept(env, Buffer.from('Subject: Quarterly\r\n\r\nfigures\r\n'));
  const tracked: TrackingEvent[] = [];
  const built: DsnInput[] = [];
  const queue = {
    state,
    store,
    track: (ev: TrackingEvent) => tracked.push(ev),
    build: (input: DsnInput) => {
      built.push(input);
      return Buffer.from(`Subject: ${input.kind}\r\n\r\nreport\r\n`);
    },
  };
  return { store, state, internalId, tracked, built, queue };
}

function request(original: number, extra: Partial<DsnSubmission> = {}): DsnSubmission {
  return {
    kind: 'failure',
    original,
    reportingMta: 'edge01.contoso.net',
    postmaster: 'postmaster@contoso.com',
    maxAttachBytes: DSN_MAX_ATTACH,
    now: new Date(2_000_000),
    recipients: [{ address: 'bob@fabrikam.com', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 <bob@fabrikam.com>: User unknown', remoteMta: 'mx.fabrikam.com' }],
    ...extra,
  };
}

describe('DSN submission', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('queues an NDR from the null sender to the original sender, and tracks it', async () => {
    const { state, internalId, tracked, built, queue } = await queueWith(envelope('alice@contoso.com', { envid: 'ENV1', ret: 'FULL' }));
    const dsn = submitDsn(queue, request(internalId));
    assert.ok(dsn);
    assert.match(dsn.messageId, /^<[0-9a-f-]+@edge01\.contoso\.net>$/);
    assert.deepEqual(dsn.to, ['alice@contoso.com']);
    const id = await dsn.accepted;
    const queued = state.message(id)!.envelope;
    assert.equal(queued.sender, '');
    assert.deepEqual(
      queued.recipients.map((r) => r.address),
      ['alice@contoso.com'],
    );
    assert.equal(queued.subject, 'Undeliverable: Quarterly');
    assert.equal(queued.messageId, dsn.messageId);
    assert.equal(queued.headerFrom, 'postmaster@contoso.com');
    assert.equal(built.length, 1);
    assert.equal(built[0].to, 'alice@contoso.com');
    assert.equal(built[0].from, 'postmaster@contoso.com');
    assert.equal(built[0].original.envid, 'ENV1');
    assert.equal(built[0].original.ret, 'FULL');
    assert.equal(built[0].messageId, dsn.messageId);
    assert.equal(tracked.length, 1);
    assert.equal(tracked[0].eventId, 'DSN');
    assert.equal(tracked[0].internalMessageId, internalId);
    assert.deepEqual(tracked[0].recipientStatus, ['5.1.1 550 5.1.1 <bob@fabrikam.com>: User unknown']);
    assert.equal(tracked[0].sourceContext, `DSN ${dsn.messageId} (internal id ${id})`);
  });

  it('returns only the header of a REQUIRETLS message, and names a delay notice "Delayed"', async () => {
    const { state, internalId, built, queue } = await queueWith(envelope('alice@contoso.com', { requireTls: true, ret: 'FULL' }));
    const dsn = submitDsn(queue, request(internalId, { kind: 'delay', recipients: [{ address: 'bob@fabrikam.com', action: 'delayed', status: '4.4.7' }] }));
    assert.ok(dsn);
    assert.equal(built[0].original.ret, 'HDRS');
    assert.equal(state.message(await dsn.accepted)!.envelope.subject, 'Delayed: Quarterly');
  });

  it('copies the postmaster when asked, once even when the postmaster is the sender', async () => {
    const a = await queueWith(envelope('alice@contoso.com'));
    const both = submitDsn(a.queue, request(a.internalId, { to: { sender: true, postmasterCopy: true } }));
    assert.deepEqual(both?.to, ['alice@contoso.com', 'postmaster@contoso.com']);
    const copyOnly = submitDsn(a.queue, request(a.internalId, { to: { sender: false, postmasterCopy: true } }));
    assert.deepEqual(copyOnly?.to, ['postmaster@contoso.com']);
    await Promise.all([both!.accepted, copyOnly!.accepted]);
    const b = await queueWith(envelope('PostMaster@contoso.com'));
    assert.equal(submitDsn(b.queue, request(b.internalId, { to: { sender: false, postmasterCopy: true } })), null);
  });

  it('sends nothing about a null-sender message, for no recipients, or about a message that is gone', async () => {
    const bounce = await queueWith(envelope(''));
    assert.equal(submitDsn(bounce.queue, request(bounce.internalId)), null);
    const x = await queueWith(envelope('alice@contoso.com'));
    assert.equal(submitDsn(x.queue, request(x.internalId, { recipients: [] })), null);
    assert.equal(submitDsn(x.queue, request(x.internalId + 100)), null);
    assert.equal(x.built.length, 0);
    assert.equal(x.tracked.length, 0);
  });

  it('reports a DSN that cannot be built as DsnBuildError, with nothing queued', async () => {
    const { state, internalId, tracked, queue } = await queueWith(envelope('alice@contoso.com'));
    const broken = {
      ...queue,
      build: () => {
        throw new Error('bad status code');
      },
    };
    assert.throws(
      () => submitDsn(broken, request(internalId)),
      (err: unknown) => err instanceof DsnBuildError && err.message === 'bad status code',
    );
    assert.equal(tracked.length, 0);
    assert.equal(state.waiting(10).length, 1, 'only the original waits');
  });

  it('builds a real DSN by default', async () => {
    const { state, internalId, queue } = await queueWith(envelope('alice@contoso.com'));
    const dsn = submitDsn({ state: queue.state, store: queue.store, track: queue.track }, request(internalId));
    const id = await dsn!.accepted;
    assert.equal(state.message(id)!.envelope.bodyType, '7BIT');
    assert.match(queue.store.body(id)!.toString(), /multipart\/report; report-type=delivery-status/);
  });
});
