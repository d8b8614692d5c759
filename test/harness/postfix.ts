// A private Postfix instance (Debian's postfix package, no system
// configuration needed) for tests and benchmarks: its own configuration,
// queue and log under one folder, one smtpd listening on a given loopback
// address and port, the master daemon in the foreground (started and stopped
// by PID). It can be a destination (virtual Maildir delivery for some
// domains) and/or a relay (everything else to a relay host, optionally over
// TLS). No DNS: smtp_dns_support_level=disabled.

import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { stopChild } from '../../src/lab/stop-child.js';
import { until } from './peers.js';

export interface PostfixOptions {
  dir: string;
  /** address:port of the smtpd. */
  listen: string;
  hostname: string;
  /** Domains delivered into one Maildir, DIR/mail/inbox (virtual delivery as nobody). */
  destinationDomains?: string[];
  /** Where everything else goes. */
  relayHost?: { address: string; port: number; tls: 'none' | 'may' | 'encrypt' };
  /** Clients allowed to relay (default 127.0.0.0/8). */
  mynetworks?: string[];
  /** STARTTLS for the smtpd with this certificate (PEM files). */
  tls?: { certFile: string; keyFile: string };
  /** Extra main.cf lines. */
  extra?: string[];
}

export interface Postfix {
  readonly pid: number;
  readonly inbox: string;
  log(): string;
  messages(): string[];
  stop(): Promise<void>;
}

function postfixId(name: 'postfix' | 'nobody'): number {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no user ${name}`);
  return Number(line.split(':')[2]);
}

export async function startPostfix(o: PostfixOptions): Promise<Postfix> {
  const dir = resolve(o.dir);
  const conf = join(dir, 'conf');
  const inbox = join(dir, 'mail', 'inbox');
  for (const d of [conf, join(dir, 'queue'), join(dir, 'data'), join(dir, 'mail')]) mkdirSync(d, { recursive: true });
  chownSync(join(dir, 'data'), postfixId('postfix'), 0);
  const nobody = postfixId('nobody');
  chownSync(join(dir, 'mail'), nobody, nobody);
  const relay = o.relayHost;
  writeFileSync(
    join(conf, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${dir}/queue`,
      `data_directory = ${dir}/data`,
      'command_directory = /usr/sbin',
      'daemon_directory = /usr/lib/postfix/sbin',
      'meta_directory = /etc/postfix',
      'shlib_directory = /usr/lib/postfix',
      'mail_owner = postfix',
      'setgid_group = postdrop',
      // Explicit listeners are in master.cf; outgoing connections come from any address.
      'inet_interfaces = all',
      'inet_protocols = ipv4',
      `myhostname = ${o.hostname}`,
      'mydestination =',
      `mynetworks = ${(o.mynetworks ?? ['127.0.0.0/8']).join(' ')}`,
      'smtp_dns_support_level = disabled',
      'smtpd_peername_lookup = no',
      `maillog_file = ${dir}/postfix.log`,
      `maillog_file_prefixes = ${dir}`,
      'alias_maps =',
      'alias_database =',
      'biff = no',
      ...(o.destinationDomains?.length
        ? [`virtual_mailbox_domains = ${o.destinationDomains.join(' ')}`, `virtual_mailbox_base = ${dir}/mail`, 'virtual_mailbox_maps = static:inbox/', `virtual_uid_maps = static:${nobody}`, `virtual_gid_maps = static:${nobody}`]
        : []),
      ...(relay ? [`relayhost = [${relay.address}]:${relay.port}`, `smtp_tls_security_level = ${relay.tls === 'none' ? 'none' : relay.tls}`, 'smtp_tls_mandatory_protocols = >=TLSv1.2'] : []),
      ...(o.tls ? [`smtpd_tls_cert_file = ${o.tls.certFile}`, `smtpd_tls_key_file = ${o.tls.keyFile}`, 'smtpd_tls_security_level = may', 'smtpd_tls_loglevel = 1'] : []),
      'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
      'maximal_queue_lifetime = 1h',
      'bounce_queue_lifetime = 1h',
      ...(o.extra ?? []),
    ].join('\n') + '\n',
  );
  // Debian's master.cf, with the smtpd bound to our address only and no chroot.
  const master = readFileSync('/etc/postfix/master.cf', 'utf8')
    .replace(/^smtp\s+inet\s+n\s+-\s+y\s+-\s+-\s+smtpd/m, `${o.listen} inet n - n - - smtpd`)
    .replace(/^(\S+\s+unix\s+\S+\s+\S+\s+)y(\s)/gm, '$1n$2');
  writeFileSync(join(conf, 'master.cf'), master);
  copyFileSync('/etc/postfix/dynamicmaps.cf', join(conf, 'dynamicmaps.cf'));

  const child: ChildProcess = spawn('/usr/sbin/postfix', ['-c', conf, 'start-fg'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const log = () => (existsSync(join(dir, 'postfix.log')) ? readFileSync(join(dir, 'postfix.log'), 'utf8') : '');
  const [host, port] = [o.listen.slice(0, o.listen.lastIndexOf(':')), Number(o.listen.slice(o.listen.lastIndexOf(':') + 1))];
  await until(
    () =>
      child.exitCode !== null ||
      new Promise<boolean>((res) => {
        const s = connect({ host, port }, () => {
          s.destroy();
          res(true);
        });
        s.on('error', () => res(false));
      }),
    20_000,
    `Postfix on ${o.listen}`,
  ).catch((err) => {
    throw new Error(`${(err as Error).message}: ${stderr}\n${log()}`);
  });
  if (child.exitCode !== null) throw new Error(`Postfix exited (${child.exitCode}): ${stderr}\n${log()}`);
  return {
    pid: child.pid!,
    inbox,
    log,
    messages: () => ['new', 'cur'].flatMap((s) => (existsSync(join(inbox, s)) ? readdirSync(join(inbox, s)).map((f) => readFileSync(join(inbox, s, f), 'latin1')) : [])),
    // start-fg's script waits on the master; the master's own PID (its pid file) is what stops it.
    stop: async () => {
      const pidFile = join(dir, 'queue', 'pid', 'master.pid');
      const masterPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
      if (masterPid > 0) {
        try {
          process.kill(masterPid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const alive = () => {
          try {
            process.kill(masterPid, 0);
            return true;
          } catch {
            return false;
          }
        };
        await until(() => !alive(), 15_000, 'the Postfix master to stop').catch(() => {
          try {
            process.kill(masterPid, 'SIGKILL');
          } catch {
            /* gone */
          }
        });
      }
      await stopChild(child, 5_000);
    },
  };
}
