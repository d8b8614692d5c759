import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queueRetryDelay, withJitter, type RetrySettings } from './retry-schedule.js';

const mailbox: RetrySettings = {
  transientFailureRetryCount: 6,
  transientFailureRetryIntervalMs: 5 * 60_000,
  outboundConnectionFailureRetryIntervalMs: 10 * 60_000,
  messageRetryIntervalMs: 15 * 60_000,
  messageExpirationMs: 2 * 86_400_000,
  delayNotificationMs: 4 * 3_600_000,
};

describe('queueRetryDelay', () => {
  it('follows the documented timeline with Mailbox defaults', () => {
    let t = 0;
    const times: number[] = [];
    for (let failures = 1; failures <= 13; failures++) {
      t += queueRetryDelay(failures, mailbox) / 60_000;
      times.push(t);
    }
    assert.deepEqual(times, [1, 2, 3, 4, 9, 14, 19, 24, 29, 34, 44, 54, 64]);
  });
  it('skips the transient tier with TransientFailureRetryCount 0, and caps glitch spacing', () => {
    assert.equal(queueRetryDelay(5, { ...mailbox, transientFailureRetryCount: 0 }), 10 * 60_000);
    assert.equal(queueRetryDelay(1, { ...mailbox, transientFailureRetryIntervalMs: 1000 }), 1000);
  });
  it('jitters within 10%', () => {
    assert.equal(
      withJitter(1000, () => 0),
      900,
    );
    assert.equal(
      withJitter(1000, () => 1),
      1100,
    );
  });
});
