// Remove-Message while the message is being handed to a peer: exactly one
// outcome. The peer (aiosmtpd) holds its reply to DATA until the test
// releases it, so the removal surely lands while the attempt is in flight.
// Peer accepts: the message is delivered, the removal does not apply, no
// removal NDR. Peer fails (4xx): the message is removed once, with one NDR.
// Assertions on lasting states: the tracking log, the peer's received
// messages, the queue.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { until } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';

const MBX = '127.56.0.10';
const CLIENT = '127.56.0.20';
const PEER = '127.56.0.30';

// Holds each DATA reply until <dir>/release-<n> exists ("accept" or "defer"); writes accepted messages to <dir>/got-<n>.
const HOLDING_PEER = `
import asyncio, os, sys
from aiosmtpd.controller import Controller
d, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
count = 0
class H:
    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        n = count
        print('HELD %d' % n, flush=True)
        path = os.path.join(d, 'release-%d' % n)
        for _ in range(1200):
            if os.path.exists(path):
                break
            await asyncio.sleep(0.05)
        verdict = open(path).read().strip() if os.path.exists(path) else 'defer'
        if verdict == 'accept':
            open(os.path.join(d, 'got-%d' % n), 'wb').write(envelope.original_content)
            print('ACCEPTED %d' % n, flush=True)
            return '250 2.0.0 queued as %d' % n
        print('DEFERRED %d' % n, flush=True)
        return '451 4.3.0 try again later'
c = Controller(H(), hostname=host, port=port)
c.start()
print('READY', flush=True)
import signal
signal.sigwait([signal.SIGTERM, signal.SIGINT])
c.stop()
`;

