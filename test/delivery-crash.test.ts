// At-least-once delivery: the Edge is killed with SIGKILL while it is
// delivering a batch to a slow smart host (Postfix's smtp-sink, which waits a
// second before answering each DATA) over two connections, then restarted.
// Every message reaches the sink at least once. A message arrives twice only
// when the sink had it before the kill while the Edge had not yet recorded it
// as delivered (at most one per connection); one the Edge had recorded is
// never sent again.
//
// smtp-sink writes its dump while the transaction runs (and removes it when
// the client goes away before the end), so only dumps that end with the
// message's last line count as arrivals. Every failure says what the sink and
// the queue held.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const EDGE = '127.57.40.1';
const SINK = '127.57.40.9';
const COUNT = 12;
/** Outbound connections to the sink: at most this many messages are in flight at the kill. */
const CONNECTIONS = 2;
const TRAILER = 'end of crash test message';

interface Arrivals {
  /** Complete transactions per message tag. */
  byTag: Map<string, number>;
  /** Dumps of transactions still running (no last line yet). */
  partial: number;
  /** Complete dumps without a tag (should stay 0). */
  untagged: number;
}

function arrivals(messages: SinkMessage[]): Arrivals {
  const a: Arrivals = { byTag: new Map(), partial: 0, untagged: 0 };
  for (const m of messages) {
    if (!new RegExp(`^${TRAILER}\\r?$`, 'm').test(m.text)) {
      a.partial++;
      continue;
    }
    const tag = /^Subject: (crash-\d+)\r?$/m.exec(m.text)?.[1];
    if (tag) a.byTag.set(tag, (a.byTag.get(tag) ?? 0) + 1);
    else a.untagged++;
  }
  return a;
}

const total = (a: Arrivals) => [...a.byTag.values()].reduce((x, y) => x + y, 0);

function describeArrivals(a: Arrivals): string {
  const tags = Array.from({ length: COUNT }, (_, i) => `crash-${i}×${a.byTag.get(`crash-${i}`) ?? 0}`).join(' ');
  return `sink: ${tags}; ${a.partial} transaction(s) in progress, ${a.untagged} untagged`;
}

/** Recipients (r0…r11) the queue still had to deliver, and what else the queue said, read from queue.db. */
function queueState(data: string): { pending: Set<string>; text: string } {
  const db = new Database(join(data, 'queue.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT message, address, status, attempts, next_hop, last_error FROM recipients ORDER BY message, idx').all() as {
      message: number;
      address: string;
      status: string;
      attempts: number;
      next_hop: string | null;
      last_error: string | null;
    }[];
    const inFlight = (db.prepare('SELECT message FROM in_flight').all() as { message: number }[]).map((r) => r.message);
    const crashes = db.prepare('SELECT message, count FROM crash_counts').all() as { message: number; count: number }[];
    const queues = db.prepare('SELECT key, status, failures, next_retry_at, last_error FROM queues').all() as { key: string; status: string; failures: number; next_retry_at: number | null; last_error: string | null }[];
    const pending = new Set(rows.filter((r) => r.status === 'Ready' || r.status === 'Retry').map((r) => r.address.replace(/@.*/, '')));
    const text = [
      `queue: ${rows.map((r) => `#${r.message} ${r.address} ${r.status} (${r.attempts} attempt(s)${r.next_hop ? ', ' + r.next_hop : ''}${r.last_error ? ', ' + r.last_error : ''})`).join('; ') || 'no recipients left'}`,
      `in flight: ${inFlight.join(', ') || 'none'}; crash counts: ${crashes.map((c) => `#${c.message}×${c.count}`).join(', ') || 'none'}`,
      `queues: ${queues.map((q) => `${q.key} ${q.status} failures=${q.failures}${q.next_retry_at ? ` retry at ${new Date(q.next_retry_at).toISOString()}` : ''}${q.last_error ? ' ' + q.last_error : ''}`).join('; ')}`,
    ].join('\n');
    return { pending, text };
  } finally {
    db.close();
  }
}

