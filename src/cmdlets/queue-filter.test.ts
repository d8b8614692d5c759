import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ByteQuantifiedSize } from '../config/types/index.js';
import { QueueAdmin } from '../queue/queue-admin.js';
import type { Envelope } from '../queue/queue-store.js';
import { CmdletError, PSObject } from '../shell/values.js';
import { compileFilter, parseFilter, sortObjects } from './queue-filter.js';
import { matchQueues, parseMessageIdentity, type ViewQueue } from './queue-view.js';
import type { ServerContext } from './server-context.js';

const queue = (props: Record<string, unknown>) => new PSObject('Q', Object.entries(props));
const FILTERABLE = ['Status', 'MessageCount', 'NextHopDomain', 'LastRetryTime', 'Size', 'Subject'];

describe('queue viewer -Filter', () => {
  const q1 = queue({ Status: 'Retry', MessageCount: 12, NextHopDomain: 'contoso.com', LastRetryTime: new Date('2026-01-05T15:00:00'), Size: ByteQuantifiedSize.fromBytes(5557), Subject: "It's here" });
  const q2 = queue({ Status: 'Ready', MessageCount: 0, NextHopDomain: 'fabrikam.com', LastRetryTime: null, Size: ByteQuantifiedSize.fromBytes(100), Subject: 'Hi' });
  const run = (f: string) => [q1, q2].filter(compileFilter(f, FILTERABLE)).map((o) => o.get('NextHopDomain'));

  it('compares text case-insensitively, numbers as numbers, with -and / -or and parentheses', () => {
    assert.deepEqual(run("Status -eq 'retry'"), ['contoso.com']);
    assert.deepEqual(run('MessageCount -gt 100'), []);
    assert.deepEqual(run('MessageCount -ge 12'), ['contoso.com']);
    assert.deepEqual(run("NextHopDomain -eq 'contoso.com' -and Status -eq 'Retry'"), ['contoso.com']);
    assert.deepEqual(run("(Status -eq 'Ready' -or MessageCount -gt 5) -and NextHopDomain -like '*.com'"), ['contoso.com', 'fabrikam.com']);
    assert.deepEqual(run("NextHopDomain -notlike 'conto*'"), ['fabrikam.com']);
    assert.deepEqual(run("-not (Status -eq 'Ready')"), ['contoso.com']);
    assert.deepEqual(run('Status -ne "Ready"'), ['contoso.com']);
  });

  it('compares dates, sizes with units and $null', () => {
    assert.deepEqual(run("LastRetryTime -lt '1/5/2026 4:00 PM'"), ['contoso.com']);
    assert.deepEqual(run("LastRetryTime -gt '2026-01-06'"), []);
    assert.deepEqual(run('Size -gt 5KB'), ['contoso.com']);
    assert.deepEqual(run("Size -lt '1 KB'"), ['fabrikam.com']);
    assert.deepEqual(run('LastRetryTime -eq $null'), ['fabrikam.com']);
    assert.deepEqual(run("Subject -eq 'It''s here'"), ['contoso.com']);
  });

  it("rejects bad syntax and unknown properties in Exchange's words", () => {
    for (const bad of ['Status -eq', "Status 'Ready'", "(Status -eq 'Ready'", "Status -eq 'Ready' junk", "Status -eq 'open", 'Status -foo 1', '']) {
      assert.throws(
        () => parseFilter(bad),
        (e: unknown) => e instanceof CmdletError && /Invalid filter syntax/.test(e.message) && e.reason === 'ParameterBindingException',
        bad,
      );
    }
    assert.throws(() => compileFilter("Colour -eq 'red'", FILTERABLE), /The property Colour is not a recognized filterable property/);
    assert.throws(() => run("MessageCount -gt 'many'"), /could not be converted to a number/);
  });

  it('sorts by +/- keys, then the default order', () => {
    const sorted = sortObjects([q2, q1], ['-MessageCount'], () => 0, FILTERABLE);
    assert.deepEqual(
      sorted.map((o) => o.get('MessageCount')),
      [12, 0],
    );
    assert.deepEqual(
      sortObjects([q1, q2], ['+Size'], () => 0, FILTERABLE).map((o) => o.get('MessageCount')),
      [0, 12],
    );
    assert.throws(() => sortObjects([q1], ['+Nope'], () => 0, FILTERABLE), /not a valid sort order entry/);
  });
});

