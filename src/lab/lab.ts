// `gatehouse lab`: the seed's topology on one machine. Sets up EDGE01, MBX01,
// MBX02 and fabrikam.com's mail server (FAB01), configures them through
// `gatehouse shell` with the seed's own commands (printed with their output),
// starts each as its own `gatehouse start` process behind a lab DNS server,
// then sends one message from the Internet to a mailbox and one from a
// mailbox to the Internet and shows their message tracking trail on every
// server. --once stops everything afterwards; --keep-running stays up until
// Ctrl-C. Every process the lab starts is stopped by the lab, by PID.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { OutboundConnection, isConnectFailure } from '../smtp/outbound/connection.js';
import { dnsmasqArguments, LabDnsServer } from './lab-dns.js';
import { stopChild } from './stop-child.js';
import { ROOT } from './seed-script.js';
import { certificateFile, edgeCertificateScript, edgeScript, EDGE_INTERNAL_NAME, fabrikamScript, labPlan, mailboxScript, zoneData, ADDRESSES, type LabPlan, type LabServer, type ScriptLine } from './topology.js';
import { presentedSmtpCertificate } from '../setup/smtp-certificate.js';

export const BIN = join(ROOT, 'bin', 'gatehouse.js');
const MARKER = '.gatehouse-lab';

export interface LabOptions {
  dir: string;
  portBase: number;
  mode: 'once' | 'keep-running';
  /** The Internet's DNS: the lab's own server, or dnsmasq. */
  dns: 'builtin' | 'dnsmasq';
  out: (text: string) => void;
}

export class LabError extends Error {}

interface RunResult { code: number | null; stdout: string; stderr: string }

function run(args: string[], input?: string, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(input ?? '');
  });
}

/** Whether the lab can listen on an address and port: null, or what stops it. */
function probe(address: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    s.listen(port, address, () => s.close(() => resolve(null)));
  });
}

class RunningServer {
  private lines = '';
  private readyWaiters: (() => void)[] = [];
  ready = false;
  constructor(readonly server: LabServer, readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.lines += d;
      if (!this.ready && this.lines.includes('"service.ready"')) {
        this.ready = true;
        this.readyWaiters.splice(0).forEach((w) => w());
      }
      if (this.lines.length > 1_000_000) this.lines = this.lines.slice(-100_000);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.lines += d));
  }
  get output(): string {
    return this.lines;
  }
  waitReady(ms: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.readyWaiters.push(() => { clearTimeout(t); resolve(true); });
      this.child.once('exit', () => { clearTimeout(t); resolve(this.ready); });
    });
  }
  stop(): Promise<void> {
    return stopChild(this.child, 15_000);
  }
}

export class Lab {
  private readonly plan: LabPlan;
  private dns?: LabDnsServer;
  private dnsmasq?: ChildProcess;
  private readonly running: RunningServer[] = [];

  constructor(private readonly o: LabOptions) {
    this.plan = labPlan(o.dir, o.portBase);
  }

  private dataDir(s: LabServer): string {
    return join(this.plan.dir, s.name);
  }

  /** Writes to the transcript; the generated passwords are shown as a pointer to accounts.txt. */
  private say(text = ''): void {
    let shown = text;
    for (const p of Object.values(this.plan.passwords)) shown = shown.split(p).join('<password: accounts.txt>');
    this.o.out(shown + '\n');
  }

