// The organization store's tables in PostgreSQL and their versions (the
// migration contract of store/schema-migrations.ts). The same
// shape as the SQLite store (objects as JSON text, unique by type, server and
// name without regard to case, a change counter bumped by triggers), plus a
// NOTIFY on every change so that running services hear of it at once.

import type { Migration } from '../schema-migrations.js';
import type { SyncPgClient } from './sync-client.js';

/** Advisory lock keys: one for schema changes, one that serialises the organization's writers. */
export const SCHEMA_LOCK = 0x47480001;
export const WRITERS_LOCK = 0x47480002;

/** The channels running services LISTEN on. */
export const CONFIG_CHANNEL = 'gatehouse_config';
export const LOGON_CHANNEL = 'gatehouse_logon';

const CREATE_V1 = `
CREATE TABLE config_objects (
  guid text PRIMARY KEY,
  type text NOT NULL,
  server text NOT NULL DEFAULT '',
  name text NOT NULL,
  data text NOT NULL,
  when_created text NOT NULL,
  when_changed text NOT NULL
);
CREATE UNIQUE INDEX config_objects_name ON config_objects (type, server, lower(name));
CREATE INDEX config_objects_guid ON config_objects (lower(guid));
CREATE TABLE config_meta (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO config_meta (key, value) VALUES ('change_counter', '0');
CREATE TABLE account_logon_state (
  account_guid text PRIMARY KEY,
  bad_pwd_count integer NOT NULL,
  bad_password_time bigint,
  lockout_time bigint
);
CREATE FUNCTION gatehouse_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE counter bigint;
BEGIN
  UPDATE config_meta SET value = (value::bigint + 1)::text WHERE key = 'change_counter' RETURNING value::bigint INTO counter;
  PERFORM pg_notify('${CONFIG_CHANNEL}', counter::text);
  RETURN NULL;
END $$;
CREATE TRIGGER config_objects_changed AFTER INSERT OR UPDATE OR DELETE ON config_objects
  FOR EACH ROW EXECUTE FUNCTION gatehouse_config_changed();
CREATE FUNCTION gatehouse_logon_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${LOGON_CHANNEL}', COALESCE(NEW.account_guid, OLD.account_guid));
  RETURN NULL;
END $$;
CREATE TRIGGER account_logon_state_changed AFTER INSERT OR UPDATE OR DELETE ON account_logon_state
  FOR EACH ROW EXECUTE FUNCTION gatehouse_logon_changed();
`;

/** The administrator audit log (store/postgres-admin-audit-store.ts). ISO-8601 UTC text dates sort as times. */
const CREATE_V2 = `
CREATE TABLE IF NOT EXISTS admin_audit_log (
  id bigserial PRIMARY KEY,
  run_date text NOT NULL,
  caller text NOT NULL,
  origin text NOT NULL,
  originating_server text NOT NULL,
  cmdlet text NOT NULL,
  parameters text NOT NULL,
  object_modified text NOT NULL,
  succeeded boolean NOT NULL,
  error text
);
CREATE INDEX IF NOT EXISTS admin_audit_log_run_date ON admin_audit_log (run_date);
`;

/** Version 1 is the first PostgreSQL schema; each later version changes the one before, inside the opening transaction. */
export const PG_MIGRATIONS: ReadonlyArray<Migration<SyncPgClient>> = [
  {
    version: 1,
    description: 'objects, meta values, logon state; triggers that count and NOTIFY changes',
    up: (c) => {
      c.run(CREATE_V1);
    },
  },
  {
    version: 2,
    description: 'the administrator audit log (no trigger: an entry is no configuration change)',
    up: (c) => {
      c.run(CREATE_V2);
    },
  },
];

/** The schema version this code writes and reads. */
export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** The tables a migration copies first (as TABLE_before_vN), so that an upgrade can be undone by hand.
 *  The audit log is not copied: it is only appended to, and a migration from version 1 has none yet. */
export const PG_TABLES = ['config_objects', 'config_meta', 'account_logon_state'];
