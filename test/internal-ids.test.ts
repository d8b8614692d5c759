// InternalId on a real Edge: unique for the life of the queue and growing
// across restarts, even when every earlier message has left the queue (the
// number SQLite would hand out again). The 250 reply, Get-Message's identity,
// Get-MessageTrackingLog and the internal-message-id column of the tracking
// log files name the same number for the same message. Postfix's smtp-sink
// takes the mail that leaves; a smart host that is down keeps one message.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const EDGE = '127.40.1.1';
const SINK = '127.40.1.2';
const DOWN = '127.40.1.3';

describe('InternalId', () => {
  const dir = scratchDir('internal-ids');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService | undefined;
  let sink: (Peer & { messages(): SinkMessage[] }) | undefined;

  const ok = async (script: string) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', script], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr, '', script);
    return r.stdout;
  };

  /** Sends one message; returns the InternalId and Message-ID of the 250 reply. */
  const send = async (to: string, subject: string): Promise<{ internalId: number; messageId: string }> => {
    const d = await SmtpDialog.open(EDGE, 25);
    try {
      assert.equal((await d.reply())?.code, 220);
      await d.command('EHLO sender.fabrikam.com');
      assert.equal((await d.command('MAIL FROM:<kim@fabrikam.com>'))?.code, 250);
      assert.equal((await d.command(`RCPT TO:<${to}>`))?.code, 250);
      assert.equal((await d.command('DATA'))?.code, 354);
      const r = await d.command(`Subject: ${subject}\r\n\r\n${subject}\r\n.`);
      assert.equal(r?.code, 250, d.transcript);
      const m = /^2\.6\.0 (<[^>]+>) \[InternalId=(\d+), Hostname=edge01\.contoso\.net\] Queued mail for delivery$/.exec(r!.lines.join(' '));
      assert.ok(m, r!.lines.join(' '));
      await d.command('QUIT');
      return { messageId: m[1], internalId: Number(m[2]) };
    } finally {
      d.close();
    }
  };

  const queuedMessages = (): number => {
    const db = new Database(join(edge, 'queue.db'), { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  /** RECEIVE lines of the tracking log files: message-id -> internal-message-id. */
  const loggedIds = (): Map<string, number> => {
    const folder = join(edge, 'Logs', 'MessageTracking');
    const ids = new Map<string, number>();
    for (const f of readdirSync(folder).filter((n) => n.startsWith('MSGTRK'))) {
      const lines = readFileSync(join(folder, f), 'utf8').split('\r\n');
      const fields = lines
        .find((l) => l.startsWith('#Fields: '))!
        .slice('#Fields: '.length)
        .split(',');
      for (const line of lines.filter((l) => l !== '' && !l.startsWith('#'))) {
        const cols = line.split(',');
        if (cols[fields.indexOf('event-id')] === 'RECEIVE') ids.set(cols[fields.indexOf('message-id')], Number(cols[fields.indexOf('internal-message-id')]));
      }
    }
    return ids;
  };

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    await ok(
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        // The Mailbox servers' side: externally secured, it relays to any domain.
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers -RemoteIPRanges 127.0.0.0/8`,
        `New-SendConnector -Name "To Contoso" -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${SINK}`,
        `New-SendConnector -Name "To Tailspin" -AddressSpaces tailspintoys.com -DNSRoutingEnabled $false -SmartHosts ${DOWN}`,
        'Set-TransportService EDGE01 -TransientFailureRetryInterval 00:05:00 -OutboundConnectionFailureRetryInterval 00:10:00',
      ].join('; '),
    );
    sink = await startSink(SINK, join(dir.path, 'sink'));
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    await sink?.stop();
    dir.remove();
  });

  it('grows across a restart after the queue emptied, and every view names the same number', async () => {
    const first = await send('alice@contoso.com', 'first');
    await until(() => sink!.messages().some((m) => m.text.includes('Subject: first')), 20_000, 'the first message at the sink');
    await until(() => queuedMessages() === 0, 20_000, 'the queue to empty');
    assert.equal(await service!.stop(), 0);

    service = await startService(edge);
    const second = await send('bob@contoso.com', 'second');
    assert.ok(second.internalId > first.internalId, `InternalId ${second.internalId} after ${first.internalId}`);
    await until(() => sink!.messages().some((m) => m.text.includes('Subject: second')), 20_000, 'the second message at the sink');
    await until(() => queuedMessages() === 0, 20_000, 'the queue to empty again');

    // This one waits for a smart host that is down: Get-Message shows it.
    const third = await send('kim@tailspintoys.com', 'third');
    assert.ok(third.internalId > second.internalId, `InternalId ${third.internalId} after ${second.internalId}`);
    const shown = formatListRecords(await ok('Get-Message -Filter "Subject -eq \'third\'" | Format-List Identity,InternetMessageId'), '');
    assert.equal(shown.length, 1);
    assert.match(shown[0].Identity, new RegExp(`^EDGE01\\\\[^\\\\]+\\\\${third.internalId}$`));
    assert.equal(shown[0].InternetMessageId, third.messageId);

    const tracked = formatListRecords(await ok('Get-MessageTrackingLog -EventId RECEIVE | Format-List MessageId,InternalMessageId'), '');
    assert.deepEqual(
      tracked.map((t) => [t.MessageId, Number(t.InternalMessageId)]),
      [first, second, third].map((m) => [m.messageId, m.internalId]),
    );
    await until(() => loggedIds().size === 3, 10_000, 'three RECEIVE lines in the tracking log files');
    const logged = loggedIds();
    for (const m of [first, second, third]) assert.equal(logged.get(m.messageId), m.internalId, m.messageId);
  });
});
