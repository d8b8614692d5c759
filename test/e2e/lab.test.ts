// End to end: `gatehouse lab` (the seed's topology, configured by the seed's
// own commands) in --once mode, then a --keep-running lab driven by programs
// nobody here wrote: swaks as an Internet sender and as a user's submission
// client (STARTTLS + AUTH on 587), Postfix's smtp-source as an Internet
// sender, the lab's Dovecot serving the Mailbox servers' Maildirs to
// Python's imaplib and poplib and to curl, users logging on with their
// Gatehouse mailbox passwords (gatehouse dovecot-auth).
// Negative paths: the Internet knocking on the internal binding, relaying,
// an unknown recipient (the NDR returns to the Internet sender), and a
// Mailbox server that is down (mail waits and is delivered when it returns).
// The labs use a port base (30025/31025 ...) so that nothing else on port 25
// of this machine matters.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSelfSignedCertificate } from '../../src/tls/self-signed.js';
import { formatListRecords } from '../harness/format-list.js';
import { BIN, gatehouse, ROOT, scratchDir } from '../harness/gatehouse.js';
import { until } from '../harness/peers.js';
import { startPostfix, type Postfix } from '../harness/postfix.js';
import { configAppliedInLog } from '../harness/config-applied.js';
import { needs } from '../harness/tools.js';

const EDGE_EXT = '127.10.1.1';
const EDGE_INT = '127.10.1.2';
const MBX2 = '127.168.5.20';
const FABRIKAM = '127.20.1.1';

function maildirMessages(dir: string): string[] {
  return ['new', 'cur'].flatMap((sub) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).map((f) => readFileSync(join(dir, sub, f), 'latin1')) : []));
}

