// The running service's account logon state when the organization is in
// PostgreSQL: held in memory, so that an SMTP AUTH never waits for the
// database, and written back in the background by the organization feed.
// Changes made elsewhere (another Mailbox server counting a bad password, an
// admin's Unlock-ADAccount) arrive through the feed's notifications.

import type { AccountLogonState } from '../directory/account-lockout.js';
import type { AccountLogonStore } from './account-logon-store.js';

const EMPTY: AccountLogonState = { badPwdCount: 0, badPasswordTime: null, lockoutTime: null };

export class CachedAccountLogonStore implements AccountLogonStore {
  private states: Map<string, AccountLogonState>;

  constructor(
    initial: Map<string, AccountLogonState>,
    private readonly write: (accountGuid: string, state: AccountLogonState | null) => void,
  ) {
    this.states = new Map([...initial].map(([k, v]) => [k.toLowerCase(), v]));
  }

  /** What the organization says now (complete: the whole table; otherwise the accounts named). */
  received(states: Map<string, AccountLogonState | undefined>, complete: boolean): void {
    if (complete) this.states = new Map();
    for (const [guid, state] of states) {
      if (state) this.states.set(guid.toLowerCase(), state);
      else this.states.delete(guid.toLowerCase());
    }
  }

  get(accountGuid: string): AccountLogonState | undefined {
    return this.states.get(accountGuid.toLowerCase());
  }

  update(accountGuid: string, change: (state: AccountLogonState) => AccountLogonState): [AccountLogonState, AccountLogonState] {
    const before = this.get(accountGuid) ?? EMPTY;
    const after = change(before);
    if (after.badPwdCount !== before.badPwdCount || after.badPasswordTime !== before.badPasswordTime || after.lockoutTime !== before.lockoutTime) {
      this.states.set(accountGuid.toLowerCase(), after);
      this.write(accountGuid, after);
    }
    return [before, after];
  }

  remove(accountGuid: string): void {
    this.states.delete(accountGuid.toLowerCase());
    this.write(accountGuid, null);
  }

  close(): void {
    // the feed owns the connection
  }
}
