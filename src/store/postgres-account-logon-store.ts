// The accounts' logon state in an organization kept in PostgreSQL, for the
// shell (Get-ADUser's lockout fields, Unlock-ADAccount): the same contract as
// the SQLite table beside the accounts, one row per account, read and
// changed in one transaction that locks the row.

import type { AccountLogonState } from '../directory/account-lockout.js';
import type { AccountLogonStore } from './account-logon-store.js';
import type { SyncPgClient } from './postgres/sync-client.js';

interface Row {
  bad_pwd_count: number;
  bad_password_time: string | null;
  lockout_time: string | null;
}

const EMPTY: AccountLogonState = { badPwdCount: 0, badPasswordTime: null, lockoutTime: null };

function state(r: Row): AccountLogonState {
  return { badPwdCount: r.bad_pwd_count, badPasswordTime: r.bad_password_time === null ? null : Number(r.bad_password_time), lockoutTime: r.lockout_time === null ? null : Number(r.lockout_time) };
}

export class PostgresAccountLogonStore implements AccountLogonStore {
  constructor(
    private readonly client: SyncPgClient,
    private readonly inTransaction: () => boolean,
  ) {}

  get(accountGuid: string): AccountLogonState | undefined {
    const row = this.client.query<Row>('SELECT bad_pwd_count, bad_password_time, lockout_time FROM account_logon_state WHERE account_guid = $1', [accountGuid])[0];
    return row && state(row);
  }

  update(accountGuid: string, change: (state: AccountLogonState) => AccountLogonState): [AccountLogonState, AccountLogonState] {
    const own = !this.inTransaction();
    if (own) this.client.run('BEGIN');
    try {
      const row = this.client.query<Row>('SELECT bad_pwd_count, bad_password_time, lockout_time FROM account_logon_state WHERE account_guid = $1 FOR UPDATE', [accountGuid])[0];
      const before = row ? state(row) : EMPTY;
      const after = change(before);
      if (after.badPwdCount !== before.badPwdCount || after.badPasswordTime !== before.badPasswordTime || after.lockoutTime !== before.lockoutTime) {
        this.client.run(
          `INSERT INTO account_logon_state (account_guid, bad_pwd_count, bad_password_time, lockout_time) VALUES ($1, $2, $3, $4)
          ON CONFLICT (account_guid) DO UPDATE SET bad_pwd_count = excluded.bad_pwd_count, bad_password_time = excluded.bad_password_time, lockout_time = excluded.lockout_time`,
          [accountGuid, after.badPwdCount, after.badPasswordTime, after.lockoutTime],
        );
      }
      if (own) this.client.run('COMMIT');
      return [before, after];
    } catch (err) {
      if (own) {
        try {
          this.client.run('ROLLBACK');
        } catch {
          /* connection gone: rolled back by the server */
        }
      }
      throw err;
    }
  }

  remove(accountGuid: string): void {
    this.client.run('DELETE FROM account_logon_state WHERE account_guid = $1', [accountGuid]);
  }

  close(): void {
    // the config store owns the connection
  }
}
