// Objects and pipelines in `gatehouse shell -c` against a real Edge whose
// smart host refuses connections (a closed port on loopback), so that the
// messages sent to it stay in a real queue: Get-Queue X | Get-Message lists
// every message of X, server objects bind to -Server of Get-Queue and
// Get-MessageTrackingLog, New-* write the object they created, values inside
// objects show the members of Exchange's types, Get-Member names Exchange's
// types, and Get-Help has examples for every command.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { until } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';

const EDGE = '127.33.0.1';
/** Nothing listens here: the connection is refused and the queue stays in Retry. */
const CLOSED_SMART_HOST = '127.33.0.2';
const SUBJECTS = ['objects one', 'objects two', 'objects three'];

function send(to: string, subject: string): void {
  const r = spawnSync('swaks', ['--server', `${EDGE}:25`, '--ehlo', 'sender.fabrikam.com', '--from', 'kim@fabrikam.com', '--to', to, '--header', `Subject: ${subject}`, '--body', `body of ${subject}`, '--timeout', '15'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
}

/** The non-empty lines of a table, without trailing blanks. */
function tableLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
}

describe('objects and pipelines in the shell of a running Edge', () => {
  const dir = scratchDir('shell-objects');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService | undefined;
  let queueId = '';
  let newConnectorOutput = '';

  const ok = async (script: string): Promise<string> => {
    const r = await gatehouse(['shell', '--data', edge, '-c', script], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr, '', script);
    return r.stdout;
  };
  const records = async (script: string) => formatListRecords(await ok(script), '');

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    await ok(
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com | Out-Null',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -RemoteIPRanges 127.0.0.0/8,10.0.0.1-10.0.0.9,192.168.5.10 -TarpitInterval 00:00:00`,
        'Set-TransportService EDGE01 -TransientFailureRetryInterval 00:05:00 -OutboundConnectionFailureRetryInterval 00:10:00 -MessageRetryInterval 00:00:01',
      ].join('; '),
    );
    newConnectorOutput = await ok(`New-SendConnector -Name "To Contoso" -AddressSpaces "contoso.com;5" -DNSRoutingEnabled $false -SmartHosts ${CLOSED_SMART_HOST},relay.contoso.com`);
    service = await startService(edge);
    for (const s of SUBJECTS) send('bob@contoso.com', s);
    await held();
  });

  /**
   * Waits until the three messages are held in the smart-host queue again: a configuration change
   * (a test's New-*) makes the service route waiting mail again, and for a moment the queue is empty.
   */
  async function held(): Promise<void> {
    queueId = '';
    await until(
      async () => {
        const q = (await records('Get-Queue -Filter "DeliveryType -eq \'SmartHostConnectorDelivery\'" | Format-List Identity,Status,MessageCount'))[0];
        if (q?.Status === 'Retry' && q.MessageCount === String(SUBJECTS.length)) queueId = q.Identity;
        return queueId !== '';
      },
      30_000,
      'the three messages held in the smart-host queue',
    );
  }

  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it('New-SendConnector writes the connector with its default view, and $c = New-... keeps the object', async () => {
    const lines = tableLines(newConnectorOutput);
    assert.match(lines[0], /^Identity\s+AddressSpaces\s+Enabled$/);
    assert.match(lines[2], /^To Contoso\s+\{SMTP:contoso\.com;5\}\s+True$/);
    const out = await ok('$c = New-AcceptedDomain Fabrikam -DomainName fabrikam.com; "name=$($c.Name) type=$($c.DomainType) domain=$($c.DomainName)"; $c | Get-Member | Out-String');
    assert.match(out, /^name=Fabrikam type=Authoritative domain=fabrikam\.com$/m);
    assert.match(out, /TypeName: Microsoft\.Exchange\.Data\.Directory\.SystemConfiguration\.AcceptedDomain/);
  });

  it('Get-Queue X | Get-Message lists every message of X', async () => {
    await held();
    const msgs = await records(`Get-Queue ${queueId} | Get-Message | Format-List Identity,Subject,Queue`);
    assert.deepEqual(msgs.map((m) => m.Subject).sort(), [...SUBJECTS].sort());
    for (const m of msgs) {
      assert.equal(m.Queue, queueId);
      assert.ok(m.Identity.startsWith(`${queueId}\\`), m.Identity);
    }
    // the messages then bind by value to the message cmdlets
    const suspended = await records(`Get-Queue ${queueId} | Get-Message | Suspend-Message -Confirm:$false; Get-Message -Queue ${queueId} | Format-List Subject,Status`);
    assert.deepEqual(
      suspended.map((m) => m.Status),
      ['Suspended', 'Suspended', 'Suspended'],
    );
    await ok(`Get-Message -Queue ${queueId} | Resume-Message -Confirm:$false`);
    assert.ok((await records(`Get-Message -Queue ${queueId} | Format-List Status`)).every((m) => m.Status !== 'Suspended'));
  });

  it('server objects bind to -Server of Get-Queue and Get-MessageTrackingLog', async () => {
    await held();
    for (const source of ['Get-TransportService', 'Get-TransportServer', 'Get-ExchangeServer']) {
      const queues = await records(`${source} | Get-Queue | Format-List Identity,MessageCount`);
      assert.ok(
        queues.some((q) => q.Identity === 'EDGE01\\Submission'),
        source,
      );
      assert.equal(queues.find((q) => q.Identity === queueId)?.MessageCount, '3', source);
    }
    for (const source of ['Get-TransportService', 'Get-ExchangeServer']) {
      const received = await records(`${source} | Get-MessageTrackingLog -Start (Get-Date).AddHours(-1) -EventId RECEIVE | Format-List EventId,MessageSubject`);
      assert.deepEqual(received.map((e) => e.MessageSubject).sort(), [...SUBJECTS].sort(), source);
      assert.ok(
        received.every((e) => e.EventId === 'RECEIVE'),
        source,
      );
    }
    // an object that names no server is refused by -Server, and nothing else takes it
    const r = await gatehouse(['shell', '--data', edge, '-c', 'Get-AcceptedDomain Contoso | Get-MessageTrackingLog'], { timeoutMs: 30_000 });
    assert.match(r.stderr, /The input object cannot be bound to any parameters for the command/);
  });

  it('Get-TransportService shows its Name; Get-TransportServer and Set-TransportServer work on the same object', async () => {
    const lines = tableLines(await ok('Get-TransportService'));
    assert.deepEqual(lines, ['Name', '----', 'EDGE01']);
    await ok('Set-TransportServer EDGE01 -MessageExpirationTimeout 3.00:00:00');
    const [ts] = await records('Get-TransportService EDGE01 | Format-List Name,MessageExpirationTimeout');
    assert.deepEqual(ts, { Name: 'EDGE01', MessageExpirationTimeout: '3.00:00:00' });
    const minutes = await ok('(Get-TransportServer).MessageExpirationTimeout.TotalMinutes');
    assert.equal(minutes.trim(), String(3 * 24 * 60));
  });

  it('Get-SendConnector takes the ServerName\\ConnectorName form', async () => {
    const [c] = await records('Get-SendConnector "EDGE01\\To Contoso" | Format-List Name');
    assert.equal(c.Name, 'To Contoso');
    const [byFqdn] = await records('Get-SendConnector "edge01.contoso.net\\To Contoso" | Format-List Name');
    assert.equal(byFqdn.Name, 'To Contoso');
    const r = await gatehouse(['shell', '--data', edge, '-c', 'Get-SendConnector "MBX09\\To Contoso"'], { timeoutMs: 30_000 });
    assert.match(r.stderr, /couldn't be found/);
  });

  it("values inside objects have the members of Exchange's types", async () => {
    const rc = '(Get-ReceiveConnector "EDGE01\\Default internal Receive connector EDGE01")';
    const ranges = tableLines(await ok(`${rc}.RemoteIPRanges | Format-Table`));
    assert.match(ranges[0], /^LowerBound\s+UpperBound\s+Netmask\s+CIDRLength\s+RangeFormat\s+Size$/);
    assert.ok(!ranges.some((l) => /\bform\b|\bfamily\b|\bfirst\b/.test(l)), ranges.join('\n'));
    assert.match(ranges[2], /^127\.0\.0\.0\s+127\.255\.255\.255\s+255\.0\.0\.0\s+8 CIDR\s+::100:0$/);
    assert.match(ranges[3], /^10\.0\.0\.1\s+10\.0\.0\.9\s+LoHi\s+::9$/);
    assert.match(ranges[4], /^192\.168\.5\.10\s+192\.168\.5\.10\s+SingleAddress\s+::1$/);

    const values = (
      await ok(
        [
          `$r = ${rc}`,
          '$r.MaxMessageSize.ToMB()',
          '$r.MaxMessageSize.ToKB()',
          '$r.MaxMessageSize.ToBytes()',
          '$r.ConnectionTimeout.TotalMinutes',
          '$r.ConnectionTimeout.TotalSeconds',
          '$c = Get-SendConnector "To Contoso"',
          '$c.MaxMessageSize.IsUnlimited',
          '$c.MaxMessageSize.Value.ToMB()',
          '$c.MaxMessageSize.Value.ToGB()',
        ].join('; '),
      )
    )
      .trim()
      .split('\n');
    const [mb, kb, bytes, minutes, seconds, unlimited, sendMb, sendGb] = values;
    assert.equal(Number(kb), Number(mb) * 1024);
    assert.equal(Number(bytes), Number(kb) * 1024);
    assert.equal(Number(seconds), Number(minutes) * 60);
    assert.ok(Number(minutes) > 0);
    assert.equal(unlimited, 'False');
    assert.ok(Number(sendMb) > 0);
    assert.equal(sendGb, '0');

    const [space] = await records('(Get-SendConnector "To Contoso").AddressSpaces | Format-List');
    assert.deepEqual(
      { Type: space.Type, Domain: space.Domain, Address: space.Address, Cost: space.Cost, IncludeSubDomains: space.IncludeSubDomains },
      { Type: 'SMTP', Domain: 'contoso.com', Address: 'contoso.com', Cost: '5', IncludeSubDomains: 'False' },
    );
    const hosts = await records('(Get-SendConnector "To Contoso").SmartHosts | Format-List');
    assert.deepEqual(hosts, [
      { Domain: '', Address: CLOSED_SMART_HOST, IsIPAddress: 'True' },
      { Domain: 'relay.contoso.com', Address: '', IsIPAddress: 'False' },
    ]);
    const [cred] = await records('$cred = New-Object System.Management.Automation.PSCredential("mbxrelay", (ConvertTo-SecureString "S3cret!pass" -AsPlainText -Force)); $cred | Format-List');
    assert.deepEqual(cred, { UserName: 'mbxrelay', Password: 'System.Security.SecureString' });
    const storedText = await ok(
      [
        '$cred = New-Object System.Management.Automation.PSCredential("mbxrelay", (ConvertTo-SecureString "S3cret!pass" -AsPlainText -Force))',
        `New-SendConnector -Name "With Credential" -AddressSpaces fabrikam.com -DNSRoutingEnabled $false -SmartHosts ${CLOSED_SMART_HOST} -SmartHostAuthMechanism BasicAuth -AuthenticationCredential $cred | Out-Null`,
        '(Get-SendConnector "With Credential").AuthenticationCredential | Format-List',
        '(Get-SendConnector "With Credential").AuthenticationCredential | Get-Member | Out-String',
        'Remove-SendConnector "With Credential" -Confirm:$false',
      ].join('; '),
    );
    assert.deepEqual(formatListRecords(storedText)[0], { UserName: 'mbxrelay', Password: 'System.Security.SecureString' });
    assert.match(storedText, /TypeName: System\.Management\.Automation\.PSCredential/);
    assert.ok(!/v1:|sealed|S3cret/.test(storedText), storedText);

    const r = await gatehouse(['shell', '--data', edge, '-c', '(Get-SendConnector "To Contoso").MaxMessageSize.ToMB()'], { timeoutMs: 30_000 });
    assert.match(r.stderr, /Method invocation failed because \[Microsoft\.Exchange\.Data\.Unlimited`1\[\[Microsoft\.Exchange\.Data\.ByteQuantifiedSize, .*\]\]\] does not contain a method named 'ToMB'/);
  });

  it("Get-Member names Exchange's types and shows their properties as Property", async () => {
    const out = await ok('Get-SendConnector "To Contoso" | Get-Member');
    assert.match(out, /TypeName: Microsoft\.Exchange\.Data\.Directory\.SystemConfiguration\.SmtpSendConnectorConfig/);
    assert.match(out, /^AddressSpaces\s+Property\s+Microsoft\.Exchange\.Data\.MultiValuedProperty\[Microsoft\.Exchange\.Data\.AddressSpace\]/m);
    assert.match(out, /^Enabled\s+Property\s+bool Enabled \{get;set;\}/m);
    assert.match(out, /^Comment\s+Property\s+string Comment \{get;set;\}/m, 'a $null property shows its declared type');
    assert.ok(!/NoteProperty/.test(out), out);
    const selected = await ok('Get-SendConnector "To Contoso" | Select-Object Name | Get-Member');
    assert.match(selected, /^Name\s+NoteProperty\s+/m);
    assert.match(await ok('(Get-SendConnector "To Contoso").MaxMessageSize | Get-Member'), /^IsUnlimited\s+Property\s+bool IsUnlimited \{get;\}/m);
    const maxOnly = tableLines(await ok('Get-SendConnector "To Contoso" | Get-Member Max* -MemberType Property'));
    assert.equal(maxOnly.length, 4, maxOnly.join('\n'));
    assert.match(maxOnly[3], /^MaxMessageSize\s+Property\s+Microsoft\.Exchange\.Data\.Unlimited/);
    const methodsOnly = tableLines(await ok('Get-SendConnector "To Contoso" | Get-Member -MemberType Methods'));
    assert.deepEqual(
      methodsOnly.slice(3).map((l) => l.split(/\s+/)[0]),
      ['Equals', 'GetHashCode', 'GetType', 'ToString'],
    );
    const sizeMembers = await ok('(Get-SendConnector "To Contoso").MaxMessageSize.Value | Get-Member');
    assert.match(sizeMembers, /TypeName: Microsoft\.Exchange\.Data\.ByteQuantifiedSize/);
    assert.match(sizeMembers, /^ToMB\s+Method\s+uint64 ToMB\(\)\s*$/m);
    assert.match(sizeMembers, /^ToBytes\s+Method\s+uint64 ToBytes\(\)\s*$/m);
    assert.match(await ok('Get-Queue | Get-Member'), /TypeName: Microsoft\.Exchange\.Data\.QueueViewer\.ExtensibleQueueInfo/);
  });

  it('Get-Help has at least one example for every command', async () => {
    const missing = await ok('Get-Command | ForEach-Object { $n = $_.Name; $h = Get-Help $n -Examples | Out-String; if ($h -notmatch "Example 1") { $n } }');
    assert.equal(missing.trim(), '', `commands without examples: ${missing}`);
    const full = await ok('Get-Help Get-Message -Full');
    assert.match(full, /EXAMPLES[\s\S]*Get-Queue EDGE01\\contoso\.com \| Get-Message/);
    assert.match(await ok('Get-Help Get-MessageTrackingLog -Examples'), /Get-TransportService \| Get-MessageTrackingLog/);
    assert.match(await ok('Get-Help New-SendConnector -Examples'), /Example 1/);
  });
});

describe('server objects of an organization piped to the queue viewer', () => {
  const dir = scratchDir('shell-objects-org');
  const mbx1 = join(dir.path, 'MBX01');
  const mbx2 = join(dir.path, 'MBX02');
  const MBX2 = '127.43.2.20';
  const ENDPOINT2 = `https://${MBX2}:8443/PowerShell/`;
  let service: RunningService | undefined;
  const shell = (data: string, script: string) => gatehouse(['shell', '--data', data, '-c', script], { timeoutMs: 30_000 });
  after(async () => {
    await service?.stop();
    dir.remove();
  });

  before(async () => {
    for (const [name, fqdn, data] of [
      ['MBX01', 'mbxserver01.contoso.com', mbx1],
      ['MBX02', 'mbxserver02.contoso.com', mbx2],
    ]) {
      const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', name, '--fqdn', fqdn, '--data', data]);
      assert.equal(r.code, 0, r.stderr);
    }
    const r = await shell(
      mbx1,
      [
        `Set-ReceiveConnector "MBX02\\Default MBX02" -Bindings ${MBX2}:25`,
        `Set-ReceiveConnector "MBX02\\Client MBX02" -Bindings ${MBX2}:587`,
        `Set-PowerShellVirtualDirectory "MBX02\\PowerShell (Default Web Site)" -InternalUrl ${ENDPOINT2}`,
      ].join('\n'),
    );
    assert.equal(r.code, 0, r.stderr);
  });

  it('Get-ExchangeServer | Get-Queue lists the queues of every Mailbox server of the organization, each read by its own server', async () => {
    const early = await shell(mbx1, 'Get-ExchangeServer | Get-Queue | Format-List Identity');
    assert.match(early.stderr, new RegExp(`The server MBX02 could not be reached at its management endpoint ${ENDPOINT2.replace(/[.]/g, '\\.')}: The connection to the remote host was refused`));
    assert.deepEqual(
      formatListRecords(early.stdout).map((q) => q.Identity),
      ['MBX01\\Submission', 'MBX01\\Unreachable'],
      'the servers that answer still do',
    );

    service = await startService(mbx2);
    await service.waitFor((l) => l.event === 'management.endpoint.listening', 20_000, "MBX02's endpoint");
    const r = await shell(mbx1, 'Get-ExchangeServer | Get-Queue | Format-List Identity,MessageCount');
    assert.equal(r.stderr, '');
    assert.deepEqual(
      formatListRecords(r.stdout).map((q) => q.Identity),
      ['MBX01\\Submission', 'MBX01\\Unreachable', 'MBX02\\Submission', 'MBX02\\Unreachable'],
    );
    const byFqdn = await shell(mbx1, 'Get-Queue -Server mbxserver02.contoso.com | Format-List Identity');
    assert.deepEqual(
      formatListRecords(byFqdn.stdout).map((q) => q.Identity),
      ['MBX02\\Submission', 'MBX02\\Unreachable'],
    );
    // A change names MBX02's queue, so MBX02 makes it (and answers for it).
    const change = await shell(mbx1, 'Suspend-Queue MBX02\\Submission -Confirm:$false');
    assert.match(change.stderr, /Submission queue "MBX02\\Submission"/);
    assert.match(change.stderr, /PSComputerName\s+: mbxserver02\.contoso\.com/);
  });
});