describe('gatehouse lab --once', () => {
  const dir = scratchDir('lab-once');
  chmodSync(dir.path, 0o711); // run as root, the lab's mail user reaches the Mailbox servers' folders below it
  after(() => dir.remove());

  it("sets the seed topology up with the seed's commands and delivers both messages, tracked on every server (dnsmasq as the Internet's DNS)", async () => {
    const r = await gatehouse(['lab', '--once', '--dir', join(dir.path, 'lab'), '--port-base', '30000', '--dns', 'dnsmasq'], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr);
    assert.match(
      r.stdout,
      /\[PS\] edge01\.contoso\.net> New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces \*\.contoso\.com -DNSRoutingEnabled \$false -SmartHosts mbxserver01\.contoso\.com,mbxserver02\.contoso\.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential \$MailboxCredentials/,
    );
    assert.match(r.stdout, /Bindings\s+: \{127\.10\.1\.2:30025\}\nRemoteIPRanges : \{127\.168\.5\.10, 127\.168\.5\.20\}/);
    assert.match(r.stdout, /The Internet's DNS \(dnsmasq\) answers on 127\.53\.0\.1:30053/);
    assert.match(r.stdout, /Internet -> mailbox: kim@fabrikam\.com -> alice@contoso\.com DELIVERED/);
    assert.match(r.stdout, /Mailbox -> Internet: bob@contoso\.com -> kim@fabrikam\.com DELIVERED/);
    // The Edge's agents are on: Sender ID finds fabrikam.com's SPF record, the content filter scores the message.
    assert.match(r.stdout, /The Edge's anti-spam agents stamped it \(in alice's mailbox\): .*Received-SPF: pass \(edge01\.contoso\.net: domain of kim@fabrikam\.com designates 127\.20\.1\.1 as permitted sender\)/);
    assert.match(r.stdout, /The Edge's anti-spam agents stamped it .*X-MS-Exchange-Organization-SCL: 0/);
    // FAB01 signed kim's message (DKIM), and the Edge verified it and fabrikam.com's DMARC policy.
    assert.match(
      r.stdout,
      /The Edge's anti-spam agents stamped it \(in alice's mailbox\): Authentication-Results: edge01\.contoso\.net; spf=pass [^|]*dkim=pass header\.i=@fabrikam\.com header\.s=selector1 [^|]*dmarc=pass [^|]*header\.from=fabrikam\.com/,
    );
    // The third message, to an address nobody has: refused by the Edge's Recipient Filter, which asked the Mailbox servers.
    assert.match(r.stdout, /Internet -> nobody: kim@fabrikam\.com -> nobody@contoso\.com REFUSED by the Edge at RCPT TO; FAB01 bounced it to kim/);
    assert.match(r.stdout, /EventId +: FAIL\nSource +: SMTP\nRecipientStatus : \{550 5\.1\.10 RESOLVER\.ADR\.RecipientNotFound; Recipient not found by SMTP address lookup\}/);
    assert.match(
      r.stdout,
      /Recipient +: nobody@contoso\.com\nEvent +: OnRcptCommand\nAction +: RejectCommand\nSmtpResponse : 550 5\.1\.10 [^\n]*\nReason +: RecipientDoesNotExist\nReasonData +: the inside answered: 550 5\.1\.1 User unknown/,
    );
    assert.match(r.stdout, /RECEIVE SMTP +\{alice@contoso\.com\} EDGE01\\From Internet/);
    assert.match(r.stdout, /DELIVER STOREDRIVER \{alice@contoso\.com\} DB1/);
    assert.match(r.stdout, /RECEIVE SMTP +\{kim@fabrikam\.com\} EDGE01\\From Internal Org/);
    // MBX02's log, read from MBX01's shell: MBX02 answers through its management endpoint.
    assert.match(r.stdout, /\[PS\] mbxserver01\.contoso\.com> Get-MessageTrackingLog -Server MBX02 [^\n]*\n\nTimestamp[^\n]*\n-[^\n]*\n[^\n]*RECEIVE SMTP +\{kim@fabrikam\.com\} MBX02\\Client MBX02/);
    // An admin's workstation manages both Mailbox servers through MBX01's endpoint.
    assert.match(r.stdout, /==== Remote management: NODE_EXTRA_CA_CERTS=\S+MBX01\.crt node bin\/gatehouse\.js shell --connect https:\/\/127\.168\.5\.10:30443\/PowerShell\/ --user CONTOSO\\Administrator --skip-cn-check/);
    assert.match(r.stdout, /^MBX02\\Submission +Undefined +Ready +0$/m);
    assert.match(r.stdout, /^Bob +\d+ MBX02 +DB2/m);
    assert.match(r.stdout, /MBX01 answered for both servers: MBX02's queues and bob's mailbox came from MBX02, through its endpoint\./);
    assert.doesNotMatch(r.stdout, /Lab-[A-Za-z0-9_-]{12}/, 'generated passwords stay in accounts.txt');
  });

  it('without the privilege for port 25, says so and offers --port-base', () => {
    // As root, run it as nobody; otherwise as ourselves (who cannot bind port 25 either).
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(process.execPath, [BIN, 'lab', '--once', '--dir', join('/tmp', `lab-unprivileged-${process.pid}`)], { encoding: 'utf8', timeout: 60_000, cwd: '/tmp', ...asNobody });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /The lab cannot listen on 127\.10\.1\.1:25: ports below 1024 need root \(or CAP_NET_BIND_SERVICE\)\. Run it with --port-base 20000/);
  });

  it('refuses a folder that is not a lab folder', async () => {
    const r = await gatehouse(['lab', '--once', '--dir', dir.path, '--port-base', '30000']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exists and is not a lab folder; choose another --dir/);
  });
});

