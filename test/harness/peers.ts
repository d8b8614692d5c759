// Real peers for delivery tests, each a child process on a loopback address,
// stopped by PID: dnsmasq serving the test's MX and A records, and Postfix's
// smtp-sink recording every transaction to files.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
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
  constructor(readonly child: ChildProcess, readonly name: string) {}
  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      this.child.once('exit', () => { clearTimeout(t); resolve(); });
      this.child.kill('SIGTERM');
    });
  }
}

/** dnsmasq on address:port, authoritative for `zones` (unknown names answer NXDOMAIN). */
export async function startDnsmasq(address: string, port: number, zones: string[], records: string[]): Promise<Peer> {
  const args = ['--keep-in-foreground', `--port=${port}`, `--listen-address=${address}`, '--bind-interfaces', '--no-resolv', '--no-hosts',
    '--user=nobody', '--pid-file=', ...zones.map((z) => `--local=/${z}/`), ...records];
  const child = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const peer = new Peer(child, 'dnsmasq');
  const r = new Resolver({ timeout: 500, tries: 1 });
  r.setServers([`${address}:${port}`]);
  await until(async () => {
    try {
      await r.resolve4(`probe-${Date.now()}.${zones[0]}`);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOTFOUND';
    }
  }, 10_000, 'dnsmasq to answer');
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
  peer.messages = () => readdirSync(dir).map((f) => {
    const text = readFileSync(join(dir, f), 'latin1');
    return {
      mailFrom: /^X-Mail-Args: <([^>]*)>/mi.exec(text)?.[1] ?? '',
      rcptTo: [...text.matchAll(/^X-Rcpt-Args: <([^>]*)>/gmi)].map((m) => m[1]),
      text,
    };
  });
  const { connect } = await import('node:net');
  await until(() => new Promise<boolean>((resolve) => {
    const s = connect({ host: address, port: 25 }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  }), 10_000, `smtp-sink on ${address}`);
  return peer;
}

export { until };
