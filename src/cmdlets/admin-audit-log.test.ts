import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { adminAuditConfigSchema, ADMIN_AUDIT_CONFIG_NAME } from '../config/model/admin-audit-config.js';
import { StoredCredential } from '../config/model/credential.js';
import { EnhancedTimeSpan } from '../config/types/index.js';
import type { BoundArguments, CommandSpec } from '../shell/command.js';
import { Hashtable, PSCredential, SecureString } from '../shell/values.js';
import { SqliteAccountLogonStore } from '../store/account-logon-store.js';
import { Repository } from '../store/repository.js';
import { SqliteConfigStore } from '../store/sqlite-config-store.js';
import { adminAuditRecorder, auditConfigObject, auditStoreOf, auditValue, shouldRecord } from './admin-audit-log.js';
import type { ServerContext } from './server-context.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'Hunter2-Audit-Secret';

function spec(name: string, parameters: { name: string; typeName: string }[] = []): CommandSpec {
  return { name, synopsis: '', parameters, invoke: () => [] };
}

const defaults = () => ({ AdminAuditLogEnabled: true, AdminAuditLogCmdlets: ['*'], AdminAuditLogParameters: ['*'], AdminAuditLogExcludedCmdlets: [], TestCmdletLoggingEnabled: false });

describe('the administrator audit log', () => {
  it('never shows a secret: SecureString, credentials (shell or stored), keys in text', () => {
    assert.equal(auditValue(new SecureString(SECRET)), '********');
    assert.equal(auditValue(new PSCredential('CONTOSO\\edgeauth', new SecureString(SECRET))), 'CONTOSO\\edgeauth ********');
    const stored = StoredCredential.parseShellValue(new PSCredential('CONTOSO\\edgeauth', new SecureString(SECRET)));
    assert.equal(auditValue(stored), 'CONTOSO\\edgeauth ********');
    assert.equal(auditValue('whatever', 'SecureString'), '********');
    assert.equal(auditValue(new Hashtable([['Add', [new SecureString(SECRET), 'b']]])), 'Add=********,b');
    assert.match(auditValue(`-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----`), /^\*{8} \(\d+ characters holding a private key\)$/);
    assert.equal(auditValue(new Uint8Array(12)), 'System.Byte[] (12 bytes)');
    assert.equal(auditValue(['a', 'b']), 'a,b');
    assert.equal(auditValue(true), 'True');
  });

  it('records state-changing cmdlets only, as the settings say', () => {
    const c = defaults();
    assert.ok(shouldRecord(c, 'Set-SendConnector', ['Identity']));
    assert.ok(!shouldRecord(c, 'Get-SendConnector', []));
    assert.ok(!shouldRecord(c, 'Search-AdminAuditLog', []));
    assert.ok(!shouldRecord(c, 'Test-Mailflow', []));
    assert.ok(shouldRecord({ ...c, TestCmdletLoggingEnabled: true }, 'Test-Mailflow', []));
    assert.ok(!shouldRecord({ ...c, AdminAuditLogEnabled: false }, 'Set-SendConnector', ['Identity']));
    assert.ok(shouldRecord({ ...c, AdminAuditLogEnabled: false }, 'Set-AdminAuditLogConfig', ['AdminAuditLogEnabled']), 'always recorded');
    assert.ok(!shouldRecord({ ...c, AdminAuditLogCmdlets: ['*-Mailbox'] }, 'Set-SendConnector', ['Identity']));
    assert.ok(shouldRecord({ ...c, AdminAuditLogCmdlets: ['*-Mailbox'] }, 'set-mailbox', ['Identity']));
    assert.ok(!shouldRecord({ ...c, AdminAuditLogExcludedCmdlets: ['*-Queue'] }, 'Retry-Queue', ['Identity']));
    assert.ok(!shouldRecord({ ...c, AdminAuditLogParameters: ['*Quota'] }, 'Set-Mailbox', ['Identity']));
    assert.ok(shouldRecord({ ...c, AdminAuditLogParameters: ['*Quota'] }, 'Set-Mailbox', ['Identity', 'ProhibitSendQuota']));
  });

  it('writes entries beside the configuration without moving its change counter, and removes those past the age limit', () => {
    const store = new SqliteConfigStore(join(dir, 'org.db'), { create: true });
    const ctx: ServerContext = {
      role: 'Mailbox',
      name: 'MBX01',
      fqdn: 'mbx01.contoso.com',
      dataDir: dir,
      repo: new Repository(store, null),
      logons: new SqliteAccountLogonStore(store.db),
      directory: { dnsDomain: 'contoso.com', netbiosName: 'CONTOSO', domainSid: 'S-1-5-21-1-2-3' },
    };
    let clock = new Date('2026-01-01T00:00:00Z');
    const recorder = adminAuditRecorder(ctx, { caller: 'root', origin: 'local' }, () => clock);
    const before = store.changeCounter();
    const newUser = spec('New-ADUser', [
      { name: 'Name', typeName: 'String' },
      { name: 'AccountPassword', typeName: 'SecureString' },
    ]);
    const args: BoundArguments = new Map<string, unknown>([
      ['Name', 'edgeauth'],
      ['AccountPassword', new SecureString(SECRET)],
    ]);
    recorder.completed(newUser, args, { succeeded: true, declined: false });
    recorder.completed(spec('Get-ADUser'), new Map([['Identity', 'edgeauth']]), { succeeded: true, declined: false });
    recorder.completed(newUser, new Map([['Name', 'whatif']]), { succeeded: true, declined: true });
    clock = new Date('2026-02-01T00:00:00Z');
    recorder.completed(spec('Remove-ADUser'), new Map([['Identity', 'ghost']]), { succeeded: false, error: new Error("Cannot find an object with identity: 'ghost'"), declined: false });
    assert.equal(store.changeCounter(), before, 'an audit entry is no configuration change');

    const all = auditStoreOf(ctx).search({});
    assert.deepEqual(
      all.map((r) => [r.cmdletName, r.objectModified, r.succeeded, r.error, r.caller, r.origin, r.originatingServer]),
      [
        ['Remove-ADUser', 'ghost', false, "Cannot find an object with identity: 'ghost'", 'root', 'local', 'MBX01'],
        ['New-ADUser', 'edgeauth', true, null, 'root', 'local', 'MBX01'],
      ],
    );
    assert.deepEqual(all[1].parameters, [
      { name: 'Name', value: 'edgeauth' },
      { name: 'AccountPassword', value: '********' },
    ]);
    const raw = store.db.prepare('SELECT * FROM admin_audit_log').all();
    assert.ok(!JSON.stringify(raw).includes(SECRET));
    assert.deepEqual(
      auditStoreOf(ctx)
        .search({ isSuccess: false, start: new Date('2026-01-15T00:00:00Z') })
        .map((r) => r.cmdletName),
      ['Remove-ADUser'],
    );

    // A 10-day limit: the next entry removes the one of January.
    const config = auditConfigObject(ctx);
    config.values.AdminAuditLogAgeLimit = EnhancedTimeSpan.fromDays(10);
    ctx.repo.insert(config);
    assert.equal(ctx.repo.findByName(adminAuditConfigSchema, '', ADMIN_AUDIT_CONFIG_NAME)?.guid, config.guid);
    clock = new Date('2026-02-05T00:00:00Z');
    recorder.completed(spec('Set-Mailbox'), new Map([['Identity', 'alice']]), { succeeded: true, declined: false });
    assert.deepEqual(
      auditStoreOf(ctx)
        .search({})
        .map((r) => r.cmdletName),
      ['Set-Mailbox', 'Remove-ADUser'],
    );
    store.close();
  });
});
