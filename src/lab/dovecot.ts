// A private Dovecot (2.3) that serves Gatehouse Maildirs over IMAP and POP3:
// its configuration, runtime, state and log under one folder (never
// /etc/dovecot or the system service), listening on one address and two ports
// given, plaintext logins (loopback only), in the foreground as a child of
// the caller, stopped by its PID. Users log on with their Gatehouse mailbox
// passwords: each passdb is `gatehouse dovecot-auth --data SERVER` (a
// checkpassword program, cli/dovecot-auth-command.ts) for one Mailbox server,
// tried in order; userdb prefetch takes the Maildir, uid and gid that program
// returned, so Dovecot reads mail as the user who owns the Maildirs. Dovecot
// runs its checkpassword programs from the auth service, here as root, so
// that they can open the server folders (private to their user).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { stopChild } from './stop-child.js';

export interface DovecotOptions {
  /** Private folder: configuration, runtime, state and log. */
  dir: string;
  address: string;
  imapPort: number;
  pop3Port: number;
  /** The server folders whose mailboxes it serves (Mailbox servers), in the order their directories are asked. */
  servers: string[];
  /** The gatehouse program (bin/gatehouse.js) and the Node.js that runs it. */
  gatehouse: string;
  node?: string;
  startTimeoutMs?: number;
}

export interface RunningDovecot {
  readonly pid: number;
  readonly logPath: string;
  stop(): Promise<void>;
}

export class DovecotError extends Error {}

/** Whether Dovecot's server program is installed (Debian: dovecot-imapd and dovecot-pop3d). */
export function dovecotInstalled(): boolean {
  return spawnSync('dovecot', ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** The installed Dovecot's major.minor, e.g. 2.3. */
function dovecotRelease(): number {
  const r = spawnSync('dovecot', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const [major = 0, minor = 0] = (r.stdout ?? '').trim().split(/[.\s]/).map(Number);
  return major + minor / 10;
}

/** Where Debian puts checkpassword-reply, which reports a successful logon back to Dovecot. */
function checkpasswordReply(): string {
  for (const p of ['/usr/lib/dovecot/checkpassword-reply', '/usr/libexec/dovecot/checkpassword-reply']) {
    if (spawnSync('test', ['-x', p]).status === 0) return p;
  }
  throw new DovecotError("Dovecot's checkpassword-reply is missing (Debian: apt-get install dovecot-core)");
}

const SAFE_PATH = /^[^\s"'\\{}#$%]+$/;

/** The configuration (Dovecot 2.3 syntax). `auth`: one checkpassword script per server. */
export function dovecotConfig(o: DovecotOptions, dir: string, auth: string[], release: number): string {
  return [
    '# Written by gatehouse: a private Dovecot for Gatehouse Maildirs (loopback, plaintext logins).',
    `base_dir = ${join(dir, 'run')}`,
    `state_dir = ${join(dir, 'state')}`,
    `log_path = ${join(dir, 'dovecot.log')}`,
    `info_log_path = ${join(dir, 'dovecot.log')}`,
    'protocols = imap pop3',
    `listen = ${o.address}`,
    'ssl = no',
    release >= 2.4 ? 'auth_allow_cleartext = yes' : 'disable_plaintext_auth = no',
    'auth_mechanisms = plain login',
    // Any owner of the Maildirs but root.
    'first_valid_uid = 1',
    'first_valid_gid = 1',
    'default_login_user = nobody',
    'default_internal_user = nobody',
    'mail_fsync = always',
    // POP3 keeps each message's name as its UIDL (stable across sessions).
    'pop3_uidl_format = %08Xu%08Xv',
    ...auth.map((script) => `passdb {\n  driver = checkpassword\n  args = ${script}\n}`),
    'userdb {\n  driver = prefetch\n}',
    // Node.js reserves more address space than Dovecot's default limit (256M) for its checkpassword program.
    'service auth {\n  user = root\n  vsz_limit = 0\n}',
    `service imap-login {\n  inet_listener imap {\n    address = ${o.address}\n    port = ${o.imapPort}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
    `service pop3-login {\n  inet_listener pop3 {\n    address = ${o.address}\n    port = ${o.pop3Port}\n  }\n  inet_listener pop3s {\n    port = 0\n  }\n}`,
    '',
  ].join('\n');
}

/** Waits (bounded) for a line starting with `greeting` on address:port. */
function greets(address: string, port: number, greeting: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolveGreeting) => {
    const s = connect({ host: address, port });
    let data = '';
    const done = (ok: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolveGreeting(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.setEncoding('latin1');
    s.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\r\n')) done(data.startsWith(greeting));
    });
    s.on('error', () => done(false));
    s.on('close', () => done(false));
  });
}

/** Writes the configuration and starts Dovecot; resolves once IMAP and POP3 greet. */
export async function startDovecot(o: DovecotOptions): Promise<RunningDovecot> {
  if (!dovecotInstalled()) throw new DovecotError('Dovecot is not installed (Debian: apt-get install dovecot-imapd dovecot-pop3d)');
  const dir = resolve(o.dir);
  for (const sub of ['', 'state', 'auth']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  // Dovecot's sockets: its login processes (nobody) connect to them; Dovecot wants the folder world-readable.
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o755 });
  chmodSync(join(dir, 'run'), 0o755);
  // Dovecot's login processes (nobody) reach run/ through this folder; nothing in it is listed.
  chmodSync(dir, 0o711);
  const node = o.node ?? process.execPath;
  for (const p of [dir, node, resolve(o.gatehouse), ...o.servers.map((s) => resolve(s))]) {
    if (!SAFE_PATH.test(p)) throw new DovecotError(`Dovecot's configuration cannot hold the path ${JSON.stringify(p)}: choose a folder without spaces, quotes or $`);
  }
  checkpasswordReply();
  // Dovecot runs a checkpassword program without arguments but the reply program: one script per server.
  const auth = o.servers.map((server, i) => {
    const script = join(dir, 'auth', `gatehouse-auth-${i + 1}`);
    writeFileSync(script, `#!/bin/sh\n# Dovecot's passdb for the mailboxes of ${resolve(server)}\nexec ${node} ${resolve(o.gatehouse)} dovecot-auth --data ${resolve(server)} "$@"\n`, { mode: 0o700 });
    return script;
  });
  const confPath = join(dir, 'dovecot.conf');
  writeFileSync(confPath, dovecotConfig(o, dir, auth, dovecotRelease()), { mode: 0o600 });
  const logPath = join(dir, 'dovecot.log');

  const child: ChildProcess = spawn('dovecot', ['-F', '-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const deadline = Date.now() + (o.startTimeoutMs ?? 20_000);
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new DovecotError(`Dovecot exited while starting (${child.exitCode ?? child.signalCode}): ${stderr.trim()} (its log: ${logPath})`);
    }
    if ((await greets(o.address, o.imapPort, '* OK', 1000)) && (await greets(o.address, o.pop3Port, '+OK', 1000))) break;
    if (Date.now() > deadline || i > 200) {
      await stopChild(child, 5_000);
      throw new DovecotError(`Dovecot did not greet on ${o.address}:${o.imapPort} (IMAP) and :${o.pop3Port} (POP3) in time: ${stderr.trim()} (its log: ${logPath})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, logPath, stop: () => stopChild(child, 10_000) };
}
