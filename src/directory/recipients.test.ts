// RecipientDirectory against a real store in a temp folder: every proxy
// address found case-insensitively, mailbox location and limits, groups
// expanded through nested groups with loops cut and duplicates removed,
// send-as addresses of an account, and refresh after store changes.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { distributionGroupSchema, mailboxDatabaseSchema, mailboxSchema } from '../config/model/recipient.js';
import { ByteQuantifiedSize, SmtpAddress, Unlimited } from '../config/types/index.js';
import { newModelObject, Repository, type ModelObject } from '../store/repository.js';
import { SqliteConfigStore } from '../store/sqlite-config-store.js';
import { RecipientDirectory } from './recipients.js';

describe('RecipientDirectory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-recipients-'));
  const store = new SqliteConfigStore(join(dir, 'organization.db'), { create: true });
  const repo = new Repository(store, null);
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  repo.insert(newModelObject(mailboxDatabaseSchema, '', { Name: 'DB01', Server: 'MBX01', FolderPath: '/srv/MBX01/Mailbox/DB01', Recovery: false, ReplicationType: 'None', IsMailboxDatabase: true }));
  function mailbox(name: string, primary: string, extra: string[], account: string, more: Record<string, unknown> = {}): ModelObject {
    const m = newModelObject(mailboxSchema, '', {
      Name: name,
      Alias: name.toLowerCase(),
      DisplayName: name,
      UserPrincipalName: primary,
      PrimarySmtpAddress: SmtpAddress.parse(primary),
      EmailAddresses: [`SMTP:${primary}`, ...extra.map((a) => `smtp:${a}`)],
      Database: 'DB01',
      ForwardingSmtpAddress: null,
      MaxReceiveSize: Unlimited.unlimited(),
      MaxSendSize: Unlimited.of(ByteQuantifiedSize.parse('10MB')),
      RequireSenderAuthenticationEnabled: false,
      RecipientType: 'UserMailbox',
      RecipientTypeDetails: 'UserMailbox',
      AccountGuid: account,
      ...more,
    });
    repo.insert(m);
    return m;
  }
  function group(name: string, members: ModelObject[]): ModelObject {
    const g = newModelObject(distributionGroupSchema, '', {
      Name: name,
      Alias: name.toLowerCase(),
      DisplayName: name,
      PrimarySmtpAddress: SmtpAddress.parse(`${name.toLowerCase()}@contoso.com`),
      EmailAddresses: [`SMTP:${name.toLowerCase()}@contoso.com`],
      ManagedBy: [],
      RequireSenderAuthenticationEnabled: true,
      GroupType: 'Universal',
      RecipientType: 'MailUniversalDistributionGroup',
      RecipientTypeDetails: 'MailUniversalDistributionGroup',
      Members: members.map((x) => x.guid),
    });
    repo.insert(g);
    return g;
  }

  const alice = mailbox('Alice', 'alice@contoso.com', ['a.smith@contoso.com'], 'acct-alice', { ForwardingSmtpAddress: SmtpAddress.parse('alice@fabrikam.com'), RequireSenderAuthenticationEnabled: true });
  const bob = mailbox('Bob', 'bob@contoso.com', [], 'acct-bob');
  const directory = new RecipientDirectory(repo);

  it('finds a mailbox by any proxy address, case-insensitively, with its location and limits', () => {
    for (const a of ['alice@contoso.com', 'A.Smith@CONTOSO.com', ' alice@contoso.com ']) {
      const m = directory.find(a);
      assert.ok(m && m.kind === 'mailbox', a);
      assert.equal(m.guid, alice.guid);
      assert.equal(m.primarySmtpAddress, 'alice@contoso.com');
      assert.equal(m.server, 'MBX01');
      assert.equal(m.folderPath, '/srv/MBX01/Mailbox/DB01');
      assert.equal(m.maildirFolder, alice.guid);
      assert.equal(m.maxReceiveSize, null);
      assert.equal(m.maxSendSize, 10 * 1024 * 1024);
      assert.equal(m.forwardingSmtpAddress, 'alice@fabrikam.com');
      assert.equal(m.requireSenderAuthentication, true);
      assert.equal(m.accountGuid, 'acct-alice');
      assert.deepEqual(m.addresses, ['alice@contoso.com', 'a.smith@contoso.com']);
    }
    assert.equal(directory.find('nobody@contoso.com'), null);
  });

  it('lists the addresses an account may send as', () => {
    assert.deepEqual(directory.addressesOfAccount('acct-alice'), ['alice@contoso.com', 'a.smith@contoso.com']);
    assert.deepEqual(directory.addressesOfAccount('ACCT-BOB'), ['bob@contoso.com']);
    assert.deepEqual(directory.addressesOfAccount('acct-none'), []);
  });

  it('expands nested groups, cutting loops and removing duplicates', () => {
    const inner = group('Inner', [alice, bob]);
    const outer = group('Outer', [inner, alice]);
    inner.values.Members = [alice.guid, bob.guid, outer.guid]; // a loop back to the outer group
    repo.update(inner);
    const g = directory.find('OUTER@contoso.com');
    assert.ok(g && g.kind === 'group');
    assert.deepEqual([...g.members].sort(), ['alice@contoso.com', 'bob@contoso.com']);
    assert.equal(g.requireSenderAuthentication, true);
    const i = directory.find('inner@contoso.com');
    assert.ok(i && i.kind === 'group');
    assert.deepEqual([...i.members].sort(), ['alice@contoso.com', 'bob@contoso.com']);
  });

  it('sees changes made to the store after the first lookup; the Maildir folder survives an address change', () => {
    assert.ok(directory.find('bob@contoso.com'));
    bob.values.PrimarySmtpAddress = SmtpAddress.parse('robert@contoso.com');
    bob.values.EmailAddresses = ['SMTP:robert@contoso.com', 'smtp:bob@contoso.com'];
    repo.update(bob);
    const m = directory.find('robert@contoso.com');
    assert.ok(m && m.kind === 'mailbox');
    assert.equal(m.maildirFolder, bob.guid);
    assert.equal(directory.find('bob@contoso.com')?.guid, bob.guid);
    repo.remove(bob);
    assert.equal(directory.find('robert@contoso.com'), null);
    const outer = directory.find('outer@contoso.com');
    assert.ok(outer && outer.kind === 'group');
    assert.deepEqual(outer.members, ['alice@contoso.com']);
  });
});
