// The Edge's anti-spam agents against a running Edge, with swaks as the
// client and dnsmasq as the DNS server of a DNS block list: the Sender Filter
// at MAIL FROM, the Recipient Filter's block list and Connection Filtering
// (IP Block list, IP Allow list, a block list provider, and a provider that
// fails) at RCPT TO. Each case checks the SMTP reply, the AGENTLOG line and
// Get-AgentLog; the agents follow Disable-/Enable-TransportAgent live, and
// the Mailbox servers' connector, which bypasses anti-spam, is not filtered.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { readAgentLog } from './harness/agent-log.js';
import { configApplied } from './harness/config-applied.js';

const EDGE = '127.44.0.1';
const EDGE_INTERNAL = '127.44.0.2';
const DNS = '127.44.0.53';
const DNS_PORT = 5361;
const CLEAN = '127.44.1.5';
const BLOCKED_NET = '127.44.9.0/24';
const BLOCKED = '127.44.9.7';
const ALLOWED_INSIDE_BLOCKED = '127.44.9.8';
const LISTED = '127.44.10.7';
const MAILBOX = '127.44.20.10';
/** A client that harvests addresses, until sender reputation blocks it. */
const HARVESTER = '127.44.13.7';
/** The next hop inside (smtp-sink), where the stamps are read. */
const INSIDE = '127.44.30.1';

