// Set-RemoteDomain and Set-TransportConfig -GenerateCopyOfDSNFor on a running
// Edge: automatic replies, automatic forwards and read reports to a remote
// domain that refuses them are dropped (tracking DROP, no NDR) while the
// same messages to the Default remote domain and ordinary mail go out; an
// NDR to a sender in a domain with NDREnabled $false is not sent, its copy
// to the postmaster is; an NDR to another domain's sender is sent.
// Peers: swaks and Postfix's smtp-sink (one per next hop; the one standing
// for contoso.com refuses every recipient with 550 5.1.1).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { configApplied } from './harness/config-applied.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';

const EDGE_INTERNET = '127.34.10.1';
const EDGE_ORG = '127.34.10.2';
const FABRIKAM = '127.34.11.1';
const ELSEWHERE = '127.34.11.2';
const CONTOSO = '127.34.11.3';
const DEFERRING = '127.34.11.4';
const INTERNET_CLIENT = '127.34.12.1';
const ORG_CLIENT = '127.34.13.1';

type Sink = Peer & { messages(): SinkMessage[] };

function swaks(server: string, client: string, args: string[]) {
  const r = spawnSync('swaks', ['--server', `${server}:25`, '--local-interface', client, '--ehlo', 'client.example', '--timeout', '15', ...args], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
}

describe('remote domains on a running Edge', () => {
  const dir = scratchDir('remote-domains');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService;
  const sinks: Sink[] = [];
  let fabrikam: Sink;
  let elsewhere: Sink;

  const ok = async (script: string) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', script], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const tracked = async (eventId: string) => formatListRecords(await ok(`Get-MessageTrackingLog -EventId ${eventId} | Format-List Recipients,MessageSubject,RecipientStatus`), ' ');

  before(async () => {
    fabrikam = await startSink(FABRIKAM, join(dir.path, 'fabrikam'));
    elsewhere = await startSink(ELSEWHERE, join(dir.path, 'elsewhere'));
    sinks.push(fabrikam, elsewhere, await startSink(CONTOSO, join(dir.path, 'contoso'), ['-f', 'RCPT', '-B', '550 5.1.1 User unknown']));
    sinks.push(await startSink(DEFERRING, join(dir.path, 'deferring'), ['-r', 'RCPT']));
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    await ok(
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE_INTERNET}:25 -TarpitInterval 00:00:00`,
        `New-ReceiveConnector "From Org" -Usage Custom -Bindings ${EDGE_ORG}:25 -RemoteIPRanges ${ORG_CLIENT} -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers`,
        `New-SendConnector -Name "To Contoso" -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${CONTOSO}`,
        `New-SendConnector -Name "To Fabrikam" -AddressSpaces fabrikam.com -DNSRoutingEnabled $false -SmartHosts ${FABRIKAM}`,
        `New-SendConnector -Name "To Internet" -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts ${ELSEWHERE}`,
        'New-AcceptedDomain "Contoso slow" -DomainName slow.contoso.com',
        `New-SendConnector -Name "To Slow" -AddressSpaces slow.contoso.com -DNSRoutingEnabled $false -SmartHosts ${DEFERRING}`,
        'Set-TransportService EDGE01 -DelayNotificationTimeout 00:00:01 -MessageRetryInterval 00:00:01',
        'Set-TransportConfig -ExternalPostmasterAddress postmaster@tailspintoys.com -ExternalDsnMaxMessageAttachSize 0 -ExternalDelayDsnEnabled $false',
      ].join('; '),
    );
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    for (const s of sinks) await s.stop();
    dir.remove();
  });

  it('lists the Default remote domain and the new one as Exchange does', async () => {
    const created = await ok('New-RemoteDomain -Name Fabrikam -DomainName fabrikam.com | Format-List Name,DomainName,AutoReplyEnabled,NDREnabled');
    assert.deepEqual(formatListRecords(created, ' ')[0], { Name: 'Fabrikam', DomainName: 'fabrikam.com', AutoReplyEnabled: 'True', NDREnabled: 'True' });
    await ok('Set-RemoteDomain Fabrikam -AutoReplyEnabled $false -AutoForwardEnabled $false -DeliveryReportEnabled $false -NDREnabled $false; Set-TransportConfig -GenerateCopyOfDSNFor @{Add="5.1.1"}');
    const table = await ok('Get-RemoteDomain | Format-Table Name,DomainName,AutoReplyEnabled,AutoForwardEnabled,DeliveryReportEnabled,NDREnabled -AutoSize');
    assert.match(table, /^Default\s+\*\s+True\s+True\s+True\s+True\s*$/m);
    assert.match(table, /^Fabrikam\s+fabrikam\.com\s+False\s+False\s+False\s+False\s*$/m);
    await configApplied(service, edge);
  });

  it('drops automatic replies, forwards and read reports to fabrikam.com, and lets them go elsewhere', async () => {
    const org = (to: string, subject: string, headers: string[]) => swaks(EDGE_ORG, ORG_CLIENT, ['--from', 'bob@contoso.com', '--to', to, '--header', `Subject: ${subject}`, ...headers.flatMap((h) => ['--add-header', h])]);
    org('kim@fabrikam.com', 'Automatic reply: away', ['Auto-Submitted: auto-replied']);
    org('kim@fabrikam.com', 'FW: forwarded by a rule', ['X-MS-Exchange-Inbox-Rules-Loop: bob@contoso.com']);
    org('kim@fabrikam.com', 'Read: your message', ['MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=disposition-notification; boundary="r"']);
    org('lee@tailspintoys.com', 'Automatic reply: away too', ['Auto-Submitted: auto-replied']);
    org('kim@fabrikam.com', 'an ordinary message', []);

    await until(() => fabrikam.messages().some((m) => m.text.includes('Subject: an ordinary message')), 20_000, 'the ordinary message at fabrikam');
    await until(() => elsewhere.messages().some((m) => m.text.includes('Subject: Automatic reply: away too')), 20_000, 'the auto-reply to tailspintoys');
    let drops: Record<string, string>[] = [];
    await until(async () => (drops = await tracked('DROP')).length === 3, 20_000, 'three DROP events');
    assert.deepEqual(drops.map((d) => d.MessageSubject).sort(), ['Automatic reply: away', 'FW: forwarded by a rule', 'Read: your message']);
    for (const d of drops) {
      assert.equal(d.Recipients, '{kim@fabrikam.com}');
      assert.match(d.RecipientStatus, /550 5\.7\.1 RemoteDomain\.(AutoReplyEnabled|AutoForwardEnabled|DeliveryReportEnabled);/);
    }
    assert.deepEqual(
      fabrikam.messages().map((m) => /^Subject: (.*)$/m.exec(m.text)?.[1]),
      ['an ordinary message'],
    );
  });

  it('sends no NDR to fabrikam.com, but the postmaster copy (GenerateCopyOfDSNFor 5.1.1), and an NDR to other senders', async () => {
    const internet = (from: string, subject: string) => swaks(EDGE_INTERNET, INTERNET_CLIENT, ['--from', from, '--to', 'nobody@contoso.com', '--header', `Subject: ${subject}`]);
    internet('kim@fabrikam.com', 'to a mailbox that does not exist');
    await service.waitFor((l) => l.event === 'dsn.suppressed', 20_000, 'the NDR to kim suppressed');
    await until(() => elsewhere.messages().some((m) => m.rcptTo.includes('postmaster@tailspintoys.com') && m.text.includes('Undeliverable: to a mailbox that does not exist')), 20_000, 'the postmaster copy');
    const copy = elsewhere.messages().find((m) => m.rcptTo.includes('postmaster@tailspintoys.com'))!;
    assert.deepEqual(copy.rcptTo, ['postmaster@tailspintoys.com']);
    assert.equal(copy.mailFrom, '');
    assert.match(copy.text, /^Status: 5\.1\.1/m);

    internet('lee@tailspintoys.com', 'another unknown mailbox');
    // The NDR goes to lee and, its code being in GenerateCopyOfDSNFor, to the postmaster too.
    const ndrTo = (address: string) => elsewhere.messages().some((m) => m.rcptTo.includes(address) && m.text.includes('Undeliverable: another unknown mailbox'));
    await until(() => ndrTo('lee@tailspintoys.com') && ndrTo('postmaster@tailspintoys.com'), 20_000, 'the NDR to lee and its copy to the postmaster');
    assert.ok(!fabrikam.messages().some((m) => m.text.includes('Undeliverable')), 'no NDR reached fabrikam.com');
    // ExternalDsnMaxMessageAttachSize 0: an external sender gets the original's header only.
    const ndr = elsewhere.messages().find((m) => m.rcptTo.includes('lee@tailspintoys.com') && m.text.includes('Undeliverable: another unknown mailbox'))!;
    assert.match(ndr.text, /Content-Type: text\/rfc822-headers/);
    assert.doesNotMatch(ndr.text, /Content-Type: message\/rfc822/);
  });

  it('sends delay notifications to senders inside the organization only (ExternalDelayDsnEnabled $false)', async () => {
    swaks(EDGE_INTERNET, INTERNET_CLIENT, ['--from', 'lee@tailspintoys.com', '--to', 'slow@slow.contoso.com', '--header', 'Subject: slow from outside']);
    swaks(EDGE_ORG, ORG_CLIENT, ['--from', 'bob@contoso.com', '--to', 'slow@slow.contoso.com', '--header', 'Subject: slow from inside']);
    // Delay notifications are tracked as DSN events with the 4.4.7 status, to the original sender (ReturnPath).
    let delays: Record<string, string>[] = [];
    await until(
      async () =>
        (delays = formatListRecords(await ok('Get-MessageTrackingLog -EventId DSN | Format-List ReturnPath,RecipientStatus'), ' ').filter((d) => d.RecipientStatus.startsWith('{4.4.7'))).some((d) => d.ReturnPath === 'bob@contoso.com'),
      30_000,
      'the delay DSN to bob',
    );
    // lee's message is older: the same pass that notified bob has passed it over.
    assert.deepEqual(
      delays.map((d) => d.ReturnPath),
      ['bob@contoso.com'],
    );
  });
});
