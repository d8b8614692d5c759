// The Edge's Address Rewriting agents against a running Edge, with swaks as
// the client and two Postfix smtp-sinks as the next hops (the inside for
// contoso.com, a smart host for the Internet): a message from the Mailbox
// servers to the Internet leaves with the external MAIL FROM and header
// addresses (closest entry first, exceptions kept, one rewrite per address),
// while Received, Message-ID and the body with its MIME parts and attached
// message are untouched; a message from the Internet gets its RCPT TO
// rewritten back, unless the entry is OutboundOnly; the agents follow
// Disable-TransportAgent live; and the cmdlets refuse bad entries in
// Exchange's terms.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configApplied } from './harness/config-applied.js';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';

const EDGE = '127.46.0.1';
const EDGE_INTERNAL = '127.46.0.2';
const PORT = 2527;
const INTERNET_CLIENT = '127.46.1.5';
const MAILBOX = '127.46.20.10';
/** The next hop inside (contoso.com). */
const INSIDE = '127.46.30.1';
/** The smart host every other domain goes to. */
const OUTSIDE = '127.46.40.1';

type Sink = Peer & { messages(): SinkMessage[] };

describe("the Edge's Address Rewriting agents", () => {
  const dir = scratchDir('address-rewriting');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService;
  let inside: Sink | undefined;
  let outside: Sink | undefined;

  const run = (lines: string[]) => gatehouse(['shell', '--data', edge, '-c', lines.join('\n')], { timeoutMs: 60_000 });
  const shell = async (lines: string[]) => {
    const r = await run(lines);
    assert.equal(r.code, 0, `${lines.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  /** Runs changes and waits until the service has applied them all. */
  const applied = async (lines: string[]) => {
    await shell(lines);
    await configApplied(service, edge, 20_000);
  };
  /** A whole message with swaks; the transcript. */
  const send = (o: { from: string; server: string; sender: string; to: string[]; subject: string; headers?: string[]; body?: string[] }) => {
    const file = join(dir.path, `${o.subject.replace(/\W+/g, '-')}.eml`);
    writeFileSync(file, [...(o.headers ?? []), `Subject: ${o.subject}`, '', ...(o.body ?? ['hello']), ''].join('\r\n'));
    const r = spawnSync('swaks', ['--server', `${o.server}:${PORT}`, '--local-interface', o.from, '--from', o.sender, '--to', o.to.join(','), '--data', file, '--timeout', '30'], { encoding: 'utf8', timeout: 60_000 });
    return r.stdout + r.stderr;
  };
  /** The message with that subject at a next hop, its lines ended with CRLF whatever smtp-sink wrote. */
  const delivered = async (sink: Sink, subject: string) => {
    const find = () =>
      sink
        .messages()
        .map((m) => ({ ...m, text: m.text.replace(/\r?\n/g, '\r\n') }))
        .find((m) => m.text.includes(`\r\nSubject: ${subject}\r\n`));
    await until(() => find() !== undefined, 30_000, `"${subject}" at the next hop`);
    return find()!;
  };
  /** The header block of a message as the next hop got it (smtp-sink's own X- lines dropped). */
  const headerOf = (m: SinkMessage) =>
    m.text
      .slice(0, m.text.indexOf('\r\n\r\n') + 2)
      .split('\r\n')
      .filter((l) => !/^X-(Mail|Rcpt)-Args:|^X-Client-/i.test(l))
      .join('\r\n');
  /** One header field, unfolded. */
  const field = (m: SinkMessage, name: string) => new RegExp(`^${name}:(.*(?:\\r\\n[ \\t].*)*)`, 'mi').exec(headerOf(m))?.[1].replace(/\r\n/g, '').trim();

  before(async () => {
    inside = await startSink(INSIDE, join(dir.path, 'inside'));
    outside = await startSink(OUTSIDE, join(dir.path, 'outside'));
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge]);
    assert.equal(setup.code, 0, setup.stderr);
    await shell([
      'New-AcceptedDomain Contoso -DomainName contoso.com | Out-Null',
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${EDGE}:${PORT} -TarpitInterval 00:00:00`,
      `New-ReceiveConnector -Name "From Internal Org" -Usage Internal -Bindings ${EDGE_INTERNAL}:${PORT} -RemoteIPRanges ${MAILBOX} -PermissionGroups AnonymousUsers,ExchangeServers -AuthMechanism ExternalAuthoritative | Out-Null`,
      `New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${INSIDE} | Out-Null`,
      `New-SendConnector -Name "To Internet" -Usage Internet -AddressSpaces * -DNSRoutingEnabled $false -SmartHosts ${OUTSIDE} | Out-Null`,
    ]);
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    await inside?.stop();
    await outside?.stop();
    dir.remove();
  });

  it('New-/Get-/Set-/Remove-AddressRewriteEntry, and the entries Exchange refuses', async () => {
    await applied([
      'New-AddressRewriteEntry "david" -InternalAddress david@contoso.com -ExternalAddress dave@northwindtraders.com | Out-Null',
      'New-AddressRewriteEntry -Name "contoso" -InternalAddress contoso.com -ExternalAddress northwindtraders.com | Out-Null',
      'New-AddressRewriteEntry -Name "sales" -InternalAddress sales.contoso.com -ExternalAddress sales-contoso.com -OutboundOnly $true | Out-Null',
      'New-AddressRewriteEntry -Name "flatten" -InternalAddress *.Contoso.com -ExternalAddress contoso.com -OutboundOnly $true -ExceptionList research.contoso.com | Out-Null',
      'New-AddressRewriteEntry -Name "scratch" -InternalAddress scratch.contoso.com -ExternalAddress fabrikam.com | Out-Null',
    ]);
    const listed = formatListRecords(await shell(['Get-AddressRewriteEntry | Format-List Name,InternalAddress,ExternalAddress,ExceptionList,OutboundOnly']));
    assert.deepEqual(listed, [
      { Name: 'contoso', InternalAddress: 'contoso.com', ExternalAddress: 'northwindtraders.com', ExceptionList: '{}', OutboundOnly: 'False' },
      { Name: 'david', InternalAddress: 'david@contoso.com', ExternalAddress: 'dave@northwindtraders.com', ExceptionList: '{}', OutboundOnly: 'False' },
      { Name: 'flatten', InternalAddress: '*.contoso.com', ExternalAddress: 'contoso.com', ExceptionList: '{research.contoso.com}', OutboundOnly: 'True' },
      { Name: 'sales', InternalAddress: 'sales.contoso.com', ExternalAddress: 'sales-contoso.com', ExceptionList: '{}', OutboundOnly: 'True' },
      { Name: 'scratch', InternalAddress: 'scratch.contoso.com', ExternalAddress: 'fabrikam.com', ExceptionList: '{}', OutboundOnly: 'False' },
    ]);
    const table = await shell(['Get-AddressRewriteEntry david']);
    assert.match(table, /^Name +InternalAddress +ExternalAddress +OutboundOnly/m);
    assert.match(table, /^david +david@contoso\.com +dave@northwindtraders\.com +False/m);

    await shell(['Set-AddressRewriteEntry scratch -Name "scratch2" -ExternalAddress fabrikam.net', 'Set-AddressRewriteEntry flatten -ExceptionList @{Add="corp.contoso.com"}']);
    assert.deepEqual(formatListRecords(await shell(['Get-AddressRewriteEntry scratch2 | Format-List ExternalAddress', 'Get-AddressRewriteEntry flatten | Format-List ExceptionList'])), [
      { ExternalAddress: 'fabrikam.net' },
      { ExceptionList: '{research.contoso.com, corp.contoso.com}' },
    ]);
    await shell(['Remove-AddressRewriteEntry scratch2 -Confirm:$false']);
    const gone = await run(['Get-AddressRewriteEntry scratch2']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /couldn't be found/);

    const refused = async (command: string, message: RegExp) => {
      const r = await run([command]);
      assert.notEqual(r.code, 0, command);
      assert.match(r.stderr, message, command);
    };
    await refused('New-AddressRewriteEntry x -InternalAddress *.fabrikam.com -ExternalAddress fabrikam.com', /can only be done in outbound mail: add -OutboundOnly \$true/);
    await refused('New-AddressRewriteEntry x -InternalAddress kim@contoso.com -ExternalAddress fabrikam.com', /kim@contoso\.com is an email address, so ExternalAddress must be an email address too/);
    await refused('New-AddressRewriteEntry x -InternalAddress fabrikam.com -ExternalAddress kim@fabrikam.net', /is a domain, so ExternalAddress must be a single domain/);
    await refused('New-AddressRewriteEntry x -InternalAddress fabrikam.com -ExternalAddress *.fabrikam.net', /the wildcard character \(\*\) can't be used in ExternalAddress/);
    await refused('New-AddressRewriteEntry x -InternalAddress fabrikam.com -ExternalAddress fabrikam.net -ExceptionList a.fabrikam.com', /ExceptionList only applies when InternalAddress is a domain with all its subdomains/);
    await refused('New-AddressRewriteEntry x -InternalAddress *.fabrikam.com -ExternalAddress fabrikam.net -OutboundOnly $true -ExceptionList contoso.com', /contoso\.com is not within \*\.fabrikam\.com/);
    await refused('New-AddressRewriteEntry x -InternalAddress "not an address@" -ExternalAddress fabrikam.net', /InternalAddress "not an address@" is not a valid email address/);
    await refused('New-AddressRewriteEntry david -InternalAddress fabrikam.com -ExternalAddress fabrikam.net', /The address rewrite entry "david" already exists/);
    await refused('New-AddressRewriteEntry x -InternalAddress Contoso.com -ExternalAddress fabrikam.net', /The address rewrite entry "contoso" already rewrites contoso\.com/);
    await refused('Set-AddressRewriteEntry flatten -OutboundOnly $false', /can only be done in outbound mail/);
    await refused('Get-AddressRewriteEntry -DomainController dc01.contoso.com', /The DomainController parameter isn't supported on Edge Transport servers/);
    assert.equal(formatListRecords(await shell(['Get-AddressRewriteEntry | Format-List Name'])).length, 4, 'nothing refused was stored');
  });

  it('outbound: MAIL FROM and the header fields leave with the external addresses; Received, Message-ID and the body do not change', async () => {
    const long = Array.from({ length: 45 }, (_, i) => `user${i}@contoso.com`);
    const transcript = send({
      from: MAILBOX,
      server: EDGE_INTERNAL,
      sender: 'david@contoso.com',
      to: ['friend@fabrikam.com'],
      subject: 'ar outbound',
      headers: [
        'Received: from mbx01.contoso.com (127.46.20.10) by mbx01.contoso.com with ESMTP id 1 for <david@contoso.com>; Mon, 1 Jan 2024 00:00:00 +0000',
        'Message-ID: <m1.david@contoso.com>',
        'From: "David Jones" <david@contoso.com>',
        'To: friend@fabrikam.com, kim@hr.contoso.com',
        'Cc: Lee <lee@research.contoso.com>, pat@sales.contoso.com,',
        ' "ann@contoso.com" <ann@contoso.com>',
        'Reply-To: david@contoso.com',
        'Resent-From: jo@corp.contoso.com',
        `Disposition-Notification-To: ${long.join(',')}`,
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
      ],
      body: ['--b1', 'Content-Type: text/plain', '', 'Write to david@contoso.com', '--b1', 'Content-Type: message/rfc822', '', 'From: david@contoso.com', 'To: kim@hr.contoso.com', 'Subject: inner', '', 'inner body', '--b1--'],
    });
    assert.match(transcript, /<- +250 2\.6\.0/);
    const m = await delivered(outside!, 'ar outbound');
    assert.equal(m.mailFrom, 'dave@northwindtraders.com', 'MAIL FROM: the address entry');
    assert.deepEqual(m.rcptTo, ['friend@fabrikam.com'], 'recipients outside are never rewritten');
    assert.equal(field(m, 'From'), '"David Jones" <dave@northwindtraders.com>');
    assert.equal(field(m, 'To'), 'friend@fabrikam.com, kim@contoso.com', '*.contoso.com flattening, one rewrite only');
    assert.equal(field(m, 'Cc'), 'Lee <lee@research.contoso.com>, pat@sales-contoso.com, "ann@contoso.com" <ann@northwindtraders.com>', 'an exception; a domain entry before flattening; the display name kept');
    assert.equal(field(m, 'Reply-To'), 'dave@northwindtraders.com');
    assert.equal(field(m, 'Resent-From'), 'jo@corp.contoso.com', 'an exception added with Set-AddressRewriteEntry');
    assert.deepEqual(
      field(m, 'Disposition-Notification-To')!
        .split(',')
        .map((s) => s.trim()),
      long.map((a) => a.replace('@contoso.com', '@northwindtraders.com')),
    );
    const header = headerOf(m);
    assert.ok(
      header.split('\r\n').every((l) => l.length <= 998),
      'the longer field was folded again',
    );
    assert.equal(field(m, 'Message-ID'), '<m1.david@contoso.com>');
    assert.match(header, /^Received: from mbx01\.contoso\.com \(127\.46\.20\.10\) by mbx01\.contoso\.com with ESMTP id 1 for <david@contoso\.com>;/m);
    const body = m.text.slice(m.text.indexOf('\r\n\r\n'));
    assert.match(body, /Write to david@contoso\.com/);
    assert.match(body, /\r\nFrom: david@contoso\.com\r\nTo: kim@hr\.contoso\.com\r\nSubject: inner\r\n/, 'the attached message is untouched');

    // A message from inside to inside, and one from the Internet, are not outbound.
    assert.match(send({ from: MAILBOX, server: EDGE_INTERNAL, sender: 'david@contoso.com', to: ['ann@contoso.com'], subject: 'ar internal', headers: ['From: david@contoso.com'] }), /<- +250 2\.6\.0/);
    const internal = await delivered(inside!, 'ar internal');
    assert.equal(internal.mailFrom, 'david@contoso.com');
    assert.equal(field(internal, 'From'), 'david@contoso.com');

    await applied(['Disable-TransportAgent "Address Rewriting Outbound Agent"']);
    assert.match(send({ from: MAILBOX, server: EDGE_INTERNAL, sender: 'david@contoso.com', to: ['friend@fabrikam.com'], subject: 'ar disabled', headers: ['From: david@contoso.com'] }), /<- +250 2\.6\.0/);
    const disabled = await delivered(outside!, 'ar disabled');
    assert.equal(disabled.mailFrom, 'david@contoso.com');
    assert.equal(field(disabled, 'From'), 'david@contoso.com');
    await applied(['Enable-TransportAgent "Address Rewriting Outbound Agent"']);
    assert.match(send({ from: MAILBOX, server: EDGE_INTERNAL, sender: 'kim@hr.contoso.com', to: ['friend@fabrikam.com'], subject: 'ar enabled', headers: ['From: kim@hr.contoso.com'] }), /<- +250 2\.6\.0/);
    const enabled = await delivered(outside!, 'ar enabled');
    assert.equal(enabled.mailFrom, 'kim@contoso.com');
    assert.equal(field(enabled, 'From'), 'kim@contoso.com');
  });

  it('inbound: RCPT TO is rewritten back to the internal address, headers are not; OutboundOnly entries are not used', async () => {
    const transcript = send({
      from: INTERNET_CLIENT,
      server: EDGE,
      sender: 'friend@fabrikam.com',
      to: ['dave@northwindtraders.com', 'Jo@NorthwindTraders.com', 'ann@contoso.com'],
      subject: 'ar inbound',
      headers: ['From: friend@fabrikam.com', 'To: dave@northwindtraders.com, Jo@NorthwindTraders.com', 'Cc: david@contoso.com'],
    });
    assert.match(transcript, /<- +250 2\.6\.0/);
    const m = await delivered(inside!, 'ar inbound');
    assert.deepEqual(m.rcptTo, ['david@contoso.com', 'Jo@contoso.com', 'ann@contoso.com']);
    assert.equal(field(m, 'To'), 'dave@northwindtraders.com, Jo@NorthwindTraders.com', 'inbound, only the envelope');
    assert.equal(field(m, 'Cc'), 'david@contoso.com', 'mail from the Internet gets no outbound rewrite');
    assert.equal(m.mailFrom, 'friend@fabrikam.com');

    // sales-contoso.com is OutboundOnly: not rewritten back, and not a domain of this organization.
    const outboundOnly = spawnSync('swaks', ['--server', `${EDGE}:${PORT}`, '--local-interface', INTERNET_CLIENT, '--from', 'friend@fabrikam.com', '--to', 'pat@sales-contoso.com', '--quit-after', 'RCPT', '--timeout', '20'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.match(outboundOnly.stdout, /RCPT TO:<pat@sales-contoso\.com>\n<\*\* +550 5\.7\.1 Unable to relay/);

    await applied(['Set-AddressRewriteEntry contoso -OutboundOnly $true']);
    const r = spawnSync(
      'swaks',
      ['--server', `${EDGE}:${PORT}`, '--local-interface', INTERNET_CLIENT, '--from', 'friend@fabrikam.com', '--to', 'jo@northwindtraders.com,dave@northwindtraders.com', '--quit-after', 'RCPT', '--timeout', '20'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.match(r.stdout, /RCPT TO:<jo@northwindtraders\.com>\n<\*\* +550 5\.7\.1 Unable to relay/, 'the domain entry no longer works inbound');
    assert.match(r.stdout, /RCPT TO:<dave@northwindtraders\.com>\n<- +250 2\.1\.5/, 'the address entry still does');
    await service.waitFor((l) => l.event === 'agent.address-rewriting.inbound' && l.recipient === 'dave@northwindtraders.com' && l.rewrittenTo === 'david@contoso.com', 10_000, 'the inbound rewrite in the service log');
  });
});
