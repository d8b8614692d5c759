// The defences of SMTP AUTH against online password guessing, across
// sessions (a session alone closes after MaxLogonFailures, which a guesser
// answers by opening another):
//
// - failures are counted per source address and per account name in the
//   service's memory (failure-counters.ts), and each failure waits longer
//   before its 535 than the one before: no extra wait for the first, then 1 s,
//   2 s, 4 s ... up to 30 s, on top of the connector's AuthTarpitInterval;
// - accounts lock out under the lockout policy (Set-ADDefaultDomainPasswordPolicy
//   on Mailbox servers, net accounts on an Edge); the state is stored beside
//   the accounts (store/account-logon-store.ts) so that the shell sees it and a
//   restart keeps it, and only for accounts that exist.
//
// - an account restricted to listed computers (LogonWorkstations, see
//   directory/logon-workstations.ts) logs on only from one of their
//   addresses. As in Active Directory, the restriction is an account
//   restriction checked after the password: a right password from another
//   computer fails without adding to the stored bad-password count (a wrong
//   one is a bad password wherever it comes from). The names are resolved
//   while the password hash is computed, whatever the password, so that the
//   time to the 535 does not tell a right password from a wrong one.
//
// The client cannot tell an unknown account, a wrong password, a disabled
// account, a locked-out one and a computer not allowed apart: each costs one
// password hash, is counted the same way in memory, waits the same and gets
// the same 535. A correct password for a locked-out account fails. The log
// says what happened (never the password).

import { createHash } from 'node:crypto';
import { checkPassword, findAccount, verifiedAccount, type DirectoryScope, type VerifiedAccount } from '../../directory/account-lookup.js';
import { afterBadPassword, afterLogon, isLockedOut, justLockedOut, lockoutEnds, CLEAN_STATE, type AccountLogonState, type LockoutPolicy } from '../../directory/account-lockout.js';
import { describeResolution, type LogonWorkstations, type WorkstationVerdict } from '../../directory/logon-workstations.js';
import type { Logger } from '../../observability/logger.js';
import type { AccountLogonStore } from '../../store/account-logon-store.js';
import type { ModelObject } from '../../store/repository.js';
import { FailureCounter, sourceKey } from './failure-counters.js';

/** The growing delay: none for the first failure, then STEP doubling up to MAX. */
export const DELAY_STEP_MS = 1000;
export const MAX_EXTRA_DELAY_MS = 30_000;
/** A count halves after this long without a failure. */
export const QUIET_MS = 10 * 60_000;
/** Most source addresses and most account names remembered. */
export const MAX_KEYS = 50_000;
/** How long a failed logon's write waits, in steps, for another process's lock on the store. */
export const STORE_RETRY_MS = 2000;

/** Extra wait before the 535 of the n-th recent failure (from a source, or for an account). */
export function extraDelayMs(n: number): number {
  if (n <= 1) return 0;
  return Math.min(MAX_EXTRA_DELAY_MS, DELAY_STEP_MS * 2 ** Math.min(n - 2, 30));
}

/** What a failed logon costs the client, and what the log line says about it. */
export interface LogonFailure {
  ok: false;
  /** For the log and the Receive protocol log; never shown to the client. */
  reason: string;
  extraDelayMs: number;
  fields: Record<string, unknown>;
}

export type LogonOutcome = { ok: true; account: VerifiedAccount } | LogonFailure;

export interface LogonGuardOptions {
  directory: DirectoryScope;
  store: AccountLogonStore;
  /** The policy in force (follows the configuration live). */
  policy: () => LockoutPolicy;
  /** The "Log On To" check of accounts restricted to listed computers; none = no account is restricted. */
  workstations?: Pick<LogonWorkstations, 'check'>;
  now?: () => number;
  quietMs?: number;
  maxKeys?: number;
}

export class LogonGuard {
  private readonly sources: FailureCounter;
  private readonly accounts: FailureCounter;
  private readonly now: () => number;

  constructor(private readonly options: LogonGuardOptions) {
    this.now = options.now ?? Date.now;
    const counter = { quietMs: options.quietMs ?? QUIET_MS, maxEntries: options.maxKeys ?? MAX_KEYS, now: this.now };
    this.sources = new FailureCounter(counter);
    this.accounts = new FailureCounter(counter);
  }

  /** Checks a user name and password given by a client at `source`. */
  async logon(username: string, password: string, source: string, log: Logger): Promise<LogonOutcome> {
    const scope = this.options.directory;
    const account = findAccount(scope, username);
    const allowedFrom = account && this.options.workstations ? this.options.workstations.check(account, source) : null;
    const [check, workstation] = await Promise.all([checkPassword(account, password), allowedFrom]);
    const now = this.now();
    const policy = this.options.policy();
    const state = account ? (this.options.store.get(account.guid) ?? CLEAN_STATE) : CLEAN_STATE;
    const locked = account !== undefined && isLockedOut(state, policy, now);
    if (check === 'ok' && !locked && workstation && !workstation.allowed) {
      return this.notFromWorkstation(account!, workstation, source);
    }
    if (check === 'ok' && !locked) {
      this.accounts.reset(accountKey(account!.guid));
      if (state.badPwdCount > 0 || state.lockoutTime !== null) await this.record(account!, (s) => (isLockedOut(s, policy, now) ? s : afterLogon(s)), log);
      return { ok: true, account: verifiedAccount(scope, account!) };
    }
    const name = account ? accountName(scope, account) : shown(username);
    const reason = !account ? `unknown account ${name}` : locked ? `account ${name} is locked out` : check === 'unusable' ? `disabled account ${name}` : `wrong password for ${name}`;
    const failure = this.count(source, account ? accountKey(account.guid) : nameKey(username), { account: name });
    if (account && !locked && check === 'wrong') {
      const changed = await this.record(account, (s) => afterBadPassword(s, policy, now), log);
      if (changed) {
        failure.fields.badLogonCount = changed[1].badPwdCount;
        if (justLockedOut(changed[0], changed[1])) this.lockedOut(account, changed[1], policy, source, log);
      }
    } else if (locked) {
      failure.fields.lockedOut = true;
    }
    return { ...failure, reason };
  }

