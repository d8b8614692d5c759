// LogonWorkstations' matching: names qualified with the directory's domain,
// addresses compared in one form (IPv4-mapped, IPv6 spellings), the hosts file
// before DNS, a burst of checks sharing one lookup, answers kept for their TTL
// (capped) and failures for a short while, and every failure refusing (fail
// closed) with what each name resolved to. DNS is a counting fake here; the
// real resolver against dnsmasq is in test/logon-workstations.test.ts.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { adUserSchema, logonWorkstationNames } from '../config/model/account.js';
import type { DnsSettings } from '../dns/dns-settings.js';
import { newModelObject } from '../store/repository.js';
import { canonicalAddress, describeResolution, FAILURE_CACHE_MS, LogonWorkstations, MAX_CACHE_MS, matchingWorkstation, workstationFqdn, type WorkstationLookup } from './logon-workstations.js';

const user = (workstations: string | null) => newModelObject(adUserSchema, '', { Name: 'EdgeAuth', SamAccountName: 'edgeauth', Enabled: true, LogonWorkstations: workstations });

/** A DNS fake: a table of A/AAAA answers with TTLs; every other name is NXDOMAIN (or the given error). */
function fakeDns(table: Record<string, { v4?: string[]; v6?: string[]; ttl?: number; error?: string }>) {
  const asked: string[] = [];
  const answer = (family: 'v4' | 'v6') => async (name: string) => {
    asked.push(`${family} ${name}`);
    const row = table[name];
    if (!row) throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    if (row.error) throw Object.assign(new Error(`query ${row.error} ${name}`), { code: row.error });
    const list = row[family];
    if (!list || list.length === 0) throw Object.assign(new Error(`query ENODATA ${name}`), { code: 'ENODATA' });
    return list.map((address) => ({ address, ttl: row.ttl ?? 300 }));
  };
  const lookup: WorkstationLookup = { resolve4: answer('v4'), resolve6: answer('v6') };
  return { lookup, asked };
}

