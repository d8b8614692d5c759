// The administrator audit log and the role groups, through real `gatehouse
// shell` runs on real server folders: two Mailbox servers sharing an
// organization store in SQLite, an Edge with its own server.db, and a Mailbox
// server whose organization is in PostgreSQL. Every state-changing cmdlet is
// found again with Search-AdminAuditLog (who, from where, which server, which
// object, the outcome and the error), the filters narrow it, -WhatIf runs and
// Get- cmdlets leave nothing, no password is stored anywhere, and an entry
// does not move the store's change counter.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { formatListRecords } from './harness/format-list.js';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { startPostgres, type PgCluster } from './harness/postgres.js';

const PG_HOST = '127.38.0.1';
const PG_PORT = 5432;
const PG_PASSWORD = 'Audit-Pg-Org-2207';
const PW = { edgeauth: 'Edge-Auth-Audit-4481', partner: 'Partner-Cred-Audit-9163', ops: 'Ops-Local-Audit-7720' };
const ME = userInfo().username;

/** Every file under a folder, as bytes. */
function filesUnder(dir: string): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push([p, readFileSync(p)]);
  }
  return out;
}

function changeCounter(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return Number((db.prepare("SELECT value FROM config_meta WHERE key = 'change_counter'").get() as { value: string }).value);
  } finally {
    db.close();
  }
}

