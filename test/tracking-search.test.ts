// Get-MessageTrackingLog on a real Edge: -Sender and -Recipients find events
// whatever the case of the address (through the address index), -ResultSize
// is honoured with Exchange's default of 1000 and its warning, and at start
// the service prunes events older than MessageTrackingLogMaxAge from the
// index, as the tracking log files are pruned. Mail arrives by SMTP; the bulk
// and the old events are written into queue.db as the service writes them
// (the index is filled by the database itself).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const EDGE = '127.40.3.1';
const DOWN = '127.40.3.2';
const DAY = 86_400_000;

describe('Get-MessageTrackingLog searches', () => {
  const dir = scratchDir('tracking-search');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService | undefined;

  const run = async (script: string) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', script], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr, '', script);
    return r.stdout;
  };
  const count = async (filter: string) => {
    const out = await run(`Get-MessageTrackingLog ${filter} | Measure-Object | % Count`);
    return { count: Number(out.trim().split('\n').pop()), out };
  };

  const send = async (from: string, to: string[]) => {
    const d = await SmtpDialog.open(EDGE, 25);
    try {
      assert.equal((await d.reply())?.code, 220);
      await d.command('EHLO mbx.contoso.com');
      assert.equal((await d.command(`MAIL FROM:<${from}>`))?.code, 250);
      for (const t of to) assert.equal((await d.command(`RCPT TO:<${t}>`))?.code, 250);
      assert.equal((await d.command('DATA'))?.code, 354);
      assert.equal((await d.command(`From: ${from}\r\nSubject: to ${to.join(', ')}\r\n\r\nx\r\n.`))?.code, 250);
      await d.command('QUIT');
    } finally {
      d.close();
    }
  };

  /** Events written into the index as the service writes them (one transaction). */
  const insertEvents = (n: number, at: Date, sender: string) => {
    const db = new Database(join(edge, 'queue.db'));
    try {
      db.pragma('busy_timeout = 10000');
      const insert = db.prepare('INSERT INTO tracking_events (timestamp, event_id, source, internal_message_id, message_id, data) VALUES (?, ?, ?, ?, ?, ?)');
      db.transaction(() => {
        for (let i = 0; i < n; i++) {
          const ev = { timestamp: at.toISOString(), source: 'SMTP', eventId: 'RECEIVE', internalMessageId: 900_000 + i, messageId: `<bulk.${sender}.${i}@fabrikam.com>`, recipients: ['dave@contoso.com'], sender, returnPath: sender };
          insert.run(at.getTime(), 'RECEIVE', 'SMTP', ev.internalMessageId, ev.messageId, JSON.stringify(ev));
        }
      })();
    } finally {
      db.close();
    }
  };

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    await run(
      [
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers -RemoteIPRanges 127.0.0.0/8`,
        `New-SendConnector "To Nowhere" -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts ${DOWN}`,
      ].join('; '),
    );
    service = await startService(edge);
  });
  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it('finds events by sender and by any of the recipients, whatever the case', async () => {
    await send('kim@fabrikam.com', ['Alice@Contoso.com']);
    await send('lee@tailspintoys.com', ['bob@contoso.com', 'carol@contoso.com']);
    const kim = await run('Get-MessageTrackingLog -Sender KIM@Fabrikam.com -EventId RECEIVE | Format-List Sender,Recipients');
    assert.match(kim, /Sender +: kim@fabrikam\.com\nRecipients +: \{Alice@Contoso\.com\}/);
    assert.equal((await count('-Sender kim@fabrikam.com -EventId RECEIVE')).count, 1);
    assert.equal((await count('-Recipients alice@contoso.com -EventId RECEIVE')).count, 1);
    assert.equal((await count('-Recipients nobody@contoso.com,CAROL@contoso.com -EventId RECEIVE')).count, 1);
    assert.equal((await count('-Recipients alice@contoso.com,carol@contoso.com -EventId RECEIVE')).count, 2);
    assert.equal((await count('-Sender nobody@fabrikam.com')).count, 0);
  });

  it("returns 1000 events by default with Exchange's warning, all of them with -ResultSize Unlimited, N with -ResultSize N", async () => {
    insertEvents(1001, new Date(), 'bulk@fabrikam.com');
    const dflt = await count('-Sender bulk@fabrikam.com');
    assert.equal(dflt.count, 1000);
    assert.match(dflt.out, /^WARNING: By default, only the first 1000 items are returned\. Use the ResultSize parameter to specify the number of items returned\. To return all items, specify "-ResultSize Unlimited"\./m);
    const all = await count('-Sender bulk@fabrikam.com -ResultSize Unlimited');
    assert.equal(all.count, 1001);
    assert.doesNotMatch(all.out, /WARNING/);
    const ten = await count('-Sender bulk@fabrikam.com -ResultSize 10');
    assert.equal(ten.count, 10);
    assert.doesNotMatch(ten.out, /WARNING/);
    const exact = await count('-Sender kim@fabrikam.com');
    assert.doesNotMatch(exact.out, /WARNING/, 'no warning when fewer than 1000 match');
    const bad = await gatehouse(['shell', '--data', edge, '-c', 'Get-MessageTrackingLog -ResultSize 0']);
    assert.match(bad.stderr, /"0" is not a valid number of results/);
  });

  it('prunes events older than MessageTrackingLogMaxAge (30 days by default) from the index at start', async () => {
    insertEvents(5, new Date(Date.now() - 40 * DAY), 'old@fabrikam.com');
    insertEvents(3, new Date(Date.now() - 20 * DAY), 'recent@fabrikam.com');
    assert.equal((await count('-Sender old@fabrikam.com')).count, 5);
    assert.equal(await service!.stop(), 0);
    service = await startService(edge);
    const pruned = await service.waitFor((l) => l.event === 'tracking.index.pruned', 15_000, 'tracking.index.pruned');
    assert.equal(pruned.events, 5);
    assert.equal((await count('-Sender old@fabrikam.com')).count, 0);
    assert.equal((await count('-Sender recent@fabrikam.com')).count, 3);
    assert.equal((await count('-Sender kim@fabrikam.com -EventId RECEIVE')).count, 1);
    const db = new Database(join(edge, 'queue.db'), { readonly: true });
    try {
      assert.equal((db.prepare("SELECT COUNT(*) AS n FROM tracking_addresses WHERE address = 'old@fabrikam.com'").get() as { n: number }).n, 0, 'their addresses left the index too');
    } finally {
      db.close();
    }
  });
});
