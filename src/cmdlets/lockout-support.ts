// What the directory cmdlets (Mailbox servers) and `net` (an Edge's local
// accounts) share about account lockout: the one policy object, reading and
// writing it with its rule, and an account's logon state as the shell shows
// and changes it (locked out or not, unlock).

import { LOCKOUT_POLICY_NAME, lockoutPolicyOf, lockoutPolicyProblem, lockoutPolicySchema, type LockoutPolicy } from '../config/model/lockout-policy.js';
import { afterUnlock, isLockedOut, CLEAN_STATE, type AccountLogonState } from '../directory/account-lockout.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { CmdletError } from '../shell/values.js';
import { updateObject } from './object-commands.js';
import { defaultValues } from '../config/schema.js';
import { defaultContext, type ServerContext } from './server-context.js';

/** The stored policy object, or one with the documented defaults (not yet stored). */
export function lockoutPolicyObject(ctx: ServerContext): ModelObject {
  const stored = ctx.repo.findByName(lockoutPolicySchema, '', LOCKOUT_POLICY_NAME);
  if (stored) return stored;
  return newModelObject(lockoutPolicySchema, '', { ...defaultValues(lockoutPolicySchema, defaultContext(ctx)), Name: LOCKOUT_POLICY_NAME });
}

export function currentLockoutPolicy(ctx: ServerContext): LockoutPolicy {
  return lockoutPolicyOf(lockoutPolicyObject(ctx).values);
}

/** Refuses values that break the rule across the settings (the duration not shorter than the window). */
export function checkLockoutPolicy(values: Record<string, unknown>, parameter: string): void {
  const problem = lockoutPolicyProblem(values);
  if (problem) throw new CmdletError(problem, { category: 'InvalidArgument', reason: 'ArgumentException', parameter });
}

/** Checks the rule and stores the policy with new values (the running services pick it up through the change counter). */
export function saveLockoutPolicy(ctx: ServerContext, policy: ModelObject, values: Record<string, unknown>, parameter: string): void {
  checkLockoutPolicy(values, parameter);
  ctx.repo.transaction(() => {
    const stored = ctx.repo.get(lockoutPolicySchema, policy.guid);
    policy.values = values;
    if (stored) updateObject(ctx, policy);
    else ctx.repo.insert(policy);
  });
}

export function logonStateOf(ctx: ServerContext, account: ModelObject): AccountLogonState {
  return ctx.logons.get(account.guid) ?? CLEAN_STATE;
}

export function lockedOut(ctx: ServerContext, account: ModelObject, now = Date.now()): boolean {
  return isLockedOut(logonStateOf(ctx, account), currentLockoutPolicy(ctx), now);
}

/** Clears an account's lockout and bad-password count. */
export function unlock(ctx: ServerContext, account: ModelObject): void {
  ctx.logons.update(account.guid, afterUnlock);
}
