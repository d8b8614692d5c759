// Account lockout as Windows keeps it (spec exchange-management.md,
// "Get-ADDefaultDomainPasswordPolicy"): an account's bad-password count
// (badPwdCount), the time of its last bad password (badPasswordTime) and the
// time it was locked out (lockoutTime), under a policy of LockoutThreshold,
// LockoutDuration and LockoutObservationWindow. Pure: the state and the clock
// come in, the next state goes out; the store and the logon path call these.
//
// Rules: a bad password counts only while the account is not locked out; a
// count older than the observation window starts again from zero; reaching
// the threshold (0 = never) locks the account; a lockout ends when the
// duration has passed (0 = only when an administrator unlocks it); a
// successful logon clears the count and an expired lockout.

import type { LockoutPolicy } from '../config/model/lockout-policy.js';

export type { LockoutPolicy };

export interface AccountLogonState {
  /** badPwdCount: bad passwords counted in the current observation window. */
  badPwdCount: number;
  /** badPasswordTime: the last bad password (ms since the epoch), or null. */
  badPasswordTime: number | null;
  /** lockoutTime: when the account was locked out (ms since the epoch), or null. */
  lockoutTime: number | null;
}

export const CLEAN_STATE: AccountLogonState = Object.freeze({ badPwdCount: 0, badPasswordTime: null, lockoutTime: null });

/** Whether the account is locked out at `now`. */
export function isLockedOut(state: AccountLogonState, policy: LockoutPolicy, now: number): boolean {
  if (state.lockoutTime === null) return false;
  return policy.durationMs === 0 || now < state.lockoutTime + policy.durationMs;
}

/** When the lockout ends (ms since the epoch), null when it lasts until an administrator unlocks the account or there is none. */
export function lockoutEnds(state: AccountLogonState, policy: LockoutPolicy): number | null {
  if (state.lockoutTime === null || policy.durationMs === 0) return null;
  return state.lockoutTime + policy.durationMs;
}

/**
 * The state after a bad password at `now`. While the account is locked out
 * nothing changes (Windows does not count bad passwords of a locked account).
 */
export function afterBadPassword(state: AccountLogonState, policy: LockoutPolicy, now: number): AccountLogonState {
  if (isLockedOut(state, policy, now)) return state;
  const expiredLockout = state.lockoutTime !== null;
  const stale = state.badPasswordTime === null || now - state.badPasswordTime >= policy.observationWindowMs;
  const count = (expiredLockout || stale ? 0 : state.badPwdCount) + 1;
  const locks = policy.threshold > 0 && count >= policy.threshold;
  return { badPwdCount: count, badPasswordTime: now, lockoutTime: locks ? now : null };
}

/** The state after a successful logon (only possible while not locked out). */
export function afterLogon(state: AccountLogonState): AccountLogonState {
  return { badPwdCount: 0, badPasswordTime: state.badPasswordTime, lockoutTime: null };
}

/** The state after an administrator unlocks the account (Unlock-ADAccount, net user /active:yes). */
export function afterUnlock(state: AccountLogonState): AccountLogonState {
  return { badPwdCount: 0, badPasswordTime: state.badPasswordTime, lockoutTime: null };
}

/** Whether the bad-password transition just locked the account. */
export function justLockedOut(before: AccountLogonState, after: AccountLogonState): boolean {
  return after.lockoutTime !== null && after.lockoutTime !== before.lockoutTime;
}

/** A time as a Windows FILETIME (100-ns intervals since 1601-01-01 UTC), as AD shows lockoutTime; 0 for none. */
export function fileTime(ms: number | null): bigint {
  if (ms === null) return 0n;
  return (BigInt(Math.round(ms)) + 11_644_473_600_000n) * 10_000n;
}
