// A Dovecot IMAP server for tests, reading Maildirs written by the product.
// Invariants: it listens on the given loopback address and port only, with
// its own configuration, runtime, state, index and log directories under
// `dir` (never /etc/dovecot or the system service); it runs in the
// foreground as a child of the test and is stopped by its PID (SIGTERM, then
// SIGKILL), with every wait bounded. Dovecot refuses to access mail as root,
// so mail is accessed as the unprivileged MAIL_UID: start() and
// grantAccess() hand each user's Maildir over to that uid.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve, sep } from 'node:path';

export const MAIL_UID = 65534;
export const MAIL_GID = 65534;

export interface DovecotUser {
  name: string;
  password: string;
  /** Maildir root of the user's INBOX; subfolders are subdirectories (LAYOUT=fs). */
  maildir: string;
}

export interface DovecotOptions {
  address: string;
  port: number;
  users: DovecotUser[];
  /** Private directory for configuration, runtime files, indexes and the log. */
  dir: string;
  /** Directories from here down to each Maildir may be made searchable by the mail uid (default: dir). */
  shareFrom?: string;
  startTimeoutMs?: number;
}

export interface Dovecot {
  readonly pid: number;
  readonly logPath: string;
  /** Gives the mail uid ownership of every user's Maildir again (after deliveries made as root). */
  grantAccess(): void;
  stop(): Promise<void>;
}

const SAFE_VALUE = /^[^\s:"'\\{}#]+$/;

/** Installs Debian's dovecot-imapd when the binary is missing (apt does not start the system service here). */
export function ensureDovecotInstalled(): void {
  if (spawnSync('sh', ['-c', 'command -v dovecot'], { stdio: 'ignore' }).status === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env, timeout: 300_000 });
  if (update.status !== 0) throw new Error('apt-get update failed');
  const install = spawnSync('apt-get', ['install', '-y', '-q', 'dovecot-imapd'], { stdio: 'ignore', env, timeout: 300_000 });
  if (install.status !== 0) throw new Error('apt-get install dovecot-imapd failed');
}

/** The installed Dovecot version, e.g. "2.3.19.1". */
export function dovecotVersion(): string {
  const r = spawnSync('dovecot', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`dovecot --version failed: ${r.stderr}`);
  return r.stdout.trim().split(/\s+/)[0]!;
}

function chownTree(path: string): void {
  const st = lstatSync(path);
  chownSync(path, MAIL_UID, MAIL_GID);
  if (st.isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name));
}

/** Lets the mail uid traverse from `from` down to `target`; directories above `from` must already allow it. */
function openPath(from: string, target: string): void {
  const top = resolve(from);
  for (let d = dirname(resolve(target)); ; d = dirname(d)) {
    const inside = d === top || d.startsWith(top + sep);
    const mode = statSync(d).mode;
    if (inside) {
      if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
    } else if ((mode & 0o001) === 0) {
      throw new Error(`${d} is not searchable by uid ${MAIL_UID}; put the Maildirs under a searchable directory`);
    }
    if (d === dirname(d)) break;
  }
}

function config(o: DovecotOptions, dir: string, passwd: string, versionMajorMinor: number): string {
  const plaintext = versionMajorMinor >= 2.4 ? 'auth_allow_cleartext = yes' : 'disable_plaintext_auth = no';
  return `# Test instance: loopback only, plaintext IMAP, passwd-file users.
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'dovecot.log')}
info_log_path = ${join(dir, 'dovecot.log')}
protocols = imap
listen = ${o.address}
ssl = no
${plaintext}
auth_mechanisms = plain login
first_valid_uid = ${MAIL_UID}
last_valid_uid = ${MAIL_UID}
first_valid_gid = ${MAIL_GID}
default_login_user = nobody
default_internal_user = nobody
mail_fsync = always
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${passwd}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${passwd}
}
service imap-login {
  inet_listener imap {
    address = ${o.address}
    port = ${o.port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}

function banner(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolveBanner) => {
    const s = connect({ host: address, port });
    let data = '';
    const done = (ok: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolveBanner(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.setEncoding('latin1');
    s.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\r\n')) done(data.startsWith('* OK'));
    });
    s.on('error', () => done(false));
    s.on('close', () => done(false));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    const giveUp = setTimeout(() => resolveStop(), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      clearTimeout(giveUp);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

export async function startDovecot(o: DovecotOptions): Promise<Dovecot> {
  ensureDovecotInstalled();
  const [major = 0, minor = 0] = dovecotVersion().split('.').map(Number);
  const dir = resolve(o.dir);
  for (const sub of ['run', 'state', 'home', 'index']) mkdirSync(join(dir, sub), { recursive: true });
  chmodSync(dir, 0o711);

  const lines: string[] = [];
  for (const u of o.users) {
    for (const [what, value] of [
      ['name', u.name],
      ['password', u.password],
      ['maildir', resolve(u.maildir)],
    ] as const) {
      if (!SAFE_VALUE.test(value)) throw new Error(`Dovecot test user ${what} has characters a passwd-file cannot hold: ${JSON.stringify(value)}`);
    }
    const maildir = resolve(u.maildir);
    const home = join(dir, 'home', u.name);
    const index = join(dir, 'index', u.name);
    for (const d of [home, index]) {
      mkdirSync(d, { recursive: true });
      chownSync(d, MAIL_UID, MAIL_GID);
    }
    for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(maildir, sub), { recursive: true, mode: 0o700 });
    // Index and control files live outside the Maildir, so it holds only what the product wrote.
    lines.push(`${u.name}:${u.password}:${MAIL_UID}:${MAIL_GID}::${home}::userdb_mail=maildir:${maildir}:LAYOUT=fs:INDEX=${index}:CONTROL=${index}`);
  }
  const passwd = join(dir, 'users.passwd');
  writeFileSync(passwd, lines.join('\n') + '\n', { mode: 0o600 });
  chownSync(passwd, MAIL_UID, MAIL_GID); // read by the auth process, which runs as default_internal_user
  const confPath = join(dir, 'dovecot.conf');
  writeFileSync(confPath, config(o, dir, passwd, major + minor / 10), { mode: 0o600 });

  const grantAccess = () => {
    for (const u of o.users) {
      openPath(o.shareFrom ?? dir, u.maildir);
      chownTree(resolve(u.maildir));
    }
  };
  grantAccess();

  const child = spawn('dovecot', ['-F', '-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const logPath = join(dir, 'dovecot.log');
  const deadline = Date.now() + (o.startTimeoutMs ?? 15_000);
  while (true) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`dovecot exited during start-up (${child.exitCode ?? child.signalCode}): ${stderr.trim()} (log: ${logPath})`);
    }
    if (await banner(o.address, o.port, 1000)) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`dovecot did not answer * OK on ${o.address}:${o.port} within the start-up timeout: ${stderr.trim()} (log: ${logPath})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, logPath, grantAccess, stop: () => stopChild(child) };
}