  /** Brings the lab up, sends the two messages; true when both were delivered. */
  async run(): Promise<boolean> {
    await this.checkPorts();
    this.prepareFolder();
    const { edge, mbx1, mbx2, fabrikam } = this.plan.servers;

    await this.startDns();
    this.say(`The Internet's DNS (${this.o.dns === 'dnsmasq' ? 'dnsmasq' : 'the lab\'s own server'}) answers on ${ADDRESSES.dns}:${this.plan.dnsPort}: MX contoso.com -> mail.contoso.com (${ADDRESSES.edgeExternal}), MX fabrikam.com -> mail.fabrikam.com (${ADDRESSES.fabrikam}).`);

    this.section('Setup');
    for (const s of [edge, mbx1, mbx2, fabrikam]) {
      const r = await run(['setup', '--role', s.role, '--name', s.name, '--fqdn', s.fqdn, '--data', this.dataDir(s), ...(s.org ? ['--org', s.org] : [])]);
      this.say(`$ gatehouse setup --role ${s.role} --name ${s.name} --fqdn ${s.fqdn}`);
      this.say(r.stdout.trimEnd());
      if (r.code !== 0) throw new LabError(`setup of ${s.name} failed: ${r.stderr.trim()}`);
    }

    this.section(`EDGE01: a certificate that also carries ${EDGE_INTERNAL_NAME}, the name the Mailbox servers' "To Edge" sends its credential to, in place of Setup's`);
    await this.shell(edge, edgeCertificateScript(this.plan, this.smtpCertificate(edge).thumbprint));
    this.exportCertificates([edge, mbx1, mbx2, fabrikam]);
    const mailbox = mailboxScript(this.plan);
    this.section(`MBX01: what the seed assumes (the organization: accepted domain, databases, mailboxes, the account the Edge uses, the Edge's certificate trusted, bindings on ${mbx1.address} and ${mbx2.address})`);
    await this.shell(mbx1, mailbox.assumed);
    this.section('MBX01: the seed\'s Mailbox server procedure, verbatim');
    await this.shell(mbx1, mailbox.seed);
    const edgeLines = edgeScript(this.plan);
    this.section('EDGE01: what the seed assumes (accepted domain, the account the Mailbox servers use, their certificates trusted, DNS)');
    await this.shell(edge, edgeLines.assumed);
    this.section(`EDGE01: the seed's Edge Transport procedure, verbatim (10.1.1.1 -> ${ADDRESSES.edgeExternal}, 10.1.1.2 -> ${ADDRESSES.edgeInternal}, 192.168.5.10/20 -> ${mbx1.address}/${mbx2.address})`);
    await this.shell(edge, edgeLines.seed);
    this.section('FAB01: fabrikam.com\'s mail server on the Internet');
    await this.shell(fabrikam, fabrikamScript(this.plan));

    this.section('Starting the servers');
    for (const s of [edge, mbx1, mbx2, fabrikam]) await this.start(s);

    this.section('Mail');
    const inbound = await this.submit(fabrikam, 'kim@fabrikam.com', this.plan.passwords.kim, 'alice@contoso.com', 'Hello from the Internet');
    const outbound = await this.submit(mbx2, 'bob@contoso.com', this.plan.passwords.bob, 'kim@fabrikam.com', 'Hello from Contoso');
    const inOk = await this.delivered(mbx1, inbound, 'alice@contoso.com');
    const outOk = await this.delivered(fabrikam, outbound, 'kim@fabrikam.com');
    this.say(`Internet -> mailbox: kim@fabrikam.com -> alice@contoso.com ${inOk ? 'DELIVERED into alice\'s mailbox on MBX01' : 'NOT delivered within 60 s'}`);
    this.say(`Mailbox -> Internet: bob@contoso.com -> kim@fabrikam.com ${outOk ? 'DELIVERED into kim\'s mailbox at fabrikam.com' : 'NOT delivered within 60 s'}`);

    for (const [label, id] of [['kim@fabrikam.com -> alice@contoso.com', inbound], ['bob@contoso.com -> kim@fabrikam.com', outbound]] as const) {
      this.section(`Message tracking: ${label} (${id})`);
      for (const s of [fabrikam, edge, mbx1, mbx2]) {
        const shellOn = s === mbx2 ? mbx1 : s; // MBX02's log, read from MBX01's shell with -Server
        const cmd = `Get-MessageTrackingLog -Server ${s.name} -MessageId "${id}" | Sort-Object Timestamp | Format-Table Timestamp,EventId,Source,Recipients,ConnectorId`;
        const r = await run(['shell', '--data', this.dataDir(shellOn), '-c', cmd]);
        this.say(`[PS] ${shellOn.fqdn}> ${cmd}`);
        this.say(r.stdout.trim() === '' ? '(no events)' : r.stdout.trimEnd());
        if (r.stderr.trim()) this.say(r.stderr.trimEnd());
      }
    }
    return inOk && outOk;
  }

