// Hostile input against a running Edge: a catalogue of attacks and malformed
// dialogs, each with the reply or disconnect Exchange would give. After the
// catalogue the service still accepts mail, and its memory stayed bounded.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';
import { recordFinding } from './harness/report.js';

const HOST = '127.10.13.1';
const RATE_HOST = '127.10.13.2';
const MAX_SIZE = 100 * 1024;

async function session(host = HOST): Promise<SmtpDialog> {
  const d = await SmtpDialog.open(host, 25);
  assert.equal((await d.reply())?.code, 220);
  return d;
}

async function inTransaction(): Promise<SmtpDialog> {
  const d = await session();
  assert.equal((await d.command('EHLO attacker.example'))?.code, 250);
  assert.equal((await d.command('MAIL FROM:<a@fabrikam.com>'))?.code, 250);
  assert.equal((await d.command('RCPT TO:<bob@contoso.com>'))?.code, 250);
  return d;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Sends DATA content as given (must include the terminator) and returns the final reply. */
async function data(d: SmtpDialog, content: string | Buffer) {
  assert.equal((await d.command('DATA'))?.code, 354);
  d.write(content);
  return d.reply();
}

describe('hostile input catalogue', () => {
  const dir = scratchDir('hostile');
  const dataDir = join(dir.path, 'EDGE01');
  let service: RunningService;
  let rssBefore = 0;

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', dataDir])).code, 0);
    const c = await gatehouse([
      'shell',
      '--data',
      dataDir,
      '-c',
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${HOST}:25 -TarpitInterval 00:00:00 -MaxMessageSize ${MAX_SIZE} -MaxHeaderSize 64KB -MaxInboundConnectionPerSource 8 -MessageRateLimit unlimited -ConnectionInactivityTimeout 00:00:02 -BareLinefeedRejectionEnabled $true`,
        `New-ReceiveConnector "Rate Limited" -Usage Internet -Bindings ${RATE_HOST}:25 -MessageRateLimit 3 -TarpitInterval 00:00:00`,
      ].join('; '),
    ]);
    assert.equal(c.code, 0, c.stderr);
    service = await startService(dataDir);
    rssBefore = rssKb(service.child.pid!);
  });

  after(async () => {
    if (service) await service.stop();
    dir.remove();
  });

  const smuggle = (variant: string) => async () => {
    const d = await inTransaction();
    const r = await data(d, `Subject: smuggled\r\n\r\nhello${variant}MAIL FROM:<evil@fabrikam.com>\r\nRCPT TO:<victim@contoso.com>\r\nDATA\r\n\r\nevil\r\n.\r\n`);
    assert.equal(r?.code, 554, d.transcript);
    assert.match(r!.lines[0], /^5\.6\.0 /);
    assert.equal((await d.command('NOOP'))?.code, 250, 'no smuggled command was run');
    d.close();
  };
  it('smuggling: LF.LF does not end DATA', smuggle('\n.\n'));
  it('smuggling: CR.CRLF does not end DATA', smuggle('\r.\r\n'));
  it('smuggling: CRLF.LF does not end DATA', smuggle('\r\n.\n'));
  it('smuggling: LF.CRLF does not end DATA', smuggle('\n.\r\n'));

  it('NUL byte inside a command', async () => {
    const d = await session();
    const r = await d.command('EHLO a\0b');
    assert.ok(r && r.code >= 500, d.transcript);
    d.close();
  });

  it('NUL bytes inside message content are kept, not a crash', async () => {
    const d = await inTransaction();
    const r = await data(d, 'Subject: nul\r\n\r\na\0b\r\n.\r\n');
    assert.equal(r?.code, 250);
    d.close();
  });

  it('a 1 MB command line', async () => {
    const d = await session();
    d.write('EHLO ' + 'a'.repeat(1024 * 1024) + '\r\n');
    const r = await d.reply();
    assert.equal(r?.code, 500);
    assert.match(r!.lines[0], /5\.5\.2 Command too long/);
    assert.equal((await d.command('NOOP'))?.code, 250, 'the session goes on');
    d.close();
  });

  it('10,000 pipelined RCPT: 200 accepted, the rest 452 4.5.3', async () => {
    const d = await session();
    assert.equal((await d.command('EHLO flood.example'))?.code, 250);
    assert.equal((await d.command('MAIL FROM:<a@fabrikam.com>'))?.code, 250);
    d.write(Array.from({ length: 10_000 }, (_, i) => `RCPT TO:<r${i}@contoso.com>\r\n`).join(''));
    let ok = 0;
    let tooMany = 0;
    for (let i = 0; i < 10_000; i++) {
      const r = await d.reply(30_000);
      if (r?.code === 250) ok++;
      else if (r?.code === 452) tooMany++;
      else break;
    }
    assert.equal(ok, 200);
    assert.equal(tooMany, 9800);
    d.close();
  });

  it('a pipelined flood of 20,000 NOOPs', async () => {
    const d = await session();
    assert.equal((await d.command('EHLO flood.example'))?.code, 250);
    d.write('NOOP\r\n'.repeat(20_000));
    let n = 0;
    for (; n < 20_000; n++) if ((await d.reply(30_000))?.code !== 250) break;
    assert.equal(n, 20_000);
    d.close();
  });

  it('a slow client is timed out by ConnectionInactivityTimeout', async () => {
    const d = await session();
    const r = await d.reply(6000);
    assert.equal(r?.code, 451);
    assert.match(r!.lines[0], /4\.7\.0 Timeout waiting for client input/);
    assert.ok(await d.closedWithin(3000));
  });

  it('STARTTLS with pipelined commands: the injected commands are discarded', async () => {
    const d = await session();
    assert.equal((await d.command('EHLO inject.example'))?.code, 250);
    d.write('STARTTLS\r\nMAIL FROM:<injected@fabrikam.com>\r\n');
    assert.equal((await d.reply())?.code, 220);
    await d.upgrade();
    const r = await d.command('MAIL FROM:<a@fabrikam.com>', 5000);
    assert.match(r?.lines[0] ?? '', /^5\.5\.2 Send hello first/, 'after TLS the session starts over and the injected MAIL was not run');
    assert.equal(r?.code, 503);
    d.close();
  });

  const badAddress = (line: string) => async () => {
    const d = await session();
    assert.equal((await d.command('EHLO bad.example'))?.code, 250);
    const r = await d.command(line);
    assert.equal(r?.code, 501, `${line}\n${d.transcript}`);
    d.close();
  };
  it('malformed address: two @', badAddress('MAIL FROM:<a@b@fabrikam.com>'));
  it('malformed address: unbalanced <', badAddress('MAIL FROM:<alice@fabrikam.com'));
  it('malformed address: no angle brackets and spaces', badAddress('MAIL FROM:alice @fabrikam.com'));
  it('malformed address: 65-octet local part', badAddress(`MAIL FROM:<${'a'.repeat(65)}@fabrikam.com>`));
  it('malformed address: control character', badAddress('MAIL FROM:<al\x01ice@fabrikam.com>'));
  it('malformed address: 8-bit without SMTPUTF8', badAddress('MAIL FROM:<j\xf6rg@fabrikam.com>'));
  it('malformed parameter: SIZE not a number', badAddress('MAIL FROM:<a@fabrikam.com> SIZE=lots'));
  it('malformed parameter: NOTIFY=NEVER,SUCCESS', async () => {
    const d = await session();
    await d.command('EHLO x.example');
    await d.command('MAIL FROM:<a@fabrikam.com>');
    assert.equal((await d.command('RCPT TO:<bob@contoso.com> NOTIFY=NEVER,SUCCESS'))?.code, 501);
    d.close();
  });

  it('a header larger than MaxHeaderSize', async () => {
    const d = await inTransaction();
    const r = await data(d, `Subject: big\r\nX-Filler: ${'h'.repeat(70 * 1024)}\r\n\r\nbody\r\n.\r\n`);
    assert.equal(r?.code, 552);
    assert.match(r!.lines[0], /5\.3\.4 Header size exceeds fixed maximum size/);
    d.close();
  });

  it('a declared SIZE above MaxMessageSize', async () => {
    const d = await session();
    await d.command('EHLO x.example');
    const r = await d.command(`MAIL FROM:<a@fabrikam.com> SIZE=${MAX_SIZE + 1}`);
    assert.equal(r?.code, 552);
    d.close();
  });

  it('content above MaxMessageSize without SIZE', async () => {
    const d = await inTransaction();
    const r = await data(d, `Subject: big\r\n\r\n${'b'.repeat(MAX_SIZE + 1000)}\r\n.\r\n`);
    assert.equal(r?.code, 552);
    assert.match(r!.lines[0], /5\.3\.4 Message size exceeds fixed maximum message size/);
    d.close();
  });

  it('many connections from one IP: MaxInboundConnectionPerSource', async () => {
    const open = await Promise.all(Array.from({ length: 8 }, () => session()));
    const extra = await SmtpDialog.open(HOST, 25);
    const r = await extra.reply();
    assert.equal(r?.code, 421);
    assert.match(r!.lines[0], /4\.3\.2 The maximum number of concurrent connections has exceeded a limit/);
    assert.ok(await extra.closedWithin(3000));
    for (const d of open) d.close();
    await new Promise((r) => setTimeout(r, 300)); // the server sees the closes
  });

  it('an HTTP request is dropped', async () => {
    const d = await session();
    d.write('GET / HTTP/1.1\r\nHost: edge01\r\n\r\n');
    assert.ok(await d.closedWithin(3000));
  });

  it('an early talker that does not wait for the EHLO reply', async () => {
    const d = await SmtpDialog.open(HOST, 25);
    d.write('EHLO early.example\r\nMAIL FROM:<a@fabrikam.com>\r\nRCPT TO:<bob@contoso.com>\r\n');
    assert.equal((await d.reply())?.code, 220);
    const r = await d.reply();
    assert.equal(r?.code, 554);
    assert.ok(await d.closedWithin(3000));
  });

  it('commands out of order', async () => {
    const d = await session();
    assert.match((await d.command('MAIL FROM:<a@fabrikam.com>'))!.lines[0], /5\.5\.2 Send hello first/);
    await d.command('EHLO x.example');
    assert.match((await d.command('RCPT TO:<bob@contoso.com>'))!.lines[0], /5\.5\.2 Need mail command/);
    await d.command('MAIL FROM:<a@fabrikam.com>');
    assert.match((await d.command('DATA'))!.lines[0], /5\.5\.2 Need rcpt command/);
    assert.match((await d.command('MAIL FROM:<b@fabrikam.com>'))!.lines[0], /5\.5\.2 Sender already specified/);
    d.close();
  });

  it('too many protocol errors end the session', async () => {
    const d = await session();
    for (let i = 0; i < 4; i++) assert.equal((await d.command(`XYZZY${i}`))?.code, 500);
    const last = await d.command('XYZZY');
    assert.equal(last?.code, 500);
    const bye = await d.reply();
    assert.equal(bye?.code, 421);
    assert.ok(await d.closedWithin(3000));
  });

  it('BDAT with a size that is not a number', async () => {
    const d = await inTransaction();
    assert.equal((await d.command('BDAT -5 LAST'))?.code, 501);
    d.close();
  });

  it('BDAT chunks above MaxMessageSize: the chunk is read and thrown away, then 552, and the session goes on', async () => {
    const d = await inTransaction();
    const chunk = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(MAX_SIZE, 0x61)]);
    // The chunk's octets look like commands: none of them may run.
    chunk.write('\r\nRSET\r\nMAIL FROM:<x@fabrikam.com>\r\n', 100, 'latin1');
    d.write(Buffer.concat([Buffer.from(`BDAT ${chunk.length} LAST\r\n`), chunk]));
    const r = await d.reply();
    const noop = await d.command('NOOP');
    recordFinding({
      finding: 5,
      title: 'a BDAT chunk over MaxMessageSize',
      attack: `BDAT ${chunk.length} LAST whose octets hold RSET and MAIL lines`,
      reply: `${r?.code} ${r?.lines.join(' ')}, after the whole chunk`,
      outcome: noop?.code === 250 && d.unread() === 0 ? 'the chunk was read and thrown away; none of its lines was answered' : `extra replies: ${d.transcript}`,
      ok: r?.code === 552 && noop?.code === 250 && d.unread() === 0,
    });
    assert.equal(r?.code, 552, d.transcript);
    assert.match(r!.lines[0], /^5\.3\.4 /);
    assert.equal(noop?.code, 250, 'nothing of the chunk was answered as a command');
    assert.equal(d.unread(), 0);
    d.close();
  });

  for (const [when, setup] of [
    ['before MAIL', [] as string[]],
    ['without a recipient', ['MAIL FROM:<a@fabrikam.com>']],
  ] as const) {
    it(`a BDAT ${when}: its chunk is read and thrown away, never run as commands`, async () => {
      const d = await session();
      assert.equal((await d.command('EHLO attacker.example'))?.code, 250);
      for (const line of setup) assert.equal((await d.command(line))?.code, 250);
      const hidden = Buffer.from('RSET\r\nMAIL FROM:<evil@fabrikam.com>\r\nRCPT TO:<bob@contoso.com>\r\nNOOP\r\n');
      d.write(Buffer.concat([Buffer.from(`BDAT ${hidden.length} LAST\r\n`), hidden]));
      const r = await d.reply();
      const noop = await d.command('NOOP');
      recordFinding({
        finding: 5,
        title: `a refused BDAT ${when}`,
        attack: `BDAT ${hidden.length} LAST whose octets are RSET, MAIL, RCPT, NOOP`,
        reply: `${r?.code} ${r?.lines.join(' ')}`,
        outcome: noop?.code === 250 && d.unread() === 0 ? "none of the chunk's lines was answered" : `extra replies: ${d.transcript}`,
        ok: r?.code === 503 && noop?.code === 250 && d.unread() === 0,
      });
      assert.equal(r?.code, 503, d.transcript);
      assert.match(r!.lines[0], setup.length ? /^5\.5\.2 Need rcpt command/ : /^5\.5\.2 Need mail command/);
      assert.equal(noop?.code, 250);
      assert.equal(d.unread(), 0, d.transcript);
      d.close();
    });
  }

  it('BDAT with binary content and NUL bytes is accepted (BODY=BINARYMIME)', async () => {
    const d = await session();
    assert.equal((await d.command('EHLO attacker.example'))?.code, 250);
    assert.equal((await d.command('MAIL FROM:<a@fabrikam.com> BODY=BINARYMIME'))?.code, 250);
    assert.equal((await d.command('RCPT TO:<bob@contoso.com>'))?.code, 250);
    const body = Buffer.concat([Buffer.from('Subject: binary\r\n\r\n'), Buffer.from([0, 1, 2, 0xff, 0x0a, 0x2e, 0x0a])]);
    d.write(Buffer.concat([Buffer.from(`BDAT ${body.length} LAST\r\n`), body]));
    assert.equal((await d.reply())?.code, 250, d.transcript);
    d.close();
  });

  it('bare line feeds through BDAT with BareLinefeedRejectionEnabled', async () => {
    const d = await inTransaction();
    const body = Buffer.from('Subject: lf\r\n\r\none\ntwo\r\n');
    d.write(Buffer.concat([Buffer.from(`BDAT ${body.length} LAST\r\n`), body]));
    const r = await d.reply();
    assert.equal(r?.code, 554, d.transcript);
    assert.match(r!.lines[0], /^5\.6\.0 Invalid message content, contains bare linefeeds/);
    d.close();
  });

  it('AUTH where the connector offers none', async () => {
    const d = await session();
    await d.command('EHLO x.example');
    assert.equal((await d.command('AUTH PLAIN AGFAYg=='))?.code, 504);
    d.close();
  });

  it('a mail loop: 31 Received headers, one more than MaxHopCount', async () => {
    const d = await inTransaction();
    const hops = Array.from({ length: 31 }, (_, i) => `Received: from h${i} by relay${i}.example; Fri, 27 Nov 2026 10:00:00 +0000\r\n`).join('');
    const r = await data(d, `${hops}Subject: loop\r\n\r\nx\r\n.\r\n`);
    assert.equal(r?.code, 554);
    assert.match(r!.lines[0], /5\.4\.6 Hop count exceeded/);
    d.close();
  });

  it('bare line feeds in content with BareLinefeedRejectionEnabled', async () => {
    const d = await inTransaction();
    const r = await data(d, 'Subject: lf\r\n\r\nline one\nline two\r\n.\r\n');
    assert.equal(r?.code, 554);
    assert.match(r!.lines[0], /5\.6\.0 Invalid message content, contains bare linefeeds/);
    d.close();
  });

  it('MessageRateLimit: the fourth message in a minute is refused', async () => {
    const d = await session(RATE_HOST);
    await d.command('EHLO busy.example');
    for (let i = 0; i < 3; i++) {
      assert.equal((await d.command('MAIL FROM:<a@fabrikam.com>'))?.code, 250);
      assert.equal((await d.command('RCPT TO:<bob@contoso.com>'))?.code, 250);
      assert.equal((await data(d, `Subject: ${i}\r\n\r\nx\r\n.\r\n`))?.code, 250);
    }
    const r = await d.command('MAIL FROM:<a@fabrikam.com>');
    assert.equal(r?.code, 421);
    assert.match(r!.lines[0], /4\.4\.2 Message submission rate/);
    assert.ok(await d.closedWithin(3000));
  });

  it('after all that the service still accepts mail, and its memory stayed bounded', async () => {
    const d = await inTransaction();
    assert.equal((await data(d, 'Subject: still here\r\n\r\nfine\r\n.\r\n'))?.code, 250);
    d.close();
    assert.ok(service.child.exitCode === null, 'the service is running');
    assert.ok(!service.lines.some((l) => l.event === 'smtp.in.session.bug' || l.event === 'stderr'), 'no internal errors were logged');
    const growth = rssKb(service.child.pid!) - rssBefore;
    assert.ok(growth < 150 * 1024, `resident memory grew by ${growth} kB`);
  });
});
