// A session's memory does not depend on the size of the message it receives:
// 40 Internet clients each send 30 MB without the final dot. The Edge streams
// their content to spool files as it arrives, so its resident memory grows by
// at most 100 MB, and 30 s after the clients leave it is back within 50 MB of
// where it started (their spool files removed).

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { until } from './harness/peers.js';
import { recordFinding } from './harness/report.js';
import { startService, type RunningService } from './harness/service.js';

const EDGE = '127.10.97.1';
const SOURCE = (i: number) => `127.10.98.${i + 1}`;
const SESSIONS = 40;
const MESSAGE_OCTETS = 30 * 1024 * 1024;
const MB = 1024 * 1024;

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Opens a session and goes as far as the 354 reply. */
function inData(i: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: EDGE, port: 25, localAddress: SOURCE(i) });
    const steps = ['EHLO big.example\r\n', 'MAIL FROM:<big@fabrikam.com>\r\n', 'RCPT TO:<someone@contoso.com>\r\n', 'DATA\r\n'];
    let buffer = '';
    let sent = 0;
    const timer = setTimeout(() => reject(new Error(`session ${i}: no 354 within 20 s: ${buffer}`)), 20_000);
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('latin1');
      const replies = buffer.split('\r\n').filter((l) => /^\d{3} /.test(l));
      if (replies.some((r) => /^[45]/.test(r))) {
        clearTimeout(timer);
        reject(new Error(`session ${i}: ${buffer}`));
      } else if (replies.length === 1 + steps.length) {
        clearTimeout(timer);
        socket.removeAllListeners('data');
        resolve(socket);
      } else if (replies.length > sent && sent < steps.length) {
        socket.write(steps[sent++]!);
      }
    });
  });
}

/** Writes `octets` of header and body lines, waiting for the socket to drain. */
async function sendContent(socket: Socket, octets: number): Promise<void> {
  const line = Buffer.from(`${'x'.repeat(998)}\r\n`);
  const block = Buffer.concat([Buffer.from('Subject: never finished\r\n\r\n'), ...Array.from({ length: 256 }, () => line)]);
  let sent = 0;
  while (sent < octets) {
    const piece = sent === 0 ? block : block.subarray(27);
    sent += piece.length;
    if (!socket.write(piece)) await new Promise<void>((resolve) => socket.once('drain', () => resolve()));
  }
}

describe('memory under 40 sessions of 30 MB each', () => {
  const dir = scratchDir('inbound-memory');
  const data = join(dir.path, 'EDGE01');
  let service: RunningService;
  let pid = 0;

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const r = await gatehouse([
      'shell',
      '--data',
      data,
      '-c',
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${EDGE}:25 -ConnectionInactivityTimeout 00:05:00 -ConnectionTimeout 00:10:00`,
        // The organization's limit for mail from outside (10 MB by default) would cut each body short:
        // the attack is 30 MB bodies that the Edge must stream to disk.
        'Set-TransportConfig -MaxReceiveSize 35MB',
      ].join('; '),
    ]);
    assert.equal(r.code, 0, r.stderr);
    service = await startService(data);
    pid = service.child.pid!;
  });

  after(async () => {
    if (service) await service.stop();
    dir.remove();
  });

  it('grows by at most 100 MB while they send, and is back within 50 MB 30 s after they leave', { timeout: 300_000 }, async (t) => {
    // A first session warms the service up (TLS contexts, code paths); then the baseline.
    const warm = await inData(SESSIONS);
    await sendContent(warm, MB);
    warm.destroy();
    const spool = join(data, 'spool');
    await until(() => existsSync(spool) && readdirSync(spool).length === 0, 30_000, "the warm-up session's spool file removed");
    const baseline = status(pid, 'VmRSS');
    // Reset the peak (VmHWM) so it measures this phase only.
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const sockets = await Promise.all(Array.from({ length: SESSIONS }, (_, i) => inData(i)));
    await Promise.all(sockets.map((s) => sendContent(s, MESSAGE_OCTETS)));
    // Everything sent is in the spool files (what the kernel still buffers aside): the service has read it all.
    const spooled = () => readdirSync(spool).reduce((n, f) => n + statSync(join(spool, f)).size, 0);
    await until(() => readdirSync(spool).length === SESSIONS && spooled() >= SESSIONS * (MESSAGE_OCTETS - 4 * MB), 120_000, `the 40 bodies in the spool (so far ${Math.round(spooled() / MB)} MB)`);
    const peak = status(pid, 'VmHWM');
    const growth = peak - baseline;
    sockets.forEach((s) => s.destroy());
    await until(() => readdirSync(spool).length === 0, 60_000, 'the spool files of the abandoned sessions removed');
    await new Promise((r) => setTimeout(r, 30_000));
    const settled = status(pid, 'VmRSS');
    recordFinding({
      finding: 3,
      title: '40 sessions of 30 MB without the final dot',
      attack: '40 Internet clients (40 addresses) each send 30 MB of DATA and never end it',
      reply: 'none (the data is read and spooled as it arrives)',
      outcome: `RSS ${Math.round(baseline / MB)} MB -> peak ${Math.round(peak / MB)} MB (+${Math.round(growth / MB)}, at most +100) -> ${Math.round(settled / MB)} MB 30 s after they left (at most +50)`,
      ok: growth <= 100 * MB && settled <= baseline + 50 * MB,
    });
    t.diagnostic(`baseline ${Math.round(baseline / MB)} MB, peak ${Math.round(peak / MB)} MB (+${Math.round(growth / MB)}), 30 s after ${Math.round(settled / MB)} MB`);
    assert.ok(growth <= 100 * MB, `peak RSS ${Math.round(peak / MB)} MB, baseline ${Math.round(baseline / MB)} MB: grew by ${Math.round(growth / MB)} MB (at most 100)`);
    assert.ok(settled <= baseline + 50 * MB, `RSS 30 s later ${Math.round(settled / MB)} MB, baseline ${Math.round(baseline / MB)} MB (at most +50)`);
    // The service still takes mail.
    const after = await inData(SESSIONS + 1);
    after.write('Subject: small\r\n\r\nhello\r\n.\r\n');
    const reply = await new Promise<string>((resolve) => after.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
    assert.match(reply, /^250 2\.6\.0 /);
    after.destroy();
  });
});
