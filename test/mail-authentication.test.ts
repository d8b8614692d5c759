// Verifying mail from the Internet on a running Edge: messages signed by
// python3-dkim (dkimsign) and by OpenDKIM (opendkim-testmsg), with the public
// keys, SPF and DMARC records served by dnsmasq, sent with Python's smtplib.
// At the next hop (smtp-sink) one Authentication-Results field names the Edge
// with spf, dkim, dmarc and arc; a forged one claiming the Edge is dropped and
// another server's is kept. DMARC p=reject gives 550 5.7.1 at the end of the
// data, p=quarantine goes to the quarantine mailbox; bypass lists and
// report-only (HonorDmarcPolicy $false) deliver; the content filter's SCL and
// the agent log show the verdicts.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startDnsmasq, startSink, until, type Peer, type SinkMessage } from './harness/peers.js';
import { startService, type RunningService } from './harness/service.js';
import { readAgentLog } from './harness/agent-log.js';
import { configApplied } from './harness/config-applied.js';

const run = promisify(execFile);
const EDGE = '127.49.0.1';
const PORT = 2529;
const DNS = '127.49.0.53';
const DNS_PORT = 5364;
const CLIENT = '127.49.1.5';
const INSIDE = '127.49.30.1';
const FQDN = 'edge01.contoso.net';

