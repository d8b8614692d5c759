// The administrator audit log's table on both engines of the configuration
// store: entries appended and found by date and outcome, newest first, old
// ones removed, the change counter never moved (PostgreSQL: no NOTIFY either,
// since the running services listen for those); and an organization written
// before the table existed gets it when opened.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AdminAuditRecord, AdminAuditStore } from '../src/store/admin-audit-store.js';
import { SqliteAdminAuditStore } from '../src/store/admin-audit-store.js';
import type { ConfigStore } from '../src/store/config-store.js';
import { PostgresAdminAuditStore } from '../src/store/postgres-admin-audit-store.js';
import { PostgresConfigStore } from '../src/store/postgres-config-store.js';
import { parseOrganizationUrl } from '../src/store/postgres/connection-options.js';
import { PG_SCHEMA_VERSION } from '../src/store/postgres/schema.js';
import { setMigrationReporter } from '../src/store/schema-migrations.js';
import { SqliteConfigStore } from '../src/store/sqlite-config-store.js';
import { scratchDir } from './harness/gatehouse.js';
import { startPostgres, type PgCluster } from './harness/postgres.js';

const PG_HOST = '127.38.0.2';
const PG_PORT = 5432;
const PASSWORD = 'Audit-Store-Pw-5512';

function entry(cmdlet: string, at: string, succeeded = true): AdminAuditRecord {
  return {
    runDate: new Date(at),
    caller: 'root',
    origin: 'local',
    originatingServer: 'MBX01',
    cmdletName: cmdlet,
    parameters: [
      { name: 'Identity', value: 'To Internet' },
      { name: 'AuthenticationCredential', value: 'CONTOSO\\x ********' },
    ],
    objectModified: 'To Internet',
    succeeded,
    error: succeeded ? null : 'it failed',
  };
}

function contract(open: () => { config: ConfigStore; audit: AdminAuditStore }): void {
  it('appends and finds entries by date and outcome, newest first, without moving the change counter', () => {
    const { config, audit } = open();
    try {
      const counter = config.changeCounter();
      audit.append(entry('New-SendConnector', '2026-03-01T10:00:00.000Z'));
      audit.append(entry('Set-SendConnector', '2026-03-02T10:00:00.000Z'));
      audit.append(entry('Remove-SendConnector', '2026-03-03T10:00:00.000Z', false));
      assert.equal(config.changeCounter(), counter, 'an audit entry is no configuration change');
      const all = audit.search({});
      assert.deepEqual(
        all.map((r) => r.cmdletName),
        ['Remove-SendConnector', 'Set-SendConnector', 'New-SendConnector'],
      );
      assert.deepEqual({ ...all[2], id: undefined }, { ...entry('New-SendConnector', '2026-03-01T10:00:00.000Z'), id: undefined });
      assert.ok(all[0].id! > all[1].id!, 'entries are numbered in order');
      assert.deepEqual(
        audit.search({ isSuccess: false }).map((r) => [r.cmdletName, r.error]),
        [['Remove-SendConnector', 'it failed']],
      );
      assert.deepEqual(
        audit.search({ start: new Date('2026-03-02T00:00:00Z'), end: new Date('2026-03-02T23:59:59Z') }).map((r) => r.cmdletName),
        ['Set-SendConnector'],
      );
      assert.equal(audit.removeOlderThan(new Date('2026-03-02T10:00:00.000Z')), 1);
      assert.deepEqual(
        audit.search({}).map((r) => r.cmdletName),
        ['Remove-SendConnector', 'Set-SendConnector'],
      );
      assert.equal(config.changeCounter(), counter);
    } finally {
      config.close();
    }
  });
}

describe('the audit log table on SQLite', () => {
  const dir = scratchDir('audit-store-sqlite');
  after(() => dir.remove());
  contract(() => {
    const config = new SqliteConfigStore(join(dir.path, 'org.db'), { create: true });
    return { config, audit: new SqliteAdminAuditStore(config.db) };
  });
});

describe('the audit log table on PostgreSQL', () => {
  const dir = scratchDir('audit-store-pg');
  let pg: PgCluster;
  const url = (db: string) => parseOrganizationUrl(pg.url(db, 'gatehouse', 'sslmode=disable'));
  before(() => {
    pg = startPostgres({ dir: dir.path, host: PG_HOST, port: PG_PORT });
    pg.createDatabase('contoso', 'gatehouse', PASSWORD);
    pg.createDatabase('legacy', 'gatehouse', PASSWORD);
  });
  after(async () => {
    await pg.stop();
    dir.remove();
  });
  contract(() => {
    const config = new PostgresConfigStore(url('contoso'), { password: PASSWORD, create: true });
    return { config, audit: new PostgresAdminAuditStore(config.client) };
  });

  it('sends no notification for an entry: the services listening for changes hear nothing', () => {
    const config = new PostgresConfigStore(url('contoso'), { password: PASSWORD });
    try {
      const triggers = config.client.query<{ tgname: string }>("SELECT tgname FROM pg_trigger WHERE tgrelid = 'admin_audit_log'::regclass AND NOT tgisinternal");
      assert.deepEqual(triggers, []);
    } finally {
      config.close();
    }
  });

  it('adds the table to an organization written before it existed, keeping a copy of the tables as they were', () => {
    const first = new PostgresConfigStore(url('legacy'), { password: PASSWORD, create: true });
    first.insert({ guid: '00000000-0000-4000-8000-000000000001', type: 'AcceptedDomain', server: '', name: 'contoso.com', data: { DomainName: 'contoso.com' }, whenCreated: '2026-01-01', whenChanged: '2026-01-01' });
    first.client.run('DROP TABLE admin_audit_log');
    first.client.run("UPDATE config_meta SET value = '1' WHERE key = 'schema_version'");
    first.close();
    const heard: string[] = [];
    const previous = setMigrationReporter((m) => heard.push(`${m.from}->${m.to}`));
    try {
      const again = new PostgresConfigStore(url('legacy'), { password: PASSWORD });
      try {
        assert.deepEqual(heard, [`1->${PG_SCHEMA_VERSION}`]);
        assert.equal(again.getMeta('schema_version'), String(PG_SCHEMA_VERSION));
        assert.equal(again.findByName('AcceptedDomain', '', 'CONTOSO.COM')?.guid, '00000000-0000-4000-8000-000000000001');
        const audit = new PostgresAdminAuditStore(again.client);
        audit.append(entry('New-AcceptedDomain', '2026-04-01T00:00:00.000Z'));
        assert.deepEqual(
          audit.search({}).map((r) => r.cmdletName),
          ['New-AcceptedDomain'],
        );
        assert.equal(pg.sql(`SELECT count(*) FROM config_objects_before_v${PG_SCHEMA_VERSION}`, 'legacy').trim(), '1');
      } finally {
        again.close();
      }
    } finally {
      setMigrationReporter(previous);
    }
  });
});