describe('delivery survives SIGKILL', () => {
  const dir = scratchDir('delivery-crash');
  const data = join(dir.path, 'EDGE01');
  let sink: Peer & { messages(): SinkMessage[] };
  let service: RunningService | undefined;

  before(async () => {
    sink = await startSink(SINK, join(dir.path, 'sink'), ['-w', '1']);
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const c = await gatehouse([
      'shell',
      '--data',
      data,
      '-c',
      [
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers -RemoteIPRanges 127.0.0.0/8`,
        `New-SendConnector "To Sink" -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts ${SINK}`,
        `Set-TransportService EDGE01 -TransientFailureRetryInterval 00:00:01 -MessageRetryInterval 00:00:01 -MaxPerDomainOutboundConnections ${CONNECTIONS}`,
      ].join('; '),
    ]);
    assert.equal(c.code, 0, c.stderr);
  });
  after(async () => {
    await service?.stop();
    await sink.stop();
    dir.remove();
  });

  it(`delivers all ${COUNT} messages at least once across a SIGKILL mid-batch`, async (t) => {
    service = await startService(data);
    const d = await SmtpDialog.open(EDGE, 25);
    await d.reply();
    await d.command('EHLO mbxserver01.contoso.com');
    for (let i = 0; i < COUNT; i++) {
      assert.equal((await d.command('MAIL FROM:<alice@contoso.com>'))?.code, 250);
      assert.equal((await d.command(`RCPT TO:<r${i}@fabrikam.com>`))?.code, 250);
      assert.equal((await d.command('DATA'))?.code, 354);
      assert.equal((await d.command(`Subject: crash-${i}\r\n\r\nmessage ${i}\r\n${TRAILER}\r\n.`))?.code, 250, `crash-${i} is accepted`);
    }
    d.close();
    const running = service;
    await until(() => total(arrivals(sink.messages())) >= 3, 60_000, 'the first deliveries').catch((err: Error) => {
      throw new Error(`${err.message}\n${describeArrivals(arrivals(sink.messages()))}\n${queueState(data).text}\n${running.describe(40)}`);
    });
    await service.kill();
    // What the sink had and what the queue still held at the kill (the Edge is dead: neither changes
    // but for a transaction smtp-sink drops once it sees the connection gone).
    const atKill = queueState(data);
    const dumpsAtKill = sink.messages().length;
    // A transaction whose end the Edge sent before it died still completes at the sink; those cut
    // off earlier are dropped (smtp-sink removes their dumps). Wait until none is left running.
    await until(() => arrivals(sink.messages()).partial === 0, 20_000, 'smtp-sink to finish or drop the transactions of the killed Edge').catch((err: Error) => {
      throw new Error(`${err.message}\n${describeArrivals(arrivals(sink.messages()))}`);
    });
    const beforeKill = arrivals(sink.messages());
    const killReport = `at the kill: ${describeArrivals(beforeKill)}\n${atKill.text}`;
    assert.ok(atKill.pending.size > 0, `the kill came in the middle of the batch (the queue still had recipients to deliver)\n${killReport}`);
    for (const [tag, n] of beforeKill.byTag) assert.equal(n, 1, `${tag} arrived ${n} times before any crash\n${killReport}`);

    service = await startService(data);
    const restarted = service;
    const missing = () => Array.from({ length: COUNT }, (_, i) => `crash-${i}`).filter((tag) => !arrivals(sink.messages()).byTag.has(tag));
    await until(() => missing().length === 0, 90_000, 'every message delivered').catch((err: Error) => {
      throw new Error(`${err.message}: ${missing().join(', ')} never arrived\n${killReport}\nnow: ${describeArrivals(arrivals(sink.messages()))}\n${queueState(data).text}\n${restarted.describe(40)}`);
    });
    // The queue empties once the last outcome is recorded; then no transaction is left running.
    await until(() => queueState(data).pending.size === 0 && arrivals(sink.messages()).partial === 0, 30_000, 'the queue to empty').catch((err: Error) => {
      throw new Error(`${err.message}\n${describeArrivals(arrivals(sink.messages()))}\n${queueState(data).text}\n${restarted.describe(40)}`);
    });
    const end = arrivals(sink.messages());
    const report = `${killReport}\nat the end: ${describeArrivals(end)}`;
    const duplicates = [...end.byTag].filter(([, n]) => n > 1).map(([tag]) => tag);
    t.diagnostic(
      `${total(end)} transactions for ${COUNT} messages: ${duplicates.length} duplicate(s) after the SIGKILL (${duplicates.join(', ') || 'none'}); ${COUNT - atKill.pending.size} recorded as delivered at the kill, ${beforeKill.byTag.size} at the sink (${dumpsAtKill} dump file(s) at the kill)`,
    );
    assert.equal(end.untagged, 0, `transactions arrived that were none of the ${COUNT} messages\n${report}`);
    for (const [tag, n] of end.byTag) {
      assert.ok(n <= 2, `${tag} arrived ${n} times: at most once before the kill and once after\n${report}`);
      const recipient = `r${tag.slice('crash-'.length)}`;
      // Recorded as delivered: never sent again. Not recorded: sent (again) after the restart.
      if (!atKill.pending.has(recipient)) assert.equal(n, 1, `${tag} was recorded as delivered before the kill and was sent again\n${report}`);
      if (n === 2) assert.ok(beforeKill.byTag.has(tag), `${tag} arrived twice after the restart\n${report}`);
    }
    assert.ok(duplicates.length <= CONNECTIONS, `at most the messages in flight on the ${CONNECTIONS} connections may arrive twice, got ${duplicates.length}\n${report}`);
  });
});
