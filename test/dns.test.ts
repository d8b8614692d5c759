// Outbound DNS routing against a real DNS server: dnsmasq started by this
// test on 127.0.0.53 (and ::1 when the machine has it) on a random high port,
// authoritative (--local) for the test zones so unknown names are NXDOMAIN
// and names outside them are REFUSED; nothing is forwarded anywhere. Every
// resolver built here is given that server (or a socket of this test) and
// no hosts file except temporary ones, so no other DNS server is asked.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resolver } from 'node:dns/promises';
import { MailResolver, type DnsServer, type DnsSettings, type Resolution } from '../src/dns/index.js';
import { needs } from './harness/tools.js';

const ADDRESS = '127.0.0.53';

function findDnsmasq(): string | null {
  for (const p of ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq']) {
    if (spawnSync(p, ['--version'], { timeout: 5_000 }).status === 0) return p;
  }
  return null;
}

const ZONE_ARGS = [
  '--local=/fabrikam.com/',
  '--local=/eq.example/',
  '--local=/nomx.example/',
  '--local=/nullmx.example/',
  '--local=/test/',
  '--local=/contoso.com/',
  // preference order, IPv6 on mx1
  '--mx-host=fabrikam.com,mx2.fabrikam.com,20',
  '--mx-host=fabrikam.com,mx1.fabrikam.com,10',
  '--mx-host=fabrikam.com,mx3.fabrikam.com,30',
  '--host-record=mx1.fabrikam.com,127.0.0.2,::2',
  '--host-record=mx2.fabrikam.com,127.0.0.3',
  '--host-record=mx3.fabrikam.com,::3',
  // three equal preferences and a backup
  '--mx-host=eq.example,a.eq.example,10',
  '--mx-host=eq.example,b.eq.example,10',
  '--mx-host=eq.example,c.eq.example,10',
  '--mx-host=eq.example,backup.eq.example,20',
  '--host-record=a.eq.example,127.0.1.1',
  '--host-record=b.eq.example,127.0.1.2',
  '--host-record=c.eq.example,127.0.1.3',
  '--host-record=backup.eq.example,127.0.1.4',
  // implicit MX
  '--host-record=nomx.example,127.0.0.4,::4',
  // null MX (with an A record that must not be used)
  '--mx-host=nullmx.example,.,0',
  '--host-record=nullmx.example,127.0.0.9',
  // MX hosts without addresses
  '--mx-host=broken.test,mx.missing.test,10',
  '--mx-host=broken.test,mx.ok.test,20',
  '--host-record=mx.ok.test,127.0.0.6',
  '--mx-host=allbroken.test,gone1.test,10',
  '--mx-host=allbroken.test,gone2.test,20',
  // smart hosts
  '--host-record=smart.contoso.com,127.0.0.7',
  '--host-record=smart6.contoso.com,::7',
  '--mx-host=mxsmart.contoso.com,mx1.fabrikam.com,5',
];

