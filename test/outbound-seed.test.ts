// The seed's Send connectors delivering for real. A dnsmasq on loopback is
// "the Internet's" DNS (MX for fabrikam.com, an A-only domain, the Mailbox
// servers' names); Postfix's smtp-sink plays the Internet's mail servers; a
// second Gatehouse is the Mailbox server MBX01 behind the Edge ("To Internal
// Org": Basic auth over TLS as CONTOSO\edgeauth). MBX02 is down throughout, so
// the smart-host failover is exercised on every internal delivery.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { exportSmtpCertificate } from './harness/server-certificate.js';
import { startService, type RunningService } from './harness/service.js';
import { seedCommands } from './harness/seed.js';

const DNS = '127.10.30.53';
const DNS_PORT = 5353;
const EDGE_EXT = '127.10.30.1';
const EDGE_INT = '127.10.30.2';
const MBX1 = '127.168.30.10';
const MBX2 = '127.168.30.20';
const MX1 = '127.10.31.1';
const MX2 = '127.10.31.2';
const NOMX = '127.10.31.3';
const NO_TLS = '127.10.31.4';
const REJECT = '127.10.31.5';
const PASSWORD = 'Edge-To-Mbx-5521';

function mapIps(line: string): string {
  return line
    .replace(/10\.1\.1\.1\b/g, EDGE_EXT)
    .replace(/10\.1\.1\.2\b/g, EDGE_INT)
    .replace(/192\.168\.5\.10\b/g, MBX1)
    .replace(/192\.168\.5\.20\b/g, MBX2);
}

const RELAY_PASSWORD = 'Mbx-To-Edge-7781';

/** Internet mail arriving at the Edge's external address, anonymously. */
function fromInternet(to: string, tag: string, from = 'alice@fabrikam.com') {
  return spawnSync('swaks', ['--server', `${EDGE_EXT}:25`, '--ehlo', 'sender.fabrikam.com', '--from', from, '--to', to, '--header', `Subject: ${tag}`, '--body', `body of ${tag}`, '--timeout', '15'], { encoding: 'utf8', timeout: 30_000 });
}