  private async startDns(): Promise<void> {
    if (this.o.dns === 'builtin') {
      this.dns = new LabDnsServer(zoneData());
      await this.dns.listen(ADDRESSES.dns, this.plan.dnsPort);
      return;
    }
    const child = spawn('dnsmasq', dnsmasqArguments(zoneData(), ADDRESSES.dns, this.plan.dnsPort), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const failed = await new Promise<string | null>((resolve) => {
      child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' ? 'dnsmasq is not installed (Debian: apt-get install dnsmasq-base); or leave out --dns dnsmasq' : err.message));
      child.once('exit', (code) => resolve(`dnsmasq exited (${code}): ${stderr.trim()}`));
      setTimeout(() => resolve(null), 500);
    });
    if (failed) throw new LabError(failed);
    this.dnsmasq = child;
  }

  private section(title: string): void {
    this.say();
    this.say(`==== ${title}`);
  }

  private async checkPorts(): Promise<void> {
    const wanted: [string, number][] = [
      [ADDRESSES.edgeExternal, this.plan.smtpPort], [ADDRESSES.edgeInternal, this.plan.smtpPort], [ADDRESSES.mbx1, this.plan.smtpPort],
      [ADDRESSES.mbx1, this.plan.submissionPort], [ADDRESSES.mbx2, this.plan.smtpPort], [ADDRESSES.mbx2, this.plan.submissionPort],
      [ADDRESSES.fabrikam, this.plan.smtpPort], [ADDRESSES.fabrikam, this.plan.submissionPort], [ADDRESSES.dns, this.plan.dnsPort],
    ];
    for (const [address, port] of wanted) {
      const err = await probe(address, port);
      if (!err) continue;
      if (err.code === 'EACCES') {
        throw new LabError(`The lab cannot listen on ${address}:${port}: ports below 1024 need root (or CAP_NET_BIND_SERVICE). Run it with --port-base 20000: every server then uses 20025 for SMTP, 20587 for submission and 20053 for DNS, and the Send connectors' Port is set to match.`);
      }
      if (err.code === 'EADDRINUSE') {
        throw new LabError(`${address}:${port} is already in use: is another lab still running? Stop it (Ctrl-C), or use another --port-base.`);
      }
      if (err.code === 'EADDRNOTAVAIL') {
        throw new LabError(`${address} is not an address of this machine: the lab needs the loopback network 127.0.0.0/8 on "lo" (Linux routes all of it there by default).`);
      }
      throw new LabError(`The lab cannot listen on ${address}:${port}: ${err.message}`);
    }
  }

  /** A fresh lab folder: an old lab's folder is replaced; any other existing folder is refused. */
  private prepareFolder(): void {
    const dir = this.plan.dir;
    if (existsSync(dir)) {
      if (!existsSync(join(dir, MARKER))) throw new LabError(`${dir} exists and is not a lab folder; choose another --dir.`);
      rmSync(dir, { recursive: true, force: true });
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, MARKER), 'A gatehouse lab folder: replaced by the next `gatehouse lab` run.\n');
    const p = this.plan.passwords;
    writeFileSync(join(dir, 'accounts.txt'), [
      'Accounts of this lab run (generated):',
      `alice@contoso.com  ${p.alice}   (mailbox on MBX01, database DB1)`,
      `bob@contoso.com    ${p.bob}   (mailbox on MBX02, database DB2)`,
      `kim@fabrikam.com   ${p.kim}   (mailbox on FAB01, fabrikam.com's server)`,
      `CONTOSO\\edgeauth   ${p.edgeauth}   (directory account the Edge authenticates with: $MailboxCredentials)`,
      `EDGE01\\mbxrelay    ${p.mbxrelay}   (Edge account the Mailbox servers authenticate with: $EdgeCredentials)`,
      '',
    ].join('\n'), { mode: 0o600 });
  }

  /** The certificate STARTTLS presents for the server's FQDN: its thumbprint and PEM (public part). */
  private smtpCertificate(s: LabServer): { thumbprint: string; pem: string } {
    const cert = presentedSmtpCertificate(this.dataDir(s));
    if (!cert) throw new LabError(`${s.name} has no SMTP certificate for ${s.fqdn}`);
    return cert;
  }

  /** Writes each server's SMTP certificate (public part) where the others' scripts (and the lab's mail client) import it from. */
  private exportCertificates(servers: LabServer[]): void {
    mkdirSync(join(this.plan.dir, 'certs'), { recursive: true });
    for (const s of servers) writeFileSync(certificateFile(this.plan, s), this.smtpCertificate(s).pem);
  }

  /** Runs a script in the server's shell with a transcript; Get-Credential answers follow their line. */
  private async shell(s: LabServer, lines: ScriptLine[]): Promise<void> {
    const input = lines.flatMap((l) => [l.text, ...(l.answers ?? [])]).join('\n') + '\n';
    const r = await run(['shell', '--echo', '--data', this.dataDir(s)], input);
    this.say(r.stdout.replace(/\n{3,}/g, '\n\n').trimEnd());
    if (r.code !== 0 || r.stderr.trim() !== '') {
      if (r.stderr.trim()) this.say(r.stderr.trimEnd());
      throw new LabError(`a command failed in ${s.name}'s shell (see above)`);
    }
  }

