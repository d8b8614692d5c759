import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { adGroupSchema, adUserSchema, localUserSchema } from '../config/model/account.js';
import { BUILT_IN_ROLE_GROUPS, MANAGEMENT_ROLES, roleGroupSchema } from '../config/model/role-group.js';
import type { ServerRoleName } from '../config/model/server.js';
import { SqliteAccountLogonStore } from '../store/account-logon-store.js';
import { newModelObject, Repository, type ModelObject } from '../store/repository.js';
import { SqliteConfigStore } from '../store/sqlite-config-store.js';
import { serverCommands } from './index.js';
import { classifyCmdlet, mayRun, permittedCommands, roleGroupsOf, type Caller } from './rbac.js';
import { ensureBuiltInRoleGroups } from './role-group.js';
import type { ServerContext } from './server-context.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-rbac-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function context(role: ServerRoleName, file: string): ServerContext & { store: SqliteConfigStore } {
  const store = new SqliteConfigStore(join(dir, file), { create: true });
  return {
    store,
    role,
    name: role === 'Mailbox' ? 'MBX01' : 'EDGE01',
    fqdn: role === 'Mailbox' ? 'mbx01.contoso.com' : 'edge01.contoso.net',
    dataDir: dir,
    repo: new Repository(store, null),
    logons: new SqliteAccountLogonStore(store.db),
    directory: { dnsDomain: 'contoso.com', netbiosName: 'CONTOSO', domainSid: 'S-1-5-21-1-2-3' },
  };
}

function account(ctx: ServerContext, name: string): ModelObject {
  const a = newModelObject(ctx.role === 'Mailbox' ? adUserSchema : localUserSchema, '', { Name: name, SamAccountName: name, Enabled: true });
  ctx.repo.insert(a);
  return a;
}

function join_(ctx: ServerContext, group: string, memberGuid: string): void {
  const g = ctx.repo.findByName(roleGroupSchema, '', group)!;
  g.values.Members = [...((g.values.Members as string[]) ?? []), memberGuid];
  ctx.repo.update(g);
}

const as = (a: ModelObject): Caller => ({ kind: 'account', accountGuid: a.guid, displayName: String(a.values.Name) });