describe('a running lab, driven by real peers', () => {
  const dir = scratchDir('lab-peers');
  chmodSync(dir.path, 0o711); // run as root, the lab's mail user reaches the Mailbox servers' folders below it
  const labDir = join(dir.path, 'lab');
  const SMTP = 31025;
  const SUBMISSION = 31587;
  let lab: ChildProcess | undefined;
  let labOut = '';
  let restarted: ChildProcess | undefined;
  const postfixes: Postfix[] = [];
  const passwords: Record<string, string> = {};
  let aliceMaildir = '';
  let kimMaildir = '';

  const shell = async (server: string, command: string) => {
    const r = await gatehouse(['shell', '--data', join(labDir, server), '-c', command]);
    assert.equal(r.code, 0, `${command}\n${r.stdout}\n${r.stderr}`);
    return r.stdout.trim();
  };
  const swaks = (args: string[]) => spawnSync('swaks', [...args, '--timeout', '15'], { encoding: 'utf8', timeout: 30_000 });

  before(async () => {
    lab = spawn(process.execPath, [BIN, 'lab', '--keep-running', '--dir', labDir, '--port-base', '31000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    lab.stdout!.setEncoding('utf8').on('data', (d: string) => (labOut += d));
    lab.stderr!.setEncoding('utf8').on('data', (d: string) => (labOut += d));
    await until(() => labOut.includes('The lab is running') || lab!.exitCode !== null, 150_000, 'the lab to come up').catch((err) => {
      throw new Error(`${(err as Error).message}\n${labOut.slice(-3000)}`);
    });
    assert.match(labOut, /Every message was delivered/, labOut.slice(-3000));
    for (const line of readFileSync(join(labDir, 'accounts.txt'), 'utf8').split('\n')) {
      const m = /^(\S+)\s+(Lab-\S+)/.exec(line);
      if (m) passwords[m[1]] = m[2];
    }
    aliceMaildir = join(await shell('MBX01', '(Get-MailboxDatabase DB1).FolderPath'), await shell('MBX01', '(Get-Mailbox alice).Guid'));
    kimMaildir = join(await shell('FAB01', '(Get-MailboxDatabase FDB1).FolderPath'), await shell('FAB01', '(Get-Mailbox kim).Guid'));
  });

  after(async () => {
    for (const p of postfixes) await p.stop();
    for (const child of [restarted, lab]) {
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGINT');
      });
    }
    dir.remove();
  });

  it('the remote shell it prints reaches MBX01 as CONTOSO\\Administrator, and MBX02 through it', async () => {
    const m = /Remote shell: +NODE_EXTRA_CA_CERTS=(\S+) node bin\/gatehouse\.js shell --connect (\S+) --user CONTOSO\\Administrator --skip-cn-check/.exec(labOut);
    assert.ok(m, labOut.slice(-2000));
    const r = await gatehouse(['shell', '--connect', m[2], '--user', 'CONTOSO\\Administrator', '--skip-cn-check', '-c', 'Get-Queue -Server MBX02 | Format-List Identity'], {
      input: passwords['CONTOSO\\Administrator'] + '\n',
      env: { NODE_EXTRA_CA_CERTS: m[1] },
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const ids = formatListRecords(r.stdout)
      .map((x) => x.Identity)
      .filter((i) => i !== undefined);
    assert.ok(ids.includes('MBX02\\Submission') && ids.every((i) => i.startsWith('MBX02\\')), r.stdout);
    const wrong = await gatehouse(['shell', '--connect', m[2], '--user', 'CONTOSO\\Administrator', '--skip-cn-check', '-c', 'Get-Queue'], { input: 'not-the-password\n', env: { NODE_EXTRA_CA_CERTS: m[1] }, timeoutMs: 60_000 });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Access is denied/);
  });

  it('swaks from the Internet over STARTTLS: the body arrives byte for byte, Dovecot serves it to imaplib', async () => {
    const body = 'Zeile eins\r\nGrüße, ünïcödé\r\n.leading dot\r\nlast line';
    const r = swaks([
      '--server',
      `${EDGE_EXT}:${SMTP}`,
      '--tls',
      '--ehlo',
      'mail.fabrikam.com',
      '--from',
      'sender@fabrikam.com',
      '--to',
      'alice@contoso.com',
      '--header',
      'Subject: e2e swaks',
      '--header',
      'Content-Type: text/plain; charset=utf-8',
      '--body',
      body,
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await until(() => maildirMessages(aliceMaildir).some((m) => m.includes('Subject: e2e swaks')), 30_000, "the message in alice's Maildir");
    const stored = maildirMessages(aliceMaildir).find((m) => m.includes('Subject: e2e swaks'))!;
    assert.match(stored, /^Return-Path: <sender@fabrikam\.com>\r\n/);
    assert.match(stored, /Received: from mail\.fabrikam\.com \([^)]*\) by edge01\.contoso\.net[^;]*with ESMTPS/, 'the Edge notes the TLS session');

    // The lab's Dovecot: alice logs on with her mailbox password, which Dovecot checks by asking Gatehouse.
    const py = spawnSync(
      'python3',
      [
        '-c',
        `
import imaplib, sys
m = imaplib.IMAP4('127.168.5.10', 31143)
m.login('alice@contoso.com', sys.argv[1])
m.select('INBOX')
typ, data = m.search(None, 'SUBJECT', '"e2e swaks"')
typ, msg = m.fetch(data[0].split()[0], '(RFC822)')
sys.stdout.buffer.write(msg[0][1])
m.logout()`,
        passwords['alice@contoso.com'],
      ],
      { timeout: 30_000 },
    );
    assert.equal(py.status, 0, py.stderr.toString());
    const fetched = py.stdout.toString('latin1');
    const fetchedBody = fetched.slice(fetched.indexOf('\r\n\r\n') + 4);
    assert.equal(fetched, stored, 'Dovecot serves the stored message unchanged');
    assert.equal(
      Buffer.from(fetchedBody, 'latin1')
        .toString('utf8')
        .replace(/(\r\n)+$/, ''),
      body,
      'the body is unchanged (swaks ends it with a CRLF of its own)',
    );
  });

  it("DKIM: FAB01 signs fabrikam.com's mail and EDGE01 contoso.com's, verified by dkimpy against the lab's DNS", needs('dkimpy'), () => {
    const verify = (message: string, name: string) => {
      const file = join(dir.path, `${name}.eml`);
      writeFileSync(file, message, 'latin1');
      const r = spawnSync('/usr/bin/python3', [join(ROOT, 'test', 'scripts', 'dkim-verify.py'), '127.53.0.1', '31053', file], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().replace(/ h=.*/, '');
    };
    const inbound = maildirMessages(aliceMaildir).find((m) => m.includes('Subject: Hello from the Internet'));
    assert.ok(inbound, "the lab's message from kim in alice's Maildir");
    assert.equal(verify(inbound, 'dkim-inbound'), 'pass d=fabrikam.com s=selector1 a=rsa-sha256 c=relaxed/relaxed');
    const outbound = maildirMessages(kimMaildir).find((m) => m.includes('Subject: Hello from Contoso'));
    assert.ok(outbound, "the lab's message to kim in kim's Maildir");
    assert.equal(verify(outbound, 'dkim-outbound'), 'pass d=contoso.com s=selector1 a=rsa-sha256 c=relaxed/relaxed');
  });

  it('serves the mailboxes over IMAP and POP3 with the mailbox passwords: curl as the lab prints it, poplib, a wrong password refused', { skip: process.getuid?.() !== 0 && 'the lab runs Dovecot as root only' }, () => {
    // The Maildirs belong to the lab's mail user, which the Mailbox servers run as; Dovecot reads mail as that user.
    assert.equal(statSync(aliceMaildir).uid, 61000);
    assert.equal(statSync(kimMaildir).uid, 61000);
    const command = /^Read mail: +(curl .*)$/m.exec(labOut)?.[1];
    assert.ok(command, labOut.slice(-3000));
    const curl = spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(curl.status, 0, curl.stderr);
    assert.match(curl.stdout, /^Subject: Hello from the Internet\r$/m, "the first message in alice's Inbox, read with her password");
    const pop = spawnSync(
      'python3',
      [
        '-c',
        `
import poplib, sys
p = poplib.POP3('127.168.5.10', 31110)
p.user('kim@fabrikam.com')
p.pass_(sys.argv[1])
count, size = p.stat()
subjects = [l for i in range(1, count + 1) for l in p.retr(i)[1] if l.startswith(b'Subject: ')]
print(count, b' | '.join(subjects).decode())
p.quit()`,
        passwords['kim@fabrikam.com'],
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(pop.status, 0, pop.stderr);
    assert.match(pop.stdout, /Subject: Hello from Contoso/);
    const wrong = spawnSync(
      'python3',
      [
        '-c',
        `
import imaplib, sys
m = imaplib.IMAP4('127.168.5.10', 31143)
try:
    m.login('alice@contoso.com', 'not-her-password')
    print('LOGGED ON')
except imaplib.IMAP4.error as e:
    print('REFUSED', e)`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(wrong.status, 0, wrong.stderr);
    assert.match(wrong.stdout, /^REFUSED .*AUTHENTICATIONFAILED/);
    assert.doesNotMatch(readFileSync(join(labDir, 'dovecot', 'dovecot.conf'), 'utf8'), /scrypt|Lab-/, "no password or hash in Dovecot's configuration");
  });

  it("writes each service's log to DIR/<server>/service.log (0600) and says where", () => {
    for (const server of ['EDGE01', 'MBX01', 'MBX02', 'FAB01']) {
      const file = join(labDir, server, 'service.log');
      assert.equal(statSync(file).mode & 0o777, 0o600, file);
      assert.match(readFileSync(file, 'utf8'), /"event":"service\.ready"/, file);
      assert.ok(labOut.includes(`its log: ${file}`), `the transcript names ${file}`);
    }
    assert.match(labOut, new RegExp(`^Service logs: +${join(labDir, 'EDGE01', 'service.log').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
  });

  it("swaks as bob's mail client on 587 (STARTTLS + AUTH): out through the Edge to fabrikam.com, no internal headers leaked", async () => {
    const r = swaks([
      '--server',
      `${MBX2}:${SUBMISSION}`,
      '--tls',
      '--auth',
      'LOGIN',
      '--auth-user',
      'bob@contoso.com',
      '--auth-password',
      passwords['bob@contoso.com'],
      '--from',
      'bob@contoso.com',
      '--to',
      'kim@fabrikam.com',
      '--header',
      'Subject: e2e from bob',
      '--body',
      'hello kim',
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await until(() => maildirMessages(kimMaildir).some((m) => m.includes('Subject: e2e from bob')), 30_000, "bob's message at fabrikam.com");
    const m = maildirMessages(kimMaildir).find((x) => x.includes('Subject: e2e from bob'))!;
    assert.match(m, /^Return-Path: <bob@contoso\.com>/);
    assert.match(m, /by edge01\.contoso\.net/);
    // FAB01 stamps its own AuthAs for mail from the Internet; nothing of contoso's organization headers arrives.
    assert.deepEqual(
      m
        .split('\r\n\r\n')[0]
        .split('\r\n')
        .filter((l) => /^X-MS-Exchange-Organization-/i.test(l)),
      ['X-MS-Exchange-Organization-AuthAs: Anonymous'],
      'organization headers never leave the Edge',
    );

    const noAuth = swaks(['--server', `${MBX2}:${SUBMISSION}`, '--from', 'bob@contoso.com', '--to', 'kim@fabrikam.com', '--quit-after', 'RCPT']);
    assert.notEqual(noAuth.status, 0);
    assert.match(noAuth.stdout, /<~?\*\* +530 5\.7\.1 Client was not authenticated/);
  });

  it("the Edge's account logs on to a Mailbox server from EDGE01 only (-LogonWorkstations EDGE01): swaks from another address gets 535", () => {
    const auth = (source: string) =>
      swaks([
        '--server',
        `127.168.5.10:${SMTP}`,
        '--local-interface',
        source,
        '--ehlo',
        'edge01.contoso.com',
        '--tls',
        '--auth',
        'LOGIN',
        '--auth-user',
        'CONTOSO\\edgeauth',
        '--auth-password',
        passwords['CONTOSO\\edgeauth'],
        '--quit-after',
        'AUTH',
      ]);
    const fromEdge = auth(EDGE_INT);
    assert.equal(fromEdge.status, 0, fromEdge.stdout + fromEdge.stderr);
    assert.match(fromEdge.stdout, /<~ +235 2\.7\.0 /);
    const fromInternet = auth(FABRIKAM);
    assert.notEqual(fromInternet.status, 0);
    assert.match(fromInternet.stdout, /<~\* +535 5\.7\.3 Authentication unsuccessful/);
  });

  it("Postfix's smtp-source as an Internet sender: every message reaches the mailbox", async () => {
    const before = maildirMessages(aliceMaildir).length;
    const r = spawnSync('/usr/sbin/smtp-source', ['-c', '-m', '5', '-s', '2', '-f', 'postfix-sender@fabrikam.com', '-t', 'alice@contoso.com', '-S', 'e2e smtp-source', `${EDGE_EXT}:${SMTP}`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await until(() => maildirMessages(aliceMaildir).length >= before + 5, 30_000, 'five smtp-source messages');
    assert.equal(maildirMessages(aliceMaildir).filter((m) => /^Return-Path: <postfix-sender@fabrikam\.com>/.test(m)).length, 5);
  });

  it('Postfix relaying Internet mail into the Edge over TLS', needs('postfix'), async () => {
    const relay = await startPostfix({ dir: join(dir.path, 'postfix-relay'), listen: '127.20.3.1:31025', hostname: 'relay.northwind.example', relayHost: { address: EDGE_EXT, port: SMTP, tls: 'encrypt' } });
    postfixes.push(relay);
    const r = swaks(['--server', '127.20.3.1:31025', '--from', 'someone@northwind.example', '--to', 'alice@contoso.com', '--header', 'Subject: e2e via postfix', '--body', 'relayed by Postfix']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await until(() => maildirMessages(aliceMaildir).some((m) => m.includes('Subject: e2e via postfix')), 45_000, "Postfix's relayed message in alice's Maildir").catch((err) => {
      throw new Error(`${(err as Error).message}\n${relay.log()}`);
    });
    const m = maildirMessages(aliceMaildir).find((x) => x.includes('Subject: e2e via postfix'))!;
    assert.match(m, /Received: from relay\.northwind\.example \([^)]*\) by edge01\.contoso\.net[^;]*\(version=TLSv1\.[23][^)]*\) with ESMTPS/);
    assert.match(relay.log(), /status=sent \(250 2\.6\.0 /);
  });

  it("Postfix as another Internet domain's MX: a user's mail arrives there through the Edge, with no organization headers", needs('postfix'), async () => {
    const cert = await generateSelfSignedCertificate({ subject: 'CN=mail.tailspintoys.com', domains: ['mail.tailspintoys.com'] });
    writeFileSync(join(dir.path, 'tailspin.crt'), cert.certificatePem);
    writeFileSync(join(dir.path, 'tailspin.key'), cert.privateKeyPem, { mode: 0o600 });
    const mx = await startPostfix({
      dir: join(dir.path, 'postfix-mx'),
      listen: '127.20.2.1:31025',
      hostname: 'mail.tailspintoys.com',
      destinationDomains: ['tailspintoys.com'],
      tls: { certFile: join(dir.path, 'tailspin.crt'), keyFile: join(dir.path, 'tailspin.key') },
    });
    postfixes.push(mx);
    const r = swaks([
      '--server',
      `127.168.5.10:${SUBMISSION}`,
      '--tls',
      '--auth',
      'LOGIN',
      '--auth-user',
      'alice@contoso.com',
      '--auth-password',
      passwords['alice@contoso.com'],
      '--from',
      'alice@contoso.com',
      '--to',
      'ed@tailspintoys.com',
      '--header',
      'Subject: e2e to tailspin',
      '--body',
      'hello ed',
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await until(() => mx.messages().some((m) => m.includes('Subject: e2e to tailspin')), 45_000, "the message at tailspintoys.com's Postfix").catch((err) => {
      throw new Error(`${(err as Error).message}\n${mx.log()}`);
    });
    const m = mx.messages().find((x) => x.includes('Subject: e2e to tailspin'))!;
    assert.match(m, /^Return-Path: <alice@contoso\.com>/);
    assert.match(m, /Received: from edge01\.contoso\.net/);
    assert.doesNotMatch(m, /^X-MS-Exchange-/im, 'no internal X-headers reach the Internet');
    assert.match(mx.log(), /TLS connection established from unknown\[127\.0\.0\.1\]: TLSv1\.[23]/, 'the Edge used STARTTLS');
  });

  it('the servers trust each other\'s certificates: "To Internal Org" with CertificateValidation still delivers', async () => {
    await shell('EDGE01', 'Set-SendConnector "To Internal Org" -RequireTLS $true -TlsAuthLevel CertificateValidation');
    await configAppliedInLog(join(labDir, 'EDGE01', 'service.log'), join(labDir, 'EDGE01'), 30_000); // the running Edge applies the change
    const r = swaks(['--server', `${EDGE_EXT}:${SMTP}`, '--from', 'sender@fabrikam.com', '--to', 'alice@contoso.com', '--header', 'Subject: e2e validated', '--body', 'checked certificate']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await until(() => maildirMessages(aliceMaildir).some((m) => m.includes('Subject: e2e validated')), 30_000, 'the message over a validated TLS link');
    const explained = await shell('EDGE01', 'Trace-MailFlow alice@contoso.com -Sender sender@fabrikam.com | Where-Object Step -eq Certificate | Format-List Result,Detail');
    assert.match(explained, /Result : Success/);
    assert.match(explained, /chains to a trusted CA/);
  });

  it('refuses the Internet on the internal binding, and relaying on the external one', () => {
    const internal = swaks(['--server', `${EDGE_INT}:${SMTP}`, '--local-interface', FABRIKAM, '--quit-after', 'BANNER']);
    assert.notEqual(internal.status, 0);
    assert.doesNotMatch(internal.stdout, /<- {2}220 /, 'no greeting for an address outside RemoteIPRanges');
    const relay = swaks(['--server', `${EDGE_EXT}:${SMTP}`, '--from', 'spammer@example.net', '--to', 'victim@example.org', '--quit-after', 'RCPT']);
    assert.notEqual(relay.status, 0);
    assert.match(relay.stdout, /<\*\* +550 5\.7\.1 Unable to relay/);
  });

  it('returns an NDR to the Internet sender for an unknown contoso.com recipient', async () => {
    const r = swaks([
      '--server',
      `${FABRIKAM}:${SUBMISSION}`,
      '--tls',
      '--auth',
      'LOGIN',
      '--auth-user',
      'kim@fabrikam.com',
      '--auth-password',
      passwords['kim@fabrikam.com'],
      '--from',
      'kim@fabrikam.com',
      '--to',
      'nobody@contoso.com',
      '--header',
      'Subject: e2e to nobody',
      '--body',
      'is anyone there?',
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await until(() => maildirMessages(kimMaildir).some((m) => /Final-Recipient: rfc822; ?nobody@contoso\.com/.test(m)), 45_000, "the NDR in kim's mailbox");
    const ndr = maildirMessages(kimMaildir).find((m) => /Final-Recipient: rfc822; ?nobody@contoso\.com/.test(m))!;
    assert.match(ndr, /^Return-Path: <>/);
    assert.match(ndr, /Status: 5\.1\.1/);
  });

  it('keeps mail for a Mailbox server that is down, and delivers it when the server returns', async () => {
    const pid = Number(/MBX02 \(mbxserver02\.contoso\.com\) is running, PID (\d+)/.exec(labOut)?.[1]);
    assert.ok(pid > 0, "the lab names MBX02's PID");
    process.kill(pid, 'SIGTERM');
    await until(
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      20_000,
      'MBX02 to stop',
    );
    const r = swaks(['--server', `${EDGE_EXT}:${SMTP}`, '--from', 'sender@fabrikam.com', '--to', 'bob@contoso.com', '--header', 'Subject: e2e while MBX02 is down', '--body', 'wait for me']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // The message reaches MBX01 (the other smart host) and waits there for MBX02.
    await until(async () => /mbxserver02|MBX02/.test(await shell('MBX01', 'Get-Queue -Filter "MessageCount -gt 0" | Format-List NextHopDomain,Status,LastError')), 45_000, 'a queue towards MBX02 on MBX01');

    restarted = spawn(process.execPath, [BIN, 'start', '--data', join(labDir, 'MBX02')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    restarted.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    await until(() => out.includes('"service.ready"'), 30_000, 'MBX02 to start again');
    await shell('MBX01', 'Get-Queue -Filter "MessageCount -gt 0" | Retry-Queue');
    const bobMaildir = join(await shell('MBX01', '(Get-MailboxDatabase DB2).FolderPath'), await shell('MBX01', '(Get-Mailbox bob).Guid'));
    await until(() => maildirMessages(bobMaildir).some((m) => m.includes('Subject: e2e while MBX02 is down')), 60_000, "the message in bob's Maildir");
  });
});
