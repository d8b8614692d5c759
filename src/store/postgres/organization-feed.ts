// Keeps a running service's snapshot of an organization kept in PostgreSQL
// current, without ever making mail wait for the database: one connection
// of its own LISTENs for changes (the store's triggers NOTIFY), a periodic
// look at the change counter catches what a notification missed, and a new
// snapshot is read in one REPEATABLE READ transaction. When the database is
// unreachable the service goes on with its last snapshot; the outage is
// logged once, with what to do, and the feed reconnects with backoff. The
// accounts' logon state (bad-password counts, lockouts) travels the same
// way: read with the snapshot, written back asynchronously.

import type pg from 'pg';
import type { Logger } from '../../observability/logger.js';
import type { AccountLogonState } from '../../directory/account-lockout.js';
import type { OrganizationSnapshot } from '../snapshot-config-store.js';
import { objectFromPgRow, PG_LIST_ORDER, type PgObjectRow } from '../postgres-config-store.js';
import { connectOrganization } from './connect.js';
import { describeTarget, type PgTarget } from './connection-options.js';
import { CONFIG_CHANNEL, LOGON_CHANNEL, PG_SCHEMA_VERSION } from './schema.js';

/** How often the change counter is read, in case a notification was missed. */
const CHECK_MS = 1000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15_000, 30_000];

interface LogonRow {
  account_guid: string;
  bad_pwd_count: number;
  bad_password_time: string | null;
  lockout_time: string | null;
}

export interface FeedEvents {
  /** A newer snapshot of the organization was read. */
  snapshot(s: OrganizationSnapshot): void;
  /** The logon state of accounts: all of it (complete, after reconnecting) or of the accounts named. */
  logons(states: Map<string, AccountLogonState | undefined>, complete: boolean): void;
}

function logonState(r: LogonRow): AccountLogonState {
  return { badPwdCount: r.bad_pwd_count, badPasswordTime: r.bad_password_time === null ? null : Number(r.bad_password_time), lockoutTime: r.lockout_time === null ? null : Number(r.lockout_time) };
}

export class OrganizationFeed {
  private client: pg.Client | null = null;
  private stopped = false;
  private counter = -1;
  private checkTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private attempt = 0;
  private outageLogged = false;
  private reading: Promise<void> = Promise.resolve();
  /** Logon states waiting to be written (the last one per account wins). */
  private readonly pendingLogons = new Map<string, AccountLogonState | null>();
  private flushing = false;

  constructor(
    private readonly target: PgTarget,
    private readonly password: string | undefined,
    private readonly log: Logger,
    private readonly events: FeedEvents,
  ) {}

  /** Connects and reads the first snapshot; a service cannot start without one. */
  async start(): Promise<{ snapshot: OrganizationSnapshot; logons: Map<string, AccountLogonState> }> {
    const client = await connectOrganization(this.target, this.password);
    try {
      const first = await this.read(client);
      const logons = await this.readLogons(client);
      this.adopt(client);
      this.counter = Number(first.meta.change_counter ?? 0);
      return { snapshot: first, logons };
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.checkTimer);
    clearTimeout(this.retryTimer);
    const c = this.client;
    this.client = null;
    return this.flush().finally(() => c?.end().catch(() => undefined));
  }

  /** Records an account's logon state in the organization (written in the background). */
  writeLogon(accountGuid: string, state: AccountLogonState | null): void {
    this.pendingLogons.set(accountGuid, state);
    void this.flush();
  }

  private adopt(client: pg.Client): void {
    this.client = client;
    client.on('notification', (n) => {
      if (n.channel === CONFIG_CHANNEL) this.refresh();
      else if (n.channel === LOGON_CHANNEL && n.payload) void this.refreshLogon(n.payload);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('the connection was closed')));
    void client.query(`LISTEN ${CONFIG_CHANNEL}; LISTEN ${LOGON_CHANNEL}`).catch((err: Error) => this.lost(client, err));
    clearInterval(this.checkTimer);
    this.checkTimer = setInterval(() => this.check(), CHECK_MS);
    this.checkTimer.unref();
  }

  private check(): void {
    const c = this.client;
    if (!c) return;
    c.query("SELECT value FROM config_meta WHERE key = 'change_counter'").then(
      (r) => {
        if (Number((r.rows[0] as { value: string } | undefined)?.value) !== this.counter) this.refresh();
      },
      (err: Error) => this.lost(c, err),
    );
  }

