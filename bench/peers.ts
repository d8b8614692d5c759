// The three relays, each set up the same way on loopback: anonymous clients
// (from 127.0.0.1) may send to the accepted/relay domain contoso.com, which is
// relayed to the smart host (the sink); nothing else is relayed. Each is a
// private instance under the run's scratch folder and is stopped by PID.
// - Gatehouse: an Edge Transport server with the seed's shape ("From Internet",
//   a Send connector to a smart host), configured through its own shell.
// - Postfix: a private instance (relay_domains, relayhost).
// - Haraka: npm's Haraka in a cache folder outside the repository, store-and-
//   forward through its outbound queue (relay plugin, no queue plugin).

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { startPostfix, type Postfix } from '../test/harness/postfix.js';
import { ROOT } from '../src/lab/seed-script.js';
import { waitForPort } from '../src/lab/port-probe.js';
import { stopChild } from '../src/lab/stop-child.js';
import { PgCluster } from '../src/lab/postgres-cluster.js';

export type PeerName = 'gatehouse' | 'postfix' | 'haraka' | 'mailbox-sqlite' | 'mailbox-pg';

export interface RelayPeer {
  readonly name: PeerName;
  readonly address: string;
  readonly port: number;
  version: string;
  start(): Promise<void>;
  /** Nothing waits in the peer's queue. */
  queueEmpty(): boolean;
  /** The peer's top process(es); RSS and strace cover their descendants too. */
  rootPids(): number[];
  stop(): Promise<void>;
}

const BIN = join(ROOT, 'bin', 'gatehouse.js');
/** Where the bench's Edge sends DNS queries: a loopback address of the bench's range where nothing listens. */
const NO_DNS = '127.0.80.53';

/**
 * `gatehouse start` as the systemd unit and an admin run it: the command file itself, whose first
 * line chooses node (this one, first on PATH) and its memory settings.
 */
function startInstalled(data: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(BIN, ['start', '--data', data], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...env, PATH: `${dirname(process.execPath)}:${env.PATH ?? '/usr/bin:/bin'}` } });
}