  /**
   * A right password from a computer the account may not log on from: a failed logon for the
   * client and the in-memory counters, but not a bad password (the stored count is left alone).
   */
  private notFromWorkstation(account: ModelObject, verdict: Extract<WorkstationVerdict, { allowed: false }>, source: string): LogonFailure {
    const name = accountName(this.options.directory, account);
    const resolved = verdict.resolved.map(describeResolution);
    const sam = String(this.options.directory.role === 'EdgeTransport' ? account.values.Name : account.values.SamAccountName);
    const failure = this.count(source, accountKey(account.guid), { account: name });
    failure.fields.logonWorkstations = verdict.workstations;
    failure.fields.resolved = resolved;
    failure.fields.action = verdict.resolved.some((w) => w.error !== undefined)
      ? `a listed computer's name did not resolve: fix its DNS record (or the server's DNS settings, Set-TransportService -InternalDNSServers), or change the list: Set-ADUser ${sam} -LogonWorkstations "..."`
      : `if ${source} is a computer this account should log on from, add its name: Set-ADUser ${sam} -LogonWorkstations "${verdict.workstations},<its name>"`;
    return { ...failure, reason: `account restriction, workstation: ${name} may log on only from ${verdict.workstations}, and ${source} is none of them (${resolved.join('; ')})` };
  }

  /** A malformed AUTH exchange: no account to count, but the source is counted like any failure. */
  malformed(source: string): LogonFailure {
    return { ...this.count(source, null, {}), reason: 'malformed credentials' };
  }

  private count(source: string, key: string | null, fields: Record<string, unknown>): LogonFailure {
    const sourceFailures = this.sources.add(sourceKey(source));
    const accountFailures = key === null ? 0 : this.accounts.add(key);
    return { ok: false, reason: '', extraDelayMs: extraDelayMs(Math.max(sourceFailures, accountFailures)), fields: { ...fields, source, sourceFailures, ...(key !== null && { accountFailures }) } };
  }

  /**
   * Writes an account's state. While another process holds the store's write lock it tries again
   * after a short wait, without blocking the event loop, for up to STORE_RETRY_MS; a store that
   * cannot be written (busy that long, full) leaves the in-memory defences in force.
   */
  private async record(account: ModelObject, change: (s: AccountLogonState) => AccountLogonState, log: Logger): Promise<[AccountLogonState, AccountLogonState] | null> {
    const deadline = this.now() + STORE_RETRY_MS;
    for (let wait = 5, attempt = 1; ; wait = Math.min(wait * 2, 200), attempt++) {
      try {
        return this.options.store.update(account.guid, change);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY' && this.now() < deadline && attempt < 40) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          continue;
        }
        return this.storeFailed(account, err as Error, log);
      }
    }
  }

  private storeFailed(account: ModelObject, err: Error, log: Logger): null {
    log.log('error', 'auth.lockout.store-failed', {
      account: accountName(this.options.directory, account),
      error: err.message,
      action: `the bad-password count of this account could not be written to ${this.options.directory.repo.store.location}; check that the store is writable and not held by a long transaction`,
    });
    return null;
  }

  private lockedOut(account: ModelObject, state: AccountLogonState, policy: LockoutPolicy, source: string, log: Logger): void {
    const scope = this.options.directory;
    const name = accountName(scope, account);
    const ends = lockoutEnds(state, policy);
    const unlock = scope.role === 'EdgeTransport' ? `net user ${String(account.values.Name)} /active:yes` : `Unlock-ADAccount ${String(account.values.SamAccountName)}`;
    log.log('warn', 'auth.account.locked-out', {
      account: name,
      source,
      badLogonCount: state.badPwdCount,
      lockoutThreshold: policy.threshold,
      lockedUntil: ends === null ? 'an administrator unlocks it' : new Date(ends).toISOString(),
      action: `if these logons were not the account's owner, find who uses ${source}; to let the account log on again now: ${unlock}`,
    });
  }
}

function accountKey(guid: string): string {
  return `guid:${guid.toLowerCase()}`;
}

/** An unknown name counts like an account: DOMAIN\name and name are one key, of a fixed size whatever the client sent. */
function nameKey(username: string): string {
  return `name:${createHash('sha256')
    .update(username.slice(username.indexOf('\\') + 1).toLowerCase())
    .digest('base64')}`;
}

/** A client-chosen name as the logs show it: at most 256 characters. */
function shown(username: string): string {
  return username.length > 256 ? `${username.slice(0, 256)}...(${username.length} characters)` : username;
}

function accountName(scope: DirectoryScope, account: ModelObject): string {
  return `${scope.netbiosName}\\${String(scope.role === 'EdgeTransport' ? account.values.Name : account.values.SamAccountName)}`;
}
