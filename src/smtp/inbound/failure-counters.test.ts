// FailureCounter with an injected clock: counts per key, halving per quiet
// period, sweeping what decayed to nothing, and a bound on keys that drops
// the least recently failed one; sourceKey groups an IPv6 /64.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailureCounter, sourceKey } from './failure-counters.js';

describe('FailureCounter', () => {
  it('counts failures per key', () => {
    let now = 0;
    const c = new FailureCounter({ quietMs: 1000, maxEntries: 10, now: () => now });
    assert.equal(c.add('a'), 1);
    assert.equal(c.add('a'), 2);
    assert.equal(c.add('b'), 1);
    now = 999;
    assert.equal(c.add('a'), 3);
    assert.equal(c.count('b'), 1);
  });

  it('halves a count for each quiet period and forgets it at zero', () => {
    let now = 0;
    const c = new FailureCounter({ quietMs: 1000, maxEntries: 10, now: () => now });
    for (let i = 0; i < 8; i++) c.add('a');
    now = 1000;
    assert.equal(c.count('a'), 4);
    now = 2500;
    assert.equal(c.count('a'), 2);
    assert.equal(c.add('a'), 3, 'a new failure builds on what is left');
    now = 2500 + 2000;
    assert.equal(c.count('a'), 0);
    c.sweep();
    assert.equal(c.size, 0);
  });

  it('sweeps keys that decayed while new ones arrive', () => {
    let now = 0;
    const c = new FailureCounter({ quietMs: 1000, maxEntries: 1000, now: () => now });
    for (let i = 0; i < 100; i++) c.add(`old-${i}`);
    now = 5000;
    c.add('new');
    assert.equal(c.size, 1);
  });

  it('keeps at most maxEntries keys, dropping the least recently failed', () => {
    let now = 0;
    const c = new FailureCounter({ quietMs: 60_000, maxEntries: 3, now: () => now });
    c.add('a');
    now++;
    c.add('b');
    now++;
    c.add('c');
    now++;
    c.add('a');
    now++; // a is now the most recent
    c.add('d');
    assert.equal(c.size, 3);
    assert.equal(c.count('b'), 0, 'b was the least recently failed');
    assert.equal(c.count('a'), 2);
    for (let i = 0; i < 10_000; i++) c.add(`flood-${i}`);
    assert.equal(c.size, 3);
  });

  it('forgets a key on reset', () => {
    const c = new FailureCounter({ quietMs: 1000, maxEntries: 10, now: () => 0 });
    c.add('a');
    c.reset('a');
    assert.equal(c.count('a'), 0);
  });
});

describe('sourceKey', () => {
  it('keeps IPv4 addresses and groups IPv6 addresses by /64', () => {
    assert.equal(sourceKey('192.0.2.1'), '192.0.2.1');
    assert.equal(sourceKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(sourceKey('2001:db8:1:2::1'), sourceKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    assert.notEqual(sourceKey('2001:db8:1:2::1'), sourceKey('2001:db8:1:3::1'));
    assert.equal(sourceKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  });
});
