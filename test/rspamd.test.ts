// The Content Filter taking rspamd's verdict (Set-ContentFilterConfig
// -RspamdUrl, a Gatehouse setting) on a running Edge, with swaks as the
// client, a private rspamd from Debian's package (test/harness/rspamd.ts) and
// Postfix's smtp-sink as the next hop inside, where the stamps are read: the
// GTUBE message gets SCL 9 (or is refused with SCLRejectEnabled), a clean one
// passes, rspamd's milder actions give their SCL, a GoodWord decides alone,
// and an rspamd that is unset is not asked. An rspamd that is down, silent
// or answering garbage delays no message past RspamdTimeout: the message is
// delivered, scored without it, and a warning says what to do.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { GTUBE, GTUBE_ADD_HEADER, startRspamd, type RspamdPeer } from './harness/rspamd.js';
import { startService, type RunningService } from './harness/service.js';
import { readAgentLog } from './harness/agent-log.js';
import { configApplied } from './harness/config-applied.js';
import { needs } from './harness/tools.js';

const EDGE = '127.47.0.1';
const CLIENT = '127.47.1.5';
const RSPAMD = '127.47.0.20';
const RSPAMD_PORT = 11333;
/** Nothing listens here. */
const DEAD = '127.47.0.21';
/** Takes the connection and never answers. */
const SILENT = '127.47.0.22';
/** Answers 200 with a web page instead of rspamd's JSON. */
const GARBAGE = '127.47.0.23';
/** rspamd's and the Edge's DNS server: nothing answers there. */
const NO_DNS = '127.47.0.53';
const INSIDE = '127.47.30.1';

