import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionCounter, MessageRateLimiter } from './limits.js';

describe('ConnectionCounter', () => {
  it('enforces the per-connector and per-source limits and frees on release', () => {
    const c = new ConnectionCounter();
    const limits = { maxInboundConnection: 3, maxInboundConnectionPerSource: 2, maxInboundConnectionPercentagePerSource: 100 };
    assert.equal(c.tryAcquire('A', '1.1.1.1', limits), null);
    assert.equal(c.tryAcquire('A', '1.1.1.1', limits), null);
    assert.equal(c.tryAcquire('A', '1.1.1.1', limits), 'source');
    assert.equal(c.tryAcquire('A', '2.2.2.2', limits), null);
    assert.equal(c.tryAcquire('A', '3.3.3.3', limits), 'connector');
    assert.equal(c.tryAcquire('B', '3.3.3.3', limits), null, 'limits are per connector');
    c.release('A', '1.1.1.1');
    assert.equal(c.tryAcquire('A', '3.3.3.3', limits), null);
    assert.equal(c.count('A'), 3);
  });
  it('limits one source to its percentage of the connections still available', () => {
    const c = new ConnectionCounter();
    const limits = { maxInboundConnection: 100, maxInboundConnectionPerSource: null, maxInboundConnectionPercentagePerSource: 2 };
    assert.equal(c.tryAcquire('A', '1.1.1.1', limits), null);
    assert.equal(c.tryAcquire('A', '1.1.1.1', limits), null);
    assert.equal(c.tryAcquire('A', '1.1.1.1', limits), 'source');
  });
  it('has no limits when they are unlimited', () => {
    const c = new ConnectionCounter();
    const limits = { maxInboundConnection: null, maxInboundConnectionPerSource: null, maxInboundConnectionPercentagePerSource: 2 };
    for (let i = 0; i < 50; i++) assert.equal(c.tryAcquire('A', '1.1.1.1', limits), null);
  });
});

describe('MessageRateLimiter', () => {
  it('allows perMinute messages per key in a sliding minute', () => {
    let now = 0;
    const r = new MessageRateLimiter(() => now);
    assert.ok(r.tryCount(['ip:1'], 2));
    assert.ok(r.tryCount(['ip:1'], 2));
    assert.ok(!r.tryCount(['ip:1'], 2));
    assert.ok(r.tryCount(['ip:2'], 2));
    now = 60_001;
    assert.ok(r.tryCount(['ip:1'], 2));
    assert.ok(r.tryCount(['ip:1'], null));
    r.sweep();
  });
});