async function shell(data: string, lines: string[], options: { env?: NodeJS.ProcessEnv; ok?: boolean } = {}) {
  const r = await gatehouse(['shell', '--data', data], { input: lines.join('\n') + '\n', timeoutMs: 60_000, ...(options.env && { env: options.env }) });
  if (options.ok !== false) assert.equal(r.code, 0, `${lines.join('\n')}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const FIELDS = 'Format-List CmdletName,Caller,Origin,OriginatingServer,ObjectModified,Succeeded,Error';

/** The CmdletName of each entry a search shows. */
async function found(data: string, search: string, env?: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await shell(data, [`${search} | Format-List CmdletName`], env ? { env } : {});
  return formatListRecords(r.stdout).map((x) => x.CmdletName);
}

describe('the administrator audit log on an organization in SQLite', () => {
  const dir = scratchDir('admin-audit');
  const mbx1 = join(dir.path, 'MBX01');
  const mbx2 = join(dir.path, 'MBX02');
  const org = join(dir.path, 'organization.db');
  after(() => dir.remove());

  before(async () => {
    for (const [name, data] of [
      ['MBX01', mbx1],
      ['MBX02', mbx2],
    ]) {
      const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', name, '--fqdn', `${name.toLowerCase()}.contoso.com`, '--data', data]);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  it('gives a new organization the four role groups, and adds and removes members', async () => {
    const r = await shell(
      mbx1,
      [
        `New-ADUser -Name EdgeAuth -SamAccountName edgeauth -AccountPassword (ConvertTo-SecureString "${PW.edgeauth}" -AsPlainText -Force) -Enabled $true`,
        'Get-RoleGroup | Format-List Name,RoleGroupType',
        'Add-RoleGroupMember "Recipient Management" -Member CONTOSO\\edgeauth',
        'Get-RoleGroupMember "Recipient Management" | Format-List Name,RecipientType',
        'Add-RoleGroupMember "Recipient Management" -Member edgeauth',
      ],
      { ok: false },
    );
    assert.equal(r.code, 1, 'adding a member twice is an error');
    const records = formatListRecords(r.stdout);
    assert.deepEqual(
      records
        .filter((x) => x.RoleGroupType)
        .map((x) => x.Name)
        .sort(),
      ['Organization Management', 'Recipient Management', 'Server Management', 'View-Only Organization Management'],
    );
    assert.deepEqual(
      records.filter((x) => x.RecipientType).map((x) => [x.Name, x.RecipientType]),
      [['EdgeAuth', 'User']],
    );
    assert.match(r.stderr, /The recipient "EdgeAuth" is already a member of the group "Recipient Management"\./);
    const removed = await shell(mbx2, ['Remove-RoleGroupMember "Recipient Management" -Member edgeauth -Confirm:$false', 'Get-RoleGroupMember "Recipient Management" | Measure-Object | Format-List Count']);
    assert.deepEqual(
      formatListRecords(removed.stdout).map((x) => x.Count),
      ['0'],
      'MBX02 sees the same organization',
    );
  });

  it('records the state-changing cmdlets of every server of the organization, with their outcome, and never a secret', async () => {
    const counterBefore = changeCounter(org);
    await shell(mbx1, [
      '$c = Get-Credential',
      'CONTOSO\\partnerauth',
      PW.partner,
      'New-SendConnector -Name "To Partner" -AddressSpaces partner.example -DNSRoutingEnabled $false -SmartHosts relay.partner.example -SmartHostAuthMechanism BasicAuth -AuthenticationCredential $c | Out-Null',
      'Set-SendConnector "To Partner" -MaxMessageSize 20MB',
      'Get-SendConnector | Out-Null',
      'New-AcceptedDomain -Name "Later" -DomainName later.example -WhatIf',
    ]);
    const failing = await shell(mbx1, ['Remove-SendConnector "No Such Connector" -Confirm:$false'], { ok: false });
    assert.equal(failing.code, 1);
    await shell(mbx2, ['Set-TransportService MBX02 -MaxOutboundConnections 200']);
    assert.ok(changeCounter(org) > counterBefore, 'the configuration changes moved the counter');

    const r = await shell(mbx2, [`Search-AdminAuditLog | ${FIELDS}`]);
    const entries = formatListRecords(r.stdout);
    assert.deepEqual(
      entries.map((e) => [e.CmdletName, e.OriginatingServer, e.ObjectModified, e.Succeeded]),
      [
        ['Set-TransportService', 'MBX02', 'MBX02', 'True'],
        ['Remove-SendConnector', 'MBX01', 'No Such Connector', 'False'],
        ['Set-SendConnector', 'MBX01', 'To Partner', 'True'],
        ['New-SendConnector', 'MBX01', 'To Partner', 'True'],
        ['Remove-RoleGroupMember', 'MBX02', 'Recipient Management', 'True'],
        ['Add-RoleGroupMember', 'MBX01', 'Recipient Management', 'False'],
        ['Add-RoleGroupMember', 'MBX01', 'Recipient Management', 'True'],
        ['New-ADUser', 'MBX01', 'EdgeAuth', 'True'],
      ],
      'newest first; Get-* and -WhatIf runs left nothing',
    );
    for (const e of entries) {
      assert.equal(e.Caller, ME);
      assert.equal(e.Origin, 'local');
    }
    assert.match(entries[1].Error, /Remove-SendConnector|No Such Connector|couldn't be found/);
    assert.equal(entries[0].Error, '');

    const params = await shell(mbx1, ['(Search-AdminAuditLog -Cmdlets New-SendConnector).CmdletParameters | Format-List Name,Value', '(Search-AdminAuditLog -Cmdlets New-ADUser).CmdletParameters | Format-List Name,Value']);
    const values = Object.fromEntries(formatListRecords(params.stdout).map((p) => [p.Name, p.Value]));
    assert.equal(values.AuthenticationCredential, 'CONTOSO\\partnerauth ********');
    assert.equal(values.AccountPassword, '********');
    assert.equal(values.SmartHosts, 'relay.partner.example');
    assert.equal(values.SamAccountName, 'edgeauth');

    for (const [path, bytes] of filesUnder(dir.path)) {
      for (const secret of [PW.edgeauth, PW.partner]) assert.ok(!bytes.includes(Buffer.from(secret)), `${path} holds a password`);
    }
  });

  it('finds entries by cmdlet, parameter, caller, object, outcome, date and count', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const earlier = new Date(Date.now() - 3_600_000).toISOString();
    assert.deepEqual(await found(mbx1, 'Search-AdminAuditLog -Cmdlets New-SendConnector,set-sendconnector'), ['Set-SendConnector', 'New-SendConnector']);
    assert.deepEqual(await found(mbx1, 'Search-AdminAuditLog -Parameters AuthenticationCredential'), ['New-SendConnector']);
    assert.deepEqual(await found(mbx1, 'Search-AdminAuditLog -Cmdlets Set-SendConnector -Parameters MaxMessageSize -IsSuccess $true'), ['Set-SendConnector']);
    assert.deepEqual(await found(mbx1, 'Search-AdminAuditLog -IsSuccess $false'), ['Remove-SendConnector', 'Add-RoleGroupMember']);
    assert.deepEqual(await found(mbx1, 'Search-AdminAuditLog -ObjectIds "to partner"'), ['Set-SendConnector', 'New-SendConnector']);
    assert.equal((await found(mbx1, `Search-AdminAuditLog -UserIds ${ME}`)).length, 8);
    assert.deepEqual(await found(mbx1, 'Search-AdminAuditLog -UserIds CONTOSO\\someoneelse'), []);
    assert.equal((await found(mbx1, `Search-AdminAuditLog -StartDate "${earlier}" -EndDate "${later}"`)).length, 8);
    assert.deepEqual(await found(mbx1, `Search-AdminAuditLog -StartDate "${later}"`), []);
    assert.deepEqual(await found(mbx1, `Search-AdminAuditLog -EndDate "${earlier}"`), []);
    assert.deepEqual(await found(mbx1, 'Search-AdminAuditLog -ResultSize 2'), ['Set-TransportService', 'Remove-SendConnector']);
    assert.deepEqual(await found(mbx1, 'Search-AdminAuditLog -StartIndex 1 -ResultSize 1'), ['Remove-SendConnector']);
    const bad = await shell(mbx1, [`Search-AdminAuditLog -StartDate "${later}" -EndDate "${earlier}"`], { ok: false });
    assert.match(bad.stderr, /The StartDate \(.*\) is later than the EndDate/);
  });

  it('writes an entry without moving the change counter: the services do not reload for it', async () => {
    const counter = changeCounter(org);
    await shell(mbx1, ['Remove-Mailbox nobody-here -Confirm:$false'], { ok: false });
    assert.equal(changeCounter(org), counter);
    assert.deepEqual(await found(mbx1, 'Search-AdminAuditLog -ResultSize 1'), ['Remove-Mailbox']);
  });

  it('follows Set-AdminAuditLogConfig: off records only itself; a lower age limit removes older entries', async () => {
    const shown = await shell(mbx1, ['Get-AdminAuditLogConfig | Format-List AdminAuditLogEnabled,AdminAuditLogAgeLimit,AdminAuditLogCmdlets,TestCmdletLoggingEnabled']);
    assert.deepEqual(formatListRecords(shown.stdout), [{ AdminAuditLogEnabled: 'True', AdminAuditLogAgeLimit: '90.00:00:00', AdminAuditLogCmdlets: '{*}', TestCmdletLoggingEnabled: 'False' }]);
    await shell(mbx1, ['Set-AdminAuditLogConfig -AdminAuditLogEnabled $false -Confirm:$false', 'Set-TransportService MBX01 -MaxOutboundConnections 150']);
    assert.deepEqual(await found(mbx2, 'Search-AdminAuditLog -ResultSize 2'), ['Set-AdminAuditLogConfig', 'Remove-Mailbox']);
    await shell(mbx2, ['Set-AdminAuditLogConfig -AdminAuditLogEnabled $true -AdminAuditLogAgeLimit 00:00:00 -Confirm:$false']);
    const left = await shell(mbx1, [`Search-AdminAuditLog | ${FIELDS}`]);
    assert.deepEqual(
      formatListRecords(left.stdout).map((e) => [e.CmdletName, e.OriginatingServer]),
      [['Set-AdminAuditLogConfig', 'MBX02']],
    );
    const refused = await shell(mbx1, ['Set-AdminAuditLogConfig -LogLevel Verbose -Confirm:$false'], { ok: false });
    assert.match(refused.stderr, /LogLevel Verbose .* is not implemented/);
  });
});

describe('the administrator audit log on an Edge', () => {
  const dir = scratchDir('admin-audit-edge');
  const edge = join(dir.path, 'EDGE01');
  after(() => dir.remove());

  it("keeps the Edge's entries in its server.db, with local accounts in its role groups (created for a server set up before them)", async () => {
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', edge]);
    assert.equal(setup.code, 0, setup.stderr);
    // A server set up before role groups existed gets them when its shell first opens it.
    const roleGroups = () => {
      const db = new Database(join(edge, 'server.db'));
      try {
        return (db.prepare("SELECT name FROM config_objects WHERE type = 'RoleGroup' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
      } finally {
        db.close();
      }
    };
    assert.equal(roleGroups().length, 4, 'setup created them');
    const db = new Database(join(edge, 'server.db'));
    db.prepare("DELETE FROM config_objects WHERE type = 'RoleGroup'").run();
    db.close();
    assert.deepEqual(roleGroups(), []);
    await shell(edge, ['Get-LocalUser | Out-Null']);
    assert.deepEqual(roleGroups(), ['Organization Management', 'Recipient Management', 'Server Management', 'View-Only Organization Management']);
    await shell(edge, [
      `New-LocalUser -Name ops -Password (ConvertTo-SecureString "${PW.ops}" -AsPlainText -Force)`,
      'Add-RoleGroupMember "Server Management" -Member EDGE01\\ops',
      'net accounts /lockoutthreshold:5',
      'net accounts',
      'Get-RoleGroupMember "Server Management" | Format-List Name,RecipientType',
    ]);
    const r = await shell(edge, [`Search-AdminAuditLog | ${FIELDS}`, '(Search-AdminAuditLog -Cmdlets New-LocalUser).CmdletParameters | Format-List Name,Value']);
    const records = formatListRecords(r.stdout);
    assert.deepEqual(
      records.filter((e) => e.CmdletName).map((e) => [e.CmdletName, e.ObjectModified, e.OriginatingServer, e.Caller]),
      [
        ['net', '', 'EDGE01', ME],
        ['Add-RoleGroupMember', 'Server Management', 'EDGE01', ME],
        ['New-LocalUser', 'ops', 'EDGE01', ME],
      ],
      '"net accounts" alone changes nothing and is not recorded',
    );
    assert.deepEqual(
      records.filter((e) => e.Value !== undefined).map((e) => [e.Name, e.Value]),
      [
        ['Name', 'ops'],
        ['Password', '********'],
      ],
    );
    for (const [path, bytes] of filesUnder(dir.path)) assert.ok(!bytes.includes(Buffer.from(PW.ops)), `${path} holds the password`);
  });
});

describe('the administrator audit log on an organization in PostgreSQL', () => {
  const dir = scratchDir('admin-audit-pg');
  const mbx1 = join(dir.path, 'MBX01');
  const pgpass = join(dir.path, 'pgpass');
  const env = { PGPASSFILE: pgpass, PGPASSWORD: undefined as unknown as string };
  let pg: PgCluster;

  before(async () => {
    pg = startPostgres({ dir: dir.path, host: PG_HOST, port: PG_PORT });
    pg.createDatabase('contoso', 'gatehouse', PG_PASSWORD);
    writeFileSync(pgpass, `${PG_HOST}:${PG_PORT}:contoso:gatehouse:${PG_PASSWORD}\n`, { mode: 0o600 });
    const r = await gatehouse(['setup', '--role', 'Mailbox', '--name', 'MBX01', '--fqdn', 'mbx01.contoso.com', '--data', mbx1, '--org', pg.url('contoso', 'gatehouse')], { env });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await pg.stop();
    dir.remove();
  });

  it("records in the organization's database, without a secret and without moving the change counter", async () => {
    const counter = () => Number(pg.sql("SELECT value FROM config_meta WHERE key = 'change_counter'", 'contoso').trim());
    await shell(
      mbx1,
      [`New-ADUser -Name EdgeAuth -SamAccountName edgeauth -AccountPassword (ConvertTo-SecureString "${PW.edgeauth}" -AsPlainText -Force) -Enabled $true`, 'Add-RoleGroupMember "View-Only Organization Management" -Member edgeauth'],
      { env },
    );
    const before = counter();
    await shell(mbx1, ['Remove-SendConnector "Nothing Here" -Confirm:$false'], { env, ok: false });
    assert.equal(counter(), before, 'an audit entry is no configuration change');
    const r = await shell(mbx1, [`Search-AdminAuditLog | ${FIELDS}`, '(Search-AdminAuditLog -Cmdlets New-ADUser).CmdletParameters | Format-List Name,Value'], { env });
    const records = formatListRecords(r.stdout);
    assert.deepEqual(
      records.filter((e) => e.CmdletName).map((e) => [e.CmdletName, e.ObjectModified, e.Succeeded, e.Caller, e.Origin]),
      [
        ['Remove-SendConnector', 'Nothing Here', 'False', ME, 'local'],
        ['Add-RoleGroupMember', 'View-Only Organization Management', 'True', ME, 'local'],
        ['New-ADUser', 'EdgeAuth', 'True', ME, 'local'],
      ],
    );
    assert.ok(records.some((e) => e.Name === 'AccountPassword' && e.Value === '********'));
    assert.deepEqual(await found(mbx1, 'Search-AdminAuditLog -IsSuccess $false', env), ['Remove-SendConnector']);
    const dump = pg.sql("SELECT string_agg(cmdlet || ' ' || parameters || ' ' || object_modified || ' ' || coalesce(error, ''), ' ') FROM admin_audit_log", 'contoso');
    assert.match(dump, /AccountPassword/);
    assert.ok(!dump.includes(PW.edgeauth));
  });
});