describe('Remove-Message during an attempt in flight', () => {
  const dir = scratchDir('remove-race');
  const data = join(dir.path, 'MBX01');
  const peerDir = join(dir.path, 'peer');
  let peer: ChildProcess | undefined;
  let out = '';
  let service: RunningService;

  const sh = (script: string) => gatehouse(['shell', '--data', data, '-c', script], { timeoutMs: 60_000 });
  const ok = async (script: string) => {
    const r = await sh(script);
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    return r.stdout + r.stderr;
  };
  const submit = (subject: string) => {
    const r = spawnSync(
      'swaks',
      [
        '--server',
        `${MBX}:2525`,
        '--local-interface',
        CLIENT,
        '--ehlo',
        'app.contoso.com',
        '--from',
        'alice@contoso.com',
        '--to',
        'kim@fabrikam.com',
        '--header',
        `Subject: ${subject}`,
        '--header',
        `Message-ID: <${subject}@contoso.com>`,
        '--timeout',
        '15',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
  };
  /** The message's tracking events (EventId|Source|RecipientStatus), found by its subject on RECEIVE and then by its Message-ID. */
  const tracking = async (subject: string) => {
    const r = await sh('Get-MessageTrackingLog -ResultSize Unlimited | Format-List EventId,Source,RecipientStatus,MessageId,MessageSubject');
    const records = r.stdout.split(/\r?\n\r?\n/).map((rec) => {
      const get = (k: string) => new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(rec)?.[1]?.trim() ?? '';
      return { line: `${get('EventId')}|${get('Source')}|${get('RecipientStatus')}`, id: get('MessageId'), subject: get('MessageSubject') };
    });
    const id = records.find((x) => x.subject === subject)?.id;
    return id ? records.filter((x) => x.id === id).map((x) => x.line) : [];
  };
  const ndrs = async (subject: string) => (await tracking(subject)).filter((l) => l.startsWith('DSN|')).map(() => 'DSN');

  before(async () => {
    mkdirSync(peerDir, { recursive: true });
    writeFileSync(join(peerDir, 'peer.py'), HOLDING_PEER);
    peer = spawn('/usr/bin/python3', [join(peerDir, 'peer.py'), peerDir, PEER, '25'], { stdio: ['ignore', 'pipe', 'pipe'] });
    peer.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    peer.stderr!.on('data', () => undefined);
    await until(() => out.includes('READY') || peer!.exitCode !== null, 10_000, 'the holding peer');
    assert.equal(peer.exitCode, null, 'the holding peer runs');
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbx01.contoso.com', '--data', data])).code, 0);
    await ok(
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX}:25 -TarpitInterval 00:00:00`,
        `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX}:587`,
        `New-ReceiveConnector "Relay MBX01" -Usage Custom -Bindings ${MBX}:2525 -RemoteIPRanges ${CLIENT} -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers`,
        `New-SendConnector -Name "To Internet" -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts ${PEER} -RequireTLS $false -SourceTransportServers MBX01`,
        'Set-TransportService MBX01 -MessageRetryInterval 00:00:01 -TransientFailureRetryInterval 00:00:01',
      ].join('; '),
    );
    service = await startService(data);
  });

  after(async () => {
    await service?.stop();
    if (peer && peer.exitCode === null) {
      peer.kill('SIGTERM');
      await until(() => peer!.exitCode !== null, 10_000, 'the peer to stop').catch(() => peer!.kill('SIGKILL'));
    }
    dir.remove();
  });

  it('the attempt delivers: the removal does not apply, and no removal notice is sent', async () => {
    submit('race-accept');
    await until(() => out.includes('HELD 1'), 30_000, 'the attempt in flight');
    const removed = await ok('Get-Message -Filter "Subject -eq \'race-accept\'" | Remove-Message -WithNDR $true -Confirm:$false');
    assert.match(removed, /is being delivered\. It will be removed when the delivery attempt ends/);
    assert.match(await ok('Get-Message -Filter "Subject -eq \'race-accept\'" | ForEach-Object { $_.Status }'), /PendingRemove/);
    writeFileSync(join(peerDir, 'release-1'), 'accept');
    await until(async () => (await tracking('race-accept')).some((l) => l.startsWith('SEND|')), 30_000, 'the SEND event');
    await until(async () => (await ok('Get-Message -Filter "Subject -eq \'race-accept\'" | Measure-Object | ForEach-Object { $_.Count }')).trim() === '0', 30_000, 'the message to leave the queue');
    const events = await tracking('race-accept');
    assert.equal(events.filter((l) => l.startsWith('SEND|')).length, 1, events.join('\n'));
    assert.equal(events.filter((l) => l.startsWith('FAIL|')).length, 0, `no removal: ${events.join('\n')}`);
    assert.deepEqual(await ndrs('race-accept'), [], 'no removal notice');
    assert.ok(existsSync(join(peerDir, 'got-1')), 'the peer has the message');
  });

  it('the attempt does not deliver: the message is removed once, with one notice', async () => {
    submit('race-defer');
    await until(() => out.includes('HELD 2'), 30_000, 'the attempt in flight');
    const removed = await ok('Get-Message -Filter "Subject -eq \'race-defer\'" | Remove-Message -WithNDR $true -Confirm:$false');
    assert.match(removed, /is being delivered/);
    writeFileSync(join(peerDir, 'release-2'), 'defer');
    await until(async () => (await tracking('race-defer')).some((l) => l.startsWith('FAIL|QUEUE')), 30_000, 'the removal');
    await until(async () => (await ndrs('race-defer')).length > 0, 30_000, 'the removal notice');
    // The removal notice goes to alice@contoso.com (local domain, no mailbox): whatever becomes of it, it is one.
    const events = await tracking('race-defer');
    assert.equal(events.filter((l) => l.startsWith('FAIL|QUEUE')).length, 1, events.join('\n'));
    assert.ok(events.find((l) => l.startsWith('FAIL|QUEUE'))!.includes('QUEUE.Admin'), events.join('\n'));
    assert.equal(events.filter((l) => l.startsWith('SEND|')).length, 0, `not delivered: ${events.join('\n')}`);
    assert.deepEqual(await ndrs('race-defer'), ['DSN'], 'exactly one removal notice');
    assert.equal((await ok('Get-Message -Filter "Subject -eq \'race-defer\'" | Measure-Object | ForEach-Object { $_.Count }')).trim(), '0', 'gone from the queue');
    assert.ok(!out.includes('HELD 3'), 'never offered to the peer again');
    assert.deepEqual(
      readdirSync(peerDir).filter((f) => f.startsWith('got-')),
      ['got-1'],
      'the peer received only the first message',
    );
  });
});