/** Outgoing mail as MBX01's "To Edge" connector sends it: internal address, STARTTLS, AUTH as the Edge's local account. */
function fromOrganization(to: string, tag: string, from = 'alice@contoso.com') {
  return spawnSync(
    'swaks',
    [
      '--server',
      `${EDGE_INT}:25`,
      '--local-interface',
      MBX1,
      '--ehlo',
      'mbxserver01.contoso.com',
      '--tls',
      '--auth',
      'LOGIN',
      '--auth-user',
      'mbxrelay',
      '--auth-password',
      RELAY_PASSWORD,
      '--from',
      from,
      '--to',
      to,
      '--header',
      `Subject: ${tag}`,
      '--body',
      `body of ${tag}`,
      '--timeout',
      '15',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
}

function queueRows(data: string): { subject: string; sender: string; recipients: string[]; authenticatedAs?: string; tls?: unknown; body: string }[] {
  const db = new Database(join(data, 'queue.db'), { readonly: true });
  try {
    return (db.prepare('SELECT m.envelope, b.data FROM messages m JOIN bodies b ON b.message = m.id').all() as { envelope: string; data: Buffer }[]).map((r) => {
      const e = JSON.parse(r.envelope) as { subject: string; sender: string; recipients: { address: string }[]; authenticatedAs?: string; tls?: unknown };
      return { subject: e.subject, sender: e.sender, recipients: e.recipients.map((x) => x.address), authenticatedAs: e.authenticatedAs, tls: e.tls, body: r.data.toString('latin1') };
    });
  } finally {
    db.close();
  }
}

function queues(data: string): { next_hop_domain: string; status: string; last_error: string | null }[] {
  const db = new Database(join(data, 'queue.db'), { readonly: true });
  try {
    return db.prepare('SELECT next_hop_domain, status, last_error FROM queues').all() as { next_hop_domain: string; status: string; last_error: string | null }[];
  } finally {
    db.close();
  }
}

/** One CSV line of an Exchange-style log into its cells ("" escapes a quote). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  for (const m of line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)) cells.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]);
  return cells;
}

const bySubject = (messages: SinkMessage[], tag: string) => messages.filter((m) => m.text.includes(`Subject: ${tag}`));

describe("outbound delivery through the seed's Send connectors", () => {
  const dir = scratchDir('outbound');
  const edge = join(dir.path, 'EDGE01');
  const mbx = join(dir.path, 'MBX01');
  const peers: Peer[] = [];
  let mx1: Peer & { messages(): SinkMessage[] };
  let mx2: Peer & { messages(): SinkMessage[] };
  let nomx: Peer & { messages(): SinkMessage[] };
  let edgeService: RunningService;
  let mbxService: RunningService | undefined;
  let noTls: Server;
  const noTlsLines: string[] = [];

  before(async () => {
    peers.push(
      await startDnsmasq(
        DNS,
        DNS_PORT,
        ['fabrikam.com', 'nomx.example', 'contoso.com', 'partner.example', 'reject.example', 'nowhere.example'],
        [
          '--mx-host=fabrikam.com,mx1.fabrikam.com,10',
          '--mx-host=fabrikam.com,mx2.fabrikam.com,20',
          `--host-record=mx1.fabrikam.com,${MX1}`,
          `--host-record=mx2.fabrikam.com,${MX2}`,
          `--host-record=nomx.example,${NOMX}`,
          `--host-record=reject.example,${REJECT}`,
          `--host-record=mbxserver01.contoso.com,${MBX1}`,
          `--host-record=mbxserver02.contoso.com,${MBX2}`,
        ],
      ),
    );
    mx1 = await startSink(MX1, join(dir.path, 'sink-mx1'));
    mx2 = await startSink(MX2, join(dir.path, 'sink-mx2'));
    nomx = await startSink(NOMX, join(dir.path, 'sink-nomx'));
    peers.push(mx1, mx2, nomx, await startSink(REJECT, join(dir.path, 'sink-reject'), ['-f', 'RCPT']));
    // A peer without STARTTLS that records every command line (to prove no credentials reach it).
    noTls = createServer((s: Socket) => {
      s.write('220 notls.partner.example ESMTP\r\n');
      s.setEncoding('latin1').on('data', (d: string) => {
        for (const line of d.split('\r\n').filter(Boolean)) {
          noTlsLines.push(line);
          if (/^EHLO/i.test(line)) s.write('250-notls.partner.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n');
          else if (/^QUIT/i.test(line)) s.end('221 bye\r\n');
          else s.write('250 ok\r\n');
        }
      });
    });
    await new Promise<void>((r) => noTls.listen(25, NO_TLS, () => r()));

    // The Edge: the seed's commands verbatim (IP addresses mapped), plus what the seed assumes.
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge])).code, 0);
    const seed = seedCommands();
    const edgeScript = [
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      ...seed.edge.filter((l) => !l.startsWith('Get-')).map(mapIps),
      `Set-TransportService EDGE01 -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false -InternalDNSServers ${DNS}:${DNS_PORT} -InternalDNSAdapterEnabled $false -TransientFailureRetryInterval 00:00:01 -OutboundConnectionFailureRetryInterval 00:00:02 -MessageRetryInterval 00:00:01`,
      'Set-ReceiveConnector "From Internet" -TarpitInterval 00:00:00',
      `New-LocalUser -Name mbxrelay -Password (ConvertTo-SecureString "${RELAY_PASSWORD}" -AsPlainText -Force)`,
      'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay',
      'Set-SendConnector "To Internal Org" -ProtocolLoggingLevel Verbose',
      `New-SendConnector -Name "To Partner" -AddressSpaces partner.example -DNSRoutingEnabled $false -SmartHosts ${NO_TLS} -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $MailboxCredentials`,
    ];
    const e = await gatehouse(['shell', '--data', edge], { input: edgeScript.flatMap((l) => (l.endsWith('Get-Credential') ? [l, 'CONTOSO\\edgeauth', PASSWORD] : [l])).join('\n') + '\n' });
    assert.equal(e.code, 0, e.stderr);

    // MBX01: the account the Edge authenticates with, in Exchange Servers.
    assert.equal((await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbxserver01.contoso.com', '--data', mbx])).code, 0);
    const m = await gatehouse([
      'shell',
      '--data',
      mbx,
      '-c',
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com',
        `Set-ReceiveConnector "Default MBX01" -Bindings ${MBX1}:25`,
        `Set-ReceiveConnector "Client MBX01" -Bindings ${MBX1}:587`,
        `New-ADUser -Name EdgeAuth -SamAccountName edgeauth -AccountPassword (ConvertTo-SecureString "${PASSWORD}" -AsPlainText -Force) -Enabled $true`,
        'Add-ADGroupMember -Identity "Exchange Servers" -Members edgeauth',
        'New-MailboxDatabase DB1 -Server MBX01',
        `New-Mailbox -Name Bob -Alias bob -UserPrincipalName bob@contoso.com -Database DB1 -Password (ConvertTo-SecureString "${PASSWORD}-bob" -AsPlainText -Force)`,
        `New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (ConvertTo-SecureString "${PASSWORD}-alice" -AsPlainText -Force)`,
      ].join('; '),
    ]);
    assert.equal(m.code, 0, m.stderr);
    // The Edge trusts MBX01's certificate (which carries mbxserver01.contoso.com): "To Internal Org" sends its credential only to it.
    const trust = await gatehouse(['shell', '--data', edge, '-c', exportSmtpCertificate(mbx, join(dir.path, 'mbx01.cer'), 'MBX01 (trusted peer)')]);
    assert.equal(trust.code, 0, trust.stderr);
    edgeService = await startService(edge);
  });

  after(async () => {
    await edgeService?.stop();
    await mbxService?.stop();
    noTls?.close();
    for (const p of peers) await p.stop();
    dir.remove();
  });

  it('delivers Internet mail to the preferred MX', async () => {
    const r = fromOrganization('bob@fabrikam.com', 'preferred');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await until(() => bySubject(mx1.messages(), 'preferred').length === 1, 15_000, 'delivery to mx1').catch((err) => {
      throw new Error(
        `${(err as Error).message}\nsink: ${JSON.stringify(mx1.messages().map((m) => m.text.slice(0, 400)))}\nqueues: ${JSON.stringify(queues(edge))}\nlog:\n${edgeService.lines
          .filter((l) => /delivery|dns|routing/.test(l.event))
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
      );
    });
    assert.equal(bySubject(mx2.messages(), 'preferred').length, 0);
    assert.deepEqual(bySubject(mx1.messages(), 'preferred')[0].rcptTo, ['bob@fabrikam.com']);
    assert.doesNotMatch(bySubject(mx1.messages(), 'preferred')[0].text, /X-MS-Exchange-Organization-/i, 'organization headers stay inside');
  });

  it('fails over to the next preference when the first MX is down', async () => {
    await mx1.stop();
    assert.equal(fromOrganization('carol@fabrikam.com', 'failover').status, 0);
    await until(() => bySubject(mx2.messages(), 'failover').length === 1, 15_000, 'delivery to mx2').catch((err) => {
      throw new Error(
        `${(err as Error).message}\nsink: ${JSON.stringify(mx2.messages().map((m) => m.text.slice(0, 300)))}\nqueues: ${JSON.stringify(queues(edge))}\nlog:\n${edgeService.lines
          .filter((l) => /delivery|dns|routing|smtp.in.message/.test(l.event))
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
      );
    });
  });

  it('falls back to the A record when a domain has no MX', async () => {
    assert.equal(fromOrganization('dave@nomx.example', 'implicit').status, 0);
    await until(() => bySubject(nomx.messages(), 'implicit').length === 1, 15_000, 'delivery by A record');
  });

  it('waits while the Mailbox servers are down, then delivers authenticated over TLS once MBX01 is back', async () => {
    assert.equal(fromInternet('bob@contoso.com', 'inbound').status, 0);
    await until(() => queues(edge).some((q) => q.next_hop_domain === 'mbxserver01.contoso.com,mbxserver02.contoso.com' && q.status === 'Retry'), 15_000, 'the smart-host queue in Retry');
    const waiting = queues(edge).find((q) => q.next_hop_domain.startsWith('mbxserver01'))!;
    assert.match(waiting.last_error ?? '', /4\.\d\.\d/);
    mbxService = await startService(mbx);
    await until(() => queueRows(mbx).some((r) => r.subject === 'inbound'), 20_000, 'the message on MBX01');
    const got = queueRows(mbx).find((r) => r.subject === 'inbound')!;
    assert.equal(got.authenticatedAs, 'CONTOSO\\edgeauth');
    assert.ok(got.tls, 'delivered over TLS');
    assert.match(got.body, /^Received: from edge01\.contoso\.net /);
    // The Send protocol log of "To Internal Org" shows the session, with the credentials redacted.
    const folder = join(edge, 'Logs', 'ProtocolLog', 'SmtpSend');
    const log = readdirSync(folder)
      .filter((f) => /^SEND\d{8}-\d+\.LOG$/.test(f))
      .map((f) => readFileSync(join(folder, f), 'utf8'))
      .join('');
    assert.match(log, /#Log-type: SMTP Send Protocol Log/);
    assert.match(log, /,To Internal Org,[0-9A-F]{16},\d+,,127\.168\.30\.10:25,>,STARTTLS,/);
    assert.match(log, /,>,AUTH (PLAIN|LOGIN)( <redacted>)?,/);
    assert.ok(!log.includes(PASSWORD) && !log.includes(Buffer.from(PASSWORD).toString('base64')), 'no password in the Send protocol log');
  });

  it('gives no credentials to a smart host without STARTTLS and keeps the message in Retry saying why', async () => {
    assert.equal(fromOrganization('eve@partner.example', 'partner').status, 0);
    await until(() => queues(edge).some((q) => q.next_hop_domain === `[${NO_TLS}]` && q.status === 'Retry' && /STARTTLS/.test(q.last_error ?? '')), 15_000, 'the partner queue in Retry');
    assert.match(queues(edge).find((q) => q.next_hop_domain === `[${NO_TLS}]`)!.last_error!, /451 5\.7\.3 STARTTLS is required to send mail/);
    assert.ok(!noTlsLines.some((l) => /^AUTH/i.test(l)), `credentials were offered to a peer without TLS: ${noTlsLines.join(' | ')}`);
  });

  it("returns a 550 from the peer to the sender as an NDR carrying the peer's reply", async () => {
    assert.equal(fromOrganization('frank@reject.example', 'rejected').status, 0);
    await until(() => queueRows(mbx).some((r) => r.sender === '' && r.subject.includes('rejected')), 20_000, 'the NDR at MBX01');
    const ndr = queueRows(mbx).find((r) => r.sender === '' && r.subject.includes('rejected'))!;
    assert.deepEqual(ndr.recipients, ['alice@contoso.com']);
    assert.match(ndr.body, /Content-Type: multipart\/report; report-type=delivery-status/);
    assert.match(ndr.body, /frank@reject\.example/);
    assert.match(ndr.body, /Diagnostic-Code: smtp; ?5\d\d /);
  });

  it('fails a nonexistent domain with an NDR (5.4.4)', async () => {
    assert.equal(fromOrganization('gina@nowhere.example', 'nxdomain').status, 0);
    await until(() => queueRows(mbx).some((r) => r.sender === '' && r.subject.includes('nxdomain')), 20_000, 'the NDR for nowhere.example');
    assert.match(queueRows(mbx).find((r) => r.subject.includes('nxdomain'))!.body, /Status: 5\.4\.4/);
  });

  it('expires a message it cannot deliver after MessageExpirationTimeout, with an NDR (4.4.7)', async () => {
    const set = await gatehouse(['shell', '--data', edge, '-c', 'Set-TransportService EDGE01 -MessageExpirationTimeout 00:00:06']);
    assert.equal(set.code, 0, set.stderr);
    await mx2.stop(); // both MX hosts of fabrikam.com are down from now on
    assert.equal(fromOrganization('henry@fabrikam.com', 'expiring').status, 0);
    await until(() => queueRows(mbx).some((r) => r.sender === '' && r.subject.includes('expiring')), 30_000, 'the expiry NDR at MBX01');
    const ndr = queueRows(mbx).find((r) => r.sender === '' && r.subject.includes('expiring'))!;
    assert.match(ndr.body, /Status: 5\.4\.7/);
    assert.match(ndr.body, /QUEUE\.Expired/);
  });

  it('writes the connectivity log: resolution, every connection attempt and its TLS outcome, and what each session sent', () => {
    const folder = join(edge, 'Logs', 'Connectivity');
    const files = readdirSync(folder).filter((f) => /^CONNECTLOG\d{8}-\d+\.LOG$/.test(f));
    assert.ok(files.length > 0, `no CONNECTLOG file in ${folder}`);
    const text = files.map((f) => readFileSync(join(folder, f), 'utf8')).join('');
    assert.match(text, /^#Log-type: Transport Connectivity Log\r\n/m);
    assert.match(text, /^#Fields: date-time,session,source,Destination,direction,description\r\n/m);
    const rows = text
      .split('\r\n')
      .filter((l) => l && !l.startsWith('#'))
      .map(csvCells);
    const fabrikam = rows.filter((r) => r[3] === 'fabrikam.com');
    assert.ok(
      fabrikam.some((r) => r[4] === '+' && /^DnsConnectorDelivery To Internet;QueueLength=\d+/.test(r[5])),
      'a session opens with the queue',
    );
    assert.ok(
      fabrikam.some((r) => r[4] === '>' && r[5] === `DNS resolved to mx1.fabrikam.com[${MX1}],mx2.fabrikam.com[${MX2}]`),
      'the MX hosts in preference order',
    );
    assert.ok(
      fabrikam.some((r) => r[4] === '>' && r[5].startsWith(`Failed connection to mx1.fabrikam.com[${MX1}:25]`)),
      'the failed attempt while mx1 was down',
    );
    assert.ok(
      fabrikam.some((r) => r[4] === '>' && r[5] === `Established connection to mx2.fabrikam.com[${MX2}:25]`),
      'the failover connection',
    );
    assert.ok(
      fabrikam.some((r) => r[4] === '>' && r[5] === 'No TLS with mx2.fabrikam.com'),
      'smtp-sink offers no STARTTLS',
    );
    assert.ok(
      fabrikam.some((r) => r[4] === '-' && /^Messages: [1-9]\d* Bytes: [1-9]\d*/.test(r[5])),
      'a session that sent mail says how much',
    );
    const internal = rows.filter((r) => r[5]?.startsWith('TLS TLSv1.'));
    assert.ok(internal.length > 0, 'the authenticated smart-host connection to MBX01 is encrypted');
    assert.ok(
      rows.some((r) => r[3] === 'nowhere.example' && r[4] === '>' && r[5].startsWith('DNS resolution failed: ')),
      'a DNS failure is logged',
    );
    const sessions = new Map<string, string[]>();
    for (const r of rows) sessions.set(r[1], [...(sessions.get(r[1]) ?? []), r[4]]);
    for (const [id, directions] of sessions) {
      assert.equal(directions[0], '+', `session ${id} opens first`);
      assert.equal(directions.filter((d) => d === '-').length <= 1, true, `session ${id} closes once`);
    }
  });
});
