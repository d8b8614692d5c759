import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailResolver } from './mail-resolver.js';
import type { DnsLookup } from './dns-lookup.js';
import type { MxRecord } from './order-mx.js';

type Answer<T> = T | { error: string } | (() => Promise<T>);

/** A zone held in memory: names present in any table exist (else NXDOMAIN); absent types are NODATA. */
class FakeLookup implements DnsLookup {
  calls: string[] = [];
  constructor(
    private readonly zone: {
      mx?: Record<string, Answer<MxRecord[]>>;
      a?: Record<string, Answer<string[]>>;
      aaaa?: Record<string, Answer<string[]>>;
    },
  ) {}
  private answer<T>(type: 'mx' | 'a' | 'aaaa', name: string): Promise<T> {
    this.calls.push(`${type} ${name}`);
    const table = this.zone[type] as Record<string, Answer<T>> | undefined;
    const hit = table && Object.hasOwn(table, name) ? table[name] : undefined;
    if (typeof hit === 'function') return (hit as () => Promise<T>)();
    if (hit && typeof hit === 'object' && 'error' in hit) return Promise.reject(Object.assign(new Error(hit.error), { code: hit.error }));
    if (hit !== undefined) return Promise.resolve(structuredClone(hit as T));
    const exists = Object.values(this.zone).some((t) => t && Object.hasOwn(t, name));
    const code = exists ? 'ENODATA' : 'ENOTFOUND';
    return Promise.reject(Object.assign(new Error(code), { code }));
  }
  resolveMx(name: string) {
    return this.answer<MxRecord[]>('mx', name);
  }
  resolve4(name: string) {
    return this.answer<string[]>('a', name);
  }
  resolve6(name: string) {
    return this.answer<string[]>('aaaa', name);
  }
}

const resolver = (lookup: DnsLookup, extra: { random?: () => number; hostsFile?: string | null; deadlineMs?: number } = {}) =>
  new MailResolver({ servers: [], hostsFile: extra.hostsFile ?? null, deadlineMs: extra.deadlineMs }, { lookup, random: extra.random ?? (() => 0.999) });

const FABRIKAM = {
  mx: {
    'fabrikam.com': [
      { exchange: 'mx2.fabrikam.com', priority: 20 },
      { exchange: 'mx1.fabrikam.com', priority: 10 },
    ],
  },
  a: { 'mx1.fabrikam.com': ['192.0.2.1', '192.0.2.11'], 'mx2.fabrikam.com': ['192.0.2.2'] },
  aaaa: { 'mx1.fabrikam.com': ['2001:db8::1'] },
};

test('MX hosts by preference, IPv4 then IPv6 addresses', async () => {
  const r = await resolver(new FakeLookup(FABRIKAM)).resolveMailDomain('Fabrikam.COM.');
  assert.deepEqual(r, {
    ok: true,
    hosts: [
      { name: 'mx1.fabrikam.com', preference: 10, addresses: ['192.0.2.1', '192.0.2.11', '2001:db8::1'], implicit: false },
      { name: 'mx2.fabrikam.com', preference: 20, addresses: ['192.0.2.2'], implicit: false },
    ],
  });
});

test('equal preferences follow the random source', async () => {
  const zone = {
    mx: {
      'eq.example': [
        { exchange: 'a.eq.example', priority: 10 },
        { exchange: 'b.eq.example', priority: 10 },
      ],
    },
    a: { 'a.eq.example': ['192.0.2.1'], 'b.eq.example': ['192.0.2.2'] },
  };
  const names = async (random: () => number) => {
    const r = await resolver(new FakeLookup(zone), { random }).resolveMailDomain('eq.example');
    assert.ok(r.ok);
    return r.hosts.map((h) => h.name);
  };
  assert.deepEqual(await names(() => 0.999), ['a.eq.example', 'b.eq.example']);
  assert.deepEqual(await names(() => 0), ['b.eq.example', 'a.eq.example']);
});

test("no MX: implicit MX from the domain's own A/AAAA", async () => {
  const r = await resolver(new FakeLookup({ a: { 'nomx.example': ['192.0.2.4'] }, aaaa: { 'nomx.example': ['2001:db8::4'] } })).resolveMailDomain('nomx.example');
  assert.deepEqual(r, { ok: true, hosts: [{ name: 'nomx.example', preference: 0, addresses: ['192.0.2.4', '2001:db8::4'], implicit: true }] });
});

test('no MX and no address: permanent 5.4.4', async () => {
  const r = await resolver(new FakeLookup({ mx: {}, a: { 'txtonly.example': { error: 'ENODATA' } } })).resolveMailDomain('txtonly.example');
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.kind === 'permanent' && r.enhanced === '5.4.4' && /^550 5\.4\.4 /.test(r.text), JSON.stringify(r));
});

