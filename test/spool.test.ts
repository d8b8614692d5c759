// Large messages go to the spool as they arrive and keep the queue's promise:
// acknowledged once on disk, delivered byte for byte, across a SIGKILL; a
// session cut off mid-message leaves nothing behind once the service starts
// again; a delivered message's file is removed.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { until, type Peer } from './harness/peers.js';
import { startRecorder, type RecordedMessage } from './harness/recorder.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const EDGE = '127.10.89.1';
const NEXT_HOP = '127.10.89.2';
const MB = 1024 * 1024;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A body of `octets` with varied lines (so a shifted or lost block shows), and a dot at the start of some lines. */
function body(octets: number, seed: string): Buffer {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < octets; i++) {
    const line = `${i % 50 === 0 ? '.' : ''}${seed} line ${i} ${'abcdefghij'.repeat(i % 9)}\r\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join(''));
}

/** The body as the next hop received it: after the header's empty line. */
function bodyOf(m: RecordedMessage): Buffer {
  return m.raw.subarray(m.raw.indexOf('\r\n\r\n') + 4);
}

async function transaction(tag: string): Promise<SmtpDialog> {
  const d = await SmtpDialog.open(EDGE, 25);
  assert.equal((await d.reply())?.code, 220);
  assert.equal((await d.command('EHLO big.fabrikam.com'))?.code, 250);
  assert.equal((await d.command(`MAIL FROM:<${tag}@fabrikam.com>`))?.code, 250);
  assert.equal((await d.command('RCPT TO:<someone@partner.example>'))?.code, 250);
  return d;
}

/** DATA with dot-stuffing, as a client sends it. */
function dotStuffed(content: Buffer): Buffer {
  return Buffer.from(content.toString('latin1').replace(/^\./gm, '..'), 'latin1');
}

describe('large messages through the spool', () => {
  const dir = scratchDir('spool');
  const data = join(dir.path, 'EDGE01');
  const spool = join(data, 'spool');
  let service: RunningService;
  let recorder: (Peer & { messages(): RecordedMessage[] }) | null = null;
  const received = (tag: string) => recorder?.messages().filter((m) => m.mailFrom === `${tag}@fabrikam.com`) ?? [];
  const startRecording = async () => {
    recorder = await startRecorder(NEXT_HOP, 25, join(dir.path, 'next-hop'));
  };

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const r = await gatehouse([
      'shell',
      '--data',
      data,
      '-c',
      [
        'New-AcceptedDomain Partner -DomainName partner.example -DomainType InternalRelay',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${EDGE}:25 -TarpitInterval 00:00:00`,
        `New-SendConnector "To Partner" -Usage Internal -AddressSpaces partner.example -DNSRoutingEnabled $false -SmartHosts "[${NEXT_HOP}]"`,
        'Set-TransportService EDGE01 -TransientFailureRetryInterval 00:00:01 -OutboundConnectionFailureRetryInterval 00:00:01 -MessageRetryInterval 00:00:01',
      ].join('; '),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await startRecording();
    service = await startService(data);
  });

  after(async () => {
    if (service) await service.stop();
    await recorder?.stop();
    dir.remove();
  });

  it('a 6 MB message by DATA and one by BDAT chunks reach the next hop byte for byte, and their spool files go', async () => {
    const viaData = body(6 * MB, 'data');
    const d = await transaction('bigdata');
    assert.equal((await d.command('DATA'))?.code, 354);
    d.write(Buffer.concat([Buffer.from('Subject: big by DATA\r\n\r\n'), dotStuffed(viaData), Buffer.from('.\r\n')]));
    const accepted = await d.reply();
    assert.equal(accepted?.code, 250, d.transcript);
    const viaBdat = body(5 * MB, 'bdat');
    const content = Buffer.concat([Buffer.from('Subject: big by BDAT\r\n\r\n'), viaBdat]);
    assert.equal((await d.command('MAIL FROM:<bigbdat@fabrikam.com> BODY=8BITMIME'))?.code, 250);
    assert.equal((await d.command('RCPT TO:<someone@partner.example>'))?.code, 250);
    const chunks = [content.subarray(0, 1_000_000), content.subarray(1_000_000, 3_500_001), content.subarray(3_500_001)];
    for (const [i, c] of chunks.entries()) {
      d.write(Buffer.concat([Buffer.from(`BDAT ${c.length}${i === chunks.length - 1 ? ' LAST' : ''}\r\n`), c]));
      assert.equal((await d.reply())?.code, 250, d.transcript);
    }
    await d.command('QUIT');
    d.close();
    const spooled = () => service.lines.filter((l) => l.event === 'smtp.in.message.accepted' && l.spooled === true).length;
    await until(() => spooled() === 2, 10_000, 'both acceptances logged as spooled');
    await until(() => received('bigdata').length === 1 && received('bigbdat').length === 1, 60_000, 'both messages at the next hop');
    assert.equal(sha(bodyOf(received('bigdata')[0]!)), sha(viaData));
    assert.equal(sha(bodyOf(received('bigbdat')[0]!)), sha(viaBdat));
    await until(() => readdirSync(spool).length === 0, 30_000, 'the spool files removed once delivered');
  });

  it('an acknowledged spooled message survives a SIGKILL and is delivered after the restart', async () => {
    await recorder!.stop();
    recorder = null;
    const content = body(3 * MB, 'crash');
    const d = await transaction('crash');
    assert.equal((await d.command('DATA'))?.code, 354);
    d.write(Buffer.concat([Buffer.from('Subject: before the crash\r\n\r\n'), dotStuffed(content), Buffer.from('.\r\n')]));
    assert.equal((await d.reply())?.code, 250, d.transcript);
    d.close();
    assert.equal(readdirSync(spool).length, 1, 'its body is in the spool');
    await service.kill();
    await startRecording();
    service = await startService(data);
    await until(() => received('crash').length === 1, 60_000, 'the acknowledged message at the next hop after the restart');
    assert.equal(sha(bodyOf(received('crash')[0]!)), sha(content));
    await until(() => readdirSync(spool).length === 0, 30_000, 'its spool file removed');
  });

  it('a message cut off by a SIGKILL mid-DATA leaves no spool file once the service is back', async () => {
    const d = await transaction('cutoff');
    assert.equal((await d.command('DATA'))?.code, 354);
    d.write(Buffer.concat([Buffer.from('Subject: never finished\r\n\r\n'), body(2 * MB, 'cut')]));
    await until(() => existsSync(spool) && readdirSync(spool).length === 1, 30_000, 'the body being spooled');
    await service.kill();
    d.close();
    service = await startService(data);
    const swept = await service.waitFor((l) => l.event === 'queue.spool.swept', 10_000, 'queue.spool.swept');
    assert.equal(swept.files, 1);
    assert.deepEqual(readdirSync(spool), []);
    assert.equal(received('cutoff').length, 0, 'nothing of it was delivered');
  });
});
