// "250 means on disk": the Edge is killed with SIGKILL right after a client
// receives 250 for a message, many times, from several concurrent sessions;
// after each restart every message that got a 250 is in the queue.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const ADDRESS = '127.57.12.1';
const CYCLES = 12;
const SESSIONS = 4;

async function sendOne(tag: string): Promise<string | null> {
  const d = await SmtpDialog.open(ADDRESS, 25);
  try {
    if ((await d.reply())?.code !== 220) return null;
    if ((await d.command('EHLO load.fabrikam.com'))?.code !== 250) return null;
    if ((await d.command('MAIL FROM:<load@fabrikam.com>'))?.code !== 250) return null;
    if ((await d.command('RCPT TO:<bob@contoso.com>'))?.code !== 250) return null;
    if ((await d.command('DATA'))?.code !== 354) return null;
    const done = await d.command(`Subject: ${tag}\r\nX-Tag: ${tag}\r\n\r\n${'x'.repeat(2000)}\r\n.`);
    return done?.code === 250 ? tag : null;
  } catch {
    return null;
  } finally {
    d.close();
  }
}

function queuedTags(data: string): Set<string> {
  const db = new Database(join(data, 'queue.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT envelope FROM messages').all() as { envelope: string }[];
    return new Set(rows.map((r) => (JSON.parse(r.envelope) as { subject: string }).subject));
  } finally {
    db.close();
  }
}

describe('durable acceptance', () => {
  const dir = scratchDir('durability');
  const data = join(dir.path, 'EDGE01');
  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const c = await gatehouse(['shell', '--data', data, '-c', `New-AcceptedDomain Contoso -DomainName contoso.com; Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${ADDRESS}:25 -MessageRateLimit unlimited`]);
    assert.equal(c.code, 0, c.stderr);
  });
  after(() => dir.remove());

  it(`loses nothing that got a 250 when killed with SIGKILL (${CYCLES} cycles, ${SESSIONS} sessions)`, async () => {
    const acknowledged = new Set<string>();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const service = await startService(data);
      // Several sessions race; the first 250 triggers the kill while the others are mid-transaction.
      let killed = false;
      const sends = Array.from({ length: SESSIONS }, (_, i) =>
        sendOne(`c${cycle}-s${i}`).then(async (tag) => {
          if (tag) acknowledged.add(tag);
          if (tag && !killed) {
            killed = true;
            await service.kill();
          }
        }),
      );
      await Promise.all(sends);
      if (!killed) await service.kill();
      const queued = queuedTags(data);
      for (const tag of acknowledged) assert.ok(queued.has(tag), `${tag} got 250 but is not in the queue after SIGKILL (cycle ${cycle})`);
    }
    assert.ok(acknowledged.size >= CYCLES, `expected at least one acknowledged message per cycle, got ${acknowledged.size}`);
  });

  it('answers 452 4.3.1, never 250, when the queue store cannot write', async () => {
    const service = await startService(data);
    const db = new Database(join(data, 'queue.db'));
    try {
      db.exec("CREATE TRIGGER full_disk BEFORE INSERT ON bodies BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");
      const d = await SmtpDialog.open(ADDRESS, 25);
      await d.reply();
      await d.command('EHLO x.fabrikam.com');
      await d.command('MAIL FROM:<a@fabrikam.com>');
      await d.command('RCPT TO:<bob@contoso.com>');
      await d.command('DATA');
      const r = await d.command('Subject: store error\r\n\r\nx\r\n.');
      assert.equal(r?.code, 452);
      assert.match(r!.lines[0], /4\.3\.1 Insufficient system resources/);
      db.exec('DROP TRIGGER full_disk');
      await d.command('MAIL FROM:<a@fabrikam.com>');
      await d.command('RCPT TO:<bob@contoso.com>');
      await d.command('DATA');
      assert.equal((await d.command('Subject: store back\r\n\r\nx\r\n.'))?.code, 250, 'the next message is accepted once the store works');
      d.close();
      const failure = service.lines.find((l) => l.event === 'queue.accept.failed');
      assert.match(String(failure?.action), /452 4\.3\.1/);
    } finally {
      db.close();
      await service.stop();
    }
    assert.ok(!queuedTags(data).has('store error'));
  });
});