/** Nothing for contoso.com waits in a Gatehouse server's queue. */
function contosoQueueEmpty(data: string): boolean {
  const db = new Database(join(data, 'queue.db'), { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM recipients WHERE status IN ('Ready', 'Retry') AND address LIKE '%@contoso.com'").get() as { n: number }).n === 0;
  } finally {
    db.close();
  }
}

export class GatehousePeer implements RelayPeer {
  readonly name = 'gatehouse' as const;
  version = '';
  private child?: ChildProcess;
  private readonly data: string;
  constructor(
    readonly address: string,
    readonly port: number,
    private readonly sink: { address: string; port: number },
    scratch: string,
  ) {
    this.data = join(scratch, 'gatehouse', 'EDGE01');
  }

  private shell(script: string): void {
    const r = spawnSync(process.execPath, [BIN, 'shell', '--data', this.data], { input: script, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0 || r.stderr.trim()) throw new Error(`gatehouse shell failed: ${r.stdout}\n${r.stderr}`);
  }

  async start(): Promise<void> {
    if (!existsSync(join(this.data, 'server.db'))) {
      execFileSync(process.execPath, [BIN, 'setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', this.data], { stdio: 'ignore' });
      this.shell(
        [
          'New-AcceptedDomain Contoso -DomainName contoso.com',
          `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Name "From Internet" -Bindings ${this.address}:${this.port}`,
          // One load generator stands for many Internet clients (Postfix: smtpd_client_event_limit_exceptions).
          'Set-ReceiveConnector "From Internet" -MaxInboundConnectionPerSource unlimited -MaxInboundConnectionPercentagePerSource 100 -MessageRateLimit unlimited',
          'Set-TransportService EDGE01 -MaxConnectionRatePerMinute 10000000',
          // The anti-spam agents look the senders up (SPF, DMARC, DKIM keys) through the Edge's external
          // DNS servers: a loopback address where nothing listens, so that no query leaves the machine
          // (each fails at once, as a lookup that finds nothing would, and the agents go on).
          `Set-TransportService EDGE01 -ExternalDNSServers ${NO_DNS} -ExternalDNSAdapterEnabled $false`,
          `New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${this.sink.address} -Port ${this.sink.port}`,
        ].join('\n') + '\n',
      );
    }
    this.version = execFileSync(process.execPath, [BIN, 'version'], { encoding: 'utf8' }).trim();
    const child = startInstalled(this.data, { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn' });
    this.child = child;
    await waitForPort(this.address, this.port, 30_000);
  }

  /** Routes a domain to a smart host nobody answers on (the deferred-backlog point). */
  addDeadRoute(domain: string, deadHost: string): void {
    this.shell(
      [
        `New-AcceptedDomain ${domain} -DomainName ${domain} -DomainType InternalRelay`,
        `New-SendConnector -Name "To ${domain}" -Usage Custom -AddressSpaces ${domain} -DNSRoutingEnabled $false -SmartHosts ${deadHost} -Port ${this.sink.port}`,
      ].join('\n') + '\n',
    );
  }

  /** Messages in the queue. */
  queued(): number {
    const db = new Database(join(this.data, 'queue.db'), { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  queueEmpty(): boolean {
    return contosoQueueEmpty(this.data);
  }

  rootPids(): number[] {
    return this.child?.pid ? [this.child.pid] : [];
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, 20_000);
  }
}

/**
 * A Mailbox server relaying contoso.com (an internal relay domain) to the sink, with its
 * organization in SQLite (mailbox-sqlite) or in a private PostgreSQL cluster (mailbox-pg): the
 * same load through both shows what the organization store's engine costs per message.
 */
export class MailboxPeer implements RelayPeer {
  version = '';
  private child?: ChildProcess;
  private cluster?: PgCluster;
  private readonly data: string;
  private readonly env: NodeJS.ProcessEnv;
  constructor(
    readonly name: 'mailbox-sqlite' | 'mailbox-pg',
    readonly address: string,
    readonly port: number,
    private readonly sink: { address: string; port: number },
    private readonly scratch: string,
    private readonly database?: { address: string; port: number },
  ) {
    this.data = join(scratch, name, 'MBX01');
    this.env = { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn', PGPASSWORD: 'bench-organization' };
  }

  private shell(script: string): void {
    const r = spawnSync(process.execPath, [BIN, 'shell', '--data', this.data], { input: script, encoding: 'utf8', timeout: 60_000, env: this.env });
    if (r.status !== 0 || r.stderr.trim()) throw new Error(`gatehouse shell failed: ${r.stdout}\n${r.stderr}`);
  }

  async start(): Promise<void> {
    let org: string[] = [];
    if (this.name === 'mailbox-pg') {
      const dir = join(this.scratch, this.name, 'db');
      mkdirSync(dir, { recursive: true });
      this.cluster = new PgCluster({ dir, host: this.database!.address, port: this.database!.port });
      this.cluster.start();
      this.cluster.createDatabase('contoso', 'gatehouse', 'bench-organization');
      org = ['--org', this.cluster.url('contoso', 'gatehouse', 'sslmode=disable')];
    }
    execFileSync(process.execPath, [BIN, 'setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbx01.contoso.com', '--data', this.data, ...org], { stdio: 'ignore', env: this.env });
    this.shell(
      [
        'New-AcceptedDomain Contoso -DomainName contoso.com -DomainType InternalRelay | Out-Null',
        `Set-ReceiveConnector "Default MBX01" -Bindings ${this.address}:${this.port} -PermissionGroups AnonymousUsers,ExchangeServers -MaxInboundConnectionPerSource unlimited -MaxInboundConnectionPercentagePerSource 100 -MessageRateLimit unlimited`,
        `Set-ReceiveConnector "Client MBX01" -Bindings ${this.address}:${this.port + 62}`,
        'Set-TransportService MBX01 -MaxConnectionRatePerMinute 10000000',
        // Its management endpoint on the bench's address: the default URL's name would be looked up in the system's DNS.
        `Set-PowerShellVirtualDirectory "MBX01\\PowerShell (Default Web Site)" -InternalUrl https://${this.address}:${this.port + 63}/PowerShell/`,
        `New-SendConnector -Name "To Sink" -Usage Internal -AddressSpaces contoso.com -DNSRoutingEnabled $false -SmartHosts ${this.sink.address} -Port ${this.sink.port} | Out-Null`,
      ].join('\n') + '\n',
    );
    this.version = `${execFileSync(process.execPath, [BIN, 'version'], { encoding: 'utf8' }).trim()} (Mailbox, organization in ${this.name === 'mailbox-pg' ? 'PostgreSQL' : 'SQLite'})`;
    this.child = startInstalled(this.data, this.env);
    await waitForPort(this.address, this.port, 30_000);
  }

  queueEmpty(): boolean {
    return contosoQueueEmpty(this.data);
  }

  rootPids(): number[] {
    return this.child?.pid ? [this.child.pid] : [];
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, 20_000);
    await this.cluster?.stop();
  }
}

export class PostfixPeer implements RelayPeer {
  readonly name = 'postfix' as const;
  version = '';
  private instance?: Postfix;
  private readonly dir: string;
  constructor(
    readonly address: string,
    readonly port: number,
    private readonly sink: { address: string; port: number },
    scratch: string,
  ) {
    this.dir = join(scratch, 'postfix');
  }

  async start(): Promise<void> {
    this.instance = await startPostfix({
      dir: this.dir,
      listen: `${this.address}:${this.port}`,
      hostname: 'edge-postfix.bench.test',
      relayHost: { address: this.sink.address, port: this.sink.port, tls: 'none' },
      mynetworks: ['127.0.0.2/32'],
      extra: ['relay_domains = contoso.com', 'smtpd_client_event_limit_exceptions = $mynetworks, 127.0.0.1', 'local_transport = error:local delivery is disabled', 'append_dot_mydomain = no'],
    });
    this.version = `Postfix ${execFileSync('/usr/sbin/postconf', ['-c', join(this.dir, 'conf'), '-h', 'mail_version'], { encoding: 'utf8' }).trim()}`;
  }

  queueEmpty(): boolean {
    const out = spawnSync('/usr/sbin/postqueue', ['-c', join(this.dir, 'conf'), '-p'], { encoding: 'utf8', timeout: 10_000 }).stdout;
    return /Mail queue is empty/.test(out);
  }

  rootPids(): number[] {
    const pidFile = join(this.dir, 'queue', 'pid', 'master.pid');
    return existsSync(pidFile) ? [Number(readFileSync(pidFile, 'utf8').trim())] : [];
  }

  async stop(): Promise<void> {
    await this.instance?.stop();
  }
}

export class HarakaPeer implements RelayPeer {
  readonly name = 'haraka' as const;
  version = '';
  private child?: ChildProcess;
  private readonly inst: string;
  constructor(
    readonly address: string,
    readonly port: number,
    private readonly sink: { address: string; port: number },
    scratch: string,
    private readonly cache: string,
  ) {
    this.inst = join(scratch, 'haraka');
  }

  /** npm's Haraka, installed once into the cache folder (outside the repository). */
  private install(): string {
    const bin = join(this.cache, 'node_modules', '.bin', 'haraka');
    if (!existsSync(bin)) {
      mkdirSync(this.cache, { recursive: true });
      if (!existsSync(join(this.cache, 'package.json'))) writeFileSync(join(this.cache, 'package.json'), '{"name":"gatehouse-bench-haraka","private":true}\n');
      const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', 'Haraka@3.3.4'], { cwd: this.cache, encoding: 'utf8', timeout: 600_000 });
      if (r.status !== 0) throw new Error(`npm install Haraka failed: ${r.stderr.slice(-2000)}`);
    }
    return bin;
  }

  async start(): Promise<void> {
    const bin = this.install();
    if (!existsSync(this.inst)) execFileSync(bin, ['-i', this.inst], { stdio: 'ignore', timeout: 60_000 });
    const cfg = (name: string, text: string) => writeFileSync(join(this.inst, 'config', name), text);
    cfg('smtp.ini', `[main]\nlisten=${this.address}:${this.port}\n`);
    cfg('me', 'edge-haraka.bench.test\n');
    // No DNS: no reverse lookup of clients, no sender-domain check; relay by destination domain.
    cfg('plugins', 'no_rdns\nrelay\n');
    cfg('relay.ini', '[relay]\nacl=true\ndest_domains=true\nforce_routing=true\n');
    cfg('relay_acl_allow', '127.0.0.2/32\n');
    cfg('relay_dest_domains.ini', `[domains]\ncontoso.com = { "action": "accept", "nexthop": "[${this.sink.address}]:${this.sink.port}" }\n`);
    mkdirSync(join(this.inst, 'plugins'), { recursive: true });
    writeFileSync(join(this.inst, 'plugins', 'no_rdns.js'), "exports.hook_lookup_rdns = function (next) { next(OK, 'unknown'); };\n");
    const pkg = JSON.parse(readFileSync(join(this.cache, 'node_modules', 'Haraka', 'package.json'), 'utf8')) as { version: string };
    this.version = `Haraka ${pkg.version}`;
    this.child = spawn(process.execPath, [join(this.cache, 'node_modules', 'Haraka', 'bin', 'haraka'), '-c', this.inst], { stdio: ['ignore', 'ignore', 'ignore'] });
    await waitForPort(this.address, this.port, 60_000);
  }

  queueEmpty(): boolean {
    const dir = join(this.inst, 'queue');
    if (!existsSync(dir)) return true;
    return readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()).length === 0;
  }

  rootPids(): number[] {
    return this.child?.pid ? [this.child.pid] : [];
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, 20_000);
  }
}

/** The processes under the given roots (themselves included), from /proc. */
export function processTree(roots: number[]): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out = new Set(roots.filter((p) => parent.has(p)));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent)
      if (!out.has(pid) && out.has(ppid)) {
        out.add(pid);
        grew = true;
      }
  }
  return [...out];
}

/** Resident memory of the processes, in MB. */
export function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // gone meanwhile
    }
  }
  return kb / 1024;
}
