// A private rspamd (Debian's package) for the content filter's tests: its
// normal worker only, on a loopback address, with its own configuration and
// folders, run as nobody when the tests run as root, and stopped by PID.
// The configuration loads no rules and no modules, so nothing needs Redis
// and nothing leaves the machine: rspamd's own DNS resolver is pointed at a
// loopback address where nothing answers. What it recognises is the GTUBE
// test string (action reject) and, with enable_test_patterns, its variants
// for the milder actions (YJS*...: add header, ZJS*...: rewrite subject);
// any other message gets "no action".

import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { Peer, until } from './peers.js';

const RSPAMD = '/usr/bin/rspamd';

/** The GTUBE line: rspamd answers reject. */
export const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';
/** rspamd's test variant for add header (with enable_test_patterns). */
export const GTUBE_ADD_HEADER = 'YJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

export interface RspamdOptions {
  /** rspamd's folder (created); its parent is made searchable by others when rspamd runs as nobody. */
  dir: string;
  address: string;
  port: number;
  /** Where rspamd's DNS resolver is pointed (nothing should answer there). */
  nameserver: string;
}

export interface RspamdPeer extends Peer {
  url: string;
  /** rspamd's log of the messages it checked, one line each ("rspamd_task_write_log: ..."). */
  checked(): string[];
}

function nobody(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  if (!line) throw new Error('no user nobody in /etc/passwd');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function ping(address: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ host: address, port, path: '/ping', method: 'GET', agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => done(res.statusCode === 200 && body.trim() === 'pong'));
      res.on('error', () => done(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}

export async function startRspamd(o: RspamdOptions): Promise<RspamdPeer> {
  const dir = resolve(o.dir);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? nobody() : null;
  const log = join(dir, 'rspamd.log');
  writeFileSync(
    join(dir, 'rspamd.conf'),
    `# A private rspamd for Gatehouse's tests: no rules, no modules, no Redis, no network.
options {
  pidfile = "${dir}/rspamd.pid";
  filters = "";
  enable_test_patterns = true;
  local_addrs = [];
  dns {
    nameserver = ["${o.nameserver}"];
    timeout = 0.5s;
    retransmits = 1;
  }
  tempdir = "${dir}/tmp";
  hs_cache_dir = "${dir}/";
  cache_file = "${dir}/symbols.cache";
  control_socket = "${dir}/rspamd.sock mode=0600";
  stats_file = "${dir}/stats.ucl";
  history_file = "${dir}/rspamd.history";
  task_timeout = 8s;
}
logging {
  type = "file";
  filename = "${log}";
  level = "info";
}
actions {
  reject = 15;
  add_header = 6;
  greylist = 4;
}
worker "normal" {
  bind_socket = "${o.address}:${o.port}";
  count = 1;
  mime = true;
}
`,
  );
  if (user) {
    const parent = dirname(dir);
    chmodSync(parent, (statSync(parent).mode & 0o7777) | 0o011);
    for (const d of [dir, join(dir, 'tmp'), join(dir, 'rspamd.conf')]) chownSync(d, user.uid, user.gid);
  }
  const child = spawn(RSPAMD, ['-f', '-c', join(dir, 'rspamd.conf')], { stdio: ['ignore', 'ignore', 'pipe'], ...(user && { uid: user.uid, gid: user.gid }) });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const peer = new Peer(child, `rspamd ${o.address}:${o.port}`) as RspamdPeer;
  peer.url = `http://${o.address}:${o.port}`;
  peer.checked = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l.includes('rspamd_task_write_log'))
      : [];
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`rspamd exited (${child.exitCode}): ${stderr}`);
        return ping(o.address, o.port);
      },
      30_000,
      `rspamd to answer /ping on ${o.address}:${o.port}`,
    );
  } catch (err) {
    await peer.stop();
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return peer;
}
