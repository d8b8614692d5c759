// Redirect-Message on two real Mailbox servers sharing one organization:
// MBX01 holds a message for the Internet (its smart host is down); put in
// maintenance (HubTransport Draining) and redirected to MBX02, it hands the
// message to MBX02 over the server-to-server connection, and MBX02 sends it
// on once the smart host is back. Redirect-Message refuses a server that is
// still Active; back to Active, MBX01 sends its own mail again.
// Peers: dnsmasq (the servers' names), swaks, Postfix's smtp-sink.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configApplied } from './harness/config-applied.js';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';

const DNS = '127.34.30.53';
const MBX1 = '127.34.31.10';
const MBX2 = '127.34.31.20';
const CLIENT = '127.34.32.1';
const SMART_HOST = '127.34.33.1';

function submit(subject: string) {
  const r = spawnSync('swaks', ['--server', `${MBX1}:2525`, '--local-interface', CLIENT, '--ehlo', 'app.contoso.com', '--from', 'alice@contoso.com', '--to', 'kim@fabrikam.com', '--header', `Subject: ${subject}`, '--timeout', '15'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
}

describe('Redirect-Message between two Mailbox servers', () => {
  const dir = scratchDir('redirect');
  const mbx1 = join(dir.path, 'MBX01');
  const mbx2 = join(dir.path, 'MBX02');
  const peers: Peer[] = [];
  let sink: (Peer & { messages(): SinkMessage[] }) | undefined;
  let s1: RunningService;
  let s2: RunningService;

  const sh = (data: string, script: string) => gatehouse(['shell', '--data', data, '-c', script], { timeoutMs: 60_000 });
  const ok = async (data: string, script: string) => {
    const r = await sh(data, script);
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const internetQueue = async (data: string) => formatListRecords(await ok(data, 'Get-Queue -Filter "DeliveryType -eq \'SmartHostConnectorDelivery\'" | Format-List Identity,MessageCount,Status'), '')[0];
  const dns = (server: string) =>
    `Set-TransportService ${server} -InternalDNSServers ${DNS} -InternalDNSAdapterEnabled $false -ExternalDNSServers ${DNS} -ExternalDNSAdapterEnabled $false -TransientFailureRetryInterval 00:00:01 -OutboundConnectionFailureRetryInterval 00:00:02 -MessageRetryInterval 00:00:01`;

  before(async () => {
    peers.push(await startDnsmasq(DNS, 53, ['contoso.com'], [`--host-record=mbxserver01.contoso.com,${MBX1}`, `--host-record=mbxserver02.contoso.com,${MBX2}`]));
    for (const [name, fqdn, data] of [
      ['MBX01', 'mbxserver01.contoso.com', mbx1],
      ['MBX02', 'mbxserver02.contoso.com', mbx2],
    ]) {
      assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', name, '--fqdn', fqdn, '--data', data])).code, 0);
    }
    await ok(
      mbx1,
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX1}:25 -TarpitInterval 00:00:00`,
        `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX1}:587`,
        `Set-ReceiveConnector "Default MBX02" -Bindings ${MBX2}:25 -TarpitInterval 00:00:00`,
        `Set-ReceiveConnector "Client MBX02" -Bindings ${MBX2}:587`,
        `New-ReceiveConnector "Relay MBX01" -Usage Custom -Bindings ${MBX1}:2525 -RemoteIPRanges ${CLIENT} -AuthMechanism ExternalAuthoritative -PermissionGroups ExchangeServers`,
        `New-ReceiveConnector "Internet MBX02" -Server MBX02 -Usage Custom -Bindings ${MBX2}:2526 -RemoteIPRanges ${CLIENT} -AuthMechanism Tls -PermissionGroups AnonymousUsers`,
        `New-SendConnector -Name "To Internet" -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts ${SMART_HOST} -SourceTransportServers MBX01,MBX02`,
        dns('MBX01'),
        dns('MBX02'),
      ].join('; '),
    );
    s1 = await startService(mbx1);
    s2 = await startService(mbx2);
  });

  after(async () => {
    await s1?.stop();
    await s2?.stop();
    await sink?.stop();
    for (const p of peers) await p.stop();
    dir.remove();
  });

  it('refuses to redirect a server that still takes mail', async () => {
    submit('held on MBX01');
    await until(async () => (await internetQueue(mbx1))?.MessageCount === '1', 30_000, 'the message waiting on MBX01');
    const r = await sh(mbx1, 'Redirect-Message -Server MBX01 -Target mbxserver02.contoso.com -Confirm:$false');
    assert.match(r.stdout + r.stderr, /MBX01 is still taking new mail \(HubTransport is Active\)\. Put it in maintenance first: Set-ServerComponentState MBX01 -Component HubTransport -State Draining -Requester Maintenance/);
  });

  it('hands the queued message to MBX02, which sends it on', async () => {
    await ok(mbx1, 'Set-ServerComponentState MBX01 -Component HubTransport -State Draining -Requester Maintenance; Redirect-Message -Server MBX01 -Target mbxserver02.contoso.com -Confirm:$false');
    await configApplied(s1, mbx1);
    await until(async () => (await internetQueue(mbx2))?.MessageCount === '1', 30_000, 'the message waiting on MBX02');
    const left = await internetQueue(mbx1);
    assert.ok(!left || left.MessageCount === '0', `MBX01 still holds it: ${JSON.stringify(left)}`);
    const sent = formatListRecords(await ok(mbx1, 'Get-MessageTrackingLog -EventId SEND -MessageSubject "held on MBX01" | Format-List ConnectorId,RecipientStatus'), ' ')[0];
    assert.match(sent.RecipientStatus, /^\{250 /);

    sink = await startSink(SMART_HOST, join(dir.path, 'sink'));
    await ok(mbx2, 'Get-Queue -Filter "DeliveryType -eq \'SmartHostConnectorDelivery\'" | Retry-Queue');
    await until(() => sink!.messages().some((m) => m.text.includes('Subject: held on MBX01')), 30_000, 'the message at the smart host');
    const m = sink.messages().find((x) => x.text.includes('Subject: held on MBX01'))!;
    assert.match(m.text, new RegExp(`^X-Client-Addr: ${MBX2.replace(/\./g, '\\.')}$`, 'm'), 'sent by MBX02');
  });

  it('sends its own mail again once Active, the redirect ended with the maintenance', async () => {
    await ok(mbx1, 'Set-ServerComponentState MBX01 -Component HubTransport -State Active -Requester Maintenance');
    await s1.waitFor((l) => l.event === 'transport.component-state' && l.state === 'Active', 15_000, 'MBX01 active');
    submit('after maintenance');
    await until(() => sink!.messages().some((m) => m.text.includes('Subject: after maintenance')), 30_000, 'the new message at the smart host');
    const m = sink!.messages().find((x) => x.text.includes('Subject: after maintenance'))!;
    assert.match(m.text, new RegExp(`^X-Client-Addr: ${MBX1.replace(/\./g, '\\.')}$`, 'm'), 'sent by MBX01 itself');
  });

  it("applies Set-TransportConfig, run in MBX01's shell, on MBX02 too: the organization's settings", async () => {
    await ok(
      mbx1,
      [
        'New-MailboxDatabase DB2 -Server MBX02',
        ...['a', 'b'].map((n) => `New-Mailbox -Name ${n.toUpperCase()} -Alias ${n} -UserPrincipalName ${n}@contoso.com -Database DB2 -Password (ConvertTo-SecureString "Mailbox-Pass-${n}9" -AsPlainText -Force)`),
        'Set-TransportConfig -MaxRecipientEnvelopeLimit 1',
      ].join('; '),
    );
    await configApplied(s2, mbx2);
    const r = spawnSync(
      'python3',
      [
        '-c',
        `import smtplib
s = smtplib.SMTP('${MBX2}', 2526, local_hostname='mx.fabrikam.com', source_address=('${CLIENT}', 0), timeout=20)
refused = s.sendmail('kim@fabrikam.com', ['a@contoso.com', 'b@contoso.com'], 'Subject: two\\r\\n\\r\\nhi\\r\\n')
print('refused', {k: (v[0], v[1].decode()) for k, v in refused.items()})
s.quit()`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^refused \{'b@contoso\.com': \(452, '4\.5\.3 Too many recipients'\)\}$/m);
  });
});
