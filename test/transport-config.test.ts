// Set-TransportConfig's limits and Set-ServerComponentState's maintenance
// mode on a running Edge, changed live from its shell: MaxReceiveSize
// (552 5.3.4 at MAIL for a client announcing SIZE, and at the end of DATA),
// MaxRecipientEnvelopeLimit (452 4.5.3 for the recipients over it), and
// HubTransport Draining (421 4.3.2 for new mail, open sessions ended, queued
// mail still delivered; Active again only when every requester says so).
// Peers: Python smtplib, swaks, Postfix's smtp-sink as the smart host.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { configApplied } from './harness/config-applied.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const EDGE = '127.34.1.1';
const SMART_HOST = '127.34.2.1';
const CLIENT = '127.34.3.1';
const OTHER_CLIENT = '127.34.3.2';
const METRICS = '127.34.1.9:9134';

async function serverInfo(): Promise<string> {
  const res = await fetch(`http://${METRICS}/metrics`);
  assert.equal(res.status, 200);
  return (await res.text()).split('\n').find((l) => l.startsWith('gatehouse_server_info{')) ?? '';
}

function python(code: string) {
  return spawnSync('python3', ['-c', `import smtplib\n${code}`], { encoding: 'utf8', timeout: 60_000 });
}

function swaks(args: string[]) {
  return spawnSync('swaks', ['--server', `${EDGE}:25`, '--local-interface', CLIENT, '--ehlo', 'sender.fabrikam.com', '--timeout', '15', ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('organization transport settings on a running Edge', () => {
  const dir = scratchDir('transport-config');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService;
  let sink: (Peer & { messages(): SinkMessage[] }) | undefined;

  const ok = async (script: string) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', script], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  /** Runs the script and waits until the service has applied the change it made. */
  const change = async (script: string) => {
    const r = await ok(script);
    await configApplied(service, edge);
    return r;
  };

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    await ok(
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -TarpitInterval 00:00:00`,
        `New-SendConnector -Name "To Contoso" -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${SMART_HOST}`,
        'Set-TransportService EDGE01 -MessageRetryInterval 00:00:01',
      ].join('; '),
    );
    service = await startService(edge, ['--metrics', METRICS]);
  });

  after(async () => {
    await service?.stop();
    await sink?.stop();
    dir.remove();
  });

  it("shows Exchange's defaults and takes new limits", async () => {
    const before = formatListRecords((await ok('Get-TransportConfig | Format-List MaxSendSize,MaxReceiveSize,MaxRecipientEnvelopeLimit,GenerateCopyOfDSNFor')).stdout, '')[0];
    assert.deepEqual(before, {
      MaxSendSize: '10 MB (10,485,760 bytes)',
      MaxReceiveSize: '10 MB (10,485,760 bytes)',
      MaxRecipientEnvelopeLimit: '500',
      GenerateCopyOfDSNFor: '{5.4.8, 5.4.6, 5.4.4, 5.2.4, 5.2.0, 5.1.4}',
    });
    await change('Set-TransportConfig -MaxReceiveSize 20KB -MaxRecipientEnvelopeLimit 2');
    const afterSet = formatListRecords((await ok('Get-TransportConfig | Format-List MaxReceiveSize,MaxRecipientEnvelopeLimit')).stdout, '')[0];
    assert.deepEqual(afterSet, { MaxReceiveSize: '20 KB (20,480 bytes)', MaxRecipientEnvelopeLimit: '2' });
  });

  it('refuses a message over MaxReceiveSize at MAIL when the client announces its SIZE (smtplib)', () => {
    const r = python(`
s = smtplib.SMTP('${EDGE}', 25, local_hostname='sender.fabrikam.com', source_address=('${CLIENT}', 0), timeout=20)
try:
    s.sendmail('alice@fabrikam.com', ['bob@contoso.com'], 'Subject: big\\r\\n\\r\\n' + ('x' * 76 + '\\r\\n') * 400)
except smtplib.SMTPSenderRefused as e:
    print('refused', e.smtp_code, e.smtp_error.decode())
print('small', s.sendmail('alice@fabrikam.com', ['bob@contoso.com'], 'Subject: small\\r\\n\\r\\n' + ('x' * 76 + '\\r\\n') * 100))
s.quit()`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^refused 552 5\.3\.4 Message size exceeds fixed maximum message size$/m);
    assert.match(r.stdout, /^small \{\}$/m);
  });

  it('refuses it at the end of DATA when no SIZE was announced', async () => {
    const d = await SmtpDialog.open(EDGE, 25, CLIENT);
    assert.equal((await d.reply())?.code, 220);
    assert.equal((await d.command('EHLO sender.fabrikam.com'))?.code, 250);
    assert.equal((await d.command('MAIL FROM:<alice@fabrikam.com>'))?.code, 250);
    assert.equal((await d.command('RCPT TO:<bob@contoso.com>'))?.code, 250);
    assert.equal((await d.command('DATA'))?.code, 354);
    const end = await d.command(`Subject: no size\r\n\r\n${`${'y'.repeat(98)}\r\n`.repeat(300)}.`);
    assert.equal(end?.code, 552);
    assert.equal(end?.lines[0], '5.3.4 Message size exceeds fixed maximum message size');
    d.close();
  });

  it('answers 452 4.5.3 to the recipients over MaxRecipientEnvelopeLimit, and takes the message for the others', () => {
    const r = python(`
s = smtplib.SMTP('${EDGE}', 25, local_hostname='sender.fabrikam.com', source_address=('${CLIENT}', 0), timeout=20)
refused = s.sendmail('alice@fabrikam.com', ['a@contoso.com', 'b@contoso.com', 'c@contoso.com'], 'Subject: three\\r\\n\\r\\nhi\\r\\n')
print('refused', {k: (v[0], v[1].decode()) for k, v in refused.items()})
s.quit()`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^refused \{'c@contoso\.com': \(452, '4\.5\.3 Too many recipients'\)\}$/m);
  });

  it('publishes Set-ExchangeServer -MonitoringGroup on the metrics endpoint, and refuses what has no meaning here', async () => {
    await change('Set-ExchangeServer EDGE01 -MonitoringGroup Perimeter');
    assert.equal(await serverInfo(), 'gatehouse_server_info{server="EDGE01",role="EdgeTransport",monitoring_group="Perimeter",hub_transport="Active"} 1');
    const shown = formatListRecords((await ok('Get-ExchangeServer EDGE01 | Format-List MonitoringGroup,ErrorReportingEnabled')).stdout, '')[0];
    assert.deepEqual(shown, { MonitoringGroup: 'Perimeter', ErrorReportingEnabled: 'False' });
    const key = await gatehouse(['shell', '--data', edge, '-c', 'Set-ExchangeServer EDGE01 -ProductKey 12345-12345-12345-12345-12345']);
    assert.match(key.stdout + key.stderr, /The parameter -ProductKey is not available in Gatehouse: Gatehouse is open-source software with no product keys/);
    const reporting = await gatehouse(['shell', '--data', edge, '-c', 'Set-ExchangeServer EDGE01 -ErrorReportingEnabled $true']);
    assert.match(reporting.stdout + reporting.stderr, /The parameter ErrorReportingEnabled cannot be set to true: Gatehouse reports errors to nobody/);
  });

  it('names the first client outside InternalSMTPServers as OriginalClientIp in the tracking log', async () => {
    await change(`Set-TransportConfig -MaxReceiveSize 10MB -MaxRecipientEnvelopeLimit 500 -InternalSMTPServers ${CLIENT},10.1.1.0/24`);
    const relayed = swaks([
      '--from',
      'alice@fabrikam.com',
      '--to',
      'relayed@contoso.com',
      '--header',
      'Subject: via the relays',
      '--add-header',
      'Received: from relay.contoso.com (10.1.1.7) by hub.contoso.com with ESMTP id 2; Mon, 7 Dec 2026 10:00:01 +0000',
      '--add-header',
      'Received: from mx.fabrikam.com (mx.fabrikam.com [203.0.113.5]) by relay.contoso.com with ESMTP id 1; Mon, 7 Dec 2026 10:00:00 +0000',
    ]);
    assert.equal(relayed.status, 0, relayed.stdout + relayed.stderr);
    const direct = spawnSync(
      'swaks',
      ['--server', `${EDGE}:25`, '--local-interface', OTHER_CLIENT, '--ehlo', 'sender.fabrikam.com', '--timeout', '15', '--from', 'alice@fabrikam.com', '--to', 'direct@contoso.com', '--header', 'Subject: direct'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(direct.status, 0, direct.stdout + direct.stderr);
    const receive = async (subject: string) => formatListRecords((await ok(`Get-MessageTrackingLog -EventId RECEIVE -MessageSubject "${subject}" | Format-List ClientIp,OriginalClientIp`)).stdout, '')[0];
    assert.deepEqual(await receive('via the relays'), { ClientIp: CLIENT, OriginalClientIp: '203.0.113.5' });
    assert.deepEqual(await receive('direct'), { ClientIp: OTHER_CLIENT, OriginalClientIp: OTHER_CLIENT });
    await change('Set-TransportConfig -InternalSMTPServers $null');
  });

  it('drains: new mail gets 421 4.3.2, an open session is ended, what the queue holds is still delivered', async () => {
    // Held: the smart host is down, so this message waits in the queue.
    const held = swaks(['--from', 'alice@fabrikam.com', '--to', 'held@contoso.com', '--header', 'Subject: held']);
    assert.equal(held.status, 0, held.stdout + held.stderr);
    const open = await SmtpDialog.open(EDGE, 25, CLIENT);
    assert.equal((await open.reply())?.code, 220);
    assert.equal((await open.command('EHLO sender.fabrikam.com'))?.code, 250);

    await ok('Set-ServerComponentState EDGE01 -Component HubTransport -State Draining -Requester Maintenance');
    await service.waitFor((l) => l.event === 'transport.component-state' && l.state === 'Draining', 15_000, 'HubTransport draining');
    const ended = await open.reply();
    assert.equal(ended?.code, 421);
    assert.equal(ended?.lines[0], '4.3.2 Service not available');

    const refused = swaks(['--from', 'alice@fabrikam.com', '--to', 'new@contoso.com', '--header', 'Subject: refused']);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stdout, /<\*\* 421 4\.3\.2 Service not available/);
    const state = formatListRecords((await ok('Get-ServerComponentState EDGE01 -Component HubTransport | Format-List Component,State')).stdout, '')[0];
    assert.deepEqual(state, { Component: 'HubTransport', State: 'Draining' });
    assert.match(await serverInfo(), /hub_transport="Draining"/);

    sink = await startSink(SMART_HOST, join(dir.path, 'sink'));
    await ok('Get-Queue -Filter "DeliveryType -eq \'SmartHostConnectorDelivery\'" | Retry-Queue');
    await until(() => sink!.messages().some((m) => m.rcptTo.includes('held@contoso.com')), 20_000, 'the held message at the smart host');
    assert.ok(!sink.messages().some((m) => m.rcptTo.includes('new@contoso.com')));
  });

  it('stays in maintenance while another requester holds HubTransport, and takes mail once all are Active', async () => {
    await ok('Set-ServerComponentState EDGE01 -Component HubTransport -State Draining -Requester HealthAPI');
    const r = await ok('Set-ServerComponentState EDGE01 -Component HubTransport -State Active -Requester Maintenance');
    assert.match(r.stdout + r.stderr, /WARNING: HubTransport on EDGE01 stays Draining: HealthAPI \(HubTransport Draining\) still hold it/);
    const still = swaks(['--from', 'alice@fabrikam.com', '--to', 'still@contoso.com']);
    assert.match(still.stdout, /<\*\* 421 4\.3\.2 Service not available/);

    await ok('Set-ServerComponentState EDGE01 -Component HubTransport -State Active -Requester HealthAPI');
    await service.waitFor((l) => l.event === 'transport.component-state' && l.state === 'Active', 15_000, 'HubTransport active');
    const back = swaks(['--from', 'alice@fabrikam.com', '--to', 'back@contoso.com', '--header', 'Subject: back']);
    assert.equal(back.status, 0, back.stdout + back.stderr);
    await until(() => sink!.messages().some((m) => m.rcptTo.includes('back@contoso.com')), 20_000, 'mail accepted again after maintenance');
  });
});