describe('queue and message identities', () => {
  const ctx = { name: 'EDGE01', fqdn: 'edge01.contoso.net' } as ServerContext;
  const v = (name: string, nextHopDomain: string, hop: string | null): ViewQueue => ({
    name,
    hop,
    row: hop && /^\d/.test(name) ? ({} as never) : null,
    deliveryType: 'Undefined',
    nextHopDomain,
    connector: '',
    status: 'Ready',
    messageCount: 0,
  });
  const all = [v('Submission', 'Submission', null), v('Unreachable', 'Unreachable Domain', 'Unreachable'), v('3', 'contoso.com', 'k3'), v('4', '[127.0.0.1]', 'k4')];

  it('finds queues by Server\\Name, name, number, NextHopDomain and *', () => {
    assert.deepEqual(
      matchQueues(ctx, all, 'EDGE01\\Submission').map((x) => x.name),
      ['Submission'],
    );
    assert.deepEqual(
      matchQueues(ctx, all, 'unreachable').map((x) => x.name),
      ['Unreachable'],
    );
    assert.deepEqual(
      matchQueues(ctx, all, 'edge01.contoso.net\\3').map((x) => x.name),
      ['3'],
    );
    assert.deepEqual(
      matchQueues(ctx, all, 'EDGE01\\CONTOSO.COM').map((x) => x.name),
      ['3'],
    );
    assert.deepEqual(
      matchQueues(ctx, all, '[127.0.0.1]').map((x) => x.name),
      ['4'],
    );
    assert.equal(matchQueues(ctx, all, '*').length, 4);
    assert.equal(matchQueues(ctx, all, 'EDGE01\\*').length, 4);
    assert.throws(() => matchQueues(ctx, all, 'OTHER\\3'), /wasn't found on server EDGE01/);
    assert.throws(() => matchQueues(ctx, all, 'EDGE01\\9'), /wasn't found/);
    assert.throws(() => matchQueues(ctx, all, 'EDGE01\\Shadow\\1'), /wasn't found/);
  });

  it('parses message identities', () => {
    assert.deepEqual(parseMessageIdentity(ctx, 'EDGE01\\3\\17'), { queue: '3', message: 17 });
    assert.deepEqual(parseMessageIdentity(ctx, 'contoso.com\\17'), { queue: 'contoso.com', message: 17 });
    assert.deepEqual(parseMessageIdentity(ctx, 'EDGE01\\*\\17'), { queue: '*', message: 17 });
    assert.deepEqual(parseMessageIdentity(ctx, '*\\17'), { queue: '*', message: 17 });
    assert.deepEqual(parseMessageIdentity(ctx, '17'), { queue: '*', message: 17 });
    assert.deepEqual(parseMessageIdentity(ctx, 'EDGE01\\17'), { queue: '*', message: 17 });
    assert.throws(() => parseMessageIdentity(ctx, 'EDGE01\\3\\x'), /wasn't found/);
    assert.throws(() => parseMessageIdentity(ctx, 'OTHER\\3\\17'), /wasn't found/);
  });
});

describe('suspended messages in the delivery state', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-suspend-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const envelope = (to: string): Envelope => ({
    sender: 'alice@fabrikam.com',
    recipients: [{ address: to }],
    bodyType: '7BIT',
    smtputf8: false,
    connector: 'EDGE01\\Default',
    principal: 'Anonymous',
    clientIp: '127.0.0.1',
    clientHelo: 'x',
    serverIp: '127.0.0.1',
    serverFqdn: 'edge01.contoso.net',
    messageId: `<${to}>`,
    subject: 's',
    headerFrom: 'alice@fabrikam.com',
    receivedAt: new Date(),
  });

  it('skips them in due(), nextDue() and waiting() until they are resumed', async () => {
    const admin = new QueueAdmin(dir);
    const { store, state } = admin;
    const a = (await store.accept(envelope('a@contoso.com'), Buffer.from('x'))).internalId;
    const b = (await store.accept(envelope('b@contoso.com'), Buffer.from('y'))).internalId;
    const q = { key: 'hop', deliveryType: 'SmartHostConnectorDelivery' as const, nextHopDomain: '[127.0.0.1]', connector: 'c' };
    state.route(a, 0, q, 0);
    state.route(b, 0, q, 0);
    assert.equal(admin.suspendMessage(a), true);
    assert.deepEqual(
      state.due('hop', Date.now(), 10).map((d) => d.message),
      [b],
    );
    assert.deepEqual(
      state.waiting(10).map((r) => r.message),
      [b],
    );
    assert.equal(state.queues().find((x) => x.key === 'hop')?.messageCount, 2, 'a suspended message still counts in its queue');
    state.delivered(b, 0);
    assert.equal(state.nextDue('hop'), null, 'nothing due: only a suspended message waits');
    assert.equal(admin.resumeMessage(a), true);
    assert.deepEqual(
      state.due('hop', Date.now(), 10).map((d) => d.message),
      [a],
    );
    assert.equal(state.nextDue('hop'), 0);
    admin.close();
  });
});
