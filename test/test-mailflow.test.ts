// Test-Mailflow as Exchange has it, against two running Mailbox servers of
// one organization (their names resolved by dnsmasq): a probe from MBX01's
// system mailbox to itself, to MBX02's system mailbox and to a user's
// address is really sent and delivered (the file is in the Maildir, the
// tracking log has its DELIVER; the other server's log is asked through its
// management endpoint); a test from MBX02 typed in MBX01's shell runs on
// MBX02; with the service stopped, or the target server down, the result is
// *FAILURE* with the reason.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, type Peer } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';

const DNS = '127.36.2.53';
const DNS_PORT = 5354;
const MBX1 = '127.36.2.1';
const MBX2 = '127.36.2.2';
const LATENCY = /^\d{2}:\d{2}:\d{2}(\.\d{7})?$/;

function maildir(dir: string): string[] {
  return ['new', 'cur'].flatMap((sub) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).map((f) => readFileSync(join(dir, sub, f), 'latin1')) : []));
}

describe('Test-Mailflow sends a real probe and waits for its delivery', () => {
  const dir = scratchDir('test-mailflow');
  const mbx1 = join(dir.path, 'MBX01');
  const mbx2 = join(dir.path, 'MBX02');
  let dns: Peer | undefined;
  const services = new Map<string, RunningService>();
  const shell = (data: string, lines: string[]) => gatehouse(['shell', '--data', data, '-c', lines.join('\n')], { timeoutMs: 120_000 });
  const value = async (data: string, expr: string) => (await shell(data, [expr])).stdout.trim();

  before(async () => {
    dns = await startDnsmasq(DNS, DNS_PORT, ['contoso.com'], [`--host-record=mbx01.contoso.com,${MBX1}`, `--host-record=mbx02.contoso.com,${MBX2}`]);
    for (const [name, data] of [
      ['MBX01', mbx1],
      ['MBX02', mbx2],
    ]) {
      const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', name, '--fqdn', `${name.toLowerCase()}.contoso.com`, '--data', data]);
      assert.equal(r.code, 0, r.stderr);
    }
    const dnsSettings = (s: string) =>
      `Set-TransportService ${s} -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false -TransientFailureRetryInterval 00:00:01 -OutboundConnectionFailureRetryInterval 00:00:02 -MessageRetryInterval 00:00:01`;
    const r = await shell(mbx1, [
      'New-AcceptedDomain -Name Contoso -DomainName contoso.com',
      'New-MailboxDatabase -Name DB01 -Server MBX01',
      'New-MailboxDatabase -Name DB02 -Server MBX02',
      'New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB02 -Password (ConvertTo-SecureString "Alice-Flow-81" -AsPlainText -Force)',
      `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX1}:25 -TarpitInterval 00:00:00`,
      `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX1}:587`,
      `Set-ReceiveConnector "Default MBX02" -Bindings ${MBX2}:25 -TarpitInterval 00:00:00`,
      `Set-ReceiveConnector "Client MBX02" -Bindings ${MBX2}:587`,
      dnsSettings('MBX01'),
      dnsSettings('MBX02'),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    services.set('MBX01', await startService(mbx1));
    services.set('MBX02', await startService(mbx2));
  });

  after(async () => {
    for (const s of services.values()) await s.stop();
    await dns?.stop();
    dir.remove();
  });

  it('with no parameters tests the local server: the probe reaches its system mailbox', async () => {
    const r = await shell(mbx1, ['Test-Mailflow']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [out] = formatListRecords(r.stdout);
    assert.deepEqual(Object.keys(out), ['TestMailflowResult', 'MessageLatencyTime', 'IsRemoteTest', 'Identity', 'IsValid', 'ObjectState']);
    assert.equal(out.TestMailflowResult, 'Success');
    assert.match(out.MessageLatencyTime, LATENCY);
    assert.equal(out.IsRemoteTest, 'False');

    // The system mailbox exists now, hidden from listings, and holds the probe.
    const db = await value(mbx1, '(Get-MailboxDatabase DB01).Guid');
    const folder = join(await value(mbx1, '(Get-MailboxDatabase DB01).FolderPath'), await value(mbx1, `(Get-Mailbox "SystemMailbox{${db}}").Guid`));
    const probes = maildir(folder);
    assert.equal(probes.length, 1);
    assert.match(probes[0], /^Subject: Test-Mailflow [0-9a-f-]{36}$/m);
    assert.match(probes[0], new RegExp(`^From: Microsoft Exchange <SystemMailbox\\{${db}\\}@contoso\\.com>$`, 'm'));
    assert.match(probes[0], /\r\n\r\nThis is a Test-Mailflow probe message\.\r\n/);
    const listed = await shell(mbx1, ['Get-Mailbox | Format-List Name', 'Get-Recipient -ResultSize Unlimited | Format-List Name']);
    assert.deepEqual(
      formatListRecords(listed.stdout).map((x) => x.Name),
      ['Alice', 'Alice'],
      'the system mailbox is not listed',
    );
    const tracked = await shell(mbx1, ['Get-MessageTrackingLog -EventId DELIVER -MessageSubject Test-Mailflow | Format-List Source,Recipients']);
    assert.deepEqual(formatListRecords(tracked.stdout), [{ Source: 'STOREDRIVER', Recipients: `{SystemMailbox{${db}}@contoso.com}` }]);
  });

  it('-TargetMailboxServer and -TargetEmailAddress: delivered on the other server, a remote test', async () => {
    const r = await shell(mbx1, ['Test-Mailflow MBX01 -TargetMailboxServer MBX02', 'Test-Mailflow -TargetEmailAddress alice@contoso.com -TargetEmailAddressDisplayName "Alice"']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [server, address] = formatListRecords(r.stdout);
    assert.equal(server.TestMailflowResult, 'Success');
    assert.equal(server.IsRemoteTest, 'True');
    assert.match(server.MessageLatencyTime, LATENCY);
    assert.equal(address.TestMailflowResult, 'Success');
    assert.equal(address.IsRemoteTest, 'True');

    const db2 = await value(mbx1, '(Get-MailboxDatabase DB02).Guid');
    const folder = await value(mbx1, '(Get-MailboxDatabase DB02).FolderPath');
    assert.ok(folder.startsWith(mbx2), folder);
    const system = maildir(join(folder, await value(mbx1, `(Get-Mailbox "SystemMailbox{${db2}}").Guid`)));
    assert.equal(system.length, 1);
    assert.match(system[0], /^Subject: Test-Mailflow /m);
    const alice = maildir(join(folder, await value(mbx1, '(Get-Mailbox alice).Guid')));
    assert.equal(alice.length, 1);
    assert.match(alice[0], /^To: "Alice" <alice@contoso\.com>$/m);
    assert.match(alice[0], /This is a Test-Mailflow probe message\./);
    const sent = await shell(mbx1, ['Get-MessageTrackingLog -EventId SEND -MessageSubject Test-Mailflow | Format-List ConnectorId']);
    assert.deepEqual(
      formatListRecords(sent.stdout).map((x) => x.ConnectorId),
      ['Intra-Organization SMTP Send Connector', 'Intra-Organization SMTP Send Connector'],
    );
  });

  it('runs on the source server it names (MBX02 tests itself, asked through its endpoint), and refuses two targets at once', async () => {
    const other = await shell(mbx1, ['Test-Mailflow MBX02 | Format-List TestMailflowResult,IsRemoteTest']);
    assert.equal(other.code, 0, other.stdout + other.stderr);
    assert.deepEqual(formatListRecords(other.stdout), [{ TestMailflowResult: 'Success', IsRemoteTest: 'False' }]);
    await services.get('MBX02')!.waitFor((l) => l.event === 'management.exec' && l.for === 'MBX01', 15_000, "MBX02 ran it for MBX01's shell");
    const two = await shell(mbx1, ['Test-Mailflow -TargetMailboxServer MBX02 -TargetDatabase DB01']);
    assert.equal(two.code, 1);
    assert.match(two.stderr, /-TargetMailboxServer and -TargetDatabase cannot be used together/);
  });

  it('*FAILURE* with the reason when the target server is down', async () => {
    await services.get('MBX02')!.stop();
    services.delete('MBX02');
    const r = await shell(mbx1, ['Test-Mailflow -TargetMailboxServer MBX02 -ExecutionTimeout 5']);
    assert.equal(r.code, 1);
    const [out] = formatListRecords(r.stdout);
    assert.equal(out.TestMailflowResult, '*FAILURE*');
    assert.equal(out.IsRemoteTest, 'True');
    assert.match(r.stderr, /Test-Mailflow: the probe was not delivered on MBX02 within 5 seconds \(-ExecutionTimeout\)/);
    assert.match(r.stderr, /CategoryInfo\s+: OperationTimeout/);
  });

  it('*FAILURE* with the reason when the local service is stopped', async () => {
    await services.get('MBX01')!.stop();
    services.delete('MBX01');
    const r = await shell(mbx1, ['Test-Mailflow']);
    assert.equal(r.code, 1);
    assert.equal(formatListRecords(r.stdout)[0].TestMailflowResult, '*FAILURE*');
    assert.match(r.stderr, new RegExp(`Test-Mailflow: the transport service of MBX01 is not running, so no probe can be submitted\\. Start it: gatehouse start --data ${mbx1.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  });

  it('a database whose only mailbox is its system mailbox can be removed, and the system mailbox goes with it', async () => {
    const db = await value(mbx1, '(Get-MailboxDatabase DB01).Guid');
    const r = await shell(mbx1, ['Remove-MailboxDatabase DB01 -Confirm:$false', `Get-Mailbox "SystemMailbox{${db}}"`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`The operation couldn't be performed because object 'SystemMailbox\\{${db}\\}' couldn't be found`));
    assert.equal(await value(mbx1, '(Get-MailboxDatabase).Count'), '1');
  });

  it('is refused on an Edge Transport server, which has no system mailbox', async () => {
    const edge = join(dir.path, 'EDGE01');
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    const r = await shell(edge, ['Test-Mailflow']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Test-Mailflow sends its probe between the system mailboxes of Mailbox servers; an Edge Transport server \(EDGE01\) has none\. Run it in a Mailbox server's shell, or check a path through this Edge with Trace-MailFlow\./,
    );
  });
});
