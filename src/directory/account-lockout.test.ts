// Account lockout transitions under a policy, with the clock given: counting
// within the observation window, locking at the threshold, never while the
// threshold is 0, no counting while locked, the end of a lockout after its
// duration (or never with duration 0), success and unlock clearing the count.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterBadPassword, afterLogon, afterUnlock, CLEAN_STATE, fileTime, isLockedOut, justLockedOut, lockoutEnds, type AccountLogonState } from './account-lockout.js';

const MIN = 60_000;
const policy = { threshold: 3, durationMs: 30 * MIN, observationWindowMs: 10 * MIN };
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function fail(times: number[], p = policy, from: AccountLogonState = CLEAN_STATE): AccountLogonState {
  return times.reduce((s, t) => afterBadPassword(s, p, t), from);
}

describe('account lockout', () => {
  it('locks at the threshold within the observation window', () => {
    const two = fail([T0, T0 + MIN]);
    assert.deepEqual(two, { badPwdCount: 2, badPasswordTime: T0 + MIN, lockoutTime: null });
    assert.equal(isLockedOut(two, policy, T0 + MIN), false);
    const three = afterBadPassword(two, policy, T0 + 2 * MIN);
    assert.equal(three.lockoutTime, T0 + 2 * MIN);
    assert.ok(justLockedOut(two, three));
    assert.equal(isLockedOut(three, policy, T0 + 2 * MIN), true);
    assert.equal(lockoutEnds(three, policy), T0 + 32 * MIN);
  });

  it('starts the count again after a gap as long as the observation window', () => {
    const s = fail([T0, T0 + MIN, T0 + 11 * MIN]);
    assert.equal(s.badPwdCount, 1);
    assert.equal(s.lockoutTime, null);
  });

  it('never locks with threshold 0, but still counts', () => {
    const s = fail(
      Array.from({ length: 50 }, (_, i) => T0 + i * 1000),
      { ...policy, threshold: 0 },
    );
    assert.equal(s.badPwdCount, 50);
    assert.equal(s.lockoutTime, null);
  });

  it('does not count bad passwords while locked out, and unlocks after the duration', () => {
    const locked = fail([T0, T0 + 1, T0 + 2]);
    const during = afterBadPassword(locked, policy, T0 + 5 * MIN);
    assert.equal(during, locked, 'no change while locked');
    assert.equal(isLockedOut(locked, policy, T0 + 2 + 30 * MIN - 1), true);
    assert.equal(isLockedOut(locked, policy, T0 + 2 + 30 * MIN), false);
    // The first bad password after the lockout ended counts from one again.
    const after = afterBadPassword(locked, policy, T0 + 40 * MIN);
    assert.deepEqual(after, { badPwdCount: 1, badPasswordTime: T0 + 40 * MIN, lockoutTime: null });
  });

  it('keeps an account locked until unlocked when the duration is 0', () => {
    const forever = { ...policy, durationMs: 0 };
    const locked = fail([T0, T0 + 1, T0 + 2], forever);
    assert.equal(isLockedOut(locked, forever, T0 + 365 * 24 * 60 * MIN), true);
    assert.equal(lockoutEnds(locked, forever), null);
    const unlocked = afterUnlock(locked);
    assert.equal(isLockedOut(unlocked, forever, T0 + 3), false);
    assert.equal(unlocked.badPwdCount, 0);
    assert.equal(unlocked.badPasswordTime, T0 + 2, 'the last bad password stays recorded');
  });

  it('a successful logon clears the count', () => {
    const s = afterLogon(fail([T0, T0 + 1]));
    assert.equal(s.badPwdCount, 0);
    assert.equal(afterBadPassword(s, policy, T0 + 2).badPwdCount, 1);
  });

  it('shows times as Windows FILETIMEs', () => {
    assert.equal(fileTime(null), 0n);
    assert.equal(fileTime(0), 116444736000000000n);
    assert.equal(fileTime(Date.UTC(2020, 0, 1)), 132223104000000000n);
  });
});
