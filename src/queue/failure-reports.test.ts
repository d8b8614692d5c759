import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SmtpDomainWithSubdomains } from '../config/types/index.js';
import { JsonLogger } from '../observability/logger.js';
import type { TransportConfig } from '../config/transport-config.js';
import { DeliveryState } from './delivery-state.js';
import type { DsnInput } from './dsn.js';
import { FailureReports, wantsNotice } from './failure-reports.js';
import type { Envelope, RecipientInput } from './queue-store.js';
import { SqliteQueueStore } from './sqlite-queue-store.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-failure-reports-'));
let counter = 0;

/** The settings failure reports read. */
function config(extra: { postmasterSet?: boolean; copyDsnFor?: string[]; fabrikamNdr?: boolean } = {}): TransportConfig {
  return {
    fqdn: 'edge01.contoso.net',
    postmaster: 'postmaster@contoso.com',
    postmasterSet: extra.postmasterSet ?? false,
    acceptedDomains: [{ name: 'Contoso', domain: SmtpDomainWithSubdomains.parse('contoso.com'), type: 'Authoritative', matchSubDomains: false }],
    remoteDomains: [{ name: 'Fabrikam', domain: SmtpDomainWithSubdomains.parse('fabrikam.com'), autoReply: true, autoForward: true, deliveryReport: true, ndr: extra.fabrikamNdr ?? true }],
    organization: { copyDsnFor: extra.copyDsnFor ?? [], internalDsnMaxAttach: 1000, externalDsnMaxAttach: null },
    retry: { messageExpirationMs: 60_000 },
  } as unknown as TransportConfig;
}

async function setup(sender: string, recipients: RecipientInput[]) {
  const store = new SqliteQueueStore(join(dir, `q${++counter}.db`));
  const state = new DeliveryState(store.db);
  const env: Envelope = {
    sender,
    recipients,
    bodyType: '7BIT',
    smtputf8: false,
    connector: 'EDGE01\\Default',
    principal: 'Anonymous',
    clientIp: '127.62.0.5',
    clientHelo: 'mx.example',
    serverIp: '127.62.0.1',
    serverFqdn: 'edge01.contoso.net',
    messageId: `<m${counter}@example>`,
    subject: 'Hi',
    headerFrom: sender,
    receivedAt: new Date(1_000_000),
  };
  const { internalId } = await store.accept(env, Buffer.from('Subject: Hi\r\n\r\nx\r\n'));
  const dsns: DsnInput[] = [];
  const accepted: number[] = [];
  const reports = new FailureReports({
    store: {
      body: (id: number) => store.body(id),
      accept: async (e: Envelope, b: Buffer) => {
        const a = await store.accept(e, b);
        accepted.push(a.internalId);
        return a;
      },
    } as unknown as SqliteQueueStore,
    state,
    log: new JsonLogger(() => undefined),
    now: () => 2_000_000,
    track: () => undefined,
    buildDsn: (input) => {
      dsns.push(input);
      return Buffer.from('Subject: DSN\r\n\r\nx\r\n');
    },
  });
  const pending = state.unrouted(10);
  const settle = async () => {
    for (let i = 0; i < 10 && accepted.length < dsns.length; i++) await new Promise((r) => setImmediate(r));
  };
  return { state, internalId, dsns, accepted, reports, pending, settle };
}

describe('failure reports', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('NOTIFY: failures and delays by default, only what was asked otherwise', () => {
    assert.equal(wantsNotice({}, 'FAILURE'), true);
    assert.equal(wantsNotice({ notify: [] }, 'DELAY'), true);
    assert.equal(wantsNotice({ notify: ['NEVER'] }, 'FAILURE'), false);
    assert.equal(wantsNotice({ notify: ['SUCCESS', 'DELAY'] }, 'DELAY'), true);
    assert.equal(wantsNotice({ notify: ['SUCCESS', 'DELAY'] }, 'FAILURE'), false);
  });

  it('reports failed recipients to the sender, a 4.x.x code as 5.x.x, with the remote MTA', async () => {
    const t = await setup('alice@contoso.com', [{ address: 'bob@fabrikam.com' }, { address: 'carol@fabrikam.com', notify: ['NEVER'] }]);
    t.reports.failed(
      t.internalId,
      t.pending.map((r) => ({ ...r, reply: '550 4.4.7 QUEUE.Expired; message expired', enhanced: '4.4.7' })),
      config(),
      'mx.fabrikam.com',
    );
    await t.settle();
    assert.equal(t.dsns.length, 1);
    assert.equal(t.dsns[0].kind, 'failure');
    assert.equal(t.dsns[0].to, 'alice@contoso.com');
    assert.deepEqual(
      t.dsns[0].recipients.map((r) => [r.address, r.status, r.remoteMta]),
      [['bob@fabrikam.com', '5.4.7', 'mx.fabrikam.com']],
    );
    assert.equal(t.dsns[0].maxAttachBytes, 1000, 'InternalDsnMaxMessageAttachSize for a sender of an accepted domain');
    assert.deepEqual(
      t.accepted.map((id) => t.state.message(id)!.envelope.recipients.map((r) => r.address)),
      [['alice@contoso.com']],
    );
  });

  it('sends nothing to a remote domain with NDRs off, but the postmaster copy still goes when asked for', async () => {
    const off = await setup('kim@fabrikam.com', [{ address: 'bob@contoso.com' }]);
    off.reports.failed(
      off.internalId,
      off.pending.map((r) => ({ ...r, reply: '550 5.1.1 unknown', enhanced: '5.1.1' })),
      config({ fabrikamNdr: false }),
    );
    assert.equal(off.dsns.length, 0);
    const copy = await setup('kim@fabrikam.com', [{ address: 'bob@contoso.com' }]);
    copy.reports.failed(
      copy.internalId,
      copy.pending.map((r) => ({ ...r, reply: '550 5.4.4 nonexistent', enhanced: '5.4.4' })),
      config({ fabrikamNdr: false, postmasterSet: true, copyDsnFor: ['5.4.4'] }),
    );
    await copy.settle();
    assert.equal(copy.dsns.length, 1);
    assert.equal(copy.dsns[0].maxAttachBytes, 10 * 1024 * 1024, 'the default for an outside sender');
    assert.deepEqual(
      copy.accepted.map((id) => copy.state.message(id)!.envelope.recipients.map((r) => r.address)),
      [['postmaster@contoso.com']],
    );
  });

  it('never reports to the null sender, and sends delay notices with the expiry time', async () => {
    const bounce = await setup('', [{ address: 'bob@fabrikam.com' }]);
    bounce.reports.failed(
      bounce.internalId,
      bounce.pending.map((r) => ({ ...r, reply: '550 5.1.1 unknown', enhanced: '5.1.1' })),
      config(),
    );
    assert.equal(bounce.dsns.length, 0);
    const late = await setup('alice@contoso.com', [{ address: 'bob@fabrikam.com' }]);
    late.reports.delayed(late.internalId, late.pending, 1_000_000, config());
    await late.settle();
    assert.equal(late.dsns[0].kind, 'delay');
    assert.deepEqual(
      late.dsns[0].recipients.map((r) => [r.action, r.status, r.willRetryUntil?.getTime()]),
      [['delayed', '4.4.7', 1_060_000]],
    );
    assert.equal(late.reports.delayDsnWanted('alice@contoso.com', config()), true);
  });
});