describe("the Content Filter with rspamd's verdict", needs('rspamd'), () => {
  const dir = scratchDir('rspamd');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService;
  let rspamd: RspamdPeer | undefined;
  let sink: (Peer & { messages(): SinkMessage[] }) | undefined;
  const silentSockets = new Set<Socket>();
  const silent = createTcpServer((s) => {
    silentSockets.add(s);
    s.on('close', () => silentSockets.delete(s));
    s.on('error', () => undefined);
  });
  const garbage = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>It works!</body></html>'));
  });

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
  /** Sends a whole message from CLIENT to alice and bob; swaks' transcript and how long it took. */
  const send = async (subject: string, text: string) => {
    const file = join(dir.path, `${subject.replace(/\W+/g, '-')}.eml`);
    writeFileSync(
      file,
      [
        'From: news@fabrikam.com',
        'To: alice@contoso.com, bob@contoso.com',
        `Subject: ${subject}`,
        `Message-ID: <${subject.replace(/\W+/g, '-')}@fabrikam.com>`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        text,
        '',
      ].join('\r\n'),
    );
    const started = Date.now();
    // Not spawnSync: the test's own peers (the garbage server) answer from this process while swaks runs.
    const child = spawn('swaks', ['--server', `${EDGE}:2525`, '--local-interface', CLIENT, '--helo', 'mail.fabrikam.com', '--from', 'news@fabrikam.com', '--to', 'alice@contoso.com,bob@contoso.com', '--data', file, '--timeout', '60'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 90_000,
    });
    let transcript = '';
    child.stdout.on('data', (d: Buffer) => (transcript += d.toString()));
    child.stderr.on('data', (d: Buffer) => (transcript += d.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    return { transcript, ms: Date.now() - started };
  };
  const delivered = async (subject: string) => {
    await until(() => sink!.messages().some((m) => m.text.includes(`Subject: ${subject}`)), 30_000, `"${subject}" at the next hop`);
    return sink!.messages().find((m) => m.text.includes(`Subject: ${subject}`))!.text;
  };
  const scl = (text: string) => /^X-MS-Exchange-Organization-SCL: (-?\d+)\r?$/m.exec(text)?.[1];
  const reports = (text: string) => [...text.matchAll(/^X-MS-Exchange-Organization-Antispam-Report: (.*?)\r?$/gm)].map((m) => m[1]);
  const agentLog = () => readAgentLog(edge);
  const warnings = () => service.lines.filter((l) => l.event === 'agent.content-filter.rspamd-unavailable');

  before(async () => {
    rspamd = await startRspamd({ dir: join(dir.path, 'rspamd'), address: RSPAMD, port: RSPAMD_PORT, nameserver: NO_DNS });
    await new Promise<void>((resolve, reject) => silent.once('error', reject).listen(RSPAMD_PORT, SILENT, resolve));
    await new Promise<void>((resolve, reject) => garbage.once('error', reject).listen(RSPAMD_PORT, GARBAGE, resolve));
    sink = await startSink(INSIDE, join(dir.path, 'sink'));
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge]);
    assert.equal(setup.code, 0, setup.stderr);
    await shell([
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${EDGE}:2525 -TarpitInterval 00:00:00`,
      // No name is looked up: the Edge's DNS server answers nothing, and Sender ID (SPF) is off so the SCL is rspamd's and the phrases'.
      `Set-TransportService EDGE01 -ExternalDNSServers ${NO_DNS} -ExternalDNSAdapterEnabled $false`,
      'Disable-TransportAgent "Sender Id Agent"',
      `New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${INSIDE} | Out-Null`,
    ]);
    service = await startService(edge);
  });

  after(async () => {
    await service?.stop();
    await rspamd?.stop();
    await sink?.stop();
    for (const s of silentSockets) s.destroy();
    await new Promise((r) => silent.close(r));
    await new Promise((r) => garbage.close(r));
    dir.remove();
  });

  it("RspamdUrl and RspamdTimeout are Gatehouse settings of Set-ContentFilterConfig, off by default; a URL that is not rspamd's worker is refused", async () => {
    assert.deepEqual(formatListRecords(await shell(['Get-ContentFilterConfig | Format-List RspamdUrl,RspamdTimeout'])), [{ RspamdUrl: '', RspamdTimeout: '00:00:10' }]);
    const refused = async (args: string, message: RegExp) => {
      const r = await gatehouse(['shell', '--data', edge, '-c', `Set-ContentFilterConfig ${args}`]);
      assert.notEqual(r.code, 0, args);
      assert.match(r.stderr, message, args);
    };
    await refused('-RspamdUrl ftp://127.47.0.20:11333', /RspamdUrl "ftp:\/\/127\.47\.0\.20:11333" is not an http or https URL/);
    await refused('-RspamdUrl rspamd.contoso.net', /RspamdUrl "rspamd\.contoso\.net" is not an absolute URL/);
    await refused('-RspamdUrl http://u:secret@127.47.0.20:11333', /holds a user name or password/);
    await refused('-RspamdUrl http://127.47.0.20:11333/checkv2', /give the worker's base URL \(http:\/\/127\.47\.0\.20:11333\/\): \/checkv2 is added to it/);
    await refused('-RspamdTimeout 00:00:00', /The value 00:00:00 is not valid for RspamdTimeout\. Valid values are between 00:00:01 and 00:05:00\./);
    const help = await shell(['Get-Help Set-ContentFilterConfig -Parameter RspamdUrl']);
    assert.match(help, /A Gatehouse setting/);
    // The private rspamd runs unprivileged.
    assert.notEqual(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${rspamd!.child.pid}/status`, 'utf8'))?.[1], '0');
  });

  it("with RspamdUrl unset rspamd is not asked: the GTUBE message gets the phrases' SCL only", async () => {
    const checkedBefore = rspamd!.checked().length;
    assert.match((await send('rspamd unset', `Hello\r\n${GTUBE}`)).transcript, /<- +250 2\.6\.0/);
    const text = await delivered('rspamd unset');
    assert.equal(scl(text), '0');
    assert.deepEqual(reports(text), []);
    assert.equal(rspamd!.checked().length, checkedBefore, 'rspamd checked nothing');
  });

  it("with RspamdUrl set, GTUBE gets SCL 9 and the report, a clean message passes, add header gives 6; each is logged with rspamd's verdict", async () => {
    await applied([`Set-ContentFilterConfig -RspamdUrl http://${RSPAMD}:${RSPAMD_PORT}`]);
    assert.match((await send('rspamd gtube', `Hello\r\n${GTUBE}`)).transcript, /<- +250 2\.6\.0/);
    const spam = await delivered('rspamd gtube');
    assert.equal(scl(spam), '9');
    assert.deepEqual(reports(spam), ['RSPAMD:reject 15.00/15.00']);
    // rspamd got the envelope: the client, the sender and each recipient, with the session id as its queue id.
    const line = rspamd!.checked().find((l) => l.includes('id: <rspamd-gtube@fabrikam.com>'));
    assert.ok(line, rspamd!.checked().join('\n'));
    assert.match(line, new RegExp(`ip: ${CLIENT.replace(/\./g, '\\.')}, from: <news@fabrikam\\.com>`));
    assert.match(line, /rcpts: <alice@contoso\.com,bob@contoso\.com>/);
    assert.match(line, /\(reject\): \[15\.00\/15\.00\] \[GTUBE/);
    await until(() => /Content Filter Agent,OnEndOfData,AcceptMessage,,SCL 9,RSPAMD:reject 15\.00\/15\.00 \[GTUBE\] \(SCL 9\)/.test(agentLog()), 10_000, 'the agent log line');
    const sessionId = /^[^,]*,([^,]+),[^\n]*Content Filter Agent,OnEndOfData,AcceptMessage,,SCL 9,RSPAMD:reject/m.exec(agentLog())![1];
    assert.match(line, new RegExp(`qid: <${sessionId}>`), `rspamd logged the SMTP session's id ${sessionId}`);

    assert.match((await send('rspamd clean', 'Lunch on Thursday?')).transcript, /<- +250 2\.6\.0/);
    const clean = await delivered('rspamd clean');
    assert.equal(scl(clean), '0');
    assert.deepEqual(reports(clean), ['RSPAMD:no action 0.00/15.00']);

    assert.match((await send('rspamd add header', `Hello\r\n${GTUBE_ADD_HEADER}`)).transcript, /<- +250 2\.6\.0/);
    const marked = await delivered('rspamd add header');
    assert.equal(scl(marked), '6');
    assert.deepEqual(reports(marked), ['RSPAMD:add header 6.00/15.00']);

    const decisions = formatListRecords(await shell(['Get-AgentLog | Where-Object { $_.Agent -eq "Content Filter Agent" -and $_.Recipient -eq "alice@contoso.com" } | Format-List Reason,ReasonData']));
    assert.deepEqual(decisions.slice(-3), [
      { Reason: 'SCL 9', ReasonData: 'RSPAMD:reject 15.00/15.00 [GTUBE] (SCL 9)' },
      { Reason: 'SCL 0', ReasonData: 'RSPAMD:no action 0.00/15.00 (no raise)' },
      { Reason: 'SCL 6', ReasonData: 'RSPAMD:add header 6.00/15.00 [GTUBE] (SCL 6)' },
    ]);
  });

  it('SCLRejectEnabled refuses what rspamd rejects; a GoodWord decides alone and rspamd is not asked', async () => {
    await applied(['Set-ContentFilterConfig -SCLRejectEnabled $true -SCLRejectThreshold 7']);
    assert.match((await send('rspamd refused', `Hello\r\n${GTUBE}`)).transcript, /<\*\* +550 5\.7\.1 Message rejected due to content restrictions/);
    await until(() => /Content Filter Agent,OnEndOfData,RejectMessage,550 5\.7\.1 Message rejected due to content restrictions,SCL 9,RSPAMD:reject/.test(agentLog()), 10_000, 'the reject line');
    assert.match((await send('rspamd marked passes', `Hello\r\n${GTUBE_ADD_HEADER}`)).transcript, /<- +250 2\.6\.0/, 'SCL 6 is under the threshold');

    await applied(['Add-ContentFilterPhrase -Phrase "Project Contoso" -Influence GoodWord | Out-Null']);
    const checkedBefore = rspamd!.checked().length;
    assert.match((await send('rspamd goodword', `Project Contoso\r\n${GTUBE}`)).transcript, /<- +250 2\.6\.0/);
    const text = await delivered('rspamd goodword');
    assert.equal(scl(text), '0');
    assert.deepEqual(reports(text), ['CW:CustomList']);
    assert.equal(rspamd!.checked().length, checkedBefore, 'rspamd checked nothing');
    await applied(['Remove-ContentFilterPhrase -Phrase "Project Contoso" -Confirm:$false', 'Set-ContentFilterConfig -SCLRejectEnabled $false']);
  });

  it('an rspamd that is down, silent or answering garbage delays no message past RspamdTimeout: it is delivered, scored without rspamd, and a warning says what to do', async () => {
    const cases: [string, string, RegExp][] = [
      ['rspamd dead port', `http://${DEAD}:${RSPAMD_PORT}`, /ECONNREFUSED/],
      ['rspamd silent', `http://${SILENT}:${RSPAMD_PORT}`, /no answer within 2 s/],
      ['rspamd garbage', `http://${GARBAGE}:${RSPAMD_PORT}/`, /the answer is not JSON/],
    ];
    await applied(['Set-ContentFilterConfig -RspamdTimeout 00:00:02']);
    for (const [subject, url, why] of cases) {
      await applied([`Set-ContentFilterConfig -RspamdUrl ${url}`]);
      const before = warnings().length;
      const r = await send(subject, `Hello\r\n${GTUBE}`);
      assert.match(r.transcript, /<- +250 2\.6\.0/, subject);
      assert.ok(r.ms < 15_000, `${subject}: took ${r.ms} ms`);
      const text = await delivered(subject);
      assert.equal(scl(text), '0', subject);
      assert.deepEqual(reports(text), [], subject);
      const warning = warnings()[before];
      assert.ok(warning, `${subject}: no warning`);
      assert.equal(warning.level, 'warn');
      assert.equal(warning.url, url.endsWith('/') ? url : `${url}/`);
      assert.match(String(warning.error), why, subject);
      assert.match(String(warning.action), /scored without rspamd's verdict; check that rspamd's normal worker runs .* -RspamdUrl \$null/);
    }
    await until(() => /Content Filter Agent,OnEndOfData,AcceptMessage,,SCL 0,rspamd not counted \(no answer within 2 s\)/.test(agentLog()), 10_000, 'the agent log line');

    // The real rspamd, stopped.
    await applied([`Set-ContentFilterConfig -RspamdUrl http://${RSPAMD}:${RSPAMD_PORT}`]);
    await rspamd!.stop();
    const before = warnings().length;
    assert.match((await send('rspamd stopped', `Hello\r\n${GTUBE}`)).transcript, /<- +250 2\.6\.0/);
    assert.equal(scl(await delivered('rspamd stopped')), '0');
    assert.match(String(warnings()[before]?.error), /ECONNREFUSED/);
  });
});
