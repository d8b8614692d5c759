import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daneHostStates, usableTlsa } from './dane-records.js';
import type { SecureAnswer, SecureLookup, SecureRecordType, TlsaRecord } from './dnssec-lookup.js';

const tlsa = (usage: number, selector: number, matchingType: number, len = 32): TlsaRecord => ({ usage, selector, matchingType, data: Buffer.alloc(len, 1) });

function answer(p: Partial<SecureAnswer>): SecureAnswer {
  return { rcode: 'NOERROR', authenticated: true, mx: [], addresses: [], tlsa: [], ...p };
}

class FakeLookup implements SecureLookup {
  constructor(private readonly table: Record<string, SecureAnswer | 'timeout'>) {}
  async query(name: string, type: SecureRecordType): Promise<SecureAnswer> {
    const a = this.table[`${name} ${type}`];
    if (a === 'timeout') throw Object.assign(new Error('no answer'), { code: 'ETIMEOUT' });
    return a ?? answer({ rcode: 'NXDOMAIN' });
  }
}

const secureMx = {
  'd.example MX': answer({ mx: [{ priority: 10, exchange: 'mx.d.example' }] }),
  'mx.d.example A': answer({ addresses: ['192.0.2.1'] }),
};

describe('DANE TLSA records', () => {
  it('usable: DANE-TA/EE, selectors 0/1, matching types 0/1/2 with the right lengths', () => {
    assert.ok(usableTlsa(tlsa(3, 1, 1)));
    assert.ok(usableTlsa(tlsa(2, 0, 2, 64)));
    assert.ok(usableTlsa(tlsa(3, 0, 0, 300)));
    assert.ok(!usableTlsa(tlsa(1, 1, 1)), 'PKIX-EE is not for SMTP');
    assert.ok(!usableTlsa(tlsa(0, 0, 1)), 'PKIX-TA is not for SMTP');
    assert.ok(!usableTlsa(tlsa(3, 2, 1)));
    assert.ok(!usableTlsa(tlsa(3, 1, 3)));
    assert.ok(!usableTlsa(tlsa(3, 1, 1, 31)), 'a SHA-256 digest is 32 octets');
  });

  it('secure MX, address and TLSA: dane with the usable records only', async () => {
    const l = new FakeLookup({ ...secureMx, '_25._tcp.mx.d.example TLSA': answer({ tlsa: [tlsa(3, 1, 1), tlsa(1, 1, 1)] }) });
    const st = (await daneHostStates(l, 'd.example', ['MX.d.example.'], 25)).get('mx.d.example');
    assert.equal(st?.kind, 'dane');
    assert.equal((st as { tlsa: TlsaRecord[] }).tlsa.length, 1);
  });

  it('the port of the connector names the TLSA record', async () => {
    const l = new FakeLookup({ ...secureMx, '_587._tcp.mx.d.example TLSA': answer({ tlsa: [tlsa(3, 1, 1)] }) });
    assert.equal((await daneHostStates(l, 'd.example', ['mx.d.example'], 587)).get('mx.d.example')?.kind, 'dane');
    assert.equal((await daneHostStates(l, 'd.example', ['mx.d.example'], 25)).get('mx.d.example')?.kind, 'none');
  });

  it('insecure MX, insecure address or insecure TLSA: none', async () => {
    const t = { '_25._tcp.mx.d.example TLSA': answer({ tlsa: [tlsa(3, 1, 1)] }) };
    const insecureMx = new FakeLookup({ ...secureMx, ...t, 'd.example MX': answer({ authenticated: false, mx: [{ priority: 10, exchange: 'mx.d.example' }] }) });
    assert.equal((await daneHostStates(insecureMx, 'd.example', ['mx.d.example'], 25)).get('mx.d.example')?.kind, 'none');
    const insecureA = new FakeLookup({ ...secureMx, ...t, 'mx.d.example A': answer({ authenticated: false, addresses: ['192.0.2.1'] }) });
    assert.equal((await daneHostStates(insecureA, 'd.example', ['mx.d.example'], 25)).get('mx.d.example')?.kind, 'none');
    const insecureTlsa = new FakeLookup({ ...secureMx, '_25._tcp.mx.d.example TLSA': answer({ authenticated: false, tlsa: [tlsa(3, 1, 1)] }) });
    assert.equal((await daneHostStates(insecureTlsa, 'd.example', ['mx.d.example'], 25)).get('mx.d.example')?.kind, 'none');
  });

  it('only unusable records, or an authenticated denial: none', async () => {
    const unusable = new FakeLookup({ ...secureMx, '_25._tcp.mx.d.example TLSA': answer({ tlsa: [tlsa(0, 0, 1), tlsa(3, 7, 1)] }) });
    const st = (await daneHostStates(unusable, 'd.example', ['mx.d.example'], 25)).get('mx.d.example');
    assert.equal(st?.kind, 'none');
    assert.match((st as { why: string }).why, /none of the TLSA records/);
    const denied = new FakeLookup({ ...secureMx, '_25._tcp.mx.d.example TLSA': answer({ rcode: 'NXDOMAIN' }) });
    assert.equal((await daneHostStates(denied, 'd.example', ['mx.d.example'], 25)).get('mx.d.example')?.kind, 'none');
  });

  it('SERVFAIL or no answer for the TLSA of a secure host: failed', async () => {
    const bogus = new FakeLookup({ ...secureMx, '_25._tcp.mx.d.example TLSA': answer({ rcode: 'SERVFAIL', authenticated: false }) });
    const st = (await daneHostStates(bogus, 'd.example', ['mx.d.example'], 25)).get('mx.d.example');
    assert.equal(st?.kind, 'failed');
    assert.match((st as { reason: string }).reason, /failed with SERVFAIL/);
    const silent = new FakeLookup({ ...secureMx, '_25._tcp.mx.d.example TLSA': 'timeout' });
    assert.equal((await daneHostStates(silent, 'd.example', ['mx.d.example'], 25)).get('mx.d.example')?.kind, 'failed');
  });

  it('implicit MX: the domain itself, when the MX denial is authenticated', async () => {
    const l = new FakeLookup({
      'd.example MX': answer({}),
      'd.example A': answer({ addresses: ['192.0.2.1'] }),
      '_25._tcp.d.example TLSA': answer({ tlsa: [tlsa(3, 1, 1)] }),
    });
    assert.equal((await daneHostStates(l, 'd.example', ['d.example'], 25)).get('d.example')?.kind, 'dane');
  });

  it('a host that is not one of the MX hosts: none', async () => {
    const l = new FakeLookup({ ...secureMx, '_25._tcp.x.example TLSA': answer({ tlsa: [tlsa(3, 1, 1)] }) });
    assert.equal((await daneHostStates(l, 'd.example', ['x.example'], 25)).get('x.example')?.kind, 'none');
  });
});