describe('LogonWorkstations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-workstations-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const settings: DnsSettings = { servers: [{ address: '127.0.0.1', port: 53 }], hostsFile: null };

  function checker(table: Parameters<typeof fakeDns>[0], over: { settings?: DnsSettings; now?: () => number } = {}) {
    const dns = fakeDns(table);
    const w = new LogonWorkstations({ dnsDomain: () => 'contoso.com', dns: () => over.settings ?? settings, lookup: () => dns.lookup, ...(over.now && { now: over.now }) });
    return { w, asked: dns.asked };
  }

  it('splits the stored string and qualifies single labels with the directory domain', () => {
    assert.deepEqual(logonWorkstationNames('EDGE01, edge02.contoso.net ,EDGE03'), ['EDGE01', 'edge02.contoso.net', 'EDGE03']);
    assert.deepEqual(logonWorkstationNames(null), []);
    assert.deepEqual(logonWorkstationNames('  '), []);
    assert.equal(workstationFqdn('EDGE01', 'contoso.com'), 'edge01.contoso.com');
    assert.equal(workstationFqdn('Edge01.Fabrikam.COM.', 'contoso.com'), 'edge01.fabrikam.com');
  });

  it('refuses what is not a list of computer names, and stores "" as no restriction', () => {
    const parse = adUserSchema.properties.find((p) => p.name === 'LogonWorkstations')!.parse;
    assert.equal(parse('EDGE01, edge02.contoso.com'), 'EDGE01,edge02.contoso.com');
    assert.equal(parse(''), null);
    assert.throws(() => parse('EDGE01,,EDGE02'), /empty name/);
    assert.throws(() => parse('EDGE01,'), /empty name/);
    assert.throws(() => parse('127.10.1.2'), /computer names, not addresses/);
    assert.throws(() => parse('2001:db8::1'), /computer names, not addresses/);
    assert.throws(() => parse('VERYLONGCOMPUTERNAME'), /at most 15 characters/);
    assert.throws(() => parse('edge 01'), /not a computer name/);
    assert.throws(() => parse('edge01..contoso.com'), /not a computer name/);
    assert.throws(() => parse(Array.from({ length: 100 }, (_, i) => `EDGE${i}.contoso.com`).join(',')), /at most 1024/);
  });

  it('compares addresses in one form', () => {
    assert.equal(canonicalAddress('::ffff:127.10.1.2'), '127.10.1.2');
    assert.equal(canonicalAddress('2001:DB8::1'), canonicalAddress('2001:db8:0:0:0:0:0:1'));
    assert.equal(canonicalAddress('not-an-address'), null);
    const resolved = [{ name: 'EDGE01', fqdn: 'edge01.contoso.com', addresses: ['127.10.1.2', '2001:db8::2'] }];
    assert.equal(matchingWorkstation(resolved, '::ffff:127.10.1.2')?.name, 'EDGE01');
    assert.equal(matchingWorkstation(resolved, '2001:db8:0::2')?.name, 'EDGE01');
    assert.equal(matchingWorkstation(resolved, '127.10.1.3'), null);
  });

  it('allows any computer when the account has no list', async () => {
    const { w, asked } = checker({});
    assert.deepEqual(await w.check(user(null), '192.0.2.1'), { allowed: true, restricted: false });
    assert.deepEqual(asked, [], 'nothing is looked up');
  });

  it('allows the address of a listed computer and refuses any other, saying what each name resolved to', async () => {
    const { w } = checker({ 'edge01.contoso.com': { v4: ['192.0.2.1'] }, 'edge02.contoso.net': { v4: ['192.0.2.2'], v6: ['2001:db8::2'] } });
    const ok = await w.check(user('EDGE01,edge02.contoso.net'), '2001:db8::2');
    assert.equal(ok.allowed, true);
    assert.equal(ok.allowed && ok.restricted && ok.matched.fqdn, 'edge02.contoso.net');
    const refused = await w.check(user('EDGE01,edge02.contoso.net'), '192.0.2.9');
    assert.equal(refused.allowed, false);
    if (refused.allowed) return;
    assert.equal(refused.workstations, 'EDGE01,edge02.contoso.net');
    assert.deepEqual(refused.resolved.map(describeResolution), ['EDGE01 (edge01.contoso.com) -> 192.0.2.1', 'edge02.contoso.net -> 192.0.2.2, 2001:db8::2']);
  });

  it('fails closed: a name that does not resolve allows nothing, and says why', async () => {
    const { w } = checker({ 'edge03.contoso.com': { error: 'ETIMEOUT' } });
    const gone = await w.check(user('EDGE09'), '192.0.2.1');
    assert.equal(gone.allowed, false);
    assert.match(describeResolution(!gone.allowed ? gone.resolved[0] : (undefined as never)), /^EDGE09 \(edge09\.contoso\.com\) -> did not resolve: the name does not exist \(NXDOMAIN\) \(asked 127\.0\.0\.1:53\)$/);
    const slow = await w.check(user('EDGE03'), '192.0.2.1');
    assert.equal(slow.allowed, false);
    assert.match(!slow.allowed ? String(slow.resolved[0].error) : '', /DNS query failed with error Timeout/);
    const broken = new LogonWorkstations({
      dnsDomain: () => 'contoso.com',
      dns: () => {
        throw new Error('DNS server "x" is not an address');
      },
    });
    const unusable = await broken.check(user('EDGE01'), '192.0.2.1');
    assert.equal(unusable.allowed, false);
    assert.match(!unusable.allowed ? String(unusable.resolved[0].error) : '', /DNS settings cannot be used: DNS server "x"/);
  });

  it('reads the hosts file the DNS settings select before asking DNS', async () => {
    const hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, '# lab\n192.0.2.50 edge01.contoso.com edge01\n');
    const { w, asked } = checker({ 'edge01.contoso.com': { v4: ['192.0.2.1'] } }, { settings: { ...settings, hostsFile } });
    assert.equal((await w.check(user('EDGE01'), '192.0.2.50')).allowed, true);
    assert.equal((await w.check(user('EDGE01'), '192.0.2.1')).allowed, false, 'the hosts file wins over DNS');
    assert.deepEqual(asked, []);
  });

  it('asks DNS once for a burst of logons, keeps an answer for its TTL (capped) and a failure briefly', async () => {
    let now = 1_000_000;
    const { w, asked } = checker({ 'edge01.contoso.com': { v4: ['192.0.2.1'], ttl: 3600 } }, { now: () => now });
    const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => w.check(user('EDGE01'), i % 2 === 0 ? '192.0.2.1' : '192.0.2.2')));
    assert.deepEqual(
      burst.map((v) => v.allowed),
      Array.from({ length: 50 }, (_, i) => i % 2 === 0),
    );
    assert.deepEqual(asked, ['v4 edge01.contoso.com', 'v6 edge01.contoso.com'], 'one lookup per family for the whole burst');
    now += MAX_CACHE_MS - 1;
    await w.check(user('EDGE01'), '192.0.2.1');
    assert.equal(asked.length, 2, 'still cached');
    now += 2;
    await w.check(user('EDGE01'), '192.0.2.1');
    assert.equal(asked.length, 4, 'a TTL of an hour is kept at most MAX_CACHE_MS');

    await w.check(user('EDGE07'), '192.0.2.1');
    await w.check(user('EDGE07'), '192.0.2.1');
    assert.equal(asked.filter((a) => a.endsWith('edge07.contoso.com')).length, 2, 'a failure is remembered too');
    now += FAILURE_CACHE_MS + 1;
    await w.check(user('EDGE07'), '192.0.2.1');
    assert.equal(asked.filter((a) => a.endsWith('edge07.contoso.com')).length, 4, 'and asked again after FAILURE_CACHE_MS');
  });

  it('follows the DNS settings: other servers are other answers', async () => {
    let current = settings;
    const tables: Record<string, ReturnType<typeof fakeDns>> = {
      '127.0.0.1': fakeDns({ 'edge01.contoso.com': { v4: ['192.0.2.1'] } }),
      '127.0.0.2': fakeDns({ 'edge01.contoso.com': { v4: ['192.0.2.7'] } }),
    };
    const w = new LogonWorkstations({ dnsDomain: () => 'contoso.com', dns: () => current, lookup: (s) => tables[s.servers[0].address].lookup });
    assert.equal((await w.check(user('EDGE01'), '192.0.2.7')).allowed, false);
    current = { ...settings, servers: [{ address: '127.0.0.2', port: 53 }] };
    assert.equal((await w.check(user('EDGE01'), '192.0.2.7')).allowed, true);
  });
});