test('no MX and a transient error on A: transient', async () => {
  const r = await resolver(new FakeLookup({ a: { 'flaky.example': { error: 'ESERVFAIL' } }, aaaa: { 'flaky.example': { error: 'ENODATA' } } })).resolveMailDomain('flaky.example');
  assert.ok(!r.ok && r.kind === 'transient' && r.enhanced === '4.4.0', JSON.stringify(r));
  assert.match(!r.ok ? r.text : '', /^451 4\.4\.0 DNS query failed\. The error was: DNS query failed with error ServerFailure$/);
});

test('null MX: permanent 5.1.10, whether Node gives "" or "."', async () => {
  for (const exchange of ['', '.']) {
    const lookup = new FakeLookup({ mx: { 'nullmx.example': [{ exchange, priority: 0 }] }, a: { 'nullmx.example': ['192.0.2.9'] } });
    const r = await resolver(lookup).resolveMailDomain('nullmx.example');
    assert.ok(!r.ok && r.kind === 'permanent' && r.enhanced === '5.1.10', JSON.stringify(r));
    assert.match(!r.ok ? r.text : '', /^556 5\.1\.10 /);
    assert.deepEqual(lookup.calls, ['mx nullmx.example'], 'no A fallback for a null MX');
  }
});

test('a "." mixed with real MX records is ignored', async () => {
  const lookup = new FakeLookup({
    mx: {
      'mixed.example': [
        { exchange: '', priority: 0 },
        { exchange: 'mx.mixed.example', priority: 10 },
      ],
    },
    a: { 'mx.mixed.example': ['192.0.2.5'] },
  });
  const r = await resolver(lookup).resolveMailDomain('mixed.example');
  assert.ok(r.ok);
  assert.deepEqual(
    r.hosts.map((h) => h.name),
    ['mx.mixed.example'],
  );
});

test("NXDOMAIN: permanent 5.4.4 with Exchange's NDR text", async () => {
  const r = await resolver(new FakeLookup({})).resolveMailDomain('nowhere.example');
  assert.deepEqual(r, { ok: false, kind: 'permanent', enhanced: '5.4.4', text: '550 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain' });
});

test('SERVFAIL, timeout, REFUSED, connection refused, bad response on MX: transient 4.4.0', async () => {
  const reasons: Record<string, string> = { ESERVFAIL: 'ServerFailure', ETIMEOUT: 'Timeout', EREFUSED: 'Refused', ECONNREFUSED: 'ConnectionRefused', EBADRESP: 'BadResponse', EFORMERR: 'FormatError' };
  for (const [code, reason] of Object.entries(reasons)) {
    const r = await resolver(new FakeLookup({ mx: { 'x.example': { error: code } } })).resolveMailDomain('x.example');
    assert.deepEqual(r, { ok: false, kind: 'transient', enhanced: '4.4.0', text: `451 4.4.0 DNS query failed. The error was: DNS query failed with error ${reason}` }, code);
  }
});

test('an MX host that does not resolve is skipped; others are used', async () => {
  const zone = {
    mx: {
      'part.example': [
        { exchange: 'gone.part.example', priority: 5 },
        { exchange: 'broken.part.example', priority: 7 },
        { exchange: 'ok.part.example', priority: 10 },
      ],
    },
    a: { 'broken.part.example': { error: 'ESERVFAIL' }, 'ok.part.example': ['192.0.2.10'] },
  };
  const r = await resolver(new FakeLookup(zone)).resolveMailDomain('part.example');
  assert.ok(r.ok);
  assert.deepEqual(
    r.hosts.map((h) => [h.name, h.preference]),
    [['ok.part.example', 10]],
  );
});

test('an MX host with only AAAA is kept; one whose AAAA lookup fails keeps its A', async () => {
  const zone = {
    mx: {
      'v6.example': [
        { exchange: 'six.v6.example', priority: 10 },
        { exchange: 'four.v6.example', priority: 20 },
      ],
    },
    aaaa: { 'six.v6.example': ['2001:db8::6'], 'four.v6.example': { error: 'ETIMEOUT' } },
    a: { 'four.v6.example': ['192.0.2.4'] },
  };
  const r = await resolver(new FakeLookup(zone)).resolveMailDomain('v6.example');
  assert.ok(r.ok);
  assert.deepEqual(
    r.hosts.map((h) => h.addresses),
    [['2001:db8::6'], ['192.0.2.4']],
  );
});

test('no MX host with an address: transient 4.4.0', async () => {
  const zone = {
    mx: {
      'dead.example': [
        { exchange: 'a.missing.example', priority: 10 },
        { exchange: 'b.missing.example', priority: 20 },
      ],
    },
  };
  const r = await resolver(new FakeLookup(zone)).resolveMailDomain('dead.example');
  assert.ok(!r.ok && r.kind === 'transient' && r.enhanced === '4.4.0', JSON.stringify(r));
  assert.match(!r.ok ? r.text : '', /^451 4\.4\.0 .*dead\.example/);
});