  private async start(s: LabServer): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'start', '--data', this.dataDir(s)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = new RunningServer(s, child);
    this.running.push(r);
    if (!(await r.waitReady(30_000))) {
      throw new LabError(`${s.name} did not start:\n${r.output.split('\n').slice(-15).join('\n')}`);
    }
    const ready = r.output.split('\n').find((l) => l.includes('"service.ready"')) ?? '';
    let listening = '';
    try {
      listening = (JSON.parse(ready) as { listening?: string[] }).listening?.join(', ') ?? '';
    } catch {
      listening = '';
    }
    this.say(`${s.name} (${s.fqdn}) is running, PID ${child.pid}${listening ? `, listening on ${listening}` : ''}.`);
  }

  /** Submits a message as a mailbox user on the server's Client connector (587, STARTTLS, AUTH); returns its Message-ID. */
  private async submit(s: LabServer, from: string, password: string, to: string, subject: string): Promise<string> {
    const id = `<lab.${randomBytes(8).toString('hex')}@${from.split('@')[1]}>`;
    const body = Buffer.from([
      `From: ${from}`, `To: ${to}`, `Subject: ${subject}`, `Message-ID: ${id}`, `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
      'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '',
      `This message went through the seed's topology (${subject.toLowerCase()}).`, '',
    ].join('\r\n'));
    // Like any mail client, it gives the password only to a server that proves who it is: the
    // certificate the lab exported for this server, carrying its FQDN.
    const conn = await OutboundConnection.open({ host: s.fqdn, address: s.address, port: this.plan.submissionPort }, {
      ehloName: 'lab-client.example', forceHelo: false, tls: 'required', tlsAuthLevel: null,
      trustedCertificates: [readFileSync(certificateFile(this.plan, s), 'utf8')],
      auth: { username: from, password, mechanism: 'BasicAuthRequireTLS' },
      connectTimeoutMs: 10_000, greetingTimeoutMs: 15_000, inactivityTimeoutMs: 30_000, maxMessagesPerConnection: 1,
    });
    if (isConnectFailure(conn)) throw new LabError(`${from} could not submit on ${s.name} (${s.address}:${this.plan.submissionPort}): ${conn.text}`);
    try {
      const [outcome] = await conn.send({ sender: from, recipients: [{ address: to }], body, smtputf8: false, bodyType: '8BITMIME' });
      this.say(`${from} submitted "${subject}" to ${to} on ${s.name} (${s.address}:${this.plan.submissionPort}, STARTTLS, AUTH): ${outcome.reply}`);
      if (outcome.status !== 'delivered') throw new LabError(`${s.name} refused the message: ${outcome.reply}`);
    } finally {
      await conn.close();
    }
    return id;
  }

  /** Waits (bounded) for the DELIVER event of the message on the server that owns the mailbox. */
  private async delivered(s: LabServer, id: string, recipient: string): Promise<boolean> {
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < 120 && Date.now() < deadline; i++) {
      const r = await run(['shell', '--data', this.dataDir(s), '-c', `Get-MessageTrackingLog -MessageId "${id}" -EventId DELIVER -Recipients ${recipient} | Measure-Object | % Count`]);
      if (r.code === 0 && Number(r.stdout.trim()) > 0) return true;
      await new Promise((res) => setTimeout(res, 500));
    }
    return false;
  }

  /** Instructions for --keep-running. */
  describe(): string {
    const { edge, mbx1, mbx2, fabrikam } = this.plan.servers;
    const bin = 'node bin/gatehouse.js';
    return [
      '',
      '==== The lab is running. Ctrl-C stops every server it started.',
      `Shells:        ${[edge, mbx1, mbx2, fabrikam].map((s) => `${bin} shell --data ${this.dataDir(s)}`).join('\n               ')}`,
      `Accounts:      ${join(this.plan.dir, 'accounts.txt')}`,
      `Send a test:   swaks --server ${ADDRESSES.edgeExternal}:${this.plan.smtpPort} --from someone@fabrikam.com --to alice@contoso.com`,
      `               (or as a user: swaks --server ${ADDRESSES.mbx1}:${this.plan.submissionPort} --tls --auth LOGIN --auth-user alice@contoso.com --auth-password <see accounts.txt> --from alice@contoso.com --to kim@fabrikam.com)`,
      `Read mail:     Get-MailboxStatistics alice (in MBX01's shell); the Maildir is under ${this.dataDir(mbx1)}/Mailbox`,
      `Explain:       Trace-MailFlow alice@contoso.com -Sender kim@fabrikam.com -ClientIPAddress ${ADDRESSES.fabrikam} -ReceiveBinding ${ADDRESSES.edgeExternal}:${this.plan.smtpPort}   (in EDGE01's shell)`,
      '',
    ].join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.running.map((r) => r.stop()));
    this.dns?.close();
    if (this.dnsmasq) await stopChild(this.dnsmasq, 5_000);
  }
}