  private refresh(): void {
    this.reading = this.reading.then(async () => {
      const c = this.client;
      if (!c || this.stopped) return;
      try {
        const s = await this.read(c);
        const counter = Number(s.meta.change_counter ?? 0);
        if (counter === this.counter) return;
        this.counter = counter;
        this.events.snapshot(s);
      } catch (err) {
        this.lost(c, err as Error);
      }
    });
  }

  private async refreshLogon(guid: string): Promise<void> {
    const c = this.client;
    if (!c || this.pendingLogons.has(guid)) return; // our own newer state is on its way
    try {
      const r = await c.query('SELECT * FROM account_logon_state WHERE account_guid = $1', [guid]);
      const row = r.rows[0] as LogonRow | undefined;
      this.events.logons(new Map([[guid, row ? logonState(row) : undefined]]), false);
    } catch (err) {
      this.lost(c, err as Error);
    }
  }

  private async read(c: pg.Client): Promise<OrganizationSnapshot> {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const meta = await c.query('SELECT key, value FROM config_meta');
      const objects = await c.query(`SELECT * FROM config_objects ${PG_LIST_ORDER}`);
      await c.query('COMMIT');
      const m = Object.fromEntries((meta.rows as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
      if (Number(m.schema_version) > PG_SCHEMA_VERSION) {
        throw new Error(`${describeTarget(this.target)} is now at schema version ${m.schema_version}, newer than this Gatehouse (${PG_SCHEMA_VERSION}): the service keeps its last snapshot; upgrade Gatehouse on this host`);
      }
      return { meta: m, objects: (objects.rows as PgObjectRow[]).map(objectFromPgRow) };
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async readLogons(c: pg.Client): Promise<Map<string, AccountLogonState>> {
    const r = await c.query('SELECT * FROM account_logon_state');
    return new Map((r.rows as LogonRow[]).map((row) => [row.account_guid, logonState(row)]));
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.client && this.pendingLogons.size > 0) {
        const [guid, state] = this.pendingLogons.entries().next().value as [string, AccountLogonState | null];
        const c = this.client;
        try {
          if (state === null) await c.query('DELETE FROM account_logon_state WHERE account_guid = $1', [guid]);
          else {
            await c.query(
              `INSERT INTO account_logon_state (account_guid, bad_pwd_count, bad_password_time, lockout_time) VALUES ($1, $2, $3, $4)
              ON CONFLICT (account_guid) DO UPDATE SET bad_pwd_count = excluded.bad_pwd_count, bad_password_time = excluded.bad_password_time, lockout_time = excluded.lockout_time`,
              [guid, state.badPwdCount, state.badPasswordTime, state.lockoutTime],
            );
          }
          if (this.pendingLogons.get(guid) === state) this.pendingLogons.delete(guid);
        } catch (err) {
          this.lost(c, err as Error);
          return;
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private lost(c: pg.Client, err: Error): void {
    if (this.client !== c || this.stopped) return;
    this.client = null;
    clearInterval(this.checkTimer);
    void c.end().catch(() => undefined);
    if (!this.outageLogged) {
      this.outageLogged = true;
      this.log.log('error', 'organization.store.unreachable', {
        store: this.target.url,
        error: err.message,
        action: `mail keeps flowing on the last configuration read; configuration changes wait until ${describeTarget(this.target)} is back. Check that PostgreSQL at ${this.target.host}:${this.target.port} runs and is reachable; reconnecting by itself`,
      });
    }
    this.retry();
  }

  private retry(): void {
    if (this.stopped) return;
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    this.retryTimer = setTimeout(() => void this.reconnect(), delay);
    this.retryTimer.unref();
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    let client: pg.Client;
    try {
      client = await connectOrganization(this.target, this.password);
    } catch {
      this.retry();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    try {
      const logons = await this.readLogons(client);
      this.adopt(client);
      this.log.log('info', 'organization.store.reconnected', { store: this.target.url, after: `${this.attempt} attempt(s)` });
      this.attempt = 0;
      this.outageLogged = false;
      const states = new Map<string, AccountLogonState | undefined>(logons);
      for (const guid of this.pendingLogons.keys()) states.delete(guid);
      this.events.logons(states, true);
      this.refresh();
      void this.flush();
    } catch (err) {
      await client.end().catch(() => undefined);
      this.log.log('debug', 'organization.store.reconnect.failed', { error: (err as Error).message });
      this.retry();
    }
  }
}
