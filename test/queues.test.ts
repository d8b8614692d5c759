// The queue viewer cmdlets against a real Edge whose smart host is down:
// Get-Queue shows the smart-host queue in Retry with its LastError; queue
// and message actions change what the running service does (and work with
// the service stopped); Remove-Message -WithNDR queues an NDR to the sender;
// Export-Message writes the stored bytes. Postfix's smtp-sink plays the smart
// host once it "comes back".

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';

const EDGE = '127.10.60.1';
const SMART_HOST = '127.10.61.1';

function send(from: string, to: string, tag: string) {
  const r = spawnSync('swaks', ['--server', `${EDGE}:25`, '--ehlo', 'sender.fabrikam.com', '--from', from, '--to', to, '--header', `Subject: ${tag}`, '--body', `body of ${tag}`, '--timeout', '15'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
}

describe('queue viewer cmdlets on a running Edge', () => {
  const dir = scratchDir('queues');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService | undefined;
  let sink: (Peer & { messages(): SinkMessage[] }) | undefined;
  let queueId = '';

  const sh = async (script: string) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', script], { timeoutMs: 30_000 });
    return r;
  };
  const ok = async (script: string) => {
    const r = await sh(script);
    assert.equal(r.code, 0, `${script}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr, '', script);
    return r.stdout;
  };
  const smartHostQueue = async () => formatListRecords(await ok(`Get-Queue -Filter "DeliveryType -eq 'SmartHostConnectorDelivery'" | Format-List`), '')[0];
  const messages = async (extra = '') => formatListRecords(await ok(`Get-Message -Queue ${queueId} ${extra} | Format-List`), '');
  const identityOf = async (subject: string) => {
    const found = formatListRecords(await ok(`Get-Message -Filter "Subject -eq '${subject}'" | Format-List Identity`), '');
    assert.equal(found.length, 1, subject);
    return found[0].Identity;
  };
  const storedBody = (subject: string): Buffer => {
    const db = new Database(join(edge, 'queue.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT m.envelope, b.data FROM messages m JOIN bodies b ON b.message = m.id').all() as { envelope: string; data: Buffer }[];
      const row = rows.find((r) => (JSON.parse(r.envelope) as { subject: string }).subject === subject);
      assert.ok(row, subject);
      return row.data;
    } finally {
      db.close();
    }
  };

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    await ok(
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25 -TarpitInterval 00:00:00`,
        `New-SendConnector -Name "To Contoso" -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${SMART_HOST}`,
        'Set-TransportService EDGE01 -TransientFailureRetryInterval 00:05:00 -OutboundConnectionFailureRetryInterval 00:10:00 -MessageRetryInterval 00:00:01',
      ].join('; '),
    );
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    await sink?.stop();
    dir.remove();
  });

  it('shows the smart-host queue in Retry with a LastError naming the host and the reason', async () => {
    send('alice@fabrikam.com', 'bob@contoso.com', 'one');
    send('alice@fabrikam.com', 'bob@contoso.com', 'two');
    send('alice@fabrikam.com', 'dave@contoso.com', 'three');
    send('carol@contoso.com', 'dave@contoso.com', 'four');
    let q: Record<string, string> = {};
    await until(
      async () => {
        q = await smartHostQueue();
        return q?.Status === 'Retry' && q.MessageCount === '4';
      },
      20_000,
      'the smart-host queue in Retry',
    );
    queueId = q.Identity;
    assert.match(queueId, /^EDGE01\\\d+$/);
    assert.equal(q.NextHopDomain, `[${SMART_HOST}]`);
    assert.equal(q.NextHopCategory, 'External');
    assert.match(q.LastError, new RegExp(`^\\[\\{LRT=.+\\};\\{LED=.*refused.*\\};\\{FQDN=${SMART_HOST.replace(/\./g, '\\.')}\\};\\{IP=${SMART_HOST.replace(/\./g, '\\.')}\\}\\]$`));
    assert.equal(q.RetryCount, '1');
    assert.notEqual(q.NextRetryTime, '');

    const table = await ok('Get-Queue');
    const lines = table.split('\n').filter((l) => l.trim());
    assert.match(lines[0], /^Identity\s+DeliveryType\s+Status\s+MessageCount\s+Velocity\s+RiskLevel\s+OutboundIPPool\s+NextHopDomain\s*$/);
    assert.ok(
      lines.some((l) => /^EDGE01\\Submission\s+Undefined\s+Ready\s+0\s/.test(l)),
      table,
    );
    assert.ok(
      lines.some((l) => /^EDGE01\\Unreachable\s+Unreachable\s+Ready\s+0\s/.test(l)),
      table,
    );
    assert.ok(
      lines.some((l) => new RegExp(`^${queueId.replace(/\\/g, '\\\\')}\\s+SmartHos.*Retry\\s+4\\s+0 Normal\\s+0 \\[${SMART_HOST}\\]`).test(l)),
      table,
    );
    assert.ok(!/Poison/.test(table), 'the Poison queue is not shown when empty');
    assert.equal(formatListRecords(await ok('Get-Queue -Exclude Empty | Format-List'), '').length, 1);
    assert.equal(formatListRecords(await ok('Get-Queue -Include External | Format-List'), '').length, 1);
    assert.equal(formatListRecords(await ok(`Get-Queue "EDGE01\\[${SMART_HOST}]" | Format-List`), '')[0].Identity, queueId);
  });

  it('suspends, resumes and retries the queue', async () => {
    assert.match(await ok(`Suspend-Queue ${queueId} -WhatIf`), new RegExp(`What if: Suspending queue "${queueId.replace(/\\/g, '\\\\')}"\\.`));
    assert.equal((await smartHostQueue()).Status, 'Retry');
    await ok(`Suspend-Queue ${queueId}`);
    assert.equal((await smartHostQueue()).Status, 'Suspended');
    const again = await sh(`Suspend-Queue ${queueId}`);
    assert.match(again.stderr, /is already suspended/);
    const retrySuspended = await sh(`Retry-Queue ${queueId}`);
    assert.match(retrySuspended.stderr, /is suspended\. Resume it/);
    await ok(`Resume-Queue ${queueId}`);
    assert.notEqual((await smartHostQueue()).Status, 'Suspended');
    assert.match((await sh('Retry-Queue EDGE01\\Unreachable')).stderr, /only be retried with -Resubmit \$true/);
    assert.match((await sh('Suspend-Queue *')).stderr, /matches \d+ queues/);
    await ok(`Retry-Queue ${queueId}`);
    // The attempt's outcome, read in the same listing as its count: back in Retry after a second refusal.
    await until(
      async () => {
        const q = await smartHostQueue();
        return q.RetryCount === '2' && q.Status === 'Retry';
      },
      15_000,
      'a second connection attempt after Retry-Queue, and the queue in Retry again',
    );
  });

  it('lists the messages of the queue with their recipients', async () => {
    const list = await messages('-IncludeRecipientInfo');
    assert.equal(list.length, 4);
    const one = list.find((m) => m.Subject === 'one')!;
    assert.match(one.Identity, new RegExp(`^${queueId.replace(/\\/g, '\\\\')}\\\\\\d+$`));
    assert.equal(one.FromAddress, 'alice@fabrikam.com');
    assert.equal(one.Status, 'Retry');
    assert.equal(one.Queue, queueId);
    assert.equal(one.MessageSourceName, 'SMTP:Default internal Receive connector EDGE01');
    assert.equal(one.SourceIP, '127.0.0.1');
    assert.match(one.LastError, /refused/);
    assert.match(one.Recipients, /bob@contoso\.com/);
    const recipients = formatListRecords(await ok(`(Get-Message ${one.Identity} -IncludeRecipientInfo).Recipients | Format-List`), '');
    assert.deepEqual(
      recipients.map((r) => [r.Address, r.Status]),
      [['bob@contoso.com', 'Ready']],
    );
    assert.equal(formatListRecords(await ok(`Get-Message -Queue ${queueId} | Format-List Recipients`), '')[0].Recipients, '');
    const filtered = formatListRecords(await ok(`Get-Message -Filter "FromAddress -like '*@fabrikam.com' -and Subject -ne 'two'" | Format-List Subject`), '');
    assert.deepEqual(filtered.map((m) => m.Subject).sort(), ['one', 'three']);
    const table = await ok(`Get-Message -Queue ${queueId}`);
    assert.match(
      table.split('\n').find((l) => l.trim())!,
      /^Identity\s+FromAddress\s+Status\s+Queue\s+Subject\s*$/,
    );
    assert.match((await sh('Get-Message -Filter "Colour -eq \'red\'"')).stderr, /not a recognized filterable property/);
  });

  it('Remove-Message -WithNDR $true fails the message and queues an NDR to the original sender', async () => {
    const four = await identityOf('four');
    const whatIf = await ok(`Remove-Message ${four} -WithNDR $true -WhatIf`);
    assert.match(whatIf, /What if: Removing message/);
    await ok(`Remove-Message ${four} -WithNDR $true -Confirm:$false`);
    await until(async () => (await messages('-IncludeRecipientInfo')).some((m) => m.Subject === 'Undeliverable: four'), 15_000, 'the NDR in the smart-host queue');
    const list = await messages('-IncludeRecipientInfo');
    assert.ok(!list.some((m) => m.Subject === 'four'));
    const ndr = list.find((m) => m.Subject === 'Undeliverable: four')!;
    assert.equal(ndr.FromAddress, '<>');
    assert.equal(ndr.MessageSourceName, 'DSN');
    assert.match(ndr.Recipients, /carol@contoso\.com/);
  });

  it('Suspend-Message holds a message; with the service stopped the cmdlets still work and Export-Message writes the stored bytes', async () => {
    const two = await identityOf('two');
    await ok(`Get-Message -Filter "Subject -eq 'two'" | Suspend-Message -Confirm:$false`);
    assert.equal(formatListRecords(await ok(`Get-Message ${two} | Format-List Status`), '')[0].Status, 'Suspended');
    await service!.stop();
    service = undefined;

    const q = await smartHostQueue();
    assert.equal(q.MessageCount, '4');
    await ok(`Suspend-Queue ${queueId}`);
    assert.equal((await smartHostQueue()).Status, 'Suspended');
    await ok(`Resume-Queue ${queueId}`);
    const one = await identityOf('one');
    assert.match((await sh(`Export-Message ${one} -Path ${join(dir.path, 'x.eml')}`)).stderr, /must be suspended before it can be exported/);
    await ok(`Export-Message ${two} | AssembleMessage -Path "${join(dir.path, 'two.eml')}"`);
    assert.deepEqual(readFileSync(join(dir.path, 'two.eml')), storedBody('two'));
    await ok(`Export-Message -Identity ${two} -Path "${dir.path}"`);
    assert.deepEqual(readFileSync(join(dir.path, `${two.split('\\').pop()}.eml`)), storedBody('two'));
  });

  it('after the smart host comes back the others are delivered, the suspended one only once resumed', async () => {
    sink = await startSink(SMART_HOST, join(dir.path, 'sink'));
    service = await startService(edge);
    await ok(`Retry-Queue ${queueId}`);
    const subjects = () => sink!.messages().map((m) => /^Subject: (.*)$/m.exec(m.text)?.[1]);
    await until(() => ['one', 'three', 'Undeliverable: four'].every((s) => subjects().includes(s)), 20_000, 'delivery of one, three and the NDR');
    const ndr = sink.messages().find((m) => /^Subject: Undeliverable: four/m.test(m.text))!;
    assert.equal(ndr.mailFrom, '');
    assert.deepEqual(ndr.rcptTo, ['carol@contoso.com']);
    assert.match(ndr.text, /QUEUE\.Admin; message deleted by administrative action/);
    assert.ok(!sink.messages().some((m) => m.rcptTo.includes('dave@contoso.com') && /^Subject: four/m.test(m.text)), 'the removed message is not delivered');
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!subjects().includes('two'), 'the suspended message stays');
    const left = await messages();
    assert.deepEqual(
      left.map((m) => [m.Subject, m.Status]),
      [['two', 'Suspended']],
    );

    const two = await identityOf('two');
    await ok(`Resume-Message ${two}`);
    await until(() => subjects().includes('two'), 20_000, 'delivery of two after Resume-Message');
    await until(async () => (await messages()).length === 0, 10_000, 'an empty queue');
  });
});