test('address literals resolve to themselves without DNS', async () => {
  const lookup = new FakeLookup({});
  const res = resolver(lookup);
  assert.deepEqual(await res.resolveMailDomain('[127.0.0.5]'), { ok: true, hosts: [{ name: '[127.0.0.5]', preference: 0, addresses: ['127.0.0.5'], implicit: true }] });
  const v6 = await res.resolveMailDomain('[IPv6:2001:db8::5]');
  assert.ok(v6.ok);
  assert.deepEqual(v6.hosts[0].addresses, ['2001:db8::5']);
  assert.deepEqual(lookup.calls, []);
});

test('malformed destinations: permanent 5.1.2 without DNS', async () => {
  const lookup = new FakeLookup({});
  const res = resolver(lookup);
  for (const bad of ['[300.1.1.1]', '[IPv6:127.0.0.1]', '[nonsense', 'a..b', '', 'has space.example', `${'x'.repeat(64)}.example`, '127.0.0.1']) {
    const r = await res.resolveMailDomain(bad);
    assert.ok(!r.ok && r.kind === 'permanent' && r.enhanced === '5.1.2', `${bad}: ${JSON.stringify(r)}`);
  }
  assert.deepEqual(lookup.calls, []);
});

test('Unicode domains are looked up in IDNA form', async () => {
  const lookup = new FakeLookup({ a: { 'xn--bcher-kva.example': ['192.0.2.77'] } });
  const r = await resolver(lookup).resolveMailDomain('bücher.example');
  assert.ok(r.ok);
  assert.equal(lookup.calls[0], 'mx xn--bcher-kva.example');
});

test('a lookup that never ends is cut off by the deadline: transient', async () => {
  const never = () => new Promise<never>(() => {});
  const started = Date.now();
  const r = await resolver(new FakeLookup({ mx: { 'slow.example': never } }), { deadlineMs: 100 }).resolveMailDomain('slow.example');
  assert.ok(Date.now() - started < 2_000);
  assert.ok(!r.ok && r.kind === 'transient' && /Timeout/.test(r.text), JSON.stringify(r));
});

test('smart host: IP as is, bare or bracketed', async () => {
  const lookup = new FakeLookup({});
  const res = resolver(lookup);
  assert.deepEqual(await res.resolveSmartHost('10.0.0.25'), { ok: true, hosts: [{ name: '10.0.0.25', preference: 0, addresses: ['10.0.0.25'], implicit: true }] });
  const b = await res.resolveSmartHost('[10.0.0.26]');
  assert.ok(b.ok && b.hosts[0].addresses[0] === '10.0.0.26');
  const v6 = await res.resolveSmartHost('2001:db8::25');
  assert.ok(v6.ok && v6.hosts[0].addresses[0] === '2001:db8::25');
  assert.deepEqual(lookup.calls, []);
});

test('smart host: hosts file first, then A/AAAA, then MX', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-mr-'));
  try {
    const hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, '10.9.9.9 relay.contoso.com relay\n');
    const lookup = new FakeLookup({
      a: { 'relay.contoso.com': ['192.0.2.200'], 'byname.contoso.com': ['192.0.2.201'], 'mx1.contoso.com': ['192.0.2.202'] },
      mx: { 'mxname.contoso.com': [{ exchange: 'mx1.contoso.com', priority: 10 }] },
    });
    const res = resolver(lookup, { hostsFile });
    const h = await res.resolveSmartHost('RELAY');
    assert.deepEqual(h, { ok: true, hosts: [{ name: 'relay', preference: 0, addresses: ['10.9.9.9'], implicit: true }] });
    assert.deepEqual(lookup.calls, [], 'the hosts file answered, DNS was not asked');
    const a = await res.resolveSmartHost('byname.contoso.com');
    assert.deepEqual(a, { ok: true, hosts: [{ name: 'byname.contoso.com', preference: 0, addresses: ['192.0.2.201'], implicit: true }] });
    const mx = await res.resolveSmartHost('mxname.contoso.com');
    assert.deepEqual(mx, { ok: true, hosts: [{ name: 'mx1.contoso.com', preference: 10, addresses: ['192.0.2.202'], implicit: false }] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('smart host failures are all transient', async () => {
  const res = resolver(
    new FakeLookup({
      mx: { 'nullmx.contoso.com': [{ exchange: '', priority: 0 }], 'deadmx.contoso.com': [{ exchange: 'nothing.contoso.com', priority: 1 }] },
      a: { 'sf.contoso.com': { error: 'ESERVFAIL' } },
      aaaa: { 'txt.contoso.com': { error: 'ENODATA' } },
    }),
  );
  const nx = await res.resolveSmartHost('missing.contoso.com');
  assert.deepEqual(nx, { ok: false, kind: 'transient', enhanced: '4.4.0', text: '451 4.4.0 DNS query failed. The error was: SMTPSEND.DNS.NonExistentDomain; nonexistent domain' });
  for (const name of ['sf.contoso.com', 'txt.contoso.com', 'nullmx.contoso.com', 'deadmx.contoso.com', 'bad..name']) {
    const r = await res.resolveSmartHost(name);
    assert.ok(!r.ok && r.kind === 'transient' && r.enhanced === '4.4.0' && r.text.startsWith('451 4.4.0 '), `${name}: ${JSON.stringify(r)}`);
  }
});
