// `gatehouse lab`: the seed's topology on one machine. Sets up EDGE01, MBX01,
// MBX02 and fabrikam.com's mail server (FAB01), configures them through
// `gatehouse shell` with the seed's own commands (printed with their output),
// starts each as its own `gatehouse start` process behind a lab DNS server,
// then sends one message from the Internet to a mailbox and one from a
// mailbox to the Internet and shows their message tracking trail on every
// server, and a third from the Internet to an address nobody has, which the
// Edge's Recipient Filter refuses at RCPT TO. --once stops everything afterwards; --keep-running stays up until
// Ctrl-C. Every process the lab starts is stopped by the lab, by PID. Each
// service's output is its log file, DIR/<server>/service.log (0600). Run as
// root, the Mailbox servers run as the lab's mail user (a uid of its own, no
// account), so their Maildirs belong to it, not to root; with Dovecot
// installed the lab then serves every Mailbox server's mailboxes over IMAP
// and POP3, where users log on with their Gatehouse mailbox passwords
// (lab/dovecot.ts, `gatehouse dovecot-auth`).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { PgCluster, postgresInstalled } from './postgres-cluster.js';
import { OutboundConnection, isConnectFailure } from '../smtp/outbound/connection.js';
import { dnsmasqArguments, LabDnsServer } from './lab-dns.js';
import { stopChild } from './stop-child.js';
import { ROOT } from './seed-script.js';
import {
  certificateFile,
  dkimScript,
  edgeCertificateScript,
  edgeDefencesScript,
  edgeScript,
  EDGE_INTERNAL_NAME,
  fabrikamScript,
  labPlan,
  mailboxScript,
  managementEndpoint,
  zoneData,
  ADDRESSES,
  type LabOrgStore,
  type LabPlan,
  type LabServer,
  type ScriptLine,
} from './topology.js';
import { presentedSmtpCertificate } from '../setup/smtp-certificate.js';
import { dovecotInstalled, startDovecot, type RunningDovecot } from './dovecot.js';

export const BIN = join(ROOT, 'bin', 'gatehouse.js');
const MARKER = '.gatehouse-lab';
/** The lab's third message goes to an address nobody in contoso.com has. */
const NOBODY = 'nobody@contoso.com';

export interface LabOptions {
  dir: string;
  portBase: number;
  mode: 'once' | 'keep-running';
  /** The Internet's DNS: the lab's own server, or dnsmasq. */
  dns: 'builtin' | 'dnsmasq';
  /** Where the contoso organization lives (default: one SQLite file beside the server folders). */
  orgStore?: LabOrgStore;
  out: (text: string) => void;
}

/** How a lab process runs: as the lab's user, or (Mailbox servers of an organization in PostgreSQL, as root) a user of its own. */
interface RunAs {
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
}

/** The users MBX01 and MBX02 run as when the lab isolates them (numeric: no account is created). */
const SERVER_UIDS: Record<string, number> = { MBX01: 61001, MBX02: 61002 };
/** The lab's mail user: the Mailbox servers run as it (the lab as root, the organization in SQLite), and own their Maildirs. */
export const LAB_MAIL_UID = 61000;
/** IMAP and POP3 of the lab's Dovecot, after --port-base. */
const IMAP_PORT = 143;
const POP3_PORT = 110;

export class LabError extends Error {}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], input?: string, timeoutMs = 120_000, as: RunAs = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...spawnAs(as) });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

function spawnAs(as: RunAs): { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } {
  return { ...(as.uid !== undefined && { uid: as.uid, gid: as.gid ?? as.uid }), ...(as.env && { env: { ...process.env, ...as.env } }) };
}

/** The first existing folder above `dir` that other users cannot search; null when they reach it. */
function firstClosedAncestor(dir: string): string | null {
  for (let up = dirname(resolve(dir)); ; up = dirname(up)) {
    try {
      if ((statSync(up).mode & 0o001) === 0) return up;
    } catch {
      // not made yet: the lab makes it (mode 0700 for the lab's own folder, set below)
    }
    if (up === dirname(up)) return null;
  }
}

/** Whether the lab can listen on an address and port: null, or what stops it. */
function probe(address: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    s.listen(port, address, () => s.close(() => resolve(null)));
  });
}