describe("the Edge's anti-spam agents", () => {
  const dir = scratchDir('edge-agents');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService;
  let dns: Peer | undefined;
  let sink: (Peer & { messages(): SinkMessage[] }) | undefined;

  const shell = async (lines: string[]) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', lines.join('\n')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${lines.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  /** Runs changes, then waits until the service has applied the store's last change. */
  const applied = async (lines: string[]) => {
    await shell(lines);
    await configApplied(service, edge, 20_000);
  };
  /** One swaks session up to RCPT TO; its transcript. */
  const swaks = (from: string, sender: string, to: string, server = EDGE) => {
    const r = spawnSync('swaks', ['--server', `${server}:2525`, '--local-interface', from, '--from', sender, '--to', to, '--quit-after', 'RCPT', '--timeout', '20'], { encoding: 'utf8', timeout: 60_000 });
    return r.stdout + r.stderr;
  };
  const agentLog = () => readAgentLog(edge);

  before(async () => {
    dns = await startDnsmasq(
      DNS,
      DNS_PORT,
      ['bl.test.example', 'allow.test.example'],
      [
        `--host-record=7.10.44.127.bl.test.example,127.0.0.2`,
        // A DNS list whose server is broken: dnsmasq forwards its zone to a port nothing answers on.
        '--server=/broken.test.example/127.44.0.99#5399',
        // SPF: a domain that sends from CLEAN only, one that sends from nowhere, one that only softfails.
        `--txt-record=pass.test.example,v=spf1 ip4:${CLEAN} -all`,
        '--txt-record=fail.test.example,v=spf1 -all',
        '--txt-record=soft.test.example,v=spf1 ~all',
      ],
    );
    sink = await startSink(INSIDE, join(dir.path, 'sink'));
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge]);
    assert.equal(setup.code, 0, setup.stderr);
    await shell([
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${EDGE}:2525 -TarpitInterval 00:00:00`,
      `New-ReceiveConnector -Name "From Internal Org" -Usage Internal -Bindings ${EDGE_INTERNAL}:2525 -RemoteIPRanges ${MAILBOX} -PermissionGroups AnonymousUsers,ExchangeServers -AuthMechanism ExternalAuthoritative | Out-Null`,
      `Set-TransportService EDGE01 -ExternalDNSServers ${DNS}:${DNS_PORT} -ExternalDNSAdapterEnabled $false`,
      `New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${INSIDE} | Out-Null`,
    ]);
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    await dns?.stop();
    await sink?.stop();
    dir.remove();
  });

  it("lists the agents it runs with Exchange's names, each enabled, in Exchange's order", async () => {
    const agents = formatListRecords(await shell(['Get-TransportAgent | Format-List Identity,Enabled,Priority']));
    assert.deepEqual(agents, [
      { Identity: 'Connection Filtering Agent', Enabled: 'True', Priority: '1' },
      { Identity: 'Address Rewriting Inbound Agent', Enabled: 'True', Priority: '2' },
      { Identity: 'Content Filter Agent', Enabled: 'True', Priority: '3' },
      { Identity: 'Sender Id Agent', Enabled: 'True', Priority: '4' },
      { Identity: 'Sender Filter Agent', Enabled: 'True', Priority: '5' },
      { Identity: 'Recipient Filter Agent', Enabled: 'True', Priority: '6' },
      { Identity: 'Protocol Analysis Agent', Enabled: 'True', Priority: '7' },
      { Identity: 'Attachment Filtering Agent', Enabled: 'True', Priority: '8' },
      { Identity: 'Address Rewriting Outbound Agent', Enabled: 'True', Priority: '9' },
      { Identity: 'DMARC Agent', Enabled: 'True', Priority: '10' },
    ]);
    const moved = formatListRecords(await shell(['Set-TransportAgent "Recipient Filter Agent" -Priority 2', 'Get-TransportAgent | Format-List Identity,Priority']));
    assert.deepEqual(
      moved.map((a) => a.Identity),
      [
        'Connection Filtering Agent',
        'Recipient Filter Agent',
        'Address Rewriting Inbound Agent',
        'Content Filter Agent',
        'Sender Id Agent',
        'Sender Filter Agent',
        'Protocol Analysis Agent',
        'Attachment Filtering Agent',
        'Address Rewriting Outbound Agent',
        'DMARC Agent',
      ],
    );
    const unknown = await gatehouse(['shell', '--data', edge, '-c', 'Enable-TransportAgent "Edge Rule Agent"']);
    assert.notEqual(unknown.code, 0);
    assert.match(
      unknown.stderr,
      /The transport agent "Edge Rule Agent" doesn't exist\. The agents are: Connection Filtering Agent, Address Rewriting Inbound Agent, Content Filter Agent, Sender Id Agent, Sender Filter Agent, Recipient Filter Agent, Protocol Analysis Agent, Attachment Filtering Agent, Address Rewriting Outbound Agent, DMARC Agent/,
    );
  });

  it('Sender Filter: a blocked sender and the blank sender get 554 5.1.0 Sender Denied at MAIL FROM, logged; the filter follows Disable-TransportAgent live', async () => {
    await applied(['Set-SenderFilterConfig -BlockedSenders spammer@fabrikam.com -BlockedDomainsAndSubdomains spam.example -BlankSenderBlockingEnabled $true']);
    const blocked = swaks(CLEAN, 'spammer@fabrikam.com', 'alice@contoso.com');
    assert.match(blocked, /<\*\* +554 5\.1\.0 Sender Denied/);
    assert.match(swaks(CLEAN, 'news@mail.spam.example', 'alice@contoso.com'), /<\*\* +554 5\.1\.0 Sender Denied/);
    assert.match(swaks(CLEAN, '<>', 'alice@contoso.com'), /<\*\* +554 5\.1\.0 Sender Denied/);
    assert.match(swaks(CLEAN, 'friend@fabrikam.com', 'alice@contoso.com'), /<- +250 2\.1\.5/);
    await until(() => /Sender Filter Agent,OnMailCommand,RejectCommand,554 5\.1\.0 Sender Denied,BlockedSender,BlockedSenders: spammer@fabrikam\.com/.test(agentLog()), 10_000, 'the agent log line');
    assert.match(agentLog(), /^#Log-type: Agent Log\r?$/m);
    assert.match(agentLog(), new RegExp(`,${CLEAN.replace(/\./g, '\\.')}:\\d+,${CLEAN.replace(/\./g, '\\.')},,spammer@fabrikam\\.com,`));
    const logged = formatListRecords(await shell(['Get-AgentLog -StartDate (Get-Date).AddHours(-1) | Where-Object { $_.Agent -eq "Sender Filter Agent" } | Format-List P1FromAddress,Event,Action,Reason']));
    assert.deepEqual(logged.map((l) => l.P1FromAddress).sort(), ['', 'news@mail.spam.example', 'spammer@fabrikam.com']);
    assert.ok(logged.every((l) => l.Event === 'OnMailCommand' && l.Action === 'RejectCommand'));

    await applied(['Disable-TransportAgent "Sender Filter Agent"']);
    assert.match(swaks(CLEAN, 'spammer@fabrikam.com', 'alice@contoso.com'), /<- +250 2\.1\.5/);
    await applied(['Enable-TransportAgent "Sender Filter Agent"']);
    assert.match(swaks(CLEAN, 'spammer@fabrikam.com', 'alice@contoso.com'), /<\*\* +554 5\.1\.0 Sender Denied/);
    // The Mailbox servers' connector bypasses anti-spam (ExchangeServers, ExternalAuthoritative).
    assert.match(swaks(MAILBOX, 'spammer@fabrikam.com', 'kim@fabrikam.com', EDGE_INTERNAL), /<- +250 2\.1\.5/);
  });

  it('Recipient Filter: a blocked recipient gets 550 5.1.1 User unknown, the others are accepted', async () => {
    await applied(['Set-RecipientFilterConfig -BlockListEnabled $true -BlockedRecipients ceo@contoso.com']);
    const r = spawnSync('swaks', ['--server', `${EDGE}:2525`, '--local-interface', CLEAN, '--from', 'friend@fabrikam.com', '--to', 'ceo@contoso.com,alice@contoso.com', '--quit-after', 'RCPT', '--timeout', '20'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.match(r.stdout, /RCPT TO:<ceo@contoso\.com>\n<\*\* +550 5\.1\.1 User unknown/);
    assert.match(r.stdout, /RCPT TO:<alice@contoso\.com>\n<- +250 2\.1\.5/);
    await until(() => /Recipient Filter Agent,OnRcptCommand,RejectCommand,550 5\.1\.1 User unknown,RecipientBlockList,ceo@contoso\.com/.test(agentLog()), 10_000, 'the recipient filter line');
  });

  it('Connection Filtering: the IP Block list and a DNS block list refuse at RCPT TO; the IP Allow list wins; a broken DNS list blocks nothing', async () => {
    await applied([
      `Add-IPBlockListEntry -IPRange ${BLOCKED_NET} -Comment "spam source" | Out-Null`,
      `Add-IPAllowListEntry -IPAddress ${ALLOWED_INSIDE_BLOCKED} | Out-Null`,
      'Add-IPBlockListProvider -Name TestBL -LookupDomain bl.test.example -IPAddressesMatch 127.0.0.2 -RejectionResponse "Your address is listed by TestBL" | Out-Null',
      'Add-IPBlockListProvider -Name BrokenBL -LookupDomain broken.test.example -AnyMatch $true | Out-Null',
      'Set-IPBlockListProvidersConfig -BypassedRecipients postmaster@contoso.com',
    ]);
    const blocked = swaks(BLOCKED, 'friend@fabrikam.com', 'alice@contoso.com');
    assert.match(blocked, /<\*\* +550 5\.7\.1 External client with IP address is not permitted to submit mail to this server\./);
    const listed = swaks(LISTED, 'friend@fabrikam.com', 'alice@contoso.com');
    assert.match(listed, /<\*\* +550 5\.7\.1 Your address is listed by TestBL/);
    assert.match(swaks(LISTED, 'friend@fabrikam.com', 'postmaster@contoso.com'), /<- +250 2\.1\.5/, 'a bypassed recipient still gets mail from a listed client');
    // The whole message to the bypassed recipient: the listing counts towards its SCL.
    const whole = spawnSync('swaks', ['--server', `${EDGE}:2525`, '--local-interface', LISTED, '--from', 'friend@fabrikam.com', '--to', 'postmaster@contoso.com', '--header', 'Subject: listed but bypassed', '--timeout', '30'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.match(whole.stdout, /<- +250 2\.6\.0/, whole.stdout + whole.stderr);
    await until(() => /Content Filter Agent,OnEndOfData,AcceptMessage,,SCL \d,[^\r\n]*client listed by TestBL \(\+5\)/.test(agentLog()), 20_000, 'the content filter counting the listing');
    await until(() => sink!.messages().some((m) => m.text.includes('Subject: listed but bypassed')), 30_000, 'the message at the next hop');
    const listedScl = Number(/^X-MS-Exchange-Organization-SCL: (\d)/m.exec(sink!.messages().find((m) => m.text.includes('Subject: listed but bypassed'))!.text)?.[1]);
    assert.ok(listedScl >= 5, `SCL ${listedScl}`);
    assert.match(swaks(ALLOWED_INSIDE_BLOCKED, 'spammer@fabrikam.com', 'alice@contoso.com'), /<- +250 2\.1\.5/, 'the IP Allow list skips the other agents, the sender filter included');
    assert.match(swaks(CLEAN, 'friend@fabrikam.com', 'alice@contoso.com'), /<- +250 2\.1\.5/, 'a client no list names, while BrokenBL does not answer');
    await service.waitFor((l) => l.event === 'agent.connection-filter.unanswered' && Array.isArray(l.providers) && (l.providers as string[]).includes('BrokenBL'), 20_000, 'the unanswered provider');

    const log = agentLog();
    assert.match(log, /Connection Filtering Agent,OnRcptCommand,RejectCommand,550 5\.7\.1 External client with IP address is not permitted to submit mail to this server\.,LocalBlockList,IP Block list entry 1 \(127\.44\.9\.0\/24\)/);
    assert.match(log, /Connection Filtering Agent,OnRcptCommand,RejectCommand,550 5\.7\.1 Your address is listed by TestBL,BlockListProvider,TestBL: 127\.0\.0\.2/);
    assert.match(log, /Connection Filtering Agent,OnConnectEvent,AcceptMessage,,LocalAllowList,IP Allow list entry 1/);
    const test = formatListRecords(await shell([`Test-IPBlockListProvider TestBL -IPAddress ${LISTED} | Format-List Matched,ProviderResult`, `Test-IPBlockListProvider TestBL -IPAddress ${CLEAN} | Format-List Matched,ProviderResult`]));
    assert.deepEqual(test, [
      { Matched: 'True', ProviderResult: '127.0.0.2' },
      { Matched: 'False', ProviderResult: 'not listed' },
    ]);
  });

  it("Sender ID: SPF (mailauth, through the Edge's DNS) is stamped at the next hop, a forged stamp from outside is dropped, and Fail and TempError follow their actions", async () => {
    /** A whole message from CLEAN; the transcript. */
    const send = (sender: string, subject: string) => {
      const r = spawnSync(
        'swaks',
        [
          '--server',
          `${EDGE}:2525`,
          '--local-interface',
          CLEAN,
          '--from',
          sender,
          '--to',
          'alice@contoso.com',
          '--header',
          `Subject: ${subject}`,
          '--header',
          'X-MS-Exchange-Organization-SenderIdResult: Pass',
          '--body',
          'sender id',
          '--timeout',
          '30',
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      return r.stdout + r.stderr;
    };
    const delivered = async (subject: string) => {
      await until(() => sink!.messages().some((m) => m.text.includes(`Subject: ${subject}`)), 30_000, `"${subject}" at the next hop`);
      return sink!.messages().find((m) => m.text.includes(`Subject: ${subject}`))!.text;
    };
    assert.match(send('news@pass.test.example', 'spf pass'), /<- +250 2\.6\.0/);
    const pass = await delivered('spf pass');
    assert.match(pass, /^Received-SPF: pass \([^)]*\) client-ip=127\.44\.1\.5;/m);
    assert.match(pass, /^Authentication-Results: edge01\.contoso\.net; spf=pass \([^)]*\) smtp\.mailfrom=news@pass\.test\.example/m);
    assert.deepEqual(
      [...pass.matchAll(/^X-MS-Exchange-Organization-SenderIdResult: (.*)$/gm)].map((m) => m[1].trim()),
      ['Pass'],
      "only the Edge's own stamp",
    );

    assert.match(send('news@soft.test.example', 'spf softfail'), /<- +250 2\.6\.0/);
    assert.match(await delivered('spf softfail'), /^X-MS-Exchange-Organization-SenderIdResult: SoftFail\r?$/m);
    assert.match(send('news@fail.test.example', 'spf fail stamped'), /<- +250 2\.6\.0/);
    assert.match(await delivered('spf fail stamped'), /^Received-SPF: fail /m);

    await applied(['Set-SenderIdConfig -SpoofedDomainAction Reject -TempErrorAction Reject']);
    assert.match(send('news@fail.test.example', 'spf fail rejected'), /<\*\* +550 5\.7\.1 Sender ID check failed: fail\.test\.example does not designate 127\.44\.1\.5 as a permitted sender/);
    assert.match(send('news@mail.broken.test.example', 'spf temperror'), /<\*\* +451 4\.4\.3 Sender ID check of mail\.broken\.test\.example could not be completed \(TempError\)/);
    await until(() => /Sender Id Agent,OnEndOfHeaders,RejectMessage,550 5\.7\.1 Sender ID check failed.*,SenderIdStatus Fail,fail\.test\.example/.test(agentLog()), 10_000, 'the Sender ID line');
    assert.match(agentLog(), /Sender Id Agent,OnEndOfHeaders,AcceptMessage,,SenderIdStatus Pass,pass\.test\.example/);
    await applied(['Set-SenderIdConfig -BypassedSenderDomains fail.test.example']);
    assert.match(send('news@fail.test.example', 'spf bypassed'), /<- +250 2\.6\.0/);
    assert.doesNotMatch(await delivered('spf bypassed'), /^Received-SPF:/m);
  });

  it("Content Filter: the custom words and the other agents' evidence give the SCL, stamped at the next hop; reject and quarantine follow the thresholds", async () => {
    /** A whole message from CLEAN, its text in base64 (the filter reads the decoded text). */
    const send = (sender: string, subject: string, text: string) => {
      const file = join(dir.path, `${subject.replace(/\W+/g, '-')}.eml`);
      writeFileSync(
        file,
        [`From: ${sender}`, 'To: alice@contoso.com', `Subject: ${subject}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', Buffer.from(text, 'utf8').toString('base64'), ''].join(
          '\r\n',
        ),
      );
      const r = spawnSync('swaks', ['--server', `${EDGE}:2525`, '--local-interface', CLEAN, '--from', sender, '--to', 'alice@contoso.com', '--data', file, '--timeout', '30'], { encoding: 'utf8', timeout: 60_000 });
      return r.stdout + r.stderr;
    };
    const delivered = async (subject: string) => {
      await until(() => sink!.messages().some((m) => m.text.includes(`Subject: ${subject}`)), 30_000, `"${subject}" at the next hop`);
      return sink!.messages().find((m) => m.text.includes(`Subject: ${subject}`))!;
    };
    const scl = (text: string) => /^X-MS-Exchange-Organization-SCL: (-?\d+)\r?$/m.exec(text)?.[1];
    await applied(['Add-ContentFilterPhrase "cheap pills" -Influence BadWord | Out-Null', 'Add-ContentFilterPhrase -Phrase "Project Contoso" -Influence GoodWord | Out-Null']);
    assert.deepEqual(formatListRecords(await shell(['Get-ContentFilterPhrase | Format-List Phrase,Influence'])), [
      { Phrase: 'cheap pills', Influence: 'BadWord' },
      { Phrase: 'Project Contoso', Influence: 'GoodWord' },
    ]);

    assert.match(send('news@pass.test.example', 'cf badword', 'Buy CHEAP PILLS today'), /<- +250 2\.6\.0/);
    const bad = (await delivered('cf badword')).text;
    assert.equal(scl(bad), '9');
    assert.match(bad, /^X-MS-Exchange-Organization-Antispam-Report: CW:CustomList\r?$/m);
    assert.match(send('news@pass.test.example', 'cf goodword', 'Project Contoso news, and cheap pills'), /<- +250 2\.6\.0/);
    assert.equal(scl((await delivered('cf goodword')).text), '0', 'a GoodWord wins');
    assert.match(send('news@soft.test.example', 'cf softfail', 'hello'), /<- +250 2\.6\.0/);
    assert.equal(scl((await delivered('cf softfail')).text), '3', 'SPF SoftFail');

    const noMailbox = await gatehouse(['shell', '--data', edge, '-c', 'Set-ContentFilterConfig -SCLQuarantineEnabled $true']);
    assert.match(noMailbox.stderr, /SCLQuarantineEnabled \$true needs a QuarantineMailbox/);
    await applied(['Set-ContentFilterConfig -SCLRejectEnabled $true -SCLRejectThreshold 7 -SCLQuarantineEnabled $true -SCLQuarantineThreshold 3 -QuarantineMailbox spam@contoso.com']);
    assert.match(send('news@pass.test.example', 'cf rejected', 'cheap pills again'), /<\*\* +550 5\.7\.1 Message rejected due to content restrictions/);
    assert.match(send('news@soft.test.example', 'cf quarantined', 'hello again'), /<- +250 2\.6\.0/);
    const quarantined = await delivered('cf quarantined');
    assert.deepEqual(quarantined.rcptTo, ['spam@contoso.com'], 'the quarantine mailbox instead of alice');
    // The reason holds quotes, so the CSV cell is quoted.
    await until(() => /Content Filter Agent,OnEndOfData,RejectMessage,550 5\.7\.1 Message rejected due to content restrictions,SCL 9,"BadWord ""cheap pills"""/.test(agentLog()), 10_000, 'the reject line');
    const decisions = formatListRecords(await shell(['Get-AgentLog | Where-Object { $_.Agent -eq "Content Filter Agent" -and $_.Action -eq "RejectMessage" } | Format-List P1FromAddress,Recipient,Reason,ReasonData']));
    assert.deepEqual(decisions, [{ P1FromAddress: 'news@pass.test.example', Recipient: 'alice@contoso.com', Reason: 'SCL 9', ReasonData: 'BadWord "cheap pills"' }]);
    assert.match(agentLog(), /Content Filter Agent,OnEndOfData,QuarantineMessage,,SCL 3,SenderIdStatus SoftFail \(\+3\); to spam@contoso\.com/);

    await applied(['Set-ContentFilterConfig -BypassedSenders news@pass.test.example']);
    assert.match(send('news@pass.test.example', 'cf bypassed', 'cheap pills'), /<- +250 2\.6\.0/);
    assert.equal(scl((await delivered('cf bypassed')).text), '-1');
  });

  it('Attachment Filtering: a listed file name or content type, also inside an attached message, is refused (or dropped); other attachments and the excepted connector pass', async () => {
    const mime = (subject: string, parts: { name: string; type: string; body: string }[]) =>
      [
        'From: friend@pass.test.example',
        'To: alice@contoso.com',
        `Subject: ${subject}`,
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain',
        '',
        'see attached',
        ...parts.flatMap((p) => [
          '--b1',
          `Content-Type: ${p.type}; name="${p.name}"`,
          `Content-Disposition: attachment; filename="${p.name}"`,
          ...(p.type === 'message/rfc822' ? ['', p.body] : ['Content-Transfer-Encoding: base64', '', Buffer.from(p.body).toString('base64')]),
        ]),
        '--b1--',
        '',
      ].join('\r\n');
    const send = (subject: string, parts: { name: string; type: string; body: string }[], from = CLEAN, server = EDGE, to = 'alice@contoso.com') => {
      const file = join(dir.path, `${subject.replace(/\W+/g, '-')}.eml`);
      writeFileSync(file, mime(subject, parts));
      const r = spawnSync('swaks', ['--server', `${server}:2525`, '--local-interface', from, '--from', 'friend@pass.test.example', '--to', to, '--data', file, '--timeout', '30'], { encoding: 'utf8', timeout: 60_000 });
      return r.stdout + r.stderr;
    };
    await applied(['Add-AttachmentFilterEntry -Name *.exe -Type FileName | Out-Null', 'Add-AttachmentFilterEntry -Name application/x-msdownload -Type ContentType | Out-Null']);
    assert.deepEqual(
      formatListRecords(await shell(['Get-AttachmentFilterEntry | Format-List Identity'])).map((e) => e.Identity),
      ['ContentType:application/x-msdownload', 'FileName:*.exe'],
    );

    assert.match(send('att exe', [{ name: 'Invoice.EXE', type: 'application/octet-stream', body: 'MZ...' }]), /<\*\* +550 5\.7\.1 Message rejected due to unacceptable attachments/);
    assert.match(send('att type', [{ name: 'setup.bin', type: 'application/x-msdownload', body: 'MZ...' }]), /<\*\* +550 5\.7\.1 Message rejected due to unacceptable attachments/);
    const inner = [
      'From: x@pass.test.example',
      'Subject: inner',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b2"',
      '',
      '--b2',
      'Content-Type: text/plain',
      '',
      'inner text',
      '--b2',
      'Content-Type: application/octet-stream; name="tool.exe"',
      'Content-Disposition: attachment; filename="tool.exe"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('MZ').toString('base64'),
      '--b2--',
      '',
    ].join('\r\n');
    assert.match(send('att nested', [{ name: 'forwarded.eml', type: 'message/rfc822', body: inner }]), /<\*\* +550 5\.7\.1 Message rejected due to unacceptable attachments/);
    await until(
      () =>
        /Attachment Filtering Agent,OnEndOfData,RejectMessage,550 5\.7\.1 Message rejected due to unacceptable attachments,AttachmentFilterEntry,FileName:\*\.exe matched tool\.exe \(in the attached message forwarded\.eml\)/.test(
          agentLog(),
        ),
      10_000,
      'the nested attachment line',
    );
    assert.match(agentLog(), /Attachment Filtering Agent,OnEndOfData,RejectMessage,[^,]*,AttachmentFilterEntry,FileName:\*\.exe matched Invoice\.EXE/);

    assert.match(send('att pdf', [{ name: 'report.pdf', type: 'application/pdf', body: '%PDF-1.4' }]), /<- +250 2\.6\.0/);
    assert.match(send('att internal', [{ name: 'patch.exe', type: 'application/octet-stream', body: 'MZ' }], MAILBOX, EDGE_INTERNAL), /<\*\* +550 5\.7\.1/, "the Mailbox servers' mail is filtered too, until its connector is excepted");
    await applied(['Set-AttachmentFilterListConfig -Action SilentDelete -ExceptionConnectors "From Internal Org"']);
    assert.match(send('att internal again', [{ name: 'patch.exe', type: 'application/octet-stream', body: 'MZ' }], MAILBOX, EDGE_INTERNAL), /<- +250 2\.6\.0/);
    assert.match(send('att dropped', [{ name: 'run.exe', type: 'application/octet-stream', body: 'MZ' }]), /<- +250 2\.6\.0/, 'SilentDelete: the client is told 250');
    assert.match(send('att after', [{ name: 'notes.txt', type: 'text/plain', body: 'fine' }]), /<- +250 2\.6\.0/);
    await until(() => sink!.messages().some((m) => m.text.includes('Subject: att after')), 30_000, 'the message sent after the dropped one');
    assert.ok(sink!.messages().some((m) => m.text.includes('Subject: att pdf')));
    assert.ok(!sink!.messages().some((m) => m.text.includes('Subject: att dropped')), 'the dropped message never reaches the next hop');
    assert.match(agentLog(), /Attachment Filtering Agent,OnEndOfData,DeleteMessage,,AttachmentFilterEntry,FileName:\*\.exe matched run\.exe/);

    // Strip: the executables, also the one inside the attached message, become text files; the rest arrives as sent.
    await applied(['Set-AttachmentFilterListConfig -Action Strip -AdminMessage "Removed by the Edge: executables are not accepted."']);
    assert.match(
      send('att stripped', [
        { name: 'Invoice.EXE', type: 'application/octet-stream', body: 'MZ-strip-me' },
        { name: 'report.pdf', type: 'application/pdf', body: '%PDF-1.4 keep me' },
        { name: 'forwarded.eml', type: 'message/rfc822', body: inner },
      ]),
      /<- +250 2\.6\.0/,
    );
    await until(() => sink!.messages().some((m) => m.text.includes('Subject: att stripped')), 30_000, 'the stripped message at the next hop');
    const stripped = sink!.messages().find((m) => m.text.includes('Subject: att stripped'))!.text;
    assert.doesNotMatch(stripped, new RegExp(Buffer.from('MZ-strip-me').toString('base64')), 'the executable is gone');
    assert.match(stripped, /Content-Type: text\/plain; charset=utf-8; name="Invoice\.EXE\.txt"\r?\n/);
    assert.match(stripped, /Content-Disposition: attachment; filename="tool\.exe\.txt"\r?\n/);
    assert.equal((stripped.match(/Removed by the Edge: executables are not accepted\./g) ?? []).length, 2);
    assert.match(stripped, new RegExp(`filename="report\\.pdf"\\r?\\nContent-Transfer-Encoding: base64\\r?\\n\\r?\\n${Buffer.from('%PDF-1.4 keep me').toString('base64').replace(/[+/=]/g, '\\$&')}`), 'the PDF arrives as sent');
    assert.match(stripped, /^X-MS-Exchange-Organization-SCL: \d/m, 'the content filter scored the stripped message');
    await until(
      () => /Attachment Filtering Agent,OnEndOfData,AcceptMessage,,AttachmentStripped,FileName:\*\.exe matched Invoice\.EXE; FileName:\*\.exe matched tool\.exe \(in an attached message\)/.test(agentLog()),
      10_000,
      'the Strip line',
    );
  });
  it('Protocol Analysis: a client whose recipients are refused goes on the IP Block list once its SRL reaches the threshold (after 20 messages), and is refused with the machine entry response', async () => {
    const [c] = formatListRecords(await shell(['Get-SenderReputationConfig | Format-List SrlBlockThreshold,SenderBlockingEnabled,SenderBlockingPeriod,OpenProxyDetectionEnabled']));
    assert.deepEqual(c, { SrlBlockThreshold: '7', SenderBlockingEnabled: 'True', SenderBlockingPeriod: '24', OpenProxyDetectionEnabled: 'False' });
    const proxy = await gatehouse(['shell', '--data', edge, '-c', 'Set-SenderReputationConfig -OpenProxyDetectionEnabled $true']);
    assert.notEqual(proxy.code, 0);
    assert.match(proxy.stderr, /OpenProxyDetectionEnabled \$true is not available: Gatehouse does not connect back to senders/);
    const range = await gatehouse(['shell', '--data', edge, '-c', 'Set-SenderReputationConfig -SenderBlockingPeriod 49']);
    assert.match(range.stderr, /SenderBlockingPeriod must be a whole number from 0 to 48 \(not "49"\)/);

    // ceo@contoso.com is on the Recipient Filter's block list (an earlier case): every recipient this client tries is refused.
    for (let i = 1; i <= 19; i++) assert.match(swaks(HARVESTER, `probe${i}@fabrikam.com`, 'ceo@contoso.com'), /<\*\* +550 5\.1\.1 User unknown/, `message ${i}`);
    // The 20th message: its SRL is computed at MAIL FROM (19 of 19 recipients refused: 9) and the client is blocked.
    const twentieth = swaks(HARVESTER, 'probe20@fabrikam.com', 'alice@contoso.com');
    assert.match(twentieth, /<\*\* +550 5\.7\.1 External client with IP address does not have permissions to submit to this server\. Sender reputation is too low\./);
    const blocked = await service.waitFor((l) => l.event === 'agent.sender-reputation.blocked' && l.client === HARVESTER, 10_000, 'the block');
    assert.equal(blocked.srl, 9);
    await configApplied(service, edge, 20_000); // the IP Block list entry the service wrote
    const entries = formatListRecords(await shell([`Get-IPBlockListEntry -IPAddress ${HARVESTER} | Format-List IPRange,IsMachineGenerated,HasExpired,Comment`]));
    assert.equal(entries.length, 1, JSON.stringify(entries));
    assert.equal(entries[0].IPRange, HARVESTER);
    assert.equal(entries[0].IsMachineGenerated, 'True');
    assert.equal(entries[0].HasExpired, 'False');
    assert.match(entries[0].Comment, /^Sender reputation: SRL 9: 20 messages, 0 of 0 scored SCL 7 or more, 19 of 19 recipients refused, 0 with a forged HELO/);
    // A new connection is refused by Connection Filtering, with the machine entry's response; other clients are not.
    assert.match(swaks(HARVESTER, 'friend@fabrikam.com', 'alice@contoso.com'), /<\*\* +550 5\.7\.1 External client with IP address does not have permissions to submit to this server\. Sender reputation is too low\./);
    assert.match(swaks(CLEAN, 'friend@fabrikam.com', 'alice@contoso.com'), /<- +250 2\.1\.5/);
    await until(() => /Connection Filtering Agent,OnRcptCommand,RejectCommand,550 5\.7\.1 External client with IP address does not have permissions[^,]*,SenderReputationBlockList,/.test(agentLog()), 10_000, "the connection filter's line");
    assert.match(
      agentLog(),
      new RegExp(`Protocol Analysis Agent,OnMailCommand,RejectConnection,,SenderReputation,"SRL 9: 20 messages, 0 of 0 scored SCL 7 or more, 19 of 19 recipients refused, 0 with a forged HELO; IP Block list entry \\d+ until `),
    );
  });
});
