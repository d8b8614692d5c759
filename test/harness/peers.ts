// Real peers for delivery tests, each a child process on a loopback address,
// stopped by PID: dnsmasq serving the test's MX and A records, and Postfix's
// smtp-sink recording every transaction to files.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { stopChild } from '../../src/lab/stop-child.js';
import { join } from 'node:path';

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export class Peer {
  constructor(
    readonly child: ChildProcess,
    readonly name: string,
  ) {}
  stop(): Promise<void> {
    return stopChild(this.child, 3000);
  }
}

/** dnsmasq on address:port, authoritative for `zones` (unknown names answer NXDOMAIN). */
export async function startDnsmasq(address: string, port: number, zones: string[], records: string[]): Promise<Peer> {
  const args = ['--keep-in-foreground', `--port=${port}`, `--listen-address=${address}`, '--bind-interfaces', '--no-resolv', '--no-hosts', '--user=nobody', '--pid-file=', ...zones.map((z) => `--local=/${z}/`), ...records];
  const child = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const peer = new Peer(child, 'dnsmasq');
  const r = new Resolver({ timeout: 500, tries: 1 });
  r.setServers([`${address}:${port}`]);
  await until(
    async () => {
      try {
        await r.resolve4(`probe-${Date.now()}.${zones[0]}`);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ENOTFOUND';
      }
    },
    10_000,
    'dnsmasq to answer',
  );
  return peer;
}

export interface SinkMessage {
  mailFrom: string;
  rcptTo: string[];
  text: string;
}

/** smtp-sink on address:25; `options` such as ['-f', 'RCPT'] to refuse commands. */
export async function startSink(address: string, dir: string, options: string[] = []): Promise<Peer & { messages(): SinkMessage[] }> {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  const child = spawn('/usr/sbin/smtp-sink', ['-u', 'root', '-d', join(dir, '%M.'), ...options, `${address}:25`, '100'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const peer = new Peer(child, `smtp-sink ${address}`) as Peer & { messages(): SinkMessage[] };
  // smtp-sink removes the dump of a transaction the client aborted: a file listed may be gone.
  peer.messages = () =>
    readdirSync(dir).flatMap((f) => {
      let text: string;
      try {
        text = readFileSync(join(dir, f), 'latin1');
      } catch {
        return [];
      }
      return [
        {
          mailFrom: /^X-Mail-Args: <([^>]*)>/im.exec(text)?.[1] ?? '',
          rcptTo: [...text.matchAll(/^X-Rcpt-Args: <([^>]*)>/gim)].map((m) => m[1]),
          text,
        },
      ];
    });
  const { connect } = await import('node:net');
  await until(
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect({ host: address, port: 25 }, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      }),
    10_000,
    `smtp-sink on ${address}`,
  );
  return peer;
}

export { until };

/** Python's aiosmtpd with STARTTLS (the given certificate) and AUTH LOGIN/PLAIN inside TLS for one account. */
const AIOSMTPD_PEER = `
import json, ssl, sys, signal
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
cert, key, host, port, user, password, require = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5].encode(), sys.argv[6].encode(), sys.argv[7] == "1"
mailboxes = json.loads(sys.argv[8]) if len(sys.argv) > 8 else None
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if mailboxes is not None:
            print("RCPT", envelope.mail_from, address, "auth=%s" % bool(session.authenticated), flush=True)
            if address.lower() in mailboxes["defer"]:
                return "451 4.3.0 Directory busy, try again"
            if address.lower() not in mailboxes["accept"]:
                return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"
    async def handle_RSET(self, server, session, envelope):
        if mailboxes is not None:
            print("RSET", flush=True)
        return "250 OK"
    async def handle_DATA(self, server, session, envelope):
        print("MSG", envelope.mail_from, envelope.rcpt_tos, "tls=%s" % bool(session.ssl), "auth=%s" % bool(session.authenticated), flush=True)
        return "250 2.0.0 Ok: stored"
def auth(server, session, envelope, mechanism, data):
    return AuthResult(success=(data.login == user and data.password == password), handled=False)
c = Controller(Handler(), hostname=host, port=port, tls_context=ctx, require_starttls=require,
               auth_require_tls=True, authenticator=auth, server_hostname="peer.test.example")
c.start()
print("READY", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
c.stop()
`;

export interface AiosmtpdOptions {
  dir: string;
  host: string;
  port: number;
  certificatePem: string;
  privateKeyPem: string;
  user: string;
  password: string;
  /** Refuse MAIL before STARTTLS (default true). */
  requireStartTls?: boolean;
  /**
   * Take only these recipients (550 5.1.1 for the others, 451 4.3.0 for `defer`), printing
   * "RCPT <from> <address> auth=.." for each RCPT TO and "RSET" for each RSET.
   */
  mailboxes?: { accept: string[]; defer?: string[] };
}

/** Starts the aiosmtpd peer; `output()` is what it printed ("MSG <from> [<rcpts>] tls=.. auth=.." per message). */
export async function startAiosmtpd(o: AiosmtpdOptions): Promise<Peer & { output(): string }> {
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(join(o.dir, 'peer.py'), AIOSMTPD_PEER);
  writeFileSync(join(o.dir, 'cert.pem'), o.certificatePem);
  writeFileSync(join(o.dir, 'key.pem'), o.privateKeyPem);
  const child = spawn(
    '/usr/bin/python3',
    [
      join(o.dir, 'peer.py'),
      join(o.dir, 'cert.pem'),
      join(o.dir, 'key.pem'),
      o.host,
      String(o.port),
      o.user,
      o.password,
      o.requireStartTls === false ? '0' : '1',
      ...(o.mailboxes ? [JSON.stringify({ accept: o.mailboxes.accept.map((a) => a.toLowerCase()), defer: (o.mailboxes.defer ?? []).map((a) => a.toLowerCase()) })] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', () => undefined);
  const peer = new Peer(child, `aiosmtpd ${o.host}:${o.port}`) as Peer & { output(): string };
  peer.output = () => out;
  await until(() => out.includes('READY') || child.exitCode !== null, 10_000, `aiosmtpd on ${o.host}:${o.port}`);
  if (child.exitCode !== null) throw new Error(`aiosmtpd on ${o.host}:${o.port} exited with ${child.exitCode}`);
  return peer;
}