/** A lab service's process: its output kept (bounded) for the lab's checks and appended to its log file. */
class RunningServer {
  private lines = '';
  private readyWaiters: (() => void)[] = [];
  private readonly file: WriteStream;
  ready = false;
  /** `logFile`: DIR/<server>/service.log, 0600 (the log names senders and recipients). */
  constructor(
    readonly server: LabServer,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.file = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
    this.file.on('error', () => undefined);
    child.once('exit', () => this.file.end());
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.file.write(d);
      this.lines += d;
      if (!this.ready && this.lines.includes('"service.ready"')) {
        this.ready = true;
        this.readyWaiters.splice(0).forEach((w) => w());
      }
      if (this.lines.length > 1_000_000) this.lines = this.lines.slice(-100_000);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.file.write(d);
      this.lines += d;
    });
  }
  get output(): string {
    return this.lines;
  }
  waitReady(ms: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.readyWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
      this.child.once('exit', () => {
        clearTimeout(t);
        resolve(this.ready);
      });
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
  /** The DKIM key records the servers made, served by the lab's DNS once known. */
  private readonly dkimRecords: Record<string, string[]> = {};
  private readonly running: RunningServer[] = [];
  private database?: PgCluster;
  /** MBX01 and MBX02 each run as a user of their own (an organization in PostgreSQL, the lab run as root). */
  private readonly isolated: boolean;
  /** The Mailbox servers run as the lab's mail user (the lab run as root, the organization in SQLite). */
  private readonly mailUser: boolean;
  /** A folder above the lab's that other users cannot search (the mail user could not reach the lab): null when none. */
  private readonly closedAncestor: string | null;
  /** IMAP and POP3 for the Mailbox servers' mailboxes (Dovecot installed, mailUser). */
  private readonly imap: boolean;
  private dovecot?: RunningDovecot;

  constructor(private readonly o: LabOptions) {
    this.plan = labPlan(o.dir, o.portBase, o.orgStore ?? 'sqlite');
    this.isolated = this.plan.orgStore === 'postgresql' && process.getuid?.() === 0;
    this.closedAncestor = firstClosedAncestor(o.dir);
    this.mailUser = this.plan.orgStore === 'sqlite' && process.getuid?.() === 0 && this.closedAncestor === null;
    this.imap = this.mailUser && dovecotInstalled();
  }

  /** Where Dovecot answers: MBX01's address, IMAP and POP3 after the port base. */
  private get imapEndpoint(): { address: string; imap: number; pop3: number } {
    return { address: ADDRESSES.mbx1, imap: this.o.portBase + IMAP_PORT, pop3: this.o.portBase + POP3_PORT };
  }

  /** The user a server's processes run as, and where its PostgreSQL password file is. */
  private runAs(s: LabServer): RunAs {
    if (this.mailUser && s.role === 'Mailbox') return { uid: LAB_MAIL_UID };
    if (this.plan.orgStore !== 'postgresql' || !(s.name in SERVER_UIDS)) return {};
    const env = { PGPASSFILE: join(this.home(s), 'pgpass'), HOME: this.home(s) };
    return this.isolated ? { uid: SERVER_UIDS[s.name], env } : { env };
  }

  /** A Mailbox server's own folder beside its server folder (its PostgreSQL password file, its copy of the organization's key). */
  private home(s: LabServer): string {
    return join(this.plan.dir, `${s.name}-home`);
  }

  private dataDir(s: LabServer): string {
    return join(this.plan.dir, s.name);
  }

  /** Where a server's service writes its log (JSON lines, its standard output and error). */
  private logFile(s: LabServer): string {
    return join(this.dataDir(s), 'service.log');
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
    this.say(
      `The Internet's DNS (${this.o.dns === 'dnsmasq' ? 'dnsmasq' : "the lab's own server"}) answers on ${ADDRESSES.dns}:${this.plan.dnsPort}: MX contoso.com -> mail.contoso.com (${ADDRESSES.edgeExternal}), MX fabrikam.com -> mail.fabrikam.com (${ADDRESSES.fabrikam}).`,
    );

    if (this.plan.database) await this.startDatabase();

    this.section('Setup');
    for (const s of [edge, mbx1, mbx2, fabrikam]) {
      const keyArgs = this.plan.database && (s === mbx1 || s === mbx2) ? ['--org-key', join(this.home(s), 'organization.key')] : [];
      if (s === mbx2 && keyArgs.length > 0) this.handOverKey(mbx1, mbx2);
      const r = await run(['setup', '--role', s.role, '--name', s.name, '--fqdn', s.fqdn, '--data', this.dataDir(s), ...(s.org ? ['--org', s.org] : []), ...keyArgs], undefined, 120_000, this.runAs(s));
      this.say(`$ gatehouse setup --role ${s.role} --name ${s.name} --fqdn ${s.fqdn}${s.org && this.plan.database ? ` --org ${s.org} ${keyArgs.join(' ')}` : ''}`);
      this.say(r.stdout.trimEnd());
      if (r.code !== 0) throw new LabError(`setup of ${s.name} failed: ${r.stderr.trim()}`);
    }

    this.section(`EDGE01: a certificate that also carries ${EDGE_INTERNAL_NAME}, the name the Mailbox servers' "To Edge" sends its credential to, in place of Setup's`);
    await this.shell(edge, edgeCertificateScript(this.plan, this.smtpCertificate(edge).thumbprint));
    this.exportCertificates([edge, mbx1, mbx2, fabrikam]);
    const mailbox = mailboxScript(this.plan);
    this.section(`MBX01: what the seed assumes (the organization: accepted domain, databases, mailboxes, the account the Edge uses, the Edge's certificate trusted, bindings on ${mbx1.address} and ${mbx2.address})`);
    await this.shell(mbx1, mailbox.assumed);
    if (!this.plan.database) {
      this.section("MBX01: the seed's Mailbox server procedure, verbatim");
      await this.shell(mbx1, mailbox.seed);
    }
    const edgeLines = edgeScript(this.plan);
    this.section('EDGE01: what the seed assumes (accepted domain, the account the Mailbox servers use, their certificates trusted, DNS)');
    await this.shell(edge, edgeLines.assumed);
    this.section(`EDGE01: the seed's Edge Transport procedure, verbatim (10.1.1.1 -> ${ADDRESSES.edgeExternal}, 10.1.1.2 -> ${ADDRESSES.edgeInternal}, 192.168.5.10/20 -> ${mbx1.address}/${mbx2.address})`);
    await this.shell(edge, edgeLines.seed);
    this.section('EDGE01: its anti-spam agents, on by default, and recipient validation: without EdgeSync the Edge asks the Mailbox servers whether a recipient exists');
    await this.shell(edge, edgeDefencesScript());
    this.section("FAB01: fabrikam.com's mail server on the Internet");
    await this.shell(fabrikam, fabrikamScript(this.plan));
    this.section("DKIM: EDGE01 signs contoso.com's mail to the Internet, FAB01 fabrikam.com's; the DNS publishes their keys");
    await this.shell(edge, dkimScript('contoso.com'));
    await this.shell(fabrikam, dkimScript('fabrikam.com'));
    await this.publishDkim(edge, 'contoso.com');
    await this.publishDkim(fabrikam, 'fabrikam.com');

    this.section('Starting the servers');
    for (const s of [edge, mbx1, mbx2, fabrikam]) await this.start(s);
    if (this.plan.database) {
      this.section("MBX02: the seed's Mailbox server procedure, verbatim, typed in MBX02's shell while MBX01 runs");
      await this.typedOnOtherHost(mbx2, mbx1, mailbox.seed);
      this.showIsolation(mbx1, mbx2);
    }

    await this.startImap();

    this.section('Mail');
    // With the organization in PostgreSQL, alice's mail leaves through MBX01's "To Edge" (made in
    // MBX02's shell), and bob's mail to alice is relayed by MBX02 into her mailbox on MBX01.
    const sender = this.plan.database ? { server: mbx1, address: 'alice@contoso.com', password: this.plan.passwords.alice } : { server: mbx2, address: 'bob@contoso.com', password: this.plan.passwords.bob };
    const inbound = await this.submit(fabrikam, 'kim@fabrikam.com', this.plan.passwords.kim, 'alice@contoso.com', 'Hello from the Internet');
    const outbound = await this.submit(sender.server, sender.address, sender.password, 'kim@fabrikam.com', 'Hello from Contoso');
    const internal = this.plan.database ? await this.submit(mbx2, 'bob@contoso.com', this.plan.passwords.bob, 'alice@contoso.com', 'Hello from MBX02') : null;
    const inOk = await this.delivered(mbx1, inbound, 'alice@contoso.com');
    const outOk = await this.delivered(fabrikam, outbound, 'kim@fabrikam.com');
    const internalOk = internal ? await this.delivered(mbx1, internal, 'alice@contoso.com') : true;
    this.say(`Internet -> mailbox: kim@fabrikam.com -> alice@contoso.com ${inOk ? "DELIVERED into alice's mailbox on MBX01" : 'NOT delivered within 60 s'}`);
    if (inOk) this.showAntispamStamps(mbx1, inbound);
    this.say(`Mailbox -> Internet: ${sender.address} -> kim@fabrikam.com ${outOk ? "DELIVERED into kim's mailbox at fabrikam.com" : 'NOT delivered within 60 s'}`);
    if (internal) this.say(`Mailbox -> mailbox: bob@contoso.com (MBX02) -> alice@contoso.com (MBX01) ${internalOk ? "DELIVERED into alice's mailbox on MBX01, relayed by MBX02" : 'NOT delivered within 60 s'}`);

    // A third message, to an address nobody has: the Edge's Recipient Filter refuses it at RCPT TO
    // after asking the Mailbox servers, so fabrikam.com's server bounces it to kim; nothing inside bounces.
    const stranger = await this.submit(fabrikam, 'kim@fabrikam.com', this.plan.passwords.kim, NOBODY, 'Hello nobody');
    const refusedOk = await this.refusedByEdge(stranger);

    const trails: Array<readonly [string, string]> = [
      ['kim@fabrikam.com -> alice@contoso.com', inbound],
      [`${sender.address} -> kim@fabrikam.com`, outbound],
    ];
    if (internal) trails.push(['bob@contoso.com -> alice@contoso.com', internal]);
    for (const [label, id] of trails) {
      this.section(`Message tracking: ${label} (${id})`);
      for (const s of [fabrikam, edge, mbx1, mbx2]) {
        // MBX02's log, read from MBX01's shell with -Server: MBX02 searches it, asked through its
        // management endpoint (with the organization in PostgreSQL, neither can open the other's folder).
        const shellOn = s === mbx2 ? mbx1 : s;
        const cmd = `Get-MessageTrackingLog -Server ${s.name} -MessageId "${id}" | Sort-Object Timestamp | Format-Table Timestamp,EventId,Source,Recipients,ConnectorId`;
        const r = await run(['shell', '--data', this.dataDir(shellOn), '-c', cmd], undefined, 120_000, this.runAs(shellOn));
        this.say(`[PS] ${shellOn.fqdn}> ${cmd}`);
        this.say(r.stdout.trim() === '' ? '(no events)' : r.stdout.trimEnd());
        if (r.stderr.trim()) this.say(r.stderr.trimEnd());
      }
    }
    const managed = await this.manageRemotely();
    return inOk && outOk && internalOk && refusedOk && managed;
  }

  /**
   * An administrator's workstation (this host) manages the organization through MBX01's endpoint:
   * `gatehouse shell --connect` as CONTOSO\Administrator. MBX01 runs the cmdlets; those that name
   * MBX02 (its queues, bob's mailbox) MBX01 runs on MBX02 through MBX02's endpoint, for Administrator.
   */
  private async manageRemotely(): Promise<boolean> {
    const { mbx1 } = this.plan.servers;
    const connect = this.remoteShellArguments();
    this.section(`Remote management: ${connect.display}`);
    const script = [
      'Get-ExchangeServer | Get-Queue | Sort-Object Identity | Format-Table Identity,DeliveryType,Status,MessageCount -AutoSize',
      'Get-MailboxStatistics | Sort-Object DisplayName | Format-Table DisplayName,ItemCount,ServerName,Database -AutoSize',
    ];
    for (const line of script) this.say(`[PS] ${mbx1.fqdn}> ${line}`);
    const r = await run([...connect.args, '-c', script.join('\n')], this.plan.passwords.administrator + '\n', 120_000, { env: connect.env });
    this.say(r.stdout.replace(/^Password for user [^\n]*\n/, '').trimEnd());
    if (r.stderr.trim()) this.say(r.stderr.trimEnd());
    const ok = r.code === 0 && /MBX02\\Submission/.test(r.stdout) && /\bBob\b.*\bMBX02\b/.test(r.stdout);
    this.say(ok ? "MBX01 answered for both servers: MBX02's queues and bob's mailbox came from MBX02, through its endpoint." : 'Remote management did NOT show both servers.');
    return ok;
  }

  /** How this host opens a remote shell to MBX01: by address (the host does not resolve the lab's names), trusting MBX01's certificate. */
  private remoteShellArguments(): { args: string[]; env: NodeJS.ProcessEnv; display: string } {
    const { mbx1 } = this.plan.servers;
    const url = `https://${mbx1.address}:${this.plan.managementPort}/PowerShell/`;
    const cert = certificateFile(this.plan, mbx1);
    return {
      args: ['shell', '--connect', url, '--user', 'CONTOSO\\Administrator', '--skip-cn-check'],
      env: { NODE_EXTRA_CA_CERTS: cert },
      display: `NODE_EXTRA_CA_CERTS=${cert} node bin/gatehouse.js shell --connect ${url} --user CONTOSO\\Administrator --skip-cn-check`,
    };
  }

  /** Dovecot for every Mailbox server's mailboxes, when it is installed and the Maildirs have an owner other than root. */
  private async startImap(): Promise<void> {
    if (!this.imap) {
      this.say(
        this.plan.orgStore !== 'sqlite'
          ? 'IMAP and POP3: not with --org-store postgresql (MBX01 and MBX02 run as two users).'
          : process.getuid?.() !== 0
            ? "IMAP and POP3: the lab runs Dovecot only as root (Dovecot reads mail as the Maildirs' owner)."
            : !this.mailUser
              ? `IMAP and POP3: not started, and the Mailbox servers run as root: the lab's mail user (uid ${LAB_MAIL_UID}) cannot reach ${resolve(this.o.dir)} because ${this.closedAncestor} is not searchable by others (chmod o+x ${this.closedAncestor}, or choose another --dir).`
              : 'IMAP and POP3: Dovecot is not installed (Debian: apt-get install dovecot-imapd dovecot-pop3d).',
      );
      return;
    }
    const { mbx1, fabrikam } = this.plan.servers;
    const at = this.imapEndpoint;
    const dir = join(this.plan.dir, 'dovecot');
    this.section(`Dovecot: IMAP ${at.address}:${at.imap} and POP3 ${at.address}:${at.pop3} for contoso.com's mailboxes (MBX01, MBX02) and fabrikam.com's (FAB01)`);
    try {
      this.dovecot = await startDovecot({ dir, address: at.address, imapPort: at.imap, pop3Port: at.pop3, servers: [this.dataDir(mbx1), this.dataDir(fabrikam)], gatehouse: BIN });
    } catch (err) {
      throw new LabError(`Dovecot did not start: ${(err as Error).message}`);
    }
    this.say(
      `Dovecot is running, PID ${this.dovecot.pid}, its configuration and log in ${dir}. Users log on with their mailbox passwords (accounts.txt): Dovecot asks \`gatehouse dovecot-auth\`, which checks them against the directory; the password hashes never leave Gatehouse.`,
    );
    this.say(`The Maildirs belong to the lab's mail user (uid ${LAB_MAIL_UID}), which the Mailbox servers run as; Dovecot reads mail as that user.`);
  }

  /** The organization's PostgreSQL: a private cluster in the lab folder, a role and a database for contoso. */
  private async startDatabase(): Promise<void> {
    const db = this.plan.database!;
    if (!postgresInstalled()) throw new LabError("--org-store postgresql needs PostgreSQL's server programs (Debian: apt-get install postgresql); the lab runs its own private cluster, no system service");
    this.section(`The organization's PostgreSQL (db.contoso.com, ${db.host}:${db.port}): a private cluster in ${join(this.plan.dir, 'postgresql')}`);
    const cluster = new PgCluster({ dir: join(this.plan.dir, 'postgresql'), host: db.host, port: db.port });
    this.database = cluster;
    try {
      cluster.start();
    } catch (err) {
      throw new LabError(`PostgreSQL did not start: ${(err as Error).message}`);
    }
    cluster.createDatabase(db.database, db.role, this.plan.passwords.database);
    this.say(`PostgreSQL is running, PID ${cluster.pid()}; role ${db.role} owns database ${db.database}. The Mailbox servers find its password in their own password file (PGPASSFILE, see accounts.txt).`);
    for (const s of [this.plan.servers.mbx1, this.plan.servers.mbx2]) {
      const home = this.home(s);
      this.ownedFolder(home, s);
      this.ownedFile(join(home, 'pgpass'), `${db.host}:${db.port}:${db.database}:${db.role}:${this.plan.passwords.database}\n`, s);
    }
  }

  /** A folder that belongs to a server's user when the lab isolates it. */
  private ownedFolder(path: string, s: LabServer): void {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chmodSync(path, 0o700);
    const uid = this.runAs(s).uid;
    if (uid !== undefined) chownSync(path, uid, uid);
  }

  private ownedFile(path: string, content: string | Buffer, s: LabServer): void {
    writeFileSync(path, content, { mode: 0o600 });
    const uid = this.runAs(s).uid;
    if (uid !== undefined) chownSync(path, uid, uid);
  }

  /** The admin copies the organization's key from the first server to the next, as a cluster secret is copied to each node. */
  private handOverKey(from: LabServer, to: LabServer): void {
    const key = readFileSync(join(this.home(from), 'organization.key'));
    this.ownedFile(join(this.home(to), 'organization.key'), key, to);
    this.say(`(the organization's key, ${join(this.home(from), 'organization.key')}, copied to ${join(this.home(to), 'organization.key')} for ${to.name})`);
  }

  /** Runs a script in one server's shell, then waits for another server's running service to apply all of it. */
  private async typedOnOtherHost(typedOn: LabServer, runningOn: LabServer, lines: ScriptLine[]): Promise<void> {
    const service = this.running.find((r) => r.server === runningOn)!;
    await this.shell(typedOn, lines);
    const done = Date.now();
    const counter = Number(this.database!.sql("SELECT value FROM config_meta WHERE key = 'change_counter'", this.plan.database!.database).trim());
    const appliedLine = () =>
      service.output
        .split('\n')
        .filter((l) => l.includes('"config.applied"'))
        .map((l) => JSON.parse(l) as { ts: string; changeCounter: number })
        .find((l) => l.changeCounter >= counter);
    const deadline = done + 30_000;
    let applied = appliedLine();
    for (let i = 0; i < 300 && Date.now() < deadline && !applied; i++) {
      await new Promise((r) => setTimeout(r, 100));
      applied = appliedLine();
    }
    if (!applied) throw new LabError(`${runningOn.name}'s running service did not apply the changes made in ${typedOn.name}'s shell (change ${counter}) within 30 s`);
    this.say(
      `${runningOn.name}'s running service applied the organization at change ${applied.changeCounter}, the last one made in ${typedOn.name}'s shell, ${Math.max(0, Date.parse(applied.ts) - done)} ms after that shell finished (PostgreSQL LISTEN/NOTIFY).`,
    );
  }

  /** What shows that MBX01 and MBX02 share only PostgreSQL and the network. */
  private showIsolation(a: LabServer, b: LabServer): void {
    this.section('MBX01 and MBX02 share no file: only PostgreSQL and the network');
    const files = readdirSync(this.plan.dir).filter((f) => /organization\.(db|key)$/.test(f) && f.startsWith('contoso'));
    this.say(`Organization files beside the server folders: ${files.length === 0 ? 'none (the organization is in PostgreSQL)' : files.join(', ')}`);
    if (!this.isolated) {
      this.say('The lab does not run as root, so MBX01 and MBX02 run as the same user here; as root, each runs as a user of its own.');
      return;
    }
    for (const [s, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const r = this.running.find((x) => x.server === s)!;
      const status = readFileSync(`/proc/${r.child.pid}/status`, 'utf8');
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      const st = statSync(this.dataDir(s));
      const probe = spawnSync(process.execPath, ['-e', `try { require('fs').readdirSync(${JSON.stringify(this.dataDir(other))}); console.log('readable') } catch (e) { console.log(e.code) }`], {
        encoding: 'utf8',
        timeout: 30_000,
        uid: SERVER_UIDS[s.name],
        gid: SERVER_UIDS[s.name],
      });
      this.say(
        `${s.name}: service PID ${r.child.pid} runs as uid ${uid}; its folder ${this.dataDir(s)} belongs to uid ${st.uid}, mode 0${(st.mode & 0o777).toString(8)}; as uid ${uid}, reading ${other.name}'s folder gives ${probe.stdout.trim()}.`,
      );
    }
  }

  /** Serves the domain's selector1 record, as its server's Get-DkimSigningConfig shows it (dnsmasq is restarted with it). */
  private async publishDkim(s: LabServer, domain: string): Promise<void> {
    const r = await run(['shell', '--data', this.dataDir(s)], `(Get-DkimSigningConfig ${domain}).Selector1PublicKey\n`, 120_000, this.runAs(s));
    const value = r.stdout.trim();
    if (r.code !== 0 || !/^v=DKIM1; k=\w+; p=[A-Za-z0-9+/=]+$/.test(value)) throw new LabError(`could not read ${domain}'s DKIM key from ${s.name}: ${r.stdout}${r.stderr}`);
    const name = `selector1._domainkey.${domain}`;
    this.dkimRecords[name] = value.match(/.{1,255}/g) ?? [];
    if (this.dns) {
      this.dns.setTxt(name, [this.dkimRecords[name]]);
    } else if (this.dnsmasq) {
      await stopChild(this.dnsmasq, 5_000);
      this.dnsmasq = undefined;
      await this.startDns();
    }
    this.say(`The Internet's DNS now serves ${name} TXT "${value.slice(0, 40)}...".`);
  }

  private async startDns(): Promise<void> {
    if (this.o.dns === 'builtin') {
      this.dns = new LabDnsServer(zoneData(this.dkimRecords));
      await this.dns.listen(ADDRESSES.dns, this.plan.dnsPort);
      return;
    }
    const child = spawn('dnsmasq', dnsmasqArguments(zoneData(this.dkimRecords), ADDRESSES.dns, this.plan.dnsPort), { stdio: ['ignore', 'ignore', 'pipe'] });
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
      [ADDRESSES.edgeExternal, this.plan.smtpPort],
      [ADDRESSES.edgeInternal, this.plan.smtpPort],
      [ADDRESSES.mbx1, this.plan.smtpPort],
      [ADDRESSES.mbx1, this.plan.submissionPort],
      [ADDRESSES.mbx2, this.plan.smtpPort],
      [ADDRESSES.mbx2, this.plan.submissionPort],
      [ADDRESSES.fabrikam, this.plan.smtpPort],
      [ADDRESSES.fabrikam, this.plan.submissionPort],
      [ADDRESSES.dns, this.plan.dnsPort],
      ...(this.plan.database ? [[this.plan.database.host, this.plan.database.port] as [string, number]] : []),
      ...(this.imap
        ? ([
            [this.imapEndpoint.address, this.imapEndpoint.imap],
            [this.imapEndpoint.address, this.imapEndpoint.pop3],
          ] as [string, number][])
        : []),
    ];
    for (const [address, port] of wanted) {
      const err = await probe(address, port);
      if (!err) continue;
      if (err.code === 'EACCES') {
        throw new LabError(
          `The lab cannot listen on ${address}:${port}: ports below 1024 need root (or CAP_NET_BIND_SERVICE). Run it with --port-base 20000: every server then uses 20025 for SMTP, 20587 for submission and 20053 for DNS, and the Send connectors' Port is set to match.`,
        );
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
    if (this.isolated) {
      // MBX01's and MBX02's users reach their own folders (pre-made, theirs, 0700) and nothing else.
      chmodSync(dir, 0o711);
      for (let up = dirname(resolve(dir)); up !== dirname(up); up = dirname(up)) {
        if ((statSync(up).mode & 0o001) === 0) throw new LabError(`--org-store postgresql runs MBX01 and MBX02 as users of their own, who must reach ${dir}: ${up} is not searchable by them (chmod o+x ${up}, or choose another --dir)`);
      }
      for (const s of [this.plan.servers.mbx1, this.plan.servers.mbx2]) this.ownedFolder(this.dataDir(s), s);
    }
    if (this.mailUser) {
      // The Mailbox servers' organization stores are files beside the server folders: the lab's folder is the mail user's.
      chownSync(dir, LAB_MAIL_UID, LAB_MAIL_UID);
      chmodSync(dir, 0o711);
      for (const s of Object.values(this.plan.servers).filter((x) => x.role === 'Mailbox')) this.ownedFolder(this.dataDir(s), s);
    }
    writeFileSync(join(dir, MARKER), 'A gatehouse lab folder: replaced by the next `gatehouse lab` run.\n');
    const p = this.plan.passwords;
    writeFileSync(
      join(dir, 'accounts.txt'),
      [
        'Accounts of this lab run (generated):',
        `alice@contoso.com  ${p.alice}   (mailbox on MBX01, database DB1)`,
        `bob@contoso.com    ${p.bob}   (mailbox on MBX02, database DB2)`,
        `kim@fabrikam.com   ${p.kim}   (mailbox on FAB01, fabrikam.com's server)`,
        `CONTOSO\\edgeauth   ${p.edgeauth}   (directory account the Edge authenticates with: $MailboxCredentials)`,
        `EDGE01\\mbxrelay    ${p.mbxrelay}   (Edge account the Mailbox servers authenticate with: $EdgeCredentials)`,
        `CONTOSO\\Administrator ${p.administrator}   (Organization Management: the remote shell to MBX01)`,
        ...(this.plan.database ? [`${this.plan.database.role} (PostgreSQL) ${p.database}   (the organization store's role; in MBX01-home/pgpass and MBX02-home/pgpass)`] : []),
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  }

  /** The certificate STARTTLS presents for the server's FQDN: its thumbprint and PEM (public part). */
  private smtpCertificate(s: LabServer): { thumbprint: string; pem: string } {
    const cert = presentedSmtpCertificate(this.dataDir(s), this.plan.database && s.org === this.plan.database.url ? { orgPassword: this.plan.passwords.database } : {});
    if (!cert) throw new LabError(`${s.name} has no SMTP certificate for ${s.fqdn}`);
    return cert;
  }

  /** Writes each server's SMTP certificate (public part) where the others' scripts (and the lab's mail client) import it from. */
  private exportCertificates(servers: LabServer[]): void {
    mkdirSync(join(this.plan.dir, 'certs'), { recursive: true });
    for (const s of servers) writeFileSync(certificateFile(this.plan, s), this.smtpCertificate(s).pem);
    if (this.isolated || this.mailUser) {
      // Public certificates, imported by servers that run as users of their own.
      chmodSync(join(this.plan.dir, 'certs'), 0o755);
      for (const s of servers) chmodSync(certificateFile(this.plan, s), 0o644);
    }
  }

  /** Runs a script in the server's shell with a transcript; Get-Credential answers follow their line. */
  private async shell(s: LabServer, lines: ScriptLine[]): Promise<void> {
    const input = lines.flatMap((l) => [l.text, ...(l.answers ?? [])]).join('\n') + '\n';
    const r = await run(['shell', '--echo', '--data', this.dataDir(s)], input, 120_000, this.runAs(s));
    this.say(r.stdout.replace(/\n{3,}/g, '\n\n').trimEnd());
    if (r.code !== 0 || r.stderr.trim() !== '') {
      if (r.stderr.trim()) this.say(r.stderr.trimEnd());
      throw new LabError(`a command failed in ${s.name}'s shell (see above)`);
    }
  }

  private async start(s: LabServer): Promise<void> {
    const as = this.runAs(s);
    // A server run as another user binds ports below 1024 with CAP_NET_BIND_SERVICE alone (setpriv, util-linux).
    const child =
      as.uid !== undefined && this.plan.smtpPort < 1024
        ? spawn('setpriv', [`--reuid=${as.uid}`, `--regid=${as.gid ?? as.uid}`, '--clear-groups', '--inh-caps=+net_bind_service', '--ambient-caps=+net_bind_service', process.execPath, BIN, 'start', '--data', this.dataDir(s)], {
            stdio: ['ignore', 'pipe', 'pipe'],
            ...(as.env && { env: { ...process.env, ...as.env } }),
          })
        : spawn(process.execPath, [BIN, 'start', '--data', this.dataDir(s)], { stdio: ['ignore', 'pipe', 'pipe'], ...spawnAs(as) });
    const r = new RunningServer(s, child, this.logFile(s));
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
    this.say(`${s.name} (${s.fqdn}) is running, PID ${child.pid}${listening ? `, listening on ${listening}` : ''}; its log: ${r.logFile}.`);
  }

  /** Submits a message as a mailbox user on the server's Client connector (587, STARTTLS, AUTH); returns its Message-ID. */
  private async submit(s: LabServer, from: string, password: string, to: string, subject: string): Promise<string> {
    const id = `<lab.${randomBytes(8).toString('hex')}@${from.split('@')[1]}>`;
    const body = Buffer.from(
      [
        `From: ${from}`,
        `To: ${to}`,
        `Subject: ${subject}`,
        `Message-ID: ${id}`,
        `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        `This message went through the seed's topology (${subject.toLowerCase()}).`,
        '',
      ].join('\r\n'),
    );
    // Like any mail client, it gives the password only to a server that proves who it is: the
    // certificate the lab exported for this server, carrying its FQDN.
    const conn = await OutboundConnection.open(
      { host: s.fqdn, address: s.address, port: this.plan.submissionPort },
      {
        ehloName: 'lab-client.example',
        forceHelo: false,
        tls: 'required',
        tlsAuthLevel: null,
        trustedCertificates: [readFileSync(certificateFile(this.plan, s), 'utf8')],
        auth: { username: from, password, mechanism: 'BasicAuthRequireTLS' },
        connectTimeoutMs: 10_000,
        greetingTimeoutMs: 15_000,
        inactivityTimeoutMs: 30_000,
        maxMessagesPerConnection: 1,
      },
    );
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

  /** The anti-spam agents' stamps on a message the Edge took from the Internet, as the mailbox holds it. */
  private showAntispamStamps(s: LabServer, messageId: string): void {
    const root = join(this.dataDir(s), 'Mailbox');
    const files: string[] = [];
    const walk = (dir: string, depth: number): void => {
      if (depth > 4 || !existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name), depth + 1);
        else files.push(join(dir, e.name));
      }
    };
    walk(root, 0);
    const text = files.map((f) => readFileSync(f, 'latin1')).find((t) => t.includes(messageId));
    if (!text) return;
    const header = text.slice(0, text.indexOf('\r\n\r\n'));
    const stamps = header
      .replace(/\r\n[ \t]+/g, ' ')
      .split('\r\n')
      .filter((l) => /^(Received-SPF|Authentication-Results|X-MS-Exchange-Organization-(SCL|SenderIdResult)):/i.test(l));
    this.say(`The Edge's anti-spam agents stamped it (in alice's mailbox): ${stamps.length > 0 ? stamps.join(' | ') : 'nothing'}`);
  }

  /**
   * The message to NOBODY: FAB01's delivery fails with the Edge's 550 5.1.10 and FAB01 sends kim an
   * NDR (its tracking log's FAIL and DSN events); the Edge's agent log holds the Recipient Filter's refusal.
   */
  private async refusedByEdge(id: string): Promise<boolean> {
    const { edge, fabrikam } = this.plan.servers;
    const fail = `Get-MessageTrackingLog -MessageId "${id}" -Recipients ${NOBODY} | Sort-Object Timestamp | Format-List EventId,Source,RecipientStatus`;
    const deadline = Date.now() + 60_000;
    let out = '';
    for (let i = 0; i < 120 && Date.now() < deadline; i++) {
      const r = await run(['shell', '--data', this.dataDir(fabrikam), '-c', fail], undefined, 120_000, this.runAs(fabrikam));
      if (r.code === 0 && /5\.1\.10/.test(r.stdout) && /^EventId +: DSN/m.test(r.stdout)) {
        out = r.stdout;
        break;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
    this.say(`Internet -> nobody: kim@fabrikam.com -> ${NOBODY} ${out ? 'REFUSED by the Edge at RCPT TO; FAB01 bounced it to kim' : 'NOT refused by the Edge within 60 s'}`);
    if (!out) return false;
    this.say(`[PS] ${fabrikam.fqdn}> ${fail}`);
    this.say(out.trimEnd());
    const agentLog = 'Get-AgentLog -StartDate (Get-Date).AddHours(-1) | Where-Object Agent -eq "Recipient Filter Agent" | Format-List Recipient,Event,Action,SmtpResponse,Reason,ReasonData';
    const r = await run(['shell', '--data', this.dataDir(edge), '-c', agentLog], undefined, 120_000, this.runAs(edge));
    this.say(`[PS] ${edge.fqdn}> ${agentLog}`);
    this.say(r.stdout.trimEnd());
    return true;
  }

  /** Waits (bounded) for the DELIVER event of the message on the server that owns the mailbox. */
  private async delivered(s: LabServer, id: string, recipient: string): Promise<boolean> {
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < 120 && Date.now() < deadline; i++) {
      const r = await run(['shell', '--data', this.dataDir(s), '-c', `Get-MessageTrackingLog -MessageId "${id}" -EventId DELIVER -Recipients ${recipient} | Measure-Object | % Count`], undefined, 120_000, this.runAs(s));
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
      `Shells:        ${[edge, mbx1, mbx2, fabrikam].map((s) => `${this.asCommand(s)}${bin} shell --data ${this.dataDir(s)}`).join('\n               ')}`,
      `Remote shell:  ${this.remoteShellArguments().display}`,
      `               (MBX01's endpoint is ${managementEndpoint(this.plan, mbx1)}; by address, its certificate's name is not checked: CONTOSO\\Administrator's password is in accounts.txt)`,
      `Accounts:      ${join(this.plan.dir, 'accounts.txt')}`,
      `Service logs:  ${[edge, mbx1, mbx2, fabrikam].map((s) => this.logFile(s)).join('\n               ')}   (tail -f to follow)`,
      `Send a test:   swaks --server ${ADDRESSES.edgeExternal}:${this.plan.smtpPort} --from someone@fabrikam.com --to alice@contoso.com`,
      `               (or as a user: swaks --server ${ADDRESSES.mbx1}:${this.plan.submissionPort} --tls --auth LOGIN --auth-user alice@contoso.com --auth-password <see accounts.txt> --from alice@contoso.com --to kim@fabrikam.com)`,
      ...(this.dovecot
        ? [
            `Read mail:     curl -s --url 'imap://${this.imapEndpoint.address}:${this.imapEndpoint.imap}/INBOX;MAILINDEX=1' --user "alice@contoso.com:$(awk '/^alice@/ {print $2}' ${join(this.plan.dir, 'accounts.txt')})"`,
            `               (IMAP ${this.imapEndpoint.address}:${this.imapEndpoint.imap} and POP3 :${this.imapEndpoint.pop3}, any client, the mailbox password; Dovecot's log: ${this.dovecot.logPath})`,
          ]
        : [`Read mail:     Get-MailboxStatistics alice (in MBX01's shell); the Maildir is under ${this.dataDir(mbx1)}/Mailbox`]),
      `Explain:       Trace-MailFlow alice@contoso.com -Sender kim@fabrikam.com -ClientIPAddress ${ADDRESSES.fabrikam} -ReceiveBinding ${ADDRESSES.edgeExternal}:${this.plan.smtpPort}   (in EDGE01's shell)`,
      '',
    ].join('\n');
  }

  /** What to put before a command to run it as the server's user (an isolated Mailbox server). */
  private asCommand(s: LabServer): string {
    const as = this.runAs(s);
    const env = as.env ? `env PGPASSFILE=${as.env.PGPASSFILE} ` : '';
    return as.uid !== undefined ? `setpriv --reuid ${as.uid} --regid ${as.uid} --clear-groups ${env}` : env;
  }

  async stop(): Promise<void> {
    await this.dovecot?.stop();
    await Promise.all(this.running.map((r) => r.stop()));
    await this.database?.stop();
    this.dns?.close();
    if (this.dnsmasq) await stopChild(this.dnsmasq, 5_000);
  }
}