async function canBindLoopback6(): Promise<boolean> {
  const s = dgram.createSocket('udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '::1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

/** Waits (bounded) until the server answers a known name. */
async function answers(server: string, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    const r = new Resolver({ timeout: 200, tries: 1 });
    r.setServers([server]);
    try {
      if ((await r.resolve4('smart.contoso.com')).length > 0) return true;
    } catch {
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  return false;
}

/** A UDP socket on loopback that reads queries and never answers. */
async function silentServer(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  return s;
}

/** A UDP server on loopback answering every query with SERVFAIL (RCODE 2). */
async function servfailServer(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    const reply = Buffer.from(msg);
    reply[2] = 0x80 | (msg[2] & 0x79); // QR=1, keep opcode and RD
    reply[3] = 0x80 | 0x02; // RA=1, RCODE=SERVFAIL
    reply.writeUInt16BE(0, 6); // ANCOUNT
    reply.writeUInt16BE(0, 8); // NSCOUNT
    reply.writeUInt16BE(0, 10); // ARCOUNT
    // keep only the header and the question
    let end = 12;
    while (end < reply.length && reply[end] !== 0) end += reply[end] + 1;
    s.send(reply.subarray(0, Math.min(reply.length, end + 5)), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  return s;
}

async function unusedUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const dnsmasqPath = findDnsmasq();

describe('outbound DNS against dnsmasq', needs('dnsmasq'), () => {
  let child: ChildProcess | null = null;
  let port = 0;
  let v6 = false;
  let dir = '';
  let server: DnsServer;

  const settings = (over: Partial<DnsSettings> = {}): DnsSettings => ({ servers: [server], timeoutMs: 1_000, tries: 2, hostsFile: null, deadlineMs: 15_000, ...over });
  const ok = (r: Resolution) => {
    assert.ok(r.ok, JSON.stringify(r));
    return r.hosts;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-dns-'));
    v6 = await canBindLoopback6();
    for (let attempt = 0; attempt < 5 && !child; attempt++) {
      port = 20_000 + Math.floor(Math.random() * 40_000);
      const listen = v6 ? `--listen-address=${ADDRESS},::1` : `--listen-address=${ADDRESS}`;
      const p = spawn(dnsmasqPath!, ['--keep-in-foreground', '--no-resolv', '--no-hosts', '--no-poll', '--bind-interfaces', `--port=${port}`, listen, `--pid-file=${join(dir, 'dnsmasq.pid')}`, '--log-facility=-', ...ZONE_ARGS], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let exited = false;
      p.on('exit', () => {
        exited = true;
      });
      p.stderr!.resume();
      if (await answers(`${ADDRESS}:${port}`, 5_000)) child = p;
      else if (!exited) {
        p.kill('SIGKILL');
      }
    }
    assert.ok(child, 'dnsmasq started and answered');
    server = { address: ADDRESS, port };
  });

  after(async () => {
    if (child && child.exitCode === null && child.pid !== undefined) {
      const c = child;
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      process.kill(c.pid!, 'SIGTERM');
      const t = setTimeout(() => {
        if (c.exitCode === null) process.kill(c.pid!, 'SIGKILL');
      }, 5_000);
      await gone;
      clearTimeout(t);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('MX hosts in preference order, with IPv4 then IPv6 addresses', async () => {
    const hosts = ok(await new MailResolver(settings()).resolveMailDomain('fabrikam.com'));
    assert.deepEqual(hosts, [
      { name: 'mx1.fabrikam.com', preference: 10, addresses: ['127.0.0.2', '::2'], implicit: false },
      { name: 'mx2.fabrikam.com', preference: 20, addresses: ['127.0.0.3'], implicit: false },
      { name: 'mx3.fabrikam.com', preference: 30, addresses: ['::3'], implicit: false },
    ]);
  });

  it('equal preferences come in varying order over 40 calls, the backup always last', async () => {
    const resolver = new MailResolver(settings());
    const firsts = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const hosts = ok(await resolver.resolveMailDomain('eq.example'));
      assert.deepEqual(
        hosts
          .map((h) => h.name)
          .slice(0, 3)
          .sort(),
        ['a.eq.example', 'b.eq.example', 'c.eq.example'],
      );
      assert.equal(hosts[3].name, 'backup.eq.example');
      assert.equal(hosts.length, 4);
      firsts.set(hosts[0].name, (firsts.get(hosts[0].name) ?? 0) + 1);
    }
    // Each of three hosts comes first with probability 1/3; missing one in 40 draws has probability < 1e-6.
    assert.equal(firsts.size, 3, JSON.stringify([...firsts]));
    for (const n of firsts.values()) assert.ok(n >= 2 && n <= 30, JSON.stringify([...firsts]));
  });

  it("no MX: implicit MX from the domain's A and AAAA", async () => {
    const hosts = ok(await new MailResolver(settings()).resolveMailDomain('nomx.example'));
    assert.deepEqual(hosts, [{ name: 'nomx.example', preference: 0, addresses: ['127.0.0.4', '::4'], implicit: true }]);
  });

  it("null MX: permanent 5.1.10, the domain's A record unused", async () => {
    const r = await new MailResolver(settings()).resolveMailDomain('nullmx.example');
    assert.ok(!r.ok && r.kind === 'permanent' && r.enhanced === '5.1.10', JSON.stringify(r));
  });

  it('NXDOMAIN: permanent 5.4.4', async () => {
    const r = await new MailResolver(settings()).resolveMailDomain('unknown.fabrikam.com');
    assert.deepEqual(r, { ok: false, kind: 'permanent', enhanced: '5.4.4', text: '550 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain' });
  });

  it('REFUSED (a zone the server does not serve): transient 4.4.0', async () => {
    const r = await new MailResolver(settings()).resolveMailDomain('woodgrove.example');
    assert.deepEqual(r, { ok: false, kind: 'transient', enhanced: '4.4.0', text: '451 4.4.0 DNS query failed. The error was: DNS query failed with error Refused' });
  });

  it('an MX host without an address is skipped; none left: transient', async () => {
    const hosts = ok(await new MailResolver(settings()).resolveMailDomain('broken.test'));
    assert.deepEqual(hosts, [{ name: 'mx.ok.test', preference: 20, addresses: ['127.0.0.6'], implicit: false }]);
    const r = await new MailResolver(settings()).resolveMailDomain('allbroken.test');
    assert.ok(!r.ok && r.kind === 'transient' && r.enhanced === '4.4.0', JSON.stringify(r));
  });

  it('a server that does not answer: transient Timeout within a bounded time', async () => {
    const silent = await silentServer();
    try {
      const started = Date.now();
      const r = await new MailResolver(settings({ servers: [{ address: '127.0.0.1', port: silent.address().port }], timeoutMs: 300, tries: 1 })).resolveMailDomain('fabrikam.com');
      const took = Date.now() - started;
      assert.deepEqual(r, { ok: false, kind: 'transient', enhanced: '4.4.0', text: '451 4.4.0 DNS query failed. The error was: DNS query failed with error Timeout' });
      assert.ok(took < 5_000, `took ${took} ms`);
    } finally {
      silent.close();
    }
  });

  it('the overall deadline bounds a slow server even with generous per-try settings', async () => {
    const silent = await silentServer();
    try {
      const started = Date.now();
      const r = await new MailResolver(settings({ servers: [{ address: '127.0.0.1', port: silent.address().port }], timeoutMs: 5_000, tries: 4, deadlineMs: 500 })).resolveMailDomain('fabrikam.com');
      const took = Date.now() - started;
      assert.ok(!r.ok && r.kind === 'transient' && /Timeout$/.test(r.text), JSON.stringify(r));
      assert.ok(took < 2_000, `took ${took} ms`);
    } finally {
      silent.close();
    }
  });

  it('an unused port (ICMP port unreachable): transient ConnectionRefused', async () => {
    const unused = await unusedUdpPort();
    const r = await new MailResolver(settings({ servers: [{ address: '127.0.0.1', port: unused }], timeoutMs: 500, tries: 1 })).resolveMailDomain('fabrikam.com');
    assert.ok(!r.ok && r.kind === 'transient' && r.enhanced === '4.4.0', JSON.stringify(r));
    assert.match(!r.ok ? r.text : '', /with error (ConnectionRefused|Timeout)$/);
  });

  it('SERVFAIL: transient ServerFailure', async () => {
    const sf = await servfailServer();
    try {
      const r = await new MailResolver(settings({ servers: [{ address: '127.0.0.1', port: sf.address().port }], timeoutMs: 500, tries: 1 })).resolveMailDomain('fabrikam.com');
      assert.deepEqual(r, { ok: false, kind: 'transient', enhanced: '4.4.0', text: '451 4.4.0 DNS query failed. The error was: DNS query failed with error ServerFailure' });
    } finally {
      sf.close();
    }
  });

  it('a dead first server falls through to the next one', async () => {
    const unused = await unusedUdpPort();
    const hosts = ok(await new MailResolver(settings({ servers: [{ address: '127.0.0.1', port: unused }, server], timeoutMs: 500, tries: 1 })).resolveMailDomain('nomx.example'));
    assert.deepEqual(hosts[0].addresses, ['127.0.0.4', '::4']);
  });

  it('smart host via A record, via AAAA, via MX name, and an unknown one (transient)', async () => {
    const resolver = new MailResolver(settings());
    assert.deepEqual(ok(await resolver.resolveSmartHost('smart.contoso.com')), [{ name: 'smart.contoso.com', preference: 0, addresses: ['127.0.0.7'], implicit: true }]);
    assert.deepEqual(ok(await resolver.resolveSmartHost('smart6.contoso.com'))[0].addresses, ['::7']);
    assert.deepEqual(ok(await resolver.resolveSmartHost('mxsmart.contoso.com')), [{ name: 'mx1.fabrikam.com', preference: 5, addresses: ['127.0.0.2', '::2'], implicit: false }]);
    const r = await resolver.resolveSmartHost('nosuch.contoso.com');
    assert.deepEqual(r, { ok: false, kind: 'transient', enhanced: '4.4.0', text: '451 4.4.0 DNS query failed. The error was: SMTPSEND.DNS.NonExistentDomain; nonexistent domain' });
  });

  it('smart host via a hosts file, before DNS, re-read when the file changes', async () => {
    const hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, '# test hosts\n127.0.0.77 smart.contoso.com relay   # overrides DNS\n::77 relay\n');
    const resolver = new MailResolver(settings({ hostsFile }));
    assert.deepEqual(ok(await resolver.resolveSmartHost('SMART.contoso.com')), [{ name: 'smart.contoso.com', preference: 0, addresses: ['127.0.0.77'], implicit: true }]);
    assert.deepEqual(ok(await resolver.resolveSmartHost('relay'))[0].addresses, ['127.0.0.77', '::77']);
    writeFileSync(hostsFile, '127.0.0.78 relay\n');
    const later = new Date(Date.now() + 5_000);
    utimesSync(hostsFile, later, later);
    assert.deepEqual(ok(await resolver.resolveSmartHost('relay'))[0].addresses, ['127.0.0.78']);
    // no longer in the file: DNS answers
    assert.deepEqual(ok(await resolver.resolveSmartHost('smart.contoso.com'))[0].addresses, ['127.0.0.7']);
  });

  it('address literals and IP smart hosts need no DNS', async () => {
    const resolver = new MailResolver({ servers: [{ address: '127.0.0.1', port: await unusedUdpPort() }], timeoutMs: 200, tries: 1, hostsFile: null });
    assert.deepEqual(ok(await resolver.resolveMailDomain('[127.0.0.5]'))[0].addresses, ['127.0.0.5']);
    assert.deepEqual(ok(await resolver.resolveSmartHost('127.0.0.8'))[0].addresses, ['127.0.0.8']);
  });

  it('a DNS server given by IPv6 address and port ([::1]:port)', async (t) => {
    if (!v6) return t.skip('no ::1 on this machine');
    const hosts = ok(await new MailResolver(settings({ servers: [{ address: '::1', port }] })).resolveMailDomain('fabrikam.com'));
    assert.equal(hosts[0].name, 'mx1.fabrikam.com');
  });
});
