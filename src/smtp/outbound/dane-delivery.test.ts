import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SecureAnswer, SecureLookup, SecureRecordType } from '../../dns/dnssec-lookup.js';
import type { Logger } from '../../observability/logger.js';
import type { OutboundPolicy } from './connection.js';
import { DaneAttempt } from './dane-delivery.js';

const ok = (p: Partial<SecureAnswer>): SecureAnswer => ({ rcode: 'NOERROR', authenticated: true, mx: [], addresses: [], tlsa: [], ...p });
const table: Record<string, SecureAnswer> = {
  'd.example MX': ok({
    mx: [
      { priority: 10, exchange: 'mx1.d.example' },
      { priority: 20, exchange: 'mx2.d.example' },
      { priority: 30, exchange: 'mx3.d.example' },
    ],
  }),
  'mx1.d.example A': ok({ addresses: ['192.0.2.1'] }),
  'mx2.d.example A': ok({ addresses: ['192.0.2.2'] }),
  'mx3.d.example A': ok({ addresses: ['192.0.2.3'] }),
  '_25._tcp.mx1.d.example TLSA': ok({ tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: Buffer.alloc(32, 1) }] }),
  '_25._tcp.mx2.d.example TLSA': ok({ rcode: 'SERVFAIL', authenticated: false }),
  '_25._tcp.mx3.d.example TLSA': ok({ rcode: 'NXDOMAIN' }),
};
const lookup: SecureLookup = { query: async (name: string, type: SecureRecordType) => table[`${name} ${type}`] ?? ok({ rcode: 'NXDOMAIN' }) };
const lines: { event: string }[] = [];
const log = { log: (_level: string, event: string) => lines.push({ event }) } as unknown as Logger;
const base: OutboundPolicy = {
  ehloName: 'edge',
  forceHelo: false,
  tls: 'opportunistic',
  tlsAuthLevel: 'CertificateValidation',
  verifyChain: true,
  connectTimeoutMs: 1,
  greetingTimeoutMs: 1,
  inactivityTimeoutMs: 1,
  maxMessagesPerConnection: 1,
};
const target = (host: string, address: string) => ({ host, address, port: 25 });

describe('DANE delivery attempt', () => {
  it('requires STARTTLS and the DANE check for a host with TLSA records, leaves the others as they are, and drops a failed host', async () => {
    const targets = [target('mx1.d.example', '192.0.2.1'), target('mx2.d.example', '192.0.2.2'), target('mx3.d.example', '192.0.2.3')];
    const a = await DaneAttempt.begin(lookup, 'D.example', targets, log);
    assert.equal(a.applies, true);
    assert.deepEqual(
      a.screen(targets).targets.map((t) => t.host),
      ['mx1.d.example', 'mx3.d.example'],
    );
    const p1 = a.policy('mx1.d.example', base);
    assert.equal(p1.tls, 'required');
    assert.equal(p1.tlsAuthLevel, null);
    assert.equal(p1.verifyChain, undefined);
    assert.deepEqual(p1.dane?.names, ['mx1.d.example', 'd.example']);
    assert.equal(a.policy('mx3.d.example', base), base);
    assert.deepEqual(lines.map((l) => l.event).sort(), ['dane.tlsa.failed', 'dane.tlsa.found']);
  });

  it('no usable host left: a refusal naming DANE and why', async () => {
    const targets = [target('mx2.d.example', '192.0.2.2')];
    const a = await DaneAttempt.begin(lookup, 'd.example', targets, log);
    const s = a.screen(targets);
    assert.equal(s.targets.length, 0);
    assert.match(s.refusal ?? '', /^451 4\.7\.5 DANE: no MX host of d\.example can be used: the TLSA lookup of _25\._tcp\.mx2\.d\.example failed with SERVFAIL/);
  });
});
