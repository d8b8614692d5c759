// A small DNSSEC world on loopback for DANE tests: zones signed with ldns-signzone
// (keys from ldns-keygen) served by a private nsd, and a private unbound that
// validates them (the signed zone's KSK as its trust anchor, the unsigned zones
// marked domain-insecure) and answers as a recursive resolver. Both run in the
// foreground with config, pid and zone files in the test's folder, and are
// stopped by PID.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resolver } from 'node:dns/promises';
import { Peer } from './peers.js';

export interface DnssecWorld {
  stop(): Promise<void>;
}

export interface DnssecOptions {
  dir: string;
  /** The validating resolver: address and port. */
  resolver: { address: string; port: number };
  /** The authoritative server: address and port. */
  authoritative: { address: string; port: number };
  /** Signed zone: name and record lines (relative to the zone's origin); SOA and NS are added. */
  signed: { name: string; records: string[]; afterSigning?: (text: string) => string };
  /** Unsigned zones (domain-insecure in the resolver). */
  unsigned: { name: string; records: string[] }[];
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function zoneText(name: string, ns: string, records: string[]): string {
  return [`$ORIGIN ${name}.`, '$TTL 300', `@ IN SOA ns.${name}. hostmaster.${name}. 1 3600 600 86400 300`, `@ IN NS ns.${name}.`, `ns IN A ${ns}`, ...records, ''].join('\n');
}

export async function startDnssecWorld(o: DnssecOptions): Promise<DnssecWorld> {
  const dir = o.dir;
  mkdirSync(dir, { recursive: true });
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
  const zone = o.signed.name;
  writeFileSync(join(dir, `${zone}.zone`), zoneText(zone, o.authoritative.address, o.signed.records));
  const ksk = run('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', zone]);
  const zsk = run('ldns-keygen', ['-a', 'ECDSAP256SHA256', zone]);
  run('ldns-signzone', ['-f', `${zone}.zone.signed`, `${zone}.zone`, zsk, ksk]);
  if (o.signed.afterSigning) {
    const file = join(dir, `${zone}.zone.signed`);
    writeFileSync(file, o.signed.afterSigning(readFileSync(file, 'utf8')));
  }
  for (const u of o.unsigned) writeFileSync(join(dir, `${u.name}.zone`), zoneText(u.name, o.authoritative.address, u.records));

  const auth = `${o.authoritative.address}@${o.authoritative.port}`;
  writeFileSync(
    join(dir, 'nsd.conf'),
    [
      'server:',
      `  ip-address: ${auth}`,
      `  port: ${o.authoritative.port}`,
      '  database: ""',
      `  zonelistfile: "${join(dir, 'zone.list')}"`,
      `  xfrdfile: "${join(dir, 'xfrd.state')}"`,
      `  xfrdir: "${dir}"`,
      `  pidfile: "${join(dir, 'nsd.pid')}"`,
      `  zonesdir: "${dir}"`,
      '  username: ""',
      '  chroot: ""',
      `  logfile: "${join(dir, 'nsd.log')}"`,
      '  server-count: 1',
      '  do-ip6: no',
      'remote-control:',
      '  control-enable: no',
      'zone:',
      `  name: "${zone}"`,
      `  zonefile: "${zone}.zone.signed"`,
      ...o.unsigned.flatMap((u) => ['zone:', `  name: "${u.name}"`, `  zonefile: "${u.name}.zone"`]),
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'unbound.conf'),
    [
      'server:',
      `  interface: ${o.resolver.address}@${o.resolver.port}`,
      `  port: ${o.resolver.port}`,
      `  outgoing-interface: ${o.resolver.address}`,
      '  do-daemonize: no',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${dir}"`,
      `  pidfile: "${join(dir, 'unbound.pid')}"`,
      '  use-syslog: no',
      '  logfile: ""',
      '  verbosity: 1',
      '  val-log-level: 2',
      '  do-ip6: no',
      '  do-not-query-localhost: no',
      '  access-control: 127.0.0.0/8 allow',
      '  module-config: "validator iterator"',
      `  trust-anchor-file: "${join(dir, `${ksk}.ds`)}"`,
      ...o.unsigned.map((u) => `  domain-insecure: "${u.name}"`),
      ...[zone, ...o.unsigned.map((u) => u.name)].flatMap((z) => ['stub-zone:', `  name: "${z}"`, `  stub-addr: ${auth}`]),
      'remote-control:',
      '  control-enable: no',
      '',
    ].join('\n'),
  );

  const nsd = spawn('/usr/sbin/nsd', ['-d', '-c', join(dir, 'nsd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let nsdErr = '';
  nsd.stderr!.on('data', (d: Buffer) => (nsdErr += d.toString()));
  const unbound = spawn('/usr/sbin/unbound', ['-d', '-c', join(dir, 'unbound.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let unboundErr = '';
  unbound.stderr!.on('data', (d: Buffer) => (unboundErr += d.toString()));
  const peers = [new Peer(unbound, 'unbound'), new Peer(nsd, 'nsd')];
  const stop = async () => {
    for (const p of peers) await p.stop();
  };
  try {
    await until(() => /start of service/.test(unboundErr) || unbound.exitCode !== null, 10_000, `unbound on ${o.resolver.address}:${o.resolver.port}`);
    if (unbound.exitCode !== null) throw new Error(`unbound exited: ${unboundErr}`);
    // nsd is ready once it answers for its zone.
    const probe = new Resolver({ timeout: 500, tries: 1 });
    probe.setServers([`${o.authoritative.address}:${o.authoritative.port}`]);
    await until(
      async () => {
        if (nsd.exitCode !== null) throw new Error(`nsd exited: ${nsdErr}`);
        try {
          return (await probe.resolveSoa(zone)).nsname === `ns.${zone}`;
        } catch {
          return false;
        }
      },
      10_000,
      `nsd on ${auth}`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}