describe('role-based access to the cmdlets', () => {
  const mbx = context('Mailbox', 'org.db');
  ensureBuiltInRoleGroups(mbx);
  const names = serverCommands(mbx).map((c) => c.name);

  it('classifies every registered cmdlet, read-only exactly when its verb reads', () => {
    assert.ok(names.length > 50, `${names.length} cmdlets registered`);
    for (const name of names) {
      const cls = classifyCmdlet(name);
      assert.ok(cls, `${name} is classified`);
      assert.ok(cls.roles.length > 0, `${name} has a role`);
      for (const r of cls.roles) assert.ok((MANAGEMENT_ROLES as readonly string[]).includes(r), `${name}: ${r} is a known role`);
      const verb = name.includes('-') ? name.split('-')[0].toLowerCase() : '';
      assert.equal(cls.readOnly, ['get', 'search', 'test', 'trace'].includes(verb), `${name} read-only`);
    }
    assert.equal(classifyCmdlet('Frobnicate-Widget'), undefined);
    assert.equal(classifyCmdlet('Get-RoleGroup')?.roles.join(), 'Role Management,View-Only Configuration');
  });

  it('creates the four built-in groups once, each role held by Organization Management', () => {
    ensureBuiltInRoleGroups(mbx);
    const groups = mbx.repo.list(roleGroupSchema);
    assert.deepEqual(groups.map((g) => g.values.Name).sort(), BUILT_IN_ROLE_GROUPS.map((g) => g.name).sort());
    const before = mbx.store.changeCounter();
    ensureBuiltInRoleGroups(mbx);
    assert.equal(mbx.store.changeCounter(), before, 'a store that has them is only read');
  });

  const org = account(mbx, 'orgadmin');
  const viewer = account(mbx, 'viewer');
  const recip = account(mbx, 'recipadmin');
  const servers = account(mbx, 'serveradmin');
  const nobody = account(mbx, 'nobody');
  join_(mbx, 'Organization Management', org.guid);
  join_(mbx, 'View-Only Organization Management', viewer.guid);
  join_(mbx, 'Recipient Management', recip.guid);
  join_(mbx, 'Server Management', servers.guid);

  it('lets Organization Management run everything, and nobody without a group anything', () => {
    for (const name of [...names, 'Frobnicate-Widget']) assert.ok(mayRun(mbx, as(org), name), name);
    for (const name of names) assert.ok(!mayRun(mbx, as(nobody), name), name);
  });

  it('lets View-Only Organization Management run exactly the read-only cmdlets', () => {
    for (const name of names) assert.equal(mayRun(mbx, as(viewer), name), classifyCmdlet(name)!.readOnly, name);
  });

  it('offers a session only the cmdlets its caller may run', () => {
    const specs = serverCommands(mbx);
    assert.deepEqual(
      permittedCommands(mbx, as(viewer), specs).map((c) => c.name),
      names.filter((n) => classifyCmdlet(n)!.readOnly),
    );
    assert.equal(permittedCommands(mbx, as(org), specs).length, names.length);
    assert.equal(permittedCommands(mbx, { kind: 'local', user: 'root' }, specs).length, names.length);
    assert.deepEqual(permittedCommands(mbx, as(nobody), specs), []);
  });

  it('gives Recipient Management the recipients and accounts, Server Management the servers, connectors, certificates and queues', () => {
    const yes = (c: Caller, list: string[]) => list.forEach((n) => assert.ok(mayRun(mbx, c, n), `${n} allowed`));
    const no = (c: Caller, list: string[]) => list.forEach((n) => assert.ok(!mayRun(mbx, c, n), `${n} refused`));
    yes(as(recip), ['New-Mailbox', 'Set-Mailbox', 'Get-Mailbox', 'New-DistributionGroup', 'Add-DistributionGroupMember', 'New-ADUser', 'Set-ADAccountPassword', 'Add-ADGroupMember', 'Get-MessageTrackingLog', 'Get-Recipient']);
    no(as(recip), ['New-SendConnector', 'Get-SendConnector', 'Set-ReceiveConnector', 'Get-Queue', 'Retry-Queue', 'Enable-ExchangeCertificate', 'New-AcceptedDomain', 'Add-RoleGroupMember', 'Set-AdminAuditLogConfig', 'Search-AdminAuditLog']);
    yes(as(servers), [
      'New-SendConnector',
      'Set-ReceiveConnector',
      'Get-ReceiveConnector',
      'Set-TransportService',
      'Get-Queue',
      'Retry-Queue',
      'Suspend-Message',
      'Import-ExchangeCertificate',
      'Enable-ExchangeCertificate',
      'New-MailboxDatabase',
      'Test-Mailflow',
    ]);
    no(as(servers), ['New-Mailbox', 'Get-Mailbox', 'New-ADUser', 'New-AcceptedDomain', 'Add-RoleGroupMember', 'Set-ADDefaultDomainPasswordPolicy', 'Set-AdminAuditLogConfig']);
  });

  it('counts a membership through a security group, and the local shell always', () => {
    const helpdesk = newModelObject(adGroupSchema, '', { Name: 'Helpdesk', SamAccountName: 'Helpdesk', Members: [nobody.guid] });
    mbx.repo.insert(helpdesk);
    const tier2 = newModelObject(adGroupSchema, '', { Name: 'Tier2', SamAccountName: 'Tier2', Members: [helpdesk.guid] });
    mbx.repo.insert(tier2);
    join_(mbx, 'Recipient Management', tier2.guid);
    assert.deepEqual(
      roleGroupsOf(mbx, nobody.guid).map((g) => g.values.Name),
      ['Recipient Management'],
    );
    assert.ok(mayRun(mbx, as(nobody), 'Set-Mailbox'));
    assert.ok(!mayRun(mbx, as(nobody), 'Set-SendConnector'));
    for (const name of names) assert.ok(mayRun(mbx, { kind: 'local', user: 'root' }, name), name);
  });

  it('takes the members from the local accounts on an Edge', () => {
    const edge = context('EdgeTransport', 'server.db');
    ensureBuiltInRoleGroups(edge);
    const ops = account(edge, 'ops');
    assert.ok(!mayRun(edge, as(ops), 'Get-Queue'));
    join_(edge, 'Server Management', ops.guid);
    assert.ok(mayRun(edge, as(ops), 'Retry-Queue'));
    assert.ok(!mayRun(edge, as(ops), 'New-LocalUser'));
    edge.store.close();
  });
});
