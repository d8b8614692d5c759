// The account lockout policy (spec exchange-management.md,
// "Get-ADDefaultDomainPasswordPolicy"): LockoutThreshold, LockoutDuration and
// LockoutObservationWindow. One object: on Mailbox servers the domain's
// default policy in the organization store (Get-/Set-ADDefaultDomainPasswordPolicy),
// on an Edge the local account policy in its own store (net accounts). The
// transport service applies it live to SMTP AUTH.

import { prop, type ObjectSchema } from '../schema.js';
import { EnhancedTimeSpan } from '../types/index.js';
import { ValueError } from '../types/value-error.js';
import { intRange } from './common.js';

export interface LockoutPolicy {
  /** Bad passwords that lock an account; 0 = accounts never lock. */
  threshold: number;
  /** How long a lockout lasts; 0 = until an administrator unlocks the account. */
  durationMs: number;
  /** Longest gap between two bad passwords before the count starts again. */
  observationWindowMs: number;
}

/** Windows' documented defaults: never lock, 30 minutes, 30 minutes. */
export const DEFAULT_LOCKOUT_POLICY: LockoutPolicy = { threshold: 0, durationMs: 30 * 60_000, observationWindowMs: 30 * 60_000 };

/** The name of the one policy object. */
export const LOCKOUT_POLICY_NAME = 'Default';

const MINUTE = 60_000;
/** Windows' ranges: threshold 0-999, duration 0-99,999 minutes, window 1-99,999 minutes (here down to one second). */
export const MAX_LOCKOUT_MINUTES = 99_999;

function span(name: string, min: number): (input: unknown) => EnhancedTimeSpan {
  return (input) => {
    if (typeof input === 'number') {
      throw new ValueError(`${name} is a TimeSpan: write it as hh:mm:ss, e.g. 00:30:00 for 30 minutes (a bare number is ambiguous).`, input);
    }
    return EnhancedTimeSpan.parseInRange(input, min, MAX_LOCKOUT_MINUTES * MINUTE, name);
  };
}

export const lockoutPolicySchema: ObjectSchema = {
  typeName: 'AccountLockoutPolicy',
  noun: 'ADDefaultDomainPasswordPolicy',
  label: 'account lockout policy',
  scope: 'organization',
  properties: [
    prop({
      name: 'LockoutDuration',
      typeName: 'TimeSpan',
      description: 'How long a locked-out account stays locked; 00:00:00 = until an administrator unlocks it. At least LockoutObservationWindow.',
      parse: span('LockoutDuration', 0),
      default: () => EnhancedTimeSpan.fromMinutes(30),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'LockoutObservationWindow',
      typeName: 'TimeSpan',
      description: 'Longest gap between two bad passwords before the count starts again from zero.',
      parse: span('LockoutObservationWindow', 1000),
      default: () => EnhancedTimeSpan.fromMinutes(30),
      settable: 'set',
      runtime: true,
    }),
    prop({
      name: 'LockoutThreshold',
      typeName: 'Int32',
      description: 'Bad passwords that lock an account out (0 = accounts never lock; at most 999).',
      parse: intRange(0, 999, 'LockoutThreshold'),
      default: 0,
      settable: 'set',
      runtime: true,
    }),
  ],
};

/** The rule across the properties: the duration is not shorter than the window (0 = until unlocked). */
export function lockoutPolicyProblem(values: Record<string, unknown>): string | null {
  const duration = values.LockoutDuration as EnhancedTimeSpan;
  const window = values.LockoutObservationWindow as EnhancedTimeSpan;
  if (duration.ticks !== 0n && duration.ticks < window.ticks) {
    return `LockoutDuration (${duration}) must be greater than or equal to LockoutObservationWindow (${window}), or 00:00:00 to keep accounts locked until an administrator unlocks them.`;
  }
  return null;
}

/** The runtime form of the stored values (defaults where a value is missing). */
export function lockoutPolicyOf(values: Record<string, unknown> | undefined): LockoutPolicy {
  const ms = (v: unknown, fallback: number) => (v instanceof EnhancedTimeSpan ? v.milliseconds : fallback);
  return {
    threshold: typeof values?.LockoutThreshold === 'number' ? values.LockoutThreshold : 0,
    durationMs: ms(values?.LockoutDuration, 30 * MINUTE),
    observationWindowMs: ms(values?.LockoutObservationWindow, 30 * MINUTE),
  };
}
