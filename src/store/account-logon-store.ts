// Where each account's logon state (bad-password count, last bad password,
// lockout time) is kept: a table of its own beside the accounts, in the same
// SQLite file (the organization store on Mailbox servers, the server store on
// an Edge), so that every Mailbox server and the shell see one state and it
// survives a restart. Rows exist only for accounts that exist (the caller
// checks) and are removed with the account. Writes do not move the store's
// change counter: a failed logon is not a configuration change and must not
// make every service reload.
//
// The transport service opens its own connection (open()) with
// synchronous=NORMAL: in WAL mode a commit then costs no fsync, so a bad
// password is cheap to record; a process crash loses nothing, a power loss at
// most the last few counts. That connection never waits for a lock (busy
// timeout 0): the service's sessions share one event loop.

import Database from 'better-sqlite3';
import type { AccountLogonState } from '../directory/account-lockout.js';

export interface AccountLogonStore {
  /** The state of an account; undefined when none was ever recorded. */
  get(accountGuid: string): AccountLogonState | undefined;
  /** Reads, changes and writes an account's state in one write transaction (other processes wait); returns [before, after]. */
  update(accountGuid: string, change: (state: AccountLogonState) => AccountLogonState): [AccountLogonState, AccountLogonState];
  /** Forgets an account (it was removed). */
  remove(accountGuid: string): void;
}

/** The table (part of the configuration store's schema, version 2: sqlite-config-store.ts). */
export const ACCOUNT_LOGON_SCHEMA = `
CREATE TABLE IF NOT EXISTS account_logon_state (
  account_guid TEXT PRIMARY KEY COLLATE NOCASE,
  bad_pwd_count INTEGER NOT NULL,
  bad_password_time INTEGER,
  lockout_time INTEGER
);`;

interface Row {
  bad_pwd_count: number;
  bad_password_time: number | null;
  lockout_time: number | null;
}

const EMPTY: AccountLogonState = { badPwdCount: 0, badPasswordTime: null, lockoutTime: null };

export class SqliteAccountLogonStore implements AccountLogonStore {
  /** Uses an open connection (the shell's store connection). */
  constructor(
    private readonly db: Database.Database,
    private readonly ownsConnection = false,
  ) {}

  /** A connection of its own to the store file, for the transport service (see the header). */
  static open(path: string): SqliteAccountLogonStore {
    const db = new Database(path, { fileMustExist: true });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Never wait for a lock on the service's event loop: a busy store throws SQLITE_BUSY at once
    // and the caller tries again later without blocking (LogonGuard).
    db.pragma('busy_timeout = 0');
    return new SqliteAccountLogonStore(db, true);
  }

  get(accountGuid: string): AccountLogonState | undefined {
    const row = this.db.prepare('SELECT bad_pwd_count, bad_password_time, lockout_time FROM account_logon_state WHERE account_guid = ?').get(accountGuid) as Row | undefined;
    return row && { badPwdCount: row.bad_pwd_count, badPasswordTime: row.bad_password_time, lockoutTime: row.lockout_time };
  }

  update(accountGuid: string, change: (state: AccountLogonState) => AccountLogonState): [AccountLogonState, AccountLogonState] {
    return this.db
      .transaction((): [AccountLogonState, AccountLogonState] => {
        const before = this.get(accountGuid) ?? EMPTY;
        const after = change(before);
        if (after.badPwdCount !== before.badPwdCount || after.badPasswordTime !== before.badPasswordTime || after.lockoutTime !== before.lockoutTime) {
          this.db
            .prepare(
              `INSERT INTO account_logon_state (account_guid, bad_pwd_count, bad_password_time, lockout_time) VALUES (?, ?, ?, ?)
          ON CONFLICT(account_guid) DO UPDATE SET bad_pwd_count = excluded.bad_pwd_count, bad_password_time = excluded.bad_password_time, lockout_time = excluded.lockout_time`,
            )
            .run(accountGuid, after.badPwdCount, after.badPasswordTime, after.lockoutTime);
        }
        return [before, after];
      })
      .immediate();
  }

  remove(accountGuid: string): void {
    this.db.prepare('DELETE FROM account_logon_state WHERE account_guid = ?').run(accountGuid);
  }

  close(): void {
    if (this.ownsConnection) this.db.close();
  }
}