describe('mail authentication on the Edge: DKIM, DMARC and ARC of mail from the Internet', () => {
  const dir = scratchDir('mail-authentication');
  const edge = join(dir.path, 'EDGE01');
  let service: RunningService;
  let dns: Peer | undefined;
  let sink: (Peer & { messages(): SinkMessage[] }) | undefined;
  let counter = 0;

  const shell = async (lines: string[]) => {
    const r = await gatehouse(['shell', '--data', edge, '-c', lines.join('\n')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${lines.join('\n')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  /** Runs a change, then waits until the service has applied it. */
  const applied = async (line: string) => {
    await shell([line]);
    await configApplied(service, edge, 20_000);
  };
  const agentLog = () => readAgentLog(edge);
  /** A message (LF line ends) with a unique subject. */
  const message = (from: string, subject: string, extra: string[] = []) =>
    [...extra, `From: <${from}>`, 'To: <alice@contoso.com>', `Subject: ${subject}`, `Date: ${new Date().toUTCString()}`, `Message-ID: <${++counter}.${Date.now()}@${from.split('@')[1]}>`, '', 'Hello from outside.', ''].join('\n');
  const pySign = (msg: string, domain: string) => {
    const r = spawnSync('dkimsign', ['py', domain, join(dir.path, 'py.private')], { input: msg, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const odSign = (msg: string, domain: string) => {
    const r = spawnSync('opendkim-testmsg', ['-d', domain, '-k', join(dir.path, 'od.private'), '-s', 'od'], { input: msg, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^DKIM-Signature: /);
    return r.stdout;
  };
  /** Sends with smtplib from CLIENT; "250 ..." or the refusal's code and text. */
  const send = async (sender: string, msg: string) => {
    const file = join(dir.path, `msg-${++counter}.eml`);
    writeFileSync(file, msg);
    const py = [
      'import smtplib, sys',
      `s = smtplib.SMTP("${EDGE}", ${PORT}, source_address=("${CLIENT}", 0), timeout=60)`,
      's.ehlo("mail.outside.example")',
      'try:',
      `    s.sendmail(sys.argv[1], ["alice@contoso.com"], open(sys.argv[2], "rb").read())`,
      '    print("250 accepted")',
      'except smtplib.SMTPDataError as e:',
      '    print(e.smtp_code, e.smtp_error.decode())',
      's.quit()',
    ].join('\n');
    const r = await run('python3', ['-c', py, sender, file], { timeout: 90_000 });
    return r.stdout.trim();
  };
  const delivered = async (subject: string) => {
    await until(() => sink!.messages().some((m) => new RegExp(`^Subject: ${subject}\\r?$`, 'm').test(m.text)), 30_000, `"${subject}" at the next hop`);
    return sink!.messages().find((m) => new RegExp(`^Subject: ${subject}\\r?$`, 'm').test(m.text))!;
  };
  const results = (text: string) => [...text.matchAll(/^Authentication-Results:((?:.*)(?:\r?\n[ \t].*)*)/gm)].map((m) => m[1].replace(/\r?\n[ \t]+/g, ' ').trim());

  before(async () => {
    // The signers' keys (1024 bits: one TXT string each), made by OpenDKIM's key tool.
    const keys: Record<string, string> = {};
    for (const s of ['py', 'od']) {
      const g = spawnSync('opendkim-genkey', ['-b', '1024', '-D', dir.path, '-d', `${s}.example`, '-s', s], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(g.status, 0, g.stderr);
      keys[s] = [...readFileSync(join(dir.path, `${s}.txt`), 'utf8').matchAll(/"([^"]*)"/g)]
        .map((m) => m[1])
        .join('')
        .replace(/\s*h=sha256;/, '');
    }
    dns = await startDnsmasq(
      DNS,
      DNS_PORT,
      ['example'],
      [
        `--txt-record=py._domainkey.py.example,${keys.py}`,
        `--txt-record=od._domainkey.od.example,${keys.od}`,
        '--txt-record=py.example,v=spf1 ?all',
        '--txt-record=od.example,v=spf1 ?all',
        '--txt-record=_dmarc.py.example,v=DMARC1; p=reject',
        '--txt-record=_dmarc.od.example,v=DMARC1; p=quarantine',
        `--txt-record=spf.example,v=spf1 ip4:${CLIENT} -all`,
        '--txt-record=_dmarc.spf.example,v=DMARC1; p=reject',
        '--txt-record=none.example,v=spf1 ?all',
        '--txt-record=_dmarc.none.example,v=DMARC1; p=none',
      ],
    );
    sink = await startSink(INSIDE, join(dir.path, 'sink'));
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', FQDN, '--data', edge]);
    assert.equal(setup.code, 0, setup.stderr);
    await shell([
      'New-AcceptedDomain Contoso -DomainName contoso.com',
      `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${EDGE}:${PORT} -TarpitInterval 00:00:00`,
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

  it('stamps one Authentication-Results field with spf, dkim=pass, dmarc=pass and arc for mail signed by python3-dkim and by OpenDKIM', async () => {
    assert.match(await send('bounce@py.example', pySign(message('news@py.example', 'signed by dkimpy'), 'py.example')), /^250/);
    const py = results((await delivered('signed by dkimpy')).text);
    assert.equal(py.length, 1, py.join('\n'));
    assert.match(py[0], new RegExp(`^${FQDN.replace(/\./g, '\\.')}; spf=neutral .*smtp\\.mailfrom=bounce@py\\.example`));
    assert.match(py[0], /; dkim=pass [^;]*header\.i=@py\.example header\.s=py header\.a=rsa-sha256/);
    assert.match(py[0], /; dmarc=pass [^;]*header\.from=py\.example[^;]* action=none/);
    assert.match(py[0], /; arc=none/);

    assert.match(await send('bounce@od.example', odSign(message('news@od.example', 'signed by opendkim'), 'od.example')), /^250/);
    const od = results((await delivered('signed by opendkim')).text);
    assert.equal(od.length, 1, od.join('\n'));
    assert.match(od[0], /; dkim=pass [^;]*header\.i=@od\.example header\.s=od/);
    assert.match(od[0], /; dmarc=pass /);
    await until(() => /DMARC Agent,OnEndOfData,AcceptMessage,,DMARC pass,header\.from=od\.example/.test(agentLog()), 10_000, "the DMARC agent's line");
    // The content filter counts nothing for the passes, and lists them.
    assert.match(agentLog(), /Content Filter Agent,OnEndOfData,AcceptMessage,,SCL 0,[^\r\n]*DKIM pass for py\.example \(no change\)/);
  });

  it("drops a forged Authentication-Results field that names the Edge and keeps another server's", async () => {
    const forged = message('news@spf.example', 'forged results', [`Authentication-Results: ${FQDN}; dkim=pass header.d=spf.example; dmarc=pass`, 'Authentication-Results: mx.other.example; spf=pass smtp.mailfrom=spf.example']);
    assert.match(await send('news@spf.example', forged), /^250/);
    const got = results((await delivered('forged results')).text);
    assert.equal(got.filter((r) => r.startsWith(`${FQDN};`)).length, 1, got.join('\n'));
    assert.ok(
      got.some((r) => r.startsWith('mx.other.example; spf=pass')),
      got.join('\n'),
    );
    const own = got.find((r) => r.startsWith(`${FQDN};`))!;
    assert.match(own, /spf=pass/);
    assert.match(own, /dkim=none/);
    assert.match(own, /dmarc=pass [^;]*header\.from=spf\.example/, 'DMARC passes through the aligned SPF result');
    await service.waitFor((l) => l.event === 'smtp.in.data.forged-authentication-results' && l.dropped === 1, 10_000, 'the forged field logged');
  });

  it('DMARC p=reject: a message whose signature broke is refused with 550 5.7.1 at the end of the data, logged', async () => {
    const tampered = pySign(message('news@py.example', 'tampered reject'), 'py.example').replace('Hello from outside.', 'Hello from somewhere else.');
    const reply = await send('bounce@py.example', tampered);
    assert.match(reply, /^550 5\.7\.1 Message rejected by DMARC policy of py\.example/);
    await until(() => /DMARC Agent,OnEndOfData,RejectMessage,550 5\.7\.1 Message rejected by DMARC policy of py\.example,DMARC fail p=reject,header\.from=py\.example; dmarc=fail/.test(agentLog()), 10_000, 'the reject line');
    assert.ok(!sink!.messages().some((m) => m.text.includes('Subject: tampered reject')));
  });

  it('DMARC p=quarantine: the message goes to the quarantine mailbox, stamped dkim=fail dmarc=fail action=quarantine', async () => {
    const jmf = await gatehouse(['shell', '--data', edge, '-c', 'Set-DmarcConfig -DmarcQuarantineAction MoveToJmf'], { timeoutMs: 60_000 });
    assert.notEqual(jmf.code, 0);
    assert.match(jmf.stderr, /MoveToJmf is not available/);
    await applied('Set-DmarcConfig -QuarantineMailbox quarantine@contoso.com');
    const tampered = odSign(message('news@od.example', 'tampered quarantine'), 'od.example').replace('Hello from outside.', 'Changed on the way.');
    assert.match(await send('bounce@od.example', tampered), /^250/);
    const m = await delivered('tampered quarantine');
    assert.deepEqual(m.rcptTo, ['quarantine@contoso.com']);
    const r = results(m.text);
    assert.match(r[0], /dkim=fail \(body hash did not verify\) header\.i=@od\.example/);
    assert.match(r[0], /dmarc=fail [^;]*action=quarantine/);
    await until(() => /DMARC Agent,OnEndOfData,QuarantineMessage,,DMARC fail p=quarantine,[^\r\n]*to quarantine@contoso\.com/.test(agentLog()), 10_000, 'the quarantine line');
  });

  it('bypassed sender domains and recipients, and report-only, deliver with the verdict stamped; DMARC fail raises the SCL', async () => {
    const forge = (subject: string) => message('ceo@py.example', subject);
    await applied('Set-DmarcConfig -BypassedSenderDomains py.example');
    assert.match(await send('ceo@py.example', forge('bypassed domain')), /^250/);
    assert.match(results((await delivered('bypassed domain')).text)[0], /dmarc=fail [^;]*action=oreject/);
    await until(() => /DMARC Agent,OnEndOfData,AcceptMessage,,DMARC fail p=reject bypassed,header\.from=py\.example/.test(agentLog()), 10_000, 'the bypass line');

    await applied('Set-DmarcConfig -BypassedSenderDomains $null -BypassedRecipients alice@contoso.com');
    assert.match(await send('ceo@py.example', forge('bypassed recipient')), /^250/);
    assert.match(results((await delivered('bypassed recipient')).text)[0], /dmarc=fail [^;]*action=oreject/);

    await applied('Set-DmarcConfig -BypassedRecipients $null -HonorDmarcPolicy $false');
    assert.match(await send('ceo@py.example', forge('report only')), /^250/);
    const m = await delivered('report only');
    assert.match(results(m.text)[0], /dmarc=fail [^;]*action=oreject/);
    await until(() => /DMARC Agent,OnEndOfData,AcceptMessage,,DMARC fail p=reject not honored \(HonorDmarcPolicy \$false\)/.test(agentLog()), 10_000, 'the report-only line');
    // SPF is neutral (no weight): the SCL is the DMARC failure's weight under p=reject.
    assert.match(m.text, /^X-MS-Exchange-Organization-SCL: 5\r?$/m);
    assert.match(agentLog(), /Content Filter Agent,OnEndOfData,AcceptMessage,,SCL 5,[^\r\n]*DMARC fail for py\.example \(p=reject\) \(\+5\)/);
    const settings = await shell(['Get-DmarcConfig | Format-List HonorDmarcPolicy,DmarcRejectAction,DmarcQuarantineAction,QuarantineMailbox']);
    assert.match(settings, /HonorDmarcPolicy\s+: False/);
    assert.match(settings, /DmarcRejectAction\s+: Reject/);
    assert.match(settings, /QuarantineMailbox\s+: quarantine@contoso\.com/);
  });
});
